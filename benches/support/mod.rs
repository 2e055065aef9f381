//! Loads the synthetic networks of `shared/bench/peers.py gen` (nodes.csv, edges.csv,
//! queries.json) into a pobratim graph snapshot, so benches answer the same queries on
//! the same graph as the peers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pobratim::graph::filter::Filter;
use pobratim::graph::project::{self, LinkInput};
use pobratim::graph::view::GraphView;
use pobratim::graph::{GraphSnapshot, NodeIx};
use pobratim::model::{LinkId, LinkKind, LinkStatus, NodeId, NodeKind, PartialDate};

/// Where the generated network lives: `POBRATIM_PEERS_DATA`, default `/tmp/net-20k`.
pub fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var("POBRATIM_PEERS_DATA").unwrap_or_else(|_| "/tmp/net-20k".into()),
    );
    if dir.join("edges.csv").exists() {
        Some(dir)
    } else {
        eprintln!(
            "no peers network at {}: generate one with `python3 ../shared/bench/peers.py gen --scale 20k --out {}` \
             (or set POBRATIM_PEERS_DATA)",
            dir.display(),
            dir.display()
        );
        None
    }
}

/// The network and the peers' queries.
pub struct Network {
    pub snapshot: GraphSnapshot,
    pub view: GraphView,
    pub ids: Vec<String>,
    pub pairs: Vec<(NodeIx, NodeIx)>,
    pub khop: Vec<NodeIx>,
    pub khop_depth: usize,
    pub betweenness_sources: Vec<NodeIx>,
}

fn kind_of(raw: &str) -> NodeKind {
    match raw {
        "association" => NodeKind::Association,
        "state" => NodeKind::State,
        _ => NodeKind::City,
    }
}

fn link_kind_of(raw: &str) -> LinkKind {
    match raw {
        "friendship" => LinkKind::Friendship,
        "trilateral" => LinkKind::Trilateral,
        "membership" => LinkKind::Membership,
        "located_in" => LinkKind::LocatedIn,
        _ => LinkKind::Twinning,
    }
}

/// Loads `dir` as a snapshot (every row of edges.csv one link) and its all-kinds view.
pub fn load(dir: &Path) -> Network {
    let mut nodes = Vec::new();
    let mut ids = Vec::new();
    let mut reader = csv::Reader::from_path(dir.join("nodes.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        ids.push(row[0].to_string());
        nodes.push((NodeId::new(&row[0]).unwrap(), kind_of(&row[1])));
    }
    let mut links = Vec::new();
    let mut reader = csv::Reader::from_path(dir.join("edges.csv")).unwrap();
    for (i, row) in reader.records().enumerate() {
        let row = row.unwrap();
        links.push(LinkInput {
            id: LinkId::new(format!("e{i}")).unwrap(),
            kind: link_kind_of(&row[2]),
            status: LinkStatus::Active,
            evidence: pobratim::model::Evidence::Stated,
            signed: row[3].parse::<PartialDate>().ok(),
            ended: None,
            members: vec![NodeId::new(&row[0]).unwrap(), NodeId::new(&row[1]).unwrap()],
        });
    }
    let snapshot = project::build(1, nodes, links).unwrap();
    let view = GraphView::build(&snapshot, &Filter::everything());
    let index: HashMap<&str, NodeIx> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as NodeIx))
        .collect();
    let queries: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("queries.json")).unwrap()).unwrap();
    let node = |v: &serde_json::Value| index[v.as_str().unwrap()];
    let pairs = queries["shortest_path_pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (node(&p[0]), node(&p[1])))
        .collect();
    let khop = queries["khop_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(node)
        .collect();
    let betweenness_sources = queries["betweenness_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(node)
        .collect();
    let khop_depth = queries["khop_depth"].as_u64().unwrap() as usize;
    Network {
        snapshot,
        view,
        ids,
        pairs,
        khop,
        khop_depth,
        betweenness_sources,
    }
}

/// The ids of the ten best-scored nodes (ties by index), as the peers report them.
pub fn top10(ids: &[String], scores: &[f64]) -> Vec<String> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b)));
    order.into_iter().take(10).map(|i| ids[i].clone()).collect()
}
