//! `/api/v1/import`: the CLI's import formats over HTTP.

use actix_web::http::StatusCode;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::{RawBody, ValidQuery};
use super::problem::{internal, ApiError, Problem, ProblemCode};
use super::version;
use crate::model::LinkKind;
use crate::service::export::ImportFormat;
use crate::service::import::{self as import_records, open_items, ImportOptions, ReportFormat};
use crate::service::Service;

/// Options of an import.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// The format of the body (default `pobratim`).
    pub format: Option<ImportFormat>,
    /// Link kind of rows without a `kind` column (default `twinning`).
    pub kind: Option<LinkKind>,
    /// Validate and report, writing nothing.
    pub dry_run: Option<bool>,
    /// Import the good records and report the refused ones (default: all or nothing).
    pub skip_invalid: Option<bool>,
    /// `changes`: answer with the change report instead of the counts: every record of
    /// the file, in file order, as `create` (with the record), `update` (with each field
    /// that changes, before and after) or `unchanged`, against the store before the
    /// import. With `dry_run=true` it says what an import would do; a real import then
    /// applies exactly those changes.
    pub report: Option<ImportReportKind>,
    /// `report`: with `report=changes`, also list as `missing` the stored links of the
    /// datasets the file's links name (same `source.document`) that the file does not
    /// hold. They are reported, not deleted.
    pub missing: Option<MissingLinks>,
    /// How the change report is written (default `jsonl`): JSON lines
    /// (`application/x-ndjson`), or CSV with the columns
    /// `change,record,id,line,field,before,after`. Only with `report=changes`.
    pub report_format: Option<ReportFormat>,
}

/// What an import answers with beside its counts.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportReportKind {
    /// The change report.
    Changes,
}

/// What an import does with the links of its datasets that the file no longer holds.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MissingLinks {
    /// List them in the change report.
    Report,
}

/// A row that cannot be imported, or a file that cannot be read on.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowError {
    /// The file, when an import reads several.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub file: String,
    /// 1-based line (CSV: the header is line 1; XML: the element's line; JSON: the
    /// record's position in its array, from 1).
    pub line: u64,
    /// The column, attribute or field at fault.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// What an import did (or, on a dry run or a refusal, would have done).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Whether the records were written (false on a dry run and when refused).
    pub written: bool,
    /// Records read.
    pub records: u64,
    /// Records that did not exist.
    pub created: u64,
    /// Records that existed with different content.
    pub updated: u64,
    /// Records that existed with the same content (and rows repeating an earlier row).
    pub unchanged: u64,
    /// Refused records (skipped with `skip_invalid`; otherwise they stopped the import).
    pub refused: u64,
    /// The first refused records, in file order.
    pub errors: Vec<RowError>,
    /// Graph version after the import.
    pub graph_version: u64,
    /// Wall time, in seconds.
    pub seconds: f64,
}

impl From<import_records::ImportReport> for ImportReport {
    fn from(report: import_records::ImportReport) -> Self {
        Self {
            written: report.written,
            records: report.records,
            created: report.created,
            updated: report.updated,
            unchanged: report.unchanged,
            refused: report.refused,
            errors: report
                .errors
                .into_iter()
                .map(|e| RowError {
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    reason: e.reason,
                })
                .collect(),
            graph_version: report.graph_version,
            seconds: report.seconds,
        }
    }
}

/// Import records
///
/// Upserts every record of the body, in `format` (by id, or a node without one by kind,
/// name and country), all or nothing: a refused record is a 422 problem naming its line
/// and column, and nothing is written. `skip_invalid=true` imports the good records and
/// lists the refused ones; `dry_run=true` checks and counts without writing.
#[utoipa::path(post, path = "/api/v1/import", tag = "transfer", params(ImportParams),
    request_body(content = String, description = "The file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Imported (or checked); with `report=changes`, the change report as JSON lines or CSV (`report_format`)", content(
            (ImportReport = "application/json"),
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A bad parameter, or a body that cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 MiB (67,108,864 bytes); nothing written", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A record or the file is refused (nothing written), or `missing` or `report_format` without `report=changes`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn post_import(
    service: web::Data<Service>,
    caller: Caller,
    params: ValidQuery<ImportParams>,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let (params, body) = (params.0, body.0);
    let report_changes = params.report.is_some();
    for (given, field) in [
        (params.missing.is_some(), "missing"),
        (params.report_format.is_some(), "report_format"),
    ] {
        if given && !report_changes {
            return Err(ApiError::new(
                ProblemCode::ConflictingParameters,
                format!("{field}: only with report=changes"),
                Some(field.into()),
            ));
        }
    }
    let options = ImportOptions {
        dry_run: params.dry_run.unwrap_or(false),
        skip_invalid: params.skip_invalid.unwrap_or(false),
        report_changes,
        report_missing: params.missing.is_some(),
    };
    let report_format = params.report_format.unwrap_or(ReportFormat::Jsonl);
    let format = params.format.unwrap_or(ImportFormat::Pobratim);
    let kind = params.kind.unwrap_or(LinkKind::Twinning);
    let svc = service.into_inner();
    let report = web::block(move || -> Result<import_records::ImportReport, ApiError> {
        let input: Box<dyn std::io::Read> = Box::new(std::io::Cursor::new(body));
        let items = open_items(format, input, kind).map_err(|e| refusal(&e, 1))?;
        let report = svc.import_by(&caller.name, items, options, &mut |_| {})?;
        match report.errors.first() {
            Some(first) if !report.written && !options.dry_run || first.fatal => {
                Err(refusal(first, report.refused))
            }
            _ => Ok(report),
        }
    })
    .await
    .map_err(|e| internal(&e))??;
    let version = report.graph_version;
    if let Some(changes) = &report.changes {
        let mut body = Vec::with_capacity(changes.len() * 160);
        report_format
            .write(changes, &mut body)
            .map_err(|e| internal(&e))?;
        return Ok(version::versioned(HttpResponse::Ok(), version)
            .content_type(report_format.media_type())
            .body(body));
    }
    Ok(version::json(
        StatusCode::OK,
        version,
        &ImportReport::from(report),
    ))
}

fn refusal(first: &import_records::RowError, refused: u64) -> ApiError {
    ApiError::new(
        ProblemCode::InvalidField,
        format!("{first} ({refused} record(s) refused; nothing written)"),
        Some(first.column.clone()),
    )
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/import", web::post().to(post_import));
}
