use serde_json::json;

use crate::common::{ids, TestServer};

#[test]
fn nodes_of_every_kind_are_created_read_replaced_patched_and_deleted() {
    let server = TestServer::start();
    for (kind, name, country) in [
        ("state", "Japan", Some("JP")),
        ("city", "Niigata", Some("JP")),
        ("association", "Mayors for Peace", None),
    ] {
        let mut body = json!({"kind": kind, "name": name});
        if let Some(c) = country {
            body["country"] = json!(c);
        }
        let created = server.post("/api/v1/nodes", &body);
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_string();
        let read = server.get(&format!("/api/v1/nodes/{id}"));
        assert_eq!(read.status, 200);
        assert_eq!(read.body, created.body);
    }
    let id = "city:jp:niigata";
    let read = server.get(&format!("/api/v1/nodes/{id}"));
    assert_eq!(read.body["names"], json!({}));

    let enriched = server.patch(
        &format!("/api/v1/nodes/{id}"),
        &json!({"region": "Niigata Prefecture", "tags": ["port"], "attrs": {"sea": "Japan"}}),
    );
    assert_eq!(enriched.status, 200, "{}", enriched.body);
    let replaced = server.put(
        &format!("/api/v1/nodes/{id}"),
        &json!({"kind": "city", "name": "Niigata", "country": "JP", "names": {"ja": "新潟"}, "location": {"lat": 37.9, "lon": 139.0}}),
    );
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["names"]["ja"], "新潟");
    assert_eq!(
        replaced.body["location"],
        json!({"lat": 37.9, "lon": 139.0})
    );
    // A replacement, not a merge: what the body leaves out is gone.
    let empty = |field: &str| {
        replaced
            .body
            .get(field)
            .is_none_or(|v| v.is_null() || v == &json!([]) || v == &json!({}))
    };
    assert!(
        empty("region") && empty("tags") && empty("attrs"),
        "{}",
        replaced.body
    );
    assert_eq!(
        server.get(&format!("/api/v1/nodes/{id}")).body,
        replaced.body
    );

    let patched = server.patch(
        &format!("/api/v1/nodes/{id}"),
        &json!({"population": 780000, "location": null}),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["population"], 780000);
    assert_eq!(patched.body["location"], json!(null));
    assert_eq!(patched.body["names"]["ja"], "新潟");

    let deleted = server.delete(&format!("/api/v1/nodes/{id}"));
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["deleted_nodes"], json!([id]));
    assert_eq!(server.get(&format!("/api/v1/nodes/{id}")).status, 404);
}

#[test]
fn put_creates_then_replaces_and_refuses_a_different_body_id() {
    let server = TestServer::start();
    let first = server.put(
        "/api/v1/nodes/city:ru:yakutsk",
        &json!({"kind": "city", "name": "Yakutsk", "country": "RU"}),
    );
    assert_eq!(first.status, 201);
    let again = server.put(
        "/api/v1/nodes/city:ru:yakutsk",
        &json!({"kind": "city", "name": "Yakutsk", "country": "RU"}),
    );
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body, "the same record");
    let mismatch = server.put(
        "/api/v1/nodes/city:ru:yakutsk",
        &json!({"id": "city:ru:other", "kind": "city", "name": "Y"}),
    );
    assert_eq!(
        (mismatch.status, mismatch.body["code"].as_str()),
        (422, Some("id_mismatch"))
    );
}

#[test]
fn a_node_with_links_is_deleted_only_with_cascade() {
    let server = TestServer::start_seeded();
    let refused = server.delete("/api/v1/nodes/city:cn:heihe");
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["code"], "node_has_links");
    assert_eq!(server.get("/api/v1/nodes/city:cn:heihe").status, 200);

    let done = server.delete("/api/v1/nodes/city:cn:heihe?cascade=true");
    assert_eq!(done.status, 200, "{}", done.body);
    let gone: Vec<String> = serde_json::from_value(done.body["deleted_links"].clone()).unwrap();
    assert!(gone.iter().any(|l| l.starts_with("trilateral:")));
    assert!(gone
        .iter()
        .any(|l| l == "twinning:city:cn:heihe+city:ru:blagoveshchensk"));
    let left = server.get("/api/v1/links?node=city:ru:blagoveshchensk&kind=trilateral");
    assert_eq!(ids(&left.body), Vec::<String>::new());
}

