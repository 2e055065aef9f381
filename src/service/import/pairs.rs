//! How an import keeps track of the pairs (kind and members) its links take: compact
//! keys, owners, and a row's pair worked out once; what `Pending` asks of them.

use super::{Pending, RowError};
use crate::model::{LinkId, LinkKind, NodeId};

/// A pair-uniqueness key: link kind and canonical members.
pub(super) type PairKey = (LinkKind, Vec<NodeId>);

/// A pair-uniqueness key in 16 bytes: link kind and the members' ordinals in
/// `Pending::seen` (unused slots are `u32::MAX`).
pub(super) type CompactPair = (LinkKind, [u32; 3]);

/// A row's pair, with what the import looks it up by.
pub(super) struct RowPair {
    pub(super) key: PairKey,
    pub(super) compact: CompactPair,
    /// The id a link on this pair gets when none is given (`None`: it has none).
    pub(super) derived: Option<LinkId>,
}

/// Who owns a pair, as this import left it.
#[derive(Clone, Copy)]
pub(super) enum PairOwner {
    /// No link: the import moved the one it had elsewhere.
    Freed,
    /// The link whose id is derived from the pair (`kind:a+b`), the usual case.
    Derived,
    /// A link with a chosen id, kept in `Pending::chosen_ids`.
    Chosen(u32),
}

impl Pending<'_> {
    pub(super) fn compact(&mut self, key: &PairKey) -> CompactPair {
        let mut members = [u32::MAX; 3];
        for (slot, member) in members.iter_mut().zip(&key.1) {
            *slot = self.see(member).ordinal;
        }
        (key.0, members)
    }

    /// The pair of a row: its key, compact key and derived link id, worked out once.
    /// `id` is the link's own id: most links have the derived one, copied then rather
    /// than built again.
    pub(super) fn row_pair(&mut self, key: PairKey, id: &LinkId) -> RowPair {
        let derived = if id.is_derived_from(key.0.as_str(), &key.1) {
            Some(id.clone())
        } else {
            LinkId::derive(key.0.as_str(), &key.1).ok()
        };
        RowPair {
            compact: self.compact(&key),
            derived,
            key,
        }
    }

    /// The link of this kind between these members, as the import has left it so far.
    pub(super) fn owner_of(&self, pair: &RowPair) -> Result<Option<LinkId>, RowError> {
        let key = &pair.key;
        match self.pairs.get(&pair.compact) {
            Some(PairOwner::Freed) => Ok(None),
            Some(PairOwner::Derived) => pair.derived.clone().map(Some).ok_or_else(|| {
                RowError::fatal(0, "-", "a pair owned by its derived id has none".to_owned())
            }),
            Some(PairOwner::Chosen(at)) => Ok(self.chosen_ids.get(*at as usize).cloned()),
            None => match self.graph.link_between(key.0, &key.1) {
                Some(ix) => LinkId::new(self.graph.link_id(ix).as_ref())
                    .map(Some)
                    .map_err(|e| RowError::fatal(0, "-", format!("graph link id: {e}"))),
                None => Ok(None),
            },
        }
    }

    /// Records who owns a pair now.
    pub(super) fn set_owner(&mut self, pair: &RowPair, owner: Option<&LinkId>) {
        let owner = match owner {
            None => PairOwner::Freed,
            Some(id) if pair.derived.as_ref() == Some(id) => PairOwner::Derived,
            Some(id) => {
                self.chosen_ids.push(id.clone());
                self.chosen_set.insert(id.clone());
                PairOwner::Chosen(u32::try_from(self.chosen_ids.len() - 1).unwrap_or(u32::MAX))
            }
        };
        self.pairs.insert(pair.compact, owner);
    }
}
