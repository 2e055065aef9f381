//! `/api/v1/sources`: the documents links cite, for a full citation of a link's
//! `source.document`.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::{ApiError, Problem};
use super::version;
use crate::service::sources::SourceDocument;
use crate::service::Service;

/// A document links cite.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitedDocument {
    /// The key links name it by (`source.document`).
    #[schema(example = "blagoveshchensk-international-relations-2011")]
    pub key: String,
    /// The file of the project's shared seed texts it was read from.
    pub file: String,
    /// Its title, in its own language.
    pub title: String,
    /// Its title in English.
    pub title_en: String,
    /// Who issued it.
    pub issuer: String,
    /// When: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: String,
    /// Its language (BCP 47).
    pub language: String,
    /// Where it can be read, where the document names an address.
    pub url: Option<String>,
}

impl From<SourceDocument> for CitedDocument {
    fn from(s: SourceDocument) -> Self {
        Self {
            key: s.key,
            file: s.file,
            title: s.title,
            title_en: s.title_en,
            issuer: s.issuer,
            date: s.date,
            language: s.language,
            url: s.url,
        }
    }
}

/// Every cited document.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitedDocuments {
    /// The documents, in key order.
    pub items: Vec<CitedDocument>,
}

/// List cited documents
///
/// The documents the seed network's links cite, each with its title, issuing body,
/// date, language and address where it names one.
#[utoipa::path(get, path = "/api/v1/sources", tag = "nodes",
    responses((status = 200, description = "The documents", body = CitedDocuments)))]
pub async fn list_sources(service: web::Data<Service>) -> Result<HttpResponse, ApiError> {
    let items = service
        .sources()?
        .into_iter()
        .map(CitedDocument::from)
        .collect();
    let list = CitedDocuments { items };
    Ok(version::json(
        actix_web::http::StatusCode::OK,
        service.version(),
        &list,
    ))
}

/// Get a cited document
///
/// The document a link's `source.document` names.
#[utoipa::path(get, path = "/api/v1/sources/{key}", tag = "nodes",
    params(("key" = String, Path, description = "The document's key", example = "mayors-meeting-communique-2019")),
    responses(
        (status = 200, description = "The document", body = CitedDocument),
        (status = 404, description = "No document has this key", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_source(
    service: web::Data<Service>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let source = CitedDocument::from(service.source(&key)?);
    Ok(version::json(
        actix_web::http::StatusCode::OK,
        service.version(),
        &source,
    ))
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sources", super::get().to(list_sources))
        .route("/sources/{key}", super::get().to(get_source));
}
