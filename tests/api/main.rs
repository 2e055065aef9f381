//! Integration tests: the real HTTP server on a real socket over a real sled directory.

mod common;

mod batch;
mod cli;
mod errors;
mod links;
mod nodes;
mod persistence;
mod search;
