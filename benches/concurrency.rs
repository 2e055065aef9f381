//! A long query must not starve small ones: exact betweenness on a 50k-node network
//! runs over HTTP while 100 small requests (a node, its partners, a shortest path) are
//! made one after another; prints their latencies. A measurement, not a test.
//!
//! ```sh
//! python3 ../shared/bench/peers.py gen --nodes 50000 --out /tmp/net-50k
//! POBRATIM_PEERS_DATA=/tmp/net-50k cargo bench --bench concurrency
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use pobratim::api::server::{self, ServeConfig};
use pobratim::model::{Link, Node};
use pobratim::service::{Change, Service};
use serde_json::json;

fn load(service: &Service, dir: &std::path::Path) -> Vec<String> {
    let mut changes = Vec::new();
    let mut ids = Vec::new();
    for row in csv::Reader::from_path(dir.join("nodes.csv"))
        .unwrap()
        .records()
    {
        let row = row.unwrap();
        ids.push(row[0].to_string());
        let node: Node =
            serde_json::from_value(json!({"id": &row[0], "kind": &row[1], "name": &row[2]}))
                .unwrap();
        changes.push((String::new(), Change::PutNode(node)));
    }
    // The peers' edge list has trilateral agreements as pairwise rows: they become
    // friendship links here (a pair listed twice is kept once).
    let mut seen = std::collections::HashSet::new();
    for (i, row) in csv::Reader::from_path(dir.join("edges.csv"))
        .unwrap()
        .records()
        .enumerate()
    {
        let row = row.unwrap();
        let kind = if &row[2] == "trilateral" {
            "friendship"
        } else {
            &row[2]
        };
        let pair = if row[0] < row[1] {
            (row[0].to_string(), row[1].to_string())
        } else {
            (row[1].to_string(), row[0].to_string())
        };
        if !seen.insert((kind.to_string(), pair)) {
            continue;
        }
        let mut link = json!({"id": format!("e{i}"), "kind": kind, "members": [&row[0], &row[1]]});
        if !row[3].is_empty() {
            link["signed"] = json!(&row[3]);
        }
        let link: Link = serde_json::from_value(link).unwrap();
        changes.push((String::new(), Change::PutLink(link)));
    }
    service.write_with(changes, false, "bench").unwrap();
    service.upkeep().flush().unwrap();
    ids
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let dir = std::path::PathBuf::from(
        std::env::var("POBRATIM_PEERS_DATA").unwrap_or_else(|_| "/tmp/net-50k".into()),
    );
    if !dir.join("edges.csv").exists() {
        eprintln!(
            "no network at {}: python3 ../shared/bench/peers.py gen --nodes 50000 --out {}",
            dir.display(),
            dir.display()
        );
        return;
    }
    let budget = std::time::Duration::from_secs(
        std::env::var("POBRATIM_QUERY_BUDGET")
            .ok()
            .and_then(|b| b.parse().ok())
            .unwrap_or(60),
    );
    let tmp = tempfile::TempDir::new().unwrap();
    let config = ServeConfig {
        data_dir: tmp.path().join("data"),
        bind: "127.0.0.1:0".into(),
        workers: 2,
        dataset: None,
        query_budget: budget,
        cors_origins: Vec::new(),
        max_heavy_queries: 4,
        private: false,
        write_rate: 0.0,
        record_cache_bytes: pobratim::service::rendered::DEFAULT_RECORD_CACHE_BYTES,
        answer_cache_bytes: pobratim::service::answers::DEFAULT_ANSWER_CACHE_BYTES,
    };
    let service = server::open_service(&config).unwrap();
    let started = Instant::now();
    let ids = load(&service, &dir);
    let graph = service.snapshot();
    println!(
        "loaded {} nodes, {} links in {:.1} s",
        graph.node_count(),
        graph.link_count(),
        started.elapsed().as_secs_f64()
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let data = actix_web::web::Data::new(service);
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let (server, addrs) = server::http_server(data, &config).unwrap();
            tx.send(addrs[0]).unwrap();
            server.await.unwrap();
        })
    });
    let base = format!("http://{}", rx.recv().unwrap());

    let long_base = base.clone();
    let long = std::thread::spawn(move || {
        let t = Instant::now();
        let (status, body) = match ureq::get(&format!(
            "{long_base}/api/v1/centrality/betweenness?limit=5"
        ))
        .call()
        {
            Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("{e}"),
        };
        println!(
            "long query body: {}",
            body.chars().take(300).collect::<String>()
        );
        (status, t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    let mut latencies = Vec::new();
    let mut errors = 0;
    for i in 0..100 {
        let (a, b) = (
            &ids[(i * 7919) % ids.len()],
            &ids[(i * 104_729 + 13) % ids.len()],
        );
        let path = match i % 3 {
            0 => format!("/api/v1/nodes/{a}"),
            1 => format!("/api/v1/nodes/{a}/neighbours"),
            _ => format!("/api/v1/paths/shortest?from={a}&to={b}&kinds=all"),
        };
        let t = Instant::now();
        match ureq::get(&format!("{base}{path}")).call() {
            Ok(_) | Err(ureq::Error::Status(404, _)) => {}
            Err(_) => errors += 1,
        }
        latencies.push(t.elapsed());
    }
    let small_done = started.elapsed();
    let (status, long_took) = long.join().unwrap();
    latencies.sort();
    println!(
        "100 small requests during exact betweenness: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms, errors {errors}",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.9).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    println!(
        "exact betweenness answered {status} after {:.1} s (small requests finished at {:.1} s)",
        long_took.as_secs_f64(),
        small_done.as_secs_f64()
    );
}
