//! What a newcomer meets in the first hour: errors in words, the document's bounds equal
//! to the server's, hints where a command was given the wrong thing, and commands that
//! print a summary for people rather than their internal log.

use std::process::Command;

use serde_json::Value;

use crate::common::{pobratim_on, TestServer};

fn pobratim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(args)
        .env_remove("POBRATIM_LOG")
        .output()
        .unwrap()
}

#[test]
fn number_parameters_are_explained_in_words_and_top_needs_one() {
    let server = TestServer::start_seeded();
    for query in ["limit=abc", "limit=-1"] {
        let reply = server.get(&format!("/api/v1/nodes?{query}"));
        assert_eq!(reply.status, 400, "{query}");
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("`limit` must be a whole number"),
            "{detail}"
        );
        assert!(!detail.contains("invalid digit"), "{detail}");
    }
    let top = server.get("/api/v1/centrality/degree?top=0");
    assert_eq!((top.status, top.body["field"].as_str()), (400, Some("top")));
    let node = server.get("/api/v1/nodes/city:ru:blagoveshchensk/centrality?top=0");
    assert_eq!(node.status, 400);
    // An empty parameter is one left out, as a form sends it.
    let empty = server.get("/api/v1/nodes?country=&limit=2");
    assert_eq!(empty.status, 200, "{}", empty.body);
}

#[test]
fn the_document_states_the_bounds_the_server_enforces() {
    let server = TestServer::start_seeded();
    let doc = server.get("/openapi.json").body;
    let limit = |path: &str| -> (u64, u64) {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        // An optional number may also be empty: `anyOf: [the number, ""]`.
        let number = &limit["schema"]["anyOf"][0];
        (
            number["minimum"].as_u64().unwrap(),
            number["maximum"].as_u64().unwrap(),
        )
    };
    for (path, url) in [
        ("/api/v1/nodes", "/api/v1/nodes"),
        ("/api/v1/links", "/api/v1/links"),
        ("/api/v1/centrality/{measure}", "/api/v1/centrality/degree"),
        ("/api/v1/components", "/api/v1/components"),
        (
            "/api/v1/nodes/{id}/neighbourhood",
            "/api/v1/nodes/city:ru:blagoveshchensk/neighbourhood",
        ),
        (
            "/api/v1/nodes/{id}/partners",
            "/api/v1/nodes/city:ru:blagoveshchensk/partners",
        ),
    ] {
        let (min, max) = limit(path);
        assert_eq!(min, 1, "{path}");
        for (value, taken) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
            let reply = server.get(&format!("{url}?limit={value}"));
            assert_eq!(
                reply.status == 200,
                taken,
                "{path} limit={value}: {}",
                reply.body
            );
        }
    }
    // New records may leave their id out; the example is a record that can be created.
    let schemas = &doc["components"]["schemas"];
    let required = schemas["NewNode"]["required"].as_array().unwrap();
    assert!(!required.contains(&Value::from("id")));
    let example = schemas["NewNode"]["example"].clone();
    assert!(example.get("id").is_none());
    let created = server.post("/api/v1/nodes", &example);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        doc["paths"]["/api/v1/nodes"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/NewNode"
    );
    // Answers echo the filter by its parameter's name.
    let stats = server.get("/api/v1/stats?as_of=2010&undated=false");
    assert_eq!(stats.body["filters"]["undated"], false, "{}", stats.body);
    assert!(stats.body["filters"].get("include_undated").is_none());
}

#[test]
fn messages_name_kinds_with_their_article() {
    let server = TestServer::start_seeded();
    let reply = server.get("/api/v1/nodes/association:union-of-russian-cities/partners");
    let detail = reply.body["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(detail.contains("is an association"), "{detail}");
    assert_eq!(reply.status, 422);
    let sampled = server.get("/api/v1/centrality/degree?k=5");
    assert_eq!(
        (sampled.status, sampled.body["code"].as_str()),
        (422, Some("conflicting_parameters"))
    );
}

#[test]
fn commands_hint_at_what_was_meant() {
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("links.csv");
    std::fs::write(
        &csv,
        "city_a,country_a,city_b,country_b\nOmsk,RU,Niigata,JP\nTomsk,Russia,Niigata,Japan\n",
    )
    .unwrap();

    let plain = pobratim_on(&["import", csv.to_str().unwrap()], &data);
    let said = String::from_utf8_lossy(&plain.stderr);
    assert!(!plain.status.success());
    assert!(said.contains("--format csv"), "{said}");

    // A country code in `country_a` is the code.
    let edges = pobratim_on(
        &["import", "--format", "edge-list", csv.to_str().unwrap()],
        &data,
    );
    assert!(
        edges.status.success(),
        "{}",
        String::from_utf8_lossy(&edges.stderr)
    );
    // Country names and codes in `country_a` give the code: both cities are Russian.
    for city in ["city:ru:tomsk", "city:ru:omsk"] {
        let out = pobratim(&[
            "query",
            "--data",
            data.to_str().unwrap(),
            "--format",
            "json",
            "neighbourhood",
            city,
        ]);
        assert!(
            out.status.success(),
            "{city}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let bind = pobratim(&[
        "serve",
        "--data",
        data.to_str().unwrap(),
        "--bind",
        "localhost",
    ]);
    let said = String::from_utf8_lossy(&bind.stderr);
    assert!(said.contains("needs a port too"), "{said}");

    let help = pobratim(&["--help"]);
    let said = String::from_utf8_lossy(&help.stdout);
    assert!(!said.contains("as a pobratim JSON document"), "{said}");
}

#[test]
fn an_import_prints_one_summary_line_for_people() {
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("links.csv");
    std::fs::write(&csv, "city_a,cc_a,city_b,cc_b\nOmsk,RU,Niigata,JP\n").unwrap();
    let out = pobratim(&[
        "import",
        "--data",
        data.to_str().unwrap(),
        "--format",
        "edge-list",
        csv.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("imported: 3 records"), "{stdout}");
    for internal in ["streamed_ms", "graph_mb", "read_back", "INFO"] {
        assert!(!stderr.contains(internal), "{internal} in {stderr}");
    }
}

#[test]
fn a_near_miss_id_says_what_was_meant() {
    let server = TestServer::start_seeded();
    let bare = server.get("/api/v1/nodes/vladivostok");
    assert_eq!(bare.status, 404);
    let detail = bare.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("did you mean `city:ru:vladivostok`"),
        "{detail}"
    );
    let turned = server.get("/api/v1/links/twinning:city:ru:blagoveshchensk+city:cn:wudalianchi");
    assert_eq!(turned.status, 404);
    let detail = turned.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("did you mean `twinning:city:cn:wudalianchi+city:ru:blagoveshchensk`"),
        "{detail}"
    );
    let nothing = server.get("/api/v1/nodes/city:xx:nowhere-at-all");
    assert!(!nothing.body["detail"]
        .as_str()
        .unwrap()
        .contains("did you mean"));
}
