//! Shortest paths: unweighted (bidirectional BFS), all shortest paths, weighted
//! (Dijkstra) and the k shortest loopless paths (Yen).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use super::{Budget, QueryError};
use crate::graph::view::GraphView;
use crate::graph::NodeIx;

const NONE: NodeIx = NodeIx::MAX;

/// How many idle scratches the pool keeps (about as many as searches run at once).
const POOLED_SCRATCHES: usize = 4;

/// Idle scratches, reused by [`BfsScratch::with_pooled`].
static SCRATCH_POOL: std::sync::Mutex<Vec<BfsScratch>> = std::sync::Mutex::new(Vec::new());

/// Reusable scratch for breadth-first searches: visit marks are epoch stamps, so a
/// new search costs nothing to reset.
#[derive(Debug, Clone)]
pub struct BfsScratch {
    epoch: u32,
    seen_fwd: Vec<u32>,
    seen_bwd: Vec<u32>,
    parent_fwd: Vec<NodeIx>,
    parent_bwd: Vec<NodeIx>,
    front: Vec<NodeIx>,
    back: Vec<NodeIx>,
    next: Vec<NodeIx>,
}

impl BfsScratch {
    /// Scratch for graphs of up to `n` node slots.
    pub fn new(n: usize) -> Self {
        Self {
            epoch: 0,
            seen_fwd: vec![0; n],
            seen_bwd: vec![0; n],
            parent_fwd: vec![NONE; n],
            parent_bwd: vec![NONE; n],
            front: Vec::new(),
            back: Vec::new(),
            next: Vec::new(),
        }
    }

    /// Runs `f` with a scratch for `n` node slots taken from a process-wide pool, and
    /// puts it back afterwards (at most [`POOLED_SCRATCHES`] are kept). A scratch for a
    /// million nodes is 16 MB: allocating and zeroing one per query cost more than the
    /// search itself.
    pub fn with_pooled<R>(n: usize, f: impl FnOnce(&mut BfsScratch) -> R) -> R {
        let taken = SCRATCH_POOL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut scratch = taken.unwrap_or_else(|| Self::new(n));
        let result = f(&mut scratch);
        let mut pool = SCRATCH_POOL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if pool.len() < POOLED_SCRATCHES {
            pool.push(scratch);
        }
        result
    }

    fn start(&mut self, n: usize) {
        if self.seen_fwd.len() < n {
            *self = Self::new(n);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.seen_fwd.iter_mut().for_each(|s| *s = 0);
            self.seen_bwd.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
    }
}

/// A shortest path between two nodes by hop count (bidirectional BFS), within
/// `max_depth` hops. Matches the length of `networkx.shortest_path(G, s, t)`.
pub fn shortest_path(
    view: &GraphView,
    s: NodeIx,
    t: NodeIx,
    max_depth: usize,
    scratch: &mut BfsScratch,
) -> Option<Vec<NodeIx>> {
    if !view.contains(s) || !view.contains(t) {
        return None;
    }
    if s == t {
        return Some(vec![s]);
    }
    scratch.start(view.node_bound());
    let e = scratch.epoch;
    scratch.seen_fwd[s as usize] = e;
    scratch.parent_fwd[s as usize] = NONE;
    scratch.seen_bwd[t as usize] = e;
    scratch.parent_bwd[t as usize] = NONE;
    scratch.front.clear();
    scratch.front.push(s);
    scratch.back.clear();
    scratch.back.push(t);
    let (mut depth_f, mut depth_b) = (0usize, 0usize);
    while !scratch.front.is_empty() && !scratch.back.is_empty() && depth_f + depth_b < max_depth {
        let forward = frontier_cost(view, &scratch.front) <= frontier_cost(view, &scratch.back);
        let meet = if forward {
            depth_f += 1;
            expand(view, scratch, true)
        } else {
            depth_b += 1;
            expand(view, scratch, false)
        };
        if let Some((a, b)) = meet {
            return Some(join(scratch, a, b));
        }
    }
    None
}

fn frontier_cost(view: &GraphView, frontier: &[NodeIx]) -> usize {
    if frontier.len() > 64 {
        return frontier.len() * 8;
    }
    frontier.iter().map(|v| view.degree(*v)).sum()
}

/// Expands one level of one side; returns the meeting edge `(forward node, backward node)`.
fn expand(view: &GraphView, sc: &mut BfsScratch, forward: bool) -> Option<(NodeIx, NodeIx)> {
    let e = sc.epoch;
    let (frontier, seen, parent, other) = if forward {
        (
            std::mem::take(&mut sc.front),
            &mut sc.seen_fwd,
            &mut sc.parent_fwd,
            &sc.seen_bwd,
        )
    } else {
        (
            std::mem::take(&mut sc.back),
            &mut sc.seen_bwd,
            &mut sc.parent_bwd,
            &sc.seen_fwd,
        )
    };
    sc.next.clear();
    let mut meet = None;
    'outer: for &v in &frontier {
        for &w in view.neighbours(v) {
            if other[w as usize] == e {
                meet = Some(if forward { (v, w) } else { (w, v) });
                break 'outer;
            }
            if seen[w as usize] != e {
                seen[w as usize] = e;
                parent[w as usize] = v;
                sc.next.push(w);
            }
        }
    }
    let next = std::mem::take(&mut sc.next);
    sc.next = frontier;
    if forward {
        sc.front = next;
    } else {
        sc.back = next;
    }
    meet
}

