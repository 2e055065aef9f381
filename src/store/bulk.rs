//! Bulk loads: large imports written as plain sled batches (much faster than one
//! transaction per write, and not bounded by memory), kept all-or-nothing by a journal.
//!
//! A load starts by flushing a marker into `meta` (with the graph version before the
//! load, and whether the store was empty). Into an empty store, undoing a load means
//! clearing every data tree. Into a store with records, each chunk first writes (and
//! flushes) into the [`trees::BULK_UNDO`] journal the prior state of every record it is
//! about to touch and the state it writes, so every forward write that reaches disk has
//! its undo entry on disk before it. [`BulkLoad::finish`] bumps the graph version and
//! drops the marker in one batch; a load that is aborted, or interrupted by a crash and
//! found at the next open, is rolled back: every touched record is removed with the
//! index entries of each state it may be in — as it is now, as it was, and as each
//! chunk wrote it — then the prior records and theirs are put back (two passes, so an
//! index key freed by one record and taken by another ends up right). Rerunning a
//! half-done rollback gives the same result.
//!
//! Why each state: a chunk's trees are written side by side, and sled recovers after
//! a crash only a prefix of its log, so a record's new index entries can be on disk
//! while the record itself is not (or is still the prior one); removing only what the
//! record on disk names would leave those entries behind, pointing at nothing.

use sled::Transactional;

use super::audit::{import_entry, ChangeCounts};
use super::codec::{decode, encode};
use super::index::{tree_ops, TreeOp};
use super::sled_store::{read_u64, RecordChange, SledStore};
use super::trees::{self, TreeId};
use super::StoreError;

/// Journal key prefix of a node record.
const UNDO_NODE: u8 = b'N';
/// Journal key prefix of a link record.
const UNDO_LINK: u8 = b'L';
/// Journal value: the record did not exist before the load.
const UNDO_ABSENT: u8 = 0;
/// Journal value prefix: the record existed; its encoded value follows.
const UNDO_PRESENT: u8 = 1;
/// Journal key prefix of a node as a chunk wrote it (then the chunk's number, the id).
const WROTE_NODE: u8 = b'n';
/// Journal key prefix of a link as a chunk wrote it.
const WROTE_LINK: u8 = b'l';

/// An open bulk load. Dropping it without [`BulkLoad::finish`] leaves the marker in
/// place, so the next open rolls the load back; call [`BulkLoad::abort`] to do it now.
pub struct BulkLoad<'a> {
    store: &'a SledStore,
    into_empty: bool,
    base_version: u64,
    /// Chunks written so far: numbers the journal's entries of written states.
    chunks: u32,
}

impl SledStore {
    /// Starts a bulk load. Refuses to start while another one is open in this directory.
    pub fn begin_bulk_load(&self) -> Result<BulkLoad<'_>, StoreError> {
        let meta = self.tree(TreeId::Meta);
        if meta.contains_key(trees::META_BULK_LOAD)? {
            return Err(StoreError::Corrupt {
                tree: trees::META.into(),
                key: String::from_utf8_lossy(trees::META_BULK_LOAD).into_owned(),
                detail: "another bulk load is in progress".into(),
            });
        }
        self.tree(TreeId::BulkUndo).clear()?;
        let into_empty = self.is_empty();
        let base_version = self.graph_version()?;
        let mut marker = vec![u8::from(into_empty)];
        marker.extend_from_slice(&base_version.to_be_bytes());
        meta.insert(trees::META_BULK_LOAD, marker)?;
        self.db().flush()?;
        Ok(BulkLoad {
            store: self,
            into_empty,
            base_version,
            chunks: 0,
        })
    }

    /// Rolls back a bulk load left open by a crash or an interruption. Called on open.
    pub(super) fn recover_bulk_load(&self) -> Result<bool, StoreError> {
        let Some(marker) = self.tree(TreeId::Meta).get(trees::META_BULK_LOAD)? else {
            return Ok(false);
        };
        let into_empty = marker.first() == Some(&1);
        let base_version =
            marker
                .get(1..)
                .and_then(read_u64)
                .ok_or_else(|| StoreError::Corrupt {
                    tree: trees::META.into(),
                    key: String::from_utf8_lossy(trees::META_BULK_LOAD).into_owned(),
                    detail: "unreadable bulk-load marker".into(),
                })?;
        tracing::warn!("an unfinished bulk load was found: rolling it back");
        BulkLoad {
            store: self,
            into_empty,
            base_version,
            chunks: 0,
        }
        .roll_back()?;
        Ok(true)
    }
}

