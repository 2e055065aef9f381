//! The incrementally maintained snapshot (overlay edits, background compaction) equals
//! the snapshot rebuilt from the store after a long sequence of writes of every kind:
//! the same nodes, links, adjacency, and the same answers to graph questions.

use std::collections::{BTreeMap, BTreeSet};

use pobratim::graph::algo::{centrality::pagerank::pagerank, components::components, paths};
use pobratim::graph::filter::Filter;
use pobratim::graph::view::GraphView;
use pobratim::graph::GraphSnapshot;
use pobratim::service::{link_from_json, node_from_json, Change, Service};
use serde_json::{json, Value};

/// How long a test polls for a background step (a compaction) before calling it
/// broken: far beyond its usual tens of milliseconds, so a loaded two-core machine
/// does not fail a correct build.
const POLL_CAP: std::time::Duration = std::time::Duration::from_secs(120);

struct Rng(u64);

impl Rng {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn city(i: usize) -> Change {
    Change::CreateNode(
        node_from_json(object(
            json!({"kind": "city", "name": format!("City {i}"), "country": "RU"}),
        ))
        .unwrap(),
    )
}

fn link(kind: &str, members: &[String], status: &str) -> Change {
    Change::CreateLink(
        link_from_json(object(
            json!({"kind": kind, "members": members, "status": status}),
        ))
        .unwrap(),
    )
}

type Shape = (
    BTreeMap<String, String>,
    BTreeMap<String, (String, String, Vec<String>)>,
    BTreeMap<String, Vec<(String, Vec<String>)>>,
);

/// Everything a snapshot says, by id (indices differ between the two).
fn shape(g: &GraphSnapshot) -> Shape {
    let nodes = g
        .live_nodes()
        .map(|v| {
            (
                g.node_id(v).to_string(),
                g.node_kind(v).as_str().to_string(),
            )
        })
        .collect();
    let links = g
        .live_links()
        .map(|l| {
            let e = g.link(l);
            (
                g.link_id(l).to_string(),
                (
                    e.kind.as_str().to_string(),
                    e.status.as_str().to_string(),
                    e.members
                        .iter()
                        .map(|m| g.node_id(*m).to_string())
                        .collect(),
                ),
            )
        })
        .collect();
    let adjacency = g
        .live_nodes()
        .map(|v| {
            let mut around: Vec<(String, Vec<String>)> = g
                .neighbours(v)
                .map(|(w, ls)| {
                    let mut ids: Vec<String> = ls.map(|l| g.link_id(l).to_string()).collect();
                    ids.sort();
                    (g.node_id(w).to_string(), ids)
                })
                .collect();
            around.sort();
            (g.node_id(v).to_string(), around)
        })
        .collect();
    (nodes, links, adjacency)
}

/// Components, PageRank and hop distances, by id.
type Answers = (
    BTreeSet<BTreeSet<String>>,
    BTreeMap<String, f64>,
    Vec<BTreeMap<String, u32>>,
);

/// Answers to graph questions, by id: components, PageRank, hop distances.
fn answers(g: &GraphSnapshot, sources: &[String]) -> Answers {
    let view = GraphView::build(g, &Filter::default());
    let (label, _) = components(&view);
    let mut groups: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for v in view.nodes() {
        groups
            .entry(label[v as usize])
            .or_default()
            .insert(g.node_id(v).to_string());
    }
    let ranks = pagerank(&view, 0.85, 100, 1e-6).unwrap();
    let ranks = view
        .nodes()
        .map(|v| (g.node_id(v).to_string(), ranks[v as usize]))
        .collect();
    let distances = sources
        .iter()
        .filter_map(|s| g.index_of(&s.parse().unwrap()))
        .map(|s| {
            let d = paths::distances(&view, s, usize::MAX);
            view.nodes()
                .filter(|v| d[*v as usize] != u32::MAX)
                .map(|v| (g.node_id(v).to_string(), d[v as usize]))
                .collect()
        })
        .collect();
    (groups.into_values().collect(), ranks, distances)
}

pub(crate) fn assert_same(service: &Service, sources: &[String], when: &str) {
    let live = service.snapshot();
    let rebuilt = service.rebuild_snapshot().unwrap();
    assert_eq!(live.version(), rebuilt.version(), "{when}");
    assert_eq!(
        (live.node_count(), live.link_count()),
        (rebuilt.node_count(), rebuilt.link_count()),
        "{when}"
    );
    assert!(
        shape(&live) == shape(&rebuilt),
        "{when}: nodes, links or adjacency differ"
    );
    assert_views_same(service, &live, &rebuilt, when);
    let (a, b) = (answers(&live, sources), answers(&rebuilt, sources));
    assert_eq!(a.0, b.0, "{when}: components");
    assert_eq!(a.2, b.2, "{when}: distances");
    for (id, rank) in &a.1 {
        assert!((rank - b.1[id]).abs() < 1e-12, "{when}: pagerank of {id}");
    }
}

/// The service's views (a base view patched with the overlay's rows) equal views built
/// from scratch: on the live snapshot index for index, flat arrays included, and on the
/// rebuilt snapshot id for id.
fn assert_views_same(service: &Service, live: &GraphSnapshot, rebuilt: &GraphSnapshot, when: &str) {
    use pobratim::model::{LinkKind, NodeKind};
    let filters = [
        Filter::default(),
        Filter::everything(),
        Filter {
            kinds: Filter::kind_bits(&[LinkKind::Twinning, LinkKind::Trilateral]),
            node_kinds: Filter::node_kind_bits(&[NodeKind::City]),
            ..Filter::everything()
        },
    ];
    for filter in &filters {
        let scope = service.scope(filter);
        assert_eq!(scope.graph.version(), live.version(), "{when}");
        let served = &scope.view;
        let fresh = GraphView::build(live, filter);
        let again = GraphView::build(rebuilt, filter);
        assert_eq!(
            served.node_count(),
            fresh.node_count(),
            "{when}: {filter:?}"
        );
        assert_eq!(
            served.edge_count(),
            fresh.edge_count(),
            "{when}: {filter:?}"
        );
        assert_eq!(
            served.node_count(),
            again.node_count(),
            "{when}: {filter:?}"
        );
        assert_eq!(
            served.edge_count(),
            again.edge_count(),
            "{when}: {filter:?}"
        );
        for v in 0..live.node_bound() as u32 {
            assert_eq!(served.contains(v), fresh.contains(v), "{when}: {filter:?}");
            let rows: (Vec<_>, Vec<_>) = (
                served.neighbours_with_pairs(v).collect(),
                fresh.neighbours_with_pairs(v).collect(),
            );
            assert_eq!(
                rows.0,
                rows.1,
                "{when}: {filter:?}: row of {}",
                live.node_id(v)
            );
            for (w, pair) in rows.0 {
                assert_eq!(served.pair_between(v, w), Some(pair));
            }
            if served.contains(v) {
                let w = rebuilt.index_of(&live.node_id(v).parse().unwrap()).unwrap();
                let by_id = |g: &GraphSnapshot, view: &GraphView, v: u32| {
                    let mut ids: Vec<String> = view
                        .neighbours(v)
                        .iter()
                        .map(|x| g.node_id(*x).to_string())
                        .collect();
                    ids.sort();
                    ids
                };
                assert_eq!(by_id(live, served, v), by_id(rebuilt, &again, w), "{when}");
            }
        }
        // The flat arrays merged from the patch are the ones a fresh build lays out.
        assert!(
            served.csr() == fresh.csr(),
            "{when}: {filter:?}: merged CSR"
        );
    }
}

#[test]
fn the_incremental_snapshot_equals_the_one_rebuilt_from_the_store() {
    let dir = tempfile::TempDir::new().unwrap();
    let service = Service::open(&dir.path().join("data"))
        .unwrap()
        .with_compaction_after(300);
    let mut rng = Rng(7);
    let n = 3000;
    let ids: Vec<String> = (0..n).map(|i| format!("city:ru:city-{i}")).collect();
    let mut initial: Vec<(String, Change)> = (0..n).map(|i| (String::new(), city(i))).collect();
    initial.push((
        String::new(),
        Change::CreateNode(
            node_from_json(object(
                json!({"kind": "association", "name": "League", "id": "association:league"}),
            ))
            .unwrap(),
        ),
    ));
    service.write(initial).unwrap();
    let mut pairs = BTreeSet::new();
    let mut batch = Vec::new();
    while pairs.len() < 6000 {
        let (a, b) = (rng.next(n), rng.next(n));
        if a != b && pairs.insert((a.min(b), a.max(b))) {
            let kind = if rng.next(4) == 0 {
                "friendship"
            } else {
                "twinning"
            };
            batch.push((
                String::new(),
                link(kind, &[ids[a].clone(), ids[b].clone()], "active"),
            ));
        }
    }
    service.write(batch).unwrap();
    let sources: Vec<String> = (0..5).map(|i| ids[i * 500].clone()).collect();
    assert_same(&service, &sources, "after loading");

    let mut created = n;
    let (mut accepted, mut refused) = (0, 0);
    for step in 0..1500 {
        let pick = ids[rng.next(n)].clone();
        let other = ids[rng.next(n)].clone();
        let change = match rng.next(10) {
            0 | 1 => {
                created += 1;
                city(created)
            }
            2 => Change::DeleteNode {
                id: pick.parse().unwrap(),
                cascade: true,
            },
            3 | 4 => link("twinning", &[pick, other], "active"),
            5 => link(
                "trilateral",
                &[pick, other, ids[rng.next(n)].clone()],
                "active",
            ),
            6 => link("membership", &[pick, "association:league".into()], "active"),
            7 => {
                let links = service.snapshot().link_ids_of(&pick.parse().unwrap());
                match links.first() {
                    Some(id) => Change::PatchLink {
                        id: id.parse().unwrap(),
                        patch: json!({"status": "ended", "ended": "2020"}),
                    },
                    None => continue,
                }
            }
            _ => {
                let links = service.snapshot().link_ids_of(&pick.parse().unwrap());
                match links.last() {
                    Some(id) => Change::DeleteLink(id.parse().unwrap()),
                    None => continue,
                }
            }
        };
        let (version, links) = (service.version(), service.snapshot().link_count());
        let outcome = accepted_or_refused_by_a_rule(service.write(vec![(String::new(), change)]));
        if let Some(summary) = outcome {
            accepted += 1;
            let changed = summary.created + summary.updated + summary.deleted > 0;
            assert_eq!(
                service.version(),
                version + u64::from(changed),
                "a write that changed records moves the version by one"
            );
        } else {
            refused += 1;
            assert_eq!(
                service.version(),
                version,
                "a refused write changes nothing"
            );
            assert_eq!(service.snapshot().link_count(), links);
        }
        if step % 500 == 499 {
            assert_same(&service, &sources, &format!("after {} writes", step + 1));
        }
    }
    // Most writes land (creations, fresh links, deletions); some are refused.
    assert!(
        accepted > 1000 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
    // A background compaction is installed by the next write after it finishes: write
    // until it is (no fixed wait; the bound only keeps a broken build from hanging).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while service.snapshot().overlay_changes() >= 600 && std::time::Instant::now() < deadline {
        created += 1;
        service.write(vec![(String::new(), city(created))]).unwrap();
        std::thread::yield_now();
    }
    assert!(
        service.snapshot().overlay_changes() < 600,
        "the overlay was compacted along the way ({} changes)",
        service.snapshot().overlay_changes()
    );
    assert_same(&service, &sources, "after compaction");
}

/// What an accepted write did; `None` when a rule of the model or the store refused it
/// (a duplicate pair, a deleted member, a self-link). Any other failure fails the test.
fn accepted_or_refused_by_a_rule(
    outcome: Result<pobratim::service::WriteSummary, pobratim::service::ServiceError>,
) -> Option<pobratim::service::WriteSummary> {
    use pobratim::service::ServiceError;
    match outcome {
        Ok(summary) => Some(summary),
        Err(
            ServiceError::Conflict { .. }
            | ServiceError::NotFound { .. }
            | ServiceError::Invalid(_)
            | ServiceError::UnknownNode { .. },
        ) => None,
        Err(e) => panic!("a write failed for no rule: {e}"),
    }
}

#[test]
fn a_reopened_store_loads_its_snapshot_file_and_replays_the_writes_since() {
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().join("data");
    let ids: Vec<String> = (0..400).map(|i| format!("city:ru:city-{i}")).collect();
    let sources: Vec<String> = ids.iter().step_by(100).cloned().collect();
    let mut rng = Rng(11);
    let random_links = |rng: &mut Rng, count: usize| -> Vec<(String, Change)> {
        (0..count)
            .map(|_| {
                let (a, b) = (rng.next(400), rng.next(400));
                (
                    String::new(),
                    link("twinning", &[ids[a].clone(), ids[b].clone()], "active"),
                )
            })
            .collect()
    };
    {
        let service = Service::open(&data).unwrap();
        service
            .write((0..400).map(|i| (String::new(), city(i))).collect())
            .unwrap();
        for change in random_links(&mut rng, 300) {
            accepted_or_refused_by_a_rule(service.write(vec![change]));
        }
        service.save_snapshot().unwrap();
        assert!(data.join(pobratim::service::SNAPSHOT_FILE).exists());
        // Writes after the file was written: the next open replays them from the log.
        for change in random_links(&mut rng, 100) {
            accepted_or_refused_by_a_rule(service.write(vec![change]));
        }
        service
            .write(vec![(
                String::new(),
                Change::DeleteNode {
                    id: ids[7].parse().unwrap(),
                    cascade: true,
                },
            )])
            .unwrap();
    }
    let service = Service::open(&data).unwrap();
    assert!(
        matches!(service.snapshot_origin(), pobratim::service::SnapshotOrigin::File { replayed } if replayed > 50),
        "{:?}",
        service.snapshot_origin()
    );
    assert_same(&service, &sources, "reopened: file + change log");
    drop(service);

    // A damaged file is ignored: the graph is rebuilt from the records.
    let file = data.join(pobratim::service::SNAPSHOT_FILE);
    let mut raw = std::fs::read(&file).unwrap();
    let at = raw.len() / 2;
    raw[at] ^= 0xff;
    std::fs::write(&file, &raw).unwrap();
    let service = Service::open(&data).unwrap();
    assert_eq!(
        service.snapshot_origin(),
        pobratim::service::SnapshotOrigin::Records
    );
    assert_same(&service, &sources, "reopened with a damaged file");
    assert_eq!(service.snapshot().node_count(), 399);
    drop(service);

    // A damaged record does not stop the rebuild from the records: it is passed over
    // and counted (docs/damaged-records.md).
    let links_before = {
        let service = Service::open(&data).unwrap();
        service.snapshot().link_count()
    };
    std::fs::remove_file(&file).unwrap();
    let damaged_key = {
        let db = crate::common::open_sled(&data);
        let links = db.open_tree("links.v1").unwrap();
        let (key, _) = links.iter().nth(10).unwrap().unwrap();
        links.insert(&key, &b"\x01{not json"[..]).unwrap();
        db.flush().unwrap();
        String::from_utf8(key.to_vec()).unwrap()
    };
    let service = Service::open(&data).unwrap();
    assert_eq!(service.snapshot().link_count(), links_before - 1);
    let damaged_id = pobratim::model::LinkId::new(&damaged_key).unwrap();
    assert!(service.snapshot().link_ix(&damaged_id).is_none());
    assert_eq!(service.damage_stats().distinct, 1);
    assert_eq!(service.snapshot().node_count(), 399);
}

/// Sixteen threads write at once, so writes are committed in groups: every accepted
/// write gets its own version and change-log entry (by its author), a refused write —
/// a duplicate pair, or a batch whose second change names no node — leaves nothing,
/// and the snapshot equals the one rebuilt from the store.
#[test]
fn concurrent_writes_are_grouped_yet_each_stays_its_own() {
    let dir = tempfile::TempDir::new().unwrap();
    let service = std::sync::Arc::new(
        Service::open(&dir.path().join("data"))
            .unwrap()
            .with_compaction_after(200),
    );
    let n = 60;
    let ids: Vec<String> = (0..n).map(|i| format!("city:ru:city-{i}")).collect();
    service
        .write((0..n).map(|i| (String::new(), city(i))).collect())
        .unwrap();
    let start = service.version();
    let threads: Vec<_> = (0..16u64)
        .map(|t| {
            let (service, ids) = (std::sync::Arc::clone(&service), ids.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(t + 11);
                let actor = format!("writer-{t}");
                let mut outcomes = Vec::new();
                for i in 0..40 {
                    let (a, b) = (rng.next(n), rng.next(n));
                    if a == b {
                        continue;
                    }
                    let pair = vec![ids[a].clone(), ids[b].clone()];
                    let refused_batch = i % 7 == 3;
                    let mut changes = vec![(String::new(), link("twinning", &pair, "active"))];
                    if refused_batch {
                        let ghost = vec![ids[a].clone(), "city:ru:nowhere".to_string()];
                        changes
                            .push(("operations[1]".into(), link("friendship", &ghost, "active")));
                    }
                    let result = service.write_by(&actor, changes);
                    outcomes.push((pair, refused_batch, result.map(|s| s.graph_version)));
                }
                (actor, outcomes)
            })
        })
        .collect();
    let mut versions = Vec::new();
    for thread in threads {
        let (actor, outcomes) = thread.join().unwrap();
        for (pair, refused_batch, result) in outcomes {
            match result {
                Ok(version) => {
                    assert!(!refused_batch, "a batch naming a missing node was accepted");
                    let entry = service.upkeep().changes_since(version - 1, 1).unwrap();
                    assert_eq!(entry[0].version, version);
                    assert_eq!(entry[0].actor, actor, "version {version} is {actor}'s");
                    versions.push(version);
                }
                Err(pobratim::service::ServiceError::Conflict { .. }) if !refused_batch => {
                    // The pair was linked already (by anyone): it still is, once.
                    let linked = service.snapshot().link_between(
                        pobratim::model::LinkKind::Twinning,
                        &pobratim::model::Link::canonical_members(
                            pobratim::model::LinkKind::Twinning,
                            &[pair[0].parse().unwrap(), pair[1].parse().unwrap()],
                        ),
                    );
                    assert!(linked.is_some(), "a refused duplicate has its original");
                }
                Err(pobratim::service::ServiceError::Invalid(_)) if refused_batch => {}
                Err(pobratim::service::ServiceError::Conflict { .. }) if refused_batch => {}
                Err(e) => panic!("unexpected error {e}"),
            }
        }
    }
    versions.sort_unstable();
    let expected: Vec<u64> = (start + 1..=start + versions.len() as u64).collect();
    assert_eq!(
        versions, expected,
        "one version per accepted write, no gaps"
    );
    assert_eq!(service.version(), start + versions.len() as u64);
    assert_eq!(
        service.snapshot().link_count(),
        versions.len(),
        "each accepted write added its one link; refused batches added none"
    );
    assert!(service.upkeep().check().unwrap().is_empty());
    assert!(matches!(
        service.get_node("city:ru:nowhere"),
        Err(pobratim::service::ServiceError::NotFound { .. })
    ));
    let sources: Vec<String> = ids.iter().take(5).cloned().collect();
    assert_same(&service, &sources, "after concurrent writes");
}

