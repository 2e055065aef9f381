//! Laying out a snapshot: what a projection takes (node and link inputs, deltas) and
//! why it can fail, interning node ids, and the pair table and adjacency of nodes and
//! links whose members are already node positions.

use petgraph::csr::Csr;
use rayon::prelude::*;

use super::ids::{IdTable, InternError};
use super::link_ids::LinkIds;
use super::{GraphSnapshot, LinkEntry, LinkIx, NodeIx};
use crate::model::{Link, LinkId, NodeId, NodeKind};

/// Why records cannot be projected.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// A link names a node that is not among the nodes.
    #[error("link {link} names member {member}, which is not a node")]
    DanglingMember {
        /// The link.
        link: String,
        /// The missing member.
        member: String,
    },
    /// More nodes or links than a `u32` index can hold.
    #[error("the graph is too large for 32-bit indices")]
    TooLarge,
    /// Two nodes or two links share an id.
    #[error("the id {0} occurs twice")]
    DuplicateId(String),
    /// A link has more members than any link kind.
    #[error("link {link} has more members than a link can have")]
    TooManyMembers {
        /// The link.
        link: LinkId,
    },
}

/// What the projection needs of a link. Reads from a stored link record, skipping the
/// rest (source, notes, attributes are not decoded).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct LinkInput {
    /// The link's id.
    pub id: LinkId,
    /// Its kind.
    pub kind: crate::model::LinkKind,
    /// Its status.
    #[serde(default)]
    pub status: crate::model::LinkStatus,
    /// Whether its source states it.
    #[serde(default)]
    pub evidence: crate::model::Evidence,
    /// When it was signed.
    #[serde(default)]
    pub signed: Option<crate::model::PartialDate>,
    /// When it ended.
    #[serde(default)]
    pub ended: Option<crate::model::PartialDate>,
    /// Member ids.
    pub members: Vec<NodeId>,
}

/// What the projection needs of a node; reads from a stored node record like
/// [`LinkInput`].
#[derive(Clone, Debug, serde::Deserialize)]
pub struct NodeInput {
    /// The node's id.
    pub id: NodeId,
    /// Its kind.
    pub kind: NodeKind,
}

impl From<Link> for LinkInput {
    fn from(link: Link) -> Self {
        Self {
            id: link.id,
            kind: link.kind,
            status: link.status,
            evidence: link.evidence,
            signed: link.signed,
            ended: link.ended,
            members: link.members,
        }
    }
}

/// Changes to apply to a snapshot: removals, then upserts.
#[derive(Clone, Debug, Default)]
pub struct GraphDelta {
    /// Nodes deleted.
    pub removed_nodes: Vec<NodeId>,
    /// Nodes created or replaced.
    pub upserted_nodes: Vec<(NodeId, NodeKind)>,
    /// Links deleted.
    pub removed_links: Vec<LinkId>,
    /// Links created or replaced.
    pub upserted_links: Vec<LinkInput>,
}

/// Adds a node id, refusing a duplicate.
pub(crate) fn intern_node(table: &mut IdTable, id: &str) -> Result<NodeIx, ProjectError> {
    table.push(id).map_err(|e| match e {
        InternError::Duplicate(_) => ProjectError::DuplicateId(id.to_string()),
        InternError::TooLarge => ProjectError::TooLarge,
    })
}

/// Builds a snapshot from interned ids and links whose members are already node
/// positions (a snapshot file, a compaction): no id lookups.
pub(crate) fn build_indexed(
    version: u64,
    node_ids: IdTable,
    node_kinds: Vec<NodeKind>,
    links: Vec<LinkEntry>,
    mut link_ids: LinkIds,
) -> Result<GraphSnapshot, ProjectError> {
    link_ids.index_all(links.len());
    assemble(version, node_ids, node_kinds, links, link_ids)
}

/// Lays out the pair table and adjacency of indexed nodes and links.
fn assemble(
    version: u64,
    node_ids: IdTable,
    node_kinds: Vec<NodeKind>,
    links: Vec<LinkEntry>,
    link_ids: LinkIds,
) -> Result<GraphSnapshot, ProjectError> {
    let mut pairs = Vec::with_capacity(links.len());
    for (i, link) in links.iter().enumerate() {
        let lix = LinkIx::try_from(i).map_err(|_| ProjectError::TooLarge)?;
        for (j, &a) in link.members.iter().enumerate() {
            for &b in &link.members[j + 1..] {
                pairs.push((a.min(b), a.max(b), lix));
            }
        }
    }
    let adjacency = adjacency(node_ids.len(), pairs)?;
    Ok(with_adjacency(
        version, node_ids, node_kinds, links, link_ids, adjacency,
    ))
}

/// A snapshot of indexed nodes and links with their pair table and adjacency laid out.
pub(super) fn with_adjacency(
    version: u64,
    node_ids: IdTable,
    node_kinds: Vec<NodeKind>,
    links: Vec<LinkEntry>,
    link_ids: LinkIds,
    (adjacency, pair_offsets, pair_links): Adjacency,
) -> GraphSnapshot {
    GraphSnapshot {
        version,
        base: std::sync::Arc::new(super::Base {
            node_ids,
            node_kinds,
            links,
            link_ids,
            adjacency,
            pair_offsets,
            pair_links,
        }),
        overlay: std::sync::Arc::default(),
    }
}

/// A CSR of both directions of every pair (edge weight: the pair), the pair table's
/// offsets and its links.
pub(super) type Adjacency = (Csr<(), u32, petgraph::Directed, u32>, Vec<u32>, Vec<LinkIx>);

/// Groups `(low, high, link)` triples into distinct pairs and lays both directions of
/// every pair out as a CSR whose edge weight is the pair's index.
fn adjacency(
    node_count: usize,
    mut pairs: Vec<(NodeIx, NodeIx, LinkIx)>,
) -> Result<Adjacency, ProjectError> {
    // Both sorts on every core: at 1M they sort 4.5 M and 9 M triples.
    pairs.par_sort_unstable();
    let mut pair_offsets = Vec::with_capacity(pairs.len() + 1);
    pair_offsets.push(0u32);
    let mut pair_links = Vec::with_capacity(pairs.len());
    // At most two half-edges a pair: grown instead, the vector was copied and its
    // fresh pages zeroed again at every doubling.
    let mut half_edges: Vec<(u32, u32, u32)> = Vec::with_capacity(2 * pairs.len());
    for (i, &(a, b, link)) in pairs.iter().enumerate() {
        let starts_pair = i == 0 || (pairs[i - 1].0, pairs[i - 1].1) != (a, b);
        if starts_pair && i > 0 {
            pair_offsets.push(u32::try_from(pair_links.len()).map_err(|_| ProjectError::TooLarge)?);
        }
        if starts_pair {
            let pair = u32::try_from(pair_offsets.len() - 1).map_err(|_| ProjectError::TooLarge)?;
            half_edges.push((a, b, pair));
            half_edges.push((b, a, pair));
        }
        pair_links.push(link);
    }
    if !pairs.is_empty() {
        pair_offsets.push(u32::try_from(pair_links.len()).map_err(|_| ProjectError::TooLarge)?);
    }
    // Kept by the snapshot: no room for pairs that turned out to be shared.
    pair_offsets.shrink_to_fit();
    half_edges.par_sort_unstable();
    let mut csr = Csr::from_sorted_edges(&half_edges).map_err(|_| ProjectError::TooLarge)?;
    while csr.node_count() < node_count {
        csr.add_node(());
    }
    Ok((csr, pair_offsets, pair_links))
}
