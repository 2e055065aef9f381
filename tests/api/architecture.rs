//! The shape of `src/`, read from the code:
//!
//! - the layers point one way: `model` ← `graph` ← `store` ← `io` ← `service` ←
//!   {`api`, `cli`}. A module names only the layers its row allows, and `utoipa` (the
//!   OpenAPI document) lives in `api`;
//! - the files of one folder do not import each other in a ring: a ring is one job
//!   split across files, which should be one file, or a seam in the wrong place.

use std::collections::{BTreeMap, BTreeSet};
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

/// The code of a file without its comments (they may name anything).
fn code_lines(source: &str) -> impl Iterator<Item = &str> {
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
}

/// The identifier at the start of `text`.
fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// What a file names against the rule: layers outside its row, and `utoipa` outside
/// `api`.
fn against_the_rule(layer: &str, allowed: &[&str], source: &str) -> BTreeSet<String> {
    let layers: Vec<&str> = ALLOWED.iter().map(|(l, _)| *l).collect();
    let mut found = BTreeSet::new();
    for code in code_lines(source) {
        for (at, _) in code.match_indices("crate::") {
            let name = ident(&code[at + "crate::".len()..]);
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

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

#[test]
fn layers_import_only_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut wrong = BTreeSet::new();
    for (layer, allowed) in ALLOWED {
        let mut files = Vec::new();
        rust_files(&root.join("src").join(layer), &mut files);
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for what in against_the_rule(layer, allowed, &source) {
                wrong.insert((relative(root, &file), what));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layer rule (model ← graph ← store ← io ← service ← api/cli; \
         utoipa only in api): {wrong:?}. Call the layer below through its own API instead."
    );
}

/// The sibling modules a file of a folder names: `super::x` from a file beside them,
/// and `crate::<folder>::x` from anywhere in the folder.
fn siblings_named(
    folder_path: &str,
    siblings: &BTreeSet<String>,
    source: &str,
) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let by_path = format!("crate::{folder_path}::");
    for code in code_lines(source) {
        for prefix in ["super::", by_path.as_str()] {
            for (at, _) in code.match_indices(prefix) {
                let name = ident(&code[at + prefix.len()..]);
                if siblings.contains(&name) {
                    named.insert(name);
                }
                // `use super::{a, b::c}`: every name at the top of the group.
                if code[at + prefix.len()..].starts_with('{') {
                    let group = &code[at + prefix.len() + 1..];
                    for part in group.split(',') {
                        let name = ident(part.trim());
                        if siblings.contains(&name) {
                            named.insert(name);
                        }
                    }
                }
            }
        }
    }
    named
}

/// The rings of a directed graph: its strongly connected parts of more than one node.
fn rings(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(at) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|node| (node, reach(node))).collect();
    let mut found: Vec<BTreeSet<String>> = Vec::new();
    for (node, from_node) in &reached {
        let ring: BTreeSet<String> = from_node
            .iter()
            .filter(|other| reached.get(other).is_some_and(|r| r.contains(*node)))
            .cloned()
            .collect();
        if ring.len() > 1 && !found.contains(&ring) {
            found.push(ring);
        }
    }
    found
}

#[test]
fn the_files_of_a_folder_do_not_import_each_other_in_a_ring() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut folders: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        if name != "mod" && name != "lib" && name != "main" {
            folders
                .entry(file.parent().unwrap().to_path_buf())
                .or_default()
                .push(file);
        }
    }
    let mut found = Vec::new();
    for (folder, files) in folders {
        let folder_path = relative(&root.join("src"), &folder).replace('/', "::");
        let stem = |f: &PathBuf| f.file_stem().unwrap().to_string_lossy().into_owned();
        let siblings: BTreeSet<String> = files.iter().map(stem).collect();
        let edges: BTreeMap<String, BTreeSet<String>> = files
            .iter()
            .map(|file| {
                let source = std::fs::read_to_string(file).unwrap();
                let mut named = siblings_named(&folder_path, &siblings, &source);
                named.remove(&stem(file));
                (stem(file), named)
            })
            .collect();
        for ring in rings(&edges) {
            found.push(format!(
                "src/{}: {ring:?}",
                relative(&root.join("src"), &folder)
            ));
        }
    }
    assert!(
        found.is_empty(),
        "files importing each other in a ring: {found:?}. Keep one job in one file, or \
         move what both need below them."
    );
}

#[test]
fn the_rules_see_an_upward_import_a_ring_and_skip_comments() {
    let graph = ALLOWED[1].1;
    let found = against_the_rule("graph", graph, "use crate::service::Service;\n");
    assert_eq!(found, BTreeSet::from(["service".to_string()]));
    let found = against_the_rule("graph", graph, "// crate::store is not named here\n");
    assert!(found.is_empty());
    let found = against_the_rule("store", ALLOWED[2].1, "#[derive(utoipa::ToSchema)]\n");
    assert_eq!(found, BTreeSet::from(["utoipa".to_string()]));

    let siblings = BTreeSet::from(["a".to_string(), "b".to_string(), "c".to_string()]);
    let named = siblings_named(
        "graph",
        &siblings,
        "use super::{a, b::X};\nuse crate::graph::c;\n",
    );
    assert_eq!(named, siblings);
    let edge =
        |from: &str, to: &[&str]| (from.to_string(), to.iter().map(|t| t.to_string()).collect());
    let chain = BTreeMap::from([edge("a", &["b"]), edge("b", &["c"]), edge("c", &[])]);
    assert!(rings(&chain).is_empty());
    let ring = BTreeMap::from([edge("a", &["b"]), edge("b", &["c"]), edge("c", &["a"])]);
    assert_eq!(rings(&ring), vec![siblings]);
}
