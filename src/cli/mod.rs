//! The `pobratim` command line: its arguments ([`args`]) and the commands that are
//! adapters over the service, like the HTTP API ([`query`]).

pub mod admin;
pub mod args;
pub mod import;
pub mod query;

use std::path::Path;

use anyhow::Context;

pub use args::{Cli, Command, DataArgs, ExportFormat, ImportFormat, TokenAction};

use crate::service::upkeep::Upkeep;
use crate::service::Service;

/// Opens the service on a data directory that must exist already: a command that
/// reads must not create an empty store where a path was mistyped.
pub fn open_existing(dir: &Path) -> anyhow::Result<Service> {
    must_exist(dir)?;
    Service::open(dir).with_context(|| format!("cannot open {}", dir.display()))
}

/// Opens an existing data directory for upkeep (tokens, checks), without its graph.
pub fn open_upkeep(dir: &Path) -> anyhow::Result<Upkeep> {
    must_exist(dir)?;
    Upkeep::open(dir).with_context(|| format!("cannot open {}", dir.display()))
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