/// A compaction builds, before its new base is installed, the views the old base had
/// in use: the first reader after the switch does not wait for a whole-graph build.
#[test]
fn after_a_compaction_the_views_in_use_are_ready_before_the_first_read() {
    let dir = tempfile::TempDir::new().unwrap();
    let service = Service::open(&dir.path().join("data"))
        .unwrap()
        .with_compaction_after(100);
    service
        .write((0..50).map(|i| (String::new(), city(i))).collect())
        .unwrap();
    let used = Filter::everything();
    let unused = Filter {
        kinds: Filter::kind_bits(&[pobratim::model::LinkKind::Friendship]),
        ..Filter::everything()
    };
    let before = service.snapshot();
    service.scope(&used);
    // One write of 120 changes crosses the threshold; the compaction runs in the background.
    service
        .write((1000..1120).map(|i| (String::new(), city(i))).collect())
        .unwrap();
    let started = std::time::Instant::now();
    let mut tries = 0;
    while service.snapshot().same_base(&before) {
        tries += 1;
        assert!(started.elapsed() < POLL_CAP, "the compaction was installed");
        std::thread::sleep(std::time::Duration::from_millis(25));
        service
            .write(vec![(String::new(), city(2000 + tries))])
            .unwrap();
    }
    assert!(service.view_is_ready(&used), "prepared while compacting");
    assert!(
        !service.view_is_ready(&unused),
        "only views in use are prepared"
    );
    let scope = service.scope(&used);
    assert_eq!(scope.view.node_count(), service.snapshot().node_count());
}

