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
    assert_eq!(
        (
            reply.body["created"].as_u64(),
            reply.body["deleted"].as_u64()
        ),
        (Some(1), Some(1)),
        "{}",
        reply.body
    );
    let renewed = server.get("/api/v1/links/renewed");
    assert_eq!(renewed.status, 200);
    assert_eq!(
        renewed.body["members"],
        json!(["city:ru:vladivostok", "city:jp:niigata"])
    );
    assert_eq!(renewed.body["signed"], "1991-02");
    assert_eq!(
        server
            .get("/api/v1/links/twinning:city:jp:niigata+city:ru:vladivostok")
            .status,
        404
    );
    // One link between the two: the renewed one.
    let between = server.get("/api/v1/links?node=city:ru:vladivostok&kind=twinning&limit=100");
    let ids = crate::common::ids(&between.body);
    assert!(ids.contains(&"renewed".to_string()), "{ids:?}");
}

#[test]
fn export_and_import_over_http() {
    let server = TestServer::start_seeded();
    let geo = server.get("/api/v1/export?format=geojson&kinds=twinning");
    assert_eq!(
        (geo.status, geo.content_type.as_str()),
        (200, "application/geo+json")
    );
    assert_eq!(geo.body["type"], "FeatureCollection");
    let node_link = server.get("/api/v1/export?format=node-link");
    let seed = crate::common::seed_counts();
    assert_eq!(
        node_link.body["edges"].as_array().unwrap().len(),
        seed.edges
    );

    let target = TestServer::start();
    let text = node_link.body.to_string();
    let dry = target.send(
        "POST",
        "/api/v1/import?format=node-link&dry_run=true",
        Some(("application/json", text.clone())),
    );
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(
        (dry.body["written"].as_bool(), dry.body["created"].as_u64()),
        (Some(false), Some(seed.records() as u64))
    );
    assert_eq!(
        target.get("/healthz").body["nodes"],
        0,
        "a dry run writes nothing"
    );
    let done = target.send(
        "POST",
        "/api/v1/import?format=node-link",
        Some(("application/json", text)),
    );
    assert_eq!(done.body["created"], seed.records());
    assert_eq!(
        target.get("/api/v1/export").body,
        server.get("/api/v1/export").body,
        "the same records on both sides"
    );

    let csv = "city_a,cc_a,city_b,cc_b\nNiigata,JP,Vladivostok,RU\nA,RU,,RU\n";
    let refused = target.send(
        "POST",
        "/api/v1/import?format=edge-list",
        Some(("text/csv", csv.into())),
    );
    assert_eq!(
        (refused.status, refused.body["field"].as_str()),
        (422, Some("city_b"))
    );
    assert!(refused.body["detail"].as_str().unwrap().contains("line 3"));
}
