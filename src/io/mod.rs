//! Import and export formats. One file per format.

pub mod edgelist;
pub mod export;
pub mod native;
pub mod node_link;
pub mod seed;
