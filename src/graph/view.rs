//! A filtered view of a snapshot laid out as a plain CSR: the simple undirected graph
//! whose nodes pass the node filter and whose edges are the node pairs joined by at
//! least one admitted link. Built in one linear pass, cached per snapshot and filter,
//! so every algorithm runs on flat arrays.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::filter::Filter;
use super::{GraphSnapshot, LinkIx, NodeIx};

/// The simple undirected graph a query sees. Node indices are the snapshot's.
///
/// A view of a snapshot whose overlay is empty is one flat CSR. Otherwise it is the
/// flat view of the snapshot's base (built once per base and filter, shared) plus the
/// rows of the nodes the overlay touched, recomputed: a write costs readers the rows it
/// changed, not a rebuild of the whole view. Whole-graph algorithms that want flat
/// arrays ([`GraphView::csr`], positions) get them merged on first use.
#[derive(Debug)]
pub struct GraphView {
    flat: Arc<FlatView>,
    patch: Option<Patch>,
    merged: OnceLock<Arc<FlatView>>,
}

/// One CSR over every node slot.
#[derive(Debug, Clone)]
pub struct FlatView {
    offsets: Vec<u32>,
    targets: Vec<NodeIx>,
    pairs: Vec<u32>,
    included: Vec<bool>,
    included_count: usize,
}

/// Rows recomputed over a base view.
#[derive(Debug)]
struct Patch {
    rows: HashMap<NodeIx, (Vec<NodeIx>, Vec<u32>)>,
    patched: Vec<u64>,
    included: Vec<bool>,
    included_count: usize,
    half_edges: usize,
}

impl Patch {
    #[inline]
    fn row(&self, v: NodeIx) -> Option<&(Vec<NodeIx>, Vec<u32>)> {
        let bit = self.patched.get(v as usize / 64)? & (1 << (v % 64));
        if bit == 0 {
            None
        } else {
            self.rows.get(&v)
        }
    }
}

impl FlatView {
    /// Builds the flat view of `graph` under `filter` in one pass over the graph.
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
        Self::from_rows(offsets, targets, pairs, included)
    }

    /// The flat view of `graph`, whose overlay only appended nodes and links
    /// ([`GraphSnapshot::compaction_keeps_indices`]), under `filter`, from `base`, the
    /// view of its base under the same filter: the base's rows plus the half-edges of
    /// the pairs an appended admitted link makes visible, merged in. Linear in the view
    /// plus the overlay: a compaction's views do not filter every link again, nor
    /// recompute whole rows of busy nodes.
    pub fn extend_appended(base: &FlatView, graph: &GraphSnapshot, filter: &Filter) -> Self {
        let n = graph.node_bound();
        let mut included = base.included.clone();
        included.resize(n, false);
        for v in base.included.len()..n {
            let v_ix = v as NodeIx;
            included[v] = graph.is_live_node(v_ix) && filter.admits_node(graph.node_kind(v_ix));
        }
        let mut added: Vec<(NodeIx, NodeIx, u32)> = Vec::new();
        for l in graph.base.links.len()..graph.link_bound() {
            let link = graph.link(l as LinkIx);
            if !filter.admits_link(link) {
                continue;
            }
            for (i, &a) in link.members.iter().enumerate() {
                for &b in &link.members[i + 1..] {
                    let visible = included[a as usize] && included[b as usize];
                    if !visible || base.row(a).0.binary_search(&b).is_ok() {
                        continue;
                    }
                    if let Some(pair) = graph.pair_of(a, b) {
                        added.push((a, b, pair));
                        added.push((b, a, pair));
                    }
                }
            }
        }
        added.sort_unstable();
        added.dedup();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::with_capacity(base.targets.len() + added.len());
        let mut pairs = Vec::with_capacity(base.targets.len() + added.len());
        offsets.push(0);
        let mut next = added.iter().peekable();
        for v in 0..n as NodeIx {
            let (row_targets, row_pairs) = base.row(v);
            let mut i = 0;
            loop {
                let extra =
                    next.next_if(|(a, x, _)| *a == v && row_targets.get(i).is_none_or(|&w| *x < w));
                if let Some(&(_, x, pair)) = extra {
                    targets.push(x);
                    pairs.push(pair);
                } else if let Some(&w) = row_targets.get(i) {
                    targets.push(w);
                    pairs.push(row_pairs[i]);
                    i += 1;
                } else {
                    break;
                }
            }
            offsets.push(targets.len() as u32);
        }
        Self::from_rows(offsets, targets, pairs, included)
    }

    /// A view of CSR rows (`offsets` of `targets` and `pairs`) and inclusion marks.
    fn from_rows(
        offsets: Vec<u32>,
        targets: Vec<NodeIx>,
        pairs: Vec<u32>,
        included: Vec<bool>,
    ) -> Self {
        let included_count = included.iter().filter(|b| **b).count();
        Self {
            offsets,
            targets,
            pairs,
            included,
            included_count,
        }
    }

    fn row(&self, v: NodeIx) -> (&[NodeIx], &[u32]) {
        match (
            self.offsets.get(v as usize),
            self.offsets.get(v as usize + 1),
        ) {
            (Some(&a), Some(&b)) => (
                &self.targets[a as usize..b as usize],
                &self.pairs[a as usize..b as usize],
            ),
            _ => (&[], &[]),
        }
    }
}

