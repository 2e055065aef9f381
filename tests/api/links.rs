use serde_json::json;

use crate::common::{ids, TestServer};

fn cities(server: &TestServer, names: &[&str]) {
    for name in names {
        let reply = server.post(
            "/api/v1/nodes",
            &json!({"kind": "city", "name": name, "country": "RU"}),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
}

#[test]
fn links_of_every_kind_are_created_read_patched_and_deleted() {
    let server = TestServer::start();
    cities(&server, &["A", "B", "C"]);
    server.post(
        "/api/v1/nodes",
        &json!({"id": "state:ru", "kind": "state", "name": "Russia", "country": "RU"}),
    );
    server.post(
        "/api/v1/nodes",
        &json!({"id": "association:x", "kind": "association", "name": "X"}),
    );
    let cases = [
        json!({"kind": "twinning", "members": ["city:ru:a", "city:ru:b"], "signed": "1991-02", "areas": ["culture"],
               "source": {"document": "doc.txt", "quote": "A and B are twinned"}}),
        json!({"kind": "friendship", "members": ["city:ru:b", "city:ru:c"], "status": "planned"}),
        json!({"kind": "trilateral", "members": ["city:ru:a", "city:ru:b", "city:ru:c"]}),
        json!({"kind": "membership", "members": ["city:ru:a", "association:x"]}),
        json!({"kind": "located_in", "members": ["city:ru:a", "state:ru"]}),
    ];
    for body in &cases {
        let created = server.post("/api/v1/links", body);
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_string();
        let read = server.get(&format!("/api/v1/links/{id}"));
        assert_eq!(read.body, created.body);
        assert_eq!(
            read.body["status"],
            body.get("status").cloned().unwrap_or(json!("active"))
        );
    }
    let twin = "twinning:city:ru:a+city:ru:b";
    let read = server.get(&format!("/api/v1/links/{twin}"));
    assert_eq!(
        read.body["source"],
        json!({"document": "doc.txt", "url": null, "quote": "A and B are twinned"})
    );
    let patched = server.patch(
        &format!("/api/v1/links/{twin}"),
        &json!({"status": "ended", "ended": "2020"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(
        (
            patched.body["status"].as_str(),
            patched.body["ended"].as_str()
        ),
        (Some("ended"), Some("2020"))
    );
    assert_eq!(server.delete(&format!("/api/v1/links/{twin}")).status, 200);
    assert_eq!(server.get(&format!("/api/v1/links/{twin}")).status, 404);
}

#[test]
fn a_trilateral_link_is_one_record_created_read_and_deleted_as_one() {
    let server = TestServer::start();
    cities(&server, &["A", "B", "C"]);
    let created = server.post("/api/v1/links", &json!({"id": "tri-1", "kind": "trilateral", "members": ["city:ru:c", "city:ru:a", "city:ru:b"]}));
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["members"],
        json!(["city:ru:c", "city:ru:a", "city:ru:b"])
    );
    for member in ["city:ru:a", "city:ru:b", "city:ru:c"] {
        assert_eq!(
            ids(&server.get(&format!("/api/v1/links?node={member}")).body),
            ["tri-1"]
        );
    }
    let dup = server.post(
        "/api/v1/links",
        &json!({"kind": "trilateral", "members": ["city:ru:b", "city:ru:c", "city:ru:a"]}),
    );
    assert_eq!(
        (dup.status, dup.body["code"].as_str()),
        (409, Some("duplicate_link"))
    );
    assert_eq!(server.delete("/api/v1/links/tri-1").status, 200);
    for member in ["city:ru:a", "city:ru:b", "city:ru:c"] {
        assert!(ids(&server.get(&format!("/api/v1/links?node={member}")).body).is_empty());
    }
}

#[test]
fn link_lists_filter_by_kind_status_and_node() {
    let server = TestServer::start_seeded();
    let planned = server.get("/api/v1/links?node=city:ru:blagoveshchensk&status=planned");
    assert_eq!(
        ids(&planned.body),
        [
            "twinning:city:cn:rizhao+city:ru:blagoveshchensk",
            "twinning:city:ru:blagoveshchensk+city:ru:yakutsk"
        ]
    );
    let tri = server.get("/api/v1/links?kind=trilateral");
    assert_eq!(ids(&tri.body).len(), 3);
    // A node's links page in id order, one at a time, each exactly once.
    let all = ids(&server
        .get("/api/v1/links?node=city:ru:blagoveshchensk&limit=500")
        .body);
    assert!(all.len() >= 4, "{all:?}");
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = server.get(&format!(
            "/api/v1/links?node=city:ru:blagoveshchensk&limit=1{cursor}"
        ));
        assert_eq!(page.status, 200, "{}", page.body);
        paged.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, all);
    let missing = server.get("/api/v1/links?node=city:xx:nowhere");
    assert_eq!(
        (missing.status, missing.body["field"].as_str()),
        (404, Some("node"))
    );
}

#[test]
fn directed_links_keep_member_order_and_check_member_kinds() {
    let server = TestServer::start_seeded();
    let wrong = server.post(
        "/api/v1/links",
        &json!({"kind": "located_in", "members": ["state:ru", "city:ru:moscow"]}),
    );
    assert_eq!(
        (
            wrong.status,
            wrong.body["code"].as_str(),
            wrong.body["field"].as_str()
        ),
        (422, Some("member_kind"), Some("members[0]"))
    );
    let reverse = server.post(
        "/api/v1/links",
        &json!({"kind": "membership", "members": ["association:uclg", "city:ru:moscow"]}),
    );
    assert_eq!(
        reverse.body["field"], "members[1]",
        "an association may join an association, a city may not be joined"
    );
}
