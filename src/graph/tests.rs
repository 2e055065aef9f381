//! The write checks' lookups answered from memory: a node's links and the uniqueness
//! rule, in a base and after an overlay changed it; link ids written out. Compiled for
//! tests only (`#[cfg(test)] mod tests;` in `mod.rs`).

use super::project::{self, GraphDelta, LinkInput};
use super::GraphSnapshot;
use crate::model::{Link, LinkId, LinkKind, LinkStatus, NodeId, NodeKind};

fn id(s: &str) -> NodeId {
    NodeId::new(s).unwrap()
}

fn link(link_id: &str, kind: LinkKind, members: &[&str]) -> LinkInput {
    LinkInput {
        id: LinkId::new(link_id).unwrap(),
        kind,
        status: LinkStatus::Active,
        evidence: crate::model::Evidence::Stated,
        signed: None,
        ended: None,
        members: members.iter().map(|m| id(m)).collect(),
    }
}

fn base() -> GraphSnapshot {
    let nodes = [
        ("city:a", NodeKind::City),
        ("city:b", NodeKind::City),
        ("city:c", NodeKind::City),
        ("association:x", NodeKind::Association),
    ]
    .map(|(n, k)| (id(n), k));
    project::build(
        1,
        nodes,
        [
            link("twin-ab", LinkKind::Twinning, &["city:b", "city:a"]),
            link("tri", LinkKind::Trilateral, &["city:c", "city:a", "city:b"]),
            link(
                "member-a",
                LinkKind::Membership,
                &["city:a", "association:x"],
            ),
        ],
    )
    .unwrap()
}

fn between(graph: &GraphSnapshot, kind: LinkKind, members: &[&str]) -> Option<String> {
    let members: Vec<NodeId> = members.iter().map(|m| id(m)).collect();
    let canonical = Link::canonical_members(kind, &members);
    graph
        .link_between(kind, &canonical)
        .map(|l| graph.link_id(l).into_owned())
}

#[test]
fn the_uniqueness_rule_is_answered_from_the_graph() {
    let g = base();
    assert_eq!(
        between(&g, LinkKind::Twinning, &["city:a", "city:b"]).as_deref(),
        Some("twin-ab")
    );
    assert_eq!(
        between(&g, LinkKind::Twinning, &["city:b", "city:a"]).as_deref(),
        Some("twin-ab")
    );
    assert_eq!(
        between(&g, LinkKind::Friendship, &["city:a", "city:b"]),
        None,
        "another kind"
    );
    assert_eq!(
        between(&g, LinkKind::Trilateral, &["city:b", "city:c", "city:a"]).as_deref(),
        Some("tri")
    );
    assert_eq!(between(&g, LinkKind::Twinning, &["city:a", "city:c"]), None);
    assert_eq!(
        between(&g, LinkKind::Membership, &["city:a", "association:x"]).as_deref(),
        Some("member-a")
    );
    assert_eq!(
        between(&g, LinkKind::Membership, &["association:x", "city:a"]),
        None,
        "membership keeps its member order"
    );
    assert_eq!(
        between(&g, LinkKind::Twinning, &["city:a", "city:nowhere"]),
        None
    );
}

#[test]
fn a_nodes_links_and_pairs_follow_the_overlay() {
    let g = base();
    assert_eq!(g.link_ids_of(&id("city:a")), ["member-a", "tri", "twin-ab"]);
    assert_eq!(g.link_ids_of(&id("city:c")), ["tri"]);
    assert!(g.link_ids_of(&id("city:nowhere")).is_empty());
    assert!(g.has_links(&id("city:c")));
    assert!(!g.has_links(&id("city:nowhere")));
    let delta = GraphDelta {
        removed_links: vec![LinkId::new("twin-ab").unwrap()],
        upserted_nodes: vec![(id("city:d"), NodeKind::City)],
        upserted_links: vec![
            link("twin-ad", LinkKind::Twinning, &["city:a", "city:d"]),
            link("friends-ab", LinkKind::Friendship, &["city:a", "city:b"]),
        ],
        ..GraphDelta::default()
    };
    let g = project::apply(&g, 2, delta).unwrap();
    assert_eq!(
        g.link_ids_of(&id("city:a")),
        ["friends-ab", "member-a", "tri", "twin-ad"]
    );
    assert_eq!(g.link_ids_of(&id("city:d")), ["twin-ad"]);
    let lonely = GraphDelta {
        removed_links: vec![LinkId::new("tri").unwrap()],
        ..GraphDelta::default()
    };
    let g3 = project::apply(&g, 3, lonely).unwrap();
    assert!(!g3.has_links(&id("city:c")), "its only link was removed");
    assert_eq!(
        between(&g, LinkKind::Twinning, &["city:a", "city:b"]),
        None,
        "removed"
    );
    assert_eq!(
        between(&g, LinkKind::Friendship, &["city:b", "city:a"]).as_deref(),
        Some("friends-ab"),
        "a new link on a pair of the base"
    );
    assert_eq!(
        between(&g, LinkKind::Twinning, &["city:d", "city:a"]).as_deref(),
        Some("twin-ad"),
        "a link on a pair only the overlay has"
    );
}

