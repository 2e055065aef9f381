//! The change log over HTTP: every committed write since a graph version, and the
//! history of one node or link. Needs a `write` (or `admin`) token.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{path_id, ValidQuery};
use super::page::MAX_LIMIT;
use super::problem::{ApiError, Problem};
use super::{blocking, version};
use crate::model::{LinkId, NodeId};
use crate::service::upkeep::{ChangeEntry, RecordType};
use crate::service::Service;

/// Entries per page when no `limit` is given.
const DEFAULT_CHANGES: usize = 100;

/// Which changes to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// Only changes after this graph version (default 0: from the start). Pass the
    /// previous page's `next_since` to go on, or the `X-Graph-Version` a dashboard last
    /// read to poll for what changed since.
    #[param(minimum = 0)]
    pub since: Option<u64>,
    /// Entries per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// A page of the change log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangesPage {
    /// Change entries, oldest first.
    pub items: Vec<ChangeEntry>,
    /// Pass as `since` for the next page (the last version listed, or `since` itself
    /// when the page is empty).
    pub next_since: u64,
    /// Whether more entries follow this page.
    pub more: bool,
    /// The current graph version.
    pub graph_version: u64,
}

fn window(params: &ChangesParams) -> Result<(u64, usize), ApiError> {
    let limit = super::page::limit_within(params.limit, DEFAULT_CHANGES, MAX_LIMIT)?;
    Ok((params.since.unwrap_or(0), limit))
}

fn page(mut items: Vec<ChangeEntry>, since: u64, limit: usize, at: u64) -> ChangesPage {
    let more = items.len() > limit;
    items.truncate(limit);
    ChangesPage {
        next_since: items.last().map_or(since, |e| e.version),
        items,
        more,
        graph_version: at,
    }
}

/// List changes
///
/// Every committed change after `since`, oldest first: who (the token's name), when,
/// and for each record its state before and after. An import is one entry with counts.
#[utoipa::path(get, path = "/api/v1/changes", tag = "changes", params(ChangesParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the change log", body = ChangesPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_changes(
    service: web::Data<Service>,
    params: ValidQuery<ChangesParams>,
) -> Result<HttpResponse, ApiError> {
    let (since, limit) = window(&params.0)?;
    let at = service.version();
    let items = blocking(&service, move |s| {
        Ok(s.upkeep().changes_since(since, limit + 1)?)
    })
    .await?;
    Ok(version::json(
        StatusCode::OK,
        at,
        &page(items, since, limit, at),
    ))
}

/// History of a node
///
/// The changes that touched this node, oldest first, each with its state before and
/// after. 404 when the node does not exist and never did.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/history", tag = "changes",
    params(("id" = String, Path, description = "Node id", example = "city:ru:blagoveshchensk"), ChangesParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The node's changes", body = ChangesPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node, ever", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn node_history(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<ChangesParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    history(service, RecordType::Node, id.to_string(), params.0).await
}

/// History of a link
///
/// The changes that touched this link, oldest first. 404 when it does not exist and
/// never did.
#[utoipa::path(get, path = "/api/v1/links/{id}/history", tag = "changes",
    params(("id" = String, Path, description = "Link id"), ChangesParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The link's changes", body = ChangesPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link, ever", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn link_history(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<ChangesParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, LinkId::new)?;
    history(service, RecordType::Link, id.to_string(), params.0).await
}

/// One record's page of history; 404 when it has none and does not exist.
async fn history(
    service: web::Data<Service>,
    record: RecordType,
    id: String,
    params: ChangesParams,
) -> Result<HttpResponse, ApiError> {
    let (since, limit) = window(&params)?;
    let at = service.version();
    let items = blocking(&service, move |s| s.history(record, &id, since, limit + 1)).await?;
    Ok(version::json(
        StatusCode::OK,
        at,
        &page(items, since, limit, at),
    ))
}

/// Registers the change-log routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, handler) in [
        ("/changes", super::get().to(list_changes)),
        ("/nodes/{id}/history", super::get().to(node_history)),
        ("/links/{id}/history", super::get().to(link_history)),
    ] {
        cfg.service(
            web::resource(path)
                .default_service(web::to(super::method_not_allowed))
                .route(handler),
        );
    }
}
