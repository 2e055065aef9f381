//! Every algorithm against values NetworkX 3.6.1 computed on the same graphs under the
//! same filters (tests/reference/networkx_reference.py). Tolerance: relative 1e-9
//! (absolute 1e-12 near zero) for every value; Louvain, whose partition depends on the
//! random visiting order, is held to NetworkX's modularity within 3 %.

use std::collections::{BTreeMap, BTreeSet};

use pobratim::graph::algo::{
    centrality, communities, components, neighbourhood, paths, stats, Budget,
};
use pobratim::graph::filter::Filter;
use pobratim::graph::NodeIx;
use pobratim::model::{LinkKind, LinkStatus, NodeId};
use pobratim::service::analysis::Scope;
use pobratim::service::Service;
use pobratim::store::SledStore;
use serde_json::Value;

fn load(graph: &str) -> (Service, Value) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference");
    let doc = if graph == "seed" {
        pobratim::io::seed::SEED_JSON.to_string()
    } else {
        std::fs::read_to_string(format!("{root}/graphs/{graph}.json")).unwrap()
    };
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/expected/{graph}.json")).unwrap(),
    )
    .unwrap();
    let service = Service::from_store(SledStore::temporary().unwrap()).unwrap();
    service.import_document("cli", doc.as_bytes()).unwrap();
    (service, expected)
}

fn filter_of(spec: &Value) -> Filter {
    let kinds: Vec<LinkKind> = serde_json::from_value(spec["kinds"].clone()).unwrap();
    let status: Vec<LinkStatus> = serde_json::from_value(spec["status"].clone()).unwrap();
    Filter {
        kinds: Filter::kind_bits(&kinds),
        statuses: Filter::status_bits(&status),
        as_of: spec["as_of"].as_str().map(|d| d.parse().unwrap()),
        include_undated: spec["undated"].as_bool().unwrap(),
        ..Filter::default()
    }
}

#[track_caller]
fn close(actual: f64, expected: f64, what: &str) {
    let tol = 1e-9 * expected.abs().max(1e-3);
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: {actual} != {expected}"
    );
}

fn ix(scope: &Scope, id: &str) -> NodeIx {
    scope.graph.index_of(&NodeId::new(id).unwrap()).unwrap()
}

fn check_values(scope: &Scope, values: &[f64], expected: &Value, what: &str) {
    let expected = expected.as_object().unwrap();
    assert_eq!(
        expected.len(),
        scope.view.node_count(),
        "{what}: node count"
    );
    for (id, value) in expected {
        close(
            values[ix(scope, id) as usize],
            value.as_f64().unwrap(),
            &format!("{what} of {id}"),
        );
    }
}

fn ids(scope: &Scope, nodes: impl IntoIterator<Item = NodeIx>) -> Vec<String> {
    nodes
        .into_iter()
        .map(|v| scope.graph.node_id(v).to_string())
        .collect()
}

