//! Compaction of an overlay that only appended nodes and links (a burst of creations):
//! every index of the base stays valid, so the new base extends the old one's tables
//! instead of rebuilding them.

use petgraph::csr::Csr;

use super::layout::{intern_node, with_adjacency, Adjacency, ProjectError};
use super::{GraphSnapshot, LinkIx, NodeIx};

/// [`super::project::compact`] when the overlay only added nodes and links: the base's
/// id tables are copied and extended with the new ids (re-interning a million node ids
/// and re-indexing 4.5 M link ids was half the cost of a compaction at 1M), and its pair
/// table and adjacency are extended too ([`extend_adjacency`]).
pub(super) fn compact_appended(graph: &GraphSnapshot) -> Result<GraphSnapshot, ProjectError> {
    let base = &graph.base;
    let mut node_ids = base.node_ids.clone();
    let mut node_kinds = base.node_kinds.clone();
    for v in base.node_ids.len()..graph.node_bound() {
        let v = NodeIx::try_from(v).map_err(|_| ProjectError::TooLarge)?;
        intern_node(&mut node_ids, graph.node_id(v))?;
        node_kinds.push(graph.node_kind(v));
    }
    let mut links = base.links.clone();
    let mut link_ids = base.link_ids.clone();
    for l in base.links.len()..graph.link_bound() {
        let l = LinkIx::try_from(l).map_err(|_| ProjectError::TooLarge)?;
        let chosen = (!graph.link_id_is_derived(l)).then(|| graph.link_id(l));
        link_ids
            .push(chosen.as_deref(), links.len())
            .map_err(|()| ProjectError::TooLarge)?;
        links.push(*graph.link(l));
    }
    link_ids.index_from(base.links.len(), links.len());
    let adjacency = extend_adjacency(graph, node_ids.len())?;
    Ok(with_adjacency(
        graph.version(),
        node_ids,
        node_kinds,
        links,
        link_ids,
        adjacency,
    ))
}

/// The base's pair table and adjacency with the overlay's additions: links added to
/// base pairs join their pair's list, new pairs keep the numbers the overlay gave them
/// (after the base's), and each row merges the base's targets with the overlay's new
/// ones — linear, where laying the table out afresh sorts every pair and half-edge
/// (most of a fold at 1M).
fn extend_adjacency(graph: &GraphSnapshot, node_count: usize) -> Result<Adjacency, ProjectError> {
    let (base, overlay) = (&graph.base, &graph.overlay);
    let offset = |len: usize| u32::try_from(len).map_err(|_| ProjectError::TooLarge);
    let added: usize = overlay.more_links.values().map(|l| l.len()).sum::<usize>()
        + overlay.new_pairs.iter().map(|l| l.len()).sum::<usize>();
    let mut pair_offsets = Vec::with_capacity(base.pair_offsets.len() + overlay.new_pairs.len());
    let mut pair_links = Vec::with_capacity(base.pair_links.len() + added);
    pair_offsets.push(0);
    for pair in 0..offset(base.pair_count())? {
        pair_links.extend_from_slice(base.pair_slice(pair));
        if let Some(more) = overlay.more_links.get(&pair) {
            pair_links.extend_from_slice(more);
        }
        pair_offsets.push(offset(pair_links.len())?);
    }
    for links in overlay.new_pairs.iter() {
        pair_links.extend_from_slice(links);
        pair_offsets.push(offset(pair_links.len())?);
    }
    let base_nodes = base.node_ids.len();
    let new_half_edges: usize = overlay.extra_adjacency.values().map(|l| l.len()).sum();
    let mut half_edges: Vec<(NodeIx, NodeIx, u32)> =
        Vec::with_capacity(base.adjacency.edge_count() + new_half_edges);
    let mut extra: Vec<(NodeIx, u32)> = Vec::new();
    for a in 0..offset(node_count)? {
        extra.clear();
        if let Some(more) = overlay.extra_adjacency.get(&a) {
            extra.extend_from_slice(more);
            extra.sort_unstable();
        }
        let (targets, pairs): (&[NodeIx], &[u32]) = if (a as usize) < base_nodes {
            (
                base.adjacency.neighbors_slice(a),
                base.adjacency.edges_slice(a),
            )
        } else {
            (&[], &[])
        };
        let (mut i, mut j) = (0, 0);
        while i < targets.len() || j < extra.len() {
            if j == extra.len() || (i < targets.len() && targets[i] < extra[j].0) {
                half_edges.push((a, targets[i], pairs[i]));
                i += 1;
            } else {
                half_edges.push((a, extra[j].0, extra[j].1));
                j += 1;
            }
        }
    }
    let mut csr = Csr::from_sorted_edges(&half_edges).map_err(|_| ProjectError::TooLarge)?;
    while csr.node_count() < node_count {
        csr.add_node(());
    }
    Ok((csr, pair_offsets, pair_links))
}
