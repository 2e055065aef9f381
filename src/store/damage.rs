//! Records that cannot be read back (damaged bytes, a value written by a defect): every
//! listing and scan reports and passes over them instead of failing, and they can be
//! removed with the index entries that point at them.
//!
//! Reading one directly ([`SledStore::get_node`]) stays an error
//! ([`StoreError::Unreadable`]): the caller asked for that record, and must learn that it
//! is damaged. A listing asked for "every record", and still gets every readable one.

use super::audit::ChangeCounts;
use super::codec::{decode, encode};
use super::damage_log::{decode_or_skip, DamageStats};
use super::keys;
use super::sled_store::SledStore;
use super::trees::{self, TreeId};
use super::{ChangeEntry, StoreError};
use crate::model::Link;

/// Keys to remove and index entries to (re)write, applied as one repair.
#[derive(Default)]
pub(super) struct Fixes {
    /// Index entries to remove.
    pub(super) stray_entries: Vec<(TreeId, Vec<u8>)>,
    /// Records to remove: damaged ones, and links whose members are gone.
    pub(super) records: Vec<(TreeId, Vec<u8>)>,
    /// Index entries to write (missing, or with a wrong value).
    pub(super) entries: Vec<(TreeId, Vec<u8>, Vec<u8>)>,
}

impl Fixes {
    pub(super) fn is_empty(&self) -> bool {
        self.stray_entries.is_empty() && self.records.is_empty() && self.entries.is_empty()
    }

    /// Applies the fixes — index removals, then records, then index insertions, so an
    /// entry never names a missing record — and logs them as one change entry by `actor`
    /// (counts only: a graph loaded from a snapshot file is then rebuilt from the
    /// records, not patched). Returns the new graph version; nothing to do leaves it.
    pub(super) fn apply(self, store: &SledStore, actor: &str) -> Result<u64, StoreError> {
        let _serial = store.commit_lock();
        let version = store.graph_version()?;
        if self.is_empty() {
            return Ok(version);
        }
        for (tree, key) in &self.stray_entries {
            store.tree(*tree).remove(key.as_slice())?;
        }
        let mut deleted = 0;
        for (tree, key) in &self.records {
            if store.tree(*tree).remove(key.as_slice())?.is_some() {
                deleted += 1;
            }
            store.record_written(*tree as usize, key);
            store.damage.forget(*tree, key);
        }
        for (tree, key, value) in &self.entries {
            store.tree(*tree).insert(key.as_slice(), value.as_slice())?;
        }
        let version = version + 1;
        let entry = ChangeEntry {
            version,
            at: crate::model::clock::now_rfc3339(),
            actor: actor.to_string(),
            action: "repair".into(),
            counts: ChangeCounts {
                deleted,
                ..ChangeCounts::default()
            },
            changes: Vec::new(),
        };
        store
            .tree(TreeId::Changes)
            .insert(version.to_be_bytes(), encode(&entry)?)?;
        store
            .tree(TreeId::Meta)
            .insert(trees::META_GRAPH_VERSION, &version.to_be_bytes())?;
        store.db().flush()?;
        Ok(version)
    }
}

/// What removing one damaged record would take, or did.
#[derive(Debug, PartialEq, Eq)]
pub enum Removal {
    /// The record is absent, or reads back: it is not this path's to remove.
    NotDamaged,
    /// A damaged node still named by these links, and no cascade was asked for.
    HasLinks(Vec<String>),
    /// Removed, with these links naming it (cascade), at this graph version.
    Removed {
        /// The graph version after the removal.
        version: u64,
        /// Links removed with the node.
        links: Vec<String>,
    },
}

impl SledStore {
    /// Damaged records met by listings and scans since the store was opened.
    pub fn damage_stats(&self) -> DamageStats {
        self.damage.stats()
    }

    /// Whether a listing or scan has met `key` of `tree` as damaged.
    #[cfg(test)]
    pub(crate) fn known_damaged(&self, tree: TreeId, key: &[u8]) -> bool {
        self.damage.knows(tree, key)
    }

    /// The error a write over a record met as damaged gets (the graph does not hold
    /// it, so the write would otherwise take it for absent and leave its old index
    /// entries behind): `None` when `id` was not met as damaged.
    pub(crate) fn damaged_error(&self, tree: TreeId, id: &str) -> Option<StoreError> {
        self.damage
            .knows(tree, id.as_bytes())
            .then(|| StoreError::Unreadable {
                tree: trees::ALL[tree as usize].to_string(),
                key: id.to_string(),
                detail: "it is damaged; delete it before writing it again".into(),
            })
    }

    /// Whether one of `members` is a node a listing or scan met as damaged: a link
    /// naming it is left out of graphs and whole-store exports, which cannot hold a
    /// link without its members.
    pub fn names_damaged_node(&self, members: &[crate::model::NodeId]) -> bool {
        members
            .iter()
            .any(|m| self.damage.knows(TreeId::Nodes, m.as_str().as_bytes()))
    }

