//! Centrality measures, each matching NetworkX's defaults on the same simple graph.

pub mod betweenness;
pub mod closeness;
pub mod degree;
pub mod eigenvector;
pub mod pagerank;

pub use betweenness::{betweenness, sample_sources, splitmix64};
pub use closeness::{closeness, distance_sums, harmonic};
pub use degree::degree;
pub use eigenvector::eigenvector;
pub use pagerank::pagerank;
