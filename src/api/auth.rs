//! Access control: which requests need a token, checking it, and the per-token write
//! rate. Writes need a `write` token, the change log too, `/api/v1/admin/` an `admin`
//! token; reads are open unless the server runs `--private`. Answers are 401 (no or
//! unknown token, with `WWW-Authenticate: Bearer`), 403 (too small a scope) and 429
//! (write rate exceeded, with `Retry-After`), all problem documents.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::limit::WriteLimiter;
use super::problem::{ApiError, ProblemCode};
use crate::service::upkeep::Scope;
use crate::service::Service;

/// How the server guards its API.
#[derive(Debug)]
pub struct AccessPolicy {
    /// Reads need a `read` token too.
    pub private: bool,
    /// Writes per second per token.
    pub limiter: WriteLimiter,
}

impl AccessPolicy {
    /// A policy; `write_rate` is writes per second per token (0: no limit).
    pub fn new(private: bool, write_rate: f64) -> Self {
        Self {
            private,
            limiter: WriteLimiter::new(write_rate),
        }
    }
}

/// Who is asking: the token's name and scope, put in the request by [`guard`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's name (the author of the changes it makes).
    pub name: String,
    /// What the token allows.
    pub scope: Scope,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<Caller>().cloned().ok_or_else(|| {
            ApiError::new(
                ProblemCode::Unauthorized,
                "this request needs a bearer token",
                Some("authorization".into()),
            )
        }))
    }
}

/// The scope a request needs, if any. A method the route does not answer, or a path
/// that is no route, needs none: it is answered 405 or 404 whoever asks.
/// The change log and a record's change history (`/api/v1/nodes/{id}/history`,
/// `/api/v1/links/{id}/history`) say who wrote what: a write token reads them. The
/// histories of graph questions (`…/centrality/history`) are reads like any other.
fn is_change_log(path: &str) -> bool {
    if path == "/api/v1/changes" {
        return true;
    }
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    matches!(parts.as_slice(), ["nodes" | "links", _, "history"])
}

fn required_scope(method: &Method, path: &str, private: bool) -> Option<Scope> {
    let answered = super::allowed(path).is_some_and(|methods| {
        methods.contains(&method.as_str()) || (*method == Method::HEAD && methods.contains(&"GET"))
    });
    if !answered {
        return None;
    }
    let api = path.starts_with("/api/") || path == "/metrics";
    if path.starts_with("/api/v1/admin/") {
        return Some(Scope::Admin);
    }
    if is_change_log(path) {
        return Some(Scope::Write);
    }
    let reading = matches!(*method, Method::GET | Method::HEAD);
    match (api, reading) {
        (true, false) => Some(Scope::Write),
        (true, true) if private => Some(Scope::Read),
        _ => None,
    }
}

