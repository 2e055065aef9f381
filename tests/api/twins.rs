//! The real twin-town network, as the project ships it (`fixtures/world/links.csv.gz`,
//! derived by `scripts/world_dataset.py` from the Wikipedia lists in
//! `shared/data/twins/links.csv`): it imports as it is, twice without change, a new
//! directory can start with it, its shape agrees with the NetworkX 3.6.1 figures in
//! `shared/data/twins/README.md` and, over HTTP, with the statistics
//! `tests/reference/twins_reference.py` computes with NetworkX 3.6.1 on `links.csv`;
//! and where `links.csv` is beside the clone, the shipped file holds its links.

use std::path::Path;
use std::process::Command;

use pobratim::graph::algo::{components, stats};
use pobratim::graph::filter::Filter;
use pobratim::model::LinkKind;
use pobratim::service::Service;

/// The shipped dataset.
const LINKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/world/links.csv.gz");

/// The file it is derived from, beside the clone (not in it).
const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/twins/links.csv"
);

fn import(data: &Path, file: &str, extra: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args([
            "import",
            "--format",
            "edge-list",
            "--data",
            data.to_str().unwrap(),
            file,
        ])
        .args(extra)
        .env("POBRATIM_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_wikipedia_network_imports_once_and_matches_networkx() {
    let root = tempfile::TempDir::new().unwrap();
    let data = root.path().join("data");
    let (ok, said, err) = import(&data, LINKS, &["--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        said.starts_with("dry run, nothing written: 42123 records, 42123 created"),
        "{said}"
    );
    let (ok, said, err) = import(&data, LINKS, &[]);
    assert!(ok, "{err}");
    assert!(
        said.contains("42123 created, 0 updated, 0 unchanged, 0 skipped"),
        "{said}"
    );
    let (ok, said, _) = import(&data, LINKS, &[]);
    assert!(ok);
    assert!(
        said.contains("0 created, 0 updated, 42123 unchanged"),
        "{said}"
    );

    let service = Service::open(&data).unwrap();
    assert_eq!(service.upkeep().counts(), (17_232, 24_891));
    let filter = Filter {
        kinds: Filter::kind_bits(&[LinkKind::Twinning]),
        ..Filter::default()
    };
    let scope = service.scope(&filter);
    let (_, sizes) = components::components(&scope.view);
    assert_eq!(scope.view.edge_count(), 24_891);
    assert_eq!(sizes.len(), 1_399);
    assert_eq!(sizes.iter().max(), Some(&13_679));
    assert_eq!(
        stats::degree_histogram(&scope.view).len() - 1,
        73,
        "Bethlehem's 73 partners"
    );
    let problems = service.upkeep().check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    drop(service);

    // `/api/v1/stats` over HTTP agrees with NetworkX on the same file
    // (tests/reference/twins_reference.py wrote the expected values).
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("../reference/expected/twins-links.json")).unwrap();
    let server = crate::common::TestServer::start_at(&data, false, None).unwrap();
    let stats = server
        .get("/api/v1/stats?kinds=twinning&distances=false")
        .body;
    for key in [
        "nodes",
        "edges",
        "components",
        "largest_component",
        "degree_histogram",
    ] {
        assert_eq!(stats[key], expected[key], "{key}");
    }
    for key in [
        "density",
        "average_clustering",
        "transitivity",
        "degree_assortativity",
    ] {
        let (ours, theirs) = (
            stats[key].as_f64().unwrap(),
            expected[key].as_f64().unwrap(),
        );
        assert!(
            (ours - theirs).abs() < 1e-9,
            "{key}: {ours} vs NetworkX {theirs}"
        );
    }
}

#[test]
fn bad_rows_are_named_and_nothing_is_written_unless_skipped() {
    let root = tempfile::TempDir::new().unwrap();
    let file = root.path().join("bad.csv");
    std::fs::write(
        &file,
        "city_a,cc_a,city_b,cc_b,lat_a,lon_a,lat_b,lon_b,year\nNiigata,JP,Vladivostok,RU,,,,,1991\nA,RU,,RU,,,,,\nB,RU,C,RU,91x,0,,,\nD,RU,E,RU,,,,,19\n",
    )
    .unwrap();
    let data = root.path().join("data");
    let (ok, _, err) = import(&data, file.to_str().unwrap(), &[]);
    assert!(!ok);
    assert!(err.contains("line 3, column city_b"), "{err}");
    assert!(err.contains("line 4, column lat_a"), "{err}");
    assert!(err.contains("line 5, column year"), "{err}");
    assert!(err.contains("nothing written"), "{err}");
    let (ok, said, _) = import(&data, file.to_str().unwrap(), &["--skip-invalid"]);
    assert!(ok);
    assert!(
        said.contains("3 created") && said.contains("3 skipped"),
        "{said}"
    );
}

#[test]
fn a_new_directory_can_start_with_the_world_network() {
    use pobratim::api::server::Dataset;
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("../reference/expected/twins-links.json")).unwrap();
    let world = crate::common::TestServer::start_seeded_with(|c| c.dataset = Some(Dataset::World));
    let stats = world
        .get("/api/v1/stats?kinds=twinning&distances=false")
        .body;
    for key in ["nodes", "edges", "components", "largest_component"] {
        assert_eq!(stats[key], expected[key], "{key}");
    }
    // Both: the seed's records over the world's; a link both hold keeps the seed's quote.
    let both = crate::common::TestServer::start_seeded_with(|c| c.dataset = Some(Dataset::Both));
    let stats = both
        .get("/api/v1/stats?kinds=all&status=any&distances=false")
        .body;
    assert_eq!(stats["nodes"], 17_265, "{stats}");
    assert_eq!(stats["links_by_kind"]["twinning"], 24_896, "{stats}");
    let link = both
        .get("/api/v1/links/twinning:city:jp:niigata+city:ru:vladivostok")
        .body;
    assert_eq!(link["signed"], "1991-02");
    assert!(link["source"]["quote"]
        .as_str()
        .unwrap()
        .contains("Ниигата"));
    let search = both.get("/api/v1/nodes?q=Благовещенск").body;
    assert_eq!(search["items"][0]["id"], "city:ru:blagoveshchensk");
}

/// The rows of an edge list as (id a, id b, source), for comparing two files.
fn pairs(text: &str) -> std::collections::BTreeSet<(String, String, String)> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (a, b, source) = (at("id_a"), at("id_b"), at("source"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[a].to_string(), r[b].to_string(), r[source].to_string())
        })
        .collect()
}

#[test]
fn the_shipped_dataset_holds_the_links_of_its_source() {
    if !Path::new(SOURCE).exists() {
        println!("skipped: {SOURCE} is absent (it sits beside the clone, not in it)");
        return;
    }
    let mut shipped = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(LINKS).unwrap()),
        &mut shipped,
    )
    .unwrap();
    let source = std::fs::read_to_string(SOURCE).unwrap();
    assert_eq!(pairs(&shipped), pairs(&source));
    assert_eq!(pairs(&shipped).len(), 24_891);
}
