//! The in-memory graph: an immutable projection of the store, shared as `Arc`.
//!
//! Nodes get dense `u32` indices; adjacency is a petgraph compressed-sparse-row
//! graph ([`petgraph::csr::Csr`]) holding each undirected pair of nodes once per
//! direction. The weight of a pair is an index into a table of the links that join it
//! (two cities may have both a twinning and a friendship link). A trilateral link is
//! projected as a triangle: its three pairs all list the same link.
//!
//! This module never reads the store: [`project`] builds a snapshot from records.

pub mod algo;
pub mod builder;
pub mod filter;
mod fold_appends;
mod ids;
mod layout;
mod link_ids;
mod overlay;
pub mod persist;
pub mod project;
pub mod view;

use petgraph::csr::Csr;
use petgraph::Directed;

use crate::model::{Evidence, LinkId, LinkKind, LinkStatus, NodeId, NodeKind, PartialDate};

/// Dense index of a node in a snapshot.
pub type NodeIx = u32;
/// Dense index of a link in a snapshot.
pub type LinkIx = u32;

/// Most members a link has (a trilateral link has three).
pub const MAX_MEMBERS: usize = 3;

/// The member nodes of a link, inline (no allocation per link); derefs to a slice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Members {
    ix: [NodeIx; MAX_MEMBERS],
    len: u8,
}

impl Members {
    /// The members, or `None` when there are more than [`MAX_MEMBERS`].
    pub fn new(members: &[NodeIx]) -> Option<Self> {
        let mut ix = [0; MAX_MEMBERS];
        ix.get_mut(..members.len())?.copy_from_slice(members);
        Some(Self {
            ix,
            len: members.len() as u8,
        })
    }
}

impl std::ops::Deref for Members {
    type Target = [NodeIx];

    fn deref(&self) -> &[NodeIx] {
        &self.ix[..self.len as usize]
    }
}

/// What a snapshot keeps of a link for traversal and filtering (its id is kept apart,
/// interned: [`GraphSnapshot::link_id`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkEntry {
    /// Its kind.
    pub kind: LinkKind,
    /// Its status.
    pub status: LinkStatus,
    /// Whether its source states it.
    pub evidence: Evidence,
    /// When it was signed.
    pub signed: Option<PartialDate>,
    /// When it ended.
    pub ended: Option<PartialDate>,
    /// Member nodes, in the record's order.
    pub members: Members,
}

/// An immutable graph at one version of the store: a compact base plus an overlay of
/// the changes committed since the base was built.
///
/// A write does not rebuild the graph: [`project::apply`] copies the (small) overlay
/// and records the write's nodes and links in it — appended indices for new nodes and
/// links, tombstones for removed ones, extra adjacency for new node pairs — so its cost
/// follows the size of the change, not of the graph. When the overlay has grown large,
/// [`project::compact`] folds it into a new base (off the write path: the service's
/// snapshot pipeline). Dense indices are stable until then;
/// removed nodes and links keep their slots as tombstones, which views leave out.
#[derive(Debug, Clone)]
pub struct GraphSnapshot {
    version: u64,
    base: std::sync::Arc<Base>,
    overlay: std::sync::Arc<overlay::Overlay>,
}

/// The compact part of a snapshot, as built from records.
#[derive(Debug)]
pub(crate) struct Base {
    node_ids: ids::IdTable,
    node_kinds: Vec<NodeKind>,
    links: Vec<LinkEntry>,
    link_ids: link_ids::LinkIds,
    adjacency: Csr<(), u32, Directed, u32>,
    pair_offsets: Vec<u32>,
    pair_links: Vec<LinkIx>,
}

