//! `/api/v1/nodes`: cities, associations and states.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::{path_id, ValidJson, ValidQuery};
use super::page::{decode_cursor, limit, Page};
use super::problem::{ApiError, Problem, ProblemCode};
use super::{blocking, version};
use crate::model::{CountryCode, Node, NodeId, NodeKind};
use crate::service::NodeFilter;
use crate::service::{node_from_json, Change, Near, NodeQuery, Service, WriteSummary};

/// Filters, search and paging for the node list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NodeListParams {
    /// Only nodes of this kind.
    pub kind: Option<NodeKind>,
    /// Only nodes of this country (ISO 3166-1 alpha-2).
    #[param(example = "JP")]
    pub country: Option<String>,
    /// Search every name, in any script, ignoring case and accents: whole-name matches
    /// first, then word matches, then prefixes.
    #[param(example = "благовещенск")]
    pub q: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only these fields of each node, comma-separated (`id` always comes), e.g.
    /// `id,name,location` for a map.
    #[param(example = "id,name,country,location")]
    pub fields: Option<String>,
    /// Rank located nodes by great-circle distance from this point, `LAT,LON` in
    /// decimal degrees (latitude −90 to 90, longitude −180 to 180), nearest first; the
    /// page gives each node's distance in `distances_km`. Not with `q`.
    #[param(example = "43.115,131.885")]
    pub near: Option<String>,
    /// With `near`: only nodes within this many kilometres.
    #[param(exclusive_minimum = 0)]
    pub within_km: Option<f64>,
    /// With `near`: only the nearest this many nodes (after `kind` and `country`).
    #[param(minimum = 1)]
    pub nearest: Option<usize>,
}

/// `LAT,LON` in plain decimal degrees (what the OpenAPI pattern of `near` allows).
fn point(raw: &str) -> Result<crate::model::Location, ApiError> {
    let bad = |why: &str| {
        ApiError::new(
            ProblemCode::InvalidQuery,
            format!("near: `{raw}` {why} (give `LAT,LON` in decimal degrees, e.g. 43.115,131.885)"),
            Some("near".into()),
        )
    };
    let decimal = |part: &str| -> Option<f64> {
        let digits = part.strip_prefix('-').unwrap_or(part);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
        let digits_only = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        // No leading zeros ("07"): the document's pattern allows none.
        let leading_zero = whole.len() > 1 && whole.starts_with('0');
        let plain = digits_only(whole) && digits_only(fraction) && !leading_zero;
        plain.then(|| part.parse().ok()).flatten()
    };
    let (lat, lon) = raw
        .split_once(',')
        .ok_or_else(|| bad("is not two numbers"))?;
    let (Some(lat), Some(lon)) = (decimal(lat), decimal(lon)) else {
        return Err(bad("is not two plain decimal numbers"));
    };
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(bad("is out of range"));
    }
    Ok(crate::model::Location { lat, lon })
}

/// Field selection of a single node.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NodeFieldsParams {
    /// Only these fields, comma-separated (`id` always comes).
    #[param(example = "id,name,names")]
    pub fields: Option<String>,
}

/// A node as read: every field, or only those `fields=` asks for (`id` always comes).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // Describes responses; never built.
pub struct NodeFields {
    /// Stable id.
    #[schema(example = "city:ru:blagoveshchensk")]
    pub id: String,
    /// City, association or state.
    pub kind: Option<NodeKind>,
    /// Primary name.
    #[schema(example = "Blagoveshchensk")]
    pub name: Option<String>,
    /// Names by language tag.
    pub names: Option<std::collections::BTreeMap<String, String>>,
    /// ISO 3166-1 alpha-2 country code.
    #[schema(example = "RU")]
    pub country: Option<String>,
    /// Region, province or prefecture.
    pub region: Option<String>,
    /// Coordinates.
    pub location: Option<crate::model::Location>,
    /// Population.
    pub population: Option<u64>,
    /// Ids in other databases.
    pub external_ids: Option<std::collections::BTreeMap<String, String>>,
    /// Free-form tags.
    pub tags: Option<Vec<String>>,
    /// Free-form attributes.
    #[schema(value_type = Option<Object>)]
    pub attrs: Option<serde_json::Value>,
}

/// The fields of a node.
pub(crate) const NODE_FIELDS: [&str; 11] = [
    "id",
    "kind",
    "name",
    "names",
    "country",
    "region",
    "location",
    "population",
    "external_ids",
    "tags",
    "attrs",
];

/// The fields asked for, checked against the node's.
fn fields(raw: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let mut out = vec!["id".to_string()];
    for field in raw.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if !NODE_FIELDS.contains(&field) {
            return Err(ApiError::new(
                ProblemCode::InvalidQuery,
                format!(
                    "fields: `{field}` is not a node field ({})",
                    NODE_FIELDS.join(", ")
                ),
                Some("fields".into()),
            ));
        }
        if !out.iter().any(|f| f == field) {
            out.push(field.to_string());
        }
    }
    Ok(Some(out))
}

