//! The direction of the layers, read from `src/`: `model` ← `graph` ← `store` ← `io` ←
//! `service` ← {`api`, `cli`}. A module may name only the layers its row allows, and
//! `utoipa` (the OpenAPI document) lives in `api`.
//!
//! The code does not follow the rule everywhere yet (the re-layering issue moves it
//! there): [`KNOWN`] lists each file that still imports against it, and what. The test
//! fails on any import against the rule that is not listed — so nothing new goes the
//! wrong way — and on a listed one that is gone, so the list only shrinks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Which layers each layer may name (`crate::<layer>`), besides itself.
const ALLOWED: [(&str, &[&str]); 7] = [
    ("model", &[]),
    ("graph", &["model"]),
    ("store", &["model", "graph"]),
    ("io", &["model", "graph"]),
    ("service", &["model", "graph", "store", "io"]),
    ("api", &["model", "service"]),
    ("cli", &["model", "service"]),
];

/// Imports against the rule that the code still has: `(file, what it names)`, where
/// what is a layer or `utoipa`. Remove an entry when its import goes.
const KNOWN: &[(&str, &str)] = &[
    ("src/api/extract.rs", "io"),
    ("src/api/links.rs", "store"),
    ("src/api/mod.rs", "store"),
    ("src/api/nodes.rs", "store"),
    ("src/api/problem.rs", "graph"),
    ("src/api/problem.rs", "store"),
    ("src/graph/algo/link_prediction.rs", "utoipa"),
    ("src/model/link.rs", "utoipa"),
    ("src/model/node.rs", "utoipa"),
    ("src/service/analysis.rs", "utoipa"),
    ("src/service/partners.rs", "utoipa"),
    ("src/service/write.rs", "utoipa"),
    ("src/store/audit.rs", "utoipa"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// What a file names against the rule: layers outside its row, and `utoipa` outside
/// `api`. Comments are skipped (they may name anything).
fn against_the_rule(layer: &str, allowed: &[&str], source: &str) -> BTreeSet<String> {
    let layers: Vec<&str> = ALLOWED.iter().map(|(l, _)| *l).collect();
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != layer && layers.contains(&name.as_str()) && !allowed.contains(&name.as_str())
            {
                found.insert(name);
            }
        }
        if layer != "api" && code.contains("utoipa") {
            found.insert("utoipa".to_string());
        }
    }
    found
}

#[test]
fn layers_import_only_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let known: BTreeSet<(String, String)> = KNOWN
        .iter()
        .map(|(f, w)| (f.to_string(), w.to_string()))
        .collect();
    let mut seen = BTreeSet::new();
    for (layer, allowed) in ALLOWED {
        let dir = root.join("src").join(layer);
        if !dir.exists() {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&dir, &mut files);
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            let relative = file
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            for what in against_the_rule(layer, allowed, &source) {
                seen.insert((relative.clone(), what));
            }
        }
    }
    let new: Vec<_> = seen.difference(&known).collect();
    assert!(
        new.is_empty(),
        "imports against the layer rule (model ← graph ← store ← io ← service ← api/cli; \
         utoipa only in api): {new:?}. Call the layer below through its own API instead."
    );
    let gone: Vec<_> = known.difference(&seen).collect();
    assert!(
        gone.is_empty(),
        "these imports are gone: remove them from KNOWN in tests/api/architecture.rs: {gone:?}"
    );
}

#[test]
fn the_rule_sees_an_upward_import_and_skips_comments() {
    let graph = ALLOWED[1].1;
    let found = against_the_rule("graph", graph, "use crate::service::Service;\n");
    assert_eq!(found, BTreeSet::from(["service".to_string()]));
    let found = against_the_rule("graph", graph, "// crate::store is not named here\n");
    assert!(found.is_empty());
    let found = against_the_rule("store", ALLOWED[2].1, "#[derive(utoipa::ToSchema)]\n");
    assert_eq!(found, BTreeSet::from(["utoipa".to_string()]));
}
