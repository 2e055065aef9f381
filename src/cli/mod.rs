//! The `pobratim` command line: its arguments ([`args`]) and the commands that are
//! adapters over the service, like the HTTP API ([`query`]).

pub mod admin;
pub mod args;
pub mod import;
pub mod query;

use std::path::Path;

pub use args::{Cli, Command, DataArgs, ExportFormat, ImportFormat, PartnersAction, TokenAction};

use crate::service::upkeep::{Upkeep, ADDRESS_FILE};
use crate::service::{Service, ServiceError, StoreError};

/// Where `pobratim export --manifest` writes the manifest of `out`: beside it, as
/// `<out>.manifest.json`.
pub fn manifest_path(out: &Path) -> std::path::PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".manifest.json");
    std::path::PathBuf::from(name)
}

/// Opens the service on a data directory that must exist already: a command that
/// reads must not create an empty store where a path was mistyped.
pub fn open_existing(dir: &Path) -> anyhow::Result<Service> {
    must_exist(dir)?;
    open_service(dir)
}

/// Opens the service on a data directory, creating it when missing (imports).
pub fn open_service(dir: &Path) -> anyhow::Result<Service> {
    Service::open(dir).map_err(|e| match e {
        ServiceError::Store(StoreError::InUse(_)) => held(dir),
        e => anyhow::Error::new(e).context(format!("cannot open {}", dir.display())),
    })
}

/// Opens a data directory for upkeep, creating it when missing (`token create`).
pub fn open_upkeep_or_create(dir: &Path) -> anyhow::Result<Upkeep> {
    Upkeep::open(dir).map_err(|e| match e {
        StoreError::InUse(_) => held(dir),
        e => anyhow::Error::new(e).context(format!("cannot open {}", dir.display())),
    })
}

/// What to do when a running server holds the directory: stop it, or ask it.
fn held(dir: &Path) -> anyhow::Error {
    let at = std::fs::read_to_string(dir.join(ADDRESS_FILE))
        .map(|address| format!(" (listening on {})", address.trim()))
        .unwrap_or_default();
    anyhow::anyhow!(
        "{} is in use by a running pobratim server{at}: stop it first, or do this through its \
         API (writes and imports need a write token; tokens and backups an admin token, \
         at /api/v1/admin/…)",
        dir.display()
    )
}

/// Opens an existing data directory for upkeep (tokens, checks), without its graph.
pub fn open_upkeep(dir: &Path) -> anyhow::Result<Upkeep> {
    must_exist(dir)?;
    open_upkeep_or_create(dir)
}

fn must_exist(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        anyhow::bail!(
            "{} is not a pobratim data directory (pass --data, or start `pobratim serve` there first)",
            dir.display()
        );
    }
    Ok(())
}

/// The learned partner model as `pobratim partners fit --json` prints it.
pub fn model_json(model: &crate::service::learned::Model, version: u64) -> serde_json::Value {
    let signals: Vec<serde_json::Value> = crate::service::learned::LEARNED_SIGNALS
        .iter()
        .enumerate()
        .map(|(i, signal)| {
            serde_json::json!({
                "signal": signal.as_str(),
                "cut_points": model.bins.edges.get(i),
                "log_odds": model.bins.log_odds.get(i),
            })
        })
        .collect();
    serde_json::json!({
        "graph_version": version,
        "pairs": model.pairs,
        "seconds": model.seconds,
        "intercept": model.intercept,
        "signals": signals,
    })
}

/// The learned partner model as a table: per signal, each bin's range and log-odds.
pub fn model_table(model: &crate::service::learned::Model, version: u64) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "partner model: fitted on {} pairs in {:.2} s (graph version {version}); intercept {:.3}\n\n| signal | bin | log-odds |\n| --- | --- | --- |\n",
        model.pairs, model.seconds, model.intercept
    );
    let number = |x: f64| format!("{x:.4}");
    for (i, signal) in crate::service::learned::LEARNED_SIGNALS.iter().enumerate() {
        let (Some(edges), Some(odds)) = (model.bins.edges.get(i), model.bins.log_odds.get(i))
        else {
            continue;
        };
        for (b, log_odds) in odds.iter().enumerate() {
            let range = match (b.checked_sub(1).map(|p| edges[p]), edges.get(b)) {
                (None, Some(hi)) => format!("< {}", number(*hi)),
                (Some(lo), Some(hi)) => format!("{} – {}", number(lo), number(*hi)),
                (Some(lo), None) => format!("≥ {}", number(lo)),
                (None, None) => "all".to_string(),
            };
            // Writing into a String cannot fail.
            let _ = writeln!(out, "| {} | {range} | {log_odds:+.3} |", signal.as_str());
        }
    }
    out
}