impl Base {
    fn names(&self) -> link_ids::Names<'_> {
        link_ids::Names {
            nodes: &self.node_ids,
            links: &self.links,
        }
    }

    /// The base link with id `id`, live or not.
    fn find_link(&self, id: &str) -> Option<LinkIx> {
        self.link_ids
            .find_chosen(id)
            .or_else(|| self.find_derived(id))
    }

    /// The base link whose derived id (`kind:a+b`, see [`link_ids`]) is `id`: found at
    /// the pair of its first two members. A node id stored before `+` was refused in
    /// them may hold one, so every split of the members is tried (there are at most a
    /// few `+` in an id).
    fn find_derived(&self, id: &str) -> Option<LinkIx> {
        let (kind, members) = id.split_once(':')?;
        let kind = LinkKind::ALL.into_iter().find(|k| k.as_str() == kind)?;
        let pluses: Vec<usize> = members.match_indices('+').map(|(at, _)| at).collect();
        let mut written = String::with_capacity(id.len());
        for (i, &first_end) in pluses.iter().enumerate() {
            let Some(a) = self.node_ids.find(&members[..first_end]) else {
                continue;
            };
            let second_ends = pluses[i + 1..].iter().copied().chain([members.len()]);
            for second_end in second_ends {
                let Some(b) = self.node_ids.find(&members[first_end + 1..second_end]) else {
                    continue;
                };
                let Some(pair) = self.pair_between(a, b) else {
                    continue;
                };
                for &l in self.pair_slice(pair) {
                    if self.links[l as usize].kind != kind || !self.link_ids.is_derived(l) {
                        continue;
                    }
                    written.clear();
                    self.link_ids.write(self.names(), l, &mut written);
                    if written == id {
                        return Some(l);
                    }
                }
            }
        }
        None
    }

    fn pair_count(&self) -> usize {
        self.pair_offsets.len().saturating_sub(1)
    }

    fn pair_slice(&self, pair: u32) -> &[LinkIx] {
        let start = self.pair_offsets[pair as usize] as usize;
        let end = self.pair_offsets[pair as usize + 1] as usize;
        &self.pair_links[start..end]
    }

    /// The pair index of `a`–`b` in the base, if they are adjacent there.
    fn pair_between(&self, a: NodeIx, b: NodeIx) -> Option<u32> {
        if a as usize >= self.node_ids.len() || b as usize >= self.node_ids.len() {
            return None;
        }
        let targets = self.adjacency.neighbors_slice(a);
        let pairs = self.adjacency.edges_slice(a);
        targets.binary_search(&b).ok().map(|i| pairs[i])
    }
}

/// The live links of one node pair.
#[derive(Clone)]
pub struct PairLinks<'a> {
    graph: &'a GraphSnapshot,
    first: std::slice::Iter<'a, LinkIx>,
    second: std::slice::Iter<'a, LinkIx>,
}

impl PairLinks<'_> {
    /// The links again from the start (the iterator is cheap to copy).
    pub fn iter(&self) -> Self {
        self.clone()
    }
}

impl Iterator for PairLinks<'_> {
    type Item = LinkIx;

    fn next(&mut self) -> Option<LinkIx> {
        loop {
            let l = *self.first.next().or_else(|| self.second.next())?;
            if self.graph.is_live_link(l) {
                return Some(l);
            }
        }
    }
}

/// Ids written one after another into one buffer ([`GraphSnapshot::link_ids`]).
#[derive(Debug, Default)]
pub struct WrittenIds {
    text: String,
    /// Where each id ends in `text`.
    ends: Vec<usize>,
}

impl WrittenIds {
    /// The ids, in the order asked for.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.text[start..end])
    }
}

impl GraphSnapshot {
    /// The store version this snapshot reflects.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of live nodes.
    pub fn node_count(&self) -> usize {
        self.node_bound() - self.overlay.dead_nodes.len()
    }

    /// Number of node slots: live nodes and tombstones; indices run below it.
    pub fn node_bound(&self) -> usize {
        self.base.node_ids.len() + self.overlay.node_ids.len()
    }

    /// Number of live links (a trilateral link counts once).
    pub fn link_count(&self) -> usize {
        self.link_bound() - self.overlay.dead_links.len()
    }

    /// Number of link slots: live links and tombstones.
    pub fn link_bound(&self) -> usize {
        self.base.links.len() + self.overlay.links.len()
    }

    /// Number of distinct node pairs ever adjacent in this snapshot (including pairs
    /// whose links were all removed since the base was built).
    pub fn pair_count(&self) -> usize {
        self.base.pair_count() + self.overlay.new_pairs.len()
    }

    /// The same graph without its overlay: the base as it was built (same version
    /// number), whose views [`view::GraphView::over_base`] patches.
    pub fn base_graph(&self) -> GraphSnapshot {
        GraphSnapshot {
            version: self.version,
            base: std::sync::Arc::clone(&self.base),
            overlay: std::sync::Arc::default(),
        }
    }

    /// Whether compacting this snapshot keeps every node, link and pair index (its
    /// overlay only appended nodes and links): its base's views then extend in place.
    pub fn compaction_keeps_indices(&self) -> bool {
        self.overlay.only_appends()
    }

    /// Whether two snapshots share one base.
    pub fn same_base(&self, other: &GraphSnapshot) -> bool {
        std::sync::Arc::ptr_eq(&self.base, &other.base)
    }

