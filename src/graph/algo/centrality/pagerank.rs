//! PageRank by power iteration.

use crate::graph::algo::QueryError;
use crate::graph::view::GraphView;

/// PageRank of every node slot (0 outside the view), iterated exactly as
/// `networkx.pagerank(G, alpha, max_iter=100, tol=1e-6)` does on an unweighted graph:
/// uniform start, teleport and dangling distribution, stop when the L1 change is below
/// `n · tol`, no final renormalisation.
pub fn pagerank(
    view: &GraphView,
    alpha: f64,
    max_iter: usize,
    tol: f64,
) -> Result<Vec<f64>, QueryError> {
    let bound = view.node_bound();
    let nodes: Vec<u32> = view.nodes().collect();
    let n = nodes.len() as f64;
    let mut x = vec![0.0; bound];
    if nodes.is_empty() {
        return Ok(x);
    }
    for &v in &nodes {
        x[v as usize] = 1.0 / n;
    }
    let mut next = vec![0.0; bound];
    let mut share = vec![0.0; bound];
    for _ in 0..max_iter {
        let mut dangling = 0.0;
        for &v in &nodes {
            let d = view.degree(v);
            if d == 0 {
                dangling += x[v as usize];
            } else {
                share[v as usize] = x[v as usize] / d as f64;
            }
        }
        let base = alpha * dangling / n + (1.0 - alpha) / n;
        let mut err = 0.0;
        for &v in &nodes {
            let inflow: f64 = view.neighbours(v).iter().map(|&u| share[u as usize]).sum();
            let value = alpha * inflow + base;
            err += (value - x[v as usize]).abs();
            next[v as usize] = value;
        }
        std::mem::swap(&mut x, &mut next);
        if err < n * tol {
            return Ok(x);
        }
    }
    Err(QueryError::NoConvergence("PageRank"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_graphs_rank_evenly_and_sum_to_one() {
        let ring = GraphView::from_edges(4, &[(0, 1), (1, 2), (2, 3), (3, 0)]);
        let pr = pagerank(&ring, 0.85, 100, 1e-6).unwrap();
        assert!(pr.iter().all(|x| (x - 0.25).abs() < 1e-12));
        let star = GraphView::from_edges(4, &[(0, 1), (0, 2), (0, 3)]);
        let pr = pagerank(&star, 0.85, 100, 1e-6).unwrap();
        assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-6);
        assert!(pr[0] > pr[1]);
    }
}
