//! A real pobratim HTTP server on 127.0.0.1 over a real sled directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use pobratim::api::server::{self, ServeConfig, StartError};
use serde_json::Value;
use tempfile::TempDir;

/// A response: status, headers we care about, and the body (JSON when it parses).
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub etag: Option<String>,
    pub graph_version: Option<u64>,
    pub body: Value,
}

/// Name of the admin token every test server is given.
pub const TEST_TOKEN_NAME: &str = "tests";

pub struct TestServer {
    pub base: String,
    /// The admin token sent with every request by default.
    pub token: String,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    dir: Option<TempDir>,
    path: PathBuf,
}

impl TestServer {
    /// A server over a new, empty directory (not seeded).
    pub fn start() -> Self {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("data");
        Self::start_at(&path, false, Some(dir)).unwrap()
    }

    /// A server over a new directory seeded from the fixtures, as `serve` does.
    pub fn start_seeded() -> Self {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("data");
        Self::start_at(&path, true, Some(dir)).unwrap()
    }

    /// A server over `path`; `dir` keeps a temporary directory alive.
    pub fn start_at(path: &Path, seed: bool, dir: Option<TempDir>) -> Result<Self, StartError> {
        Self::start_with(path, seed, dir, pobratim::service::DEFAULT_QUERY_BUDGET)
    }

    /// A seeded server whose graph queries have `budget` each.
    pub fn start_with_budget(budget: std::time::Duration) -> Self {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("data");
        Self::start_with(&path, true, Some(dir), budget).unwrap()
    }

    /// A seeded server with its configuration adjusted by `adjust`.
    pub fn start_seeded_with(adjust: impl FnOnce(&mut ServeConfig)) -> Self {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("data");
        Self::start_configured(
            &path,
            true,
            Some(dir),
            pobratim::service::DEFAULT_QUERY_BUDGET,
            adjust,
        )
        .unwrap()
    }

    fn start_with(
        path: &Path,
        seed: bool,
        dir: Option<TempDir>,
        query_budget: std::time::Duration,
    ) -> Result<Self, StartError> {
        Self::start_configured(path, seed, dir, query_budget, |_| {})
    }