/// A compaction rewrites the snapshot file only every few compactions (the first one
/// at once when there is no file); an open after a crash replays the writes since.
#[test]
fn compactions_rewrite_the_snapshot_file_every_few_times() {
    use pobratim::service::SAVE_EVERY_COMPACTIONS;
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().join("data");
    let file = data.join(pobratim::service::SNAPSHOT_FILE);
    let file_version = || {
        pobratim::graph::persist::load(&file)
            .unwrap()
            .map(|g| g.version())
    };
    let service = Service::open(&data).unwrap().with_compaction_after(100);
    let rounds = 2 * SAVE_EVERY_COMPACTIONS as usize + 1;
    let mut seen = Vec::new();
    for round in 0..rounds {
        let before = service.snapshot();
        let first = 10_000 * (round + 1);
        service
            .write(
                (first..first + 120)
                    .map(|i| (String::new(), city(i)))
                    .collect(),
            )
            .unwrap();
        let started = std::time::Instant::now();
        let mut tries = 0;
        while service.snapshot().same_base(&before) {
            tries += 1;
            assert!(
                started.elapsed() < POLL_CAP,
                "round {round}: the compaction was installed"
            );
            std::thread::sleep(std::time::Duration::from_millis(25));
            service
                .write(vec![(String::new(), city(first + 200 + tries))])
                .unwrap();
        }
        seen.push(file_version());
    }
    let every = SAVE_EVERY_COMPACTIONS as usize;
    for (round, version) in seen.iter().enumerate() {
        let expected_from = round / every * every;
        assert_eq!(
            *version, seen[expected_from],
            "round {round}: the file of round {expected_from} ({seen:?})"
        );
        if round > 0 && round % every == 0 {
            assert!(
                version > &seen[round - 1],
                "round {round} rewrote it: {seen:?}"
            );
        }
    }
    assert!(
        seen[0].is_some(),
        "the first compaction writes a missing file"
    );
    let last = service.snapshot();
    drop(service);
    let reopened = Service::open(&data).unwrap();
    assert!(
        matches!(reopened.snapshot_origin(), pobratim::service::SnapshotOrigin::File { replayed } if replayed > 0),
        "{:?}",
        reopened.snapshot_origin()
    );
    assert_eq!(reopened.snapshot().node_count(), last.node_count());
    assert_eq!(reopened.version(), last.version());
}

