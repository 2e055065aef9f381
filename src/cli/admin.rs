//! `pobratim token`, `backup` and `restore`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::args::TokenAction;
use super::open_upkeep as open;
use crate::service::upkeep::{Scope, TokenKey, Upkeep, ADDRESS_FILE};
use anyhow::Context;

/// Creates, lists or revokes tokens.
pub fn token(action: TokenAction) -> anyhow::Result<()> {
    match action {
        TokenAction::Create { data, name, scope } => {
            let scope: Scope = scope.parse()?;
            // A token may be made before the first `serve`: this creates the directory.
            let store = super::open_upkeep_or_create(&data.data_dir)?;
            let name = match name {
                Some(name) => name,
                None => free_name(&store, scope.as_str())?,
            };
            let (record, token) = store.create_token(&name, scope)?;
            eprintln!(
                "created token `{}` (id {}, scope {}); it is shown only now:",
                record.name,
                record.id,
                record.scope.as_str()
            );
            println!("{token}");
        }
        TokenAction::List { data } => {
            let store = open(&data.data_dir)?;
            println!("id\tname\tscope\tcreated\trevoked");
            for t in store.tokens()? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.name,
                    t.scope.as_str(),
                    t.created,
                    t.revoked.as_deref().unwrap_or("-")
                );
            }
        }
        TokenAction::Revoke { data, name, id } => {
            let store = open(&data.data_dir)?;
            let key = if id {
                TokenKey::Id(&name)
            } else {
                TokenKey::Name(&name)
            };
            let record = store.revoke_token(key)?;
            println!("revoked token `{}` (id {})", record.name, record.id);
        }
    }
    Ok(())
}

/// Writes a backup: from the directory itself, or from the server running on it.
pub fn backup(dir: &Path, to: &Path, token: Option<String>) -> anyhow::Result<()> {
    let partial = partial_path(to);
    let outcome = match Upkeep::open(dir) {
        Ok(store) => File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))
            .and_then(|file| Ok(store.backup_to(file)?))
            .map(|stats| (stats.graph_version, stats.bytes)),
        Err(crate::service::StoreError::InUse(_)) => from_server(dir, &partial, token),
        Err(e) => Err(e).with_context(|| format!("cannot open {}", dir.display())),
    };
    match outcome {
        Ok((version, bytes)) => {
            std::fs::rename(&partial, to)
                .with_context(|| format!("cannot move the backup to {}", to.display()))?;
            println!(
                "backup of graph version {version} written to {} ({bytes} bytes)",
                to.display()
            );
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn partial_path(to: &Path) -> PathBuf {
    let mut name = to.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    to.with_file_name(name)
}

/// Asks the server running on `dir` for a backup (`POST /api/v1/admin/backup`).
fn from_server(dir: &Path, partial: &Path, token: Option<String>) -> anyhow::Result<(u64, u64)> {
    let address_file = dir.join(ADDRESS_FILE);
    let base = std::fs::read_to_string(&address_file).with_context(|| {
        format!(
            "{} is in use by another process, and {} does not say where its server listens",
            dir.display(),
            address_file.display()
        )
    })?;
    let token = token.context(
        "a server is running on this directory: pass an admin token with --token (or POBRATIM_TOKEN) to take the backup through it",
    )?;
    let url = format!("{}/api/v1/admin/backup", base.trim());
    let response = match ureq::post(&url)
        .set("authorization", &format!("Bearer {token}"))
        .call()
    {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => {
            let body = r.into_string().unwrap_or_default();
            anyhow::bail!("the server at {url} refused the backup ({code}): {body}");
        }
        Err(e) => return Err(e).with_context(|| format!("cannot reach the server at {url}")),
    };
    let version = response
        .header("x-graph-version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut file =
        File::create(partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let bytes = std::io::copy(&mut response.into_reader(), &mut file)
        .context("the backup download was cut")?;
    file.sync_all()?;
    let check = File::open(partial)?;
    let scratch = std::env::temp_dir().join(format!("pobratim-verify-{}", std::process::id()));
    let verified = Upkeep::restore(check, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    verified.context("the downloaded backup does not verify")?;
    Ok((version, bytes))
}

/// Restores a backup into a new or empty directory and checks the result.
pub fn restore(dir: &Path, from: &Path) -> anyhow::Result<ExitCode> {
    let file = File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    let stats = Upkeep::restore(file, dir)?;
    let store = open(dir)?;
    let problems = store.check()?;
    let (nodes, links) = store.counts();
    println!(
        "restored graph version {} into {}: {nodes} nodes, {links} links, {} keys",
        stats.graph_version,
        dir.display(),
        stats.entries
    );
    if problems.is_empty() {
        println!("check: indexes agree");
        Ok(ExitCode::SUCCESS)
    } else {
        for problem in &problems {
            println!("{problem}");
        }
        Ok(ExitCode::FAILURE)
    }
}

/// The first of `scope`, `scope-2`, `scope-3`, … that no live token is named: the name
/// `token create` gives when none is asked for.
fn free_name(store: &Upkeep, scope: &str) -> anyhow::Result<String> {
    let taken: std::collections::HashSet<String> = store
        .tokens()?
        .into_iter()
        .filter(|t| t.revoked.is_none())
        .map(|t| t.name)
        .collect();
    Ok(std::iter::once(scope.to_string())
        .chain((2..).map(|n| format!("{scope}-{n}")))
        .find(|name| !taken.contains(name))
        .unwrap_or_else(|| scope.to_string()))
}
