//! What the store has met of damaged records since it was opened: how often a listing
//! passed over one, and which (see [`super::damage`]).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::de::DeserializeOwned;

use super::codec::decode;
use super::trees::{self, TreeId};
use super::StoreError;

/// Damaged records remembered by key (their count keeps growing past it).
const KEYS_KEPT: usize = 100_000;

/// What the store has met of damaged records since it was opened.
#[derive(Default)]
pub(crate) struct DamageLog {
    skipped: AtomicU64,
    seen: Mutex<BTreeSet<(TreeId, Vec<u8>)>>,
}

/// Damaged records met since the store was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DamageStats {
    /// Times a listing or scan passed over a damaged record.
    pub skipped: u64,
    /// Distinct damaged records met (up to 100,000).
    pub distinct: usize,
}

impl DamageLog {
    /// Counts one pass over a damaged record, logging it the first time.
    pub(super) fn report(&self, tree: TreeId, key: &[u8], detail: &str) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if seen.len() < KEYS_KEPT && seen.insert((tree, key.to_vec())) {
            tracing::warn!(
                tree = trees::ALL[tree as usize],
                key = %String::from_utf8_lossy(key),
                detail,
                "a stored record cannot be read: passed over; delete it or run `pobratim check --repair`"
            );
        }
    }

    pub(super) fn forget(&self, tree: TreeId, key: &[u8]) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(&(tree, key.to_vec()));
        }
    }

    pub(super) fn knows(&self, tree: TreeId, key: &[u8]) -> bool {
        // The common case, nothing damaged, costs one atomic load.
        self.skipped.load(Ordering::Relaxed) > 0
            && self
                .seen
                .lock()
                .map(|seen| seen.contains(&(tree, key.to_vec())))
                .unwrap_or(false)
    }

    pub(super) fn stats(&self) -> DamageStats {
        DamageStats {
            skipped: self.skipped.load(Ordering::Relaxed),
            distinct: self.seen.lock().map(|s| s.len()).unwrap_or(0),
        }
    }
}

/// Decodes a record met by a listing or scan: `None`, reported to `log`, when it cannot
/// be read; other failures (a newer format) stay errors.
pub(super) fn decode_or_skip<T: DeserializeOwned>(
    log: &DamageLog,
    tree: TreeId,
    key: &[u8],
    value: &[u8],
) -> Result<Option<T>, StoreError> {
    match decode(trees::ALL[tree as usize], key, value) {
        Ok(record) => Ok(Some(record)),
        Err(StoreError::Unreadable { detail, .. }) => {
            log.report(tree, key, &detail);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
