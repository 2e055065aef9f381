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
pub mod filter;
pub mod project;
pub mod view;

use std::collections::HashMap;

use petgraph::csr::Csr;
use petgraph::Directed;

use crate::model::{LinkId, LinkKind, LinkStatus, NodeId, NodeKind, PartialDate};

/// Dense index of a node in a snapshot.
pub type NodeIx = u32;
/// Dense index of a link in a snapshot.
pub type LinkIx = u32;

/// What a snapshot keeps of a link for traversal and filtering.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkEntry {
    /// The link's id.
    pub id: LinkId,
    /// Its kind.
    pub kind: LinkKind,
    /// Its status.
    pub status: LinkStatus,
    /// When it was signed.
    pub signed: Option<PartialDate>,
    /// When it ended.
    pub ended: Option<PartialDate>,
    /// Member nodes, in the record's order.
    pub members: Vec<NodeIx>,
}

/// An immutable graph at one version of the store.
#[derive(Debug)]
pub struct GraphSnapshot {
    version: u64,
    node_ids: Vec<NodeId>,
    node_kinds: Vec<NodeKind>,
    node_index: HashMap<NodeId, NodeIx>,
    links: Vec<LinkEntry>,
    link_index: HashMap<LinkId, LinkIx>,
    adjacency: Csr<(), u32, Directed, u32>,
    pair_offsets: Vec<u32>,
    pair_links: Vec<LinkIx>,
}

impl GraphSnapshot {
    /// The store version this snapshot reflects.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.node_ids.len()
    }

    /// Number of links (a trilateral link counts once).
    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// Number of distinct adjacent node pairs.
    pub fn pair_count(&self) -> usize {
        self.pair_offsets.len().saturating_sub(1)
    }

    /// The dense index of a node.
    pub fn index_of(&self, id: &NodeId) -> Option<NodeIx> {
        self.node_index.get(id).copied()
    }

    /// The id of a dense index.
    pub fn node_id(&self, ix: NodeIx) -> &NodeId {
        &self.node_ids[ix as usize]
    }

    /// The kind of a node.
    pub fn node_kind(&self, ix: NodeIx) -> NodeKind {
        self.node_kinds[ix as usize]
    }

    /// A link by dense index.
    pub fn link(&self, ix: LinkIx) -> &LinkEntry {
        &self.links[ix as usize]
    }

    /// The dense index of a link.
    pub fn link_ix(&self, id: &LinkId) -> Option<LinkIx> {
        self.link_index.get(id).copied()
    }

    /// Adjacent nodes of `ix`, each with the links that join the two.
    pub fn neighbours(&self, ix: NodeIx) -> impl Iterator<Item = (NodeIx, &[LinkIx])> + '_ {
        let targets = self.adjacency.neighbors_slice(ix);
        let pairs = self.adjacency.edges_slice(ix);
        targets
            .iter()
            .zip(pairs)
            .map(move |(&t, &p)| (t, self.links_of_pair(p)))
    }

    /// Adjacent nodes of `ix` with the pair index and the links of each pair.
    pub fn neighbours_with_pairs(
        &self,
        ix: NodeIx,
    ) -> impl Iterator<Item = (NodeIx, u32, &[LinkIx])> + '_ {
        let targets = self.adjacency.neighbors_slice(ix);
        let pairs = self.adjacency.edges_slice(ix);
        targets
            .iter()
            .zip(pairs)
            .map(move |(&t, &p)| (t, p, self.links_of_pair(p)))
    }

    /// The links joining a pair of nodes.
    pub fn links_of_pair(&self, pair: u32) -> &[LinkIx] {
        let start = self.pair_offsets[pair as usize] as usize;
        let end = self.pair_offsets[pair as usize + 1] as usize;
        &self.pair_links[start..end]
    }
}
