//! Questions of time and place at scale.
//!
//! - Place: the spatial index over the located cities of the 1M synthetic network
//!   (`peers.py gen --scale 1m`, 1,010,195 nodes, every one located): bulk load, a
//!   100 km radius query and the 10 nearest, from random points (Criterion).
//! - Time: a 50-step history (1971–2020, step 1) of one city's PageRank, of the top 10
//!   by PageRank, and of the shape series, on the world network
//!   (`shared/data/twins/links.csv`) and on the 100k synthetic network. Each run
//!   follows a write (which starts a new graph version, so nothing is cached); min,
//!   median and max of three runs.
//!
//! ```sh
//! python3 ../shared/bench/peers.py gen --scale 1m --out /tmp/net-1m
//! python3 ../shared/bench/peers.py gen --scale 100k --out /tmp/net-100k
//! cargo bench --bench time_and_place
//! ```
//!
//! `POBRATIM_PLACES_DATA` and `POBRATIM_HISTORY_DATA` name other networks; the 100k
//! store is imported once into `/tmp/pobratim-bench-history-100k` (kept).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::Criterion;
use pobratim::graph::filter::Filter;
use pobratim::model::{LinkKind, Location, NodeId, NodeKind};
use pobratim::service::analysis::Measure;
use pobratim::service::places::{Placed, Places};
use pobratim::service::trends::{HistoryQuery, Steps};
use pobratim::service::{Change, ImportOptions, Service};
use pobratim::store::SledStore;

const WORLD_LINKS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/twins/links.csv"
);

fn env_dir(var: &str, default: &str) -> PathBuf {
    PathBuf::from(std::env::var(var).unwrap_or_else(|_| default.into()))
}

/// A point stream from a fixed seed (SplitMix64).
fn points(count: usize) -> Vec<Location> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..count)
        .map(|_| Location {
            lat: next() * 180.0 - 90.0,
            lon: next() * 360.0 - 180.0,
        })
        .collect()
}

