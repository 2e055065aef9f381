//! Exports a paper can cite: the same records give the same bytes in every format
//! whatever order they were written in, the response's digest is the body's SHA-256,
//! its manifest says what the file holds, a write changes the digest, an export
//! under concurrent writes is one graph version, and `pobratim verify` catches a
//! changed byte.

use std::io::Read;

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::{pobratim_on, TestServer, GRAPH_EXPORT_FORMATS};

/// A raw export: body, `Repr-Digest`, `Digest`, `Content-Length`, `X-Graph-Version`
/// and `Link` headers.
struct Exported {
    body: Vec<u8>,
    repr_digest: String,
    digest: String,
    length: Option<u64>,
    version: u64,
    link: String,
}

fn export(server: &TestServer, query: &str) -> Exported {
    let response = ureq::get(&format!("{}/api/v1/export?{query}", server.base))
        .set("authorization", &format!("Bearer {}", server.token))
        .call()
        .unwrap();
    let header = |name: &str| response.header(name).unwrap_or_default().to_string();
    let (repr_digest, digest, link) = (header("repr-digest"), header("digest"), header("link"));
    let length = response
        .header("content-length")
        .map(|l| l.parse().unwrap());
    let version = header("x-graph-version").parse().unwrap();
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    Exported {
        body,
        repr_digest,
        digest,
        length,
        version,
        link,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn every_format() -> Vec<&'static str> {
    let mut formats = vec!["pobratim"];
    formats.extend(GRAPH_EXPORT_FORMATS);
    formats
}

/// The seed's records written one by one, last first, over the API.
fn seed_written_backwards(server: &TestServer) {
    let seed: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/seed.json").unwrap()).unwrap();
    for node in seed["nodes"].as_array().unwrap().iter().rev() {
        assert_eq!(server.post("/api/v1/nodes", node).status, 201, "{node}");
    }
    for link in seed["links"].as_array().unwrap().iter().rev() {
        assert_eq!(server.post("/api/v1/links", link).status, 201, "{link}");
    }
}

#[test]
fn the_same_records_give_the_same_bytes_in_every_format_whatever_their_order() {
    let seeded = TestServer::start_seeded();
    let backwards = TestServer::start();
    seed_written_backwards(&backwards);
    for format in every_format() {
        for query in [
            format!("format={format}"),
            format!("format={format}&kinds=twinning,friendship&as_of=2010"),
        ] {
            let first = export(&seeded, &query);
            let again = export(&seeded, &query);
            let other = export(&backwards, &query);
            assert!(!first.body.is_empty(), "{query}");
            assert_eq!(first.body, again.body, "{query}: two exports differ");
            assert_eq!(
                first.body, other.body,
                "{query}: the same records written in another order export differently"
            );
            let sha = sha256_hex(&first.body);
            let b64 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&first.body));
            assert_eq!(first.repr_digest, format!("sha-256=:{b64}:"), "{query}");
            assert_eq!(first.digest, format!("SHA-256={b64}"), "{query}");
            assert_eq!(first.length, Some(first.body.len() as u64), "{query}");
            assert_eq!(
                first.link,
                format!("</api/v1/export/manifest?{query}>; rel=\"describedby\"")
            );
            let manifest = seeded.get(&format!("/api/v1/export/manifest?{query}"));
            assert_eq!(manifest.status, 200, "{query}: {}", manifest.body);
            assert_eq!(manifest.body["sha256"], json!(sha), "{query}");
            assert_eq!(manifest.body["bytes"], json!(first.body.len()), "{query}");
            assert_eq!(manifest.body["graph_version"], json!(first.version));
            assert_eq!(manifest.body["format"], json!(format));
            assert_eq!(
                manifest.body["pobratim_version"],
                json!(env!("CARGO_PKG_VERSION"))
            );
        }
    }
}

