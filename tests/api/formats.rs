//! Round trips: export in every format that carries the whole record, import into an
//! empty store, and get the same nodes, links and attributes back — on the seed network
//! and on a generated graph with every kind, trilateral links, dates, names in several
//! languages and free-form attributes. Plus bad files: each refused whole, naming where.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn pobratim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(args)
        .env("POBRATIM_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn export(data: &Path, format: &str, out: &Path) {
    ok(pobratim(&[
        "export",
        "--data",
        path(data),
        "--format",
        format,
        "--out",
        path(out),
    ]));
}

fn native(data: &Path) -> Value {
    serde_json::from_slice(&ok(pobratim(&["export", "--data", path(data)])).stdout).unwrap()
}

/// A deterministic graph with every node and link kind and every optional field.
fn generated() -> Value {
    let mut state: u64 = 0x5eed;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let countries = ["RU", "JP", "CN", "DE", "FR", "KR"];
    let mut nodes = Vec::new();
    let mut links = Vec::new();
    for (i, c) in countries.iter().enumerate() {
        nodes.push(json!({"id": format!("state:{}", c.to_lowercase()), "kind": "state", "name": format!("State {i}"), "country": c}));
    }
    for a in 0..4 {
        nodes.push(json!({"id": format!("assoc:{a}"), "kind": "association", "name": format!("Association {a}"),
            "names": {"ru": format!("Ассоциация {a}"), "ja": format!("協会{a}")}, "tags": ["mayors", "regional"]}));
    }
    let cities = 160u64;
    for i in 0..cities {
        let c = countries[next(6) as usize];
        let mut city = json!({"id": format!("city:{}:{i}", c.to_lowercase()), "kind": "city",
            "name": format!("Gorod {i}"), "country": c,
            "location": {"lat": (next(16000) as f64) / 100.0 - 80.0, "lon": (next(36000) as f64) / 100.0 - 180.0}});
        if i % 3 == 0 {
            city["names"] = json!({"ru": format!("Город {i}"), "zh": format!("城市{i}")});
            city["population"] = json!(1000 + next(5_000_000));
            city["region"] = json!(format!("Region {}", next(9)));
        }
        if i % 5 == 0 {
            city["external_ids"] = json!({"wikidata": format!("Q{}", 100 + i)});
            city["attrs"] = json!({"port": i % 2 == 0, "founded": 1000 + i});
        }
        nodes.push(city);
        links.push(json!({"kind": "located_in", "members": [format!("city:{}:{i}", c.to_lowercase()), format!("state:{}", c.to_lowercase())]}));
    }
    let city =
        |i: u64, nodes: &Vec<Value>| nodes[(10 + i) as usize]["id"].as_str().unwrap().to_string();
    let mut seen = std::collections::HashSet::new();
    let statuses = ["active", "planned", "negotiating", "suspended", "ended"];
    for n in 0..400u64 {
        let (a, b) = (next(cities), next(cities));
        let kind = if n % 4 == 0 { "friendship" } else { "twinning" };
        let (x, y) = (city(a, &nodes), city(b, &nodes));
        if a == b || !seen.insert((kind, x.clone().min(y.clone()), x.clone().max(y.clone()))) {
            continue;
        }
        let mut link =
            json!({"kind": kind, "members": [x, y], "status": statuses[(n % 5) as usize]});
        if n % 2 == 0 {
            link["signed"] = json!(format!("{}", 1950 + next(70)));
        }
        if n % 5 == 4 {
            link["signed"] = json!(format!("1990-{:02}-{:02}", 1 + next(12), 1 + next(28)));
            link["ended"] = json!("2014-03");
        }
        if n % 7 == 0 {
            link["areas"] = json!(["culture", "youth"]);
            link["source"] = json!({"document": "generated.txt", "quote": format!("соглашение №{n}, \"quoted\"; with, commas")});
            link["notes"] = json!("line one\nline two");
            link["attrs"] = json!({"weight": n});
        }
        links.push(link);
    }
    for t in 0..12u64 {
        let m = [
            city(3 * t, &nodes),
            city(3 * t + 1, &nodes),
            city(3 * t + 2, &nodes),
        ];
        links.push(json!({"kind": "trilateral", "members": m, "signed": format!("{}", 2000 + t)}));
    }
    for i in 0..40u64 {
        links.push(json!({"kind": "membership", "members": [city(i, &nodes), format!("assoc:{}", i % 4)], "signed": "2011"}));
    }
    json!({"format": "pobratim", "version": 1, "nodes": nodes, "links": links})
}