#[test]
fn ids_written_into_one_buffer_are_the_ids_of_the_links() {
    // Chosen and derived ids, in the overlay and, once compacted, in the base (where a
    // derived id is written out from the members), one after another in one buffer.
    let delta = GraphDelta {
        upserted_links: vec![
            link(
                "friendship:city:b+city:c",
                LinkKind::Friendship,
                &["city:c", "city:b"],
            ),
            link("twin-bc", LinkKind::Twinning, &["city:b", "city:c"]),
        ],
        ..GraphDelta::default()
    };
    let overlaid = project::apply(&base(), 2, delta).unwrap();
    let compacted = project::compact(&overlaid).unwrap();
    for g in [overlaid, compacted] {
        let every: Vec<_> = g.live_links().collect();
        let written = g.link_ids(&every);
        let mut ids: Vec<&str> = written.iter().collect();
        assert_eq!(ids.len(), every.len());
        for (&l, id) in every.iter().zip(&ids) {
            assert_eq!(*id, g.link_id(l));
        }
        ids.sort_unstable();
        assert_eq!(
            ids,
            [
                "friendship:city:b+city:c",
                "member-a",
                "tri",
                "twin-ab",
                "twin-bc"
            ]
        );
    }
    assert_eq!(base().link_ids(&[]).iter().count(), 0);
}

#[test]
fn every_link_is_found_by_its_id_derived_or_chosen() {
    // Derived ids are found through their members' pair, chosen ones through their
    // table; a node id stored before `+` was refused may hold one.
    let nodes = [
        ("city:a", NodeKind::City),
        ("city:a+b", NodeKind::City),
        ("city:b", NodeKind::City),
        ("city:c", NodeKind::City),
        ("association:x", NodeKind::Association),
    ]
    .map(|(n, k)| (id(n), k));
    let ids = [
        "twinning:city:a+city:b",
        "twinning:city:a+b+city:c",
        "friendship:city:a+city:b",
        "trilateral:city:a+city:b+city:c",
        "membership:city:c+association:x",
        // Chosen, in the form of a derived id of other members.
        "twinning:city:b+city:c",
    ];
    let g = project::build(
        1,
        nodes,
        [
            link(ids[0], LinkKind::Twinning, &["city:b", "city:a"]),
            link(ids[1], LinkKind::Twinning, &["city:c", "city:a+b"]),
            link(ids[2], LinkKind::Friendship, &["city:a", "city:b"]),
            link(
                ids[3],
                LinkKind::Trilateral,
                &["city:c", "city:a", "city:b"],
            ),
            link(ids[4], LinkKind::Membership, &["city:c", "association:x"]),
            link(ids[5], LinkKind::Twinning, &["city:a", "city:c"]),
        ],
    )
    .unwrap();
    for (ix, link_id) in ids.iter().enumerate() {
        let found = g.link_ix(&LinkId::new(*link_id).unwrap());
        assert_eq!(found, Some(ix as u32), "{link_id}");
        assert_eq!(g.link_id(ix as u32), *link_id);
    }
    assert!(g.link_id_is_derived(0) && !g.link_id_is_derived(5));
    for absent in [
        "twinning:city:b+city:a", // not canonical
        "friendship:city:a+city:c",
        "trilateral:city:a+city:b",
        "located_in:city:a+city:b",
        "membership:association:x+city:c",
        "twinning:city:a+city:c",
        "twinning:city:a",
        "twinning:",
        "nokind:city:a+city:b",
        "twinning:city:a+city:b+",
    ] {
        assert_eq!(g.link_ix(&LinkId::new(absent).unwrap()), None, "{absent}");
    }
}