impl BulkLoad<'_> {
    /// Whether the store was empty when the load began.
    pub fn into_empty(&self) -> bool {
        self.into_empty
    }

    /// Writes one chunk of changes (each record at most once per chunk; `before` is its
    /// stored state). Not visible as a new graph version until [`BulkLoad::finish`].
    pub fn write(&mut self, changes: &[RecordChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        if !self.into_empty {
            self.journal(changes)?;
        }
        self.chunks += 1;
        apply_in_two_passes(self.store, tree_ops(changes)?)
    }

    /// Makes the load visible: bumps the graph version, drops the marker, flushes.
    /// Returns the new graph version.
    /// The load is logged in the change log as one `import` entry by `actor` with `counts`.
    pub fn finish(self, actor: &str, counts: ChangeCounts) -> Result<u64, StoreError> {
        let _serial = self.store.commit_lock();
        self.store.db().flush()?;
        let next = self.base_version + 1;
        let logged = import_entry(next, actor, counts)?;
        let (meta, changes) = (
            self.store.tree(TreeId::Meta),
            self.store.tree(TreeId::Changes),
        );
        [meta, changes]
            .transaction(|views| {
                views[0].insert(trees::META_GRAPH_VERSION, &next.to_be_bytes())?;
                views[0].remove(trees::META_BULK_LOAD)?;
                views[1].insert(&next.to_be_bytes(), logged.as_slice())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Abort(e) => e,
                sled::transaction::TransactionError::Storage(e) => e.into(),
            })?;
        self.store.db().flush()?;
        self.store.tree(TreeId::BulkUndo).clear()?;
        Ok(next)
    }

    /// Undoes everything written by this load.
    pub fn abort(self) -> Result<(), StoreError> {
        self.roll_back()
    }

    fn journal(&self, changes: &[RecordChange]) -> Result<(), StoreError> {
        let undo = self.store.tree(TreeId::BulkUndo);
        let mut batch = sled::Batch::default();
        for change in changes {
            let (prior_key, prior, wrote) = match change {
                RecordChange::Node { before, after } => {
                    let id = after.as_ref().or(before.as_ref()).map(|n| n.id.as_str());
                    (
                        undo_key(UNDO_NODE, id),
                        before_value(before)?,
                        after
                            .as_ref()
                            .map(|n| {
                                Ok::<_, StoreError>((
                                    wrote_key(WROTE_NODE, self.chunks, &n.id),
                                    encode(n)?,
                                ))
                            })
                            .transpose()?,
                    )
                }
                RecordChange::Link { before, after } => {
                    let id = after.as_ref().or(before.as_ref()).map(|l| l.id.as_str());
                    (
                        undo_key(UNDO_LINK, id),
                        before_value(before)?,
                        after
                            .as_ref()
                            .map(|l| {
                                Ok::<_, StoreError>((
                                    wrote_key(WROTE_LINK, self.chunks, &l.id),
                                    encode(l)?,
                                ))
                            })
                            .transpose()?,
                    )
                }
            };
            if !undo.contains_key(&prior_key)? {
                batch.insert(prior_key, prior);
            }
            if let Some((key, value)) = wrote {
                batch.insert(key, value);
            }
        }
        undo.apply_batch(batch)?;
        undo.flush()?;
        Ok(())
    }

    fn roll_back(self) -> Result<(), StoreError> {
        if self.into_empty {
            for tree in trees::DATA {
                self.store.tree(tree).clear()?;
            }
            self.store.stamps().bump_all();
        } else {
            self.restore_from_journal()?;
        }
        self.store.db().flush()?;
        let mut batch = sled::Batch::default();
        batch.insert(trees::META_GRAPH_VERSION, &self.base_version.to_be_bytes());
        batch.remove(trees::META_BULK_LOAD);
        self.store.tree(TreeId::Meta).apply_batch(batch)?;
        self.store.db().flush()?;
        self.store.tree(TreeId::BulkUndo).clear()?;
        Ok(())
    }

    /// Pass 1 removes every touched record with the index entries of every state the
    /// journal or the store knows it in; pass 2 puts back every record as it was, with
    /// its entries.
    fn restore_from_journal(&self) -> Result<(), StoreError> {
        let undo = self.store.tree(TreeId::BulkUndo);
        for restoring in [false, true] {
            let mut changes = Vec::new();
            for entry in undo.iter() {
                let (key, value) = entry?;
                self.undo_changes(&key, &value, restoring, &mut changes)?;
                if changes.len() >= ROLLBACK_CHUNK {
                    apply_in_two_passes(self.store, tree_ops(&changes)?)?;
                    changes.clear();
                }
            }
            apply_in_two_passes(self.store, tree_ops(&changes)?)?;
            self.store.db().flush()?;
        }
        Ok(())
    }

    /// The changes one journal entry stands for: removals of each state of the record
    /// (`restoring == false`), or the journaled prior record put back (`restoring == true`).
    fn undo_changes(
        &self,
        key: &[u8],
        value: &[u8],
        restoring: bool,
        changes: &mut Vec<RecordChange>,
    ) -> Result<(), StoreError> {
        let corrupt = |detail: &str| StoreError::Corrupt {
            tree: trees::BULK_UNDO.into(),
            key: String::from_utf8_lossy(key).into_owned(),
            detail: detail.into(),
        };
        let (&prefix, rest) = key.split_first().ok_or_else(|| corrupt("empty key"))?;
        if matches!(prefix, WROTE_NODE | WROTE_LINK) {
            if !restoring {
                changes.push(removal(prefix == WROTE_NODE, key, value)?);
            }
            return Ok(());
        }
        let id = rest;
        let prior = match value.split_first() {
            Some((&UNDO_ABSENT, _)) => None,
            Some((&UNDO_PRESENT, encoded)) => Some(encoded),
            _ => return Err(corrupt("unknown journal value")),
        };
        let (is_node, records) = match prefix {
            UNDO_NODE => (true, TreeId::Nodes),
            UNDO_LINK => (false, TreeId::Links),
            _ => return Err(corrupt("unknown record prefix")),
        };
        if restoring {
            if let Some(prior) = prior {
                changes.push(if is_node {
                    RecordChange::Node {
                        before: None,
                        after: Some(decode(trees::BULK_UNDO, key, prior)?),
                    }
                } else {
                    RecordChange::Link {
                        before: None,
                        after: Some(decode(trees::BULK_UNDO, key, prior)?),
                    }
                });
            }
            return Ok(());
        }
        if let Some(prior) = prior {
            changes.push(removal(is_node, key, prior)?);
        }
        if let Some(current) = self.store.tree(records).get(id)? {
            let name = trees::ALL[records as usize];
            changes.push(
                removal(is_node, id, &current).map_err(|_| StoreError::Corrupt {
                    tree: name.into(),
                    key: String::from_utf8_lossy(id).into_owned(),
                    detail: "unreadable record during a bulk-load rollback".into(),
                })?,
            );
        }
        Ok(())
    }
}

