//! Network statistics: density, clustering, transitivity, assortativity, degree
//! distribution, and diameter and average path length of the largest component.

use rayon::prelude::*;

use super::components::components;
use super::{Budget, QueryError};
use crate::graph::view::GraphView;
use crate::graph::NodeIx;

/// Triangles through every node slot. Matches `networkx.triangles(G)`.
pub fn triangles(view: &GraphView) -> Vec<u64> {
    let mut t = vec![0u64; view.node_bound()];
    for v in 0..view.node_bound() as NodeIx {
        let nv = view.neighbours(v);
        for &w in nv.iter().filter(|w| **w > v) {
            let nw = view.neighbours(w);
            let (mut i, mut j) = (
                nv.partition_point(|x| *x <= w),
                nw.partition_point(|x| *x <= w),
            );
            while i < nv.len() && j < nw.len() {
                let (a, b) = (nv[i], nw[j]);
                if a == b {
                    t[v as usize] += 1;
                    t[w as usize] += 1;
                    t[a as usize] += 1;
                    i += 1;
                    j += 1;
                } else if a < b {
                    i += 1;
                } else {
                    j += 1;
                }
            }
        }
    }
    t
}

/// Local clustering of every node slot. Matches `networkx.clustering(G)`.
pub fn clustering(view: &GraphView, triangles: &[u64]) -> Vec<f64> {
    (0..view.node_bound() as NodeIx)
        .map(|v| {
            let d = view.degree(v) as f64;
            if d < 2.0 {
                0.0
            } else {
                2.0 * triangles[v as usize] as f64 / (d * (d - 1.0))
            }
        })
        .collect()
}

/// Mean clustering over the view's nodes. Matches `networkx.average_clustering(G)`.
pub fn average_clustering(view: &GraphView, clustering: &[f64]) -> f64 {
    let n = view.node_count();
    if n == 0 {
        return 0.0;
    }
    view.nodes().map(|v| clustering[v as usize]).sum::<f64>() / n as f64
}

/// Three times the triangles over the connected triples. Matches `networkx.transitivity(G)`.
pub fn transitivity(view: &GraphView, triangles: &[u64]) -> f64 {
    let tri: u64 = view.nodes().map(|v| triangles[v as usize]).sum();
    let triples: u64 = view
        .nodes()
        .map(|v| {
            let d = view.degree(v) as u64;
            d * d.saturating_sub(1)
        })
        .sum();
    if triples == 0 {
        0.0
    } else {
        2.0 * tri as f64 / triples as f64
    }
}

/// Edge density `2m / (n(n−1))`. Matches `networkx.density(G)`.
pub fn density(view: &GraphView) -> f64 {
    let n = view.node_count() as f64;
    if n <= 1.0 {
        0.0
    } else {
        2.0 * view.edge_count() as f64 / (n * (n - 1.0))
    }
}

/// Pearson correlation of the degrees at either end of every edge.
/// Matches `networkx.degree_assortativity_coefficient(G)`; `None` when undefined.
pub fn degree_assortativity(view: &GraphView) -> Option<f64> {
    let (mut m, mut sum_xy, mut sum_x, mut sum_x2) = (0.0, 0.0, 0.0, 0.0);
    for v in view.nodes() {
        let dv = view.degree(v) as f64;
        for &w in view.neighbours(v) {
            let dw = view.degree(w) as f64;
            m += 1.0;
            sum_xy += dv * dw;
            sum_x += dv;
            sum_x2 += dv * dv;
        }
    }
    if m == 0.0 {
        return None;
    }
    let mean = sum_x / m;
    let var = sum_x2 / m - mean * mean;
    if var.abs() < 1e-15 {
        return None;
    }
    Some((sum_xy / m - mean * mean) / var)
}

/// Number of nodes of each degree, index = degree. Matches `networkx.degree_histogram(G)`.
pub fn degree_histogram(view: &GraphView) -> Vec<usize> {
    let mut hist = Vec::new();
    for v in view.nodes() {
        let d = view.degree(v);
        if hist.len() <= d {
            hist.resize(d + 1, 0);
        }
        hist[d] += 1;
    }
    hist
}

/// Diameter and average shortest path length of the largest connected component
/// (the first one found among equals), by BFS from every node of it.
/// Matches `networkx.diameter` and `networkx.average_shortest_path_length` on
/// `G.subgraph(max(nx.connected_components(G), key=len))`.
pub fn largest_component_distances(
    view: &GraphView,
    budget: &Budget,
) -> Result<Option<(usize, usize, f64)>, QueryError> {
    let (label, sizes) = components(view);
    let Some((largest, &size)) = sizes
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
    else {
        return Ok(None);
    };
    let members: Vec<NodeIx> = (0..label.len() as NodeIx)
        .filter(|v| label[*v as usize] == largest as u32)
        .collect();
    let bound = view.node_bound();
    let (ecc, total) = members
        .par_chunks(64)
        .map_init(
            || (vec![u32::MAX; bound], Vec::with_capacity(size)),
            |(dist, queue): &mut (Vec<u32>, Vec<NodeIx>), chunk| {
                budget.check()?;
                let mut best = 0u32;
                let mut total = 0u64;
                for &s in chunk {
                    queue.clear();
                    queue.push(s);
                    dist[s as usize] = 0;
                    let mut head = 0;
                    while head < queue.len() {
                        let v = queue[head];
                        head += 1;
                        let d = dist[v as usize];
                        best = best.max(d);
                        total += u64::from(d);
                        for &w in view.neighbours(v) {
                            if dist[w as usize] == u32::MAX {
                                dist[w as usize] = d + 1;
                                queue.push(w);
                            }
                        }
                    }
                    for &v in queue.iter() {
                        dist[v as usize] = u32::MAX;
                    }
                }
                Ok((best, total))
            },
        )
        .try_reduce(|| (0, 0), |a, b| Ok((a.0.max(b.0), a.1 + b.1)))?;
    let pairs = size as f64 * (size as f64 - 1.0);
    let average = if pairs > 0.0 {
        total as f64 / pairs
    } else {
        0.0
    };
    Ok(Some((size, ecc as usize, average)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_triangle_with_a_tail() {
        // 0-1-2 triangle, 2-3 tail. NetworkX: clustering [1, 1, 1/3, 0],
        // transitivity 0.6, assortativity -5/7, diameter 2.
        let g = GraphView::from_edges(4, &[(0, 1), (1, 2), (0, 2), (2, 3)]);
        let t = triangles(&g);
        assert_eq!(t, vec![1, 1, 1, 0]);
        let c = clustering(&g, &t);
        assert_eq!(c, vec![1.0, 1.0, 1.0 / 3.0, 0.0]);
        assert!((transitivity(&g, &t) - 0.6).abs() < 1e-12);
        assert!((degree_assortativity(&g).unwrap() + 5.0 / 7.0).abs() < 1e-12);
        assert_eq!(degree_histogram(&g), vec![0, 1, 2, 1]);
        let (size, diameter, avg) = largest_component_distances(&g, &Budget::unlimited())
            .unwrap()
            .unwrap();
        assert_eq!((size, diameter), (4, 2));
        assert!((avg - 16.0 / 12.0).abs() < 1e-12);
    }
}