/// Stores holding the seed network and the generated graph.
fn sources(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for (name, doc) in [
        ("seed", pobratim::io::seed::SEED_JSON.to_string()),
        ("generated", generated().to_string()),
    ] {
        let file = root.join(format!("{name}.json"));
        std::fs::write(&file, doc).unwrap();
        let data = root.join(format!("{name}-data"));
        ok(pobratim(&["import", "--data", path(&data), path(&file)]));
        out.push((name.to_string(), data));
    }
    out
}

#[test]
fn every_format_that_carries_whole_records_round_trips() {
    let root = tempfile::TempDir::new().unwrap();
    for (name, data) in sources(root.path()) {
        let original = native(&data);
        assert!(original["links"].as_array().unwrap().len() > 70, "{name}");
        let formats: [(&str, &[&str]); 6] = [
            ("pobratim", &["pobratim"]),
            ("node-link", &["node-link"]),
            ("graphml", &["graphml"]),
            ("gexf", &["gexf"]),
            ("csv", &["csv-nodes", "csv-links"]),
            ("csv", &["neo4j-nodes", "neo4j-links"]),
        ];
        for (import_format, exports) in formats {
            let files: Vec<PathBuf> = exports
                .iter()
                .map(|f| {
                    let file = root.path().join(format!("{name}.{f}"));
                    export(&data, f, &file);
                    file
                })
                .collect();
            let copy = root.path().join(format!("{name}-{}", exports[0]));
            let mut args = vec!["import", "--data", path(&copy), "--format", import_format];
            args.extend(files.iter().map(|f| path(f)));
            ok(pobratim(&args));
            let again = native(&copy);
            assert_eq!(
                again["nodes"], original["nodes"],
                "{name} through {exports:?}: nodes"
            );
            assert_eq!(
                again["links"], original["links"],
                "{name} through {exports:?}: links"
            );
            let twice = ok(pobratim(&args));
            let said = String::from_utf8_lossy(&twice.stdout);
            assert!(
                said.contains(" 0 created, 0 updated"),
                "{name} through {exports:?}: {said}"
            );
        }
    }
}

