//! The REST API under `/api/v1`: thin handlers over [`Service`], documented with utoipa.
//!
//! Each handler extracts and validates its input, calls one service method off the
//! request thread, and maps the result to JSON with the graph version it read.
//! Errors are RFC 9457 problems ([`problem`]).

pub mod admin;
pub mod assets;
pub mod auth;
pub mod batch;
pub mod centrality;
pub mod changes;
mod contract;
pub mod export;
pub mod extract;
pub mod filters;
pub mod layout;
mod limit;
pub mod links;
pub mod metrics;
pub mod neighbourhood;
pub mod nodes;
pub mod ops;
pub mod page;
pub mod partners;
pub mod paths;
pub mod places;
pub mod problem;
mod problem_page;
pub mod recover;
mod schemas;
mod security;
pub mod server;
pub mod sources;
pub mod stream;
pub mod structure;
pub mod transfer;
pub mod trends;
pub mod version;

use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::OpenApi;

use crate::service::{Service, ServiceError};
use problem::{internal, ApiError, ProblemCode};
use security::Security;

/// The OpenAPI document of the whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "pobratim",
        description = "A graph database of twin towns, friendship agreements, trilateral partnerships and the associations and states around them.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        nodes::list_nodes, nodes::create_node, nodes::get_node, nodes::put_node, nodes::patch_node, nodes::delete_node,
        links::list_links, links::create_link, links::get_link, links::patch_link, links::delete_link,
        batch::apply_batch, paths::shortest, paths::weighted, paths::k_shortest, paths::all_shortest,
        neighbourhood::get_neighbourhood, neighbourhood::get_neighbours, centrality::get_ranking, centrality::get_node_centrality,
        structure::get_components, structure::get_communities, structure::get_stats, structure::get_timeline,
        layout::get_layout, places::get_places,
        trends::get_node_history, trends::get_ranking_history, trends::get_shape_series,
        partners::get_node_partners, partners::get_association_partners,
        sources::list_sources, sources::get_source,
        export::get_export, export::get_export_manifest,
        transfer::post_import, changes::list_changes, changes::node_history, changes::link_history,
        admin::list_tokens, admin::create_token, admin::revoke_token, admin::backup,
        ops::healthz, ops::openapi_json, metrics::get_metrics,
    ),
    modifiers(&Security),
    components(schemas(problem::Problem, crate::model::Node, crate::model::Link, crate::service::WriteSummary,
        crate::service::export::ExportFormat, crate::service::export::ImportFormat, trends::SeriesFormat)),
    tags(
        (name = "nodes", description = "Cities, associations and states"),
        (name = "links", description = "Twinning, friendship, trilateral, membership and located_in links"),
        (name = "batch", description = "Atomic multi-record writes"),
        (name = "paths", description = "Shortest, weighted, k-shortest and all shortest paths"),
        (name = "graph", description = "Neighbourhoods, centrality, components, communities, statistics, timeline, layout, places"),
        (name = "partners", description = "Ranked, explained suggestions of prospective partner cities"),
        (name = "transfer", description = "Import and export in pobratim JSON, node-link JSON, edge-list CSV, GraphML, GEXF and GeoJSON"),
        (name = "changes", description = "The change log: who changed what, when, before and after (write token)"),
        (name = "admin", description = "Tokens and backups (admin token)"),
        (name = "ops", description = "Health, metrics and documentation"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document as the committed `openapi/openapi.json` holds it.
pub fn openapi_document() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&contract::document())
}

/// Runs a service call on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    service: &web::Data<Service>,
    call: impl FnOnce(&Service) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ApiError> {
    let service = service.clone().into_inner();
    match web::block(move || call(&service)).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => Err(internal(&e)),
    }
}

/// A graph answer that says which graph version it read.
pub(crate) trait Versioned {
    /// The graph version the answer was computed from.
    fn graph_version(&self) -> u64;

    /// Bytes its JSON is expected to take (a buffer that size is reserved up front).
    fn json_size_hint(&self) -> usize {
        version::DEFAULT_JSON_CAPACITY
    }
}

macro_rules! versioned {
    ($($answer:ty),+ $(,)?) => {
        $(impl Versioned for $answer {
            fn graph_version(&self) -> u64 {
                self.graph_version
            }
        })+
    };
}