impl GraphView {
    /// Builds the view of `graph` under `filter` from scratch.
    pub fn build(graph: &GraphSnapshot, filter: &Filter) -> Self {
        Self::from_flat(Arc::new(FlatView::build(graph, filter)))
    }

    fn from_flat(flat: Arc<FlatView>) -> Self {
        Self {
            flat,
            patch: None,
            merged: OnceLock::new(),
        }
    }

    /// The view of `graph` under `filter`, given `base`, the flat view of the same
    /// filter over `graph`'s base ([`GraphSnapshot::base_graph`]): the base's rows,
    /// with the rows of every node the overlay touched recomputed from `graph`.
    pub fn over_base(base: Arc<FlatView>, graph: &GraphSnapshot, filter: &Filter) -> Self {
        if graph.overlay_changes() == 0 {
            return Self::from_flat(base);
        }
        let n = graph.node_bound();
        let mut included = base.included.clone();
        included.resize(n, false);
        let touched: Vec<NodeIx> = graph.touched_nodes().collect();
        for &v in &touched {
            included[v as usize] = graph.is_live_node(v) && filter.admits_node(graph.node_kind(v));
        }
        let mut patched = vec![0u64; n.div_ceil(64)];
        let mut rows = HashMap::with_capacity(touched.len());
        let mut half_edges = base.targets.len();
        for &v in &touched {
            let mut row: Vec<(NodeIx, u32)> = Vec::new();
            if included[v as usize] {
                for (w, pair, mut links) in graph.neighbours_with_pairs(v) {
                    if included[w as usize] && links.any(|l| filter.admits_link(graph.link(l))) {
                        row.push((w, pair));
                    }
                }
                row.sort_unstable();
            }
            half_edges = half_edges + row.len() - base.row(v).0.len();
            patched[v as usize / 64] |= 1 << (v % 64);
            rows.insert(v, row.into_iter().unzip());
        }
        let included_count = included.iter().filter(|b| **b).count();
        Self {
            flat: base,
            patch: Some(Patch {
                rows,
                patched,
                included,
                included_count,
                half_edges,
            }),
            merged: OnceLock::new(),
        }
    }

    /// The view as one flat CSR (merged from the patch on first use).
    fn whole(&self) -> &FlatView {
        let Some(patch) = &self.patch else {
            return &self.flat;
        };
        self.merged.get_or_init(|| {
            let n = patch.included.len();
            let mut offsets = Vec::with_capacity(n + 1);
            let mut targets = Vec::with_capacity(patch.half_edges);
            let mut pairs = Vec::with_capacity(patch.half_edges);
            offsets.push(0);
            for v in 0..n as NodeIx {
                let (t, p) = match patch.row(v) {
                    Some((t, p)) => (t.as_slice(), p.as_slice()),
                    None => self.flat.row(v),
                };
                targets.extend_from_slice(t);
                pairs.extend_from_slice(p);
                offsets.push(targets.len() as u32);
            }
            Arc::new(FlatView {
                offsets,
                targets,
                pairs,
                included: patch.included.clone(),
                included_count: patch.included_count,
            })
        })
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
        Self::from_flat(Arc::new(FlatView {
            offsets,
            targets,
            pairs: vec![u32::MAX; half.len()],
            included: vec![true; n],
            included_count: n,
        }))
    }

