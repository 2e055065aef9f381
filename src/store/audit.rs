//! The change log: one entry per committed graph version, written before the change it
//! describes (it is the redo log, see `redo`), plus a per-record index of the versions
//! that touched each record (its history).

use std::ops::Bound;

use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::keys;
use super::sled_store::{RecordChange, SledStore};
use super::trees::{self, TreeId};
use super::StoreError;

/// Which kind of record a change touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordType {
    /// A node.
    Node,
    /// A link.
    Link,
}

/// What happened to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// It did not exist before.
    Create,
    /// Its content changed.
    Update,
    /// It does not exist after.
    Delete,
}

/// One record's change: its state before and after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordDiff {
    /// Node or link.
    pub record: RecordType,
    /// Its id.
    pub id: String,
    /// Created, updated or deleted.
    pub op: Operation,
    /// The record before the change (absent for a creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// The record after the change (absent for a deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
}

/// How many records a change created, updated and deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCounts {
    /// Records created.
    pub created: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records deleted.
    pub deleted: u64,
}

/// One committed graph version: who, when, what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeEntry {
    /// The graph version this change produced.
    pub version: u64,
    /// When it was committed (RFC 3339, UTC).
    pub at: String,
    /// Who made it: the name of the token used, `seed`, or `cli` for the command line.
    pub actor: String,
    /// `write` (API or library write, with every record's diff) or `import` (a bulk
    /// load, with counts only).
    pub action: String,
    /// Records created, updated and deleted.
    pub counts: ChangeCounts,
    /// Every record changed, before and after (empty for imports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<RecordDiff>,
}

/// A change entry being prepared before its version is known.
pub(super) struct PendingEntry {
    diffs: Vec<RecordDiff>,
    counts: ChangeCounts,
}

impl PendingEntry {
    /// Describes record changes.
    pub(super) fn of(changes: &[RecordChange]) -> Result<Self, StoreError> {
        let mut counts = ChangeCounts::default();
        let mut diffs = Vec::with_capacity(changes.len());
        for change in changes {
            let (record, id, before, after) = match change {
                RecordChange::Node { before, after } => (
                    RecordType::Node,
                    before.as_ref().or(after.as_ref()).map(|n| n.id.to_string()),
                    to_value(before)?,
                    to_value(after)?,
                ),
                RecordChange::Link { before, after } => (
                    RecordType::Link,
                    before.as_ref().or(after.as_ref()).map(|l| l.id.to_string()),
                    to_value(before)?,
                    to_value(after)?,
                ),
            };
            let Some(id) = id else { continue };
            let op = match (&before, &after) {
                (None, _) => Operation::Create,
                (_, None) => Operation::Delete,
                _ => Operation::Update,
            };
            match op {
                Operation::Create => counts.created += 1,
                Operation::Update => counts.updated += 1,
                Operation::Delete => counts.deleted += 1,
            }
            diffs.push(RecordDiff {
                record,
                id,
                op,
                before,
                after,
            });
        }
        Ok(Self { diffs, counts })
    }

    /// The entry at `version`, encoded, and the history keys of its records.
    pub(super) fn encode(
        &self,
        version: u64,
        at: &str,
        actor: &str,
    ) -> Result<(Vec<u8>, Vec<Vec<u8>>), StoreError> {
        let entry = ChangeEntry {
            version,
            at: at.to_string(),
            actor: actor.to_string(),
            action: "write".into(),
            counts: self.counts.clone(),
            changes: self.diffs.clone(),
        };
        let history = self
            .diffs
            .iter()
            .map(|d| history_key(d.record, &d.id, version))
            .collect();
        Ok((encode(&entry)?, history))
    }
}

fn to_value<T: Serialize>(record: &Option<T>) -> Result<Option<serde_json::Value>, StoreError> {
    record
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| StoreError::Codec(e.to_string()))
}

