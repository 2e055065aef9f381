//! Group commits without sled transactions: the change log is the redo log.
//!
//! A sled transaction reads every key it writes (to return the old value) and so costs
//! two descents of the tree per key; writes are serialised anyway (one group at a
//! time), so they need atomicity, not isolation. A write is committed by writing its
//! change-log entry — every record before and after, one key — that is the commit
//! point (a group whose entries cannot all be logged takes back those that were, so
//! nothing of it is applied later). The records, their index entries and the history
//! keys follow as plain inserts, then the graph version (the last *applied* version).
//! If a crash or an I/O error falls between the two, the logged entries past the graph
//! version are applied again from the log ([`SledStore::replay_log`]: on open, and
//! before the next group when a group's own retry failed), which is idempotent because
//! an entry holds whole records, not increments.
//!
//! sled recovers a prefix of its log, so after a crash a record never survives without
//! the change-log entry written before it (and a group cut short keeps its first
//! writes whole: none of them was acknowledged, durability comes after). Keys are
//! written so that an index entry never names a missing record: index removals, then
//! records, then index insertions.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use super::audit::{history_key, PendingEntry};
use super::codec::decode;
use super::index::{tree_ops, TreeOp};
use super::sled_store::{read_u64, RecordChange, SledStore};
use super::trees::{self, TreeId};
use super::{ChangeEntry, StoreError};

/// The net effect of a group's key operations on each tree (in order: the last
/// operation on a key wins), applied in phases.
struct Batches {
    per_tree: Vec<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl Batches {
    fn new() -> Self {
        Self {
            per_tree: (0..trees::ALL.len()).map(|_| BTreeMap::new()).collect(),
        }
    }

    fn add(&mut self, op: TreeOp) {
        self.per_tree[op.tree as usize].insert(op.key, op.value);
    }

    fn add_history(&mut self, key: Vec<u8>) {
        self.per_tree[TreeId::RecordChanges as usize].insert(key, Some(Vec::new()));
    }

    /// Applies every tree's net effect — index removals, then records (and history
    /// keys), then index insertions — key by key (sled batches would log a manifest
    /// each; atomicity comes from the change log), then records `version` as applied.
    fn apply(self, store: &SledStore, version: u64) -> Result<(), StoreError> {
        const INDEXES: [TreeId; 4] = [
            TreeId::NodeKind,
            TreeId::NodeCountry,
            TreeId::NodeName,
            TreeId::LinkKind,
        ];
        let is_index = |tree: usize| INDEXES.iter().any(|t| *t as usize == tree);
        for phase in 0..3 {
            for (tree, ops) in self.per_tree.iter().enumerate() {
                let handle = store.tree_at(tree);
                for (key, value) in ops {
                    let in_phase = match (is_index(tree), value) {
                        (true, None) => 0,
                        (false, _) => 1,
                        (true, Some(_)) => 2,
                    };
                    if in_phase != phase {
                        continue;
                    }
                    match value {
                        Some(value) => handle.insert(key.as_slice(), value.as_slice())?,
                        None => handle.remove(key.as_slice())?,
                    };
                    store.record_written(tree, key);
                }
            }
        }
        store
            .tree(TreeId::Meta)
            .insert(trees::META_GRAPH_VERSION, &version.to_be_bytes())?;
        Ok(())
    }
}

impl SledStore {
    /// Commits several writes, in order: write `i` gets graph version `v + 1 + i` and its
    /// own change-log entry by its actor, its `before` records being the state after
    /// the writes ahead of it. Nothing is flushed. Returns the last version. One commit
    /// for the writers queued behind the writer lock (group commit) costs far less than
    /// one each. See the module documentation.
    pub fn commit_group(&self, writes: &[(&[RecordChange], &str)]) -> Result<u64, StoreError> {
        let _serial = self.commit_lock();
        if self.unapplied.load(Ordering::Acquire) {
            self.replay_log()?;
            self.unapplied.store(false, Ordering::Release);
        }
        let mut version = self.graph_version()?;
        let first = version + 1;
        let at = crate::model::clock::now_rfc3339();
        let mut log = Vec::with_capacity(writes.len());
        let mut batches = Batches::new();
        for (changes, actor) in writes {
            version += 1;
            let (logged, history) = PendingEntry::of(changes)?.encode(version, &at, actor)?;
            log.push((version, logged));
            tree_ops(changes)?
                .into_iter()
                .for_each(|op| batches.add(op));
            history.into_iter().for_each(|key| batches.add_history(key));
        }
        let changes = self.tree(TreeId::Changes);
        for (i, (logged_version, logged)) in log.iter().enumerate() {
            if let Err(e) = changes.insert(logged_version.to_be_bytes(), logged.as_slice()) {
                // The entries before this one are commit points: take them back, so a
                // write answered as failed is never applied later (a plain insert each:
                // a sled batch for the group cost 32 writers ~10 %).
                let undone = log[..i]
                    .iter()
                    .try_for_each(|(v, _)| changes.remove(v.to_be_bytes()).map(drop));
                return Err(match undone {
                    Ok(()) => e.into(),
                    Err(again) => {
                        self.unapplied.store(true, Ordering::Release);
                        StoreError::GroupFailed(format!(
                            "logged as versions {first} to {} but not applied ({e}; taking \
                             them back: {again}); they are applied before the next write or \
                             when the store is opened",
                            logged_version - 1
                        ))
                    }
                });
            }
        }
        if let Err(e) = batches.apply(self, version) {
            tracing::error!(error = %e, "a logged group could not be applied; retrying from the log");
            self.replay_log().map_err(|again| {
                self.unapplied.store(true, Ordering::Release);
                StoreError::GroupFailed(format!(
                    "logged as versions {first} to {version} but not applied ({e}; again: \
                     {again}); they are applied before the next write or when the store \
                     is opened"
                ))
            })?;
        }
        Ok(version)
    }

