//! The overlay of a snapshot: what the writes since the base changed, recorded so
//! that applying a write costs the size of the write, never a pass over the whole
//! graph. Its collections are persistent (`imbl`: structural sharing), so the next
//! snapshot's overlay is a cheap copy of the previous one, edited.

use std::sync::Arc;

use imbl::{HashMap, HashSet, Vector};

use super::layout::{GraphDelta, ProjectError};
use super::{GraphSnapshot, LinkEntry, LinkIx, NodeIx};
use crate::model::{LinkId, NodeId, NodeKind};

/// A list held by a persistent collection, shared between snapshots: copying a
/// collection's node copies pointers, not lists; an edit copies the one list it
/// changes ([`Arc::make_mut`]).
pub(super) type SharedList<T> = Arc<Vec<T>>;

/// Changes since the base: appended nodes and links (their indices follow the base's),
/// tombstones, kind changes, and adjacency of node pairs the base does not have.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overlay {
    /// Ids of nodes appended after the base (index = base nodes + position).
    pub(super) node_ids: Vector<NodeId>,
    /// Kinds of the appended nodes.
    pub(super) node_kinds: Vector<NodeKind>,
    /// Appended nodes by id (the latest slot for an id that was re-created).
    pub(super) node_index: HashMap<NodeId, NodeIx>,
    /// Base nodes whose kind changed.
    pub(super) kind_changes: HashMap<NodeIx, NodeKind>,
    /// Removed node slots.
    pub(super) dead_nodes: HashSet<NodeIx>,
    /// Links appended after the base.
    pub(super) links: Vector<LinkEntry>,
    /// Ids of the appended links.
    pub(super) link_ids: Vector<LinkId>,
    /// Appended links by id.
    pub(super) link_index: HashMap<LinkId, LinkIx>,
    /// Removed (or replaced) link slots.
    pub(super) dead_links: HashSet<LinkIx>,
    /// For each node, adjacent nodes through pairs the base does not have, with the pair.
    pub(super) extra_adjacency: HashMap<NodeIx, SharedList<(NodeIx, u32)>>,
    /// Links of the new pairs (pair index = base pairs + position).
    pub(super) new_pairs: Vector<SharedList<LinkIx>>,
    /// New pairs by `(low, high)` node index.
    pub(super) pair_index: HashMap<(NodeIx, NodeIx), u32>,
    /// Links added to pairs the base has.
    pub(super) more_links: HashMap<u32, SharedList<LinkIx>>,
    /// Nodes whose inclusion or adjacency under some filter may differ from the base's:
    /// members of added and removed links, removed, re-kinded and new nodes, and the
    /// neighbours of removed and re-kinded nodes. Views patch just these rows.
    pub(super) touched: HashSet<NodeIx>,
    /// Records changed since the base.
    pub(super) changes: usize,
}

impl Overlay {
    /// Whether the writes since the base only added nodes and links (nothing removed,
    /// replaced or re-kinded): the base's indices all stay valid.
    pub(super) fn only_appends(&self) -> bool {
        self.dead_nodes.is_empty() && self.dead_links.is_empty() && self.kind_changes.is_empty()
    }
}

/// Applies `delta` on top of `prev`: removals, then upserts, as the store did.
pub(crate) fn apply(
    prev: &GraphSnapshot,
    version: u64,
    delta: GraphDelta,
) -> Result<GraphSnapshot, ProjectError> {
    apply_many(prev, version, [delta])
}

/// Applies `deltas` on top of `prev`, one after the other, copying the overlay once.
pub(crate) fn apply_many(
    prev: &GraphSnapshot,
    version: u64,
    deltas: impl IntoIterator<Item = GraphDelta>,
) -> Result<GraphSnapshot, ProjectError> {
    let mut next = GraphSnapshot {
        version,
        base: std::sync::Arc::clone(&prev.base),
        overlay: std::sync::Arc::new((*prev.overlay).clone()),
    };
    let overlay = std::sync::Arc::make_mut(&mut next.overlay);
    let mut o = Editor {
        base: &prev.base,
        overlay,
    };
    for delta in deltas {
        for id in &delta.removed_links {
            o.remove_link(id);
        }
        for link in &delta.upserted_links {
            o.remove_link(&link.id);
        }
        for id in &delta.removed_nodes {
            o.remove_node(id);
        }
        for (id, kind) in delta.upserted_nodes {
            o.upsert_node(id, kind)?;
        }
        for link in delta.upserted_links {
            o.add_link(link)?;
        }
    }
    Ok(next)
}

/// Edits an overlay, reading the base it sits on.
struct Editor<'a> {
    base: &'a super::Base,
    overlay: &'a mut Overlay,
}

