//! Administration over HTTP (admin tokens only): tokens and consistent backups.

use std::io::Write;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ValidJson;
use super::problem::{internal, ApiError, Problem, ProblemCode};
use super::version;
use crate::auth::{AuthError, Scope, TokenRecord};
use crate::service::Service;
use crate::store::TokenError;

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Who holds it (unique among live tokens); the author of its changes.
    #[schema(example = "editor-anna")]
    pub name: String,
    /// What it allows.
    pub scope: Scope,
}

/// A created token: shown once, never stored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    /// The bearer token. Keep it: only its hash is stored.
    pub token: String,
    /// The stored record.
    pub record: TokenRecord,
}

/// Every token, revoked ones too.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    /// The tokens, oldest first.
    pub items: Vec<TokenRecord>,
}

fn token_error(e: TokenError) -> ApiError {
    match e {
        TokenError::Auth(AuthError::NameTaken(name)) => ApiError::new(
            ProblemCode::TokenNameTaken,
            format!("a live token named `{name}` exists"),
            Some("name".into()),
        ),
        TokenError::Auth(AuthError::UnknownToken(name)) => ApiError::new(
            ProblemCode::NotFound,
            format!("no live token named `{name}`"),
            Some("name".into()),
        ),
        TokenError::Auth(e @ AuthError::BadName) => ApiError::new(
            ProblemCode::InvalidField,
            e.to_string(),
            Some("name".into()),
        ),
        TokenError::Auth(e @ AuthError::UnknownScope(_)) => ApiError::new(
            ProblemCode::InvalidField,
            e.to_string(),
            Some("scope".into()),
        ),
        TokenError::Auth(e @ AuthError::Random(_)) => internal(&e),
        TokenError::Store(e) => e.into(),
    }
}

async fn off_thread<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(call).await.map_err(|e| internal(&e))?
}

/// List tokens
///
/// Every token with its name, scope, creation and revocation time (never its secret).
#[utoipa::path(get, path = "/api/v1/admin/tokens", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The tokens", body = TokenList)))]
pub async fn list_tokens(service: web::Data<Service>) -> Result<HttpResponse, ApiError> {
    let svc = service.clone();
    let items = off_thread(move || Ok(svc.store().tokens()?)).await?;
    Ok(version::json(
        StatusCode::OK,
        service.version(),
        &TokenList { items },
    ))
}

/// Create a token
///
/// Returns the bearer token once; only its hash is kept.
#[utoipa::path(post, path = "/api/v1/admin/tokens", tag = "admin", request_body = NewToken,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; the token is shown only now", body = CreatedToken),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A live token has this name", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name or scope", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_token(
    service: web::Data<Service>,
    body: ValidJson<NewToken>,
) -> Result<HttpResponse, ApiError> {
    let svc = service.clone();
    let NewToken { name, scope } = body.0;
    let (record, token) =
        off_thread(move || svc.store().create_token(&name, scope).map_err(token_error)).await?;
    Ok(version::json(
        StatusCode::CREATED,
        service.version(),
        &CreatedToken { token, record },
    ))
}

/// Revoke a token
///
/// Revokes the live token with this name (or id) at once; it stays listed.
#[utoipa::path(delete, path = "/api/v1/admin/tokens/{name}", tag = "admin",
    params(("name" = String, Path, description = "Token name or id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = TokenRecord),
        (status = 404, description = "No live token has this name", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_token(
    service: web::Data<Service>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let svc = service.clone();
    let name = name.into_inner();
    let record = off_thread(move || svc.store().revoke_token(&name).map_err(token_error)).await?;
    Ok(version::json(StatusCode::OK, service.version(), &record))
}

/// Take a backup
///
/// A consistent copy of the whole store (records, indexes, tokens, change log) at
/// one graph version, taken while the service runs: writes wait while it is written
/// to a temporary file, then it is streamed. Restore it with `pobratim restore`.
#[utoipa::path(post, path = "/api/v1/admin/backup", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The backup file", content_type = "application/octet-stream", body = Vec<u8>)))]
pub async fn backup(service: web::Data<Service>) -> Result<HttpResponse, ApiError> {
    let svc = service.into_inner();
    let (path, stats) = off_thread(move || {
        let path = std::env::temp_dir().join(format!(
            "pobratim-backup-{}-{}.tmp",
            std::process::id(),
            crate::auth::now_rfc3339().replace([':', '.'], "-")
        ));
        let file = std::fs::File::create(&path).map_err(|e| internal(&e))?;
        match svc.backup_to(file) {
            Ok(stats) => Ok((path, stats)),
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err(internal(&e))
            }
        }
    })
    .await?;
    let (mut writer, body) = super::stream::channel();
    let source = path.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let copied = std::fs::File::open(&source)
            .and_then(|mut file| std::io::copy(&mut file, &mut writer))
            .and_then(|_| writer.flush());
        let _ = std::fs::remove_file(&source);
        if let Err(e) = copied {
            tracing::warn!(error = %e, "backup download stopped");
            writer.fail(e);
        }
    });
    Ok(
        version::versioned(HttpResponse::build(StatusCode::OK), stats.graph_version)
            .insert_header((header::CONTENT_TYPE, "application/octet-stream"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"pobratim-g{}.backup\"",
                    stats.graph_version
                ),
            ))
            .streaming(body),
    )
}

/// Registers the admin routes (under `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/tokens")
            .default_service(web::to(super::method_not_allowed))
            .route(web::get().to(list_tokens))
            .route(web::post().to(create_token)),
    )
    .service(
        web::resource("/admin/tokens/{name}")
            .default_service(web::to(super::method_not_allowed))
            .route(web::delete().to(revoke_token)),
    )
    .service(
        web::resource("/admin/backup")
            .default_service(web::to(super::method_not_allowed))
            .route(web::post().to(backup)),
    );
}