    /// Applies the change-log entries past the graph version (left by a crash or a
    /// failed group between the commit point and the graph version); returns how many.
    pub(super) fn replay_log(&self) -> Result<u64, StoreError> {
        let applied = self.graph_version()?;
        let Some((last, _)) = self.tree(TreeId::Changes).last()? else {
            return Ok(0);
        };
        let last = read_u64(&last).unwrap_or(0);
        if last <= applied {
            return Ok(0);
        }
        let mut batches = Batches::new();
        let mut replayed = 0;
        for entry in self
            .tree(TreeId::Changes)
            .range((applied + 1).to_be_bytes()..)
        {
            let (key, value) = entry?;
            let entry: ChangeEntry = decode(trees::CHANGES, &key, &value)?;
            for change in entry.record_changes()? {
                tree_ops(std::slice::from_ref(&change))?
                    .into_iter()
                    .for_each(|op| batches.add(op));
            }
            for diff in &entry.changes {
                batches.add_history(history_key(diff.record, &diff.id, entry.version));
            }
            replayed += 1;
        }
        batches.apply(self, last)?;
        self.db().flush()?;
        tracing::warn!(
            replayed,
            from = applied + 1,
            to = last,
            "applied logged writes that had not been applied"
        );
        Ok(replayed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Link, Node, NodeId};

    fn node(id: &str, country: &str) -> Node {
        serde_json::from_value(
            serde_json::json!({"id": id, "kind": "city", "name": id, "country": country}),
        )
        .unwrap()
    }

    fn put(before: Option<Node>, after: Node) -> RecordChange {
        RecordChange::Node {
            before,
            after: Some(after),
        }
    }

    /// Logs a write as `commit_group` does up to its commit point, and stops there.
    fn log_only(store: &SledStore, version: u64, changes: &[RecordChange]) {
        let (logged, _) = PendingEntry::of(changes)
            .unwrap()
            .encode(version, "2026-11-29T00:00:00Z", "test")
            .unwrap();
        store
            .tree(TreeId::Changes)
            .insert(version.to_be_bytes(), logged)
            .unwrap();
    }

    fn country_entries(store: &SledStore) -> Vec<String> {
        store
            .tree(TreeId::NodeCountry)
            .iter()
            .map(|e| String::from_utf8_lossy(&e.unwrap().0).replace('\0', " "))
            .collect()
    }

    #[test]
    fn a_record_changed_twice_in_a_group_keeps_only_its_last_index_entries() {
        let store = SledStore::temporary().unwrap();
        let created = [put(None, node("a", "RU"))];
        let moved = [put(Some(node("a", "RU")), node("a", "CN"))];
        let last = store
            .commit_group(&[(&created, "one"), (&moved, "two")])
            .unwrap();
        assert_eq!(last, 2);
        assert_eq!(country_entries(&store), vec!["CN a"]);
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
        let history = store
            .record_history(crate::store::RecordType::Node, "a", 0, 10)
            .unwrap();
        assert_eq!(history.len(), 2);
    }

    #[test]
    fn logged_writes_not_applied_are_applied_on_open_and_replaying_twice_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let link: Link = serde_json::from_value(serde_json::json!(
            {"id": "l", "kind": "twinning", "members": ["a", "b"]}
        ))
        .unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            store
                .commit(
                    &[put(None, node("a", "RU")), put(None, node("b", "RU"))],
                    true,
                )
                .unwrap();
            // A crash between the commit point and the records, twice over: a group of
            // two writes, the second changing what the first wrote.
            log_only(
                &store,
                2,
                &[RecordChange::Link {
                    before: None,
                    after: Some(link.clone()),
                }],
            );
            log_only(&store, 3, &[put(Some(node("b", "RU")), node("b", "JP"))]);
            store.flush().unwrap();
            assert_eq!(store.graph_version().unwrap(), 1);
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.graph_version().unwrap(), 3);
        assert_eq!(store.get_link("l").unwrap(), Some(link));
        let b = store.get_node(&NodeId::new("b").unwrap()).unwrap().unwrap();
        assert_eq!(b.country.map(|c| c.as_str().to_string()), Some("JP".into()));
        assert_eq!(country_entries(&store), vec!["JP b", "RU a"]);
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
        assert_eq!(
            store
                .record_history(crate::store::RecordType::Node, "b", 0, 10)
                .unwrap()
                .len(),
            2
        );

        // Replaying entries already applied (the graph version set back) is harmless.
        store
            .tree(TreeId::Meta)
            .insert(trees::META_GRAPH_VERSION, &1u64.to_be_bytes())
            .unwrap();
        assert_eq!(store.replay_log().unwrap(), 2);
        assert_eq!(store.replay_log().unwrap(), 0);
        assert_eq!(country_entries(&store), vec!["JP b", "RU a"]);
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
        // The next group goes on from the last logged version.
        let next = store
            .commit_group(&[(&[put(Some(node("a", "RU")), node("a", "FR"))], "t")])
            .unwrap();
        assert_eq!(next, 4);
    }
}
