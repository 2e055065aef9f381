//! Eigenvector centrality by power iteration on `A + I`.

use crate::graph::algo::QueryError;
use crate::graph::view::GraphView;

/// Eigenvector centrality of every node slot, iterated exactly as
/// `networkx.eigenvector_centrality(G, max_iter=100, tol=1e-6)`: start uniform,
/// multiply by `A + I`, normalise to unit Euclidean length, stop when the L1 change is
/// below `n · tol`.
pub fn eigenvector(view: &GraphView, max_iter: usize, tol: f64) -> Result<Vec<f64>, QueryError> {
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
    for _ in 0..max_iter {
        for &v in &nodes {
            next[v as usize] = x[v as usize]
                + view
                    .neighbours(v)
                    .iter()
                    .map(|&u| x[u as usize])
                    .sum::<f64>();
        }
        let norm = nodes
            .iter()
            .map(|&v| next[v as usize] * next[v as usize])
            .sum::<f64>()
            .sqrt();
        let norm = if norm == 0.0 { 1.0 } else { norm };
        let mut err = 0.0;
        for &v in &nodes {
            next[v as usize] /= norm;
            err += (next[v as usize] - x[v as usize]).abs();
        }
        std::mem::swap(&mut x, &mut next);
        if err < n * tol {
            return Ok(x);
        }
    }
    Err(QueryError::NoConvergence("eigenvector centrality"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_centre_dominates() {
        let star = GraphView::from_edges(4, &[(0, 1), (0, 2), (0, 3)]);
        let x = eigenvector(&star, 100, 1e-6).unwrap();
        // Leading eigenvector of a 3-leaf star: centre 1/√2, leaves 1/√6.
        assert!((x[0] - 0.5f64.sqrt()).abs() < 1e-4, "{x:?}");
        assert!((x[1] - (1.0f64 / 6.0).sqrt()).abs() < 1e-4);
    }
}
