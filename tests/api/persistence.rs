use serde_json::json;

use crate::common::TestServer;

#[test]
fn an_acknowledged_write_survives_a_restart() {
    let server = TestServer::start();
    assert_eq!(
        server
            .post(
                "/api/v1/nodes",
                &json!({"kind": "city", "name": "Harbin", "country": "CN"})
            )
            .status,
        201
    );
    let (path, dir) = server.stop();
    let server = TestServer::start_at(&path, true, dir).unwrap();
    let reply = server.get("/api/v1/nodes/city:cn:harbin");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.graph_version, Some(1));
    assert_eq!(
        server.get("/healthz").body["nodes"],
        1,
        "a directory with data is not seeded"
    );
}

#[test]
fn the_seed_network_loads_on_first_start_only() {
    let server = TestServer::start_seeded();
    let first = server.get("/healthz").body;
    assert!(first["nodes"].as_u64().unwrap() >= 60, "{first}");
    assert!(first["links"].as_u64().unwrap() >= 70, "{first}");
    assert_eq!(server.delete("/api/v1/nodes/state:ph").status, 200);
    let (path, dir) = server.stop();

    let server = TestServer::start_at(&path, true, dir).unwrap();
    let second = server.get("/healthz").body;
    assert_eq!(
        second["nodes"].as_u64().unwrap(),
        first["nodes"].as_u64().unwrap() - 1
    );
    assert_eq!(
        second["graph_version"].as_u64().unwrap(),
        first["graph_version"].as_u64().unwrap() + 1
    );
    assert_eq!(server.get("/api/v1/nodes/state:ph").status, 404);
}

#[test]
fn a_directory_of_an_earlier_format_is_upgraded_on_open() {
    let server = TestServer::start_seeded();
    let before = server.get("/api/v1/links?node=city:ru:blagoveshchensk&limit=500");
    let by_kind = server.get("/api/v1/links?kind=twinning&limit=500");
    assert!(by_kind.body["items"].as_array().unwrap().len() > 5);
    // A node whose id does not begin with its kind: listed by kind through the index.
    let chosen = json!({"id": "harbin-chosen", "kind": "city", "name": "Harbin", "country": "CN"});
    assert_eq!(server.post("/api/v1/nodes", &chosen).status, 201);
    let cities = server.get("/api/v1/nodes?kind=city&limit=1000");
    assert!(cities.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["id"] == "harbin-chosen"));
    let associations = server.get("/api/v1/nodes?kind=association&limit=1000");
    assert!(cities.body["items"].as_array().unwrap().len() > 5);
    let (path, dir) = server.stop();
    {
        // What format 1 had on top: a member index, two keys per link; formats 1 and 2
        // a pair index, one key per link, and a kind index of every link (v1) — here
        // the kind index of format 3 is emptied, as a format-2 directory has none.
        let db = crate::common::open_sled(&path);
        db.open_tree("meta")
            .unwrap()
            .insert("format_version", &1u64.to_be_bytes())
            .unwrap();
        let members = db.open_tree("idx.link_member.v1").unwrap();
        members.insert(b"city:ru:blagoveshchensk", &[]).unwrap();
        let pairs = db.open_tree("idx.link_pair.v1").unwrap();
        pairs.insert(b"twinning", &b"twinning:a+b"[..]).unwrap();
        let kinds_v1 = db.open_tree("idx.link_kind.v1").unwrap();
        kinds_v1.insert(b"twinning\0twinning:a+b", &[]).unwrap();
        db.open_tree("idx.link_kind.v2").unwrap().clear().unwrap();
        // Formats up to 3 indexed every node by kind (v1); format 4 only chosen ids (v2).
        let nodes_v1 = db.open_tree("idx.node_kind.v1").unwrap();
        for entry in db.open_tree("nodes.v1").unwrap().iter() {
            let (id, value) = entry.unwrap();
            // A format byte, then the record as JSON.
            let node: serde_json::Value = serde_json::from_slice(&value[1..]).unwrap();
            let kind = node["kind"].as_str().unwrap().as_bytes().to_vec();
            nodes_v1
                .insert([kind, vec![0], id.to_vec()].concat(), &[])
                .unwrap();
        }
        db.open_tree("idx.node_kind.v2").unwrap().clear().unwrap();
        db.flush().unwrap();
    }
    let server = TestServer::start_at(&path, true, dir).unwrap();
    let after = server.get("/api/v1/links?node=city:ru:blagoveshchensk&limit=500");
    assert_eq!(after.status, 200);
    assert_eq!(after.body["items"], before.body["items"]);
    let by_kind_after = server.get("/api/v1/links?kind=twinning&limit=500");
    assert_eq!(by_kind_after.body["items"], by_kind.body["items"]);
    let cities_after = server.get("/api/v1/nodes?kind=city&limit=1000");
    assert_eq!(cities_after.body["items"], cities.body["items"]);
    let associations_after = server.get("/api/v1/nodes?kind=association&limit=1000");
    assert_eq!(associations_after.body["items"], associations.body["items"]);
    let (path, _dir) = server.stop();
    let db = crate::common::open_sled(&path);
    let names: Vec<String> = db
        .tree_names()
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    for retired in [
        "idx.link_member.v1",
        "idx.link_pair.v1",
        "idx.link_kind.v1",
        "idx.node_kind.v1",
    ] {
        assert!(!names.contains(&retired.to_string()), "{names:?}");
    }
    let format = db.open_tree("meta").unwrap().get("format_version").unwrap();
    assert_eq!(format.as_deref(), Some(&4u64.to_be_bytes()[..]));
}

#[test]
fn a_directory_written_by_a_newer_format_is_refused() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("data");
    {
        let db = sled::open(&path).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("format_version", &99u64.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let err = TestServer::start_at(&path, true, None)
        .err()
        .expect("a newer format must be refused");
    let message = err.to_string();
    assert!(
        message.contains("newer pobratim (format version 99)"),
        "{message}"
    );
    assert!(message.contains("upgrade pobratim"), "{message}");
}
