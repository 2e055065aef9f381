//! Starting the HTTP service: open the store, seed it when new, bind, serve.

use std::net::SocketAddr;
use std::path::PathBuf;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, Logger};
use actix_web::{web, App, HttpServer};

use crate::api;
pub use crate::service::documents::Dataset;
use crate::service::{Service, ServiceError};

/// Everything `serve` needs, validated.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The sled data directory (created when missing).
    pub data_dir: PathBuf,
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub bind: String,
    /// HTTP worker threads.
    pub workers: usize,
    /// What a new, empty directory starts with (`None`: nothing).
    pub dataset: Option<Dataset>,
    /// Time budget of one graph query.
    pub query_budget: std::time::Duration,
    /// Origins allowed to call the API from a browser (CORS); `*` for any; empty: none.
    pub cors_origins: Vec<String>,
    /// Expensive queries allowed at once (past it: 503 with `Retry-After`).
    pub max_heavy_queries: usize,
    /// Reads need a token too.
    pub private: bool,
    /// Writes per second per token (0: no limit).
    pub write_rate: f64,
    /// Bytes of rendered records kept for graph answers (0: none).
    pub record_cache_bytes: u64,
    /// Bytes of large graph answers kept per graph version (0: none).
    pub answer_cache_bytes: u64,
}

pub use crate::service::DEFAULT_WRITE_RATE;

