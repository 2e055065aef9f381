//! A filtered view of a snapshot laid out as a plain CSR: the simple undirected graph
//! whose nodes pass the node filter and whose edges are the node pairs joined by at
//! least one admitted link. Built in one linear pass, cached per snapshot and filter,
//! so every algorithm runs on flat arrays.

use super::filter::Filter;
use super::{GraphSnapshot, LinkIx, NodeIx};

/// The simple undirected graph a query sees. Node indices are the snapshot's.
#[derive(Debug, Clone)]
pub struct GraphView {
    offsets: Vec<u32>,
    targets: Vec<NodeIx>,
    pairs: Vec<u32>,
    included: Vec<bool>,
    included_count: usize,
}

impl GraphView {
    /// Builds the view of `graph` under `filter`.
    pub fn build(graph: &GraphSnapshot, filter: &Filter) -> Self {
        let n = graph.node_bound();
        let admitted: Vec<bool> = (0..graph.link_bound() as LinkIx)
            .map(|l| graph.is_live_link(l) && filter.admits_link(graph.link(l)))
            .collect();
        let included: Vec<bool> = (0..n as NodeIx)
            .map(|v| graph.is_live_node(v) && filter.admits_node(graph.node_kind(v)))
            .collect();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::new();
        let mut pairs = Vec::new();
        offsets.push(0);
        for v in 0..n as NodeIx {
            if included[v as usize] {
                let start = targets.len();
                for (w, pair, links) in graph.neighbours_with_pairs(v) {
                    if included[w as usize] && links.iter().any(|l| admitted[l as usize]) {
                        targets.push(w);
                        pairs.push(pair);
                    }
                }
                // Pairs from the overlay follow the base's sorted row: sort the row
                // again when there are any.
                if graph.overlay_changes() > 0 && targets[start..].windows(2).any(|w| w[0] > w[1]) {
                    let mut row: Vec<(NodeIx, u32)> = targets[start..]
                        .iter()
                        .copied()
                        .zip(pairs[start..].iter().copied())
                        .collect();
                    row.sort_unstable();
                    for (i, (w, pair)) in row.into_iter().enumerate() {
                        targets[start + i] = w;
                        pairs[start + i] = pair;
                    }
                }
            }
            offsets.push(targets.len() as u32);
        }
        let included_count = included.iter().filter(|b| **b).count();
        Self {
            offsets,
            targets,
            pairs,
            included,
            included_count,
        }
    }

    /// Builds a view straight from an edge list over `n` nodes (benches, tests).
    pub fn from_edges(n: usize, edges: &[(NodeIx, NodeIx)]) -> Self {
        let mut half: Vec<(NodeIx, NodeIx)> = edges
            .iter()
            .flat_map(|&(a, b)| [(a, b), (b, a)])
            .filter(|(a, b)| a != b)
            .collect();
        half.sort_unstable();
        half.dedup();
        let mut offsets = vec![0u32; n + 1];
        for (a, _) in &half {
            offsets[*a as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let targets = half.iter().map(|(_, b)| *b).collect();
        Self {
            offsets,
            targets,
            pairs: vec![u32::MAX; half.len()],
            included: vec![true; n],
            included_count: n,
        }
    }

    /// The raw arrays: row offsets (length `node_bound + 1`), targets, and inclusion marks.
    pub fn csr(&self) -> (&[u32], &[NodeIx], &[bool]) {
        (&self.offsets, &self.targets, &self.included)
    }

    /// Number of node slots (included or not).
    pub fn node_bound(&self) -> usize {
        self.included.len()
    }

    /// Number of nodes in the view.
    pub fn node_count(&self) -> usize {
        self.included_count
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        self.targets.len() / 2
    }

    /// Whether node `v` is in the view.
    #[inline]
    pub fn contains(&self, v: NodeIx) -> bool {
        self.included.get(v as usize).copied().unwrap_or(false)
    }

    /// Nodes in the view, in index order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeIx> + '_ {
        (0..self.included.len() as NodeIx).filter(|v| self.included[*v as usize])
    }

    /// Neighbours of `v`, sorted.
    #[inline]
    pub fn neighbours(&self, v: NodeIx) -> &[NodeIx] {
        let (a, b) = (
            self.offsets[v as usize] as usize,
            self.offsets[v as usize + 1] as usize,
        );
        &self.targets[a..b]
    }

    /// Degree of `v`.
    #[inline]
    pub fn degree(&self, v: NodeIx) -> usize {
        (self.offsets[v as usize + 1] - self.offsets[v as usize]) as usize
    }

    /// Neighbours of `v` with the snapshot pair index of each edge.
    pub fn neighbours_with_pairs(&self, v: NodeIx) -> impl Iterator<Item = (NodeIx, u32)> + '_ {
        let (a, b) = (
            self.offsets[v as usize] as usize,
            self.offsets[v as usize + 1] as usize,
        );
        self.targets[a..b]
            .iter()
            .copied()
            .zip(self.pairs[a..b].iter().copied())
    }

    /// Position of the edge `v → w` in the edge arrays, if it exists.
    pub fn edge_index(&self, v: NodeIx, w: NodeIx) -> Option<usize> {
        let a = self.offsets[v as usize] as usize;
        self.neighbours(v).binary_search(&w).ok().map(|i| a + i)
    }

    /// The start of `v`'s edges in the edge arrays.
    #[inline]
    pub fn edge_start(&self, v: NodeIx) -> usize {
        self.offsets[v as usize] as usize
    }

    /// The snapshot pair index of the edge at `position`.
    pub fn pair_at(&self, position: usize) -> u32 {
        self.pairs[position]
    }
}