fn join(sc: &BfsScratch, a: NodeIx, b: NodeIx) -> Vec<NodeIx> {
    let mut path = vec![a];
    let mut v = a;
    while sc.parent_fwd[v as usize] != NONE {
        v = sc.parent_fwd[v as usize];
        path.push(v);
    }
    path.reverse();
    let mut v = b;
    path.push(v);
    while sc.parent_bwd[v as usize] != NONE {
        v = sc.parent_bwd[v as usize];
        path.push(v);
    }
    path
}

/// Hop distances from `s` to every node (`u32::MAX` when unreachable), up to `max_depth`.
pub fn distances(view: &GraphView, s: NodeIx, max_depth: usize) -> Vec<u32> {
    let mut dist = vec![u32::MAX; view.node_bound()];
    if !view.contains(s) {
        return dist;
    }
    dist[s as usize] = 0;
    let mut queue = std::collections::VecDeque::from([s]);
    while let Some(v) = queue.pop_front() {
        let d = dist[v as usize];
        if d as usize >= max_depth {
            continue;
        }
        for &w in view.neighbours(v) {
            if dist[w as usize] == u32::MAX {
                dist[w as usize] = d + 1;
                queue.push_back(w);
            }
        }
    }
    dist
}

/// Every shortest path from `s` to `t`, at most `cap` of them; the flag says whether
/// more exist. Matches `networkx.all_shortest_paths(G, s, t)` as a set.
pub fn all_shortest_paths(
    view: &GraphView,
    s: NodeIx,
    t: NodeIx,
    max_depth: usize,
    cap: usize,
) -> Option<(Vec<Vec<NodeIx>>, bool)> {
    let dist = distances(view, s, max_depth);
    if !view.contains(t) || dist[t as usize] == u32::MAX {
        return None;
    }
    let mut paths = Vec::new();
    let mut stack = vec![t];
    let truncated = enumerate_back(view, &dist, s, &mut stack, &mut paths, cap);
    Some((paths, truncated))
}

/// Depth-first over predecessors; returns true when the cap cut the enumeration short.
fn enumerate_back(
    view: &GraphView,
    dist: &[u32],
    s: NodeIx,
    stack: &mut Vec<NodeIx>,
    out: &mut Vec<Vec<NodeIx>>,
    cap: usize,
) -> bool {
    let v = *stack.last().unwrap_or(&s);
    if v == s {
        if out.len() == cap {
            return true;
        }
        out.push(stack.iter().rev().copied().collect());
        return false;
    }
    let d = dist[v as usize];
    for &u in view.neighbours(v) {
        if dist[u as usize] != u32::MAX && dist[u as usize] + 1 == d {
            stack.push(u);
            let cut = enumerate_back(view, dist, s, stack, out, cap);
            stack.pop();
            if cut {
                return true;
            }
        }
    }
    false
}

