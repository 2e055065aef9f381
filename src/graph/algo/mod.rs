//! Graph algorithms over a [`GraphView`](super::view::GraphView): one file per
//! question, plain result types out. Each names the NetworkX call it matches.

pub mod budget;
pub mod centrality;
pub mod communities;
pub mod components;
pub mod layout;
pub mod link_prediction;
pub mod neighbourhood;
pub mod paths;
pub mod stats;

pub use budget::{Budget, QueryError};
