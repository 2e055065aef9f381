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

/// Bytes reserved for a JSON answer whose size is not known ahead.
pub(crate) const DEFAULT_JSON_CAPACITY: usize = 1024;

/// A JSON response with the version headers.
pub fn json(status: StatusCode, version: u64, body: &impl Serialize) -> HttpResponse {
    json_sized(status, version, body, DEFAULT_JSON_CAPACITY)
}

/// As [`json`], written into a buffer of `capacity` bytes from the start: answers
/// of many records (an ego network is ~25 KB on average at 1M, 170 KB at its cap)
/// otherwise grow their buffer a dozen times, copying it each time.
pub fn json_sized(
    status: StatusCode,
    version: u64,
    body: &impl Serialize,
    capacity: usize,
) -> HttpResponse {
    match to_json(body, capacity) {
        Ok(out) => json_written(status, version, out.into()),
        Err(e) => HttpResponse::from_error(actix_web::error::JsonPayloadError::Serialize(e)),
    }
}

/// `body` as JSON, written into a buffer of `capacity` bytes from the start.
pub fn to_json(body: &impl Serialize, capacity: usize) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut out, body).map(|()| out)
}

/// A response of JSON written already, with the version headers.
pub fn json_written(status: StatusCode, version: u64, body: actix_web::web::Bytes) -> HttpResponse {
    versioned(HttpResponse::build(status), version)
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// Answers `304 Not Modified` to a `GET` or `HEAD` under `/api/` whose `If-None-Match`
/// names the current graph version: every read there is computed from that version,
/// so a client's cached answer is still the answer. Other requests pass through.
pub async fn not_modified(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    use actix_web::http::Method;
    let current = req
        .app_data::<actix_web::web::Data<crate::service::Service>>()
        .map(|s| s.version());
    let fresh = match (
        current,
        req.headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok()),
    ) {
        (Some(version), Some(tags))
            if matches!(*req.method(), Method::GET | Method::HEAD)
                && req.path().starts_with("/api/") =>
        {
            let tag = etag(version);
            tags.split(',')
                .map(str::trim)
                .any(|t| t == tag || t == "*" || t.strip_prefix("W/") == Some(tag.as_str()))
        }
        _ => false,
    };
    match (fresh, current) {
        (true, Some(version)) => {
            let (req, _) = req.into_parts();
            let response =
                versioned(HttpResponse::build(StatusCode::NOT_MODIFIED), version).finish();
            Ok(actix_web::dev::ServiceResponse::new(req, response).map_into_right_body())
        }
        _ => next.call(req).await.map(|r| r.map_into_left_body()),
    }
}

/// Characters a `Location` path segment keeps as they are: RFC 3986's `pchar` less the
/// sub-delimiters ids never use; every other byte (non-ASCII text above all: a header is
/// ASCII) is percent-encoded.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'@')
    .remove(b'+')
    .remove(b'!');

/// The address of a record, `/api/v1/<collection>/<id>`, with the id percent-encoded
/// as one path segment (UTF-8), as a `Location` header must carry it.
pub fn record_location(collection: &str, id: &str) -> String {
    format!(
        "/api/v1/{collection}/{}",
        percent_encoding::utf8_percent_encode(id, SEGMENT)
    )
}