/// Bursts of creations only (new cities, links on new and on existing pairs, links of
/// three) are compacted by extending the base; each compacted graph, and the views
/// built over it, equal the ones rebuilt from the store.
#[test]
fn bursts_of_creations_compact_into_the_graph_a_rebuild_gives() {
    let dir = tempfile::TempDir::new().unwrap();
    let service = Service::open(&dir.path().join("data"))
        .unwrap()
        .with_compaction_after(150);
    let ids: Vec<String> = (0..300).map(|i| format!("city:ru:city-{i}")).collect();
    service
        .write((0..300).map(|i| (String::new(), city(i))).collect())
        .unwrap();
    let sources: Vec<String> = ids.iter().step_by(60).cloned().collect();
    let mut rng = Rng(5);
    let mut created = 300;
    for round in 0..4 {
        let before = service.snapshot();
        let mut burst: Vec<(String, Change)> = (created..created + 40)
            .map(|i| (String::new(), city(i)))
            .collect();
        created += 40;
        for _ in 0..40 {
            let (a, b, c) = (rng.next(300), rng.next(300), rng.next(created));
            let members = |ix: &[usize]| -> Vec<String> {
                ix.iter().map(|&i| format!("city:ru:city-{i}")).collect()
            };
            for (kind, m) in [
                ("twinning", members(&[a, c])),
                ("friendship", members(&[a, c])),
                ("trilateral", members(&[a, b, c])),
            ] {
                // Duplicates and repeated members are refused one by one: fine.
                accepted_or_refused_by_a_rule(
                    service.write(vec![(String::new(), link(kind, &m, "active"))]),
                );
            }
        }
        burst.truncate(40);
        service.write(burst).unwrap();
        // Views in use when the compaction starts are prepared from the current ones.
        service.scope(&Filter::everything());
        service.scope(&Filter::default());
        let started = std::time::Instant::now();
        let mut tries = 0;
        while service.snapshot().same_base(&before) {
            tries += 1;
            assert!(
                started.elapsed() < POLL_CAP,
                "round {round}: a compaction was installed"
            );
            std::thread::sleep(std::time::Duration::from_millis(25));
            accepted_or_refused_by_a_rule(
                service.write(vec![(String::new(), city(100_000 + round * 1000 + tries))]),
            );
        }
        assert_same(&service, &sources, &format!("after burst {round}"));
    }
    // Two compactions with no reader in between: the second starts from views the
    // first prepared but no reader installed.
    for round in 0..2 {
        let before = service.snapshot();
        let name = |i: usize| format!("city:ru:city-{i}");
        let mut burst: Vec<(String, Change)> = (created..created + 160)
            .map(|i| (String::new(), city(i)))
            .collect();
        for k in 0..80 {
            let (a, b) = (created + 2 * k, created + 2 * k + 1);
            burst.push((
                String::new(),
                link("twinning", &[name(a), name(b)], "active"),
            ));
            burst.push((
                String::new(),
                link("friendship", &[name(a), name(k)], "active"),
            ));
        }
        service.write(burst).unwrap();
        created += 160;
        let started = std::time::Instant::now();
        let mut tries = 0;
        while service.snapshot().same_base(&before) {
            tries += 1;
            assert!(
                started.elapsed() < POLL_CAP,
                "quiet round {round}: a compaction was installed"
            );
            std::thread::sleep(std::time::Duration::from_millis(25));
            accepted_or_refused_by_a_rule(
                service.write(vec![(String::new(), city(200_000 + round * 1000 + tries))]),
            );
        }
    }
    assert_same(&service, &sources, "after two compactions without readers");
}
