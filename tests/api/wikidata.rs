//! Wikidata SPARQL results over the world network: cities matched by Q-id and by name,
//! and the change report of a newer extract checked against the two files and against
//! what the import then does.
//!
//! Fixtures (`tests/formats/wikidata/`, written by hand from the W3C SPARQL 1.1 Query
//! Results JSON, CSV and TSV specifications): an older extract as CSV, and a newer one
//! as JSON and, term for term, as TSV. The newer one drops Vladivostok–Niigata, adds an
//! end to Berlin–Moscow and a tie with Busan (which the world network has), names a
//! second item labelled Vladivostok, and keeps an item without a label.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pobratim::service::documents::Dataset;
use serde_json::Value;

use crate::common::{pobratim_on, TestServer};

const FIXTURES: &str = "tests/formats/wikidata";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()
}

fn qid(iri: &str) -> String {
    iri.rsplit('/').next().unwrap().to_string()
}

/// Unordered Q-id pairs of a SPARQL CSV, read here without pobratim's reader.
fn csv_pairs(text: &str) -> BTreeSet<(String, String)> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (city, twin) = (at("city"), at("twin"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            pair(qid(&r[city]), qid(&r[twin]))
        })
        .collect()
}

/// Unordered Q-id pairs of a SPARQL JSON result, read here without pobratim's reader.
fn json_pairs(text: &str) -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(text).unwrap();
    doc["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            pair(
                qid(b["city"]["value"].as_str().unwrap()),
                qid(b["twin"]["value"].as_str().unwrap()),
            )
        })
        .collect()
}

fn pair(a: String, b: String) -> (String, String) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Every record of the store, by id, from its pobratim export.
fn records(server: &TestServer) -> BTreeMap<String, Value> {
    let export = server.get("/api/v1/export?format=pobratim");
    assert_eq!(export.status, 200);
    let mut out = BTreeMap::new();
    for part in ["nodes", "links"] {
        for record in export.body[part].as_array().unwrap() {
            let id = format!("{part}/{}", record["id"].as_str().unwrap());
            out.insert(id, record.clone());
        }
    }
    out
}

/// The Q-id pair of a stored link.
fn link_qids(all: &BTreeMap<String, Value>, link: &Value) -> Option<(String, String)> {
    let members = link["members"].as_array()?;
    let qid_of = |m: &Value| {
        all.get(&format!("nodes/{}", m.as_str()?))?["external_ids"]["wikidata"]
            .as_str()
            .map(str::to_string)
    };
    Some(pair(qid_of(&members[0])?, qid_of(&members[1])?))
}