/// Name of the file, in the data directory, where a running server writes its address
/// (so `pobratim backup` can ask it for a consistent copy).
pub use crate::service::upkeep::ADDRESS_FILE;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened.
    #[error("cannot open the data directory {dir}: {source}")]
    Open {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: ServiceError,
    },
    /// Loading the dataset failed.
    #[error("cannot load the dataset: {0}")]
    Seed(#[source] ServiceError),
    /// The metrics could not be registered.
    #[error("cannot set up the metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// Binding the socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Opens the data directory, loading its dataset when new and asked to, once the
/// address to listen on is known to be free.
pub fn open_service(config: &ServeConfig) -> Result<Service, StartError> {
    // A busy address is refused before anything is written: a new directory would
    // otherwise be created and loaded by a server that then cannot listen.
    std::net::TcpListener::bind(&config.bind).map_err(|source| StartError::Bind {
        addr: with_port_hint(&config.bind),
        source,
    })?;
    let service = Service::open(&config.data_dir)
        .map_err(|source| StartError::Open {
            dir: config.data_dir.clone(),
            source,
        })?
        .with_query_budget(config.query_budget)
        .with_max_heavy_queries(config.max_heavy_queries)
        .with_record_cache(config.record_cache_bytes)
        .with_answer_cache(config.answer_cache_bytes);
    if let Some(dataset) = config.dataset {
        if let Some(load) = service.seed_if_new(dataset).map_err(StartError::Seed)? {
            tracing::info!(
                dataset = dataset.as_str(),
                created = load.created,
                version = load.graph_version,
                "loaded a dataset into a new data directory"
            );
        }
    }
    match service.upkeep().first_admin_token(&config.data_dir) {
        Ok(Some(first)) => announce_first_token(&first),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot make the first admin token"),
    }
    match service.upkeep().has_live_tokens() {
        Ok(false) => tracing::warn!(
            "no access tokens are live: writes are closed until one is made. Stop the server and run `pobratim token create --data {} --scope admin`",
            config.data_dir.display()
        ),
        Ok(true) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the access tokens"),
    }
    Ok(service)
}

/// Tells the person who started the server where its first admin token is. The token
/// itself is printed only to a terminal: a log file or a pipe gets the file's path.
fn announce_first_token(first: &crate::service::upkeep::FirstToken) {
    use std::io::IsTerminal;
    let mut lines = vec!["pobratim: this directory's first admin token was created.".to_string()];
    if std::io::stderr().is_terminal() {
        lines.push(format!("  token (shown once): {}", first.token));
    }
    match &first.file {
        Some(file) => {
            lines.push(format!(
                "  it is kept in {} (readable only by you); use it as",
                file.display()
            ));
            lines.push(format!(
                "  AUTH=\"Authorization: Bearer $(cat {})\"",
                file.display()
            ));
        }
        None if !std::io::stderr().is_terminal() => lines.push(
            "  it could not be kept in a file (see the warning above): revoke it with `pobratim token revoke admin` and create another".into(),
        ),
        None => {}
    }
    eprintln!("{}", lines.join("\n"));
}

/// The address as given, with a hint when it has no port (`localhost`).
fn with_port_hint(addr: &str) -> String {
    if addr.contains(':') {
        addr.to_string()
    } else {
        format!("{addr} (an address needs a port too, e.g. {addr}:8080)")
    }
}

/// CORS for the allowed origins: reads and writes with their headers, the version
/// headers exposed to scripts, preflights cached for an hour.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::IF_NONE_MATCH,
            actix_web::http::header::AUTHORIZATION,
        ])
        .expose_headers([
            actix_web::http::header::ETAG,
            actix_web::http::header::HeaderName::from_static("x-graph-version"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// Longest request target written to the access log, in characters.
const LOGGED_TARGET_CHARS: usize = 512;

/// A request as the access log writes it: the method (`other` for an invented one),
/// the path and query cut at [`LOGGED_TARGET_CHARS`], and the HTTP version. Headers,
/// tokens among them, are never logged.
fn access_log_request(req: &actix_web::dev::ServiceRequest) -> String {
    let target = req.uri().to_string();
    let cut: String = target.chars().take(LOGGED_TARGET_CHARS).collect();
    let ellipsis = if cut.len() < target.len() { "…" } else { "" };
    format!(
        "{} {cut}{ellipsis} {:?}",
        api::metrics::method_label(req.method()),
        req.version()
    )
}

/// Builds the HTTP server around a service; returns it unstarted with its bound addresses.
pub fn http_server(
    service: web::Data<Service>,
    config: &ServeConfig,
) -> Result<(Server, Vec<SocketAddr>), StartError> {
    let metrics = web::Data::new(api::metrics::Metrics::new()?);
    let scratch = api::admin::BackupScratch::new(&config.data_dir);
    let stale = scratch.remove_stale();
    if stale > 0 {
        tracing::info!(
            removed = stale,
            "removed backup scratch files an earlier run left"
        );
    }
    let scratch = web::Data::new(scratch);
    let origins = config.cors_origins.clone();
    let policy = web::Data::new(api::auth::AccessPolicy::new(
        config.private,
        config.write_rate,
    ));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(service.clone())
            .app_data(metrics.clone())
            .app_data(policy.clone())
            .app_data(scratch.clone())
            .app_data(web::PayloadConfig::new(api::extract::MAX_BODY_BYTES))
            .wrap(actix_web::middleware::from_fn(
                api::extract::refuse_unknown_encoding,
            ))
            .wrap(actix_web::middleware::from_fn(api::version::not_modified))
            .wrap(actix_web::middleware::from_fn(api::auth::guard))
            .wrap(Compress::default())
            .wrap(cors(&origins))
            .wrap(actix_web::middleware::from_fn(api::recover::catch_panics))
            .wrap(actix_web::middleware::from_fn(api::metrics::measure))
            .wrap(
                Logger::new("%{request}xi %s %b %Dms")
                    .custom_request_replace("request", access_log_request)
                    .log_target("pobratim::http"),
            )
            .configure(api::configure)
            .default_service(web::to(api::not_found))
    })
    .workers(config.workers.max(1))
    .bind(&config.bind)
    .map_err(|source| StartError::Bind {
        addr: config.bind.clone(),
        source,
    })?;
    let addrs = server.addrs();
    if let Some(addr) = addrs.first() {
        let file = config.data_dir.join(ADDRESS_FILE);
        if let Err(e) = std::fs::write(&file, format!("http://{addr}\n")) {
            tracing::warn!(error = %e, file = %file.display(), "cannot record the server address");
        }
    }
    Ok((server.run(), addrs))
}
