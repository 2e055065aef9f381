//! The service: validation, writes and queries over the store and the graph snapshot.
//!
//! Writes are serialised by one writer lock: a write reads the current records,
//! checks every invariant against them and the write's own earlier changes, commits
//! it (change log first, then the records: `store::redo`), then swaps in a snapshot at
//! the new version. Reads take the current snapshot (`Arc`) and never wait for writers.

pub mod analysis;
pub mod answers;
pub mod binned;
mod cache;
pub mod centrality;
mod damaged;
pub mod documents;
mod durability;
pub mod evaluate;
pub mod export;
pub mod filters;
#[cfg(test)]
mod format_properties;
mod group;
pub mod history;
pub mod import;
pub mod layout;
pub mod learned;
pub mod manifest;
pub mod map;
pub mod neighbourhood;
pub mod partners;
pub mod paths;
pub mod persisted;
pub mod places;
mod query;
pub mod rendered;
mod shown;
mod snapshots;
pub mod sources;
pub mod structure;
pub mod suggestions;
pub mod trends;
pub mod upkeep;
mod write;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::graph::algo::QueryError;
pub use crate::io::json::{duplicate_key, duplicate_key_detail};
pub use crate::model::draft::{link_from_json, merge_patch, node_from_json};
pub use crate::store::{LinkFilter, NodeFilter, StoreError};
pub use import::{ImportOptions, ImportReport, Item, Record, RowError};
pub use persisted::SnapshotOrigin;
pub use query::{Near, NodeList, NodeQuery};
pub use snapshots::SAVE_EVERY_COMPACTIONS;
pub use write::{Change, WriteSummary};

use crate::graph::project::{self, ProjectError};
use crate::graph::GraphSnapshot;
use crate::model::ValidationError;
use crate::store::SledStore;

