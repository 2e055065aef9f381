//! `/metrics` in the Prometheus text format (version 0.0.4), through the `prometheus`
//! crate: request counts and latency histograms by route, graph size and version,
//! cache and damage figures the service keeps.

use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use crate::service::Service;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Figures the service keeps, shown as gauges at each scrape.
struct ServiceGauges {
    graph_nodes: IntGauge,
    graph_links: IntGauge,
    graph_version: IntGauge,
    record_cache_entries: IntGauge,
    record_cache_bytes: IntGauge,
    answer_cache_entries: IntGauge,
    answer_cache_bytes: IntGauge,
    damaged_records: IntGauge,
}

/// Totals the service counts, copied into counters at each scrape.
struct ServiceTotals {
    query_cache_hits: IntCounter,
    query_cache_misses: IntCounter,
    damaged_skipped: IntCounter,
}

/// Request metrics shared by every worker, and the service's figures at each scrape.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    gauges: ServiceGauges,
    /// Held while a scrape copies the service's totals in.
    totals: Mutex<ServiceTotals>,
}

fn gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    let gauge = IntGauge::new(name, help)?;
    registry.register(Box::new(gauge.clone()))?;
    Ok(gauge)
}

fn counter(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntCounter> {
    let counter = IntCounter::new(name, help)?;
    registry.register(Box::new(counter.clone()))?;
    Ok(counter)
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "pobratim_http_requests_total",
                "HTTP requests by route, method and status.",
            ),
            &["route", "method", "status"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "pobratim_http_request_duration_seconds",
                "HTTP request latency by route.",
            )
            .buckets(BUCKETS.to_vec()),
            &["route"],
        )?;
        registry.register(Box::new(latency.clone()))?;
        let r = &registry;
        let gauges = ServiceGauges {
            graph_nodes: gauge(r, "pobratim_graph_nodes", "Nodes in the current graph snapshot.")?,
            graph_links: gauge(r, "pobratim_graph_links", "Links in the current graph snapshot.")?,
            graph_version: gauge(
                r,
                "pobratim_graph_version",
                "Version of the current graph snapshot.",
            )?,
            record_cache_entries: gauge(
                r,
                "pobratim_record_cache_entries",
                "Node and link records kept rendered as JSON for graph answers.",
            )?,
            record_cache_bytes: gauge(
                r,
                "pobratim_record_cache_bytes",
                "Bytes of the rendered records kept (ids, JSON and bookkeeping).",
            )?,
            answer_cache_entries: gauge(
                r,
                "pobratim_answer_cache_entries",
                "Large graph answers kept as sent for the graph version they read.",
            )?,
            answer_cache_bytes: gauge(
                r,
                "pobratim_answer_cache_bytes",
                "Bytes of the large graph answers kept (questions, JSON and bookkeeping).",
            )?,
            damaged_records: gauge(
                r,
                "pobratim_store_damaged_records",
                "Distinct stored records met since start that cannot be read (DELETE them or run `pobratim check --repair`).",
            )?,
        };
        let totals = ServiceTotals {
            query_cache_hits: counter(
                r,
                "pobratim_query_cache_hits_total",
                "Graph-question results served from the cache.",
            )?,
            query_cache_misses: counter(
                r,
                "pobratim_query_cache_misses_total",
                "Graph-question results computed.",
            )?,
            damaged_skipped: counter(
                r,
                "pobratim_store_damaged_records_skipped_total",
                "Times a listing, search, export or graph build passed over a stored record that cannot be read.",
            )?,
        };
        Ok(Self {
            registry,
            requests,
            latency,
            gauges,
            totals: Mutex::new(totals),
        })
    }

    fn record(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }

    /// The exposition text, with the service's figures as they are now.
    pub fn render(&self, service: &Service) -> String {
        let graph = service.snapshot();
        let (records, record_bytes) = service.record_cache_usage();
        let (answers, answer_bytes) = service.answers().usage();
        let damage = service.damage_stats();
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let g = &self.gauges;
        g.graph_nodes.set(count(graph.node_count() as u64));
        g.graph_links.set(count(graph.link_count() as u64));
        g.graph_version.set(count(graph.version()));
        g.record_cache_entries.set(count(records as u64));
        g.record_cache_bytes.set(count(record_bytes));
        g.answer_cache_entries.set(count(answers as u64));
        g.answer_cache_bytes.set(count(answer_bytes));
        g.damaged_records.set(count(damage.distinct as u64));
        let families = {
            let totals = match self.totals.lock() {
                Ok(totals) => totals,
                Err(poisoned) => poisoned.into_inner(),
            };
            let (hits, misses) = service.cache_stats();
            for (counter, value) in [
                (&totals.query_cache_hits, hits),
                (&totals.query_cache_misses, misses),
                (&totals.damaged_skipped, damage.skipped),
            ] {
                counter.reset();
                counter.inc_by(value);
            }
            self.registry.gather()
        };
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&families, &mut out) {
            tracing::error!(error = %e, "cannot write the metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The method as a metrics label and in the access log: one of the standard methods,
/// or `other` for any name a client invents (each would otherwise be a series, and a
/// log line, of its own, as long as the client likes).
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    const STANDARD: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::TRACE, "TRACE"),
        (Method::CONNECT, "CONNECT"),
    ];
    STANDARD
        .iter()
        .find(|(m, _)| m == method)
        .map_or("other", |(_, label)| label)
}

/// Middleware: times every request and counts it under its route pattern (so
/// `/api/v1/nodes/{id}` is one series, not one per id). The middlewares inside answer
/// their refusals (401, 403, 429) as responses, so they are counted here; an error that
/// still comes back as one is counted under its status.
pub async fn measure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let route = super::route_template(req.path()).unwrap_or("unmatched");
    let method = method_label(req.method());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let response = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &response {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        metrics.record(
            route,
            method,
            status.as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    response.map(ServiceResponse::map_into_boxed_body)
}

/// Metrics
///
/// Prometheus text exposition: `pobratim_http_requests_total{route,method,status}`,
/// `pobratim_http_request_duration_seconds{route}` (histogram), graph nodes, links and
/// version, query-cache hits and misses, rendered records kept (count and bytes).
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format 0.0.4", body = String, content_type = "text/plain")))]
pub async fn get_metrics(service: web::Data<Service>, metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(metrics.render(&service))
}