    /// Removes the damaged node or link stored under `id` (`tree` is
    /// [`TreeId::Nodes`] or [`TreeId::Links`]) with every index entry that points at it;
    /// for a node, with `cascade`, the links that name it too. A record that reads back
    /// is left alone ([`Removal::NotDamaged`]): it goes the ordinary way, with its
    /// before-state logged.
    pub fn remove_damaged(
        &self,
        tree: TreeId,
        id: &str,
        cascade: bool,
        actor: &str,
    ) -> Result<Removal, StoreError> {
        let key = id.as_bytes();
        let Some(value) = self.tree(tree).get(key)? else {
            return Ok(Removal::NotDamaged);
        };
        let readable = match tree {
            TreeId::Nodes => decode::<crate::model::Node>(trees::NODES, key, &value).map(drop),
            TreeId::Links => decode::<Link>(trees::LINKS, key, &value).map(drop),
            _ => return Ok(Removal::NotDamaged),
        };
        match readable {
            Ok(()) => return Ok(Removal::NotDamaged),
            Err(StoreError::Unreadable { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut fixes = Fixes::default();
        let mut links = Vec::new();
        if tree == TreeId::Nodes {
            for entry in self.tree(TreeId::Links).iter() {
                let (link_key, link_value) = entry?;
                let Some(link) =
                    decode_or_skip::<Link>(&self.damage, TreeId::Links, &link_key, &link_value)?
                else {
                    continue;
                };
                if link.members.iter().any(|m| m.as_str() == id) {
                    links.push(link.id.to_string());
                    for (index, entry_key, _) in super::index::link_index(&link) {
                        fixes.stray_entries.push((index, entry_key));
                    }
                    fixes.records.push((TreeId::Links, link_key.to_vec()));
                }
            }
            if !links.is_empty() && !cascade {
                return Ok(Removal::HasLinks(links));
            }
        }
        let indexes: &[TreeId] = if tree == TreeId::Nodes {
            &[TreeId::NodeKind, TreeId::NodeCountry, TreeId::NodeName]
        } else {
            &[TreeId::LinkKind]
        };
        for &index in indexes {
            for entry in self.tree(index).iter() {
                let (entry_key, _) = entry?;
                if names(&entry_key, key) {
                    fixes.stray_entries.push((index, entry_key.to_vec()));
                }
            }
        }
        fixes.records.push((tree, key.to_vec()));
        let version = fixes.apply(self, actor)?;
        Ok(Removal::Removed { version, links })
    }
}

/// Whether an index entry's key (`part ∥ … ∥ id`) ends in the record key `id`.
pub(super) fn names(entry_key: &[u8], id: &[u8]) -> bool {
    entry_key.len() > id.len()
        && entry_key.ends_with(id)
        && entry_key[entry_key.len() - id.len() - 1] == keys::SEP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_damaged_record_is_removed_and_with_its_entries() {
        let store = SledStore::temporary().unwrap();
        let node: crate::model::Node = serde_json::from_value(serde_json::json!({
            "id": "n1", "kind": "city", "name": "Alpha", "country": "RU"
        }))
        .unwrap();
        store
            .commit(
                &[super::super::RecordChange::Node {
                    before: None,
                    after: Some(node),
                }],
                false,
            )
            .unwrap();
        let version = store.graph_version().unwrap();
        assert_eq!(
            store
                .remove_damaged(TreeId::Nodes, "n1", true, "t")
                .unwrap(),
            Removal::NotDamaged
        );
        assert_eq!(
            store
                .remove_damaged(TreeId::Nodes, "absent", true, "t")
                .unwrap(),
            Removal::NotDamaged
        );
        // Well-formed JSON that is not a node is damage too.
        store
            .tree(TreeId::Nodes)
            .insert("n1", &b"\x01{\"id\":3}"[..])
            .unwrap();
        assert_eq!(
            store
                .remove_damaged(TreeId::Nodes, "n1", false, "t")
                .unwrap(),
            Removal::Removed {
                version: version + 1,
                links: Vec::new()
            }
        );
        assert!(store.tree(TreeId::Nodes).is_empty());
        for index in [TreeId::NodeKind, TreeId::NodeCountry, TreeId::NodeName] {
            assert!(store.tree(index).is_empty(), "{index:?}");
        }
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
        let logged = store.changes_since(version, 10).unwrap();
        assert_eq!(
            (logged[0].action.as_str(), logged[0].counts.deleted),
            ("repair", 1)
        );
    }

    #[test]
    fn an_entry_names_a_record_only_by_its_whole_last_part() {
        assert!(names(b"city\0city:jp:a", b"city:jp:a"));
        assert!(!names(b"city\0xcity:jp:a", b"city:jp:a"));
        assert!(!names(b"city:jp:a", b"city:jp:a"));
    }
}