versioned!(
    paths::PathsResponse,
    centrality::Ranking,
    centrality::NodeCentrality,
    structure::Groups,
    structure::Stats,
    structure::Timeline,
    partners::Partners,
    partners::AssociationPartners,
);

/// Answers a graph question off the request threads, with the version headers.
pub(crate) async fn answer<T: serde::Serialize + Versioned + Send + 'static>(
    service: web::Data<Service>,
    question: impl FnOnce(&Service) -> Result<T, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let answer = web::block(move || question(&service))
        .await
        .map_err(|e| internal(&e))??;
    Ok(respond(&answer))
}

/// A graph answer as JSON with the version headers (for answers computed in place).
pub(crate) fn respond<T: serde::Serialize + Versioned>(answer: &T) -> HttpResponse {
    version::json_sized(
        actix_web::http::StatusCode::OK,
        answer.graph_version(),
        answer,
        answer.json_size_hint(),
    )
}

/// Runs an expensive question off the request threads in one of the service's
/// heavy-query slots, or answers 503 `busy` with `Retry-After` when none is free.
pub(crate) async fn heavy<T: Send + 'static>(
    service: web::Data<Service>,
    question: impl FnOnce(&Service) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let service = service.into_inner();
    web::block(move || {
        let _slot = service.try_heavy().ok_or_else(|| {
            ApiError::new(
                ProblemCode::Busy,
                format!(
                    "every slot for expensive queries is taken; retry in {} s (cached answers are fast: the same question again is cheap)",
                    problem::RETRY_AFTER_SECONDS
                ),
                None,
            )
        })?;
        question(&service)
    })
    .await
    .map_err(|e| internal(&e))?
}

/// As [`answer`], for an expensive question (see [`heavy`]).
pub(crate) async fn answer_heavy<T: serde::Serialize + Versioned + Send + 'static>(
    service: web::Data<Service>,
    question: impl FnOnce(&Service) -> Result<T, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    Ok(respond(&heavy(service, question).await?))
}

/// A route that answers GET and, as RFC 9110 asks of every resource that answers GET,
/// HEAD: the same status and headers, no body (actix-http leaves a HEAD answer's body
/// out).
pub(crate) fn get() -> actix_web::Route {
    use actix_web::guard;
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Registers every route of the service, including operational ones.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(nodes::configure)
            .configure(links::configure)
            .configure(batch::configure)
            .configure(paths::configure)
            .configure(neighbourhood::configure)
            .configure(centrality::configure)
            .configure(structure::configure)
            .configure(layout::configure)
            .configure(places::configure)
            .configure(partners::configure)
            .configure(sources::configure)
            .configure(trends::configure)
            .configure(export::configure)
            .configure(transfer::configure)
            .configure(changes::configure)
            .configure(admin::configure),
    )
    .configure(ops::configure)
    .configure(assets::configure);
}

/// A route: its template (`/api/v1/nodes/{id}`), split at `/`, and its methods.
struct Route {
    template: String,
    parts: Vec<String>,
    methods: Vec<&'static str>,
}

impl Route {
    fn new(template: &str, methods: Vec<&'static str>) -> Self {
        Self {
            template: template.to_string(),
            parts: template.split('/').map(str::to_string).collect(),
            methods,
        }
    }

    /// How many literal segments the route shares with `parts`, if it matches them
    /// (a `{parameter}` segment matches any non-empty one).
    fn literal_matches(&self, parts: &[&str]) -> Option<usize> {
        if self.parts.len() != parts.len() {
            return None;
        }
        let mut literal = 0;
        for (t, p) in self.parts.iter().zip(parts) {
            if t.starts_with('{') && t.ends_with('}') {
                if p.is_empty() {
                    return None;
                }
            } else if t == p {
                literal += 1;
            } else {
                return None;
            }
        }
        Some(literal)
    }
}

/// Every route and its methods: the OpenAPI document's paths, plus the web pages.
fn routes() -> &'static [Route] {
    static ROUTES: std::sync::OnceLock<Vec<Route>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        let mut out: Vec<Route> = ApiDoc::openapi()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, has)| has.then_some(m))
                .collect();
                Route::new(template, methods)
            })
            .collect();
        for page in [
            "/",
            "/docs",
            "/docs/{name}",
            "/explorer/{name}",
            "/explorer/vendor/{name}",
        ] {
            out.push(Route::new(page, vec!["GET", "HEAD"]));
        }
        out
    })
}