/// The change that removes the record encoded in `value`, with its index entries.
fn removal(is_node: bool, key: &[u8], value: &[u8]) -> Result<RecordChange, StoreError> {
    Ok(if is_node {
        RecordChange::Node {
            before: Some(decode(trees::BULK_UNDO, key, value)?),
            after: None,
        }
    } else {
        RecordChange::Link {
            before: Some(decode(trees::BULK_UNDO, key, value)?),
            after: None,
        }
    })
}

/// Records restored per batch during a rollback.
const ROLLBACK_CHUNK: usize = 10_000;

fn undo_key(prefix: u8, id: Option<&str>) -> Vec<u8> {
    let mut key = vec![prefix];
    key.extend_from_slice(id.unwrap_or_default().as_bytes());
    key
}

/// Journal key of a record as chunk `chunk` wrote it: every chunk's state is kept.
fn wrote_key(prefix: u8, chunk: u32, id: &impl AsRef<str>) -> Vec<u8> {
    let mut key = vec![prefix];
    key.extend_from_slice(&chunk.to_be_bytes());
    key.extend_from_slice(id.as_ref().as_bytes());
    key
}

fn before_value<T: serde::Serialize>(before: &Option<T>) -> Result<Vec<u8>, StoreError> {
    match before {
        None => Ok(vec![UNDO_ABSENT]),
        Some(record) => {
            let mut out = vec![UNDO_PRESENT];
            out.extend(encode(record)?);
            Ok(out)
        }
    }
}

