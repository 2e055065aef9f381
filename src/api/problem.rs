//! Errors as RFC 9457 `application/problem+json`, with one table of stable codes.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{ValidationError, Violation};
use crate::service::{ConflictKind, QueryError, ServiceError, StoreError};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "/docs/problems#duplicate_link", "title": "Duplicate link", "status": 409,
    "detail": "a twinning link between city:ru:vladivostok, city:jp:niigata already exists: `twinning:city:jp:niigata+city:ru:vladivostok`",
    "code": "duplicate_link", "field": "members"
}))]
pub struct Problem {
    /// A URI reference naming the problem type.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Path of the request field at fault (`members[1]`, `location.lat`, a query parameter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

macro_rules! problem_codes {
    ($($variant:ident => ($code:literal, $status:expr, $title:literal, $explanation:literal)),+ $(,)?) => {
        /// Every problem the API answers with: stable code, status and title.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ProblemCode { $(
            #[doc = $title]
            $variant
        ),+ }

        impl ProblemCode {
            /// Every code, for the documentation.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),+];

            /// The stable snake_case code.
            pub fn as_str(self) -> &'static str { match self { $(ProblemCode::$variant => $code),+ } }

            /// The HTTP status.
            pub fn status(self) -> StatusCode { match self { $(ProblemCode::$variant => $status),+ } }

            /// The short title.
            pub fn title(self) -> &'static str { match self { $(ProblemCode::$variant => $title),+ } }

            /// What the problem means and what to do about it, for `/docs/problems`.
            pub fn explanation(self) -> &'static str { match self { $(ProblemCode::$variant => $explanation),+ } }
        }
    };
}

