//! Every validation error answers its 4xx problem+json naming the field.

use serde_json::{json, Value};

use crate::common::TestServer;

#[track_caller]
fn assert_problem(reply: &crate::common::Reply, status: u16, code: &str, field: Option<&str>) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.content_type, "application/problem+json");
    assert_eq!(reply.body["code"], code, "{}", reply.body);
    assert_eq!(reply.body["status"], status);
    assert_eq!(reply.body["type"], format!("/docs/problems#{code}"));
    assert!(reply.body["title"].is_string() && reply.body["detail"].is_string());
    assert_eq!(
        reply.body.get("field").and_then(Value::as_str),
        field,
        "{}",
        reply.body
    );
}

#[test]
fn malformed_json_and_wrong_content_type() {
    let server = TestServer::start_seeded();
    let reply = server.send(
        "POST",
        "/api/v1/nodes",
        Some(("application/json", "{\"kind\": \"city\",".into())),
    );
    assert_problem(&reply, 400, "malformed_json", None);
    let reply = server.send("POST", "/api/v1/nodes", Some(("text/plain", "{}".into())));
    assert_problem(&reply, 415, "unsupported_media_type", Some("content-type"));
    let reply = server.send(
        "POST",
        "/api/v1/links",
        Some(("application/json", "[1, 2]".into())),
    );
    assert_eq!(reply.status, 422);
    let reply = server.send(
        "POST",
        "/api/v1/nodes",
        Some(("application/json", "{} trailing".into())),
    );
    assert_problem(&reply, 400, "malformed_json", None);
}

#[test]
fn node_field_errors() {
    let server = TestServer::start_seeded();
    let cases = [
        (json!({"kind": "town", "name": "X"}), "unknown_kind", "kind"),
        (
            json!({"kind": "city", "name": "X", "country": "XX"}),
            "invalid_country",
            "country",
        ),
        (
            json!({"kind": "city", "name": "X", "location": {"lat": 95.0, "lon": 10.0}}),
            "invalid_coordinates",
            "location.lat",
        ),
        (
            json!({"kind": "city", "name": "X", "location": {"lat": 5.0, "lon": 181.0}}),
            "invalid_coordinates",
            "location.lon",
        ),
        (json!({"kind": "city"}), "missing_field", "name"),
        (
            json!({"kind": "city", "name": "X", "colour": "red"}),
            "invalid_field",
            "colour",
        ),
        (
            json!({"kind": "city", "name": "X", "names": {"not a tag": "x"}}),
            "invalid_field",
            "names.not a tag",
        ),
        (
            json!({"id": "a b", "kind": "city", "name": "X"}),
            "invalid_id",
            "id",
        ),
    ];
    for (body, code, field) in cases {
        assert_problem(&server.post("/api/v1/nodes", &body), 422, code, Some(field));
    }
    assert_problem(
        &server.post(
            "/api/v1/nodes",
            &json!({"id": "city:ru:moscow", "kind": "city", "name": "Moscow"}),
        ),
        409,
        "node_exists",
        Some("id"),
    );
}

#[test]
fn link_field_errors() {
    let server = TestServer::start_seeded();
    let (v, n) = ("city:ru:vladivostok", "city:jp:niigata");
    let cases = [
        (
            json!({"kind": "twining", "members": [v, n]}),
            422,
            "unknown_kind",
            "kind",
        ),
        (
            json!({"kind": "twinning", "members": [v, "city:xx:atlantis"]}),
            422,
            "unknown_member",
            "members[1]",
        ),
        (
            json!({"kind": "trilateral", "members": [v, n]}),
            422,
            "wrong_member_count",
            "members",
        ),
        (
            json!({"kind": "twinning", "members": [v, n, "city:ru:moscow"]}),
            422,
            "wrong_member_count",
            "members",
        ),
        (
            json!({"kind": "friendship", "members": [v, v]}),
            422,
            "self_link",
            "members[1]",
        ),
        (
            json!({"kind": "friendship", "members": [v, n], "signed": "2003-13"}),
            422,
            "invalid_date",
            "signed",
        ),
        (
            json!({"kind": "friendship", "members": [v, n], "signed": "2003", "ended": "2002"}),
            422,
            "date_order",
            "ended",
        ),
        (
            json!({"kind": "friendship", "members": [v, n], "status": "maybe"}),
            422,
            "invalid_field",
            "status",
        ),
        (
            json!({"kind": "twinning", "members": [n, v]}),
            409,
            "duplicate_link",
            "members",
        ),
        (json!({"kind": "twinning"}), 422, "missing_field", "members"),
    ];
    for (body, status, code, field) in cases {
        assert_problem(
            &server.post("/api/v1/links", &body),
            status,
            code,
            Some(field),
        );
    }
}

