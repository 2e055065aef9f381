//! The `pobratim` binary: export → import round trip, and `check`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn pobratim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(args)
        .env("POBRATIM_LOG", "warn")
        .output()
        .unwrap()
}

fn seeded_dir(root: &Path) -> String {
    let data = root.join("seeded").to_string_lossy().into_owned();
    let seed = root.join("seed.json");
    std::fs::write(&seed, pobratim::io::seed::SEED_JSON).unwrap();
    let out = pobratim(&["import", "--data", &data, seed.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    data
}

#[test]
fn export_then_import_into_an_empty_store_gives_the_same_records() {
    let root = tempfile::TempDir::new().unwrap();
    let data = seeded_dir(root.path());
    let out = pobratim(&["export", "--data", &data]);
    assert!(out.status.success());
    let first: Value = serde_json::from_slice(&out.stdout).unwrap();
    let exported = root.path().join("export.json");
    std::fs::write(&exported, &out.stdout).unwrap();

    let copy = root.path().join("copy").to_string_lossy().into_owned();
    let imported = pobratim(&["import", "--data", &copy, exported.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let again: Value =
        serde_json::from_slice(&pobratim(&["export", "--data", &copy]).stdout).unwrap();
    assert_eq!(first, again);
    assert!(first["links"].as_array().unwrap().len() > 70);

    let twice = pobratim(&["import", "--data", &copy, exported.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&twice.stdout);
    assert!(said.contains("0 created, 0 updated"), "{said}");
}

#[test]
fn check_passes_on_a_clean_store_and_names_what_is_wrong() {
    let root = tempfile::TempDir::new().unwrap();
    let data = seeded_dir(root.path());
    let ok = pobratim(&["check", "--data", &data]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let nodes = crate::common::seed_counts().nodes;
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with(&format!("ok: {nodes} nodes")));
    {
        let db = sled::open(&data).unwrap();
        let tree = db.open_tree("idx.node_country.v1").unwrap();
        let key = tree.iter().next().unwrap().unwrap().0;
        tree.remove(key).unwrap();
        db.flush().unwrap();
    }
    let bad = pobratim(&["check", "--data", &data]);
    assert_eq!(bad.status.code(), Some(1));
    let said = String::from_utf8_lossy(&bad.stdout);
    assert!(
        said.contains("is missing its entry in index idx.node_country.v1"),
        "{said}"
    );
    assert!(said.contains("1 problem(s) found"), "{said}");
}

#[test]
fn a_bad_document_is_refused_whole() {
    let root = tempfile::TempDir::new().unwrap();
    let doc = root.path().join("bad.json");
    std::fs::write(
        &doc,
        r#"{"format": "pobratim", "version": 1, "nodes": [{"kind": "city", "name": "A", "country": "RU"}],
            "links": [{"kind": "twinning", "members": ["city:ru:a", "city:ru:b"]}]}"#,
    )
    .unwrap();
    let data = root.path().join("d").to_string_lossy().into_owned();
    let out = pobratim(&["import", "--data", &data, doc.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("links[0].members[1]"));
    let export: Value =
        serde_json::from_slice(&pobratim(&["export", "--data", &data]).stdout).unwrap();
    assert_eq!(export["nodes"], serde_json::json!([]));
}

#[test]
fn graph_formats_export_every_edge_and_filter_like_queries() {
    let root = tempfile::TempDir::new().unwrap();
    let data = seeded_dir(root.path());
    let node_link: Value = serde_json::from_slice(
        &pobratim(&["export", "--data", &data, "--format", "node-link"]).stdout,
    )
    .unwrap();
    let seed = crate::common::seed_counts();
    assert_eq!(node_link["nodes"].as_array().unwrap().len(), seed.nodes);
    assert_eq!(
        node_link["edges"].as_array().unwrap().len(),
        seed.edges,
        "a trilateral link is a triangle"
    );
    let tri: Vec<&Value> = node_link["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "trilateral")
        .collect();
    assert_eq!(tri.len(), 9);
    let diplomatic: Value = serde_json::from_slice(
        &pobratim(&[
            "export",
            "--data",
            &data,
            "--format",
            "node-link",
            "--kinds",
            "twinning",
            "--as-of",
            "2002",
        ])
        .stdout,
    )
    .unwrap();
    let signed: Vec<&str> = diplomatic["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["signed"].as_str())
        .collect();
    assert_eq!(
        signed,
        ["1991-02"],
        "only Vladivostok–Niigata was signed by 2002 among dated twinnings"
    );
    let geo: Value = serde_json::from_slice(
        &pobratim(&["export", "--data", &data, "--format", "geojson"]).stdout,
    )
    .unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let graphml =
        String::from_utf8(pobratim(&["export", "--data", &data, "--format", "graphml"]).stdout)
            .unwrap();
    assert_eq!(graphml.matches("<edge ").count(), seed.edges);
    assert!(graphml.contains("Благовещенск"));
    let gexf = String::from_utf8(pobratim(&["export", "--data", &data, "--format", "gexf"]).stdout)
        .unwrap();
    assert_eq!(gexf.matches("<edge ").count(), seed.edges);
    assert!(
        gexf.contains(r#"<spell start="2003-07-17"/>"#),
        "Wudalianchi's twinning starts its spell on the day it was signed"
    );
}

#[test]
fn node_link_export_then_import_gives_the_same_records() {
    let root = tempfile::TempDir::new().unwrap();
    let data = seeded_dir(root.path());
    let original: Value =
        serde_json::from_slice(&pobratim(&["export", "--data", &data]).stdout).unwrap();
    let file = root.path().join("seed.node-link.json");
    std::fs::write(
        &file,
        pobratim(&["export", "--data", &data, "--format", "node-link"]).stdout,
    )
    .unwrap();
    let copy = root.path().join("copy").to_string_lossy().into_owned();
    let out = pobratim(&[
        "import",
        "--data",
        &copy,
        "--format",
        "node-link",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again: Value =
        serde_json::from_slice(&pobratim(&["export", "--data", &copy]).stdout).unwrap();
    assert_eq!(again["nodes"], original["nodes"]);
    assert_eq!(again["links"], original["links"]);
}

/// A document of `nodes` and `links` (JSON values), written into `root`.
fn document(root: &Path, name: &str, nodes: Vec<Value>, links: Vec<Value>) -> String {
    let doc = root.join(name);
    let body =
        serde_json::json!({"format": "pobratim", "version": 1, "nodes": nodes, "links": links});
    std::fs::write(&doc, body.to_string()).unwrap();
    doc.to_string_lossy().into_owned()
}

/// Nodes `a`, `b`, `c` and `count` more, and a chain of twinning links among the others:
/// ballast that puts what follows it in a later chunk of the import (20,000 records).
fn with_ballast(count: usize) -> (Vec<Value>, Vec<Value>) {
    let city = |id: &str| serde_json::json!({"id": format!("city:ru:{id}"), "kind": "city", "name": id, "country": "RU"});
    let mut nodes: Vec<Value> = ["a", "b", "c"].iter().map(|id| city(id)).collect();
    nodes.extend((0..=count).map(|i| city(&format!("f{i}"))));
    let links = (0..count)
        .map(|i| {
            serde_json::json!({"kind": "twinning",
                "members": [format!("city:ru:f{i}"), format!("city:ru:f{}", i + 1)]})
        })
        .collect();
    (nodes, links)
}

/// The counts of an import's summary line (records, created, …, skipped), without
/// its first word ("imported" or "dry run") and its time.
fn summary_counts(stdout: &str) -> String {
    let from = stdout.find(" records").unwrap();
    let to = stdout[from..].find(" in ").unwrap();
    stdout[from..from + to].to_owned()
}

#[test]
fn an_import_remembers_the_pairs_of_its_earlier_chunks() {
    let root = tempfile::TempDir::new().unwrap();
    let pair = |id: Option<&str>, a: &str, b: &str| {
        let mut link = serde_json::json!({"kind": "twinning", "members": [format!("city:ru:{a}"), format!("city:ru:{b}")]});
        if let Some(id) = id {
            link["id"] = id.into();
        }
        link
    };

    // a–b taken in an early chunk: a link with another id on the same pair, chunks
    // later, is refused, and nothing is written.
    let (nodes, ballast) = with_ballast(20_000);
    let mut links = vec![pair(None, "a", "b")];
    links.extend(ballast.clone());
    links.push(pair(Some("twinning:again"), "b", "a"));
    let doc = document(root.path(), "taken.json", nodes.clone(), links);
    let data = root.path().join("taken").to_string_lossy().into_owned();
    // A dry run (which keeps only fingerprints and pairs of its earlier chunks) refuses
    // it the same way.
    let dry_data = root.path().join("taken-dry").to_string_lossy().into_owned();
    let dry = pobratim(&["import", "--dry-run", "--data", &dry_data, &doc]);
    assert!(!dry.status.success());
    assert!(String::from_utf8_lossy(&dry.stderr).contains("links[20001].members"));
    let out = pobratim(&["import", "--data", &data, &doc]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("links[20001].members"), "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    let export: Value =
        serde_json::from_slice(&pobratim(&["export", "--data", &data]).stdout).unwrap();
    assert_eq!(export["links"], serde_json::json!([]));

    // A pair freed in a later chunk (the link moved to a–c) may be taken again.
    let mut links = vec![pair(Some("twinning:moving"), "a", "b")];
    links.extend(ballast);
    links.push(pair(Some("twinning:moving"), "a", "c"));
    links.push(pair(None, "a", "b"));
    let doc = document(root.path(), "freed.json", nodes, links);
    let data = root.path().join("freed").to_string_lossy().into_owned();
    let dry_data = root.path().join("freed-dry").to_string_lossy().into_owned();
    let dry = pobratim(&["import", "--dry-run", "--data", &dry_data, &doc]);
    assert!(
        dry.status.success(),
        "a dry run frees the pair too: {}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let out = pobratim(&["import", "--data", &data, &doc]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        summary_counts(&String::from_utf8_lossy(&dry.stdout)),
        summary_counts(&String::from_utf8_lossy(&out.stdout))
    );
    let export: Value =
        serde_json::from_slice(&pobratim(&["export", "--data", &data]).stdout).unwrap();
    let ids: Vec<&str> = export["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["members"][0] == "city:ru:a")
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&"twinning:moving"), "{ids:?}");
    assert!(pobratim(&["check", "--data", &data]).status.success());
}

#[test]
fn an_import_updates_records_its_earlier_chunks_wrote() {
    // Node `a`, link a–b (derived id) and link `twinning:chosen` (a–c) come once early
    // and again, changed, chunks later: the second time each is an update of the record
    // the first wrote (its old index entries removed), not a second creation.
    let root = tempfile::TempDir::new().unwrap();
    let (mut nodes, ballast) = with_ballast(20_000);
    nodes.push(
        serde_json::json!({"id": "city:ru:a", "kind": "city", "name": "Alpha", "country": "RU"}),
    );
    // And `c` again as it was: unchanged.
    nodes
        .push(serde_json::json!({"id": "city:ru:c", "kind": "city", "name": "c", "country": "RU"}));
    let link = |id: Option<&str>, b: &str, status: &str| {
        let mut link = serde_json::json!({"kind": "twinning", "status": status,
            "members": ["city:ru:a", format!("city:ru:{b}")]});
        if let Some(id) = id {
            link["id"] = id.into();
        }
        link
    };
    let mut links = vec![
        link(None, "b", "active"),
        link(Some("twinning:chosen"), "c", "active"),
    ];
    links.extend(ballast);
    links.push(link(None, "b", "ended"));
    links.push(link(Some("twinning:chosen"), "c", "suspended"));
    let doc = document(root.path(), "twice.json", nodes, links);
    let data = root.path().join("twice").to_string_lossy().into_owned();
    // A dry run first (into another directory): it writes nothing, and keeps only
    // fingerprints of the records of its earlier chunks, yet counts as the import does.
    let dry_data = root.path().join("dry").to_string_lossy().into_owned();
    let dry = pobratim(&["import", "--dry-run", "--data", &dry_data, &doc]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let out = pobratim(&["import", "--data", &data, &doc]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" 3 updated, 1 unchanged"), "{stdout}");
    assert_eq!(
        summary_counts(&String::from_utf8_lossy(&dry.stdout)),
        summary_counts(&stdout),
        "dry run: {}",
        String::from_utf8_lossy(&dry.stdout)
    );
    let export: Value =
        serde_json::from_slice(&pobratim(&["export", "--data", &data]).stdout).unwrap();
    let node = |id: &str| {
        export["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["id"] == id)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(node("city:ru:a").len(), 1);
    assert_eq!(node("city:ru:a")[0]["name"], "Alpha");
    let status = |id: &str| {
        let found: Vec<&Value> = export["links"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["id"] == id)
            .collect();
        assert_eq!(found.len(), 1, "{id}: {found:?}");
        found[0]["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status("twinning:city:ru:a+city:ru:b"), "ended");
    assert_eq!(status("twinning:chosen"), "suspended");
    // The name index no longer lists `a` under its first name.
    let check = pobratim(&["check", "--data", &data]);
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// The server sets its heap up in place (mimalloc's option API; the value is checked by
/// the unit test in `heap_tuning.rs`): it is not re-executed, so it keeps its name in
/// process lists and its environment as it was given.
#[cfg(target_os = "linux")]
#[test]
fn the_server_sets_its_heap_up_without_restarting() {
    let root = tempfile::TempDir::new().unwrap();
    let (mut child, base) = crate::crash::serve(&root.path().join("data"));
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", child.id())).unwrap();
    let environ = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    let purge_delay_set = environ
        .split(|&b| b == 0)
        .any(|v| v.starts_with(b"MIMALLOC_PURGE_DELAY="));
    let health = ureq::get(&format!("{base}/healthz"))
        .call()
        .unwrap()
        .status();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(health, 200);
    assert_eq!(comm.trim(), "pobratim");
    assert!(!purge_delay_set, "the environment is the caller's");
}

#[test]
fn a_node_without_an_id_finds_its_namesake_in_the_chunk_being_written() {
    // `city:ru:x1` ("Xanadu") ends the first chunk of 20,000 records; two rows into the
    // next, a node without an id with the same kind, country and name is checked while
    // the first chunk is still being written: it must update `city:ru:x1`, not create a
    // second Xanadu.
    let root = tempfile::TempDir::new().unwrap();
    let mut csv = String::from("id,kind,name,country,population\n");
    for i in 0..19_999 {
        csv.push_str(&format!("city:ru:f{i},city,f{i},RU,\n"));
    }
    csv.push_str("city:ru:x1,city,Xanadu,RU,\n,city,Nowhere,RU,\n,city,xanadu,RU,7\n");
    let file = root.path().join("nodes.csv");
    std::fs::write(&file, csv).unwrap();
    let data = root.path().join("data").to_string_lossy().into_owned();
    let out = pobratim(&[
        "import",
        "--data",
        &data,
        "--format",
        "csv",
        &file.to_string_lossy(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" 20001 created, 1 updated"), "{stdout}");
    let xanadu = the_only_xanadu(&data);
    assert_eq!(
        (&xanadu["id"], &xanadu["population"]),
        (&"city:ru:x1".into(), &7.into())
    );
}

/// The one node of the store in `data` named Xanadu (in any case), exported.
fn the_only_xanadu(data: &str) -> Value {
    let export: Value =
        serde_json::from_slice(&pobratim(&["export", "--data", data]).stdout).unwrap();
    let xanadus: Vec<&Value> = export["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["name"]
                .as_str()
                .is_some_and(|name| name.eq_ignore_ascii_case("xanadu"))
        })
        .collect();
    assert_eq!(xanadus.len(), 1, "{xanadus:?}");
    xanadus[0].clone()
}

#[test]
fn a_node_without_an_id_finds_its_namesake_in_its_own_chunk_and_in_a_dry_run() {
    // `city:ru:x1` ("Xanadu") and, two rows later in the same chunk, a node without an
    // id with the same kind, country and name: neither is in any index yet, and the
    // second must update the first, not create `city:ru:xanadu`. Then the same with
    // 20,000 rows between them, checked by a dry run, which writes no chunk: it must
    // count what the import does (1 updated).
    let root = tempfile::TempDir::new().unwrap();
    let namesakes = |between: usize| {
        let mut csv = String::from("id,kind,name,country,population\n");
        csv.push_str("city:ru:x1,city,Xanadu,RU,\n");
        for i in 0..between {
            csv.push_str(&format!("city:ru:f{i},city,f{i},RU,\n"));
        }
        csv.push_str(",city,xanadu,RU,7\n");
        let file = root.path().join(format!("namesakes-{between}.csv"));
        std::fs::write(&file, csv).unwrap();
        file.to_string_lossy().into_owned()
    };
    let import = |file: &str, data: &str, dry_run: bool| {
        let mut args = vec!["import", "--data", data, "--format", "csv", file];
        if dry_run {
            args.insert(1, "--dry-run");
        }
        let out = pobratim(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        summary_counts(&String::from_utf8_lossy(&out.stdout))
    };
    let dir = |name: &str| root.path().join(name).to_string_lossy().into_owned();
    let near = namesakes(1);
    let data = dir("near");
    assert!(import(&near, &dir("near-dry"), true).contains(" 2 created, 1 updated"));
    assert!(import(&near, &data, false).contains(" 2 created, 1 updated"));
    let xanadu = the_only_xanadu(&data);
    assert_eq!(
        (&xanadu["id"], &xanadu["population"]),
        (&"city:ru:x1".into(), &7.into())
    );
    let far = namesakes(20_000);
    let imported = import(&far, &dir("far"), false);
    assert!(imported.contains(" 20001 created, 1 updated"), "{imported}");
    assert_eq!(import(&far, &dir("far-dry"), true), imported);
}

/// `pobratim query … --format json` on a data directory, parsed.
fn query(data: &str, question: &[&str]) -> Value {
    let mut args = vec!["query", "--data", data, "--format", "json"];
    args.extend_from_slice(question);
    let out = pobratim(&args);
    assert!(
        out.status.success(),
        "{question:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids(nodes: &Value, at: &str) -> Vec<String> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.pointer(at).unwrap().as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_cli_answers_graph_questions_as_the_http_api_does() {
    let server = crate::common::TestServer::start_seeded();
    let shortest = server
        .get("/api/v1/paths/shortest?from=city:ru:krasnoyarsk&to=city:jp:niigata")
        .body;
    let pagerank = server.get("/api/v1/centrality/pagerank?top=10").body;
    let ego = server
        .get("/api/v1/nodes/city:ru:blagoveshchensk/neighbourhood?depth=2")
        .body;
    let k_shortest = server
        .get("/api/v1/paths/k-shortest?from=city:ru:krasnoyarsk&to=city:jp:niigata&k=3&kinds=all&status=any")
        .body;
    let (path, _dir) = server.stop();
    let data = path.to_str().unwrap();

    let cli = query(
        data,
        &[
            "shortest",
            "--from",
            "city:ru:krasnoyarsk",
            "--to",
            "city:jp:niigata",
        ],
    );
    assert_eq!(
        ids(&cli["paths"][0]["nodes"], "/id"),
        ids(&shortest["paths"][0]["nodes"], "/id")
    );
    assert_eq!(cli["paths"][0]["steps"], shortest["paths"][0]["steps"]);

    let cli = query(
        data,
        &[
            "k-shortest",
            "--from",
            "city:ru:krasnoyarsk",
            "--to",
            "city:jp:niigata",
            "--k",
            "3",
            "--kinds",
            "all",
            "--status",
            "any",
        ],
    );
    assert_eq!(cli["paths"].as_array().unwrap().len(), 3);
    for (a, b) in cli["paths"]
        .as_array()
        .unwrap()
        .iter()
        .zip(k_shortest["paths"].as_array().unwrap())
    {
        assert_eq!(ids(&a["nodes"], "/id"), ids(&b["nodes"], "/id"));
        assert_eq!(a["cost"], b["cost"]);
    }

    let cli = query(data, &["centrality", "pagerank", "--top", "10"]);
    assert_eq!(cli["items"].as_array().unwrap().len(), 10);
    assert_eq!(
        ids(&cli["items"], "/node/id"),
        ids(&pagerank["items"], "/node/id")
    );
    for (a, b) in cli["items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(pagerank["items"].as_array().unwrap())
    {
        assert_eq!((&a["rank"], &a["value"]), (&b["rank"], &b["value"]));
    }

    let cli = query(
        data,
        &["neighbourhood", "city:ru:blagoveshchensk", "--depth", "2"],
    );
    assert_eq!(
        ids(&cli["nodes"], "/node/id"),
        ids(&ego["nodes"], "/node/id")
    );
    assert_eq!(ids(&cli["links"], "/id"), ids(&ego["links"], "/id"));
    assert!(ego["nodes"].as_array().unwrap().len() > 10, "{ego}");

    // The table names the same cities, in the same order.
    let out = pobratim(&[
        "query",
        "--data",
        data,
        "centrality",
        "pagerank",
        "--top",
        "3",
    ]);
    let table = String::from_utf8(out.stdout).unwrap();
    let first: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(
        first,
        ids(&pagerank["items"], "/node/id")[..3].to_vec(),
        "{table}"
    );

    // A mistyped directory is named, not created.
    let typo = format!("{data}-typo");
    let out = pobratim(&["query", "--data", &typo, "stats"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a pobratim data directory"));
    assert!(!Path::new(&typo).exists());
}

#[test]
fn a_command_beside_a_running_server_says_what_to_do() {
    let server = crate::common::TestServer::start_seeded();
    let data = server.path().to_string_lossy().into_owned();
    for args in [
        vec!["token", "list", "--data", &data],
        vec!["check", "--data", &data],
        vec!["query", "--data", &data, "stats"],
        vec!["export", "--data", &data, "--out", "-"],
    ] {
        let out = pobratim(&args);
        assert!(!out.status.success(), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("is in use by a running pobratim server")
                && said.contains("stop it first"),
            "{args:?}: {said}"
        );
        assert!(!said.contains("WouldBlock"), "{args:?}: {said}");
    }
    assert_eq!(
        server.get("/healthz").status,
        200,
        "the server is untouched"
    );
}

#[test]
fn a_server_that_cannot_listen_writes_nothing() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let root = tempfile::TempDir::new().unwrap();
    let data = root.path().join("new");
    let out = pobratim(&["serve", "--data", data.to_str().unwrap(), "--bind", &addr]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("cannot listen on {addr}")), "{said}");
    assert!(
        !data.exists(),
        "no directory was made for a server that could not listen"
    );
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let root = tempfile::TempDir::new().unwrap();
    let data = root.path().join("data");
    let seed = root.path().join("seed.json");
    std::fs::write(&seed, pobratim::io::seed::SEED_JSON).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args([
            "import",
            "--data",
            data.to_str().unwrap(),
            seed.to_str().unwrap(),
        ])
        .env("POBRATIM_LOG", "info")
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("INFO"), "the log is written: {log}");
    assert!(
        !log.contains('\u{1b}'),
        "no escape codes in a pipe: {log:?}"
    );
}

/// The README's first section, followed as written in a shell without `USER`: the first
/// server on a new directory keeps an admin token in `data/admin-token`, and a write
/// with it succeeds without a restart. The token is not written to a log that is not a
/// terminal; a second start makes no other.
#[test]
fn the_first_server_keeps_an_admin_token_that_writes_at_once() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let root = tempfile::TempDir::new().unwrap();
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pobratim"))
            .arg("serve")
            .current_dir(root.path())
            .env_remove("USER")
            .env_remove("POBRATIM_DATA_DIR")
            .env("POBRATIM_BIND", "127.0.0.1:0")
            .env("POBRATIM_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let kept = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(at) = line.find("listening on ") {
                    let _ = tx.send(line[at + "listening on ".len()..].trim().to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the server starts");
        (child, base, log)
    };
    let (mut child, base, log) = start();
    let file = root.path().join("data").join("admin-token");
    let token = std::fs::read_to_string(&file).unwrap().trim().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let created = ureq::post(&format!("{base}/api/v1/nodes"))
        .set("authorization", &format!("Bearer {token}"))
        .send_json(serde_json::json!({"kind": "city", "name": "Sapporo", "country": "JP"}))
        .unwrap();
    assert_eq!(created.status(), 201);
    child.kill().unwrap();
    child.wait().unwrap();
    let said = log.lock().unwrap().clone();
    assert!(said.contains("first admin token"), "{said}");
    assert!(said.contains("admin-token"), "{said}");
    assert!(!said.contains(&token), "the token went to a log: {said}");

    let (mut again, _, log) = start();
    again.kill().unwrap();
    again.wait().unwrap();
    assert!(!log.lock().unwrap().contains("first admin token"));
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), token);

    // `token create` needs no name: it takes the scope's, numbered when taken.
    let data = root.path().join("data");
    for expected in ["write", "write-2"] {
        let out = Command::new(env!("CARGO_BIN_EXE_pobratim"))
            .args(["token", "create", "--data"])
            .arg(&data)
            .env_remove("USER")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{said}");
        assert!(
            said.contains(&format!("created token `{expected}`")),
            "{said}"
        );
    }
}
