//! Builds a [`GraphSnapshot`] from node and link records.

use super::builder::{Builder, LinkParts, RESOLVED_TOGETHER};
use super::ids::IdTable;
use super::layout::{build_indexed, intern_node};
pub use super::layout::{GraphDelta, LinkInput, NodeInput, ProjectError};
use super::link_ids::LinkIds;
use super::{GraphSnapshot, LinkEntry, Members, NodeIx};
use crate::model::{NodeId, NodeKind};

/// The snapshot at `version` that results from applying `delta` to `prev`, from memory
/// alone: the change is recorded in the overlay (see [`GraphSnapshot`]); its cost
/// follows the size of the change and of the overlay, not of the graph.
pub fn apply(
    prev: &GraphSnapshot,
    version: u64,
    delta: GraphDelta,
) -> Result<GraphSnapshot, ProjectError> {
    super::overlay::apply(prev, version, delta)
}

/// The snapshot at `version` that results from applying `deltas` to `prev` in order
/// (a group of writes): as [`apply`] for each, with one copy of the overlay.
pub fn apply_many(
    prev: &GraphSnapshot,
    version: u64,
    deltas: impl IntoIterator<Item = GraphDelta>,
) -> Result<GraphSnapshot, ProjectError> {
    super::overlay::apply_many(prev, version, deltas)
}

/// The same graph with its overlay folded into a new compact base: live nodes keep
/// their relative order (base nodes, then appended ones), tombstones are dropped.
/// Linear in the size of the graph; the service runs it off the write path.
pub fn compact(graph: &GraphSnapshot) -> Result<GraphSnapshot, ProjectError> {
    if graph.overlay.only_appends() {
        return super::fold_appends::compact_appended(graph);
    }
    let mut position = vec![NodeIx::MAX; graph.node_bound()];
    let mut node_ids = IdTable::with_capacity(graph.node_count(), graph.base.node_ids.text_len());
    let mut node_kinds = Vec::with_capacity(graph.node_count());
    for v in graph.live_nodes() {
        position[v as usize] = intern_node(&mut node_ids, graph.node_id(v))?;
        node_kinds.push(graph.node_kind(v));
    }
    let mut links = Vec::with_capacity(graph.link_count());
    let mut link_ids = LinkIds::default();
    for l in graph.live_links() {
        let entry = graph.link(l);
        let mut members = [0; super::MAX_MEMBERS];
        for (slot, &m) in members.iter_mut().zip(entry.members.iter()) {
            *slot = position[m as usize];
            if *slot == NodeIx::MAX {
                return Err(ProjectError::DanglingMember {
                    link: graph.link_id(l).to_string(),
                    member: graph.node_id(m).to_string(),
                });
            }
        }
        let chosen = (!graph.link_id_is_derived(l)).then(|| graph.link_id(l));
        link_ids
            .push(chosen.as_deref(), links.len())
            .map_err(|()| ProjectError::TooLarge)?;
        links.push(LinkEntry {
            members: Members::new(&members[..entry.members.len()]).ok_or(ProjectError::TooLarge)?,
            ..*entry
        });
    }
    build_indexed(graph.version(), node_ids, node_kinds, links, link_ids)
}

