//! Records that cannot be read back (damaged bytes) do not take down listings, search,
//! exports or the partner finder: they are passed over, counted in `/metrics`, and
//! removed by `DELETE` or by `pobratim check --repair`, which says what it removed.

use std::path::PathBuf;
use std::process::Output;

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::common::{ids, pobratim_on as pobratim, TestServer, GRAPH_EXPORT_FORMATS};

const BROKEN_NODE: &str = "city:jp:broken";
/// A readable link that names the damaged node.
const LINK_TO_BROKEN: &str = "l-to-broken";
/// A link whose own record is damaged.
const BROKEN_LINK: &str = "l-broken";

/// A seeded store with a node and two links, then their records overwritten by bytes no
/// build can read (their index entries stay, as after real damage).
fn damaged_store() -> (PathBuf, Option<TempDir>, usize, usize) {
    let server = TestServer::start_seeded();
    let health = server.get("/healthz").body;
    let (nodes, links) = (
        health["nodes"].as_u64().unwrap() as usize,
        health["links"].as_u64().unwrap() as usize,
    );
    let made = server.post(
        "/api/v1/nodes",
        &json!({"id": BROKEN_NODE, "kind": "city", "name": "Brokenville", "country": "JP"}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    for (id, members) in [
        (LINK_TO_BROKEN, [BROKEN_NODE, "city:jp:niigata"]),
        (BROKEN_LINK, ["city:ru:vladivostok", "city:jp:niigata"]),
    ] {
        let made = server.post(
            "/api/v1/links",
            &json!({"id": id, "kind": "friendship", "members": members}),
        );
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let (path, dir) = server.stop();
    // The snapshot file a serving process leaves: its graph holds the records damaged below.
    pobratim::service::Service::open(&path)
        .unwrap()
        .save_snapshot()
        .unwrap();
    {
        let db = crate::common::open_sled(&path);
        let damage = |tree: &str, key: &str, bytes: &[u8]| {
            let tree = db.open_tree(tree).unwrap();
            assert!(tree.get(key).unwrap().is_some(), "{key} is stored");
            tree.insert(key, bytes).unwrap();
        };
        damage(
            "nodes.v1",
            BROKEN_NODE,
            b"\x01{\"id\":\"city:jp:broken\",\"kind\":",
        );
        damage("links.v1", BROKEN_LINK, b"\x01[1,2");
        db.flush().unwrap();
    }
    (path, dir, nodes, links)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The ids on every page of `path`, seven at a time.
fn all_ids(server: &TestServer, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    let join = if path.contains('?') { '&' } else { '?' };
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{join}limit=7&cursor={c}"),
            None => format!("{path}{join}limit=7"),
        };
        let page = server.get(&url);
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        out.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
        .parse()
        .unwrap()
}

#[test]
fn damaged_records_are_passed_over_counted_and_deleted_through_the_api() {
    // The graph loaded from the snapshot file (written before the damage: it holds the
    // damaged records), then rebuilt from the records (it cannot hold them).
    for from_file in [true, false] {
        passed_over_counted_and_deleted(from_file);
    }
}

fn passed_over_counted_and_deleted(graph_from_file: bool) {
    let (path, dir, seed_nodes, seed_links) = damaged_store();
    if !graph_from_file {
        std::fs::remove_file(path.join(pobratim::service::SNAPSHOT_FILE)).unwrap();
    }
    let server = TestServer::start_at(&path, true, dir).unwrap();
    if !graph_from_file {
        // The damaged node and the link naming it are left out of the graph.
        let health = server.get("/healthz").body;
        assert_eq!(health["nodes"].as_u64().unwrap() as usize, seed_nodes);
        assert_eq!(health["links"].as_u64().unwrap() as usize, seed_links);
    }

    // Listings page past them, whatever index leads there.
    let every_node = all_ids(&server, "/api/v1/nodes?kind=city");
    assert!(!every_node.is_empty());
    assert!(!every_node.contains(&BROKEN_NODE.to_string()));
    let all_nodes = all_ids(&server, "/api/v1/nodes");
    assert_eq!(all_nodes.len(), seed_nodes, "{all_nodes:?}");
    let japanese = all_ids(&server, "/api/v1/nodes?country=JP");
    assert!(japanese.contains(&"city:jp:niigata".to_string()));
    assert!(!japanese.contains(&BROKEN_NODE.to_string()));
    let found = server.get("/api/v1/nodes?q=brokenville");
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(ids(&found.body), Vec::<String>::new());
    let all_links = all_ids(&server, "/api/v1/links");
    assert_eq!(
        all_links.len(),
        seed_links + 1,
        "the readable link to it stays listed"
    );
    assert!(!all_links.contains(&BROKEN_LINK.to_string()));
    let friendships = all_ids(&server, "/api/v1/links?kind=friendship");
    assert!(friendships.contains(&LINK_TO_BROKEN.to_string()));
    assert!(!friendships.contains(&BROKEN_LINK.to_string()));

    // Reading one directly names the damage and the way out.
    let read = server.get(&format!("/api/v1/nodes/{BROKEN_NODE}"));
    assert_eq!(read.status, 500);
    assert_eq!(read.body["code"], "damaged_record", "{}", read.body);
    let detail = read.body["detail"].as_str().unwrap();
    assert!(
        detail.contains(BROKEN_NODE) && detail.contains("check --repair"),
        "{detail}"
    );
    let read = server.get(&format!("/api/v1/links/{BROKEN_LINK}"));
    assert_eq!(read.body["code"], "damaged_record", "{}", read.body);

    // Exports hold every readable record, and no link without its members.
    let native = server.get("/api/v1/export");
    assert_eq!(native.status, 200);
    let exported: Vec<&str> = native.body["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(exported.len(), seed_nodes);
    let exported_links: Vec<&str> = native.body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(exported_links.len(), seed_links, "{exported_links:?}");
    for format in GRAPH_EXPORT_FORMATS {
        let export = server.get(&format!("/api/v1/export?format={format}"));
        assert_eq!(export.status, 200, "{format}");
        let text = export.body.to_string();
        assert!(text.contains("city:jp:niigata"), "{format}");
        assert!(!text.contains(BROKEN_NODE), "{format}");
        assert!(!text.contains(BROKEN_LINK), "{format}");
    }
    // The partner finder reads every node's attributes.
    let partners = server.get("/api/v1/nodes/city:jp:niigata/partners");
    assert_eq!(partners.status, 200, "{}", partners.body);
    assert!(!partners.body["items"].as_array().unwrap().is_empty());
    let union = server.get("/api/v1/associations/association:ru-far-east-siberia-mayors-japan-friendship/partners?mode=both");
    assert_eq!(union.status, 200, "{}", union.body);
    assert!(!union.body["pairs"].as_array().unwrap().is_empty());

    // Graph answers around it: a graph loaded from the file still holds the damaged
    // node, shown by its id.
    for question in [
        "/api/v1/nodes/city:jp:niigata/neighbours",
        "/api/v1/centrality/degree?country=JP",
        "/api/v1/paths/shortest?from=city:ru:vladivostok&to=city:jp:niigata",
    ] {
        let answer = server.get(question);
        assert_eq!(answer.status, 200, "{question}: {}", answer.body);
    }
    let neighbours = server
        .get("/api/v1/nodes/city:jp:niigata/neighbours")
        .body
        .to_string();
    assert_eq!(
        neighbours.contains(BROKEN_NODE),
        graph_from_file,
        "{neighbours}"
    );

    let metrics = server.get("/metrics").body;
    let metrics = metrics.as_str().unwrap();
    assert_eq!(metric(metrics, "pobratim_store_damaged_records"), 2.0);
    assert!(metric(metrics, "pobratim_store_damaged_records_skipped_total") >= 2.0);

    // A write over it would take it for absent or need its before-state: refused.
    let replace = server.put(
        &format!("/api/v1/nodes/{BROKEN_NODE}"),
        &json!({"id": BROKEN_NODE, "kind": "city", "name": "Mended", "country": "RU"}),
    );
    assert_eq!(replace.status, 500, "{}", replace.body);
    assert_eq!(replace.body["code"], "damaged_record", "{}", replace.body);

    // Its history says what it held before the damage.
    let history = server.get(&format!("/api/v1/nodes/{BROKEN_NODE}/history"));
    assert_eq!(history.status, 200, "{}", history.body);
    assert_eq!(
        history.body["items"][0]["changes"][0]["after"]["name"],
        "Brokenville"
    );

    // Deleting: a damaged node still named by a link needs cascade, as any node does.
    let refused = server.delete(&format!("/api/v1/nodes/{BROKEN_NODE}"));
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["code"], "node_has_links");
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains(LINK_TO_BROKEN));
    let deleted = server.delete(&format!("/api/v1/nodes/{BROKEN_NODE}?cascade=true"));
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body["deleted_nodes"], json!([BROKEN_NODE]));
    assert_eq!(deleted.body["deleted_links"], json!([LINK_TO_BROKEN]));
    let deleted = server.delete(&format!("/api/v1/links/{BROKEN_LINK}"));
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body["deleted_links"], json!([BROKEN_LINK]));
    for gone in [
        format!("/api/v1/nodes/{BROKEN_NODE}"),
        format!("/api/v1/links/{BROKEN_LINK}"),
        format!("/api/v1/links/{LINK_TO_BROKEN}"),
    ] {
        assert_eq!(server.get(&gone).status, 404, "{gone}");
    }
    assert_eq!(
        metric(
            server.get("/metrics").body.as_str().unwrap(),
            "pobratim_store_damaged_records"
        ),
        0.0
    );
    let health = server.get("/healthz").body;
    assert_eq!(health["nodes"].as_u64().unwrap() as usize, seed_nodes);
    assert_eq!(health["links"].as_u64().unwrap() as usize, seed_links);
    let (path, _dir) = server.stop();
    let check = pobratim(&["check"], &path);
    assert!(check.status.success(), "{}", stdout(&check));
}

