//! `/api/v1/links`: agreements, memberships and locations.

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
use crate::model::{Evidence, Link, LinkId, LinkKind, LinkStatus, NodeId};
use crate::service::LinkFilter;
use crate::service::{link_from_json, Change, Service, WriteSummary};

/// Filters and paging for the link list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinkListParams {
    /// Only links of this kind.
    pub kind: Option<LinkKind>,
    /// Only links with this status.
    pub status: Option<LinkStatus>,
    /// Only links with this evidence: `stated` or `inferred`.
    pub evidence: Option<Evidence>,
    /// Only links that have this node as a member.
    #[param(example = "city:ru:blagoveshchensk")]
    pub node: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List links
///
/// Lists links filtered by kind, status, evidence and member node, each with its source.
/// With `node`, links come ordered by kind then id; otherwise by id.
#[utoipa::path(get, path = "/api/v1/links", tag = "links", params(LinkListParams),
    responses(
        (status = 200, description = "A page of links", body = Page<Link>),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The `node` does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_links(
    service: web::Data<Service>,
    params: ValidQuery<LinkListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let node = params.node.map(NodeId::new).transpose().map_err(|e| {
        ApiError::new(
            ProblemCode::InvalidQuery,
            format!("node: {e}"),
            Some("node".into()),
        )
    })?;
    let limit = limit(params.limit)?;
    let after = decode_cursor(params.cursor.as_deref())?;
    let filter = LinkFilter {
        kind: params.kind,
        status: params.status,
        evidence: params.evidence,
        node,
    };
    let at = service.version();
    let page = blocking(&service, move |s| {
        s.list_links(&filter, after.as_deref(), limit)
    })
    .await?;
    Ok(version::json(
        StatusCode::OK,
        at,
        &Page::new(page.items, limit, page.next, at),
    ))
}

/// Create a link
///
/// Creates a link. Members must exist, their number fit the kind (three for
/// `trilateral`), and no link of the same kind may join the same members. Without an
/// `id`, one is derived from kind and members.
#[utoipa::path(post, path = "/api/v1/links", tag = "links", request_body = Link,
    responses(
        (status = 201, description = "Created", body = Link),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken or the link duplicates another", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_link(
    service: web::Data<Service>,
    caller: Caller,
    body: ValidJson<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let link = link_from_json(body.0)?;
    let id = link.id.clone();
    // A created link is stored exactly as given: answer with it, not a read-back.
    let created = link.clone();
    let summary = blocking(&service, move |s| {
        s.write_by(
            &caller.name,
            vec![(String::new(), Change::CreateLink(link))],
        )
    })
    .await?;
    Ok(respond_with_link(
        id,
        StatusCode::CREATED,
        &summary,
        created,
    ))
}

/// Get a link
///
/// One link with its members, dates and source.
#[utoipa::path(get, path = "/api/v1/links/{id}", tag = "links",
    params(("id" = String, Path, description = "Link id", example = "twinning:city:cn:wudalianchi+city:ru:blagoveshchensk")),
    responses(
        (status = 200, description = "The link", body = Link),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_link(
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, LinkId::new)?;
    let at = service.version();
    let link = blocking(&service, move |s| s.find_link(&id)).await?;
    Ok(version::json(StatusCode::OK, at, &link))
}

/// Patch a link
///
/// Applies a JSON merge patch (RFC 7396) and validates the result as a whole.
#[utoipa::path(patch, path = "/api/v1/links/{id}", tag = "links",
    request_body(content = Object, description = "A JSON merge patch", example = json!({"status": "ended", "ended": "2022"})),
    params(("id" = String, Path, description = "Link id")),
    responses(
        (status = 200, description = "Patched", body = Link),
        (status = 400, description = "Malformed JSON or id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The result duplicates another link", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The result breaks a rule", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn patch_link(
    service: web::Data<Service>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<Value>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, LinkId::new)?;
    let change = Change::PatchLink {
        id: id.clone(),
        patch: body.0,
    };
    let read = id.clone();
    let (summary, link) = blocking(&service, move |s| {
        let summary = s.write_by(&caller.name, vec![(String::new(), change)])?;
        Ok((summary, s.get_link(&read)?))
    })
    .await?;
    Ok(respond_with_link(id, StatusCode::OK, &summary, link))
}

/// Delete a link
///
/// Deletes a link; a trilateral link goes as a whole.
#[utoipa::path(delete, path = "/api/v1/links/{id}", tag = "links", params(("id" = String, Path, description = "Link id")),
    responses(
        (status = 200, description = "Deleted", body = WriteSummary),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_link(
    service: web::Data<Service>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, LinkId::new)?;
    let summary = blocking(&service, move |s| {
        s.write_by(&caller.name, vec![(String::new(), Change::DeleteLink(id))])
    })
    .await?;
    Ok(version::json(
        StatusCode::OK,
        summary.graph_version,
        &summary,
    ))
}

/// The answer to a write of one link: the link as stored (read right after the write,
/// in the same blocking call), the graph version, and `Location` when it was created.
fn respond_with_link(
    id: LinkId,
    status: StatusCode,
    summary: &WriteSummary,
    link: crate::model::Link,
) -> HttpResponse {
    let location = version::record_location("links", id.as_str());
    let mut builder = version::versioned(HttpResponse::build(status), summary.graph_version);
    if status == StatusCode::CREATED {
        builder.insert_header((header::LOCATION, location));
    }
    builder.json(link)
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/links")
            .default_service(web::to(super::method_not_allowed))
            .route(super::get().to(list_links))
            .route(web::post().to(create_link)),
    )
    .service(
        web::resource("/links/{id}")
            .default_service(web::to(super::method_not_allowed))
            .route(super::get().to(get_link))
            .route(web::patch().to(patch_link))
            .route(web::delete().to(delete_link)),
    );
}
