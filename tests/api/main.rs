//! Integration tests: the real HTTP server on a real socket over a real sled directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod access;
mod architecture;
mod batch;
mod browser;
mod citable;
mod cli;
mod crash;
mod crash_import;
mod damaged;
mod dashboards;
mod errors;
mod evaluate;
mod first_hour;
mod foreign;
mod formats;
mod graph;
mod import_graph;
mod integrity;
mod links;
mod nodes;
mod openapi;
mod partners;
mod persistence;
mod places;
mod promises;
mod reference;
mod round_trip;
mod search;
mod seed;
mod snapshots;
mod twins;
mod wikidata;