    fn start_configured(
        path: &Path,
        seed: bool,
        dir: Option<TempDir>,
        query_budget: std::time::Duration,
        adjust: impl FnOnce(&mut ServeConfig),
    ) -> Result<Self, StartError> {
        let mut config = ServeConfig {
            data_dir: path.to_path_buf(),
            bind: "127.0.0.1:0".into(),
            workers: 1,
            dataset: seed.then_some(pobratim::api::server::Dataset::Seed),
            query_budget,
            cors_origins: vec!["http://dashboard.example".into()],
            max_heavy_queries: pobratim::service::DEFAULT_MAX_HEAVY_QUERIES,
            private: false,
            write_rate: 0.0,
            record_cache_bytes: pobratim::service::rendered::DEFAULT_RECORD_CACHE_BYTES,
            answer_cache_bytes: pobratim::service::answers::DEFAULT_ANSWER_CACHE_BYTES,
        };
        adjust(&mut config);
        let service = open_when_unlocked(&config)?;
        // Every test server has an admin token named `tests`, sent with every request
        // unless a test asks otherwise ([`TestServer::send_as`]).
        let upkeep = service.upkeep();
        let _ = upkeep.revoke_token(pobratim::service::upkeep::TokenKey::Name(TEST_TOKEN_NAME));
        let (_, token) = upkeep
            .create_token(TEST_TOKEN_NAME, pobratim::service::upkeep::Scope::Admin)
            .unwrap();
        let service = actix_web::web::Data::new(service);
        let (tx, rx) = mpsc::channel::<Result<(ServerHandle, SocketAddr), StartError>>();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match server::http_server(service, &config) {
                    Ok((server, addrs)) => {
                        tx.send(Ok((server.handle(), addrs[0]))).unwrap();
                        let _ = server.await;
                    }
                    Err(e) => tx.send(Err(e)).unwrap(),
                }
            })
        });
        let (handle, addr) = rx.recv().unwrap()?;
        Ok(Self {
            token,
            base: format!("http://{addr}"),
            handle,
            thread: Some(thread),
            dir,
            path: path.to_path_buf(),
        })
    }

    /// Stops the server and waits until the store is closed; returns the directory.
    pub fn stop(mut self) -> (PathBuf, Option<TempDir>) {
        self.shutdown();
        (self.path.clone(), self.dir.take())
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            actix_web::rt::System::new().block_on(self.handle.stop(true));
            thread.join().unwrap();
        }
    }

    /// The data directory the server runs on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    #[track_caller]
    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None)
    }

    #[track_caller]
    pub fn post(&self, path: &str, body: &Value) -> Reply {
        self.send("POST", path, Some(("application/json", body.to_string())))
    }

    #[track_caller]
    pub fn put(&self, path: &str, body: &Value) -> Reply {
        self.send("PUT", path, Some(("application/json", body.to_string())))
    }

    #[track_caller]
    pub fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(
            "PATCH",
            path,
            Some(("application/merge-patch+json", body.to_string())),
        )
    }

    #[track_caller]
    pub fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None)
    }

    /// Any request, with a raw body and content type, and the admin token.
    pub fn send(&self, method: &str, path: &str, body: Option<(&str, String)>) -> Reply {
        self.send_as(Some(&self.token), method, path, body)
    }

    /// Any request with the bearer token `token` (none when `None`).
    pub fn send_as(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<(&str, String)>,
    ) -> Reply {
        let mut request = ureq::request(method, &format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.set("authorization", &format!("Bearer {token}"));
        }
        let result = match body {
            Some((content_type, text)) => {
                request.set("content-type", content_type).send_string(&text)
            }
            None => request.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let content_type = response
            .header("content-type")
            .unwrap_or_default()
            .to_string();
        let etag = response.header("etag").map(str::to_string);
        let graph_version = response
            .header("x-graph-version")
            .and_then(|v| v.parse().ok());
        // Read whole: `into_string` stops at 10 MB, and an export of the world is more.
        let mut text = String::new();
        std::io::Read::read_to_string(&mut response.into_reader(), &mut text).unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            content_type,
            etag,
            graph_version,
            body,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Opens the service, waiting up to 60 s for a stopped server's worker threads to
/// release the directory lock (they drop their handles just after `stop` returns).
fn open_when_unlocked(config: &ServeConfig) -> Result<pobratim::service::Service, StartError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        match server::open_service(config) {
            Err(e)
                if e.to_string().contains("in use by another pobratim process")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Percent-encodes a query value.
pub fn enc(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Ids of the items of a page.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// Opens a directory a stopped server used: sled lets go of its lock a moment after.
pub fn open_sled(path: &std::path::Path) -> sled::Db {
    for _ in 0..40 {
        if let Ok(db) = sled::open(path) {
            return db;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    sled::open(path).unwrap()
}

/// What `fixtures/seed.json` holds, counted from the file (tests compare with these
/// rather than with numbers that would go stale when the fixture changes).
pub struct SeedCounts {
    /// Nodes.
    pub nodes: usize,
    /// Link records.
    pub links: usize,
    /// Edges of the graph the links make (a trilateral link is a triangle of three).
    pub edges: usize,
}

impl SeedCounts {
    /// Nodes and links: every record of the fixture.
    pub fn records(&self) -> usize {
        self.nodes + self.links
    }
}

/// Counts [`SeedCounts`] from the fixture.
pub fn seed_counts() -> SeedCounts {
    let seed: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/seed.json").unwrap()).unwrap();
    let links = seed["links"].as_array().unwrap();
    let edges = links
        .iter()
        .map(|l| match l["members"].as_array().unwrap().len() {
            3 => 3,
            _ => 1,
        })
        .sum();
    SeedCounts {
        nodes: seed["nodes"].as_array().unwrap().len(),
        links: links.len(),
        edges,
    }
}

/// Runs the `pobratim` binary with `args` on the data directory `data` (quiet log).
pub fn pobratim_on(args: &[&str], data: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env("POBRATIM_LOG", "warn")
        .output()
        .unwrap()
}

/// Every export format `GET /api/v1/export?format=` takes besides `pobratim`.
pub const GRAPH_EXPORT_FORMATS: [&str; 8] = [
    "node-link",
    "graphml",
    "gexf",
    "geojson",
    "csv-nodes",
    "csv-links",
    "neo4j-nodes",
    "neo4j-links",
];