fn report_lines(body: &Value) -> Vec<Value> {
    body.as_str()
        .unwrap_or_else(|| panic!("not JSON lines: {body}"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn import(
    server: &TestServer,
    query: &str,
    content_type: &str,
    body: String,
) -> crate::common::Reply {
    server.send(
        "POST",
        &format!("/api/v1/import?{query}"),
        Some((content_type, body)),
    )
}

#[test]
fn a_newer_wikidata_extract_reports_exactly_what_its_import_then_changes() {
    let server = TestServer::start_seeded_with(|c| c.dataset = Some(Dataset::World));
    let world = records(&server);
    let older_csv = fixture("p190-older.csv");
    let newer_json = fixture("p190-newer.json");

    // The older extract: its cities are the world network's, found by name and country.
    let first = import(&server, "format=sparql-csv", "text/csv", older_csv.clone());
    assert_eq!(first.status, 200, "{}", first.body);
    let held = records(&server);
    let berlin = &held["nodes/city:de:berlin"];
    assert_eq!(berlin["external_ids"]["wikidata"], "Q64");
    let carrying_q64 = held
        .values()
        .filter(|r| r["external_ids"]["wikidata"] == "Q64")
        .count();
    assert_eq!(carrying_q64, 1, "Berlin is one node");
    // Created cities are only those the world network lacks: the unlabelled item.
    let new_nodes: Vec<&String> = held
        .keys()
        .filter(|k| k.starts_with("nodes/") && !world.contains_key(*k))
        .collect();
    assert_eq!(new_nodes, ["nodes/city:xx:q99999999"]);
    // The decade-precise start is kept as it came, not as a date.
    let decade = &held["links/twinning:city:ru:vladivostok+city:xx:q99999999"];
    assert_eq!(decade["attrs"]["start_precision"], 8);
    assert!(matches!(decade.get("signed"), None | Some(Value::Null)));
    // A merged city keeps what the file does not state (the world network's coordinates
    // are replaced; nothing else of it is lost).
    assert_eq!(berlin["name"], "Berlin");

    // Importing the same file again changes nothing.
    let again = import(&server, "format=sparql-csv", "text/csv", older_csv.clone());
    assert_eq!(
        (
            again.body["created"].as_u64(),
            again.body["updated"].as_u64()
        ),
        (Some(0), Some(0)),
        "{}",
        again.body
    );

    // The newer extract, dry run with its change report.
    let reply = import(
        &server,
        "format=sparql-json&dry_run=true&report=changes&missing=report",
        "application/json",
        newer_json.clone(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.content_type.starts_with("application/x-ndjson"));
    let report = report_lines(&reply.body);
    assert_eq!(records(&server), held, "a dry run writes nothing");

    // Against the two files: every pair of the newer file is reported once, and the
    // missing links are exactly the older file's pairs the newer one lacks.
    let (older, newer) = (csv_pairs(&older_csv), json_pairs(&newer_json));
    let mut reported_pairs = BTreeSet::new();
    let mut missing = BTreeSet::new();
    let mut expected_after = held.clone();
    for line in &report {
        let id = line["id"].as_str().unwrap();
        let key = format!("{}s/{id}", line["record"].as_str().unwrap());
        match line["change"].as_str().unwrap() {
            "create" => {
                assert!(!held.contains_key(&key), "{key} is reported new but exists");
                expected_after.insert(key.clone(), line["value"].clone());
            }
            "update" => {
                let record = expected_after.get_mut(&key).unwrap();
                for field in line["fields"].as_array().unwrap() {
                    let name = field["field"].as_str().unwrap();
                    assert_eq!(record.get(name).unwrap_or(&Value::Null), &field["before"]);
                    if field["after"].is_null() {
                        record.as_object_mut().unwrap().remove(name);
                    } else {
                        record[name] = field["after"].clone();
                    }
                }
            }
            "unchanged" => assert!(held.contains_key(&key)),
            "missing" => {
                missing.insert(link_qids(&held, &held[&key]).unwrap());
                continue;
            }
            other => panic!("unknown change {other}"),
        }
        if line["record"] == "link" {
            let link = &expected_after[&key];
            let all = &expected_after;
            assert!(
                reported_pairs.insert(link_qids(all, link).unwrap()),
                "{key} reported twice"
            );
        }
    }
    assert_eq!(reported_pairs, newer);
    assert_eq!(
        missing,
        older.difference(&newer).cloned().collect::<BTreeSet<_>>()
    );

    // The second Vladivostok is its own city, not Q959's.
    assert!(report
        .iter()
        .any(|l| l["change"] == "create" && l["id"] == "city:ru:vladivostok-q4000001"));

    // The same extract as TSV reports the same changes.
    let tsv = import(
        &server,
        "format=sparql-tsv&dry_run=true&report=changes&missing=report",
        "text/tab-separated-values",
        fixture("p190-newer.tsv"),
    );
    let strip_lines = |lines: Vec<Value>| -> Vec<Value> {
        lines
            .into_iter()
            .map(|mut l| {
                l.as_object_mut().unwrap().remove("line");
                l
            })
            .collect()
    };
    assert_eq!(
        strip_lines(report_lines(&tsv.body)),
        strip_lines(report.clone())
    );

    // The CSV form of the report has a row per changed field.
    let csv = import(
        &server,
        "format=sparql-json&dry_run=true&report=changes&report_format=csv",
        "application/json",
        newer_json.clone(),
    );
    assert!(csv.content_type.starts_with("text/csv"));
    let text = csv.body.as_str().unwrap();
    assert!(
        text.starts_with("change,record,id,line,field,before,after\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "update,link,twinning:city:de:berlin+city:ru:moscow,0,ended,,\"\"\"2022-03\"\"\"\n"
        ),
        "{text}"
    );

    // The real import applies exactly the reported changes, and nothing else.
    let applied = import(
        &server,
        "format=sparql-json",
        "application/json",
        newer_json,
    );
    assert_eq!(applied.status, 200, "{}", applied.body);
    let after = records(&server);
    let changed: Vec<&String> = after
        .keys()
        .chain(held.keys())
        .filter(|k| after.get(*k) != expected_after.get(*k))
        .collect();
    assert!(changed.is_empty(), "differs from the report: {changed:?}");

    // A report parameter without report=changes is refused, naming it.
    let refused = import(
        &server,
        "format=sparql-csv&missing=report",
        "text/csv",
        String::new(),
    );
    assert_eq!(
        (refused.status, refused.body["field"].as_str()),
        (422, Some("missing"))
    );
}

#[test]
fn the_cli_reports_changes_on_standard_output() {
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().join("data");
    let older = Path::new(FIXTURES).join("p190-older.csv");
    let first = pobratim_on(
        &["import", "--format", "sparql-csv", older.to_str().unwrap()],
        &data,
    );
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let newer = Path::new(FIXTURES).join("p190-newer.tsv");
    let report = pobratim_on(
        &[
            "import",
            "--format",
            "sparql-tsv",
            "--dry-run",
            "--report",
            "changes",
            "--missing",
            "report",
            newer.to_str().unwrap(),
        ],
        &data,
    );
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let stdout = String::from_utf8(report.stdout).unwrap();
    let changes: Vec<(String, String)> = stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["change"].as_str().unwrap().to_string(),
                v["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(changes.contains(&(
        "missing".into(),
        "twinning:city:jp:niigata+city:ru:vladivostok".into()
    )));
    assert!(changes.contains(&("create".into(), "city:kr:busan".into())));
    // The summary is on standard error, so standard output is the report alone.
    assert!(String::from_utf8_lossy(&report.stderr).contains("dry run, nothing written"));
}
