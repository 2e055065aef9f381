//! `/api/v1/export` and `/api/v1/import`: the CLI's formats over HTTP.

use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ValidQuery;
use super::filters::graph_params;
use super::problem::{internal, ApiError, Problem, ProblemCode};
use super::version;
use crate::io::export::{self, Selection};
use crate::io::native::ImportError;
use crate::model::LinkKind;
use crate::service::{Service, WriteSummary};

/// Export formats.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// pobratim's own JSON (every record; filters do not apply).
    Pobratim,
    /// NetworkX node-link JSON.
    NodeLink,
    /// GraphML.
    Graphml,
    /// GEXF 1.3 with link dates as spells.
    Gexf,
    /// GeoJSON (RFC 7946).
    Geojson,
}

graph_params! {
    /// Format and filters of an export.
    pub struct ExportParams {
        /// The format (default `pobratim`).
        pub format: Option<ExportFormat>,
    }
}

/// Import formats.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    /// pobratim's own JSON.
    Pobratim,
    /// NetworkX node-link JSON.
    NodeLink,
    /// Links-only CSV naming cities by name and country.
    EdgeList,
}

/// Options of an import.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// The format of the body (default `pobratim`).
    pub format: Option<ImportFormat>,
    /// Link kind of edge-list rows without a `kind` column (default `twinning`).
    pub kind: Option<LinkKind>,
    /// Validate and report, writing nothing.
    pub dry_run: Option<bool>,
}

/// What an import did (or would do, on a dry run).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Records read.
    pub rows: u64,
    /// The write's outcome.
    pub summary: WriteSummary,
}

fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Invalid(v) => v.into(),
        ImportError::Service(s) => s.into(),
        ImportError::Io(io) => internal(&io),
    }
}

/// Export the network
///
/// The network in `format`, filtered like graph questions (graph formats default to
/// every link kind and status here).
#[utoipa::path(get, path = "/api/v1/export", tag = "transfer", params(ExportParams),
    responses(
        (status = 200, description = "The export", content_type = "application/octet-stream"),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_export(
    service: web::Data<Service>,
    params: ValidQuery<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let filter = crate::api::filters::parse_filter(
        Some(params.kinds.as_deref().unwrap_or("all")),
        Some(params.status.as_deref().unwrap_or("any")),
        params.node_kinds.as_deref(),
        params.as_of.as_deref(),
        params.undated,
    )?;
    let format = params.format.unwrap_or(ExportFormat::Pobratim);
    let at = service.version();
    let svc = service.into_inner();
    let body = web::block(move || -> Result<Vec<u8>, crate::io::native::ExportError> {
        let mut out = Vec::new();
        match format {
            ExportFormat::Pobratim => crate::io::native::export(svc.store(), &mut out)?,
            ExportFormat::NodeLink => {
                export::node_link(&Selection::read(svc.store(), &filter)?, &mut out)?
            }
            ExportFormat::Graphml => {
                export::graphml(&Selection::read(svc.store(), &filter)?, &mut out)?
            }
            ExportFormat::Gexf => export::gexf(&Selection::read(svc.store(), &filter)?, &mut out)?,
            ExportFormat::Geojson => {
                export::geojson(&Selection::read(svc.store(), &filter)?, &mut out)?
            }
        }
        Ok(out)
    })
    .await
    .map_err(|e| internal(&e))?
    .map_err(|e| internal(&e))?;
    let (media, extension) = match format {
        ExportFormat::Pobratim => ("application/json", "pobratim.json"),
        ExportFormat::NodeLink => ("application/json", "node-link.json"),
        ExportFormat::Graphml => ("application/graphml+xml", "graphml"),
        ExportFormat::Gexf => ("application/gexf+xml", "gexf"),
        ExportFormat::Geojson => ("application/geo+json", "geojson"),
    };
    Ok(version::versioned(HttpResponse::build(StatusCode::OK), at)
        .insert_header((header::CONTENT_TYPE, media))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"network.{extension}\""),
        ))
        .body(body))
}

/// Import records
///
/// Upserts every record of the body, in `format`, all or nothing (`dry_run=true`
/// validates and reports without writing); a refused record is a problem naming it.
#[utoipa::path(post, path = "/api/v1/import", tag = "transfer", params(ImportParams),
    request_body(content = String, description = "The file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Imported (or checked)", body = ImportReport),
        (status = 400, description = "Unreadable input", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A record conflicts", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A record breaks a rule", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn post_import(
    service: web::Data<Service>,
    params: ValidQuery<ImportParams>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let dry_run = params.dry_run.unwrap_or(false);
    let svc = service.into_inner();
    let report = web::block(move || -> Result<ImportReport, ApiError> {
        let (changes, rows) = match params.format.unwrap_or(ImportFormat::Pobratim) {
            ImportFormat::Pobratim => {
                let doc = crate::io::native::parse(&body).map_err(import_error)?;
                let rows = (doc.nodes.len() + doc.links.len()) as u64;
                (crate::io::native::changes(doc).map_err(import_error)?, rows)
            }
            ImportFormat::NodeLink => {
                let changes = crate::io::node_link::read(&body).map_err(import_error)?;
                let rows = changes.len() as u64;
                (changes, rows)
            }
            ImportFormat::EdgeList => {
                let list = crate::io::edgelist::read(
                    body.as_ref(),
                    params.kind.unwrap_or(LinkKind::Twinning),
                )
                .map_err(|e| {
                    ApiError::new(
                        ProblemCode::MalformedJson,
                        format!("cannot read the CSV: {e}"),
                        None,
                    )
                })?;
                if let Some(first) = list.errors.first() {
                    return Err(ApiError::new(
                        ProblemCode::InvalidField,
                        format!("{first} ({} rows refused)", list.errors.len()),
                        Some(first.column.clone()),
                    ));
                }
                (list.changes, list.rows)
            }
        };
        let summary = if dry_run {
            svc.dry_run(changes)?
        } else {
            svc.write(changes)?
        };
        Ok(ImportReport {
            dry_run,
            rows,
            summary,
        })
    })
    .await
    .map_err(|e| internal(&e))??;
    Ok(version::json(
        StatusCode::OK,
        report.summary.graph_version,
        &report,
    ))
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/export", web::get().to(get_export))
        .route("/import", web::post().to(post_import));
}
