//! Durable storage on sled: the source of truth.
//!
//! Records live in `nodes.v1` and `links.v1`; index trees map kinds, countries, name
//! terms to ids, and link kinds to links. A commit logs every record before and after
//! in the change log (atomically: the commit point), then writes the records, their
//! index entries and the graph version (see `redo`), then flushes.
//! This module knows the model but nothing of the graph snapshot or the API.

mod audit;
mod backup;
mod bulk;
mod by_kind;
mod check;
mod codec;
mod damage;
mod damage_log;
mod index;
mod keys;
mod redo;
mod scan;
mod sled_store;
mod stamps;
mod token_cache;
mod tokens;
pub mod trees;

pub use audit::{ChangeCounts, ChangeEntry, Operation, RecordDiff, RecordType};
pub use backup::{BackupError, BackupStats};
pub use bulk::BulkLoad;
pub use check::Repair;
pub use damage::Removal;
pub use damage_log::DamageStats;
pub use sled_store::{LinkFilter, NodeFilter, RecordChange, SledStore, StorePage};
pub use stamps::{RecordStamps, StampedTree};
pub use tokens::{TokenError, TokenKey};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled reported an I/O or internal error.
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    /// Another process (a running server, another command) holds the directory.
    #[error("{} is in use by another pobratim process (a running server?)", .0.display())]
    InUse(std::path::PathBuf),
    /// A record could not be encoded.
    #[error("cannot encode a record: {0}")]
    Codec(String),
    /// The group commit this write was queued in failed as a whole (see
    /// `service::group`): its change-log batch was refused, and nothing was written, or
    /// the graph could not be rebuilt after it, which the message says.
    #[error("the commit this write was grouped into failed: {0}")]
    GroupFailed(String),
    /// A stored value cannot be decoded (damaged bytes, or a value no model reads):
    /// listings and scans pass over it, a direct read reports it, and it can be removed
    /// (`DELETE`, `pobratim check --repair`).
    #[error("the record in tree {tree} at key {key:?} cannot be read: {detail}")]
    Unreadable {
        /// Tree name.
        tree: String,
        /// Key, lossily decoded.
        key: String,
        /// Why it cannot be read.
        detail: String,
    },
    /// An index entry or other stored state is inconsistent.
    #[error("corrupt entry in tree {tree} at key {key:?}: {detail}")]
    Corrupt {
        /// Tree name.
        tree: String,
        /// Key, lossily decoded.
        key: String,
        /// What is wrong.
        detail: String,
    },
    /// The directory or a value was written by a newer pobratim.
    #[error("this data directory was written by a newer pobratim (format version {found}); this build reads format version {supported} or older: upgrade pobratim to open it")]
    FormatVersion {
        /// Version found on disk.
        found: u64,
        /// Newest version this build reads.
        supported: u64,
    },
}

impl StoreError {
    /// For a node or link record that is stored but cannot be read: `node` or `link`,
    /// its key and why.
    pub fn damaged_record(&self) -> Option<(&'static str, &str, &str)> {
        match self {
            StoreError::Unreadable { tree, key, detail } if tree == trees::NODES => {
                Some(("node", key, detail))
            }
            StoreError::Unreadable { tree, key, detail } if tree == trees::LINKS => {
                Some(("link", key, detail))
            }
            _ => None,
        }
    }
}
