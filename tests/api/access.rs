//! Trust: bearer tokens and scopes, the change log, the write rate, backups taken
//! under concurrent writes, and limits on bodies.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::common::TestServer;

fn city(name: &str) -> Value {
    json!({"kind": "city", "name": name, "country": "RU"})
}

/// Creates a token through the admin API; returns the bearer token.
fn token(server: &TestServer, name: &str, scope: &str) -> String {
    let created = server.post(
        "/api/v1/admin/tokens",
        &json!({"name": name, "scope": scope}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["record"]["scope"], scope);
    assert!(created.body["record"].get("secret_hash").is_none());
    created.body["token"].as_str().unwrap().to_string()
}

fn post_as(
    server: &TestServer,
    token: Option<&str>,
    path: &str,
    body: &Value,
) -> crate::common::Reply {
    server.send_as(
        token,
        "POST",
        path,
        Some(("application/json", body.to_string())),
    )
}

#[test]
fn writes_need_a_write_token_and_scopes_are_enforced() {
    let server = TestServer::start_seeded();
    let reader = token(&server, "reader", "read");
    let writer = token(&server, "writer", "write");

    let anonymous = post_as(&server, None, "/api/v1/nodes", &city("Anonymous"));
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.content_type, "application/problem+json");
    assert_eq!(anonymous.body["code"], "unauthorized");
    assert_eq!(anonymous.body["field"], "authorization");
    assert!(anonymous.body["detail"]
        .as_str()
        .unwrap()
        .contains("pobratim token create"));

    let forged = format!("pbt_{}_{}", "0".repeat(16), "0".repeat(64));
    assert_eq!(
        post_as(&server, Some(&forged), "/api/v1/nodes", &city("Forged")).status,
        401
    );
    assert_eq!(
        post_as(&server, Some("not-a-token"), "/api/v1/nodes", &city("Junk")).status,
        401
    );

    let read_only = post_as(&server, Some(&reader), "/api/v1/nodes", &city("Reader"));
    assert_eq!(read_only.status, 403, "{}", read_only.body);
    assert_eq!(read_only.body["code"], "forbidden");

    assert_eq!(
        post_as(&server, Some(&writer), "/api/v1/nodes", &city("Writer")).status,
        201
    );
    let batch = json!({"operations": [{"op": "create_node", "node": city("Batched")}]});
    assert_eq!(post_as(&server, None, "/api/v1/batch", &batch).status, 401);
    assert_eq!(
        server
            .send_as(None, "DELETE", "/api/v1/nodes/city:ru:writer", None)
            .status,
        401
    );

    // Reads stay open; the change log and admin routes do not.
    assert_eq!(
        server
            .send_as(None, "GET", "/api/v1/nodes/city:ru:writer", None)
            .status,
        200
    );
    assert_eq!(
        server.send_as(None, "GET", "/api/v1/changes", None).status,
        401
    );
    assert_eq!(
        server
            .send_as(Some(&reader), "GET", "/api/v1/changes", None)
            .status,
        403
    );
    assert_eq!(
        server
            .send_as(Some(&writer), "GET", "/api/v1/changes", None)
            .status,
        200
    );
    assert_eq!(
        server
            .send_as(Some(&writer), "GET", "/api/v1/admin/tokens", None)
            .status,
        403
    );

    // A revoked token stops working at once.
    let revoked = server.delete("/api/v1/admin/tokens/writer");
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert!(revoked.body["revoked"].is_string());
    let after = post_as(&server, Some(&writer), "/api/v1/nodes", &city("Too late"));
    assert_eq!(after.status, 401);
    assert_eq!(server.delete("/api/v1/admin/tokens/writer").status, 404);
    let listed = server.get("/api/v1/admin/tokens");
    let names: Vec<_> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["revoked"].is_string()))
        .collect();
    assert!(
        names.contains(&("writer", true)) && names.contains(&("reader", false)),
        "{names:?}"
    );
    let taken = server.post(
        "/api/v1/admin/tokens",
        &json!({"name": "reader", "scope": "write"}),
    );
    assert_eq!(taken.status, 409);
    let bad_scope = server.post(
        "/api/v1/admin/tokens",
        &json!({"name": "x", "scope": "root"}),
    );
    assert_eq!(bad_scope.status, 422);
    assert_eq!(bad_scope.body["field"], "scope");
}

#[test]
fn a_private_server_needs_a_token_to_read() {
    let server = TestServer::start_seeded_with(|c| c.private = true);
    let reader = token(&server, "reader", "read");
    let path = "/api/v1/nodes/city:ru:blagoveshchensk";
    let refused = server.send_as(None, "GET", path, None);
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["code"], "unauthorized");
    assert_eq!(server.send_as(Some(&reader), "GET", path, None).status, 200);
    assert_eq!(
        server.send_as(None, "GET", "/api/v1/stats", None).status,
        401
    );
    assert_eq!(
        server.send_as(None, "GET", "/healthz", None).status,
        200,
        "health stays open"
    );
    assert_eq!(
        server.send_as(None, "GET", "/openapi.json", None).status,
        200
    );
}