#[test]
fn lists_filter_by_kind_and_country_and_walk_every_page_once() {
    let server = TestServer::start_seeded();
    let jp = server.get("/api/v1/nodes?country=JP&kind=city");
    assert_eq!(
        ids(&jp.body),
        [
            "city:jp:joetsu",
            "city:jp:kanazawa",
            "city:jp:maizuru",
            "city:jp:niigata",
            "city:jp:takatsuki",
            "city:jp:toyama"
        ]
    );
    let states = server.get("/api/v1/nodes?kind=state&limit=1000");
    assert!(ids(&states.body).iter().all(|id| id.starts_with("state:")));

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/nodes?limit=7&cursor={c}"),
            None => "/api/v1/nodes?limit=7".to_string(),
        };
        let page = server.get(&path);
        assert_eq!(page.status, 200);
        assert_eq!(page.body["limit"], 7);
        seen.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let health = server.get("/healthz");
    assert_eq!(seen.len() as u64, health.body["nodes"].as_u64().unwrap());
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "pages are in id order with no repeats");
}

#[test]
fn every_read_carries_the_graph_version_and_writes_bump_it() {
    let server = TestServer::start_seeded();
    let before = server.get("/api/v1/nodes/city:ru:vladivostok");
    let version = before.graph_version.unwrap();
    assert_eq!(
        before.etag.as_deref(),
        Some(format!("\"g{version}\"").as_str())
    );
    let list = server.get("/api/v1/links?limit=1");
    assert_eq!(list.graph_version, Some(version));
    assert_eq!(list.body["graph_version"], version);
    let write = server.patch(
        "/api/v1/nodes/city:ru:vladivostok",
        &json!({"population": 600000}),
    );
    assert_eq!(write.graph_version, Some(version + 1));
    assert_eq!(server.get("/healthz").body["graph_version"], version + 1);
    let same = server.patch(
        "/api/v1/nodes/city:ru:vladivostok",
        &json!({"population": 600000}),
    );
    assert_eq!(
        same.graph_version,
        Some(version + 1),
        "a write that changes nothing keeps the version"
    );
}

#[test]
fn if_none_match_answers_304_until_the_graph_changes() {
    let server = TestServer::start_seeded();
    let first = server.get("/api/v1/nodes/city:ru:vladivostok");
    let tag = first.etag.unwrap();
    let request = |tag: &str| -> ureq::Response {
        ureq::get(&format!("{}/api/v1/nodes/city:ru:vladivostok", server.base))
            .set("if-none-match", tag)
            .call()
            .unwrap()
    };
    let cached = request(&tag);
    assert_eq!(cached.status(), 304);
    assert_eq!(cached.header("etag"), Some(tag.as_str()));
    assert_eq!(
        request("\"g999\"").status(),
        200,
        "another version's tag is stale"
    );
    server.patch(
        "/api/v1/nodes/city:ru:vladivostok",
        &json!({"population": 600000}),
    );
    let after = request(&tag);
    assert_eq!(after.status(), 200, "a write makes the cached answer stale");
    assert_ne!(after.header("etag"), Some(tag.as_str()));
}

#[test]
fn location_headers_are_ascii_and_lead_back_to_the_record() {
    let server = TestServer::start();
    let response = ureq::post(&format!("{}/api/v1/nodes", server.base))
        .set("authorization", &format!("Bearer {}", server.token))
        .send_json(serde_json::json!({"kind": "city", "name": "鳝 town", "country": "CN"}))
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.header("location").unwrap().to_string();
    assert!(location.is_ascii(), "{location}");
    let created: serde_json::Value = response.into_json().unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(!id.is_ascii(), "the id keeps the name's script: {id}");
    let read = server.get(&location);
    assert_eq!(read.status, 200, "{location}: {}", read.body);
    assert_eq!(read.body["id"], serde_json::json!(id));
}