/// Middleware: checks the bearer token against what the request needs and the write
/// rate of the token; records the caller for the handlers.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (Some(service), Some(policy)) = (
        req.app_data::<web::Data<Service>>().cloned(),
        req.app_data::<web::Data<AccessPolicy>>().cloned(),
    ) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // A refusal is answered here as a response, not returned as an error: the metrics
    // and the access log outside count and log responses only.
    let caller = match admit(&req, &service, &policy).await {
        Ok(caller) => caller,
        Err(refusal) => return Ok(req.error_response(refusal)),
    };
    if let Some(caller) = caller {
        req.extensions_mut().insert(caller);
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// Who the request comes from, or why it is refused (401, 403, 429).
async fn admit(
    req: &ServiceRequest,
    service: &web::Data<Service>,
    policy: &AccessPolicy,
) -> Result<Option<Caller>, actix_web::Error> {
    let needed = required_scope(req.method(), req.path(), policy.private);
    let presented = bearer(req.request());
    let caller = match presented {
        Some(Ok(token)) => {
            // A token seen before is checked from memory, on this worker; the first
            // use of one reads the store off the worker.
            let found = match service.upkeep().authenticate_in_memory(token) {
                Some(found) => found,
                None => {
                    let (token, service) = (token.to_string(), service.clone());
                    web::block(move || service.upkeep().authenticate(&token))
                        .await
                        .map_err(|e| super::problem::internal(&e))?
                        .map_err(ApiError::from)?
                }
            };
            match found {
                Some(record) => Some(Caller {
                    name: record.name,
                    scope: record.scope,
                }),
                None => return Err(unauthorized("the bearer token is unknown or revoked").into()),
            }
        }
        Some(Err(detail)) => return Err(unauthorized(detail).into()),
        None => None,
    };
    if let Some(needed) = needed {
        let Some(caller) = &caller else {
            let detail = format!(
                "{} {} needs a bearer token with scope `{}` (Authorization: Bearer pbt_…); create one with `pobratim token create --name NAME --scope {}`",
                req.method(),
                req.path(),
                needed.as_str(),
                needed.as_str()
            );
            return Err(unauthorized(detail).into());
        };
        if caller.scope < needed {
            return Err(ApiError::new(
                ProblemCode::Forbidden,
                format!(
                    "the token `{}` has scope `{}`; {} {} needs `{}`",
                    caller.name,
                    caller.scope.as_str(),
                    req.method(),
                    req.path(),
                    needed.as_str()
                ),
                Some("authorization".into()),
            )
            .into());
        }
        if needed == Scope::Write && !matches!(*req.method(), Method::GET | Method::HEAD) {
            if let Err(wait) = policy.limiter.take(&caller.name) {
                let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
                return Err(ApiError::new(
                    ProblemCode::RateLimited,
                    format!(
                        "the token `{}` is over its write rate; retry in {seconds} s",
                        caller.name
                    ),
                    Some("authorization".into()),
                )
                .with_retry_after(seconds)
                .into());
            }
        }
    }
    Ok(caller)
}

/// The bearer token of a request: `None` without an `Authorization` header,
/// `Err` when the header is not a bearer token.
fn bearer(req: &HttpRequest) -> Option<Result<&str, &'static str>> {
    let value = req.headers().get(header::AUTHORIZATION)?;
    let Ok(text) = value.to_str() else {
        return Some(Err("the Authorization header is not ASCII"));
    };
    let mut parts = text.trim().splitn(2, ' ');
    match (parts.next(), parts.next()) {
        (Some(scheme), Some(token)) if scheme.eq_ignore_ascii_case("bearer") => {
            Some(Ok(token.trim()))
        }
        _ => Some(Err("the Authorization header must read `Bearer <token>`")),
    }
}

fn unauthorized(detail: impl Into<String>) -> ApiError {
    ApiError::new(
        ProblemCode::Unauthorized,
        detail,
        Some("authorization".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_method_and_the_path() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(required_scope(&get, "/api/v1/nodes", false), None);
        assert_eq!(
            required_scope(&get, "/api/v1/nodes", true),
            Some(Scope::Read)
        );
        assert_eq!(required_scope(&get, "/", true), None, "pages stay open");
        assert_eq!(required_scope(&get, "/healthz", true), None);
        assert_eq!(required_scope(&get, "/metrics", true), Some(Scope::Read));
        assert_eq!(
            required_scope(&post, "/api/v1/nodes", false),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&Method::DELETE, "/api/v1/links/x", false),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&get, "/api/v1/changes", false),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&get, "/api/v1/nodes/city:ru:x/history", false),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&get, "/api/v1/links/twinning:a+b/history", false),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&get, "/api/v1/nodes/city:ru:x/centrality/history", false),
            None,
            "a centrality history is a graph question"
        );
        assert_eq!(
            required_scope(&get, "/api/v1/centrality/pagerank/history", false),
            None
        );
        assert_eq!(
            required_scope(&get, "/api/v1/admin/tokens", false),
            Some(Scope::Admin)
        );
        assert_eq!(
            required_scope(&post, "/api/v1/admin/backup", false),
            Some(Scope::Admin)
        );
        assert_eq!(
            required_scope(&Method::TRACE, "/api/v1/nodes", false),
            None,
            "405 for all"
        );
        assert_eq!(
            required_scope(&post, "/api/v1/nowhere", false),
            None,
            "404 for all"
        );
        assert_eq!(
            required_scope(&Method::HEAD, "/api/v1/nodes", true),
            Some(Scope::Read)
        );
    }
}
