//! Every response says which graph version it read: `ETag` and `X-Graph-Version`.

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

/// Header carrying the graph version a response was computed from.
pub const X_GRAPH_VERSION: &str = "x-graph-version";

/// The entity tag of a graph version.
pub fn etag(version: u64) -> String {
    format!("\"g{version}\"")
}

/// Adds the version headers to a response builder.
pub fn versioned(mut builder: HttpResponseBuilder, version: u64) -> HttpResponseBuilder {
    builder.insert_header((header::ETAG, etag(version)));
    builder.insert_header((
        HeaderName::from_static(X_GRAPH_VERSION),
        HeaderValue::from(version),
    ));
    builder
}

/// A JSON response with the version headers.
pub fn json(status: StatusCode, version: u64, body: &impl Serialize) -> HttpResponse {
    versioned(HttpResponse::build(status), version).json(body)
}
