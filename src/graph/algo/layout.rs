//! A picture of the whole network: ForceAtlas2 positions for every node of a view
//! (Jacomy et al. 2014, Gephi's default layout; the `fa2` crate by the authors of
//! graphology and sigma.js), with the settings graphology infers from the graph's
//! order, Barnes–Hut repulsion from 2,048 nodes on at Gephi's θ = 1.2 (graphology's
//! 0.5 took 12 s for the world network's 17k nodes, nine tenths of it in the tree
//! walk), and a fixed number of rounds, so the same view and start give the same
//! picture.

use fa2::{FA2Data, FA2Settings};

use super::{Budget, QueryError};
use crate::graph::view::GraphView;
use crate::graph::NodeIx;

/// Rounds of ForceAtlas2 run for a layout.
pub const ROUNDS: usize = 300;

/// Nodes from which repulsion is approximated by a Barnes–Hut tree (graphology's rule).
const BARNES_HUT_FROM: usize = 2048;

/// How coarse the tree's approximation may be: Gephi's default.
const BARNES_HUT_THETA: f32 = 1.2;

/// Rounds run between two looks at the budget.
const ROUNDS_PER_CHECK: usize = 10;

/// Where each node of `view` lies: `(x, y)` per node slot, `None` for slots the view
/// leaves out. `start` gives each node's starting point (nodes that start on the same
/// spot are moved apart by a small seeded offset). Checks `budget` every few rounds.
pub fn force_atlas2(
    view: &GraphView,
    start: impl Fn(NodeIx) -> (f32, f32),
    rounds: usize,
    budget: &Budget,
) -> Result<Vec<Option<(f32, f32)>>, QueryError> {
    let nodes: Vec<NodeIx> = view.nodes().collect();
    let mut position = vec![u32::MAX; view.node_bound()];
    for (i, &v) in nodes.iter().enumerate() {
        position[v as usize] = i as u32;
    }
    let mut data = FA2Data::<f32>::with_capacity(nodes.len(), view.edge_count());
    for &v in &nodes {
        let (x, y) = start(v);
        let (dx, dy) = jitter(v);
        data.add_node_with_position(x + dx, y + dy);
    }
    for &v in &nodes {
        for &w in view.neighbours(v) {
            if v < w {
                data.add_edge(position[v as usize] as usize, position[w as usize] as usize);
            }
        }
    }
    let mut out = vec![None; view.node_bound()];
    if nodes.is_empty() {
        return Ok(out);
    }
    let mut settings = FA2Settings::<f32>::from_graph_order(nodes.len()).parallel(true);
    if nodes.len() >= BARNES_HUT_FROM {
        settings = settings.with_barnes_hut_theta(BARNES_HUT_THETA);
    }
    let mut layout = settings.build(data);
    let mut done = 0;
    while done < rounds {
        budget.check()?;
        let now = ROUNDS_PER_CHECK.min(rounds - done);
        layout.run(now);
        done += now;
    }
    for (&v, (x, y)) in nodes.iter().zip(layout.data().positions()) {
        out[v as usize] = (x.is_finite() && y.is_finite()).then_some((x, y));
    }
    Ok(out)
}

/// A small offset from a node's starting point, the same for the same node every time
/// (splitmix64 of its index), so nodes given one spot do not sit on each other.
fn jitter(v: NodeIx) -> (f32, f32) {
    let mut z = u64::from(v).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let unit = |bits: u64| (bits & 0xFFFF) as f32 / 65_535.0 - 0.5;
    (unit(z), unit(z >> 16))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two dense clusters of `size` joined by one edge.
    fn two_clusters(size: u32) -> GraphView {
        let mut edges = Vec::new();
        for base in [0, size] {
            for a in base..base + size {
                for b in a + 1..base + size {
                    if (a + b) % 3 != 0 {
                        edges.push((a, b));
                    }
                }
            }
        }
        edges.push((0, size));
        GraphView::from_edges(2 * size as usize, &edges)
    }

    fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
        ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
    }

    #[test]
    fn clusters_are_drawn_apart_and_the_same_each_time() {
        let view = two_clusters(30);
        // Everyone starts on one spot: only the jitter tells them apart.
        let run = || force_atlas2(&view, |_| (0.0, 0.0), ROUNDS, &Budget::unlimited()).unwrap();
        let positions: Vec<(f32, f32)> = run().into_iter().map(Option::unwrap).collect();
        assert_eq!(
            run().into_iter().map(Option::unwrap).collect::<Vec<_>>(),
            positions
        );
        let mean = |pairs: &mut dyn Iterator<Item = (usize, usize)>| {
            let (sum, n) = pairs.fold((0.0, 0), |(s, n), (a, b)| {
                (s + distance(positions[a], positions[b]), n + 1)
            });
            sum / n as f32
        };
        let within = mean(&mut (0..30).flat_map(|a| (a + 1..30).map(move |b| (a, b))));
        let across = mean(&mut (0..30).flat_map(|a| (30..60).map(move |b| (a, b))));
        assert!(
            across > 2.0 * within,
            "clusters not apart: within {within}, across {across}"
        );
    }

    #[test]
    fn an_empty_view_has_no_layout_and_a_spent_budget_stops_one() {
        let view = GraphView::from_edges(0, &[]);
        let out = force_atlas2(&view, |_| (0.0, 0.0), ROUNDS, &Budget::unlimited()).unwrap();
        assert!(out.is_empty());
        let budget = Budget::of(std::time::Duration::ZERO);
        let view = two_clusters(5);
        assert!(force_atlas2(&view, |_| (0.0, 0.0), ROUNDS, &budget).is_err());
    }
}