/// Applies ops tree by tree, the trees in parallel (sled scales across trees), each
/// tree's keys in sorted order (sled inserts sorted keys about twice as fast as random
/// ones, and plain inserts beat `apply_batch`); in each tree every removal comes before
/// every insertion, so a key freed by one record and taken by another in the same chunk
/// ends up taken. Atomicity comes from the journal, not from sled batches.
fn apply_in_two_passes(store: &SledStore, ops: Vec<TreeOp>) -> Result<(), StoreError> {
    type Ops = (Vec<Vec<u8>>, Vec<(Vec<u8>, Vec<u8>)>);
    let mut per_tree: Vec<Ops> = (0..trees::ALL.len()).map(|_| Ops::default()).collect();
    for op in ops {
        let (removals, inserts) = &mut per_tree[op.tree as usize];
        match op.value {
            Some(value) => inserts.push((op.key, value)),
            None => removals.push(op.key),
        }
    }
    let work: Vec<(TreeId, Ops)> = trees::DATA
        .into_iter()
        .map(|tree| (tree, std::mem::take(&mut per_tree[tree as usize])))
        .filter(|(_, (r, i))| !r.is_empty() || !i.is_empty())
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .into_iter()
            .map(|(tree, (mut removals, mut inserts))| {
                let handle = store.tree(tree);
                scope.spawn(move || -> Result<(), StoreError> {
                    removals.sort_unstable();
                    for key in removals {
                        handle.remove(&key)?;
                        store.record_written(tree as usize, &key);
                    }
                    inserts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                    insert_in_ranges(store, tree, handle, inserts)
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .map_err(|_| StoreError::Codec("a bulk-load writer thread panicked".into()))?
        })
    })
}

/// Inserts at least this many keys into one tree from several threads.
const PARALLEL_INSERTS: usize = 8_192;