#[derive(Clone, Copy, PartialEq)]
struct Entry {
    cost: f64,
    node: NodeIx,
}

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .cost
            .total_cmp(&self.cost)
            .then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Edges and nodes a Dijkstra run must avoid (for Yen's spur paths).
#[derive(Default)]
struct Avoid {
    nodes: HashSet<NodeIx>,
    edges: HashSet<(NodeIx, NodeIx)>,
}

/// The cheapest path from `s` to `t` where `weights[i]` is the cost of the i-th edge of
/// the view's edge arrays (positive). Matches `networkx.dijkstra_path_length`.
pub fn dijkstra(
    view: &GraphView,
    weights: &[f64],
    s: NodeIx,
    t: NodeIx,
    max_depth: usize,
) -> Option<(Vec<NodeIx>, f64)> {
    dijkstra_avoiding(view, weights, s, t, max_depth, &Avoid::default())
}

fn dijkstra_avoiding(
    view: &GraphView,
    weights: &[f64],
    s: NodeIx,
    t: NodeIx,
    max_depth: usize,
    avoid: &Avoid,
) -> Option<(Vec<NodeIx>, f64)> {
    if !view.contains(s) || !view.contains(t) || avoid.nodes.contains(&s) {
        return None;
    }
    let n = view.node_bound();
    let mut cost = vec![f64::INFINITY; n];
    let mut hops = vec![u32::MAX; n];
    let mut parent = vec![NONE; n];
    let mut heap = BinaryHeap::new();
    cost[s as usize] = 0.0;
    hops[s as usize] = 0;
    heap.push(Entry { cost: 0.0, node: s });
    while let Some(Entry { cost: c, node: v }) = heap.pop() {
        if c > cost[v as usize] {
            continue;
        }
        if v == t {
            break;
        }
        if hops[v as usize] as usize >= max_depth {
            continue;
        }
        let start = view.edge_start(v);
        for (i, &w) in view.neighbours(v).iter().enumerate() {
            if avoid.nodes.contains(&w) || avoid.edges.contains(&(v, w)) {
                continue;
            }
            let next = c + weights[start + i];
            if next < cost[w as usize] {
                cost[w as usize] = next;
                hops[w as usize] = hops[v as usize] + 1;
                parent[w as usize] = v;
                heap.push(Entry {
                    cost: next,
                    node: w,
                });
            }
        }
    }
    if cost[t as usize].is_infinite() {
        return None;
    }
    let mut path = vec![t];
    let mut v = t;
    while parent[v as usize] != NONE {
        v = parent[v as usize];
        path.push(v);
    }
    path.reverse();
    Some((path, cost[t as usize]))
}

fn path_cost(view: &GraphView, weights: &[f64], path: &[NodeIx]) -> f64 {
    path.windows(2)
        .map(|w| {
            view.edge_index(w[0], w[1])
                .map_or(f64::INFINITY, |i| weights[i])
        })
        .sum()
}

/// The `k` cheapest loopless paths from `s` to `t`, cheapest first (Yen's algorithm).
/// Matches the costs of `networkx.shortest_simple_paths(G, s, t, weight)`.
pub fn k_shortest_paths(
    view: &GraphView,
    weights: &[f64],
    s: NodeIx,
    t: NodeIx,
    k: usize,
    max_depth: usize,
    budget: &Budget,
) -> Result<Vec<(Vec<NodeIx>, f64)>, QueryError> {
    let mut found: Vec<(Vec<NodeIx>, f64)> = Vec::new();
    let Some(first) = dijkstra(view, weights, s, t, max_depth) else {
        return Ok(found);
    };
    found.push(first);
    let mut candidates: Vec<(Vec<NodeIx>, f64)> = Vec::new();
    while found.len() < k {
        budget.check()?;
        let last = found[found.len() - 1].0.clone();
        for i in 0..last.len().saturating_sub(1) {
            let root = &last[..=i];
            let mut avoid = Avoid::default();
            for (p, _) in &found {
                if p.len() > i + 1 && p[..=i] == *root {
                    avoid.edges.insert((p[i], p[i + 1]));
                    avoid.edges.insert((p[i + 1], p[i]));
                }
            }
            avoid.nodes.extend(root[..i].iter().copied());
            let depth_left = max_depth.saturating_sub(i);
            if let Some((spur, _)) =
                dijkstra_avoiding(view, weights, root[i], t, depth_left, &avoid)
            {
                let mut path = root[..i].to_vec();
                path.extend(spur);
                let cost = path_cost(view, weights, &path);
                if !candidates.iter().any(|(p, _)| *p == path)
                    && !found.iter().any(|(p, _)| *p == path)
                {
                    candidates.push((path, cost));
                }
            }
        }
        let Some(best) = candidates
            .iter()
            .enumerate()
            .min_by(|a, b| {
                a.1 .1
                    .total_cmp(&b.1 .1)
                    .then(a.1 .0.len().cmp(&b.1 .0.len()))
            })
            .map(|(i, _)| i)
        else {
            break;
        };
        found.push(candidates.swap_remove(best));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0-1-2-3 and 0-4-3, plus 5 alone.
    fn graph() -> GraphView {
        GraphView::from_edges(6, &[(0, 1), (1, 2), (2, 3), (0, 4), (4, 3)])
    }

    #[test]
    fn bidirectional_bfs_finds_a_shortest_path() {
        let g = graph();
        let mut sc = BfsScratch::new(6);
        assert_eq!(shortest_path(&g, 0, 3, 10, &mut sc), Some(vec![0, 4, 3]));
        assert_eq!(
            shortest_path(&g, 1, 4, 10, &mut sc).map(|p| p.len()),
            Some(3)
        );
        assert_eq!(shortest_path(&g, 0, 5, 10, &mut sc), None);
        assert_eq!(shortest_path(&g, 2, 2, 10, &mut sc), Some(vec![2]));
        assert_eq!(
            shortest_path(&g, 0, 2, 1, &mut sc),
            None,
            "max_depth 1 cannot reach a node 2 hops away"
        );
        assert_eq!(shortest_path(&g, 0, 2, 2, &mut sc), Some(vec![0, 1, 2]));
    }

    #[test]
    fn pooled_scratches_serve_searches_on_graphs_of_any_size() {
        let small = graph();
        // A path 0-1-…-99 needs a scratch larger than the one the small graph made.
        let edges: Vec<(NodeIx, NodeIx)> = (0..99).map(|v| (v, v + 1)).collect();
        let long = GraphView::from_edges(100, &edges);
        for _ in 0..3 {
            let found = BfsScratch::with_pooled(6, |sc| shortest_path(&small, 0, 3, 10, sc));
            assert_eq!(found, Some(vec![0, 4, 3]));
            let found = BfsScratch::with_pooled(100, |sc| shortest_path(&long, 0, 99, 200, sc));
            assert_eq!(found.map(|p| p.len()), Some(100));
            let found = BfsScratch::with_pooled(6, |sc| shortest_path(&small, 0, 5, 10, sc));
            assert_eq!(
                found, None,
                "stale marks from an earlier search must not count"
            );
        }
    }

    #[test]
    fn all_shortest_paths_are_enumerated_and_capped() {
        // A 2x2 grid: two shortest paths from corner to corner.
        let g = GraphView::from_edges(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]);
        let (paths, truncated) = all_shortest_paths(&g, 0, 3, 10, 10).unwrap();
        assert_eq!(
            (paths, truncated),
            (vec![vec![0, 1, 3], vec![0, 2, 3]], false)
        );
        let (paths, truncated) = all_shortest_paths(&g, 0, 3, 10, 1).unwrap();
        assert_eq!((paths.len(), truncated), (1, true));
    }

    #[test]
    fn dijkstra_and_yen_rank_paths_by_cost() {
        let g = graph();
        // Make 0-4 expensive: the long way round becomes cheapest.
        let mut weights = vec![1.0; g.edge_count() * 2];
        for (a, b) in [(0, 4), (4, 0)] {
            weights[g.edge_index(a, b).unwrap()] = 5.0;
        }
        assert_eq!(
            dijkstra(&g, &weights, 0, 3, 10),
            Some((vec![0, 1, 2, 3], 3.0))
        );
        let paths = k_shortest_paths(&g, &weights, 0, 3, 5, 10, &Budget::unlimited()).unwrap();
        assert_eq!(paths, vec![(vec![0, 1, 2, 3], 3.0), (vec![0, 4, 3], 6.0)]);
    }
}
