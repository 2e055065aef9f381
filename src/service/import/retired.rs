//! What a dry run remembers of the records its earlier chunks accepted.
//!
//! An import writes each chunk, and later rows find the records of earlier chunks in
//! the store. A dry run writes nothing, so it kept every accepted record whole: 7.6 GB
//! for the 1M network. Later rows need of such a record only whether it is the same as
//! theirs (a 64-bit fingerprint of its JSON) and, for a node, its kind (in
//! `Pending::seen` already), for a link, the pair it took (to free it if a later row
//! moves the link). So at the end of each chunk a dry run keeps that instead: ~40
//! bytes a link. Links are found by a 64-bit hash of their id; two ids of one file
//! with the same hash (odds ~10⁻⁶ for 5 M links) would make a dry run count one
//! creation as an update, nothing worse, since nothing is written.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use super::pairs::CompactPair;
use super::Pending;
use crate::model::{LinkId, NodeId};

/// A record as the import has left it so far: whole, or, from an earlier chunk of a
/// dry run, its fingerprint only.
pub(super) enum Earlier<T> {
    /// The record.
    Whole(T),
    /// The record an earlier chunk of a dry run accepted: its fingerprint and, for a
    /// link, the pair it took.
    Retired {
        /// [`fingerprint_of`] the record.
        fingerprint: u64,
        /// The link's pair (`None` for a node).
        pair: Option<CompactPair>,
    },
}

impl<T: PartialEq + Serialize> Earlier<T> {
    /// Whether `record` is the same as this one.
    pub(super) fn same_as(&self, record: &T) -> bool {
        match self {
            Self::Whole(old) => old == record,
            Self::Retired { fingerprint, .. } => Some(*fingerprint) == fingerprint_of(record),
        }
    }

    /// The record, when it is kept whole.
    pub(super) fn into_whole(self) -> Option<T> {
        match self {
            Self::Whole(record) => Some(record),
            Self::Retired { .. } => None,
        }
    }
}

/// A 64-bit fingerprint of a record's JSON (SipHash with fixed keys: the same record
/// gives the same fingerprint in every chunk). `None` if it does not serialise, which
/// then never matches.
fn fingerprint_of<T: Serialize>(record: &T) -> Option<u64> {
    serde_json::to_vec(record).ok().map(|json| hash_of(&json))
}

/// SipHash with fixed keys: the same value gives the same hash in every chunk.
pub(super) fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    #[allow(deprecated)]
    let mut hasher = std::hash::SipHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Fingerprints of the records earlier chunks of a dry run accepted.
#[derive(Default)]
pub(super) struct Retired {
    /// By the node's ordinal in `Pending::seen`.
    nodes: HashMap<u32, u64>,
    /// Links by the hash of their id: their pair and fingerprint.
    links: HashMap<u64, (CompactPair, u64)>,
}

impl Pending<'_> {
    /// At the end of a chunk that will not be written: the accepted records become
    /// fingerprints.
    pub(super) fn retire(&mut self) {
        let mut retired = self.retired.take().unwrap_or_default();
        self.forget_chunk_names();
        for (id, (_, node)) in std::mem::take(&mut self.nodes) {
            self.retire_named(&node);
            let ordinal = self.see(&id).ordinal;
            if let Some(fingerprint) = fingerprint_of(&node) {
                retired.nodes.insert(ordinal, fingerprint);
            }
        }
        for (id, (_, link)) in std::mem::take(&mut self.links) {
            let compact = self.compact(&(
                link.kind,
                crate::model::Link::canonical_members(link.kind, &link.members),
            ));
            if let Some(fingerprint) = fingerprint_of(&link) {
                retired
                    .links
                    .insert(hash_of(id.as_str().as_bytes()), (compact, fingerprint));
            }
        }
        self.retired = Some(retired);
    }

    /// The node an earlier chunk of this dry run accepted.
    pub(super) fn retired_node(&self, id: &NodeId) -> Option<Earlier<crate::model::Node>> {
        let retired = self.retired.as_ref()?;
        let &fingerprint = retired.nodes.get(&self.seen.get(id)?.ordinal)?;
        Some(Earlier::Retired {
            fingerprint,
            pair: None,
        })
    }

    /// The link `id` an earlier chunk of this dry run accepted, with the pair it took.
    pub(super) fn retired_link(&self, id: &LinkId) -> Option<Earlier<crate::model::Link>> {
        let retired = self.retired.as_ref()?;
        let &(pair, fingerprint) = retired.links.get(&hash_of(id.as_str().as_bytes()))?;
        Some(Earlier::Retired {
            fingerprint,
            pair: Some(pair),
        })
    }
}