#[test]
fn query_path_and_route_errors() {
    let server = TestServer::start_seeded();
    assert_problem(
        &server.get("/api/v1/nodes?kind=town"),
        400,
        "invalid_query",
        Some("kind"),
    );
    assert_problem(
        &server.get("/api/v1/nodes?country=XX"),
        400,
        "invalid_query",
        Some("country"),
    );
    assert_problem(
        &server.get("/api/v1/nodes?limit=0"),
        400,
        "invalid_query",
        Some("limit"),
    );
    assert_problem(
        &server.get("/api/v1/nodes?limit=-3"),
        400,
        "invalid_query",
        Some("limit"),
    );
    assert_problem(
        &server.get("/api/v1/nodes?colour=red"),
        400,
        "invalid_query",
        Some("colour"),
    );
    assert_problem(
        &server.get("/api/v1/nodes?cursor=zz"),
        400,
        "invalid_cursor",
        Some("cursor"),
    );
    assert_problem(
        &server.get("/api/v1/nodes?q=---"),
        400,
        "invalid_query",
        Some("q"),
    );
    assert_problem(&server.get("/api/v1/nodes/nowhere"), 404, "not_found", None);
    assert_problem(&server.get("/api/v1/nowhere"), 404, "not_found", None);
    assert_problem(
        &server.patch(
            "/api/v1/nodes/city:ru:moscow",
            &json!({"id": "city:ru:msk"}),
        ),
        422,
        "invalid_id",
        Some("id"),
    );
    assert_problem(
        &server.patch("/api/v1/nodes/city:ru:moscow", &json!({"name": null})),
        422,
        "missing_field",
        Some("name"),
    );
    assert_problem(
        &server.patch("/api/v1/nodes/city:ru:moscow", &json!([1])),
        422,
        "invalid_field",
        None,
    );
}

#[test]
fn eigenvector_centrality_that_does_not_converge_is_a_422_saying_so() {
    // A path of 150 cities: the two leading eigenvalues of A + I are so close that
    // power iteration does not settle in NetworkX's 100 steps (NetworkX raises
    // PowerIterationFailedConvergence on it too).
    let server = TestServer::start();
    let rows: String = (0..149)
        .map(|i| format!("C{i},RU,C{},RU\n", i + 1))
        .collect();
    let imported = server.send(
        "POST",
        "/api/v1/import?format=edge-list",
        Some(("text/csv", format!("city_a,cc_a,city_b,cc_b\n{rows}"))),
    );
    assert_eq!(imported.status, 200, "{}", imported.body);
    let answer = server.get("/api/v1/centrality/eigenvector");
    assert_problem(&answer, 422, "no_convergence", None);
    assert!(answer.body["detail"]
        .as_str()
        .unwrap()
        .contains("eigenvector centrality"));
    // PageRank on the same path converges.
    assert_eq!(server.get("/api/v1/centrality/pagerank").status, 200);
}

#[test]
fn every_problem_type_resolves_to_a_page_explaining_its_code() {
    let server = crate::common::TestServer::start_seeded();
    let problem = server.get("/api/v1/nodes?country=Russia");
    assert_eq!(problem.status, 400);
    let type_uri = problem.body["type"].as_str().unwrap();
    let (page, anchor) = type_uri.split_once('#').unwrap();
    assert_eq!(anchor, problem.body["code"].as_str().unwrap());
    let response = ureq::get(&format!("{}{page}", server.base)).call().unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.content_type().starts_with("text/html"));
    let html = response.into_string().unwrap();
    assert!(
        html.contains(&format!("<section id=\"{anchor}\">")),
        "{html}"
    );
    assert!(html.contains("HTTP 400 Bad Request"));
}
