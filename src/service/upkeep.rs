//! Looking after a data directory: access tokens, the change log, checks and repairs,
//! backups and restores. [`Upkeep`] works on the store alone, so the commands that need
//! no graph (`pobratim token`, `check`, `restore`) open a directory without building
//! one; a running [`Service`] hands out the same upkeep over its own store.

use std::path::Path;

use super::{Service, ServiceError};
pub use crate::model::token::{Scope, TokenRecord};
pub use crate::store::{BackupError, BackupStats, ChangeEntry, Repair, TokenError, TokenKey};
pub use crate::store::{ChangeCounts, Operation, RecordDiff, RecordType};
use crate::store::{SledStore, StoreError};

/// The file in a data directory where a running server writes the address it listens
/// on, so that commands run beside it (`pobratim backup`) can reach it.
pub const ADDRESS_FILE: &str = "serve.addr";

/// The file in a data directory where its first admin token is kept, readable only by
/// its owner (see [`Upkeep::first_admin_token`]).
pub const FIRST_TOKEN_FILE: &str = "admin-token";

/// The name of the admin token a new directory's first server creates.
pub const FIRST_TOKEN_NAME: &str = "admin";

/// The first admin token of a directory, made by its first server.
#[derive(Debug)]
pub struct FirstToken {
    /// The token (shown once).
    pub token: String,
    /// Where it is kept: `<data>/admin-token`, mode 0600; `None` when it could not be
    /// written (the error is logged).
    pub file: Option<std::path::PathBuf>,
}

/// The upkeep of one data directory.
#[derive(Clone)]
pub struct Upkeep {
    store: SledStore,
}

impl Upkeep {
    /// Opens the store in `dir` (created when missing) without building its graph.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            store: SledStore::open(dir)?,
        })
    }

    /// Restores a backup into `dir`, which must be new or empty.
    pub fn restore(input: impl std::io::Read, dir: &Path) -> Result<BackupStats, BackupError> {
        SledStore::restore_from(input, dir)
    }

    /// Whether records and indexes agree: one line per problem.
    pub fn check(&self) -> Result<Vec<String>, StoreError> {
        self.store.check()
    }

    /// Fixes what has one right answer, as one change logged as made by `actor`.
    pub fn repair(&self, actor: &str) -> Result<Repair, StoreError> {
        self.store.repair(actor)
    }

    /// Stored nodes and links.
    pub fn counts(&self) -> (usize, usize) {
        self.store.counts()
    }

    /// The graph version of the stored records.
    pub fn graph_version(&self) -> Result<u64, StoreError> {
        self.store.graph_version()
    }

    /// Writes every change to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.store.flush()
    }

    /// A consistent backup of a directory no server is writing to.
    pub fn backup_to(&self, out: impl std::io::Write) -> Result<BackupStats, BackupError> {
        self.store.backup_to(out)
    }

    /// Creates a token; returns its record and the token itself (shown only now).
    pub fn create_token(
        &self,
        name: &str,
        scope: Scope,
    ) -> Result<(TokenRecord, String), TokenError> {
        self.store.create_token(name, scope)
    }

    /// For a directory that has never had a token, creates an admin token named
    /// `admin` and keeps it in `dir/admin-token` (mode 0600 on Unix, written to a
    /// temporary file and renamed, so it is whole or absent). A directory with any token,
    /// revoked ones included, gets none: its owner has already chosen.
    pub fn first_admin_token(&self, dir: &Path) -> Result<Option<FirstToken>, TokenError> {
        if !self.store.tokens()?.is_empty() {
            return Ok(None);
        }
        let (_, token) = self.store.create_token(FIRST_TOKEN_NAME, Scope::Admin)?;
        let file = dir.join(FIRST_TOKEN_FILE);
        let file = match write_private(&file, &format!("{token}\n")) {
            Ok(()) => Some(file),
            Err(e) => {
                tracing::warn!(error = %e, file = %file.display(), "cannot keep the first admin token in a file");
                None
            }
        };
        Ok(Some(FirstToken { token, file }))
    }

    /// Every token's record (never its secret).
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.store.tokens()
    }

    /// Whether any token is live.
    pub fn has_live_tokens(&self) -> Result<bool, StoreError> {
        self.store.has_live_tokens()
    }

    /// Revokes the live token with this name or id.
    pub fn revoke_token(&self, key: TokenKey<'_>) -> Result<TokenRecord, TokenError> {
        self.store.revoke_token(key)
    }

    /// The live token a presented secret belongs to, if any.
    pub fn authenticate(&self, presented: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.store.authenticate(presented)
    }

    /// As [`Self::authenticate`] from the tokens seen before, without reading the
    /// store: `None` when this token was not seen yet.
    pub fn authenticate_in_memory(&self, presented: &str) -> Option<Option<TokenRecord>> {
        self.store.authenticate_in_memory(presented)
    }

    /// Marks the directory as holding data, so that a later `serve` does not seed it.
    pub fn mark_seeded(&self, what: &str) -> Result<(), StoreError> {
        self.store.mark_seeded(what)
    }

    /// Committed changes after graph version `since`, oldest first.
    pub fn changes_since(&self, since: u64, limit: usize) -> Result<Vec<ChangeEntry>, StoreError> {
        self.store.changes_since(since, limit)
    }
}

impl Service {
    /// The upkeep of this service's directory (tokens, change log, checks).
    pub fn upkeep(&self) -> Upkeep {
        Upkeep {
            store: self.store.clone(),
        }
    }

    /// The changes that touched one record after graph version `since`, oldest first;
    /// a record that has none and does not exist (a damaged one does) is not found.
    pub fn history(
        &self,
        record: RecordType,
        id: &str,
        since: u64,
        limit: usize,
    ) -> Result<Vec<ChangeEntry>, ServiceError> {
        let items = self.store.record_history(record, id, since, limit)?;
        if items.is_empty() && since == 0 {
            let read = match record {
                RecordType::Node => self.store.get_node(id).map(|n| n.is_some()),
                RecordType::Link => self.store.get_link(id).map(|l| l.is_some()),
            };
            let exists = match read {
                Ok(found) => found,
                Err(StoreError::Unreadable { .. }) => true,
                Err(e) => return Err(e.into()),
            };
            if !exists {
                return Err(ServiceError::NotFound {
                    what: match record {
                        RecordType::Node => "node",
                        RecordType::Link => "link",
                    },
                    id: id.to_string(),
                    field: Some("id".into()),
                });
            }
        }
        Ok(items)
    }
}

/// Writes `text` to `path` readable and writable by its owner only, whole or not at all.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let scratch = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&scratch)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&scratch, path)
}
