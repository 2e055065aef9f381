//! Store benches: one durable write, one write without flush, and opening a store
//! (scan + graph projection) at a few sizes.
//!
//! `cargo bench --bench store`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pobratim::model::{Link, Node};
use pobratim::service::{Change, Service};
use pobratim::store::SledStore;
use serde_json::json;

/// Sizes (cities) of the ring-with-chords networks the open bench projects.
const SIZES: [usize; 2] = [1_000, 10_000];

fn city(i: usize) -> Node {
    serde_json::from_value(json!({"id": format!("city:x:{i}"), "kind": "city", "name": format!("City {i}"), "country": "RU"})).unwrap()
}

fn twinning(a: usize, b: usize) -> Link {
    serde_json::from_value(json!({"id": format!("l:{a}:{b}"), "kind": "twinning", "members": [format!("city:x:{a}"), format!("city:x:{b}")]}))
        .unwrap()
}

/// A ring of `n` cities with a chord from every city to the one `n/3` ahead.
fn network(service: &Service, n: usize) {
    let mut changes: Vec<(String, Change)> = (0..n)
        .map(|i| (String::new(), Change::PutNode(city(i))))
        .collect();
    changes.extend((0..n).map(|i| (String::new(), Change::PutLink(twinning(i, (i + 1) % n)))));
    changes.extend((0..n).map(|i| (String::new(), Change::PutLink(twinning(i, (i + n / 3) % n)))));
    service.write_with(changes, false, "bench").unwrap();
}

fn writes(c: &mut Criterion) {
    let dir = tempfile::TempDir::new().unwrap();
    let service = Service::open(dir.path()).unwrap();
    network(&service, 1_000);
    let mut group = c.benchmark_group("write");
    group.sample_size(20);
    for (name, durable) in [("link_durable", true), ("link_no_flush", false)] {
        let mut i = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                // Offsets 2..=301 never meet the ring (1) or the chords (333, 667).
                let (a, b) = (i % 1000, (i % 1000 + 2 + i % 300) % 1000);
                let change = Change::PutLink(twinning(a, b));
                let delete = Change::DeleteLink(twinning(a, b).id);
                service
                    .write_with(vec![(String::new(), change)], durable, "bench")
                    .unwrap();
                service
                    .write_with(vec![(String::new(), delete)], durable, "bench")
                    .unwrap();
            })
        });
    }
    group.finish();
}

fn open(c: &mut Criterion) {
    let mut group = c.benchmark_group("open");
    group.sample_size(10);
    for n in SIZES {
        let dir = tempfile::TempDir::new().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        network(&Service::from_store(store.clone()).unwrap(), n);
        group.throughput(Throughput::Elements((3 * n) as u64));
        group.bench_with_input(BenchmarkId::new("scan_and_project", n), &n, |b, _| {
            b.iter(|| {
                Service::from_store(store.clone())
                    .unwrap()
                    .snapshot()
                    .link_count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, writes, open);
criterion_main!(benches);
