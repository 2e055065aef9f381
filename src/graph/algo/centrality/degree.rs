//! Degree centrality.

use crate::graph::view::GraphView;

/// Degree over `n − 1` for every node slot (0 outside the view).
/// Matches `networkx.degree_centrality(G)` (1 for every node of a one-node graph).
pub fn degree(view: &GraphView) -> Vec<f64> {
    let n = view.node_count();
    let scale = if n <= 1 { 1.0 } else { 1.0 / (n as f64 - 1.0) };
    (0..view.node_bound() as u32)
        .map(|v| {
            if !view.contains(v) {
                0.0
            } else if n <= 1 {
                1.0
            } else {
                view.degree(v) as f64 * scale
            }
        })
        .collect()
}