    /// Nodes whose rows in a view may differ from the base's (see the overlay).
    pub fn touched_nodes(&self) -> impl Iterator<Item = NodeIx> + '_ {
        self.overlay.touched.iter().copied()
    }

    /// Changes recorded in the overlay since the base was built.
    pub fn overlay_changes(&self) -> usize {
        self.overlay.changes
    }

    /// Whether the node slot `ix` holds a live node.
    #[inline]
    pub fn is_live_node(&self, ix: NodeIx) -> bool {
        self.overlay.dead_nodes.is_empty() || !self.overlay.dead_nodes.contains(&ix)
    }

    /// Whether the link slot `ix` holds a live link.
    #[inline]
    pub fn is_live_link(&self, ix: LinkIx) -> bool {
        self.overlay.dead_links.is_empty() || !self.overlay.dead_links.contains(&ix)
    }

    /// Every live link index.
    pub fn live_links(&self) -> impl Iterator<Item = LinkIx> + '_ {
        (0..self.link_bound() as LinkIx).filter(|l| self.is_live_link(*l))
    }

    /// Every live node index.
    pub fn live_nodes(&self) -> impl Iterator<Item = NodeIx> + '_ {
        (0..self.node_bound() as NodeIx).filter(|v| self.is_live_node(*v))
    }

    /// The dense index of a live node.
    pub fn index_of(&self, id: &NodeId) -> Option<NodeIx> {
        if let Some(ix) = self.overlay.node_index.get(id) {
            return self.is_live_node(*ix).then_some(*ix);
        }
        self.base
            .node_ids
            .find(id.as_str())
            .filter(|ix| self.is_live_node(*ix))
    }

    /// The id of a dense index.
    pub fn node_id(&self, ix: NodeIx) -> &str {
        let base = self.base.node_ids.len();
        match (ix as usize).checked_sub(base) {
            Some(i) => self.overlay.node_ids[i].as_str(),
            None => self.base.node_ids.get(ix),
        }
    }

    /// The kind of a node.
    pub fn node_kind(&self, ix: NodeIx) -> NodeKind {
        let base = self.base.node_ids.len();
        match (ix as usize).checked_sub(base) {
            Some(i) => self.overlay.node_kinds[i],
            None => match self.overlay.kind_changes.get(&ix) {
                Some(kind) => *kind,
                None => self.base.node_kinds[ix as usize],
            },
        }
    }

    /// A link by dense index.
    pub fn link(&self, ix: LinkIx) -> &LinkEntry {
        let base = self.base.links.len();
        match (ix as usize).checked_sub(base) {
            Some(i) => &self.overlay.links[i],
            None => &self.base.links[ix as usize],
        }
    }

    /// The ids of `links`, written one after another into one buffer (see
    /// [`GraphSnapshot::link_id`]): a derived id is written out from its members, and a
    /// `String` each, grown a few times, was ~4 % of a large 2-hop answer.
    pub fn link_ids(&self, links: &[LinkIx]) -> WrittenIds {
        let mut written = WrittenIds {
            text: String::with_capacity(links.len() * 48),
            ends: Vec::with_capacity(links.len()),
        };
        let base = self.base.links.len();
        for &ix in links {
            match (ix as usize).checked_sub(base) {
                Some(i) => written.text.push_str(self.overlay.link_ids[i].as_str()),
                None => self
                    .base
                    .link_ids
                    .write(self.base.names(), ix, &mut written.text),
            }
            written.ends.push(written.text.len());
        }
        written
    }

    /// The id of a link by dense index (a derived id is written out on demand).
    pub fn link_id(&self, ix: LinkIx) -> std::borrow::Cow<'_, str> {
        let base = self.base.links.len();
        match (ix as usize).checked_sub(base) {
            Some(i) => std::borrow::Cow::Borrowed(self.overlay.link_ids[i].as_str()),
            None => self.base.link_ids.get(self.base.names(), ix),
        }
    }

    /// Whether the id of a link is the one derived from its kind and members.
    pub fn link_id_is_derived(&self, ix: LinkIx) -> bool {
        if (ix as usize) < self.base.links.len() {
            return self.base.link_ids.is_derived(ix);
        }
        let link = self.link(ix);
        let mut members = [""; MAX_MEMBERS];
        for (slot, m) in members.iter_mut().zip(link.members.iter()) {
            *slot = self.node_id(*m);
        }
        let mut derived = String::new();
        link_ids::write_derived(link.kind, &members[..link.members.len()], &mut derived);
        derived == self.link_id(ix)
    }

    /// The dense index of a live link.
    pub fn link_ix(&self, id: &LinkId) -> Option<LinkIx> {
        if let Some(ix) = self.overlay.link_index.get(id) {
            return self.is_live_link(*ix).then_some(*ix);
        }
        self.base
            .find_link(id.as_str())
            .filter(|ix| self.is_live_link(*ix))
    }

    /// Heap bytes of the base's id arenas, adjacency and link table (for memory reports).
    pub fn base_heap_bytes(&self) -> usize {
        let b = &self.base;
        b.node_ids.heap_bytes()
            + b.node_kinds.capacity()
            + b.links.capacity() * std::mem::size_of::<LinkEntry>()
            + b.link_ids.heap_bytes()
            + (b.adjacency.node_count() + 1) * std::mem::size_of::<usize>()
            + b.adjacency.edge_count() * 8
            + b.pair_offsets.capacity() * 4
            + b.pair_links.capacity() * 4
    }

    /// Adjacent nodes of `ix`, each with the live links that join the two.
    pub fn neighbours(&self, ix: NodeIx) -> impl Iterator<Item = (NodeIx, PairLinks<'_>)> + '_ {
        self.neighbours_with_pairs(ix)
            .map(|(t, _, links)| (t, links))
    }

    /// Adjacent nodes of `ix` with the pair index and the live links of each pair; pairs
    /// whose links were all removed are skipped.
    pub fn neighbours_with_pairs(
        &self,
        ix: NodeIx,
    ) -> impl Iterator<Item = (NodeIx, u32, PairLinks<'_>)> + '_ {
        let in_base = (ix as usize) < self.base.node_ids.len();
        let (targets, pairs): (&[NodeIx], &[u32]) = if in_base {
            (
                self.base.adjacency.neighbors_slice(ix),
                self.base.adjacency.edges_slice(ix),
            )
        } else {
            (&[], &[])
        };
        let extra = self
            .overlay
            .extra_adjacency
            .get(&ix)
            .map(|row| row.as_slice())
            .unwrap_or(&[]);
        let overlay_empty = self.overlay.changes == 0;
        targets
            .iter()
            .copied()
            .zip(pairs.iter().copied())
            .chain(extra.iter().copied())
            .map(move |(t, p)| (t, p, self.links_of_pair(p)))
            .filter(move |(_, _, links)| overlay_empty || links.clone().next().is_some())
    }

    /// The ids of the live links that have the node `id` as a member, sorted (none
    /// when the graph has no such node). The store keeps no index by member: this is it.
    pub fn link_ids_of(&self, id: &NodeId) -> Vec<String> {
        let Some(ix) = self.index_of(id) else {
            return Vec::new();
        };
        let mut links: Vec<LinkIx> = self.neighbours(ix).flat_map(|(_, links)| links).collect();
        // A trilateral link joins the node to two others: it shows up once per pair.
        links.sort_unstable();
        links.dedup();
        let mut ids: Vec<String> = links
            .into_iter()
            .map(|l| self.link_id(l).into_owned())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Whether the node `id` is a member of any live link.
    pub fn has_links(&self, id: &NodeId) -> bool {
        // `neighbours` leaves out pairs whose links were all removed.
        self.index_of(id)
            .is_some_and(|ix| self.neighbours(ix).next().is_some())
    }

    /// The pair index of two nodes, if any link (live or removed) ever joined them.
    fn pair_of(&self, a: NodeIx, b: NodeIx) -> Option<u32> {
        let (a, b) = (a.min(b), a.max(b));
        self.base
            .pair_between(a, b)
            .or_else(|| self.overlay.pair_index.get(&(a, b)).copied())
    }

    /// The live link of `kind` whose members, in canonical order
    /// ([`crate::model::Link::canonical_members`]), are `canonical`: the uniqueness
    /// rule, answered from memory.
    pub fn link_between(&self, kind: LinkKind, canonical: &[NodeId]) -> Option<LinkIx> {
        let mut members = [0 as NodeIx; MAX_MEMBERS];
        if canonical.len() > MAX_MEMBERS || canonical.len() < 2 {
            return None;
        }
        for (slot, id) in members.iter_mut().zip(canonical) {
            *slot = self.index_of(id)?;
        }
        let members = &members[..canonical.len()];
        let pair = self.pair_of(members[0], members[1])?;
        self.links_of_pair(pair).find(|&l| {
            let link = self.link(l);
            if link.kind != kind || link.members.len() != members.len() {
                return false;
            }
            let mut ids: Vec<NodeId> = Vec::with_capacity(members.len());
            for &m in link.members.iter() {
                match NodeId::new(self.node_id(m)) {
                    Ok(id) => ids.push(id),
                    Err(_) => return false,
                }
            }
            crate::model::Link::canonical_members(kind, &ids) == canonical
        })
    }

    /// The live links joining a pair of nodes.
    pub fn links_of_pair(&self, pair: u32) -> PairLinks<'_> {
        let base_pairs = self.base.pair_count();
        let (first, second): (&[LinkIx], &[LinkIx]) = match (pair as usize).checked_sub(base_pairs)
        {
            Some(i) => (&self.overlay.new_pairs[i], &[]),
            // An empty map would still hash the pair to find nothing.
            None if self.overlay.more_links.is_empty() => (self.base.pair_slice(pair), &[]),
            None => (
                self.base.pair_slice(pair),
                self.overlay
                    .more_links
                    .get(&pair)
                    .map(|links| links.as_slice())
                    .unwrap_or(&[]),
            ),
        };
        PairLinks {
            graph: self,
            first: first.iter(),
            second: second.iter(),
        }
    }
}

#[cfg(test)]
mod tests;
