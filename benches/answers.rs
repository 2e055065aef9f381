//! What a 2-hop answer costs the server without the network: the 1,000 two-hop
//! sources of a `peers.py gen` network's `queries.json`, asked one after another of
//! the real app (routing, middleware, JSON) in process, on a store `scripts/scale.sh`
//! imported. Prints, per round, the mean, the median, the mean of the fastest 90 % and
//! the p99 in µs: a steadier figure than requests a second on a shared machine, since
//! neither the load generator nor TCP is in it. A measurement, not a test.
//!
//! ```sh
//! SCALES=1m scripts/scale.sh        # once: imports the network into /tmp/pobratim-scale/1m
//! POBRATIM_BENCH_STORE=/tmp/pobratim-scale/1m cargo bench --bench answers
//! # every answer computed (no answer cache, as for a question not asked before):
//! POBRATIM_ANSWER_CACHE_MB=0 POBRATIM_BENCH_STORE=/tmp/pobratim-scale/1m cargo bench --bench answers
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use actix_web::{test, web, App};
use pobratim::api::metrics::{measure, Metrics};
use pobratim::api::version::not_modified;
use pobratim::graph::filter::Filter;
use pobratim::service::Service;

/// The server's heap (see `src/heap_tuning.rs`), so the costs are the server's.
#[global_allocator]
static HEAP: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() {
    let Ok(store) = std::env::var("POBRATIM_BENCH_STORE").map(PathBuf::from) else {
        eprintln!(
            "set POBRATIM_BENCH_STORE to a store of scripts/scale.sh (e.g. /tmp/pobratim-scale/1m)"
        );
        return;
    };
    let queries = std::env::var("POBRATIM_BENCH_QUERIES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let name = store.file_name().unwrap().to_string_lossy().into_owned();
            store
                .with_file_name(format!("net-{name}"))
                .join("queries.json")
        });
    let queries: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&queries).expect("queries.json")).unwrap();
    let sources: Vec<String> = queries["khop_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let mut service = Service::open(&store).expect("the store");
    // `POBRATIM_ANSWER_CACHE_MB=0`: every answer computed, as the first time it is asked.
    if let Ok(mb) = std::env::var("POBRATIM_ANSWER_CACHE_MB") {
        let mb: u64 = mb
            .parse()
            .expect("POBRATIM_ANSWER_CACHE_MB is a number of MiB");
        service = service.with_answer_cache(mb << 20);
    }
    // As the server does before it answers: both usual views built.
    service.scope(&Filter::default());
    service.scope(&Filter::everything());
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(service))
            .app_data(web::Data::new(Metrics::new().unwrap()))
            .wrap(actix_web::middleware::from_fn(not_modified))
            .wrap(actix_web::middleware::from_fn(measure))
            .configure(pobratim::api::configure),
    )
    .await;
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    println!(
        "2-hop with the API's defaults, {} sources, one at a time",
        sources.len()
    );
    for round in 0..rounds {
        let mut times = Vec::with_capacity(sources.len());
        let mut bytes = 0;
        for source in &sources {
            let started = Instant::now();
            let request = test::TestRequest::get()
                .uri(&format!("/api/v1/nodes/{source}/neighbourhood?depth=2"))
                .to_request();
            bytes += test::call_and_read_body(&app, request).await.len();
            times.push(started.elapsed().as_secs_f64() * 1e6);
        }
        times.sort_by(f64::total_cmp);
        let n = times.len();
        let mean = times.iter().sum::<f64>() / n as f64;
        let fastest = times[..n * 9 / 10].iter().sum::<f64>() / (n * 9 / 10) as f64;
        println!(
            "round {round}{}: mean {mean:.1} µs, median {:.1}, fastest 90 % {fastest:.1}, p99 {:.1}, {} bytes an answer",
            if round == 0 { " (cold caches)" } else { "" },
            times[n / 2],
            times[n * 99 / 100],
            bytes / n
        );
    }
}
