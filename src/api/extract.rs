//! Extractors that turn bad requests into problems naming the field at fault.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::problem::{ApiError, ProblemCode};
use crate::model::json_nesting::deeper_than;
use crate::model::validate::classify;

/// Largest JSON body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// A JSON body: 415 for another media type, 400 for malformed JSON, 422 for the wrong shape.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media_ok = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !media_ok {
                return Err(ApiError::new(
                    ProblemCode::UnsupportedMediaType,
                    "send the body as application/json",
                    Some("content-type".into()),
                ));
            }
            let bytes = body
                .await
                .map_err(|e| body_error(e, ProblemCode::MalformedJson))?;
            parse_json(&bytes).map(ValidJson)
        })
    }
}

/// A body read whole as bytes (imports): past [`MAX_BODY_BYTES`] a 413 problem, a body
/// that cannot be read (cut short, badly encoded) a 400 problem.
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            body.await
                .map(RawBody)
                .map_err(|e| body_error(e, ProblemCode::UnreadableBody))
        })
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence == "application/merge-patch+json"
        || essence.ends_with("+json")
}

/// The problem a body that could not be read becomes: 413 past the cap, `unreadable`
/// otherwise.
fn body_error(e: actix_web::Error, unreadable: ProblemCode) -> ApiError {
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::new(
            ProblemCode::PayloadTooLarge,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            None,
        ),
        _ => {
            let too_large = e.as_response_error().status_code()
                == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE;
            if too_large {
                ApiError::new(
                    ProblemCode::PayloadTooLarge,
                    format!("the body is larger than {MAX_BODY_BYTES} bytes"),
                    None,
                )
            } else {
                ApiError::new(unreadable, format!("cannot read the body: {e}"), None)
            }
        }
    }
}

/// The request body encodings the server decodes (`Content-Encoding`, one of them).
pub const BODY_ENCODINGS: [&str; 5] = ["identity", "gzip", "x-gzip", "deflate", "br"];

/// Middleware: a body whose `Content-Encoding` the server cannot decode (an unknown
/// one, or a list of several) is refused with 415 rather than read as it is.
pub async fn refuse_unknown_encoding(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let encoding = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("").trim().to_ascii_lowercase());
    if let Some(encoding) = encoding.filter(|e| !BODY_ENCODINGS.contains(&e.as_str())) {
        let shown: String = encoding.chars().take(40).collect();
        let refusal = ApiError::new(
            ProblemCode::UnsupportedMediaType,
            format!(
                "cannot decode a body with Content-Encoding `{shown}`: send one of {}",
                BODY_ENCODINGS.join(", ")
            ),
            Some("content-encoding".into()),
        );
        return Ok(req.error_response(refusal));
    }
    next.call(req)
        .await
        .map(actix_web::dev::ServiceResponse::map_into_boxed_body)
}

/// Deepest nesting of arrays and objects accepted in a JSON body.
pub const MAX_JSON_DEPTH: usize = 64;

/// Parses JSON text: syntax errors are 400, nesting deeper than [`MAX_JSON_DEPTH`] 400,
/// shape errors and a key repeated in an object 422 with the field path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(at) = deeper_than(bytes, MAX_JSON_DEPTH) {
        return Err(ApiError::new(
            ProblemCode::JsonTooDeep,
            format!(
                "the body nests arrays and objects more than {MAX_JSON_DEPTH} deep (at byte {at})"
            ),
            None,
        ));
    }
    if let Some(path) = crate::service::duplicate_key(bytes) {
        return Err(ApiError::from(crate::model::ValidationError::new(
            path.clone(),
            crate::model::Violation::InvalidValue,
            crate::service::duplicate_key_detail(&path),
        )));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            ApiError::from(classify(
                if path == "." { String::new() } else { path },
                inner.to_string(),
            ))
        } else {
            ApiError::new(
                ProblemCode::MalformedJson,
                format!("the body is not valid JSON: {inner}"),
                None,
            )
        }
    })?;
    de.end().map_err(|e| {
        ApiError::new(
            ProblemCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
            None,
        )
    })?;
    Ok(value)
}

/// Query parameters: 400 naming the parameter at fault.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ValidQuery))
    }
}

/// Parses a query string with field paths.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    // An empty parameter (`?country=`, as an HTML form sends an empty field) is one left
    // out; the OpenAPI document says so.
    let given: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(_, value)| !value.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let kept = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&given)
        .finish();
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(kept.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let mut message = e.inner().to_string();
        // The number parsers' own words ("invalid digit found in string") say what is
        // wrong with the text, not what the parameter takes.
        if message.contains("invalid digit") || message.contains("number too large") {
            message =
                format!("`{path}` must be a whole number, 0 or more (see the parameter's range)");
        } else if message.contains("invalid float literal") {
            message = format!("`{path}` must be a number");
        } else if message.contains("provided string was not `true` or `false`") {
            message = format!("`{path}` must be `true` or `false`");
        }
        let field = if path == "." {
            message.split('`').nth(1).map(str::to_string)
        } else {
            Some(path)
        };
        let detail = match &field {
            Some(f) => format!("{f}: {message}"),
            None => message,
        };
        ApiError::new(ProblemCode::InvalidQuery, detail, field)
    })
}

/// A path segment naming a node or link id, validated.
pub fn path_id<T>(
    raw: &str,
    parse: impl Fn(String) -> Result<T, crate::model::id::IdError>,
) -> Result<T, ApiError> {
    parse(raw.to_string()).map_err(|e| {
        ApiError::new(
            ProblemCode::InvalidPath,
            format!("id: {e}"),
            Some("id".into()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_nested_too_deep_is_refused_before_parsing() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        let err = parse_json::<serde_json::Value>(deep.as_bytes()).unwrap_err();
        assert_eq!(err.code, ProblemCode::JsonTooDeep);
    }
}