/// The route `path` belongs to: of those it matches, the one with the most literal
/// segments (`/api/v1/nodes/search` before `/api/v1/nodes/{id}`). Segment by segment,
/// without the router's regular expressions: the metrics middleware asks it of every
/// request before routing.
fn route_of(path: &str) -> Option<&'static Route> {
    let parts: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &'static Route)> = None;
    for route in routes() {
        if let Some(n) = route.literal_matches(&parts) {
            if best.is_none_or(|(m, _)| n > m) {
                best = Some((n, route));
            }
        }
    }
    best.map(|(_, route)| route)
}

/// The template of the route `path` belongs to (`/api/v1/nodes/{id}`), if it is one.
pub(crate) fn route_template(path: &str) -> Option<&'static str> {
    route_of(path).map(|route| route.template.as_str())
}

/// The methods of the route `path` belongs to, if it is one.
pub(crate) fn allowed(path: &str) -> Option<Vec<&'static str>> {
    route_of(path).map(|route| route.methods.clone())
}

/// Answers unknown routes with a problem: 405 with `Allow` when the path is a route
/// asked with a method it does not have, 404 otherwise.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    if allowed(req.path()).is_some() {
        return method_not_allowed(req).await;
    }
    actix_web::ResponseError::error_response(&ApiError::new(
        ProblemCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
        None,
    ))
}

/// Answers a known route asked with a method it does not have (RFC 9110: with `Allow`).
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let mut response = actix_web::ResponseError::error_response(&ApiError::new(
        ProblemCode::MethodNotAllowed,
        format!("{} does not answer {}", req.path(), req.method()),
        None,
    ));
    if let Some(methods) = allowed(req.path()) {
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&methods.join(", ")) {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use actix_web::{test, web, App};

    use crate::service::Service;

    #[actix_web::test]
    async fn paths_are_named_by_their_route_template() {
        for (path, template) in [
            ("/api/v1/nodes", Some("/api/v1/nodes")),
            ("/api/v1/nodes/city:ru:a", Some("/api/v1/nodes/{id}")),
            (
                "/api/v1/nodes/city:ru:a/neighbourhood",
                Some("/api/v1/nodes/{id}/neighbourhood"),
            ),
            ("/api/v1/paths/shortest", Some("/api/v1/paths/shortest")),
            (
                "/api/v1/centrality/pagerank",
                Some("/api/v1/centrality/{measure}"),
            ),
            ("/docs/index.css", Some("/docs/{name}")),
            ("/", Some("/")),
            ("/api/v1/nodes/", None),
            ("/api/v1/nodes/a/b", None),
            ("/api/v2/nodes", None),
        ] {
            assert_eq!(super::route_template(path), template, "{path}");
        }
        assert_eq!(
            super::allowed("/api/v1/links/x").as_deref(),
            Some(&["GET", "HEAD", "DELETE", "PATCH"][..])
        );
    }

    #[actix_web::test]
    async fn an_expensive_query_past_the_cap_is_a_503_with_retry_after() {
        let open = || Service::temporary().unwrap();
        let busy = test::init_service(
            App::new()
                .app_data(web::Data::new(open().with_max_heavy_queries(0)))
                .configure(super::configure),
        )
        .await;
        for uri in [
            "/api/v1/stats",
            "/api/v1/centrality/pagerank",
            "/api/v1/communities",
        ] {
            let response =
                test::call_service(&busy, test::TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(response.status(), 503, "{uri}");
            assert_eq!(response.headers().get("retry-after").unwrap(), "5");
        }
        let cheap = test::call_service(
            &busy,
            test::TestRequest::get()
                .uri("/api/v1/components")
                .to_request(),
        )
        .await;
        assert_eq!(cheap.status(), 200, "cheap questions are not capped");
        let free = test::init_service(
            App::new()
                .app_data(web::Data::new(open().with_max_heavy_queries(1)))
                .configure(super::configure),
        )
        .await;
        for _ in 0..3 {
            let response = test::call_service(
                &free,
                test::TestRequest::get().uri("/api/v1/stats").to_request(),
            )
            .await;
            assert_eq!(
                response.status(),
                200,
                "a slot is given back after each query"
            );
        }
    }
}