/// Which 409 conflict a write ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// A node with this id already exists.
    NodeExists,
    /// A link with this id already exists.
    LinkExists,
    /// A link of the same kind between the same members already exists.
    DuplicateLink,
    /// The node still has links and `cascade` was not asked for.
    NodeHasLinks,
}

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks a rule of the data model.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The node or link does not exist.
    #[error("{what} `{id}` does not exist")]
    NotFound {
        /// `node` or `link`.
        what: &'static str,
        /// The id asked for.
        id: String,
        /// The request field that named it, if any.
        field: Option<String>,
    },
    /// The node or link asked for by id does not exist, but others look meant: a node
    /// whose name is the text asked for, a link with the same members in the other order.
    #[error("{what} `{id}` does not exist; did you mean {}?", quoted(near))]
    NotFoundNear {
        /// `node` or `link`.
        what: &'static str,
        /// The id asked for.
        id: String,
        /// Ids of the records that look meant (at most three).
        near: Vec<String>,
    },
    /// The write conflicts with what is stored.
    #[error("{detail}")]
    Conflict {
        /// Which conflict.
        kind: ConflictKind,
        /// A sentence a person can act on.
        detail: String,
        /// The field at fault.
        field: String,
    },
    /// A query parameter is unusable; the detail names it.
    #[error("{detail}")]
    BadQuery {
        /// The parameter.
        field: String,
        /// What is wrong with it.
        detail: String,
    },
    /// Query parameters each valid on its own that cannot go together (`method` with
    /// `weights`; a sample size for a measure that is not sampled).
    #[error("{detail}")]
    Conflicting {
        /// The parameter that does not fit the others.
        field: String,
        /// Why.
        detail: String,
    },
    /// The node a question names is of another kind than the question takes.
    #[error("{detail}")]
    WrongKind {
        /// The parameter that names it.
        field: String,
        /// Which kind it is, and which the question takes.
        detail: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored records could not be projected into a graph.
    #[error(transparent)]
    Project(#[from] ProjectError),
    /// A node named by a query parameter does not exist.
    #[error("node `{id}` does not exist")]
    UnknownNode {
        /// The id.
        id: String,
        /// The parameter that named it.
        field: String,
    },
    /// The two nodes of a path question are not joined under its filter and depth.
    #[error("{0}")]
    NoPath(String),
    /// A graph query stopped on a limit.
    #[error(transparent)]
    Query(#[from] crate::graph::algo::QueryError),
    /// The snapshot file could not be written.
    #[error(transparent)]
    Persist(#[from] crate::graph::persist::PersistError),
    /// A lock was poisoned by a panic in another thread.
    #[error("internal lock poisoned")]
    Poisoned,
}

/// The service shared by every request handler.
pub struct Service {
    store: SledStore,
    snapshots: snapshots::Snapshots,
    origin: SnapshotOrigin,
    cache: Arc<cache::QueryCache>,
    rendered: rendered::RenderedRecords,
    /// Large graph answers as sent, per graph version.
    answers: answers::RenderedAnswers,
    query_budget: Duration,
    partners: Mutex<Option<Arc<partners::PartnerData>>>,
    partner_models: Mutex<learned::KeptModels>,
    places: Mutex<Option<places::Places>>,
    places_built: std::sync::atomic::AtomicU64,
    heavy_running: std::sync::atomic::AtomicUsize,
    max_heavy: usize,
    commits: group::CommitQueue,
}

/// Name of the snapshot file in the data directory.
pub const SNAPSHOT_FILE: &str = "graph.snapshot";

/// Writes per second each token may make unless configured otherwise.
pub const DEFAULT_WRITE_RATE: f64 = 100.0;

/// Expensive graph queries allowed at once unless configured otherwise.
pub const DEFAULT_MAX_HEAVY_QUERIES: usize = 2;

/// A slot for one expensive query; freed when dropped.
pub struct HeavySlot<'a> {
    running: &'a std::sync::atomic::AtomicUsize,
}

impl Drop for HeavySlot<'_> {
    fn drop(&mut self) {
        self.running
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Time budget of one graph query unless configured otherwise.
pub const DEFAULT_QUERY_BUDGET: Duration = Duration::from_secs(60);

impl Service {
    /// Opens the store in `dir` and builds the graph snapshot.
    ///
    /// The snapshot comes from the snapshot file in `dir` when it is usable (then the
    /// writes committed after it are replayed from the change log), from every record
    /// of the store otherwise.
    pub fn open(dir: &Path) -> Result<Self, ServiceError> {
        let store = SledStore::open(dir)?;
        let file = dir.join(SNAPSHOT_FILE);
        let (snapshot, origin) = persisted::open_snapshot(&store, &file)?;
        let mut service = Self::with_snapshot(store, snapshot, Some(file))?;
        if let SnapshotOrigin::File { .. } = origin {
            service.snapshots.set_file_loaded();
        }
        service.origin = origin;
        Ok(service)
    }

    /// A service over a new store in a temporary directory, removed when dropped.
    pub fn temporary() -> Result<Self, ServiceError> {
        Self::from_store(SledStore::temporary()?)
    }

    /// Wraps an open store and builds the graph snapshot from its records.
    pub fn from_store(store: SledStore) -> Result<Self, ServiceError> {
        let snapshot = build_snapshot(&store)?;
        Self::with_snapshot(store, snapshot, None)
    }

    fn with_snapshot(
        store: SledStore,
        snapshot: GraphSnapshot,
        file: Option<std::path::PathBuf>,
    ) -> Result<Self, ServiceError> {
        let cache = Arc::new(cache::QueryCache::default());
        let mut snapshots = snapshots::Snapshots::new(snapshot, file);
        let warm = Arc::clone(&cache);
        snapshots.set_on_compacted(Arc::new(move |graph, from| warm.prepare_base(graph, from)));
        Ok(Self {
            store,
            snapshots,
            origin: SnapshotOrigin::Records,
            cache,
            rendered: rendered::RenderedRecords::new(rendered::DEFAULT_RECORD_CACHE_BYTES),
            answers: answers::RenderedAnswers::new(answers::DEFAULT_ANSWER_CACHE_BYTES),
            query_budget: DEFAULT_QUERY_BUDGET,
            partners: Mutex::new(None),
            partner_models: Mutex::new(learned::KeptModels::default()),
            places: Mutex::new(None),
            places_built: std::sync::atomic::AtomicU64::new(0),
            heavy_running: std::sync::atomic::AtomicUsize::new(0),
            max_heavy: DEFAULT_MAX_HEAVY_QUERIES,
            commits: group::CommitQueue::default(),
        })
    }

    /// The current graph snapshot.
    pub fn snapshot(&self) -> Arc<GraphSnapshot> {
        self.snapshots.current()
    }

    /// Compacts the snapshot's overlay after `changes` changes instead of the default
    /// ([`snapshots::COMPACT_AFTER`], more for large graphs: [`snapshots::COMPACT_PER_LINKS`]).
    pub fn with_compaction_after(mut self, changes: usize) -> Self {
        self.snapshots.set_compact_after(changes);
        self
    }

    /// Where the snapshot came from when the service was opened.
    pub fn snapshot_origin(&self) -> SnapshotOrigin {
        self.origin
    }

    /// Writes the snapshot file (when the service was opened on a directory): the
    /// latest durable graph, compacted. Writers wait only for a flush.
    pub fn save_snapshot(&self) -> Result<(), ServiceError> {
        self.snapshots.save(&self.store)
    }

    /// The snapshot rebuilt from every record of the store (for checks: it must equal
    /// the incrementally maintained one).
    pub fn rebuild_snapshot(&self) -> Result<GraphSnapshot, ServiceError> {
        let _guard = self.snapshots.lock();
        build_snapshot(&self.store)
    }

    /// The version of the current snapshot.
    pub fn version(&self) -> u64 {
        self.snapshot().version()
    }

    /// Sets the time budget of each graph query.
    pub fn with_query_budget(mut self, budget: Duration) -> Self {
        self.query_budget = budget;
        self
    }

    /// Sets the bytes of rendered node and link records kept for graph answers
    /// (0: none, every record is read from the store each time).
    pub fn with_record_cache(mut self, bytes: u64) -> Self {
        self.rendered = rendered::RenderedRecords::new(bytes);
        self
    }

    /// Sets the bytes of large graph answers kept per graph version (0: none).
    pub fn with_answer_cache(mut self, bytes: u64) -> Self {
        self.answers = answers::RenderedAnswers::new(bytes);
        self
    }

    /// Large graph answers kept as sent, per graph version.
    pub fn answers(&self) -> &answers::RenderedAnswers {
        &self.answers
    }

    /// Rendered records cached (count, bytes).
    pub fn record_cache_usage(&self) -> (usize, u64) {
        self.rendered.usage()
    }

    /// Sets how many expensive queries (centrality, communities, statistics, an
    /// association's partners) may run at once; past it they answer 503.
    pub fn with_max_heavy_queries(mut self, max: usize) -> Self {
        self.max_heavy = max;
        self
    }

    /// Takes a slot for an expensive query, or `None` when all are taken.
    pub fn try_heavy(&self) -> Option<HeavySlot<'_>> {
        use std::sync::atomic::Ordering;
        let taken = self
            .heavy_running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_heavy).then_some(n + 1)
            });
        taken.ok().map(|_| HeavySlot {
            running: &self.heavy_running,
        })
    }

    /// A fresh budget for one graph query.
    pub fn budget(&self) -> crate::graph::algo::Budget {
        crate::graph::algo::Budget::of(self.query_budget)
    }

    /// Whether the view a query under `filter` needs is built (or prepared) for the
    /// base of the latest snapshot, committed or installed.
    pub fn view_is_ready(&self, filter: &crate::graph::filter::Filter) -> bool {
        let latest = Arc::clone(&self.snapshots.lock().latest);
        self.cache.has_base_view(&latest, filter)
    }

    /// Stored records met since start that cannot be read back (listings pass over them).
    pub fn damage_stats(&self) -> crate::store::DamageStats {
        self.store.damage_stats()
    }

    /// Result-cache hits and misses since start.
    pub fn cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }

    /// Writes a consistent backup of the store to `out`: writes wait until it is done.
    pub fn backup_to(
        &self,
        out: impl std::io::Write,
    ) -> Result<crate::store::BackupStats, crate::store::BackupError> {
        let _guard = self.snapshots.lock();
        self.store.backup_to(out)
    }
}

