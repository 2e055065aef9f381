//! Names of the sled trees. Each carries the version of its key layout.

/// Metadata: format version, graph version, seed marker.
pub const META: &str = "meta";
/// Node records by id.
pub const NODES: &str = "nodes.v1";
/// Link records by id.
pub const LINKS: &str = "links.v1";
/// `kind ∥ node id`, for nodes whose id does not begin with `kind:` (the others are
/// listed by that prefix in [`NODES`]).
pub const NODE_KIND: &str = "idx.node_kind.v2";
/// `country ∥ node id`.
pub const NODE_COUNTRY: &str = "idx.node_country.v1";
/// `normalised term ∥ node id` → `[1]` for a whole name, `[0]` for a word of a name.
pub const NODE_NAME: &str = "idx.node_name.v1";
/// `link kind ∥ link id`, for links whose id does not begin with `kind:` (the others
/// are listed by that prefix in [`LINKS`]).
pub const LINK_KIND: &str = "idx.link_kind.v2";

/// The bulk-load journal: for each record key a bulk load touched, the record as it
/// was before the load (`[0]` when it did not exist). Empty outside a bulk load.
pub const BULK_UNDO: &str = "journal.bulk_undo.v1";

/// Access tokens by id (16 hex digits) → the token record (its secret only as a hash).
pub const TOKENS: &str = "auth.tokens.v1";
/// The change log: graph version (u64 big-endian) → who changed what, when, with the
/// records before and after. Written before the change, atomically per group: the
/// redo log (see `redo`).
pub const CHANGES: &str = "audit.changes.v1";
/// `n|l ∥ record id ∥ graph version (u64 big-endian)`: the versions that changed a
/// record, for its history.
pub const RECORD_CHANGES: &str = "audit.record_changes.v1";

/// Every tree, in the order of [`TreeId`].
pub const ALL: [&str; 11] = [
    META,
    NODES,
    LINKS,
    NODE_KIND,
    NODE_COUNTRY,
    NODE_NAME,
    LINK_KIND,
    BULK_UNDO,
    TOKENS,
    CHANGES,
    RECORD_CHANGES,
];

/// Trees that hold records or their index entries (everything but meta and the journal).
pub const DATA: [TreeId; 6] = [
    TreeId::Nodes,
    TreeId::Links,
    TreeId::NodeKind,
    TreeId::NodeCountry,
    TreeId::NodeName,
    TreeId::LinkKind,
];

/// Position of a tree in [`ALL`] and in the store's tree list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TreeId {
    /// [`META`]
    Meta = 0,
    /// [`NODES`]
    Nodes,
    /// [`LINKS`]
    Links,
    /// [`NODE_KIND`]
    NodeKind,
    /// [`NODE_COUNTRY`]
    NodeCountry,
    /// [`NODE_NAME`]
    NodeName,
    /// [`LINK_KIND`]
    LinkKind,
    /// [`BULK_UNDO`]
    BulkUndo,
    /// [`TOKENS`]
    Tokens,
    /// [`CHANGES`]
    Changes,
    /// [`RECORD_CHANGES`]
    RecordChanges,
}

/// Meta key: format version of the whole directory (u64 big-endian).
pub const META_FORMAT_VERSION: &[u8] = b"format_version";
/// Meta key: graph version, bumped by every committed write (u64 big-endian).
pub const META_GRAPH_VERSION: &[u8] = b"graph_version";
/// Meta key: set once the directory has been seeded (or chosen not to be).
pub const META_SEEDED: &[u8] = b"seeded";

/// Meta key: present while a bulk load is in progress; `[1]` when the store was empty
/// before it (roll back by clearing), `[0]` otherwise (roll back from the journal),
/// followed by the graph version before the load (u64 big-endian).
pub const META_BULK_LOAD: &[u8] = b"bulk_load";

/// Trees of earlier formats that this one no longer keeps: dropped when a directory of
/// an earlier format is opened, and skipped when an old backup is restored.
/// Format 2 dropped `idx.link_member.v1` (`member ∥ link kind ∥ link id`, two keys per
/// link): a node's links come from the in-memory graph, which holds them anyway.
/// Format 3 dropped `idx.link_pair.v1` (`link kind ∥ canonical members` → link id): the
/// one-link-per-kind-and-members rule is checked against the graph, which indexes pairs;
/// and `idx.link_kind.v1`, which had every link: `idx.link_kind.v2` has only those
/// whose id does not begin with their kind (rebuilt from the links on upgrade).
/// Format 4 dropped `idx.node_kind.v1`, which had every node, for `idx.node_kind.v2`,
/// the same rule for nodes (a million cities imported cost a million keys fewer).
pub const RETIRED: [&str; 4] = [
    "idx.link_member.v1",
    "idx.link_pair.v1",
    "idx.link_kind.v1",
    "idx.node_kind.v1",
];

/// The directory format this build writes and reads (older ones are upgraded on open).
pub const FORMAT_VERSION: u64 = 4;
