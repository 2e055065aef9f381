//! The `pobratim` command line: its arguments ([`args`]) and the commands that are
//! adapters over the service, like the HTTP API ([`query`]).

pub mod args;
pub mod query;

use std::path::Path;

use anyhow::Context;

pub use args::{Cli, Command, DataArgs, ExportFormat, Format, TokenAction};

use crate::service::Service;

/// Opens the service on a data directory that must exist already: a command that
/// reads must not create an empty store where a path was mistyped.
pub fn open_existing(dir: &Path) -> anyhow::Result<Service> {
    if !dir.is_dir() {
        anyhow::bail!(
            "{} is not a pobratim data directory (pass --data, or start `pobratim serve` there first)",
            dir.display()
        );
    }
    Service::open(dir).with_context(|| format!("cannot open {}", dir.display()))
}
