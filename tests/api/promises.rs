//! Behaviours the README promises that no other test exercised: the challenge on a 401,
//! the body cap, the heavy-query cap, CORS for any origin, tokens managed by the CLI,
//! and pages that stay whole while writes happen.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::{ids, pobratim_on as pobratim, TestServer};

#[test]
fn a_write_without_a_token_is_challenged_and_a_bad_token_named() {
    let server = TestServer::start_seeded();
    let body = json!({"kind": "city", "name": "Anonymous", "country": "RU"});
    for (token, why) in [
        (None, "no token"),
        (Some("pbt_0_nonsense"), "a token no one issued"),
    ] {
        let mut request = ureq::post(&format!("{}/api/v1/nodes", server.base));
        if let Some(token) = token {
            request = request.set("authorization", &format!("Bearer {token}"));
        }
        match request.send_json(body.clone()) {
            Err(ureq::Error::Status(401, r)) => {
                let challenge = r.header("www-authenticate").unwrap_or_default();
                assert!(challenge.starts_with("Bearer"), "{why}: {challenge}");
                assert_eq!(r.content_type(), "application/problem+json");
                let problem: Value = r.into_json().unwrap();
                assert_eq!(problem["code"], "unauthorized", "{why}: {problem}");
                assert_eq!(problem["field"], "authorization", "{why}: {problem}");
            }
            other => panic!("{why}: {other:?}"),
        }
    }
    assert_eq!(
        server.get("/api/v1/nodes?q=anonymous").body["items"],
        json!([])
    );
}

#[test]
fn a_body_over_the_cap_is_a_413_and_writes_nothing() {
    let server = TestServer::start_seeded();
    let before = server.get("/healthz").body["graph_version"].clone();
    let cap = pobratim::api::extract::MAX_BODY_BYTES;
    let mut csv = String::with_capacity(cap + 100);
    csv.push_str("id,kind,name,country\n");
    let mut i = 0;
    while csv.len() <= cap {
        csv.push_str(&format!("city:ru:c{i},city,C{i},RU\n"));
        i += 1;
    }
    let refused = server.send("POST", "/api/v1/import?format=csv", Some(("text/csv", csv)));
    assert_eq!(refused.status, 413, "{}", refused.body);
    assert_eq!(
        refused.content_type, "application/problem+json",
        "{}",
        refused.body
    );
    assert_eq!(refused.body["code"], "payload_too_large");
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains(&cap.to_string()));
    assert_eq!(server.get("/healthz").body["graph_version"], before);
    assert_eq!(server.get("/api/v1/nodes/city:ru:c0").status, 404);
}

#[test]
fn heavy_questions_past_the_cap_answer_busy_and_light_ones_still_answer() {
    let server = TestServer::start_seeded_with(|c| c.max_heavy_queries = 0);
    for heavy in [
        "/api/v1/centrality/pagerank",
        "/api/v1/communities",
        "/api/v1/stats",
    ] {
        let response = ureq::get(&format!("{}{heavy}", server.base)).call();
        match response {
            Err(ureq::Error::Status(503, r)) => {
                assert_eq!(r.header("retry-after"), Some("5"), "{heavy}");
                let problem: Value = r.into_json().unwrap();
                assert_eq!(problem["code"], "busy", "{heavy}: {problem}");
            }
            other => panic!("{heavy}: {other:?}"),
        }
    }
    let light = server.get("/api/v1/nodes/city:ru:blagoveshchensk/neighbours");
    assert_eq!(light.status, 200, "{}", light.body);
}

#[test]
fn cors_star_admits_any_origin() {
    let server = TestServer::start_seeded_with(|c| c.cors_origins = vec!["*".into()]);
    for origin in ["http://a.example", "https://dashboards.example.org:8443"] {
        let answer = ureq::get(&format!("{}/api/v1/stats", server.base))
            .set("Origin", origin)
            .call()
            .unwrap();
        let allowed = answer.header("access-control-allow-origin");
        assert!(
            allowed == Some("*") || allowed == Some(origin),
            "{origin}: {allowed:?}"
        );
    }
}