/// Inserts sorted keys into one tree: a long list is cut into as many contiguous
/// ranges as there are cores, inserted side by side (a chunk of links alone otherwise
/// kept one core busy and the other idle; sled takes concurrent inserts, and disjoint
/// ranges rarely touch the same leaf).
fn insert_in_ranges(
    store: &SledStore,
    tree: TreeId,
    handle: &sled::Tree,
    inserts: Vec<(Vec<u8>, Vec<u8>)>,
) -> Result<(), StoreError> {
    let insert_all = |range: &[(Vec<u8>, Vec<u8>)]| -> Result<(), StoreError> {
        for (key, value) in range {
            handle.insert(key, value.as_slice())?;
            store.record_written(tree as usize, key);
        }
        Ok(())
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 || inserts.len() < PARALLEL_INSERTS {
        return insert_all(&inserts);
    }
    let per_range = inserts.len().div_ceil(cores);
    std::thread::scope(|scope| {
        let handles: Vec<_> = inserts
            .chunks(per_range)
            .map(|range| scope.spawn(move || insert_all(range)))
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .map_err(|_| StoreError::Codec("a bulk-load writer thread panicked".into()))?
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Link, Node, NodeId};
    use serde_json::json;

    fn node(id: &str, name: &str) -> Node {
        serde_json::from_value(json!({"id": id, "kind": "city", "name": name, "country": "RU"}))
            .unwrap()
    }

    fn link(a: &str, b: &str) -> Link {
        serde_json::from_value(
            json!({"id": format!("twinning:{a}:{b}"), "kind": "twinning", "members": [a, b]}),
        )
        .unwrap()
    }

    fn put_node(n: Node, before: Option<Node>) -> RecordChange {
        RecordChange::Node {
            before,
            after: Some(n),
        }
    }

    #[test]
    fn an_aborted_load_into_a_store_with_records_leaves_it_as_it_was() {
        let store = SledStore::temporary().unwrap();
        store
            .commit(
                &[
                    put_node(node("a", "Alpha"), None),
                    put_node(node("b", "Beta"), None),
                    RecordChange::Link {
                        before: None,
                        after: Some(link("a", "b")),
                    },
                ],
                true,
            )
            .unwrap();
        let before_check = store.check().unwrap();
        assert!(before_check.is_empty(), "{before_check:?}");
        let version = store.graph_version().unwrap();

        let mut load = store.begin_bulk_load().unwrap();
        assert!(!load.into_empty());
        load.write(&[
            put_node(node("a", "Alpha renamed"), Some(node("a", "Alpha"))),
            put_node(node("c", "Gamma"), None),
            RecordChange::Link {
                before: None,
                after: Some(link("a", "c")),
            },
        ])
        .unwrap();
        // A second touch of `a` in a later chunk keeps the first journal entry.
        load.write(&[put_node(
            node("a", "Alpha again"),
            Some(node("a", "Alpha renamed")),
        )])
        .unwrap();
        assert_eq!(store.counts(), (3, 2));
        load.abort().unwrap();

        assert_eq!(store.counts(), (2, 1));
        let a = store.get_node(&NodeId::new("a").unwrap()).unwrap().unwrap();
        assert_eq!(a.name, "Alpha");
        assert_eq!(store.graph_version().unwrap(), version);
        let problems = store.check().unwrap();
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn a_rollback_removes_index_entries_whose_record_never_reached_disk() {
        let store = SledStore::temporary().unwrap();
        store
            .commit(&[put_node(node("a", "Alpha"), None)], true)
            .unwrap();
        let prior = store.tree(TreeId::Nodes).get("a").unwrap().unwrap();
        let mut load = store.begin_bulk_load().unwrap();
        let mut moved = node("a", "Alpha");
        moved.country = Some("JP".parse().unwrap());
        load.write(&[
            put_node(moved, Some(node("a", "Alpha"))),
            put_node(node("c", "Gamma"), None),
        ])
        .unwrap();
        // As a crash can leave it: the trees were written side by side, and the index
        // entries reached disk while neither record did.
        store.tree(TreeId::Nodes).insert("a", prior).unwrap();
        store.tree(TreeId::Nodes).remove("c").unwrap();
        assert!(
            !store.check().unwrap().is_empty(),
            "the planted state is damaged"
        );
        load.abort().unwrap();
        let problems = store.check().unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(store.counts(), (1, 0));
        let a = store.get_node("a").unwrap().unwrap();
        assert_eq!(a.country.unwrap().as_str(), "RU");
    }

    #[test]
    fn an_unfinished_load_is_rolled_back_when_the_directory_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            let mut load = store.begin_bulk_load().unwrap();
            assert!(load.into_empty());
            load.write(&[put_node(node("a", "Alpha"), None)]).unwrap();
            store.flush().unwrap();
            // The load is never finished: as if the process died here.
            let _unfinished = load;
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.counts(), (0, 0));
        assert!(store.check().unwrap().is_empty());
        let load = store.begin_bulk_load().unwrap();
        let version = load.finish("test", ChangeCounts::default()).unwrap();
        assert_eq!(version, 1);
    }

    #[test]
    fn a_finished_load_is_one_new_graph_version() {
        let store = SledStore::temporary().unwrap();
        let mut load = store.begin_bulk_load().unwrap();
        load.write(&[
            put_node(node("a", "Alpha"), None),
            put_node(node("b", "Beta"), None),
        ])
        .unwrap();
        load.write(&[RecordChange::Link {
            before: None,
            after: Some(link("a", "b")),
        }])
        .unwrap();
        assert_eq!(load.finish("test", ChangeCounts::default()).unwrap(), 1);
        assert_eq!(store.counts(), (2, 1));
        assert!(store.check().unwrap().is_empty());
        assert!(store.begin_bulk_load().is_ok());
    }
}