#[test]
fn the_manifest_counts_the_records_and_credits_their_sources() {
    let server = TestServer::start_seeded();
    let whole = server.get("/api/v1/export/manifest");
    let counts = crate::common::seed_counts();
    assert_eq!(whole.body["nodes"], json!(counts.nodes));
    assert_eq!(whole.body["links"], json!(counts.links));
    assert_eq!(
        whole.body["filters"],
        Value::Null,
        "pobratim JSON holds every record"
    );
    // Every cited document of the seed is listed with the links citing it, described
    // from fixtures/sources.json; together with the unsourced links they are all links.
    let sources = whole.body["sources"].as_array().unwrap();
    let cited: u64 = sources.iter().map(|s| s["links"].as_u64().unwrap()).sum();
    let unsourced = whole.body["links_without_source"].as_u64().unwrap();
    assert_eq!(cited + unsourced, counts.links as u64);
    let seed: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/seed.json").unwrap()).unwrap();
    let citing = |key: &str| {
        seed["links"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["source"]["document"] == json!(key))
            .count() as u64
    };
    for source in sources {
        let key = source["document"].as_str().unwrap();
        assert_eq!(source["links"].as_u64().unwrap(), citing(key), "{key}");
        assert!(source["title"].is_string(), "{source}");
    }
    // A filter shows in the manifest and cuts the counts.
    let twinning = server.get("/api/v1/export/manifest?format=csv-links&kinds=twinning");
    assert_eq!(twinning.body["filters"]["kinds"], json!(["twinning"]));
    let twinnings = seed["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == json!("twinning"))
        .count();
    assert_eq!(twinning.body["links"], json!(twinnings));
    let bad = server.get("/api/v1/export/manifest?format=gexf&as_of=20x");
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[test]
fn a_write_changes_the_digest_and_the_version() {
    let server = TestServer::start_seeded();
    let before = export(&server, "format=graphml");
    let patched = server.patch(
        "/api/v1/nodes/city:ru:blagoveshchensk",
        &json!({"population": 241437}),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    let after = export(&server, "format=graphml");
    assert!(after.version > before.version);
    assert_ne!(after.repr_digest, before.repr_digest);
    assert_ne!(sha256_hex(&after.body), sha256_hex(&before.body));
}

#[test]
fn an_export_while_others_write_is_one_graph_version() {
    let server = TestServer::start_seeded();
    let start = server.get("/api/v1/stats").graph_version.unwrap();
    let nodes_at_start = crate::common::seed_counts().nodes as u64;
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (base, token, writing) = (server.base.clone(), server.token.clone(), writing.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while writing.load(std::sync::atomic::Ordering::Relaxed) && i < 400 {
                let node =
                    json!({"kind": "city", "name": format!("Writer town {i}"), "country": "FI"});
                ureq::post(&format!("{base}/api/v1/nodes"))
                    .set("authorization", &format!("Bearer {token}"))
                    .send_json(node)
                    .unwrap();
                i += 1;
            }
        })
    };
    // Each write creates one node, so the version an export names says how many
    // nodes it must hold.
    for _ in 0..20 {
        let exported = export(&server, "format=pobratim");
        let doc: Value = serde_json::from_slice(&exported.body).unwrap();
        let nodes = doc["nodes"].as_array().unwrap().len() as u64;
        assert_eq!(
            nodes,
            nodes_at_start + (exported.version - start),
            "the export at version {} holds another version's nodes",
            exported.version
        );
    }
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
}

#[test]
fn verify_accepts_the_file_its_manifest_describes_and_nothing_else() {
    let root = tempfile::TempDir::new().unwrap();
    let data = root.path().join("data");
    let seed = std::path::Path::new("fixtures/seed.json")
        .canonicalize()
        .unwrap();
    let imported = pobratim_on(&["import", seed.to_str().unwrap()], &data);
    assert!(imported.status.success(), "{imported:?}");
    let out = root.path().join("network.gexf");
    let exported = pobratim_on(
        &[
            "export",
            "--format",
            "gexf",
            "--as-of",
            "2015",
            "--manifest",
            "--out",
            out.to_str().unwrap(),
        ],
        &data,
    );
    assert!(exported.status.success(), "{exported:?}");
    let manifest_path = root.path().join("network.gexf.manifest.json");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(manifest["sha256"], json!(sha256_hex(&bytes)));
    assert_eq!(manifest["file"], json!("network.gexf"));
    assert_eq!(manifest["filters"]["as_of"], json!("2015"));
    let verify = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pobratim"))
            .args([
                "verify",
                file.to_str().unwrap(),
                manifest_path.to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    let ok = verify(&out);
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("ok: "));
    // One byte changed, the length kept.
    let mut changed = bytes.clone();
    let at = changed.len() / 2;
    changed[at] ^= 0x01;
    let tampered = root.path().join("tampered.gexf");
    std::fs::write(&tampered, &changed).unwrap();
    let refused = verify(&tampered);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("SHA-256"));
    // The CLI's file is the one the API sends for the same version and filters.
    let server = TestServer::start_at(&data, false, None).unwrap();
    let over_http = export(&server, "format=gexf&as_of=2015");
    assert_eq!(over_http.body, bytes);
}
