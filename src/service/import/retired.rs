//! What a dry run remembers of the records its earlier chunks accepted.
//!
//! An import writes each chunk, and later rows find the records of earlier chunks in
//! the store. A dry run writes nothing, so it kept every accepted record whole: 7.6 GB
//! for the 1M network. Later rows need of such a record only whether it is the same as
//! theirs (a 64-bit fingerprint of its JSON) and, for a node, its kind (in
//! `Pending::seen` already); a link whose id derives from its pair is found through
//! that pair. So at the end of each chunk a dry run keeps a fingerprint per record
//! instead, and keeps whole only the links with chosen ids (rare in bulk files).

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
    /// The fingerprint of the record an earlier chunk of a dry run accepted.
    Retired(u64),
}

impl<T: PartialEq + Serialize> Earlier<T> {
    /// Whether `record` is the same as this one.
    pub(super) fn same_as(&self, record: &T) -> bool {
        match self {
            Self::Whole(old) => old == record,
            Self::Retired(fingerprint) => Some(*fingerprint) == fingerprint_of(record),
        }
    }

    /// The record, when it is kept whole.
    pub(super) fn into_whole(self) -> Option<T> {
        match self {
            Self::Whole(record) => Some(record),
            Self::Retired(_) => None,
        }
    }
}

/// A 64-bit fingerprint of a record's JSON (SipHash with fixed keys: the same record
/// gives the same fingerprint in every chunk). `None` if it does not serialise, which
/// then never matches.
fn fingerprint_of<T: Serialize>(record: &T) -> Option<u64> {
    let json = serde_json::to_vec(record).ok()?;
    #[allow(deprecated)] // SipHash with fixed keys: stable within the run, as needed.
    let mut hasher = std::hash::SipHasher::new();
    json.hash(&mut hasher);
    Some(hasher.finish())
}

/// Fingerprints of the records earlier chunks of a dry run accepted.
#[derive(Default)]
pub(super) struct Retired {
    /// By the node's ordinal in `Pending::seen`.
    nodes: HashMap<u32, u64>,
    /// Links whose id derives from their pair, by the pair.
    links: HashMap<CompactPair, u64>,
}

impl Pending<'_> {
    /// At the end of a chunk that will not be written: the accepted records become
    /// fingerprints, except links with chosen ids, kept whole.
    pub(super) fn retire(&mut self) {
        let mut retired = self.retired.take().unwrap_or_default();
        for (id, (_, node)) in std::mem::take(&mut self.nodes) {
            let ordinal = self.see(&id).ordinal;
            if let Some(fingerprint) = fingerprint_of(&node) {
                retired.nodes.insert(ordinal, fingerprint);
            }
        }
        let mut chosen = HashMap::new();
        for (id, (before, link)) in std::mem::take(&mut self.links) {
            let pair = self.row_pair((
                link.kind,
                crate::model::Link::canonical_members(link.kind, &link.members),
            ));
            match (pair.derived.as_ref() == Some(&id), fingerprint_of(&link)) {
                (true, Some(fingerprint)) => {
                    retired.links.insert(pair.compact, fingerprint);
                }
                _ => {
                    chosen.insert(id, (before, link));
                }
            }
        }
        self.links = chosen;
        self.retired = Some(retired);
    }

    /// The node an earlier chunk of this dry run accepted, as a fingerprint.
    pub(super) fn retired_node(&self, id: &NodeId) -> Option<u64> {
        let retired = self.retired.as_ref()?;
        retired.nodes.get(&self.seen.get(id)?.ordinal).copied()
    }

    /// The link `id` an earlier chunk of this dry run accepted on the row's pair, as a
    /// fingerprint (`derived`: the id derived from that pair).
    pub(super) fn retired_link(
        &self,
        id: &LinkId,
        derived: Option<&LinkId>,
        pair: &CompactPair,
    ) -> Option<u64> {
        let retired = self.retired.as_ref()?;
        if derived != Some(id) {
            return None;
        }
        retired.links.get(pair).copied()
    }
}