    /// The raw arrays: row offsets (length `node_bound + 1`), targets, and inclusion marks.
    pub fn csr(&self) -> (&[u32], &[NodeIx], &[bool]) {
        let whole = self.whole();
        (&whole.offsets, &whole.targets, &whole.included)
    }

    fn included(&self) -> &[bool] {
        match &self.patch {
            Some(patch) => &patch.included,
            None => &self.flat.included,
        }
    }

    /// Heap bytes of the view's flat arrays (the base view's, shared with other views of
    /// the same base, counted here in full; a merged copy, once made, too), for memory
    /// reports.
    pub fn heap_bytes(&self) -> usize {
        let flat = |f: &FlatView| {
            (f.offsets.capacity() + f.targets.capacity() + f.pairs.capacity()) * 4
                + f.included.capacity()
        };
        let patch = self.patch.as_ref().map_or(0, |p| {
            p.rows
                .values()
                .map(|(t, q)| (t.capacity() + q.capacity()) * 4)
                .sum::<usize>()
                + p.patched.capacity() * 8
                + p.included.capacity()
        });
        flat(&self.flat) + patch + self.merged.get().map_or(0, |m| flat(m))
    }

    /// Number of node slots (included or not).
    pub fn node_bound(&self) -> usize {
        self.included().len()
    }

    /// Number of nodes in the view.
    pub fn node_count(&self) -> usize {
        match &self.patch {
            Some(patch) => patch.included_count,
            None => self.flat.included_count,
        }
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        match &self.patch {
            Some(patch) => patch.half_edges / 2,
            None => self.flat.targets.len() / 2,
        }
    }

    /// Whether node `v` is in the view.
    #[inline]
    pub fn contains(&self, v: NodeIx) -> bool {
        self.included().get(v as usize).copied().unwrap_or(false)
    }

    /// Nodes in the view, in index order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeIx> + '_ {
        let included = self.included();
        (0..included.len() as NodeIx).filter(|v| included[*v as usize])
    }

    #[inline]
    fn row(&self, v: NodeIx) -> (&[NodeIx], &[u32]) {
        if let Some((t, p)) = self.patch.as_ref().and_then(|patch| patch.row(v)) {
            return (t, p);
        }
        self.flat.row(v)
    }

    /// Neighbours of `v`, sorted.
    #[inline]
    pub fn neighbours(&self, v: NodeIx) -> &[NodeIx] {
        self.row(v).0
    }

    /// Degree of `v`.
    #[inline]
    pub fn degree(&self, v: NodeIx) -> usize {
        self.row(v).0.len()
    }

    /// Neighbours of `v` with the snapshot pair index of each edge.
    pub fn neighbours_with_pairs(&self, v: NodeIx) -> impl Iterator<Item = (NodeIx, u32)> + '_ {
        let (targets, pairs) = self.row(v);
        targets.iter().copied().zip(pairs.iter().copied())
    }

    /// Neighbours of `v`, sorted, and the snapshot pair index of each edge (same order).
    #[inline]
    pub fn neighbours_and_pairs(&self, v: NodeIx) -> (&[NodeIx], &[u32]) {
        self.row(v)
    }

    /// The snapshot pair index of the edge `v`–`w`, if the view has it.
    pub fn pair_between(&self, v: NodeIx, w: NodeIx) -> Option<u32> {
        let (targets, pairs) = self.row(v);
        targets.binary_search(&w).ok().map(|i| pairs[i])
    }

    /// Position of the edge `v → w` in the flat edge arrays, if it exists.
    pub fn edge_index(&self, v: NodeIx, w: NodeIx) -> Option<usize> {
        let whole = self.whole();
        let (a, b) = (
            whole.offsets[v as usize] as usize,
            whole.offsets[v as usize + 1] as usize,
        );
        whole.targets[a..b].binary_search(&w).ok().map(|i| a + i)
    }

    /// The start of `v`'s edges in the flat edge arrays.
    #[inline]
    pub fn edge_start(&self, v: NodeIx) -> usize {
        self.whole().offsets[v as usize] as usize
    }

    /// The snapshot pair index of the edge at `position` of the flat edge arrays.
    pub fn pair_at(&self, position: usize) -> u32 {
        self.whole().pairs[position]
    }
}
