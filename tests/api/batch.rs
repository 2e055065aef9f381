use serde_json::json;

use crate::common::TestServer;

#[test]
fn a_batch_applies_every_operation_atomically() {
    let server = TestServer::start();
    let reply = server.post(
        "/api/v1/batch",
        &json!({"operations": [
            {"op": "create_node", "node": {"kind": "city", "name": "Maizuru", "country": "JP"}},
            {"op": "create_node", "node": {"kind": "city", "name": "Nakhodka", "country": "RU"}},
            {"op": "create_link", "link": {"kind": "friendship", "members": ["city:jp:maizuru", "city:ru:nakhodka"]}},
            {"op": "patch_node", "id": "city:jp:maizuru", "patch": {"population": 80000}}
        ]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        (
            reply.body["created"].as_u64(),
            reply.body["graph_version"].as_u64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(
        server.get("/api/v1/nodes/city:jp:maizuru").body["population"],
        80000
    );
}

#[test]
fn a_batch_with_one_bad_item_writes_nothing() {
    let server = TestServer::start_seeded();
    let before = server.get("/healthz").body;
    let reply = server.post(
        "/api/v1/batch",
        &json!({"operations": [
            {"op": "create_node", "node": {"kind": "city", "name": "Toyama-2", "country": "JP"}},
            {"op": "create_link", "link": {"kind": "twinning", "members": ["city:jp:toyama-2", "city:ru:vladivostok"]}},
            {"op": "create_link", "link": {"kind": "twinning", "members": ["city:jp:toyama-2", "city:xx:nowhere"]}}
        ]}),
    );
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["field"], "operations[2].link.members[1]");
    assert_eq!(server.get("/healthz").body, before);
    assert_eq!(server.get("/api/v1/nodes/city:jp:toyama-2").status, 404);

    let conflict = server.post(
        "/api/v1/batch",
        &json!({"operations": [
            {"op": "delete_link", "id": "twinning:city:jp:niigata+city:ru:vladivostok"},
            {"op": "delete_node", "id": "city:cn:heihe"}
        ]}),
    );
    assert_eq!(
        (conflict.status, conflict.body["field"].as_str()),
        (409, Some("operations[1].id"))
    );
    assert_eq!(
        server
            .get("/api/v1/links/twinning:city:jp:niigata+city:ru:vladivostok")
            .status,
        200
    );
    let bad_op = server.post("/api/v1/batch", &json!({"operations": [{"op": "explode"}]}));
    assert_eq!(bad_op.status, 422);
}

#[test]
fn later_operations_see_earlier_ones() {
    let server = TestServer::start_seeded();
    let reply = server.post(
        "/api/v1/batch",
        &json!({"operations": [
            {"op": "delete_link", "id": "twinning:city:jp:niigata+city:ru:vladivostok"},
            {"op": "create_link", "link": {"id": "renewed", "kind": "twinning", "members": ["city:ru:vladivostok", "city:jp:niigata"], "signed": "1991-02"}}
        ]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(server.get("/api/v1/links/renewed").status, 200);
}