/// A node with only the chosen fields.
fn trimmed(node: &Node, keep: &[String]) -> Value {
    match serde_json::to_value(node) {
        Ok(Value::Object(map)) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| keep.iter().any(|f| f == k))
                .collect(),
        ),
        Ok(other) => other,
        Err(_) => Value::Null,
    }
}

/// Options of a node deletion.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteNodeParams {
    /// Also delete every link of the node (a trilateral link goes as a whole).
    pub cascade: Option<bool>,
}

impl NodeListParams {
    /// The listing asked for, and the fields to keep of each node (all when `None`).
    fn query(self) -> Result<(NodeQuery, Option<Vec<String>>), ApiError> {
        let country = self
            .country
            .as_deref()
            .map(|c| c.parse::<CountryCode>())
            .transpose()
            .map_err(|e| {
                ApiError::new(
                    ProblemCode::InvalidQuery,
                    format!("country: {e}"),
                    Some("country".into()),
                )
            })?;
        let keep = fields(self.fields.as_deref())?;
        let query = NodeQuery {
            filter: NodeFilter {
                kind: self.kind,
                country,
            },
            text: self.q,
            after: decode_cursor(self.cursor.as_deref())?,
            limit: limit(self.limit)?,
            near: self
                .near
                .as_deref()
                .map(point)
                .transpose()?
                .map(|from| Near {
                    from,
                    within_km: self.within_km,
                    nearest: self.nearest,
                }),
        };
        for (given, field) in [
            (self.within_km.is_some(), "within_km"),
            (self.nearest.is_some(), "nearest"),
        ] {
            if given && query.near.is_none() {
                return Err(ApiError::new(
                    ProblemCode::ConflictingParameters,
                    format!("{field}: only with `near`"),
                    Some(field.into()),
                ));
            }
        }
        if self
            .within_km
            .is_some_and(|km| !(km.is_finite() && km > 0.0))
        {
            return Err(ApiError::new(
                ProblemCode::InvalidQuery,
                "within_km: must be a positive number of kilometres",
                Some("within_km".into()),
            ));
        }
        if self.nearest == Some(0) {
            return Err(ApiError::new(
                ProblemCode::InvalidQuery,
                "nearest: must be at least 1",
                Some("nearest".into()),
            ));
        }
        Ok((query, keep))
    }
}