/// Builds a snapshot at `version` from `(id, kind)` of every node and every link.
pub fn build<L: Into<LinkInput>>(
    version: u64,
    nodes: impl IntoIterator<Item = (NodeId, NodeKind)>,
    links: impl IntoIterator<Item = L>,
) -> Result<GraphSnapshot, ProjectError> {
    let mut builder = Builder::default();
    for (id, kind) in nodes {
        builder.add_node(id.as_str(), kind)?;
    }
    let mut links = links.into_iter().map(Into::into);
    let mut batch: Vec<LinkInput> = Vec::with_capacity(RESOLVED_TOGETHER);
    loop {
        batch.clear();
        batch.extend(links.by_ref().take(RESOLVED_TOGETHER));
        if batch.is_empty() {
            break;
        }
        let parts: Vec<LinkParts<'_>> = batch.iter().map(LinkParts::from).collect();
        builder.add_links(&parts)?;
    }
    builder.finish(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::LinkIx;
    use crate::model::{Link, LinkId};

    #[test]
    fn applying_a_delta_equals_building_from_scratch() {
        let nodes = ["a", "b", "c", "d"].map(|n| (id(n), NodeKind::City));
        let g = build(
            1,
            nodes,
            [
                link("t", "trilateral", &["a", "b", "c"]),
                link("f", "friendship", &["c", "d"]),
            ],
        )
        .unwrap();
        let delta = GraphDelta {
            removed_nodes: vec![id("d")],
            upserted_nodes: vec![(id("e"), NodeKind::State), (id("a"), NodeKind::Association)],
            removed_links: vec![LinkId::new("f").unwrap()],
            upserted_links: vec![link("m", "membership", &["e", "a"]).into()],
        };
        let next = apply(&g, 2, delta).unwrap();
        let scratch = build(
            2,
            [
                ("a", NodeKind::Association),
                ("b", NodeKind::City),
                ("c", NodeKind::City),
                ("e", NodeKind::State),
            ]
            .map(|(n, k)| (id(n), k)),
            [
                link("t", "trilateral", &["a", "b", "c"]),
                link("m", "membership", &["e", "a"]),
            ],
        )
        .unwrap();
        assert_eq!(shape(&next), shape(&scratch));
    }

    type Shape = (
        Vec<(String, String, Vec<String>)>,
        Vec<(String, NodeKind)>,
        usize,
        u64,
    );

    /// Edges with their link ids, node kinds, link count and version, by id.
    fn shape(g: &GraphSnapshot) -> Shape {
        let mut edges: Vec<(String, String, Vec<String>)> = g
            .live_nodes()
            .flat_map(|n| g.neighbours(n).map(move |(m, ls)| (n, m, ls)))
            .map(|(n, m, ls)| {
                (
                    g.node_id(n).to_string(),
                    g.node_id(m).to_string(),
                    ls.map(|l| g.link_id(l).to_string()).collect(),
                )
            })
            .collect();
        edges.sort();
        let mut kinds: Vec<(String, NodeKind)> = g
            .live_nodes()
            .map(|n| (g.node_id(n).to_string(), g.node_kind(n)))
            .collect();
        kinds.sort();
        (edges, kinds, g.link_count(), g.version())
    }

    #[test]
    fn compacting_an_overlay_of_creations_extends_the_base_and_equals_a_rebuild() {
        let base_nodes = ["a", "b", "c"].map(|n| (id(n), NodeKind::City));
        let base_links = [
            link("chosen", "twinning", &["a", "b"]),
            link("friendship:b+c", "friendship", &["b", "c"]),
        ];
        let g = build(1, base_nodes.clone(), base_links.clone()).unwrap();
        let created = [
            link("twinning:a+d", "twinning", &["a", "d"]),
            link("custom", "friendship", &["d", "e"]),
            link("trilateral:b+c+e", "trilateral", &["b", "c", "e"]),
            link("friendship:a+b", "friendship", &["a", "b"]),
        ];
        let delta = GraphDelta {
            upserted_nodes: vec![(id("d"), NodeKind::City), (id("e"), NodeKind::Association)],
            upserted_links: created.iter().cloned().map(Into::into).collect(),
            ..GraphDelta::default()
        };
        let next = apply(&g, 2, delta).unwrap();
        assert!(next.overlay.only_appends());
        let compacted = compact(&next).unwrap();
        let mut all_nodes = base_nodes.to_vec();
        all_nodes.extend([(id("d"), NodeKind::City), (id("e"), NodeKind::Association)]);
        let mut all_links = base_links.to_vec();
        all_links.extend(created);
        let scratch = build(2, all_nodes, all_links.clone()).unwrap();
        assert_eq!(shape(&compacted), shape(&scratch));
        assert_eq!(compacted.overlay_changes(), 0);
        for l in &all_links {
            let ix = compacted.link_ix(&l.id);
            assert!(ix.is_some(), "{} is found", l.id);
            assert_eq!(compacted.link_id(ix.unwrap()), l.id.as_str());
        }
        assert!(compacted
            .link_ix(&LinkId::new("twinning:b+a").unwrap())
            .is_none());
        // A removal takes the general path, with the same result as a rebuild.
        let removed = apply(
            &compacted,
            3,
            GraphDelta {
                removed_links: vec![LinkId::new("custom").unwrap()],
                ..GraphDelta::default()
            },
        )
        .unwrap();
        assert!(!removed.overlay.only_appends());
        all_links.retain(|l| l.id.as_str() != "custom");
        let nodes = ["a", "b", "c", "d"]
            .map(|n| (id(n), NodeKind::City))
            .into_iter()
            .chain([(id("e"), NodeKind::Association)]);
        assert_eq!(
            shape(&compact(&removed).unwrap()),
            shape(&build(3, nodes, all_links).unwrap())
        );
    }

    fn id(s: &str) -> NodeId {
        NodeId::new(s).unwrap()
    }

    fn link(lid: &str, kind: &str, members: &[&str]) -> Link {
        serde_json::from_value(serde_json::json!({"id": lid, "kind": kind, "members": members}))
            .unwrap()
    }

    #[test]
    fn links_resolved_in_batches_keep_their_order_ids_and_errors() {
        // A ring over more links than one batch, every 7th id chosen, the rest derived.
        let n = RESOLVED_TOGETHER + RESOLVED_TOGETHER / 2;
        let nodes: Vec<_> = (0..n)
            .map(|i| (id(&format!("city:xx:{i}")), NodeKind::City))
            .collect();
        let ring: Vec<LinkInput> = (0..n)
            .map(|i| {
                let (a, b) = (format!("city:xx:{i}"), format!("city:xx:{}", (i + 1) % n));
                let mut derived = String::new();
                crate::graph::link_ids::write_derived(
                    crate::model::LinkKind::Twinning,
                    &[&a, &b],
                    &mut derived,
                );
                let lid = if i % 7 == 0 {
                    format!("chosen-{i}")
                } else {
                    derived
                };
                link(&lid, "twinning", &[&a, &b]).into()
            })
            .collect();
        let g = build(1, nodes.clone(), ring.clone()).unwrap();
        assert_eq!(g.link_count(), n);
        for (ix, input) in ring.iter().enumerate() {
            let ix = LinkIx::try_from(ix).unwrap();
            assert_eq!(g.link_id(ix), input.id.as_str());
            assert_eq!(g.link_ix(&input.id), Some(ix));
            assert_eq!(g.link_id_is_derived(ix), ix % 7 != 0, "{}", input.id);
            let members: Vec<&str> = g.link(ix).members.iter().map(|&m| g.node_id(m)).collect();
            let expected: Vec<&str> = input.members.iter().map(NodeId::as_str).collect();
            assert_eq!(members, expected);
        }
        // A member missing from the second batch is named, whatever came before it.
        let mut broken = ring;
        let last = broken.len() - 1;
        broken[last].members[1] = id("city:xx:missing");
        match build(1, nodes, broken) {
            Err(ProjectError::DanglingMember { member, .. }) => {
                assert_eq!(member, "city:xx:missing")
            }
            other => panic!(
                "expected a dangling member, got {:?}",
                other.map(|g| g.link_count())
            ),
        }
    }

    #[test]
    fn a_trilateral_link_is_a_triangle_sharing_its_id() {
        let nodes = ["a", "b", "c", "d"].map(|n| (id(n), NodeKind::City));
        let links = [
            link("tri", "trilateral", &["a", "b", "c"]),
            link("tw", "twinning", &["a", "b"]),
            link("fr", "friendship", &["c", "d"]),
        ];
        let g = build(7, nodes, links).unwrap();
        let again = apply(&g, 8, GraphDelta::default()).unwrap();
        assert_eq!(
            (
                again.version(),
                again.node_count(),
                again.link_count(),
                again.pair_count()
            ),
            (8, 4, 3, 4)
        );
        assert_eq!(
            (g.version(), g.node_count(), g.link_count(), g.pair_count()),
            (7, 4, 3, 4)
        );
        let a = g.index_of(&id("a")).unwrap();
        let around_a: Vec<(String, Vec<String>)> = g
            .neighbours(a)
            .map(|(n, ls)| {
                (
                    g.node_id(n).to_string(),
                    ls.map(|l| g.link_id(l).to_string()).collect(),
                )
            })
            .collect();
        assert_eq!(
            around_a,
            vec![
                ("b".into(), vec!["tri".into(), "tw".into()]),
                ("c".into(), vec!["tri".into()])
            ]
        );
        let d = g.index_of(&id("d")).unwrap();
        assert_eq!(g.neighbours(d).count(), 1);
    }

    #[test]
    fn isolated_trailing_nodes_are_kept() {
        let nodes = ["a", "b", "z"].map(|n| (id(n), NodeKind::City));
        let g = build(1, nodes, [link("l", "twinning", &["a", "b"])]).unwrap();
        let z = g.index_of(&id("z")).unwrap();
        assert_eq!(g.neighbours(z).count(), 0);
        let empty = build(0, [], Vec::<Link>::new()).unwrap();
        assert_eq!(empty.node_count(), 0);
    }

    #[test]
    fn dangling_members_are_refused() {
        let err = build(
            1,
            [(id("a"), NodeKind::City)],
            [link("l", "twinning", &["a", "b"])],
        )
        .unwrap_err();
        assert!(matches!(err, ProjectError::DanglingMember { .. }));
    }
}