/// Projects every record of the store into a snapshot at the store's version.
pub(crate) fn build_snapshot(store: &SledStore) -> Result<GraphSnapshot, ServiceError> {
    let version = store.graph_version()?;
    // Records stream into the projection (a million links as whole records would
    // take gigabytes); the first unreadable one stops it and is the error.
    let (mut node_failure, mut link_failure) = (None, None);
    let nodes = store
        .scan_decoded_ahead::<project::NodeInput>(crate::store::trees::TreeId::Nodes)
        .map_while(|n| keep_until_failure(n, &mut node_failure))
        .map(|n| (n.id, n.kind));
    // A link naming a damaged node (passed over by the node scan) is held back: the
    // graph cannot hold a link without its member, and one damaged record must not
    // keep the store from opening. Both are reported; `check --repair` removes them.
    let links = store
        .scan_decoded_ahead::<project::LinkInput>(crate::store::trees::TreeId::Links)
        .map_while(|l| keep_until_failure(l, &mut link_failure))
        .filter(|l| {
            let damaged = store.names_damaged_node(&l.members);
            if damaged {
                tracing::warn!(link = %l.id, "a link names a damaged node: left out of the graph");
            }
            !damaged
        });
    let built = project::build(version, nodes, links);
    if let Some(e) = node_failure.or(link_failure) {
        return Err(e.into());
    }
    Ok(built?)
}

/// The item, or `None` (ending a `map_while`) with the error kept in `failure`.
fn keep_until_failure<T>(
    item: Result<T, crate::store::StoreError>,
    failure: &mut Option<crate::store::StoreError>,
) -> Option<T> {
    item.map_err(|e| *failure = Some(e)).ok()
}

/// Ids as a sentence lists them: `a`, `b`.
fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