impl Editor<'_> {
    fn base_nodes(&self) -> usize {
        self.base.node_ids.len()
    }

    fn node_ix(&self, id: &NodeId) -> Option<NodeIx> {
        let live = |ix: &NodeIx| !self.overlay.dead_nodes.contains(ix);
        match self.overlay.node_index.get(id) {
            Some(ix) => Some(*ix).filter(live),
            None => self.base.node_ids.find(id.as_str()).filter(live),
        }
    }

    fn link_ix(&self, id: &LinkId) -> Option<LinkIx> {
        let live = |ix: &LinkIx| !self.overlay.dead_links.contains(ix);
        match self.overlay.link_index.get(id) {
            Some(ix) => Some(*ix).filter(live),
            None => self.base.find_link(id.as_str()).filter(live),
        }
    }

    fn remove_link(&mut self, id: &LinkId) {
        if let Some(ix) = self.link_ix(id) {
            self.overlay.dead_links.insert(ix);
            self.overlay.changes += 1;
            let members = match (ix as usize).checked_sub(self.base.links.len()) {
                Some(i) => self.overlay.links.get(i).map(|l| l.members),
                None => self.base.links.get(ix as usize).map(|l| l.members),
            };
            for m in members.iter().flat_map(|m| m.iter()) {
                self.overlay.touched.insert(*m);
            }
        }
    }

    fn remove_node(&mut self, id: &NodeId) {
        if let Some(ix) = self.node_ix(id) {
            self.overlay.dead_nodes.insert(ix);
            self.overlay.changes += 1;
            self.touch_with_neighbours(ix);
        }
    }

    /// Marks `ix` and every node adjacent to it (in the base or the overlay) as touched.
    fn touch_with_neighbours(&mut self, ix: NodeIx) {
        self.overlay.touched.insert(ix);
        if (ix as usize) < self.base_nodes() {
            for &w in self.base.adjacency.neighbors_slice(ix) {
                self.overlay.touched.insert(w);
            }
        }
        let extra: Vec<NodeIx> = self
            .overlay
            .extra_adjacency
            .get(&ix)
            .map(|row| row.iter().map(|(w, _)| *w).collect())
            .unwrap_or_default();
        for w in extra {
            self.overlay.touched.insert(w);
        }
    }

    fn upsert_node(&mut self, id: NodeId, kind: NodeKind) -> Result<(), ProjectError> {
        self.overlay.changes += 1;
        if let Some(ix) = self.node_ix(&id) {
            let before = match (ix as usize).checked_sub(self.base_nodes()) {
                Some(i) => self.overlay.node_kinds.set(i, kind),
                None => {
                    let before = self
                        .overlay
                        .kind_changes
                        .get(&ix)
                        .copied()
                        .unwrap_or(self.base.node_kinds[ix as usize]);
                    if self.base.node_kinds[ix as usize] == kind {
                        self.overlay.kind_changes.remove(&ix);
                    } else {
                        self.overlay.kind_changes.insert(ix, kind);
                    }
                    before
                }
            };
            if before != kind {
                self.touch_with_neighbours(ix);
            }
            return Ok(());
        }
        let ix = NodeIx::try_from(self.base_nodes() + self.overlay.node_ids.len())
            .map_err(|_| ProjectError::TooLarge)?;
        self.overlay.node_ids.push_back(id.clone());
        self.overlay.node_kinds.push_back(kind);
        self.overlay.node_index.insert(id, ix);
        self.overlay.touched.insert(ix);
        Ok(())
    }

    fn add_link(&mut self, link: super::layout::LinkInput) -> Result<(), ProjectError> {
        self.overlay.changes += 1;
        let members = link
            .members
            .iter()
            .map(|m| {
                self.node_ix(m).ok_or_else(|| ProjectError::DanglingMember {
                    link: link.id.to_string(),
                    member: m.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let members =
            super::Members::new(&members).ok_or_else(|| ProjectError::TooManyMembers {
                link: link.id.clone(),
            })?;
        let lix = LinkIx::try_from(self.base.links.len() + self.overlay.links.len())
            .map_err(|_| ProjectError::TooLarge)?;
        for (i, &a) in members.iter().enumerate() {
            self.overlay.touched.insert(a);
            for &b in &members[i + 1..] {
                self.join(a.min(b), a.max(b), lix)?;
            }
        }
        self.overlay.link_index.insert(link.id.clone(), lix);
        self.overlay.link_ids.push_back(link.id);
        self.overlay.links.push_back(LinkEntry {
            kind: link.kind,
            status: link.status,
            evidence: link.evidence,
            signed: link.signed,
            ended: link.ended,
            members,
        });
        Ok(())
    }

    /// Records that link `lix` joins `a` and `b` (`a < b`).
    fn join(&mut self, a: NodeIx, b: NodeIx, lix: LinkIx) -> Result<(), ProjectError> {
        if let Some(pair) = self.base.pair_between(a, b) {
            Arc::make_mut(self.overlay.more_links.entry(pair).or_default()).push(lix);
            return Ok(());
        }
        if let Some(&pair) = self.overlay.pair_index.get(&(a, b)) {
            let i = pair as usize - self.base.pair_count();
            if let Some(links) = self.overlay.new_pairs.get_mut(i) {
                Arc::make_mut(links).push(lix);
            }
            return Ok(());
        }
        let pair = u32::try_from(self.base.pair_count() + self.overlay.new_pairs.len())
            .map_err(|_| ProjectError::TooLarge)?;
        self.overlay.new_pairs.push_back(Arc::new(vec![lix]));
        self.overlay.pair_index.insert((a, b), pair);
        Arc::make_mut(self.overlay.extra_adjacency.entry(a).or_default()).push((b, pair));
        Arc::make_mut(self.overlay.extra_adjacency.entry(b).or_default()).push((a, pair));
        Ok(())
    }
}