#[test]
fn every_write_is_in_the_change_log_with_its_author_before_and_after() {
    let server = TestServer::start_seeded();
    let anna = token(&server, "anna", "write");
    let start = server.get("/healthz").body["graph_version"]
        .as_u64()
        .unwrap();

    let created = post_as(&server, Some(&anna), "/api/v1/nodes", &city("Audited"));
    assert_eq!(created.status, 201);
    let patched = server.send_as(
        Some(&anna),
        "PATCH",
        "/api/v1/nodes/city:ru:audited",
        Some((
            "application/merge-patch+json",
            json!({"population": 1234}).to_string(),
        )),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    let deleted = server.send_as(Some(&anna), "DELETE", "/api/v1/nodes/city:ru:audited", None);
    assert_eq!(deleted.status, 200, "{}", deleted.body);

    let log = server.send_as(
        Some(&anna),
        "GET",
        &format!("/api/v1/changes?since={start}"),
        None,
    );
    assert_eq!(log.status, 200, "{}", log.body);
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let ops: Vec<_> = items
        .iter()
        .map(|e| {
            assert_eq!(e["actor"], "anna");
            assert_eq!(e["action"], "write");
            assert!(e["at"].as_str().unwrap().ends_with('Z'));
            e["changes"][0]["op"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ops, ["create", "update", "delete"]);
    assert!(items[0]["changes"][0].get("before").is_none());
    assert_eq!(items[1]["changes"][0]["before"]["name"], "Audited");
    assert!(items[1]["changes"][0]["before"]["population"].is_null());
    assert_eq!(items[1]["changes"][0]["after"]["population"], 1234);
    assert!(items[2]["changes"][0].get("after").is_none());
    assert_eq!(log.body["next_since"], items[2]["version"]);
    assert_eq!(log.body["more"], false);

    // Paging and polling.
    let first = server.get(&format!("/api/v1/changes?since={start}&limit=2"));
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(first.body["more"], true);
    let rest = server.get(&format!(
        "/api/v1/changes?since={}",
        first.body["next_since"]
    ));
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    let nothing_new = server.get(&format!(
        "/api/v1/changes?since={}",
        log.body["graph_version"]
    ));
    assert_eq!(nothing_new.body["items"], json!([]));
    assert_eq!(server.get("/api/v1/changes?limit=0").status, 400);

    // The seed is logged too, and the node's history survives its deletion.
    let seed = server.get("/api/v1/changes?limit=1");
    assert_eq!(seed.body["items"][0]["actor"], "seed");
    let history = server.get("/api/v1/nodes/city:ru:audited/history");
    assert_eq!(history.status, 200);
    assert_eq!(history.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        server.get("/api/v1/nodes/city:ru:never/history").status,
        404
    );
    let link_history =
        server.get("/api/v1/links/twinning:city:jp:niigata+city:ru:vladivostok/history");
    assert_eq!(link_history.status, 200, "{}", link_history.body);
    assert_eq!(link_history.body["items"][0]["changes"][0]["op"], "create");
}

#[test]
fn a_token_over_its_write_rate_gets_429_with_retry_after() {
    // One write per 100 s, bursts of 1: the second write is refused however slowly the
    // test runs (the bucket arithmetic is unit-tested with its clock in `auth::limit`).
    let server = TestServer::start_seeded_with(|c| c.write_rate = 0.01);
    let writer = token(&server, "busy-writer", "write");
    let statuses: Vec<u16> = (0..3)
        .map(|i| {
            post_as(
                &server,
                Some(&writer),
                "/api/v1/nodes",
                &city(&format!("Burst {i}")),
            )
            .status
        })
        .collect();
    assert_eq!(statuses, [201, 429, 429]);
    let response = ureq::post(&format!("{}/api/v1/nodes", server.base))
        .set("authorization", &format!("Bearer {writer}"))
        .send_json(city("Once more"));
    match response {
        Err(ureq::Error::Status(429, r)) => {
            let wait = r.header("retry-after").unwrap().parse::<u64>().unwrap();
            assert!((1..=100).contains(&wait), "Retry-After: {wait}");
            assert_eq!(r.content_type(), "application/problem+json");
            let body: Value = r.into_json().unwrap();
            assert_eq!(body["code"], "rate_limited", "{body}");
            assert_eq!(body["type"], "/docs/problems#rate_limited");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.get("/api/v1/nodes/city:ru:blagoveshchensk").status,
        200,
        "reads are not limited"
    );
}

#[test]
fn json_nested_too_deeply_is_a_clear_400() {
    let server = TestServer::start();
    let body = format!(
        "{{\"kind\": \"city\", \"name\": \"Deep\", \"attrs\": {}1{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    let reply = server.send("POST", "/api/v1/nodes", Some(("application/json", body)));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["code"], "json_too_deep");
    assert_eq!(server.get("/api/v1/nodes/city:deep").status, 404);
}

/// An acknowledged write: the node's id, its graph version, the record as answered.
type Acknowledged = (String, u64, Value);

#[test]
fn a_backup_taken_under_concurrent_writes_restores_one_consistent_version() {
    let server = TestServer::start_seeded();
    let writer = Arc::new(token(&server, "writer", "write"));
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::<Acknowledged>::new()));
    let threads: Vec<_> = (0..3)
        .map(|w| {
            let (base, writer, stop, acknowledged) = (
                server.base.clone(),
                Arc::clone(&writer),
                Arc::clone(&stop),
                Arc::clone(&acknowledged),
            );
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let name = format!("Backup W{w} N{i}");
                    let reply = ureq::post(&format!("{base}/api/v1/nodes"))
                        .set("authorization", &format!("Bearer {writer}"))
                        .send_json(city(&name))
                        .unwrap();
                    let version = reply.header("x-graph-version").unwrap().parse().unwrap();
                    let body: Value = reply.into_json().unwrap();
                    let id = body["id"].as_str().unwrap().to_string();
                    acknowledged.lock().unwrap().push((id, version, body));
                }
            })
        })
        .collect();
    // Waits, by polling the writers' log, until `done` holds of it (no fixed sleep: the
    // bound only keeps a broken build from hanging).
    let wait_until = |done: &dyn Fn(&[Acknowledged]) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while !done(&acknowledged.lock().unwrap()) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    wait_until(&|log| log.len() >= 30);
    let response = ureq::post(&format!("{}/api/v1/admin/backup", server.base))
        .set("authorization", &format!("Bearer {}", server.token))
        .call()
        .unwrap();
    let version: u64 = response.header("x-graph-version").unwrap().parse().unwrap();
    let mut file = Vec::new();
    std::io::copy(&mut response.into_reader(), &mut file).unwrap();
    wait_until(&|log| log.iter().filter(|(_, v, _)| *v > version).count() >= 30);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }

    let tmp = tempfile::TempDir::new().unwrap();
    let restored = tmp.path().join("restored");
    let path = tmp.path().join("copy.backup");
    std::fs::write(&path, &file).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(["restore", "--from"])
        .arg(&path)
        .arg("--data")
        .arg(&restored)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("indexes agree"));

    let store = pobratim::store::SledStore::open(&restored).unwrap();
    assert_eq!(store.graph_version().unwrap(), version);
    let acknowledged = acknowledged.lock().unwrap();
    let (before, after): (Vec<_>, Vec<_>) =
        acknowledged.iter().partition(|(_, v, _)| *v <= version);
    assert!(
        !before.is_empty() && !after.is_empty(),
        "writes ran on both sides of the backup"
    );
    for (id, v, answered) in &before {
        let copied = store.get_node(id.as_str()).unwrap();
        assert_eq!(
            copied.map(|n| serde_json::to_value(n).unwrap()).as_ref(),
            Some(answered),
            "{id} (v{v}) is in the copy as written"
        );
    }
    for (id, v, _) in &after {
        assert!(
            store.get_node(id.as_str()).unwrap().is_none(),
            "{id} (v{v}) is not"
        );
    }
    let tokens = store.tokens().unwrap();
    assert!(
        tokens.iter().any(|t| t.name == "writer"),
        "tokens are in the copy"
    );
    assert_eq!(
        store
            .changes_since(0, 1_000_000)
            .unwrap()
            .last()
            .unwrap()
            .version,
        version
    );
}

