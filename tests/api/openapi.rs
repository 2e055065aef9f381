//! The committed OpenAPI document matches the code, and documents every operation.

use crate::common::TestServer;

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[test]
fn the_committed_document_matches_the_code() {
    let generated = pobratim::api::openapi_document().unwrap();
    assert!(
        generated.trim() == COMMITTED.trim(),
        "openapi/openapi.json is stale: regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_has_a_summary_a_description_and_problem_errors() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no summary"
            );
            assert!(
                op["description"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no description"
            );
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{name} {status} is not problem+json"
                    );
                }
            }
        }
    }
}

#[test]
fn the_server_serves_the_same_document() {
    let server = TestServer::start();
    let served = server.get("/openapi.json").body;
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(served, committed);
}

#[test]
fn a_wrong_method_is_a_405_problem() {
    let server = TestServer::start();
    let reply = server.send(
        "PUT",
        "/api/v1/links",
        Some(("application/json", "{}".into())),
    );
    assert_eq!(
        (reply.status, reply.body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
}
