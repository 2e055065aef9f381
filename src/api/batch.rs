//! `/api/v1/batch`: many changes in one validated, atomic write.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::ValidJson;
use super::problem::{ApiError, Problem};
use super::{blocking, version};
use crate::model::{LinkId, NodeId};
use crate::service::{link_from_json, node_from_json, Change, Service, WriteSummary};

/// Largest number of operations in one batch.
pub const MAX_OPERATIONS: usize = 100_000;

/// One operation of a batch, tagged by `op`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum BatchOperation {
    /// Create a node (409 if its id exists).
    CreateNode {
        /// The node.
        #[schema(value_type = crate::model::Node)]
        node: Map<String, Value>,
    },
    /// Create or replace a node.
    PutNode {
        /// The node.
        #[schema(value_type = crate::model::Node)]
        node: Map<String, Value>,
    },
    /// Merge-patch a node.
    PatchNode {
        /// Node id.
        #[schema(value_type = String)]
        id: NodeId,
        /// JSON merge patch.
        #[schema(value_type = Object)]
        patch: Value,
    },
    /// Delete a node.
    DeleteNode {
        /// Node id.
        #[schema(value_type = String)]
        id: NodeId,
        /// Also delete its links.
        #[serde(default)]
        cascade: bool,
    },
    /// Create a link (409 if its id exists or it duplicates another).
    CreateLink {
        /// The link.
        #[schema(value_type = crate::model::Link)]
        link: Map<String, Value>,
    },
    /// Create or replace a link.
    PutLink {
        /// The link.
        #[schema(value_type = crate::model::Link)]
        link: Map<String, Value>,
    },
    /// Merge-patch a link.
    PatchLink {
        /// Link id.
        #[schema(value_type = String)]
        id: LinkId,
        /// JSON merge patch.
        #[schema(value_type = Object)]
        patch: Value,
    },
    /// Delete a link.
    DeleteLink {
        /// Link id.
        #[schema(value_type = String)]
        id: LinkId,
    },
}

/// A batch of operations, applied in order, all or nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"operations": [
    {"op": "create_node", "node": {"kind": "city", "name": "Maizuru", "country": "JP"}},
    {"op": "create_link", "link": {"kind": "friendship", "members": ["city:jp:maizuru", "city:ru:nakhodka"]}}
]}))]
pub struct BatchRequest {
    /// The operations.
    pub operations: Vec<BatchOperation>,
}

fn into_change(index: usize, op: BatchOperation) -> Result<(String, Change), ApiError> {
    let at = format!("operations[{index}]");
    let change = match op {
        BatchOperation::CreateNode { node } => {
            Change::CreateNode(node_from_json(node).map_err(|e| e.within(&format!("{at}.node")))?)
        }
        BatchOperation::PutNode { node } => {
            Change::PutNode(node_from_json(node).map_err(|e| e.within(&format!("{at}.node")))?)
        }
        BatchOperation::PatchNode { id, patch } => Change::PatchNode { id, patch },
        BatchOperation::DeleteNode { id, cascade } => Change::DeleteNode { id, cascade },
        BatchOperation::CreateLink { link } => {
            Change::CreateLink(link_from_json(link).map_err(|e| e.within(&format!("{at}.link")))?)
        }
        BatchOperation::PutLink { link } => {
            Change::PutLink(link_from_json(link).map_err(|e| e.within(&format!("{at}.link")))?)
        }
        BatchOperation::PatchLink { id, patch } => Change::PatchLink { id, patch },
        BatchOperation::DeleteLink { id } => Change::DeleteLink(id),
    };
    let path = match &change {
        Change::CreateNode(_) | Change::PutNode(_) => format!("{at}.node"),
        Change::CreateLink(_) | Change::PutLink(_) => format!("{at}.link"),
        _ => at,
    };
    Ok((path, change))
}

/// Apply a batch
///
/// Applies every operation in order as one atomic, durable write: if any operation is
/// refused, nothing is written, and the problem names the operation and field
/// (`operations[3].link.members[1]`).
#[utoipa::path(post, path = "/api/v1/batch", tag = "batch", request_body = BatchRequest,
    responses(
        (status = 200, description = "Applied", body = WriteSummary),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "An operation names a record that does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An operation conflicts", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An operation breaks a rule", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn apply_batch(
    service: web::Data<Service>,
    caller: Caller,
    body: ValidJson<BatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let operations = body.0.operations;
    if operations.len() > MAX_OPERATIONS {
        return Err(ApiError::new(
            super::problem::ProblemCode::PayloadTooLarge,
            format!("a batch holds at most {MAX_OPERATIONS} operations"),
            Some("operations".into()),
        ));
    }
    let changes = operations
        .into_iter()
        .enumerate()
        .map(|(i, op)| into_change(i, op))
        .collect::<Result<Vec<_>, _>>()?;
    let summary = blocking(&service, move |s| s.write_by(&caller.name, changes)).await?;
    Ok(version::json(
        StatusCode::OK,
        summary.graph_version,
        &summary,
    ))
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/batch")
            .default_service(web::to(super::method_not_allowed))
            .route(web::post().to(apply_batch)),
    );
}
