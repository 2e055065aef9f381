//! The peers' tasks on the peers' graph (`shared/bench/peers.py gen --scale 20k`), in
//! process, on the same filtered CSR view every API query uses.
//!
//! ```sh
//! python3 ../shared/bench/peers.py gen --scale 20k --out /tmp/net-20k
//! POBRATIM_PEERS_DATA=/tmp/net-20k cargo bench --bench algorithms
//! ```
//!
//! Fast tasks run under criterion; exact betweenness and closeness (tens of seconds)
//! are timed once each after it, and every task prints the peers' checksum.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::hint::black_box;
use std::time::Instant;

use criterion::Criterion;
use pobratim::graph::algo::{centrality, communities, components, neighbourhood, paths, Budget};
use pobratim::graph::filter::Filter;
use pobratim::graph::view::GraphView;

fn shortest_1000(net: &support::Network, scratch: &mut paths::BfsScratch) -> usize {
    net.pairs
        .iter()
        .map(|&(s, t)| {
            paths::shortest_path(&net.view, s, t, usize::MAX, scratch).map_or(0, |p| p.len() - 1)
        })
        .sum()
}

fn khop_1000(
    net: &support::Network,
    stamp: &mut [u32],
    epoch: &mut u32,
    queues: &mut (Vec<u32>, Vec<u32>),
) -> usize {
    net.khop
        .iter()
        .map(|&s| {
            *epoch += 1;
            neighbourhood::ego_size(
                &net.view,
                s,
                net.khop_depth,
                stamp,
                *epoch,
                &mut queues.0,
                &mut queues.1,
            ) - 1
        })
        .sum()
}

fn main() {
    let Some(dir) = support::data_dir() else {
        return;
    };
    let started = Instant::now();
    let net = support::load(&dir);
    println!(
        "loaded {} nodes, {} edges in {:?}",
        net.view.node_count(),
        net.view.edge_count(),
        started.elapsed()
    );
    let view = &net.view;
    let budget = Budget::unlimited();
    let mut c = Criterion::default().configure_from_args().sample_size(20);

    let mut scratch = paths::BfsScratch::new(view.node_bound());
    println!(
        "checksum shortest_path_1000 sum_hops = {}",
        shortest_1000(&net, &mut scratch)
    );
    c.bench_function("shortest_path_1000", |b| {
        b.iter(|| black_box(shortest_1000(&net, &mut scratch)))
    });

    let (mut stamp, mut epoch, mut queue) = (
        vec![0u32; view.node_bound()],
        0u32,
        (Vec::new(), Vec::new()),
    );
    println!(
        "checksum khop2_1000 sum_sizes = {}",
        khop_1000(&net, &mut stamp, &mut epoch, &mut queue)
    );
    c.bench_function("khop2_1000", |b| {
        b.iter(|| black_box(khop_1000(&net, &mut stamp, &mut epoch, &mut queue)))
    });

    let pr = centrality::pagerank(view, 0.85, 100, 1e-6).unwrap();
    println!(
        "checksum pagerank top10 = {:?}",
        support::top10(&net.ids, &pr)
    );
    c.bench_function("pagerank", |b| {
        b.iter(|| black_box(centrality::pagerank(view, 0.85, 100, 1e-6).unwrap()))
    });

    c.bench_function("degree", |b| b.iter(|| black_box(centrality::degree(view))));

    let (_, sizes) = components::components(view);
    println!(
        "checksum components = {}, largest = {}",
        sizes.len(),
        sizes.iter().max().unwrap()
    );
    c.bench_function("components", |b| {
        b.iter(|| black_box(components::components(view)))
    });

    let labels = communities::louvain(view, 1.0, 42, &budget).unwrap();
    let count = labels
        .iter()
        .filter(|l| **l != u32::MAX)
        .max()
        .map_or(0, |m| m + 1);
    println!(
        "checksum louvain communities = {count}, modularity = {:.4}",
        communities::modularity(view, &labels, 1.0)
    );
    c.bench_function("louvain", |b| {
        b.iter(|| black_box(communities::louvain(view, 1.0, 42, &budget).unwrap()))
    });

    let bc = centrality::betweenness(view, Some(&net.betweenness_sources), &budget).unwrap();
    println!(
        "checksum betweenness_sampled_256 top10 = {:?}",
        support::top10(&net.ids, &bc)
    );
    let mut slow = c.benchmark_group("slow");
    slow.sample_size(10);
    slow.bench_function("betweenness_sampled_256", |b| {
        b.iter(|| {
            black_box(
                centrality::betweenness(view, Some(&net.betweenness_sources), &budget).unwrap(),
            )
        })
    });
    slow.bench_function("view_build_all_kinds", |b| {
        b.iter(|| black_box(GraphView::build(&net.snapshot, &Filter::everything())))
    });
    slow.finish();
    c.final_summary();

    if std::env::var("POBRATIM_BENCH_EXACT").is_ok_and(|v| v == "1") {
        let t = Instant::now();
        let bc = centrality::betweenness(view, None, &budget).unwrap();
        println!(
            "betweenness_exact: {:.2} s on {} threads; top10 = {:?}",
            t.elapsed().as_secs_f64(),
            rayon::current_num_threads(),
            support::top10(&net.ids, &bc)
        );
        let t = Instant::now();
        let sums = centrality::distance_sums(view, &budget).unwrap();
        let closeness = centrality::closeness(view, &sums);
        println!(
            "closeness_exact: {:.2} s on {} threads; top10 = {:?}",
            t.elapsed().as_secs_f64(),
            rayon::current_num_threads(),
            support::top10(&net.ids, &closeness)
        );
    } else {
        println!("set POBRATIM_BENCH_EXACT=1 to also time exact betweenness and closeness");
    }
}