#[test]
fn check_repair_removes_damaged_records_and_what_points_at_them_and_says_so() {
    let (path, dir, seed_nodes, seed_links) = damaged_store();
    let check = pobratim(&["check"], &path);
    assert!(!check.status.success());
    let found = stdout(&check);
    assert!(
        found.contains(&format!(
            "the record {BROKEN_NODE} in nodes.v1 cannot be read"
        )),
        "{found}"
    );
    assert!(
        found.contains(&format!(
            "the record {BROKEN_LINK} in links.v1 cannot be read"
        )),
        "{found}"
    );
    assert!(
        found.contains(&format!("link {LINK_TO_BROKEN} names member {BROKEN_NODE}")),
        "{found}"
    );

    let repair = pobratim(&["check", "--repair"], &path);
    let said = stdout(&repair);
    assert!(
        repair.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&repair.stderr)
    );
    for line in [
        format!("removed the damaged record {BROKEN_NODE} in nodes.v1"),
        format!("removed the damaged record {BROKEN_LINK} in links.v1"),
        format!("removed link {LINK_TO_BROKEN}: it names a node that is gone or damaged"),
        "removed the entry JP ∥ city:jp:broken from index idx.node_country.v1".to_string(),
        "removed the entry brokenville ∥ city:jp:broken from index idx.node_name.v1".to_string(),
        "removed the entry friendship ∥ l-broken from index idx.link_kind.v2".to_string(),
    ] {
        assert!(said.contains(&line), "missing {line:?} in:\n{said}");
    }
    let again = pobratim(&["check"], &path);
    assert!(again.status.success(), "{}", stdout(&again));
    let idle = pobratim(&["check", "--repair"], &path);
    assert!(
        stdout(&idle).starts_with("repair: 0 fix(es), 0 problem(s) left"),
        "{}",
        stdout(&idle)
    );

    // The server opens on the repaired store (its snapshot file is older: rebuilt) and
    // the change log says who repaired what.
    let server = TestServer::start_at(&path, true, dir).unwrap();
    let health = server.get("/healthz").body;
    assert_eq!(health["nodes"].as_u64().unwrap() as usize, seed_nodes);
    assert_eq!(health["links"].as_u64().unwrap() as usize, seed_links);
    let changes = server.get("/api/v1/changes?since=0&limit=1000").body;
    let last = changes["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "repair", "{last}");
    assert_eq!(last["actor"], "cli");
    assert_eq!(last["counts"]["deleted"], 3, "{last}");
    let friendships: Value = server.get("/api/v1/links?kind=friendship&limit=1000").body;
    assert!(!ids(&friendships).contains(&LINK_TO_BROKEN.to_string()));
}
