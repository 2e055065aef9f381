//! Closeness and harmonic centrality from one breadth-first search per node.

use rayon::prelude::*;

use crate::graph::algo::{Budget, QueryError};
use crate::graph::view::GraphView;
use crate::graph::NodeIx;

/// For one node: how many nodes it reaches (itself included), the sum of hop
/// distances to them, and the sum of their inverse distances.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DistanceSums {
    /// Nodes reached, the node itself included.
    pub reached: u32,
    /// Sum of distances.
    pub total: u64,
    /// Sum of 1/distance over the other reached nodes.
    pub inverse: f64,
}

/// Distance sums for every node slot, one BFS per node, parallel.
pub fn distance_sums(view: &GraphView, budget: &Budget) -> Result<Vec<DistanceSums>, QueryError> {
    let n = view.node_bound();
    let nodes: Vec<NodeIx> = (0..n as NodeIx).collect();
    nodes
        .par_chunks(64)
        .map_init(
            || (vec![u32::MAX; n], Vec::with_capacity(n)),
            |(dist, queue): &mut (Vec<u32>, Vec<NodeIx>), chunk| {
                budget.check()?;
                Ok(chunk
                    .iter()
                    .map(|&s| sums_from(view, s, dist, queue))
                    .collect::<Vec<_>>())
            },
        )
        .collect::<Result<Vec<Vec<_>>, QueryError>>()
        .map(|parts| parts.into_iter().flatten().collect())
}

fn sums_from(
    view: &GraphView,
    s: NodeIx,
    dist: &mut [u32],
    queue: &mut Vec<NodeIx>,
) -> DistanceSums {
    if !view.contains(s) {
        return DistanceSums::default();
    }
    queue.clear();
    queue.push(s);
    dist[s as usize] = 0;
    let mut head = 0;
    let mut sums = DistanceSums {
        reached: 1,
        total: 0,
        inverse: 0.0,
    };
    while head < queue.len() {
        let v = queue[head];
        head += 1;
        let d = dist[v as usize] + 1;
        for &w in view.neighbours(v) {
            if dist[w as usize] == u32::MAX {
                dist[w as usize] = d;
                queue.push(w);
                sums.reached += 1;
                sums.total += u64::from(d);
                sums.inverse += 1.0 / f64::from(d);
            }
        }
    }
    for &v in queue.iter() {
        dist[v as usize] = u32::MAX;
    }
    sums
}

/// Closeness with the Wasserman–Faust correction for disconnected graphs.
/// Matches `networkx.closeness_centrality(G)` (`wf_improved=True`).
pub fn closeness(view: &GraphView, sums: &[DistanceSums]) -> Vec<f64> {
    let n = view.node_count() as f64;
    sums.iter()
        .map(|s| {
            if s.total == 0 || n <= 1.0 {
                return 0.0;
            }
            let reached = f64::from(s.reached) - 1.0;
            (reached / s.total as f64) * (reached / (n - 1.0))
        })
        .collect()
}

/// Sum of inverse distances. Matches `networkx.harmonic_centrality(G)`.
pub fn harmonic(sums: &[DistanceSums]) -> Vec<f64> {
    sums.iter().map(|s| s.inverse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_graph_values_match_networkx() {
        // 0-1-2 plus isolated 3: NetworkX closeness = [0.4444, 0.6667, 0.4444, 0],
        // harmonic = [1.5, 2, 1.5, 0].
        let g = GraphView::from_edges(4, &[(0, 1), (1, 2)]);
        let sums = distance_sums(&g, &Budget::unlimited()).unwrap();
        let c = closeness(&g, &sums);
        for (a, b) in c.iter().zip([4.0 / 9.0, 2.0 / 3.0, 4.0 / 9.0, 0.0]) {
            assert!((a - b).abs() < 1e-12, "{c:?}");
        }
        assert_eq!(harmonic(&sums), vec![1.5, 2.0, 1.5, 0.0]);
    }
}
