//! Round trips compared with the source, not with pobratim's own first export: a field
//! that every import path drops the same way is caught here.

use serde_json::{json, Map, Value};

use crate::common::TestServer;

/// A document that sets every field a node and a link can hold.
fn every_field() -> Value {
    json!({
        "format": "pobratim",
        "version": 1,
        "nodes": [
            {"id": "city:ru:alpha", "kind": "city", "name": "Alpha",
             "names": {"ru": "Альфа", "ja": "アルファ"}, "country": "RU", "region": "Primorsky Krai",
             "location": {"lat": 43.1155, "lon": 131.8855}, "population": 603519,
             "external_ids": {"wikidata": "Q959", "geonames": "2013348"},
             "tags": ["port", "border town"], "attrs": {"founded": 1860, "nested": {"a": [1, 2.5, null, "x"]}}},
            {"id": "city:jp:beta", "kind": "city", "name": "Beta", "names": {"en": "Beta"},
             "country": "JP", "region": "Niigata", "location": {"lat": 37.9161, "lon": 139.0364},
             "population": 789275, "external_ids": {"wikidata": "Q211116"}, "tags": ["sea"], "attrs": {}},
            {"id": "association:gamma", "kind": "association", "name": "Gamma League", "names": {},
             "tags": [], "attrs": {"members_listed": false}},
            {"id": "state:ru", "kind": "state", "name": "Russia", "names": {}, "country": "RU"}
        ],
        "links": [
            {"id": "twin-ab", "kind": "twinning", "members": ["city:ru:alpha", "city:jp:beta"],
             "status": "ended", "signed": "1991-07", "ended": "2014-03-02",
             "areas": ["culture", "trade"], "notes": "Two lines:\nsecond line.",
             "source": {"document": "Agreement of 1991", "url": "https://example.org/a", "quote": "«shall twin»"},
             "attrs": {"page": 3}},
            {"id": "member-a", "kind": "membership", "members": ["city:ru:alpha", "association:gamma"],
             "status": "active", "signed": "2001", "areas": [], "attrs": {"role": "chair"}},
            {"id": "in-ru", "kind": "located_in", "members": ["city:ru:alpha", "state:ru"], "status": "active"}
        ]
    })
}

/// Every field the source record sets is in the exported record with the same value
/// (an absent member of an object and a `null` one mean the same).
#[track_caller]
fn carries(source: &Map<String, Value>, exported: &Value, what: &str) {
    for (field, value) in source {
        assert_eq!(
            without_nulls(&exported[field]),
            without_nulls(value),
            "{what}: field `{field}` changed in the round trip"
        );
    }
}

fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn by_id(doc: &Value, list: &str) -> std::collections::BTreeMap<String, Value> {
    doc[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

#[track_caller]
fn compare(source: &Value, exported: &Value, path: &str) {
    for list in ["nodes", "links"] {
        let out = by_id(exported, list);
        assert_eq!(
            out.len(),
            source[list].as_array().unwrap().len(),
            "{path}: {list}"
        );
        for record in source[list].as_array().unwrap() {
            let id = record["id"].as_str().unwrap();
            let Some(found) = out.get(id) else {
                panic!("{path}: {id} is missing from the export");
            };
            carries(record.as_object().unwrap(), found, &format!("{path}: {id}"));
        }
    }
}

#[test]
fn every_field_survives_http_and_cli_imports_as_written() {
    let source = every_field();
    let server = TestServer::start();
    let imported = server.post("/api/v1/import", &source);
    assert_eq!(imported.status, 200, "{}", imported.body);
    compare(&source, &server.get("/api/v1/export").body, "HTTP import");

    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("every-field.json");
    std::fs::write(&file, source.to_string()).unwrap();
    let data = dir.path().join("data");
    let import = crate::common::pobratim_on(&["import", file.to_str().unwrap()], &data);
    assert!(import.status.success(), "{import:?}");
    let out = dir.path().join("out.json");
    let export = crate::common::pobratim_on(
        &[
            "export",
            "--format",
            "pobratim",
            "--out",
            out.to_str().unwrap(),
        ],
        &data,
    );
    assert!(export.status.success(), "{export:?}");
    let exported: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    compare(&source, &exported, "CLI import");
}

#[test]
fn the_seed_exports_every_field_of_its_fixture() {
    let source: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/seed.json").unwrap()).unwrap();
    let server = TestServer::start_seeded();
    let exported = server.get("/api/v1/export").body;
    let nodes = by_id(&exported, "nodes");
    assert_eq!(nodes.len(), source["nodes"].as_array().unwrap().len());
    for node in source["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap();
        carries(node.as_object().unwrap(), &nodes[id], id);
    }
    // Seed links carry no ids: matched by kind and members.
    let links = exported["links"].as_array().unwrap();
    assert_eq!(links.len(), source["links"].as_array().unwrap().len());
    for link in source["links"].as_array().unwrap() {
        let found = links
            .iter()
            .find(|l| l["kind"] == link["kind"] && l["members"] == link["members"])
            .unwrap_or_else(|| panic!("{link} is missing from the export"));
        carries(link.as_object().unwrap(), found, &found["id"].to_string());
    }
}