fn place(c: &mut Criterion) {
    let dir = env_dir("POBRATIM_PLACES_DATA", "/tmp/net-1m");
    let Ok(mut reader) = csv::Reader::from_path(dir.join("nodes.csv")) else {
        eprintln!(
            "no network at {}: skipping the place benches",
            dir.display()
        );
        return;
    };
    let mut placed = Vec::new();
    for row in reader.records() {
        let row = row.unwrap();
        let (Ok(lat), Ok(lon)) = (row[4].parse::<f64>(), row[5].parse::<f64>()) else {
            continue;
        };
        placed.push(Placed {
            id: NodeId::new(&row[0]).unwrap(),
            kind: NodeKind::City,
            country: row[3].parse().ok(),
            location: Location { lat, lon },
        });
    }
    let count = placed.len();
    let started = Instant::now();
    let places = Places::of(1, placed);
    println!(
        "place: {count} located nodes bulk-loaded in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let from = points(1000);
    let mut i = 0;
    let mut found = 0usize;
    c.bench_function(&format!("place: within 100 km, {count} located"), |b| {
        b.iter(|| {
            i = (i + 1) % from.len();
            let within = places
                .nearest(from[i])
                .take_while(|(_, km)| *km <= 100.0)
                .count();
            found += within;
            black_box(within)
        })
    });
    let mut j = 0;
    c.bench_function(&format!("place: nearest 10, {count} located"), |b| {
        b.iter(|| {
            j = (j + 1) % from.len();
            black_box(places.nearest(from[j]).take(10).count())
        })
    });
    let mean: f64 = from
        .iter()
        .map(|p| {
            places
                .nearest(*p)
                .take_while(|(_, km)| *km <= 100.0)
                .count() as f64
        })
        .sum::<f64>()
        / from.len() as f64;
    println!("place: {mean:.1} nodes within 100 km of a random point on average");
}

fn world_service() -> Option<Service> {
    let file = std::fs::File::open(WORLD_LINKS).ok()?;
    let service = Service::from_store(SledStore::temporary().unwrap()).unwrap();
    let items =
        pobratim::io::edgelist::read(std::io::BufReader::new(file), LinkKind::Twinning).unwrap();
    service
        .import(items, ImportOptions::default(), &mut |_| {})
        .unwrap();
    Some(service)
}

fn synthetic_service() -> Option<Service> {
    let net = env_dir("POBRATIM_HISTORY_DATA", "/tmp/net-100k");
    if !net.join("edges.csv").exists() {
        eprintln!("no network at {}: skipping its history", net.display());
        return None;
    }
    let store = Path::new("/tmp/pobratim-bench-history-100k");
    if !store.exists() {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_pobratim"))
            .args(["import", "--format", "csv", "--data"])
            .arg(store)
            .arg(net.join("nodes.csv"))
            .arg(net.join("edges.csv"))
            .env("POBRATIM_LOG", "warn")
            .status()
            .unwrap();
        assert!(status.success());
    }
    Some(Service::open(store).unwrap())
}

/// A write that changes no graph question's answer: it starts a new graph version,
/// so the next history is computed afresh.
fn touch(service: &Service, id: &NodeId) {
    let mut node = service.get_node(id).unwrap();
    node.population = Some(node.population.map_or(1, |p| p + 1));
    service
        .write_by("bench", vec![(String::new(), Change::PutNode(node))])
        .unwrap();
}

fn timed(label: &str, service: &Service, id: &NodeId, run: impl Fn() -> (usize, usize)) {
    let mut seconds = Vec::new();
    let mut shape = (0, 0);
    for _ in 0..3 {
        touch(service, id);
        let started = Instant::now();
        shape = run();
        seconds.push(started.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    println!(
        "time: {label}: {} steps, {} distinct graphs: min {:.3} s, median {:.3} s, max {:.3} s",
        shape.0, shape.1, seconds[0], seconds[1], seconds[2]
    );
}

fn time_on(name: &str, service: &Service) {
    let scope = service.scope(&Filter::default());
    let hub = scope
        .view
        .nodes()
        .max_by_key(|v| scope.view.degree(*v))
        .unwrap();
    let id = NodeId::new(scope.graph.node_id(hub)).unwrap();
    println!(
        "time: {name}: {} nodes, {} edges; the city followed: {id}",
        scope.view.node_count(),
        scope.view.edge_count()
    );
    let query = HistoryQuery {
        filter: Filter::default(),
        steps: Steps {
            from: Some(1971),
            to: Some(2020),
            step: Some(1),
        },
        top: Some(10),
        ..HistoryQuery::default()
    };
    timed(
        &format!("{name}, one city's PageRank"),
        service,
        &id,
        || {
            let h = service
                .node_centrality_history(&id, Measure::Pagerank, &query)
                .unwrap();
            (h.steps.len(), h.distinct_graphs)
        },
    );
    timed(&format!("{name}, top 10 by PageRank"), service, &id, || {
        let h = service.ranking_history(Measure::Pagerank, &query).unwrap();
        (h.steps.len(), h.distinct_graphs)
    });
    timed(&format!("{name}, shape series"), service, &id, || {
        let h = service.shape_series(&query).unwrap();
        (h.steps.len(), h.distinct_graphs)
    });
    let dated = HistoryQuery {
        filter: Filter {
            include_undated: false,
            ..Filter::default()
        },
        ..query.clone()
    };
    timed(
        &format!("{name}, one city's PageRank, dated links only"),
        service,
        &id,
        || {
            let h = service
                .node_centrality_history(&id, Measure::Pagerank, &dated)
                .unwrap();
            (h.steps.len(), h.distinct_graphs)
        },
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args().sample_size(50);
    place(&mut c);
    c.final_summary();
    if let Some(world) = world_service() {
        time_on("world network", &world);
    }
    if let Some(synthetic) = synthetic_service() {
        time_on("100k synthetic network", &synthetic);
    }
}