#[test]
fn the_cli_backs_up_a_directory_its_server_is_using() {
    let server = TestServer::start_seeded();
    let tmp = tempfile::TempDir::new().unwrap();
    let file = tmp.path().join("live.backup");
    let data = server.path().to_path_buf();
    let without_token = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(["backup", "--data"])
        .arg(&data)
        .arg("--to")
        .arg(&file)
        .env_remove("POBRATIM_TOKEN")
        .output()
        .unwrap();
    assert!(!without_token.status.success());
    assert!(String::from_utf8_lossy(&without_token.stderr).contains("--token"));
    assert!(!file.exists());
    let output = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(["backup", "--data"])
        .arg(&data)
        .arg("--to")
        .arg(&file)
        .env("POBRATIM_TOKEN", &server.token)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let version = server.get("/healthz").body["graph_version"]
        .as_u64()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("graph version {version}")));
    let restored = tmp.path().join("restored");
    let status = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(["restore", "--from"])
        .arg(&file)
        .arg("--data")
        .arg(&restored)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    // Record for record, the copy is what the server holds.
    let copied = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(["export", "--format", "pobratim", "--data"])
        .arg(&restored)
        .env("POBRATIM_LOG", "warn")
        .output()
        .unwrap();
    assert!(copied.status.success(), "{copied:?}");
    let copied: Value = serde_json::from_slice(&copied.stdout).unwrap();
    assert_eq!(copied, server.get("/api/v1/export").body);
    let tokens = pobratim::store::SledStore::open(&restored)
        .unwrap()
        .tokens()
        .unwrap();
    assert!(tokens
        .iter()
        .any(|t| t.name == crate::common::TEST_TOKEN_NAME));
    let again = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(["restore", "--from"])
        .arg(&file)
        .arg("--data")
        .arg(&restored)
        .output()
        .unwrap();
    assert!(!again.status.success(), "never over existing data");
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}
