//! Community detection: Louvain modularity optimisation, seeded, and modularity.

use super::budget::{Budget, QueryError};
use super::centrality::betweenness::splitmix64;
use crate::graph::view::GraphView;
use crate::graph::NodeIx;

/// A weighted graph for one Louvain level: CSR with self-loops allowed.
#[derive(Clone)]
struct Level {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    /// Weighted degree (a self-loop counts twice).
    degree: Vec<f64>,
}

impl Level {
    fn n(&self) -> usize {
        self.degree.len()
    }

    fn from_view(view: &GraphView, nodes: &[NodeIx], slot: &[u32]) -> Self {
        let mut offsets = vec![0];
        let mut targets = Vec::new();
        let mut weights = Vec::new();
        let mut degree = Vec::with_capacity(nodes.len());
        for &v in nodes {
            for &w in view.neighbours(v) {
                targets.push(slot[w as usize]);
                weights.push(1.0);
            }
            degree.push(view.degree(v) as f64);
            offsets.push(targets.len());
        }
        Self {
            offsets,
            targets,
            weights,
            degree,
        }
    }

    /// Collapses communities into nodes; edge weights add up, inner edges become self-loops.
    fn aggregate(&self, community: &[u32], count: usize) -> Self {
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); count];
        let mut degree = vec![0.0; count];
        for v in 0..self.n() {
            members[community[v] as usize].push(v as u32);
            degree[community[v] as usize] += self.degree[v];
        }
        let mut acc = vec![0.0f64; count];
        let mut touched: Vec<u32> = Vec::new();
        let mut offsets = Vec::with_capacity(count + 1);
        offsets.push(0);
        let mut targets = Vec::new();
        let mut weights = Vec::new();
        for nodes in &members {
            for &v in nodes {
                for e in self.offsets[v as usize]..self.offsets[v as usize + 1] {
                    let c = community[self.targets[e] as usize];
                    if acc[c as usize] == 0.0 {
                        touched.push(c);
                    }
                    acc[c as usize] += self.weights[e];
                }
            }
            touched.sort_unstable();
            for &c in &touched {
                targets.push(c);
                weights.push(acc[c as usize]);
                acc[c as usize] = 0.0;
            }
            touched.clear();
            offsets.push(targets.len());
        }
        Self {
            offsets,
            targets,
            weights,
            degree,
        }
    }
}

/// Louvain communities. Matches the method of
/// `networkx.community.louvain_communities(G, resolution, threshold=1e-7, seed)`:
/// local moves in a seeded random order until no move improves modularity, then
/// aggregation, until a level gains less than `threshold`; then one refinement round
/// of single-node moves on the original graph. The partition depends on the random
/// order, so it equals NetworkX's in quality, not node for node.
/// Returns a community label for every node slot (`u32::MAX` outside the view),
/// numbered by first appearance in node order.
pub fn louvain(
    view: &GraphView,
    resolution: f64,
    seed: u64,
    budget: &Budget,
) -> Result<Vec<u32>, QueryError> {
    let nodes: Vec<NodeIx> = view.nodes().collect();
    let mut slot = vec![u32::MAX; view.node_bound()];
    for (i, &v) in nodes.iter().enumerate() {
        slot[v as usize] = i as u32;
    }
    let m2: f64 = nodes.iter().map(|&v| view.degree(v) as f64).sum();
    let mut labels = vec![u32::MAX; view.node_bound()];
    if m2 == 0.0 {
        for (i, &v) in nodes.iter().enumerate() {
            labels[v as usize] = i as u32;
        }
        return Ok(labels);
    }
    let base = Level::from_view(view, &nodes, &slot);
    let mut level = base.clone();
    let mut membership: Vec<u32> = (0..nodes.len() as u32).collect();
    let mut state = seed;
    let mut quality = level_modularity(
        &level,
        &(0..level.n() as u32).collect::<Vec<_>>(),
        m2,
        resolution,
    );
    loop {
        budget.check()?;
        let (community, count, moved) =
            one_level(&level, None, true, m2, resolution, &mut state, budget)?;
        if !moved {
            break;
        }
        for c in membership.iter_mut() {
            *c = community[*c as usize];
        }
        let next = level.aggregate(&community, count);
        let next_quality = level_modularity(
            &next,
            &(0..count as u32).collect::<Vec<_>>(),
            m2,
            resolution,
        );
        level = next;
        if next_quality - quality <= 1e-7 {
            break;
        }
        quality = next_quality;
    }
    // Refinement: one more round of local moves of single nodes on the original graph,
    // starting from the final partition (PLM's refinement); it only raises modularity.
    let (membership, _, _) = one_level(
        &base,
        Some(membership),
        true,
        m2,
        resolution,
        &mut state,
        budget,
    )?;
    let mut renumber = vec![u32::MAX; nodes.len()];
    let mut next = 0u32;
    for (i, &v) in nodes.iter().enumerate() {
        let c = membership[i] as usize;
        if renumber[c] == u32::MAX {
            renumber[c] = next;
            next += 1;
        }
        labels[v as usize] = renumber[c];
    }
    Ok(labels)
}

