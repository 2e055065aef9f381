//! The partner finder on the real network (`shared/data/twins/links.csv`, 24,891 links),
//! in process: one city's suggestions, by the default ranking (every city is a candidate:
//! proximity has no zero) and by Adamic–Adar alone (two-hop candidates only), and a
//! whole association of 100 member cities ranked in parallel.
//!
//! ```sh
//! cargo bench --bench partners
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::Criterion;
use pobratim::graph::filter::Filter;
use pobratim::graph::NodeIx;
use pobratim::model::LinkKind;
use pobratim::service::partners::{self, PartnerQuery, Signal, DEFAULT_WEIGHTS};
use pobratim::service::{ImportOptions, Service};
use pobratim::store::SledStore;
use rayon::prelude::*;

const LINKS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/twins/links.csv"
);

fn main() {
    if !std::path::Path::new(LINKS).exists() {
        eprintln!("{LINKS} not found: nothing to measure");
        return;
    }
    let service = Service::from_store(SledStore::temporary().unwrap()).unwrap();
    let file = std::fs::File::open(LINKS).unwrap();
    let items =
        pobratim::io::edgelist::read(std::io::BufReader::new(file), LinkKind::Twinning).unwrap();
    let report = service
        .import(items, ImportOptions::default(), &mut |_| {})
        .unwrap();
    assert!(report.written);
    let scope = service.scope(&Filter::default());
    let data = service.partner_data(&scope.graph).unwrap();
    let history = service.partner_history(&scope, &data).unwrap();
    let fit_started = std::time::Instant::now();
    let model = service.learned_model(&scope, &data, &history).unwrap();
    println!(
        "learned model: fitted on {} pairs in {:.2} s",
        model.pairs,
        fit_started.elapsed().as_secs_f64()
    );
    let (learned_weights, learned_bins) = model.ranking();
    let mut by_degree: Vec<NodeIx> = scope.view.nodes().collect();
    by_degree.sort_by_key(|v| std::cmp::Reverse(scope.view.degree(*v)));
    let hub = by_degree[0];
    let median = by_degree[by_degree.len() / 4];
    let members: Vec<NodeIx> = by_degree
        .iter()
        .copied()
        .step_by(by_degree.len() / 100)
        .take(100)
        .collect();
    let query = |weights: Vec<(Signal, f64)>| PartnerQuery {
        weights,
        country: None,
        exclude_country: None,
        within_km: None,
        limit: 10,
        learned: false,
        bins: None,
    };
    let default = query(DEFAULT_WEIGHTS.to_vec());
    let adamic_adar = query(vec![(Signal::AdamicAdar, 1.0)]);
    let learned = PartnerQuery {
        bins: Some(learned_bins),
        ..query(learned_weights)
    };
    println!(
        "real network: {} nodes, {} edges; hub degree {}, quartile degree {}",
        scope.view.node_count(),
        scope.view.edge_count(),
        scope.view.degree(hub),
        scope.view.degree(median)
    );
    let mut c = Criterion::default().configure_from_args().sample_size(30);
    c.bench_function("partners: one city (hub), default ranking", |b| {
        b.iter(|| black_box(partners::rank(&scope, &data, &history, hub, &default)))
    });
    c.bench_function(
        "partners: one city (quartile degree), default ranking",
        |b| b.iter(|| black_box(partners::rank(&scope, &data, &history, median, &default))),
    );
    c.bench_function("partners: one city (hub), learned ranking", |b| {
        b.iter(|| black_box(partners::rank(&scope, &data, &history, hub, &learned)))
    });
    c.bench_function("partners: one city (hub), adamic_adar", |b| {
        b.iter(|| black_box(partners::rank(&scope, &data, &history, hub, &adamic_adar)))
    });
    c.bench_function(
        "partners: association of 100 members, default ranking",
        |b| {
            b.iter(|| {
                let all: Vec<_> = members
                    .par_iter()
                    .map(|&m| partners::rank(&scope, &data, &history, m, &default))
                    .collect();
                black_box(all)
            })
        },
    );
    c.bench_function(
        "partners: association of 100 members, learned ranking",
        |b| {
            b.iter(|| {
                let all: Vec<_> = members
                    .par_iter()
                    .map(|&m| partners::rank(&scope, &data, &history, m, &learned))
                    .collect();
                black_box(all)
            })
        },
    );
    c.final_summary();
}