fn check_graph(graph: &str) {
    let (service, expected) = load(graph);
    let budget = Budget::unlimited();
    if graph != "seed" {
        // Filter sets whose as-of cut removes links by their end date alone.
        let decided: u64 = expected["results"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|r| r["decided_by_ended"].as_u64())
            .sum();
        assert!(decided > 0, "{graph}: no cut where an end date decides");
    }
    for (name, result) in expected["results"].as_object().unwrap() {
        let scope = service.scope(&filter_of(&expected["filters"][name]));
        let at = |what: &str| format!("{graph}/{name}: {what}");
        let view = &scope.view;
        assert_eq!(
            view.node_count() as u64,
            result["nodes"].as_u64().unwrap(),
            "{}",
            at("nodes")
        );
        assert_eq!(
            view.edge_count() as u64,
            result["edges"].as_u64().unwrap(),
            "{}",
            at("edges")
        );

        check_values(
            &scope,
            &centrality::degree(view),
            &result["degree"],
            &at("degree"),
        );
        check_values(
            &scope,
            &centrality::betweenness(view, None, &budget).unwrap(),
            &result["betweenness"],
            &at("betweenness"),
        );
        let sums = centrality::distance_sums(view, &budget).unwrap();
        check_values(
            &scope,
            &centrality::closeness(view, &sums),
            &result["closeness"],
            &at("closeness"),
        );
        check_values(
            &scope,
            &centrality::harmonic(&sums),
            &result["harmonic"],
            &at("harmonic"),
        );
        check_values(
            &scope,
            &centrality::pagerank(view, 0.85, 100, 1e-6).unwrap(),
            &result["pagerank"],
            &at("pagerank"),
        );
        match result["eigenvector"].is_null() {
            true => assert!(
                centrality::eigenvector(view, 100, 1e-6).is_err(),
                "{}",
                at("eigenvector should not converge")
            ),
            false => check_values(
                &scope,
                &centrality::eigenvector(view, 100, 1e-6).unwrap(),
                &result["eigenvector"],
                &at("eigenvector"),
            ),
        }
        let sources: Vec<NodeIx> = result["betweenness_sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| ix(&scope, s.as_str().unwrap()))
            .collect();
        let sampled = centrality::betweenness(view, Some(&sources), &budget).unwrap();
        check_values(
            &scope,
            &sampled,
            &result["betweenness_sampled"],
            &at("sampled betweenness"),
        );

        let (labels, sizes) = components::components(view);
        let mut groups: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for v in view.nodes() {
            groups
                .entry(labels[v as usize])
                .or_default()
                .push(scope.graph.node_id(v).to_string());
        }
        let mut partition: Vec<Vec<String>> = groups.into_values().collect();
        partition.iter_mut().for_each(|g| g.sort());
        partition.sort();
        let expected_partition: Vec<Vec<String>> =
            serde_json::from_value(result["components"].clone()).unwrap();
        assert_eq!(partition, expected_partition, "{}", at("components"));
        assert_eq!(sizes.len(), expected_partition.len());

        let triangles = stats::triangles(view);
        assert_eq!(
            view.nodes().map(|v| triangles[v as usize]).sum::<u64>(),
            result["triangles_total"].as_u64().unwrap(),
            "{}",
            at("triangles")
        );
        let clustering = stats::clustering(view, &triangles);
        close(
            stats::average_clustering(view, &clustering),
            result["average_clustering"].as_f64().unwrap(),
            &at("average clustering"),
        );
        close(
            stats::transitivity(view, &triangles),
            result["transitivity"].as_f64().unwrap(),
            &at("transitivity"),
        );
        close(
            stats::density(view),
            result["density"].as_f64().unwrap(),
            &at("density"),
        );
        match result["degree_assortativity"].as_f64() {
            Some(r) => close(
                stats::degree_assortativity(view).unwrap(),
                r,
                &at("assortativity"),
            ),
            None => assert_eq!(
                stats::degree_assortativity(view),
                None,
                "{}",
                at("assortativity")
            ),
        }
        let histogram: Vec<usize> =
            serde_json::from_value(result["degree_histogram"].clone()).unwrap();
        assert_eq!(
            stats::degree_histogram(view),
            histogram,
            "{}",
            at("degree histogram")
        );
        let (size, diameter, aspl) = stats::largest_component_distances(view, &budget)
            .unwrap()
            .unwrap();
        assert_eq!(
            size as u64,
            result["largest_component"].as_u64().unwrap(),
            "{}",
            at("largest component")
        );
        assert_eq!(
            diameter as u64,
            result["diameter"].as_u64().unwrap(),
            "{}",
            at("diameter")
        );
        close(
            aspl,
            result["average_shortest_path_length"].as_f64().unwrap(),
            &at("average shortest path length"),
        );

        let mut scratch = paths::BfsScratch::new(view.node_bound());
        for pair in result["shortest_path_lengths"].as_array().unwrap() {
            let (s, t) = (
                ix(&scope, pair[0].as_str().unwrap()),
                ix(&scope, pair[1].as_str().unwrap()),
            );
            let found = paths::shortest_path(view, s, t, usize::MAX, &mut scratch)
                .map(|p| p.len() as u64 - 1);
            assert_eq!(
                found,
                pair[2].as_u64(),
                "{}",
                at(&format!("shortest path {pair}"))
            );
            if let Some(path) = paths::shortest_path(view, s, t, usize::MAX, &mut scratch) {
                assert!(
                    path.windows(2)
                        .all(|w| view.edge_index(w[0], w[1]).is_some()),
                    "a path walks edges"
                );
            }
        }
        for case in result["all_shortest_paths"].as_array().unwrap() {
            let (s, t) = (
                ix(&scope, case[0].as_str().unwrap()),
                ix(&scope, case[1].as_str().unwrap()),
            );
            let want: BTreeSet<Vec<String>> = serde_json::from_value(case[2].clone()).unwrap();
            let (found, truncated) =
                paths::all_shortest_paths(view, s, t, usize::MAX, 2000).unwrap();
            let found: BTreeSet<Vec<String>> = found.into_iter().map(|p| ids(&scope, p)).collect();
            let case_name = at(&format!("all shortest paths {} → {}", case[0], case[1]));
            // No expected case reaches the cap: every one is compared whole.
            assert!(!truncated, "{case_name}: truncated at 2,000 paths");
            assert_eq!(found, want, "{case_name}");
        }
        for case in result["ego"].as_array().unwrap() {
            let centre = ix(&scope, case[0].as_str().unwrap());
            let (found, _) =
                neighbourhood::ego(view, centre, case[1].as_u64().unwrap() as usize, usize::MAX);
            let mut found = ids(&scope, found.into_iter().map(|(v, _)| v));
            found.sort();
            let want: Vec<String> = serde_json::from_value(case[2].clone()).unwrap();
            assert_eq!(found, want, "{}", at(&format!("ego of {}", case[0])));
        }

        let nx_partition: Vec<Vec<String>> =
            serde_json::from_value(result["louvain_partition"].clone()).unwrap();
        let mut nx_labels = vec![u32::MAX; view.node_bound()];
        for (c, members) in nx_partition.iter().enumerate() {
            for id in members {
                nx_labels[ix(&scope, id) as usize] = c as u32;
            }
        }
        let nx_q = result["louvain_modularity"].as_f64().unwrap();
        close(
            communities::modularity(view, &nx_labels, 1.0),
            nx_q,
            &at("modularity of NetworkX's partition"),
        );
        let ours = communities::louvain(view, 1.0, 0, &budget).unwrap();
        let q = communities::modularity(view, &ours, 1.0);
        assert!(
            q >= nx_q * 0.97,
            "{}: Louvain modularity {q} vs NetworkX {nx_q}",
            at("louvain")
        );
    }
    check_weighted(&service, &expected["weighted"]);
}

fn check_weighted(service: &Service, expected: &Value) {
    let scope = service.scope(&Filter::everything());
    let costs: BTreeMap<&str, f64> = expected["weights"]
        .as_str()
        .unwrap()
        .split(',')
        .map(|p| {
            let (k, c) = p.split_once(':').unwrap();
            (k, c.parse().unwrap())
        })
        .collect();
    let view = &scope.view;
    let mut weights = vec![0.0; view.edge_count() * 2];
    for v in view.nodes() {
        let start = view.edge_start(v);
        for (i, (_, pair)) in view.neighbours_with_pairs(v).enumerate() {
            weights[start + i] = scope
                .graph
                .links_of_pair(pair)
                .iter()
                .map(|l| costs[scope.graph.link(l).kind.as_str()])
                .fold(f64::INFINITY, f64::min);
        }
    }
    for case in expected["pairs"].as_array().unwrap() {
        let (s, t) = (
            ix(&scope, case[0].as_str().unwrap()),
            ix(&scope, case[1].as_str().unwrap()),
        );
        let (_, cost) = paths::dijkstra(view, &weights, s, t, usize::MAX).unwrap();
        close(cost, case[2].as_f64().unwrap(), "dijkstra");
        let k = case[3].as_array().unwrap().len();
        let found =
            paths::k_shortest_paths(view, &weights, s, t, k, usize::MAX, &Budget::unlimited())
                .unwrap();
        let got: Vec<f64> = found.iter().map(|(_, c)| *c).collect();
        let want: Vec<f64> = case[3]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect();
        assert_eq!(got.len(), want.len(), "k shortest {case}");
        for (g, w) in got.iter().zip(&want) {
            close(*g, *w, &format!("k shortest {case}"));
        }
    }
}

#[test]
fn the_seed_network_matches_networkx() {
    check_graph("seed");
}

#[test]
fn generated_network_a_matches_networkx() {
    check_graph("gen-a");
}

#[test]
fn generated_network_b_matches_networkx() {
    check_graph("gen-b");
}
