//! Administration over HTTP (admin tokens only): tokens and consistent backups.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ValidJson;
use super::problem::{internal, ApiError, Problem, ProblemCode};
use super::version;
use crate::model::token::AuthError;
use crate::service::upkeep::{self, Scope, TokenError, TokenKey};
use crate::service::Service;

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

/// A stored token: everything but its secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenRecord {
    /// The public part of the token (16 hex digits).
    pub id: String,
    /// Who or what holds it; recorded as the author of every change made with it.
    pub name: String,
    /// What it allows.
    pub scope: Scope,
    /// When it was created (RFC 3339, UTC).
    pub created: String,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

impl From<upkeep::TokenRecord> for TokenRecord {
    fn from(record: upkeep::TokenRecord) -> Self {
        Self {
            id: record.id,
            name: record.name,
            scope: record.scope,
            created: record.created,
            revoked: record.revoked,
        }
    }
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
    let items = off_thread(move || Ok(svc.upkeep().tokens()?)).await?;
    let items = items.into_iter().map(TokenRecord::from).collect();
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
        off_thread(move || svc.upkeep().create_token(&name, scope).map_err(token_error)).await?;
    let record = record.into();
    Ok(version::json(
        StatusCode::CREATED,
        service.version(),
        &CreatedToken { token, record },
    ))
}

/// How `DELETE /admin/tokens/{name}` reads its path.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RevokeBy {
    /// `name` (default): the path is the token's name; `id`: it is the token's id.
    /// Each is matched only against its own field.
    #[param(value_type = Option<String>, pattern = "^(name|id)$")]
    by: Option<RevokeKey>,
}

/// What the path of a revocation names.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum RevokeKey {
    #[default]
    Name,
    Id,
}

/// Revoke a token
///
/// Revokes the live token with this name (or, with `by=id`, this id) at once; it stays
/// listed.
#[utoipa::path(delete, path = "/api/v1/admin/tokens/{name}", tag = "admin",
    params(("name" = String, Path, description = "Token name (its id with `by=id`)"), RevokeBy),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = TokenRecord),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live token has this name (or id)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_token(
    service: web::Data<Service>,
    name: web::Path<String>,
    by: super::extract::ValidQuery<RevokeBy>,
) -> Result<HttpResponse, ApiError> {
    let svc = service.clone();
    let name = name.into_inner();
    let by = by.0.by.unwrap_or_default();
    let record = off_thread(move || {
        let key = match by {
            RevokeKey::Name => TokenKey::Name(&name),
            RevokeKey::Id => TokenKey::Id(&name),
        };
        svc.upkeep().revoke_token(key).map_err(token_error)
    })
    .await?;
    Ok(version::json(
        StatusCode::OK,
        service.version(),
        &TokenRecord::from(record),
    ))
}

/// Take a backup
///
/// A consistent copy of the whole store (records, indexes, tokens, change log) at
/// one graph version, taken while the service runs: writes wait while it is written
/// to a temporary file, then it is streamed. Restore it with `pobratim restore`.
#[utoipa::path(post, path = "/api/v1/admin/backup", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The backup file", content_type = "application/octet-stream", body = Vec<u8>)))]
pub async fn backup(
    service: web::Data<Service>,
    scratch: web::Data<BackupScratch>,
) -> Result<HttpResponse, ApiError> {
    let svc = service.into_inner();
    let (path, stats) = off_thread(move || {
        let (path, file) = scratch.create().map_err(|e| internal(&e))?;
        match svc.backup_to(file) {
            Ok(stats) => Ok((path, stats)),
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err(internal(&e))
            }
        }
    })
    .await?;
    let body = super::stream::written_off_thread("backup download", move |out| {
        let copied = std::fs::File::open(&path).and_then(|mut file| std::io::copy(&mut file, out));
        let _ = std::fs::remove_file(&path);
        copied.map(drop)
    });
    let name = format!("pobratim-g{}.backup", stats.graph_version);
    Ok(super::stream::attachment(
        stats.graph_version,
        "application/octet-stream",
        &name,
        body,
    ))
}

/// Where the server writes a backup before streaming it: inside the data directory
/// (whose owner alone reads it), as `backup-<pid>-<time>.tmp`, readable by the owner
/// only. Every file of that name there is from an earlier run (one server holds the
/// directory at a time) and is removed at start.
#[derive(Clone, Debug)]
pub struct BackupScratch {
    dir: std::path::PathBuf,
}

impl BackupScratch {
    const PREFIX: &'static str = "backup-";
    const SUFFIX: &'static str = ".tmp";

    /// Scratch space in the data directory `dir`.
    pub fn new(dir: &std::path::Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// Creates a new scratch file, mode 0600.
    fn create(&self) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
        let path = self.dir.join(format!(
            "{}{}-{}{}",
            Self::PREFIX,
            std::process::id(),
            crate::model::clock::now_rfc3339().replace([':', '.'], "-"),
            Self::SUFFIX
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path)?;
        Ok((path, file))
    }

    /// Removes the scratch files a killed server left; returns how many.
    pub fn remove_stale(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(Self::PREFIX)
                && name.ends_with(Self::SUFFIX)
                && std::fs::remove_file(entry.path()).is_ok()
            {
                removed += 1;
            }
        }
        removed
    }
}

/// Registers the admin routes (under `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/tokens")
            .default_service(web::to(super::method_not_allowed))
            .route(super::get().to(list_tokens))
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

#[cfg(test)]
mod scratch_tests {
    use super::BackupScratch;

    #[test]
    fn scratch_files_are_the_owners_alone_and_stale_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = BackupScratch::new(dir.path());
        let (path, _file) = scratch.create().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("conf"), "sled's").unwrap();
        assert_eq!(scratch.remove_stale(), 1);
        assert!(!path.exists());
        assert!(dir.path().join("conf").exists());
    }
}