/// Local moving on one level: nodes are visited from a queue (seeded random order at
/// first); a node that moves puts its neighbours back on the queue, so late rounds touch
/// only what can still change. Returns each node's community (renumbered 0..count).
fn one_level(
    level: &Level,
    start: Option<Vec<u32>>,
    requeue: bool,
    m2: f64,
    resolution: f64,
    state: &mut u64,
    budget: &Budget,
) -> Result<(Vec<u32>, usize, bool), QueryError> {
    let n = level.n();
    let mut community: Vec<u32> = start.unwrap_or_else(|| (0..n as u32).collect());
    let mut total = vec![0.0; n];
    for v in 0..n {
        total[community[v] as usize] += level.degree[v];
    }
    let mut queue: std::collections::VecDeque<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = (splitmix64(state) % (i as u64 + 1)) as usize;
        queue.swap(i, j);
    }
    let mut queued = vec![true; n];
    let mut link_to = vec![0.0f64; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut moved_any = false;
    let mut visits = 0usize;
    while let Some(v) = queue.pop_front() {
        visits += 1;
        if visits % 4096 == 0 {
            budget.check()?;
        }
        let v = v as usize;
        queued[v] = false;
        let kv = level.degree[v];
        let own = community[v];
        touched.clear();
        for e in level.offsets[v]..level.offsets[v + 1] {
            let w = level.targets[e] as usize;
            if w == v {
                continue;
            }
            let c = community[w];
            if link_to[c as usize] == 0.0 {
                touched.push(c);
            }
            link_to[c as usize] += level.weights[e];
        }
        total[own as usize] -= kv;
        let scale = resolution * kv / m2;
        let mut best = own;
        let mut best_gain = link_to[own as usize] - scale * total[own as usize];
        for &c in &touched {
            let gain = link_to[c as usize] - scale * total[c as usize];
            if gain > best_gain {
                best_gain = gain;
                best = c;
            }
        }
        total[best as usize] += kv;
        for &c in &touched {
            link_to[c as usize] = 0.0;
        }
        link_to[own as usize] = 0.0;
        if best != own {
            community[v] = best;
            moved_any = true;
            if !requeue {
                continue;
            }
            for e in level.offsets[v]..level.offsets[v + 1] {
                let w = level.targets[e] as usize;
                if !queued[w] && community[w] != best {
                    queued[w] = true;
                    queue.push_back(w as u32);
                }
            }
        }
    }
    let mut renumber = vec![u32::MAX; n];
    let mut count = 0u32;
    for c in community.iter_mut() {
        if renumber[*c as usize] == u32::MAX {
            renumber[*c as usize] = count;
            count += 1;
        }
        *c = renumber[*c as usize];
    }
    Ok((community, count as usize, moved_any))
}

fn level_modularity(level: &Level, community: &[u32], m2: f64, resolution: f64) -> f64 {
    let count = community.iter().max().map_or(0, |c| *c as usize + 1);
    let mut inner = vec![0.0; count];
    let mut total = vec![0.0; count];
    for v in 0..level.n() {
        let c = community[v] as usize;
        total[c] += level.degree[v];
        for e in level.offsets[v]..level.offsets[v + 1] {
            if community[level.targets[e] as usize] as usize == c {
                inner[c] += level.weights[e];
            }
        }
    }
    inner
        .iter()
        .zip(&total)
        .map(|(l, d)| l / m2 - resolution * (d / m2) * (d / m2))
        .sum()
}

/// Modularity of a labelling (`u32::MAX` = not in the view).
/// Matches `networkx.community.modularity(G, communities, resolution)`.
pub fn modularity(view: &GraphView, labels: &[u32], resolution: f64) -> f64 {
    let m2: f64 = view.nodes().map(|v| view.degree(v) as f64).sum();
    if m2 == 0.0 {
        return 0.0;
    }
    let count = view
        .nodes()
        .map(|v| labels[v as usize] as usize + 1)
        .max()
        .unwrap_or(0);
    let mut inner = vec![0.0; count];
    let mut total = vec![0.0; count];
    for v in view.nodes() {
        let c = labels[v as usize] as usize;
        total[c] += view.degree(v) as f64;
        inner[c] += view
            .neighbours(v)
            .iter()
            .filter(|w| labels[**w as usize] as usize == c)
            .count() as f64;
    }
    inner
        .iter()
        .zip(&total)
        .map(|(l, d)| l / m2 - resolution * (d / m2) * (d / m2))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cliques_joined_by_one_edge_split_in_two() {
        let mut edges = Vec::new();
        for (a, b) in [(0, 5), (5, 10)] {
            for i in a..b {
                for j in i + 1..b {
                    edges.push((i, j));
                }
            }
        }
        edges.push((4, 5));
        let g = GraphView::from_edges(10, &edges);
        let labels = louvain(&g, 1.0, 7, &Budget::unlimited()).unwrap();
        assert_eq!(labels, vec![0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
        // NetworkX: modularity(G, [{0..4}, {5..9}]) = 0.4523809523809524
        assert!((modularity(&g, &labels, 1.0) - 0.452_380_952_380_952_4).abs() < 1e-12);
    }
}