#[test]
fn http_exports_stream_every_format_and_csv_reads_back_over_http() {
    let server = crate::common::TestServer::start_seeded();
    let mut bodies = std::collections::BTreeMap::new();
    for format in std::iter::once("pobratim").chain(crate::common::GRAPH_EXPORT_FORMATS) {
        let response = ureq::get(&format!("{}/api/v1/export?format={format}", server.base))
            .call()
            .unwrap();
        assert_eq!(response.status(), 200, "{format}");
        let body = response.into_string().unwrap();
        bodies.insert(format, body);
    }
    // Every format holds the seed's nodes and links, each link naming exported nodes.
    let seed: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/seed.json").unwrap()).unwrap();
    let seed_ids: BTreeSet<&str> = seed["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let native: Value = serde_json::from_str(&bodies["pobratim"]).unwrap();
    assert_eq!(native["nodes"].as_array().unwrap().len(), seed_ids.len());
    assert_eq!(
        native["links"].as_array().unwrap().len(),
        seed["links"].as_array().unwrap().len()
    );
    let node_link: Value = serde_json::from_str(&bodies["node-link"]).unwrap();
    let listed: BTreeSet<&str> = node_link["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, seed_ids, "node-link nodes");
    let links = node_link["edges"].as_array().unwrap();
    // Without filters an export holds every link; a trilateral one is a triangle of edges.
    let seed_links = seed["links"].as_array().unwrap();
    let pairs: usize = seed_links
        .iter()
        .map(|l| match l["members"].as_array().unwrap().len() {
            3 => 3,
            _ => 1,
        })
        .sum();
    assert_eq!(links.len(), pairs, "node-link edges");
    for link in links {
        for end in ["source", "target"] {
            assert!(listed.contains(link[end].as_str().unwrap()), "{link}");
        }
    }
    let count = |text: &str, tag: &str| text.matches(tag).count();
    for xml in ["graphml", "gexf"] {
        assert_eq!(count(&bodies[xml], "<node "), seed_ids.len(), "{xml} nodes");
        assert_eq!(count(&bodies[xml], "<edge "), links.len(), "{xml} edges");
    }
    let geojson: Value = serde_json::from_str(&bodies["geojson"]).unwrap();
    let points = geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"]["type"] == "Point")
        .count();
    let located = seed["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n.get("location").is_some())
        .count();
    assert_eq!(points, located, "geojson points");
    for (table, rows) in [
        ("csv-nodes", seed_ids.len()),
        ("neo4j-nodes", seed_ids.len()),
        ("csv-links", seed_links.len()),
        ("neo4j-links", pairs), // a relationship per pair, as a graph holds them
    ] {
        let records = csv::Reader::from_reader(bodies[table].as_bytes())
            .records()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(records.len(), rows, "{table} rows");
    }
    let nodes = ureq::get(&format!("{}/api/v1/export?format=csv-nodes", server.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let target = crate::common::TestServer::start();
    let done = target.send(
        "POST",
        "/api/v1/import?format=csv",
        Some(("text/csv", nodes)),
    );
    assert_eq!(
        (done.status, done.body["created"].as_u64()),
        (200, Some(crate::common::seed_counts().nodes as u64)),
        "{}",
        done.body
    );
}

fn refused(root: &Path, format: &str, name: &str, bytes: &[u8]) -> String {
    let file = root.join(name);
    std::fs::write(&file, bytes).unwrap();
    let data = root.join(format!("{name}-data"));
    let out = pobratim(&[
        "import",
        "--data",
        path(&data),
        "--format",
        format,
        path(&file),
    ]);
    assert!(!out.status.success(), "{name} was accepted");
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(said.contains("nothing written"), "{name}: {said}");
    if data.exists() {
        let export = native(&data);
        assert_eq!(export["nodes"], json!([]), "{name} left records behind");
    }
    said
}

#[test]
fn bad_files_are_refused_whole_naming_the_fault() {
    let root = tempfile::TempDir::new().unwrap();
    let r = root.path();
    let good_graphml = {
        let data = sources(r).remove(0).1;
        let file = r.join("seed.graphml");
        export(&data, "graphml", &file);
        std::fs::read(&file).unwrap()
    };
    let said = refused(
        r,
        "graphml",
        "truncated.graphml",
        &good_graphml[..good_graphml.len() / 2],
    );
    assert!(
        said.contains("truncated") || said.contains("not well-formed"),
        "{said}"
    );
    let said = refused(
        r,
        "gexf",
        "latin1.gexf",
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><gexf></gexf>",
    );
    assert!(said.contains("UTF-8"), "{said}");
    let said = refused(r, "csv", "latin1.csv", b"id,name\nc1,Z\xfcrich\n");
    assert!(said.contains("UTF-8"), "{said}");
    let said = refused(r, "csv", "unknown.csv", b"id,name,colour\nc1,A,red\n");
    assert!(said.contains("colour"), "{said}");
    let said = refused(
        r,
        "csv",
        "dangling.csv",
        b"id,kind,members\nl1,twinning,a;b\n",
    );
    assert!(
        said.contains("members[0]") && said.contains("does not exist"),
        "{said}"
    );
    let links = r.join("links.csv");
    std::fs::write(
        &links,
        "id,kind,members\nl1,twinning,a;b\nl2,twinning,b;a\n",
    )
    .unwrap();
    let nodes = r.join("nodes.csv");
    std::fs::write(&nodes, "id,name\na,A\nb,B\n").unwrap();
    let data = r.join("dup-data");
    let out = pobratim(&[
        "import",
        "--data",
        path(&data),
        "--format",
        "csv",
        path(&nodes),
        path(&links),
    ]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("line 3, column members") && said.contains("`l1`"),
        "{said}"
    );
    let mut long = b"id,name\nc1,".to_vec();
    long.extend(std::iter::repeat_n(b'x', 100 * 1024 * 1024));
    long.push(b'\n');
    let said = refused(r, "csv", "long.csv", &long);
    assert!(said.contains("line 2, column name"), "{said}");
    let said = refused(r, "node-link", "truncated.json", br#"{"nodes": [{"id": "a"#);
    assert!(said.contains("not JSON"), "{said}");
}
