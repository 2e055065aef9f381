//! How an import keeps track of the pairs (kind and members) its links take: compact
//! keys, owners, and a row's pair worked out once.

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