#[test]
fn tokens_are_created_listed_used_and_revoked_by_the_cli() {
    let server = TestServer::start_seeded();
    let (path, dir) = server.stop();
    let created = pobratim(
        &[
            "token",
            "create",
            "--name",
            "field-team",
            "--scope",
            "write",
        ],
        &path,
    );
    assert!(created.status.success(), "{created:?}");
    let secret = String::from_utf8(created.stdout)
        .unwrap()
        .trim()
        .to_string();
    assert!(secret.starts_with("pbt_"), "{secret}");

    let listed = pobratim(&["token", "list"], &path);
    let listed = String::from_utf8(listed.stdout).unwrap();
    let line = listed
        .lines()
        .find(|l| l.contains("field-team"))
        .unwrap_or_else(|| panic!("field-team missing from:\n{listed}"));
    assert!(line.contains("write"), "{line}");
    assert!(!line.contains(&secret), "the secret is never shown again");

    let server = TestServer::start_at(&path, true, dir).unwrap();
    let city = json!({"kind": "city", "name": "Field Town", "country": "RU"});
    let made = server.send_as(
        Some(&secret),
        "POST",
        "/api/v1/nodes",
        Some(("application/json", city.to_string())),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let changes = server.get("/api/v1/changes?since=0&limit=1000").body;
    let last = changes["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["actor"], "field-team",
        "the change log names the token"
    );
    let (path, dir) = server.stop();

    let revoked = pobratim(&["token", "revoke", "field-team"], &path);
    assert!(revoked.status.success(), "{revoked:?}");
    let listed = pobratim(&["token", "list"], &path);
    let listed = String::from_utf8(listed.stdout).unwrap();
    // Columns: id, name, scope, created, revoked ("-" while valid).
    let revoked_at = listed
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols.get(1) == Some(&"field-team"))
        .map(|cols| cols[4].to_string());
    assert!(
        revoked_at.as_deref().is_some_and(|at| at.starts_with("20")),
        "{listed}"
    );
    let server = TestServer::start_at(&path, true, dir).unwrap();
    let refused = server.send_as(
        Some(&secret),
        "POST",
        "/api/v1/nodes",
        Some(("application/json", city.to_string())),
    );
    assert_eq!(refused.status, 401, "{}", refused.body);
}

#[test]
fn paging_while_writes_happen_lists_every_earlier_node_once() {
    let server = TestServer::start_seeded();
    let mut before = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/nodes?limit=1000&cursor={c}"),
            None => "/api/v1/nodes?limit=1000".to_string(),
        };
        let page = server.get(&url).body;
        before.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    // Page 5 at a time; between pages, create nodes before and after the cursor and
    // delete one not yet listed.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut step = 0;
    let mut deleted = BTreeSet::new();
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/nodes?limit=5&cursor={c}"),
            None => "/api/v1/nodes?limit=5".to_string(),
        };
        let page = server.get(&url);
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(ids(&page.body));
        step += 1;
        for name in [format!("Aaa {step}"), format!("Zzz {step}")] {
            let made = server.post(
                "/api/v1/nodes",
                &json!({"kind": "city", "name": name, "country": "RU"}),
            );
            assert_eq!(made.status, 201, "{}", made.body);
        }
        if let Some(ahead) = before
            .iter()
            .find(|id| !seen.contains(id) && !deleted.contains(*id) && id.starts_with("city:"))
            .cloned()
        {
            let gone = server.delete(&format!("/api/v1/nodes/{ahead}?cascade=true"));
            assert_eq!(gone.status, 200, "{}", gone.body);
            deleted.insert(ahead);
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no node listed twice");
    for id in &before {
        assert_eq!(
            seen.contains(id),
            !deleted.contains(id),
            "{id}: listed once unless deleted before its page"
        );
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "id order holds");
}