/// List or search nodes
///
/// Lists nodes in id order, filtered by kind and country; with `q`, searches names
/// instead (every name in `names` too), exact matches before prefix matches; with
/// `near`, ranks located nodes by great-circle distance from a point (a spatial index
/// kept in step with writes), nearest first, each with its distance in `distances_km`.
#[utoipa::path(get, path = "/api/v1/nodes", tag = "nodes", params(NodeListParams),
    responses(
        (status = 200, description = "A page of nodes (trimmed to `fields` when asked)", body = Page<NodeFields>),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`near` and `q` given together, or `within_km` or `nearest` without `near` (`conflicting_parameters`)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_nodes(
    service: web::Data<Service>,
    params: ValidQuery<NodeListParams>,
) -> Result<HttpResponse, ApiError> {
    let (query, keep) = params.0.query()?;
    let limit = query.limit;
    let at = service.version();
    let page = blocking(&service, move |s| s.list_nodes(&query)).await?;
    let distances = page.distances_km;
    match keep {
        None => Ok(version::json(
            StatusCode::OK,
            at,
            &Page::new(page.items, limit, page.next, at).with_distances(distances),
        )),
        Some(keep) => {
            let items: Vec<Value> = page.items.iter().map(|n| trimmed(n, &keep)).collect();
            Ok(version::json(
                StatusCode::OK,
                at,
                &Page::new(items, limit, page.next, at).with_distances(distances),
            ))
        }
    }
}

/// Create a node
///
/// Creates a city, association or state. Without an `id`, one is derived from kind,
/// country and name (`city:jp:niigata`). 409 if the id is taken.
#[utoipa::path(post, path = "/api/v1/nodes", tag = "nodes", request_body = Node,
    responses(
        (status = 201, description = "Created", body = Node),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_node(
    service: web::Data<Service>,
    caller: Caller,
    body: ValidJson<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let node = node_from_json(body.0)?;
    let id = node.id.clone();
    let read = id.clone();
    let (summary, node) = blocking(&service, move |s| {
        let summary = s.write_by(
            &caller.name,
            vec![(String::new(), Change::CreateNode(node))],
        )?;
        Ok((summary, s.get_node(&read)?))
    })
    .await?;
    Ok(respond_with_node(id, StatusCode::CREATED, &summary, node))
}

/// Get a node
///
/// One node with every field.
#[utoipa::path(get, path = "/api/v1/nodes/{id}", tag = "nodes",
    params(("id" = String, Path, description = "Node id", example = "city:ru:blagoveshchensk"), NodeFieldsParams),
    responses(
        (status = 200, description = "The node (trimmed to `fields` when asked)", body = NodeFields),
        (status = 400, description = "A malformed id or an unknown field", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_node(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<NodeFieldsParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let keep = fields(params.0.fields.as_deref())?;
    let at = service.version();
    let node = blocking(&service, move |s| s.find_node(&id)).await?;
    match keep {
        None => Ok(version::json(StatusCode::OK, at, &node)),
        Some(keep) => Ok(version::json(StatusCode::OK, at, &trimmed(&node, &keep))),
    }
}

/// Replace a node
///
/// Creates the node at this id, or replaces it whole. A body `id`, if given, must match the path.
#[utoipa::path(put, path = "/api/v1/nodes/{id}", tag = "nodes", request_body = Node,
    params(("id" = String, Path, description = "Node id", example = "city:ru:blagoveshchensk")),
    responses(
        (status = 200, description = "Replaced", body = Node),
        (status = 201, description = "Created", body = Node),
        (status = 400, description = "Malformed JSON or id", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_node(
    service: web::Data<Service>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let mut map = body.0;
    match map.get("id") {
        Some(Value::String(given)) if given != id.as_str() => {
            return Err(ApiError::new(
                ProblemCode::IdMismatch,
                format!("id: the body names `{given}`, the path `{id}`"),
                Some("id".into()),
            ))
        }
        Some(other) if !other.is_string() => {
            return Err(ApiError::new(
                ProblemCode::InvalidField,
                "id: must be a string (or left out: the path names the node)",
                Some("id".into()),
            ))
        }
        _ => {
            map.insert("id".into(), Value::String(id.to_string()));
        }
    }
    let node = node_from_json(map)?;
    let read = id.clone();
    let (summary, node) = blocking(&service, move |s| {
        let summary = s.write_by(&caller.name, vec![(String::new(), Change::PutNode(node))])?;
        Ok((summary, s.get_node(&read)?))
    })
    .await?;
    let status = if summary.created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(respond_with_node(id, status, &summary, node))
}

/// Patch a node
///
/// Applies a JSON merge patch (RFC 7396): fields given replace, `null` removes. The
/// result is validated as a whole; the id cannot change.
#[utoipa::path(patch, path = "/api/v1/nodes/{id}", tag = "nodes",
    request_body(content = Object, description = "A JSON merge patch", example = json!({"population": 225000})),
    params(("id" = String, Path, description = "Node id", example = "city:ru:blagoveshchensk")),
    responses(
        (status = 200, description = "Patched", body = Node),
        (status = 400, description = "Malformed JSON or id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The result breaks a rule", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn patch_node(
    service: web::Data<Service>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<Value>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let change = Change::PatchNode {
        id: id.clone(),
        patch: body.0,
    };
    let read = id.clone();
    let (summary, node) = blocking(&service, move |s| {
        let summary = s.write_by(&caller.name, vec![(String::new(), change)])?;
        Ok((summary, s.get_node(&read)?))
    })
    .await?;
    Ok(respond_with_node(id, StatusCode::OK, &summary, node))
}

/// Delete a node
///
/// Deletes a node. A node that still has links is refused with 409 unless
/// `cascade=true`, which deletes its links in the same write.
#[utoipa::path(delete, path = "/api/v1/nodes/{id}", tag = "nodes", params(("id" = String, Path, description = "Node id"), DeleteNodeParams),
    responses(
        (status = 200, description = "Deleted; lists what went", body = WriteSummary),
        (status = 400, description = "A bad id or parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The node has links", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_node(
    service: web::Data<Service>,
    caller: Caller,
    id: web::Path<String>,
    params: ValidQuery<DeleteNodeParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let cascade = params.0.cascade.unwrap_or(false);
    let summary = blocking(&service, move |s| {
        s.write_by(
            &caller.name,
            vec![(String::new(), Change::DeleteNode { id, cascade })],
        )
    })
    .await?;
    Ok(version::json(
        StatusCode::OK,
        summary.graph_version,
        &summary,
    ))
}

/// The answer to a write of one node: the node as stored (read right after the write,
/// in the same blocking call), the graph version, and `Location` when it was created.
fn respond_with_node(
    id: NodeId,
    status: StatusCode,
    summary: &WriteSummary,
    node: crate::model::Node,
) -> HttpResponse {
    let location = version::record_location("nodes", id.as_str());
    let mut builder = version::versioned(HttpResponse::build(status), summary.graph_version);
    if status == StatusCode::CREATED {
        builder.insert_header((header::LOCATION, location));
    }
    builder.json(node)
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/nodes")
            .default_service(web::to(super::method_not_allowed))
            .route(super::get().to(list_nodes))
            .route(web::post().to(create_node)),
    )
    .service(
        web::resource("/nodes/{id}")
            .default_service(web::to(super::method_not_allowed))
            .route(super::get().to(get_node))
            .route(web::put().to(put_node))
            .route(web::patch().to(patch_node))
            .route(web::delete().to(delete_node)),
    );
}
