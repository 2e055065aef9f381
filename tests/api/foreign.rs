//! Files written by other tools — NetworkX's GraphML, GEXF and node-link writers, and
//! igraph's GraphML writer (tests/formats/foreign_writers.py, pinned versions) — import
//! into pobratim as the network they were written from: the seed, compared record by
//! record with fixtures/seed.json.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::TestServer;

fn seed() -> Value {
    serde_json::from_str(&std::fs::read_to_string("fixtures/seed.json").unwrap()).unwrap()
}

/// `(kind, members as a set, status, signed, ended)`: what a link is, whatever its id.
fn link_facts(link: &Value) -> (String, BTreeSet<String>, String, Value, Value) {
    let members = link["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    let field = |name: &str| link.get(name).cloned().unwrap_or(Value::Null);
    (
        link["kind"].as_str().unwrap().to_string(),
        members,
        link["status"].as_str().unwrap_or("active").to_string(),
        field("signed"),
        field("ended"),
    )
}

#[track_caller]
fn same_network(imported: &Value, writer: &str) {
    let seed = seed();
    let nodes: std::collections::BTreeMap<&str, &Value> = imported["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    assert_eq!(
        nodes.len(),
        seed["nodes"].as_array().unwrap().len(),
        "{writer}"
    );
    for node in seed["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap();
        let Some(found) = nodes.get(id) else {
            panic!("{writer}: {id} was not imported");
        };
        for field in ["kind", "name", "names", "country", "region"] {
            let want = node.get(field).cloned().unwrap_or(Value::Null);
            let got = found.get(field).cloned().unwrap_or(Value::Null);
            let empty = |v: &Value| v.is_null() || v == &serde_json::json!({});
            assert!(
                want == got || (empty(&want) && empty(&got)),
                "{writer}: {id}.{field}: {want} became {got}"
            );
        }
        match (node.get("location"), found.get("location")) {
            (Some(want), Some(got)) if !got.is_null() => {
                for axis in ["lat", "lon"] {
                    let (w, g) = (want[axis].as_f64().unwrap(), got[axis].as_f64().unwrap());
                    assert!(
                        (w - g).abs() < 1e-9,
                        "{writer}: {id}.location.{axis}: {w} → {g}"
                    );
                }
            }
            (None, None) => {}
            (None, Some(got)) if got.is_null() => {}
            (want, got) => panic!("{writer}: {id}.location: {want:?} became {got:?}"),
        }
    }
    let want: Vec<_> = seed["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(link_facts)
        .collect();
    let mut got: Vec<_> = imported["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(link_facts)
        .collect();
    for facts in &want {
        let Some(at) = got.iter().position(|g| g == facts) else {
            panic!("{writer}: the link {facts:?} was not imported as such");
        };
        got.remove(at);
    }
    assert!(got.is_empty(), "{writer}: links nobody wrote: {got:?}");
}

#[test]
fn files_networkx_and_igraph_wrote_import_as_the_network_they_hold() {
    for (file, format) in [
        ("seed.networkx.graphml", "graphml"),
        ("seed.networkx.gexf", "gexf"),
        ("seed.networkx.json", "node-link"),
        ("seed.igraph.graphml", "graphml"),
    ] {
        let server = TestServer::start();
        let body = std::fs::read_to_string(format!("tests/formats/foreign/{file}")).unwrap();
        let content_type = if format == "node-link" {
            "application/json"
        } else {
            "application/xml"
        };
        let imported = server.send(
            "POST",
            &format!("/api/v1/import?format={format}"),
            Some((content_type, body)),
        );
        assert_eq!(imported.status, 200, "{file}: {}", imported.body);
        same_network(&server.get("/api/v1/export").body, file);
    }
}