/// `n|l ∥ record id ∥ version`: the history key of a record changed at `version`.
pub(super) fn history_key(record: RecordType, id: &str, version: u64) -> Vec<u8> {
    let tag: &[u8] = match record {
        RecordType::Node => b"n",
        RecordType::Link => b"l",
    };
    let mut key = keys::prefix(&[tag, id.as_bytes()]);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

impl ChangeEntry {
    /// The record changes this entry logged (its diffs, as records again): what the
    /// redo log replays.
    pub(super) fn record_changes(&self) -> Result<Vec<RecordChange>, StoreError> {
        fn record<T: serde::de::DeserializeOwned>(
            value: &Option<serde_json::Value>,
            version: u64,
        ) -> Result<Option<T>, StoreError> {
            value
                .as_ref()
                .map(|v| T::deserialize(v))
                .transpose()
                .map_err(|e| StoreError::Corrupt {
                    tree: trees::CHANGES.into(),
                    key: version.to_string(),
                    detail: format!("unreadable record in the entry: {e}"),
                })
        }
        self.changes
            .iter()
            .map(|diff| {
                Ok(match diff.record {
                    RecordType::Node => RecordChange::Node {
                        before: record(&diff.before, self.version)?,
                        after: record(&diff.after, self.version)?,
                    },
                    RecordType::Link => RecordChange::Link {
                        before: record(&diff.before, self.version)?,
                        after: record(&diff.after, self.version)?,
                    },
                })
            })
            .collect()
    }
}

/// Encodes an import's change entry (counts only).
pub(super) fn import_entry(
    version: u64,
    actor: &str,
    counts: ChangeCounts,
) -> Result<Vec<u8>, StoreError> {
    encode(&ChangeEntry {
        version,
        at: crate::model::clock::now_rfc3339(),
        actor: actor.to_string(),
        action: "import".into(),
        counts,
        changes: Vec::new(),
    })
}

impl SledStore {
    /// Change entries with a version after `since`, oldest first, at most `limit`.
    pub fn changes_since(&self, since: u64, limit: usize) -> Result<Vec<ChangeEntry>, StoreError> {
        let start = since.saturating_add(1).to_be_bytes();
        self.tree(TreeId::Changes)
            .range(start..)
            .take(limit)
            .map(|entry| {
                let (key, value) = entry?;
                decode(trees::CHANGES, &key, &value)
            })
            .collect()
    }

    /// The changes of one record, oldest first: versions after `since`, at most `limit`,
    /// each entry cut down to this record's diff.
    pub fn record_history(
        &self,
        record: RecordType,
        id: &str,
        since: u64,
        limit: usize,
    ) -> Result<Vec<ChangeEntry>, StoreError> {
        let start = history_key(record, id, since.saturating_add(1));
        let prefix = history_key(record, id, 0);
        let prefix = &prefix[..prefix.len() - 8];
        let mut out = Vec::new();
        for entry in self
            .tree(TreeId::RecordChanges)
            .range::<Vec<u8>, _>((Bound::Included(start), Bound::Unbounded))
        {
            let (key, _) = entry?;
            if !key.starts_with(prefix) || out.len() == limit {
                break;
            }
            let version_bytes = &key[prefix.len()..];
            let Some(raw) = self.tree(TreeId::Changes).get(version_bytes)? else {
                return Err(StoreError::Corrupt {
                    tree: trees::RECORD_CHANGES.into(),
                    key: String::from_utf8_lossy(&key).into_owned(),
                    detail: "history entry without its change".into(),
                });
            };
            let mut change: ChangeEntry = decode(trees::CHANGES, version_bytes, &raw)?;
            change.changes.retain(|d| d.record == record && d.id == id);
            out.push(change);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Node;

    fn node(id: &str, name: &str) -> Node {
        serde_json::from_value(
            serde_json::json!({"id": id, "kind": "city", "name": name, "country": "RU"}),
        )
        .unwrap()
    }

    #[test]
    fn each_commit_is_one_entry_and_each_record_has_its_history() {
        let store = SledStore::temporary().unwrap();
        let put = |before: Option<Node>, after: Option<Node>| RecordChange::Node { before, after };
        store
            .commit_by(&[put(None, Some(node("a", "A")))], false, "editor")
            .unwrap();
        store
            .commit_by(
                &[
                    put(Some(node("a", "A")), Some(node("a", "A2"))),
                    put(None, Some(node("b", "B"))),
                ],
                false,
                "other",
            )
            .unwrap();
        store
            .commit_by(&[put(Some(node("a", "A2")), None)], false, "editor")
            .unwrap();

        let all = store.changes_since(0, 100).unwrap();
        assert_eq!(
            all.iter()
                .map(|c| (c.version, c.actor.as_str()))
                .collect::<Vec<_>>(),
            vec![(1, "editor"), (2, "other"), (3, "editor")]
        );
        assert_eq!(all[1].counts.created, 1);
        assert_eq!(all[1].counts.updated, 1);
        assert_eq!(store.changes_since(2, 100).unwrap().len(), 1);
        assert_eq!(store.changes_since(0, 1).unwrap().len(), 1);

        let history = store.record_history(RecordType::Node, "a", 0, 100).unwrap();
        let ops: Vec<_> = history.iter().map(|c| c.changes[0].op).collect();
        assert_eq!(
            ops,
            vec![Operation::Create, Operation::Update, Operation::Delete]
        );
        assert_eq!(history[1].changes.len(), 1, "cut down to the record");
        assert_eq!(history[1].changes[0].before.as_ref().unwrap()["name"], "A");
        assert_eq!(history[1].changes[0].after.as_ref().unwrap()["name"], "A2");
        assert_eq!(
            store.record_history(RecordType::Node, "a", 1, 1).unwrap()[0].version,
            2
        );
        assert!(store
            .record_history(RecordType::Link, "a", 0, 100)
            .unwrap()
            .is_empty());
    }
}