problem_codes! {
    MalformedJson => ("malformed_json", StatusCode::BAD_REQUEST, "Malformed JSON", "The body is not JSON, or not the JSON the operation reads (a wrong type, an unknown field, a key given twice). `detail` says where."),
    InvalidQuery => ("invalid_query", StatusCode::BAD_REQUEST, "Invalid query parameter", "A query parameter has a value the operation does not take; `field` names it and `detail` gives the accepted values or range."),
    InvalidCursor => ("invalid_cursor", StatusCode::BAD_REQUEST, "Invalid cursor", "The `cursor` is not one this listing returned. Start again without it, then pass each page's `next_cursor`."),
    InvalidPath => ("invalid_path", StatusCode::BAD_REQUEST, "Invalid path parameter", "A path parameter (an id) is not well formed: ids are 1–200 characters without spaces at either end or control characters."),
    UnsupportedMediaType => ("unsupported_media_type", StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type", "The `Content-Type` is not one the operation reads: `application/json` for records, `application/merge-patch+json` for PATCH, the file itself for imports."),
    PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", "The body is larger than 64 MiB; nothing was written. Split the file, or import it with the command line."),
    UnreadableBody => ("unreadable_body", StatusCode::BAD_REQUEST, "Body cannot be read", "The body could not be read to its end (a cut connection, a bad encoding); nothing was written."),
    InvalidField => ("invalid_field", StatusCode::UNPROCESSABLE_ENTITY, "Invalid field", "A field of the record breaks a rule of the data model; `field` names it and `detail` says the rule."),
    MissingField => ("missing_field", StatusCode::UNPROCESSABLE_ENTITY, "Missing field", "A field the record needs is absent; `field` names it."),
    UnknownKind => ("unknown_kind", StatusCode::UNPROCESSABLE_ENTITY, "Unknown kind", "The `kind` is not one of the node kinds (city, association, state) or link kinds (twinning, friendship, trilateral, membership, located_in)."),
    InvalidId => ("invalid_id", StatusCode::UNPROCESSABLE_ENTITY, "Invalid id", "The id is not well formed, or does not start with the kind its record has."),
    InvalidDate => ("invalid_date", StatusCode::UNPROCESSABLE_ENTITY, "Invalid date", "A date is not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, or not a day of the calendar."),
    DateOrder => ("date_order", StatusCode::UNPROCESSABLE_ENTITY, "Ended before signed", "A link's `ended` is before its `signed`."),
    InvalidCountry => ("invalid_country", StatusCode::UNPROCESSABLE_ENTITY, "Invalid country code", "The country is not an ISO 3166-1 alpha-2 code (two capital letters, e.g. RU, JP)."),
    InvalidCoordinates => ("invalid_coordinates", StatusCode::UNPROCESSABLE_ENTITY, "Coordinates out of range", "A latitude outside −90…90 or a longitude outside −180…180."),
    WrongMemberCount => ("wrong_member_count", StatusCode::UNPROCESSABLE_ENTITY, "Wrong number of members", "A link has the wrong number of members: two, or three for a trilateral link."),
    SelfLink => ("self_link", StatusCode::UNPROCESSABLE_ENTITY, "Self-link", "A link names the same node twice."),
    MemberKind => ("member_kind", StatusCode::UNPROCESSABLE_ENTITY, "Member of the wrong kind", "A member is of a kind the link kind does not take (membership: into an association; located_in: a city into a state)."),
    UnknownMember => ("unknown_member", StatusCode::UNPROCESSABLE_ENTITY, "Unknown member", "A member of the link does not exist; create the node first, or in the same batch."),
    IdMismatch => ("id_mismatch", StatusCode::UNPROCESSABLE_ENTITY, "Id does not match the path", "The id in the body differs from the id in the path."),
    UnknownNode => ("unknown_node", StatusCode::UNPROCESSABLE_ENTITY, "Unknown node", "A node a graph question names (`from`, `to`) does not exist: the request is well formed, and names nothing the store holds."),
    WrongNodeKind => ("wrong_node_kind", StatusCode::UNPROCESSABLE_ENTITY, "Node of another kind", "The node the path names exists but is of another kind than the operation takes: partners are suggested for a city (`/nodes/{id}/partners`) or for an association's members (`/associations/{id}/partners`)."),
    ConflictingParameters => ("conflicting_parameters", StatusCode::UNPROCESSABLE_ENTITY, "Conflicting parameters", "Query parameters, each valid alone, that do not fit together: two that exclude each other (`method` with `weights` for partners, `near` with `q`, a sample size `k` for a centrality that is not sampled), or one given without the one it needs (`within_km` or `nearest` without `near`; `missing` or `report_format` without `report=changes`). `field` names the one to drop or complete."),
    NoPath => ("no_path", StatusCode::NOT_FOUND, "No path", "The two nodes are not connected under the question's filters within its `max_depth`. Widen `kinds` or `status`, or drop `as_of`."),
    QueryBudgetExceeded => ("query_budget_exceeded", StatusCode::UNPROCESSABLE_ENTITY, "Query budget exceeded", "The question ran past the server's time budget for one query. Ask for less: a sampled measure, a smaller depth, narrower filters."),
    QueryTooLarge => ("query_too_large", StatusCode::UNPROCESSABLE_ENTITY, "Query too large", "The answer would exceed a limit of the question (paths, nodes); ask for a smaller depth or limit."),
    NoConvergence => ("no_convergence", StatusCode::UNPROCESSABLE_ENTITY, "No convergence", "An iterative measure (PageRank, eigenvector) did not converge on this graph within its iterations."),
    NotFound => ("not_found", StatusCode::NOT_FOUND, "Not found", "No such node, link, route or document."),
    MethodNotAllowed => ("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED, "Method not allowed", "The route exists but does not answer this method; `Allow` lists those it does."),
    NodeExists => ("node_exists", StatusCode::CONFLICT, "Node exists", "A node with this id exists already; PUT replaces it, PATCH changes it."),
    LinkExists => ("link_exists", StatusCode::CONFLICT, "Link exists", "A link with this id exists already."),
    DuplicateLink => ("duplicate_link", StatusCode::CONFLICT, "Duplicate link", "A link of this kind between these members exists already (under another id)."),
    NodeHasLinks => ("node_has_links", StatusCode::CONFLICT, "Node has links", "The node still has links; delete them first, or pass `cascade=true`."),
    Internal => ("internal", StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "The server failed to answer; the error is in its log. Please report it with the request."),
    DamagedRecord => ("damaged_record", StatusCode::INTERNAL_SERVER_ERROR, "Stored record cannot be read", "The record is stored but cannot be read back. Listings pass over it; DELETE it, or run `pobratim check --repair`."),
    Busy => ("busy", StatusCode::SERVICE_UNAVAILABLE, "Too many expensive queries at once", "Too many expensive questions run at once; ask again after `Retry-After` seconds."),
    Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED, "Bearer token needed", "This needs a bearer token: `Authorization: Bearer <token>` (`pobratim token create`)."),
    Forbidden => ("forbidden", StatusCode::FORBIDDEN, "Token scope too small", "The token's scope is too small for this (read < write < admin)."),
    RateLimited => ("rate_limited", StatusCode::TOO_MANY_REQUESTS, "Write rate exceeded", "This token wrote faster than the server's per-token rate; wait `Retry-After` seconds."),
    JsonTooDeep => ("json_too_deep", StatusCode::BAD_REQUEST, "JSON nested too deeply", "The JSON nests arrays and objects more than 32 deep (free-form `attrs` included)."),
    TokenNameTaken => ("token_name_taken", StatusCode::CONFLICT, "Token name taken", "A live token has this name already; revoke it, or choose another name."),
}

/// Seconds a client is asked to wait after a `busy` answer.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// An error on its way to becoming a problem response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {detail}")]
pub struct ApiError {
    /// Which problem.
    pub code: ProblemCode,
    /// What went wrong in this request.
    pub detail: String,
    /// The field at fault.
    pub field: Option<String>,
    /// Seconds to wait before retrying (429 and 503 answers).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// Builds an error.
    pub fn new(code: ProblemCode, detail: impl Into<String>, field: Option<String>) -> Self {
        let retry_after = (code == ProblemCode::Busy).then_some(u64::from(RETRY_AFTER_SECONDS));
        Self {
            code,
            detail: detail.into(),
            field,
            retry_after,
        }
    }

    /// Asks the client to wait `seconds` before retrying (`Retry-After`).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: format!("/docs/problems#{}", self.code.as_str()),
            title: self.code.title().to_string(),
            status: self.code.status().as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_string(),
            field: self.field.clone(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::to_string(&self.problem()).unwrap_or_default();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if self.code == ProblemCode::Unauthorized {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"pobratim\""));
        }
        response.body(body)
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        let code = match e.violation {
            Violation::InvalidValue => ProblemCode::InvalidField,
            Violation::InvalidId => ProblemCode::InvalidId,
            Violation::InvalidDate => ProblemCode::InvalidDate,
            Violation::DateOrder => ProblemCode::DateOrder,
            Violation::InvalidCountry => ProblemCode::InvalidCountry,
            Violation::InvalidCoordinates => ProblemCode::InvalidCoordinates,
            Violation::MemberCount => ProblemCode::WrongMemberCount,
            Violation::SelfLink => ProblemCode::SelfLink,
            Violation::MemberKind => ProblemCode::MemberKind,
            Violation::UnknownMember => ProblemCode::UnknownMember,
            Violation::UnknownKind => ProblemCode::UnknownKind,
            Violation::MissingField => ProblemCode::MissingField,
        };
        let field = (!e.field.is_empty()).then(|| e.field.clone());
        let detail = if e.field.is_empty() {
            e.reason
        } else {
            format!("{}: {}", e.field, e.reason)
        };
        ApiError::new(code, detail, field)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(v) => v.into(),
            ServiceError::NotFound { what, id, field } => ApiError::new(
                ProblemCode::NotFound,
                format!("{what} `{id}` does not exist"),
                field,
            ),
            ServiceError::NotFoundNear { .. } => {
                ApiError::new(ProblemCode::NotFound, e.to_string(), None)
            }
            ServiceError::Conflict {
                kind,
                detail,
                field,
            } => {
                let code = match kind {
                    ConflictKind::NodeExists => ProblemCode::NodeExists,
                    ConflictKind::LinkExists => ProblemCode::LinkExists,
                    ConflictKind::DuplicateLink => ProblemCode::DuplicateLink,
                    ConflictKind::NodeHasLinks => ProblemCode::NodeHasLinks,
                };
                ApiError::new(code, detail, Some(field))
            }
            ServiceError::BadQuery { field, detail } => {
                let code = if field == "cursor" {
                    ProblemCode::InvalidCursor
                } else {
                    ProblemCode::InvalidQuery
                };
                ApiError::new(code, detail, Some(field))
            }
            ServiceError::WrongKind { field, detail } => {
                ApiError::new(ProblemCode::WrongNodeKind, detail, Some(field))
            }
            ServiceError::Conflicting { field, detail } => {
                ApiError::new(ProblemCode::ConflictingParameters, detail, Some(field))
            }
            ServiceError::UnknownNode { id, field } => ApiError::new(
                ProblemCode::UnknownNode,
                format!("{field}: node `{id}` does not exist"),
                Some(field),
            ),
            ServiceError::NoPath(detail) => ApiError::new(ProblemCode::NoPath, detail, None),
            ServiceError::Query(e) => {
                let code = match e {
                    QueryError::Timeout(_) => ProblemCode::QueryBudgetExceeded,
                    QueryError::LimitExceeded { .. } => ProblemCode::QueryTooLarge,
                    QueryError::NoConvergence(_) => ProblemCode::NoConvergence,
                };
                let hint = match e {
                    QueryError::Timeout(_) => "; ask for less: a sampled measure (e.g. betweenness with k=256), a smaller depth, or narrower filters",
                    QueryError::LimitExceeded { .. } => "; ask for less: a smaller depth or limit, or narrower filters",
                    QueryError::NoConvergence(_) => "",
                };
                ApiError::new(code, format!("{e}{hint}"), None)
            }
            ServiceError::Store(e) => e.into(),
            ServiceError::Project(e) => internal(&e),
            ServiceError::Persist(e) => internal(&e),
            poisoned @ ServiceError::Poisoned => internal(&poisoned),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let Some((what, key, detail)) = e.damaged_record() else {
            return internal(&e);
        };
        tracing::error!(what, key, detail, "a stored record cannot be read");
        ApiError::new(
            ProblemCode::DamagedRecord,
            format!(
                "{what} `{key}` is stored but cannot be read ({detail}); listings pass \
                 over it: DELETE it, or run `pobratim check --repair`"
            ),
            None,
        )
    }
}

/// Logs an internal error with its source chain and hides it from the client.
pub fn internal(e: &dyn std::error::Error) -> ApiError {
    tracing::error!(error = %e, source = ?e.source(), "internal error");
    ApiError::new(
        ProblemCode::Internal,
        "the server failed to answer; the error has been logged",
        None,
    )
}
