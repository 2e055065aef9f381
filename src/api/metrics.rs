//! `/metrics` in the Prometheus text format (version 0.0.4): request counts and latency
//! histograms by route, graph size and version, query-cache hits and misses.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::service::Service;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Tables {
    /// (route, method, status) → requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latency histogram.
    latency: BTreeMap<String, Histogram>,
}

/// Request metrics shared by every worker.
#[derive(Default)]
pub struct Metrics {
    tables: Mutex<Tables>,
}

impl Metrics {
    fn record(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let Ok(mut tables) = self.tables.lock() else {
            return;
        };
        *tables
            .requests
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        let histogram = tables.latency.entry(route.to_string()).or_default();
        for (slot, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *slot += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// The exposition text.
    pub fn render(&self, service: &Service) -> String {
        let mut out = String::new();
        let graph = service.snapshot();
        let (hits, misses) = service.cache_stats();
        let (records, record_bytes) = service.record_cache_usage();
        let (answers, answer_bytes) = service.answers().usage();
        let damage = service.damage_stats();
        let gauges = [
            (
                "pobratim_graph_nodes",
                "Nodes in the current graph snapshot.",
                graph.node_count() as f64,
            ),
            (
                "pobratim_graph_links",
                "Links in the current graph snapshot.",
                graph.link_count() as f64,
            ),
            (
                "pobratim_graph_version",
                "Version of the current graph snapshot.",
                graph.version() as f64,
            ),
            (
                "pobratim_record_cache_entries",
                "Node and link records kept rendered as JSON for graph answers.",
                records as f64,
            ),
            (
                "pobratim_record_cache_bytes",
                "Bytes of the rendered records kept (ids, JSON and bookkeeping).",
                record_bytes as f64,
            ),
            (
                "pobratim_answer_cache_entries",
                "Large graph answers kept as sent for the graph version they read.",
                answers as f64,
            ),
            (
                "pobratim_answer_cache_bytes",
                "Bytes of the large graph answers kept (questions, JSON and bookkeeping).",
                answer_bytes as f64,
            ),
            (
                "pobratim_store_damaged_records",
                "Distinct stored records met since start that cannot be read (DELETE them or run `pobratim check --repair`).",
                damage.distinct as f64,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        for (name, help, value) in [
            (
                "pobratim_query_cache_hits_total",
                "Graph-question results served from the cache.",
                hits,
            ),
            (
                "pobratim_query_cache_misses_total",
                "Graph-question results computed.",
                misses,
            ),
            (
                "pobratim_store_damaged_records_skipped_total",
                "Times a listing, search, export or graph build passed over a stored record that cannot be read.",
                damage.skipped,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let Ok(tables) = self.tables.lock() else {
            return out;
        };
        out.push_str(
            "# HELP pobratim_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE pobratim_http_requests_total counter\n");
        for ((route, method, status), n) in &tables.requests {
            let _ = writeln!(
                out,
                "pobratim_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                escape(route),
                escape(method)
            );
        }
        out.push_str(
            "# HELP pobratim_http_request_duration_seconds HTTP request latency by route.\n",
        );
        out.push_str("# TYPE pobratim_http_request_duration_seconds histogram\n");
        for (route, h) in &tables.latency {
            let route = escape(route);
            for (count, bound) in h.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "pobratim_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "pobratim_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                 pobratim_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
                 pobratim_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        out
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
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
