//! Operational endpoints: health, metrics and the OpenAPI document.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::version;
use crate::service::Service;

/// Health and size of the running service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the service answers.
    #[schema(example = "ok")]
    pub status: String,
    /// Current graph version.
    pub graph_version: u64,
    /// Nodes in the graph.
    pub nodes: usize,
    /// Links in the graph.
    pub links: usize,
}

/// Health check
///
/// Answers 200 while the service runs, with the graph's version and size.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "Healthy", body = Health)))]
pub async fn healthz(service: web::Data<Service>) -> HttpResponse {
    let graph = service.snapshot();
    let health = Health {
        status: "ok".into(),
        graph_version: graph.version(),
        nodes: graph.node_count(),
        links: graph.link_count(),
    };
    version::json(StatusCode::OK, graph.version(), &health)
}

/// OpenAPI document
///
/// This API's OpenAPI 3.1 document, generated from the code.
#[utoipa::path(get, path = "/openapi.json", tag = "ops", responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(super::contract::document())
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", super::get().to(healthz))
        .route("/openapi.json", super::get().to(openapi_json))
        .route("/metrics", super::get().to(super::metrics::get_metrics));
}
