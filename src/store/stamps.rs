//! Stamps that tell a cache of records whether what it holds is still current.
//!
//! Every node and link key hashes to one of [`SLOTS`] counters per tree; a writer bumps
//! the key's counter *after* the record is written. A reader loads the stamp *before*
//! it reads the record and keeps the pair: the copy is current exactly while the
//! counter still holds that stamp. A read that raced a write either saw the old record
//! with the old stamp (the bump that followed makes it stale) or carries a stamp older
//! than its record (a needless miss later), never a stale record under a current stamp.
//! Keys sharing a counter only cost each other misses.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters per tree: 512 KiB each; a burst of 5,000 writes a second bumps a given
/// counter about once every 13 seconds.
const SLOTS: usize = 1 << 16;

/// The trees whose records are stamped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StampedTree {
    /// Node records.
    Nodes,
    /// Link records.
    Links,
}

/// Change counters of node and link keys.
pub struct RecordStamps {
    nodes: Box<[AtomicU64]>,
    links: Box<[AtomicU64]>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl Default for RecordStamps {
    fn default() -> Self {
        let slots = || (0..SLOTS).map(|_| AtomicU64::new(0)).collect();
        Self {
            nodes: slots(),
            links: slots(),
            hasher: hashbrown::DefaultHashBuilder::default(),
        }
    }
}

impl RecordStamps {
    /// The hash of a key that picks its counter (callers that also key other tables
    /// by it hash once: [`RecordStamps::stamp_of_hash`]).
    pub fn key_hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn slot(&self, tree: StampedTree, hash: u64) -> &AtomicU64 {
        let at = hash as usize % SLOTS;
        match tree {
            StampedTree::Nodes => &self.nodes[at],
            StampedTree::Links => &self.links[at],
        }
    }

    /// The key's stamp: load it before reading the record.
    pub fn stamp(&self, tree: StampedTree, key: &[u8]) -> u64 {
        self.stamp_of_hash(tree, self.key_hash(key))
    }

    /// The stamp of the key whose [`RecordStamps::key_hash`] is `hash`.
    pub fn stamp_of_hash(&self, tree: StampedTree, hash: u64) -> u64 {
        self.slot(tree, hash).load(Ordering::Acquire)
    }

    /// Marks the key's cached copies stale: call after the record is written.
    pub fn bump(&self, tree: StampedTree, key: &[u8]) {
        self.slot(tree, self.key_hash(key))
            .fetch_add(1, Ordering::AcqRel);
    }

    /// Marks every cached copy stale (a tree cleared, a bulk load rolled back).
    pub fn bump_all(&self) {
        for slot in self.nodes.iter().chain(self.links.iter()) {
            slot.fetch_add(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_changes_the_key_stamp_of_its_tree_only() {
        let stamps = RecordStamps::default();
        let before = stamps.stamp(StampedTree::Links, b"twinning:a+b");
        let node = stamps.stamp(StampedTree::Nodes, b"twinning:a+b");
        stamps.bump(StampedTree::Links, b"twinning:a+b");
        assert_ne!(stamps.stamp(StampedTree::Links, b"twinning:a+b"), before);
        assert_eq!(stamps.stamp(StampedTree::Nodes, b"twinning:a+b"), node);
        let other = stamps.stamp(StampedTree::Nodes, b"city:x");
        stamps.bump_all();
        assert_ne!(stamps.stamp(StampedTree::Nodes, b"city:x"), other);
    }
}
