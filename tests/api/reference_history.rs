//! Histories against NetworkX: every step of a node's centrality history, of a ranking
//! history and of the shape series equals what NetworkX 3.6.1 computes on that year's
//! as-of graph (tests/reference/history_reference.py, expected/history.json), for the
//! seed network and a generated dated network, under two filter sets each.

use std::collections::BTreeMap;

use pobratim::graph::filter::Filter;
use pobratim::model::{LinkKind, LinkStatus, NodeId};
use pobratim::service::analysis::Measure;
use pobratim::service::trends::{HistoryQuery, Steps};
use pobratim::service::Service;
use pobratim::store::SledStore;
use serde_json::Value;

const MEASURES: [(&str, Measure); 6] = [
    ("degree", Measure::Degree),
    ("betweenness", Measure::Betweenness),
    ("closeness", Measure::Closeness),
    ("harmonic", Measure::Harmonic),
    ("pagerank", Measure::Pagerank),
    ("eigenvector", Measure::Eigenvector),
];

fn tolerance(expected: f64) -> f64 {
    1e-9 * expected.abs().max(1e-3)
}

#[track_caller]
fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance(expected),
        "{what}: {actual} != {expected}"
    );
}

fn service_of(graph: &str) -> Service {
    let doc = match graph {
        "seed" => pobratim::io::seed::SEED_JSON.to_string(),
        other => std::fs::read_to_string(format!(
            "{}/tests/reference/graphs/{other}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    };
    let service = Service::from_store(SledStore::temporary().unwrap()).unwrap();
    service.import_document("cli", doc.as_bytes()).unwrap();
    service
}

fn query_of(run: &Value, top: Option<usize>) -> HistoryQuery {
    let kinds: Vec<LinkKind> = serde_json::from_value(run["kinds"].clone()).unwrap();
    let status: Vec<LinkStatus> = serde_json::from_value(run["status"].clone()).unwrap();
    let year = |field: &str| Some(run[field].as_u64().unwrap() as u16);
    HistoryQuery {
        filter: Filter {
            kinds: Filter::kind_bits(&kinds),
            statuses: Filter::status_bits(&status),
            include_undated: run["undated"].as_bool().unwrap(),
            ..Filter::default()
        },
        steps: Steps {
            from: year("from"),
            to: year("to"),
            step: year("step"),
        },
        top,
        ..HistoryQuery::default()
    }
}

fn check_shape(service: &Service, run: &Value, what: &str) {
    let series = service.shape_series(&query_of(run, None)).unwrap();
    let expected = run["steps"].as_array().unwrap();
    assert_eq!(series.steps.len(), expected.len(), "{what}");
    for (got, want) in series.steps.iter().zip(expected) {
        let at = format!("{what} {}", got.year);
        assert_eq!(u64::from(got.year), want["year"].as_u64().unwrap(), "{at}");
        let shape = &want["shape"];
        assert_eq!(
            got.nodes as u64,
            shape["nodes"].as_u64().unwrap(),
            "{at} nodes"
        );
        assert_eq!(
            got.edges as u64,
            shape["edges"].as_u64().unwrap(),
            "{at} edges"
        );
        assert_eq!(
            got.components as u64,
            shape["components"].as_u64().unwrap(),
            "{at} components"
        );
        assert_eq!(
            got.largest_component as u64,
            shape["largest_component"].as_u64().unwrap(),
            "{at} largest component"
        );
        close(
            got.density,
            shape["density"].as_f64().unwrap(),
            &format!("{at} density"),
        );
        close(
            got.average_clustering,
            shape["average_clustering"].as_f64().unwrap(),
            &format!("{at} clustering"),
        );
        close(
            got.transitivity,
            shape["transitivity"].as_f64().unwrap(),
            &format!("{at} transitivity"),
        );
        match (
            got.degree_assortativity,
            shape["degree_assortativity"].as_f64(),
        ) {
            (Some(g), Some(w)) => close(g, w, &format!("{at} assortativity")),
            (None, None) => {}
            (g, w) => panic!("{at} assortativity: {g:?} != {w:?}"),
        }
    }
}

fn check_ranking(service: &Service, run: &Value, name: &str, measure: Measure, what: &str) {
    let history = service
        .ranking_history(measure, &query_of(run, Some(15)))
        .unwrap();
    for (got, want) in history.steps.iter().zip(run["steps"].as_array().unwrap()) {
        let at = format!("{what} {name} {}", got.year);
        let want = &want["measures"][name];
        if want.get("undefined").is_some() {
            assert!(got.undefined.is_some(), "{at}: NetworkX does not converge");
            continue;
        }
        assert!(got.undefined.is_none(), "{at}: {:?}", got.undefined);
        let top = want["top"].as_array().unwrap();
        assert_eq!(got.items.len(), top.len(), "{at}");
        for (i, item) in got.items.iter().enumerate() {
            let expected = top[i][1].as_f64().unwrap();
            close(item.value, expected, &format!("{at} #{}", i + 1));
            // Equal values may come in any order between libraries; the id must be
            // one NetworkX gives this value.
            let tied: Vec<&str> = top
                .iter()
                .filter(|e| (e[1].as_f64().unwrap() - item.value).abs() <= tolerance(expected))
                .map(|e| e[0].as_str().unwrap())
                .collect();
            assert!(
                tied.contains(&item.node.id.as_str()) || i + tied.len() >= top.len(),
                "{at} #{}: {} is not among {tied:?}",
                i + 1,
                item.node.id
            );
        }
    }
}

fn check_nodes(service: &Service, run: &Value, name: &str, measure: Measure, what: &str) {
    let query = query_of(run, None);
    for id in run["sample"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        let history = service
            .node_centrality_history(&NodeId::new(id).unwrap(), measure, &query)
            .unwrap();
        for (got, want) in history.steps.iter().zip(run["steps"].as_array().unwrap()) {
            let at = format!("{what} {name} {id} {}", got.year);
            let want = &want["measures"][name];
            if want.get("undefined").is_some() {
                assert!(got.value.is_none() && got.undefined.is_some(), "{at}");
                continue;
            }
            let node = &want["nodes"][id];
            close(got.value.unwrap(), node["value"].as_f64().unwrap(), &at);
            let rank = got.rank.unwrap() as u64;
            let (best, worst) = (
                node["best_rank"].as_u64().unwrap(),
                node["worst_rank"].as_u64().unwrap(),
            );
            assert!(
                (best..=worst).contains(&rank),
                "{at}: rank {rank} outside {best}..={worst}"
            );
        }
    }
}

fn check_histories(graph: &str) {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/reference/expected/history.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let service = service_of(graph);
    let mut distinct = BTreeMap::new();
    for run in expected["graphs"][graph].as_array().unwrap() {
        let what = format!("{graph} {}", run["name"].as_str().unwrap());
        check_shape(&service, run, &what);
        for (name, measure) in MEASURES {
            check_ranking(&service, run, name, measure, &what);
            check_nodes(&service, run, name, measure, &what);
        }
        let series = service.shape_series(&query_of(run, None)).unwrap();
        distinct.insert(what, (series.distinct_graphs, series.steps.len()));
    }
    // The seed's graph does not change in every step: those steps reuse results, and
    // they still equal NetworkX above.
    if graph == "seed" {
        assert!(
            distinct.values().any(|(d, s)| d < s),
            "some step of the seed repeats an earlier graph: {distinct:?}"
        );
    }
}

#[test]
fn seed_histories_equal_networkx_at_every_step() {
    check_histories("seed");
}

#[test]
fn generated_histories_equal_networkx_at_every_step() {
    check_histories("gen-a");
}
