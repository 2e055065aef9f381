//! The snapshot pipeline. Writers hold the writer lock while they check, commit to
//! sled (without flushing) and build the next snapshot from the latest one (an overlay
//! edit, see [`crate::graph::GraphSnapshot`]); they flush *after* releasing the lock,
//! so writers that arrive while one flushes share the next flush (group commit), and
//! then install their snapshot for readers if nothing newer is installed yet. A reader
//! therefore never sees a version before it is on disk.
//!
//! When the overlay has grown past [`COMPACT_AFTER`] changes (or one per
//! [`COMPACT_PER_LINKS`] links of a larger graph), a background thread folds
//! it into a new base; writes go on meanwhile and are logged, and the thread replays
//! them onto the new base under the writer lock. The compacted graph becomes visible
//! with the next write's version (a version always has one snapshot, so caches keyed
//! by version stay right). Every [`SAVE_EVERY_COMPACTIONS`]th compaction also writes
//! the new base to the snapshot file, so an open replays a bounded tail of the log.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::graph::persist;
use crate::graph::project::{self, GraphDelta};
use crate::graph::GraphSnapshot;

/// Overlay changes after which a snapshot is compacted in the background (the least).
pub const COMPACT_AFTER: usize = 16_384;

/// Links per overlay change allowed before a compaction, for graphs large enough that
/// this exceeds [`COMPACT_AFTER`] (at 4.5 M links: 35,000 changes). Folding costs time
/// linear in the graph (about 2.5 s of a core at 4.5 M links); the overlay costs each
/// write and each new view time that grows with the overlay. Growing the threshold with
/// the graph keeps folding's share of each write the same at every size instead of
/// letting it take a third of the CPU of a write burst at 1M cities.
pub const COMPACT_PER_LINKS: usize = 128;

/// A compaction rewrites the snapshot file only every this many compactions (and the
/// first time when there is no file): at 1M, writing the file took 1.4 s of the 6.5 s
/// a compaction costs under a burst. An open after a crash replays at most this many
/// compactions' worth of writes from the change log (a clean stop writes the file).
pub const SAVE_EVERY_COMPACTIONS: u32 = 3;

/// What the writer lock guards.
pub(crate) struct WriterState {
    /// The snapshot of the latest commit (maybe not yet installed for readers).
    pub(crate) latest: Arc<GraphSnapshot>,
    compaction: Option<Compaction>,
    compactions: u64,
    /// No compaction starts before this (see [`Snapshots::advance`]).
    rest_until: Option<std::time::Instant>,
}

/// A compaction in progress: the writes committed since it started.
struct Compaction {
    id: u64,
    log: Vec<(u64, GraphDelta)>,
}

/// The shared snapshot state.
pub(crate) struct Snapshots {
    installed: Arc<RwLock<Arc<GraphSnapshot>>>,
    writer: Arc<Mutex<WriterState>>,
    /// A fixed threshold (tests); `None`: [`compact_threshold`].
    compact_after: Option<usize>,
    file: Option<Arc<PathBuf>>,
    durability: super::durability::Durability,
    on_compacted: Option<CompactedHook>,
    /// Compactions since the snapshot file was last written.
    unsaved: Arc<std::sync::atomic::AtomicU32>,
}

/// Called by the compaction thread with each new base, and the snapshot it was
/// compacted from, before it is installed (the service prepares the filtered views
/// readers use, so no reader waits for them).
pub(crate) type CompactedHook = Arc<CompactedFn>;

/// See [`CompactedHook`]: `(new base, compacted from)`.
pub(crate) type CompactedFn = dyn Fn(&GraphSnapshot, &GraphSnapshot) + Send + Sync;

impl Snapshots {
    pub(crate) fn new(snapshot: GraphSnapshot, file: Option<PathBuf>) -> Self {
        let snapshot = Arc::new(snapshot);
        Self {
            durability: super::durability::Durability::new(snapshot.version()),
            file: file.map(Arc::new),
            installed: Arc::new(RwLock::new(Arc::clone(&snapshot))),
            writer: Arc::new(Mutex::new(WriterState {
                latest: snapshot,
                compaction: None,
                compactions: 0,
                rest_until: None,
            })),
            compact_after: None,
            on_compacted: None,
            unsaved: Arc::new(std::sync::atomic::AtomicU32::new(
                SAVE_EVERY_COMPACTIONS - 1,
            )),
        }
    }

    /// Notes that the snapshot file on disk is usable (it was loaded at open): the next
    /// compactions need not rewrite it at once.
    pub(crate) fn set_file_loaded(&self) {
        self.unsaved.store(0, std::sync::atomic::Ordering::Release);
    }

    /// Sets what runs on each compacted base before it is installed.
    pub(crate) fn set_on_compacted(&mut self, hook: CompactedHook) {
        self.on_compacted = Some(hook);
    }

    /// Compacts after `changes` overlay changes instead (tests).
    pub(crate) fn set_compact_after(&mut self, changes: usize) {
        self.compact_after = Some(changes.max(1));
    }

    /// The snapshot readers see.
    pub(crate) fn current(&self) -> Arc<GraphSnapshot> {
        match self.installed.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Takes the writer lock.
    pub(crate) fn lock(&self) -> MutexGuard<'_, WriterState> {
        match self.writer.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Records a commit's snapshot as the latest (writer lock held); starts a background
    /// compaction when the overlay is large. Install it with [`Snapshots::install`] once
    /// the commit is durable.
    /// `deltas` are the writes it applied, by version, in order.
    pub(crate) fn advance(
        &self,
        state: &mut WriterState,
        next: GraphSnapshot,
        deltas: Vec<(u64, GraphDelta)>,
    ) -> Arc<GraphSnapshot> {
        let next = Arc::new(next);
        state.latest = Arc::clone(&next);
        // After a compaction, the next waits as long as that one took (with the size
        // threshold; a fixed one, for tests, does not wait): under a steady burst of
        // writes at 1M, compactions otherwise ran back to back — each replayed more
        // writes than the threshold — and took a core of two.
        let rested = self.compact_after.is_some()
            || state
                .rest_until
                .is_none_or(|t| std::time::Instant::now() >= t);
        match state.compaction.as_mut() {
            Some(running) => running.log.extend(deltas),
            None if rested
                && next.overlay_changes()
                    >= self
                        .compact_after
                        .unwrap_or_else(|| compact_threshold(&next)) =>
            {
                state.compactions += 1;
                let id = state.compactions;
                state.compaction = Some(Compaction {
                    id,
                    log: Vec::new(),
                });
                self.spawn_compaction(id, Arc::clone(&next));
            }
            None => {}
        }
        next
    }

    /// Replaces everything with a snapshot rebuilt from the store (writer lock held), e.g.
    /// after a bulk load; a compaction in progress is abandoned.
    pub(crate) fn replace(&self, state: &mut WriterState, snapshot: GraphSnapshot) {
        let snapshot = Arc::new(snapshot);
        state.latest = Arc::clone(&snapshot);
        state.compaction = None;
        self.install(snapshot);
    }

    /// Records that `version` is committed to the store, not yet flushed (writer lock held).
    pub(crate) fn committed(&self, version: u64) {
        self.durability.committed(version);
    }

    /// Returns once `version` is on disk; concurrent writers share flushes (group commit).
    pub(crate) fn wait_durable(
        &self,
        store: &crate::store::SledStore,
        version: u64,
    ) -> Result<(), crate::store::StoreError> {
        self.durability.wait_durable(version, || store.flush())
    }

    /// Makes `snapshot` the one readers see, unless a newer one is already installed.
    pub(crate) fn install(&self, snapshot: Arc<GraphSnapshot>) {
        let mut guard = match self.installed.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if snapshot.version() >= guard.version() {
            *guard = snapshot;
        }
    }

    /// Writes the snapshot file: flushes under the writer lock (so the latest snapshot
    /// is durable), then compacts and writes it outside the lock.
    pub(crate) fn save(&self, store: &crate::store::SledStore) -> Result<(), super::ServiceError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let latest = {
            let state = self.lock();
            store.flush()?;
            Arc::clone(&state.latest)
        };
        let compacted = if latest.overlay_changes() == 0 {
            latest
        } else {
            Arc::new(project::compact(&latest)?)
        };
        persist::save(&compacted, file).map_err(super::ServiceError::Persist)?;
        self.unsaved.store(0, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    fn spawn_compaction(&self, id: u64, from: Arc<GraphSnapshot>) {
        let writer = Arc::clone(&self.writer);
        let file = self.file.clone();
        let hook = self.on_compacted.clone();
        let unsaved = Arc::clone(&self.unsaved);
        let spawned = std::thread::Builder::new()
            .name("pobratim-compact".into())
            .spawn(move || {
                // The file is rewritten every few compactions (see `SAVE_EVERY_COMPACTIONS`).
                let due = unsaved.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1
                    >= SAVE_EVERY_COMPACTIONS;
                let file = file.as_deref().map(PathBuf::as_path).filter(|_| due);
                if compact(&writer, id, &from, file, hook.as_deref()) {
                    unsaved.store(0, std::sync::atomic::Ordering::Release);
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start a snapshot compaction; will retry later");
            let mut state = match self.writer.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            state.compaction = None;
        }
    }
}

/// Overlay changes after which `graph` is compacted: [`COMPACT_AFTER`], or one change
/// per [`COMPACT_PER_LINKS`] links when that is more.
fn compact_threshold(graph: &GraphSnapshot) -> usize {
    COMPACT_AFTER.max(graph.link_count() / COMPACT_PER_LINKS)
}

/// Folds `from`'s overlay into a new base, writes it to `file` when given, prepares
/// the views in use, then installs it with the writes made meanwhile replayed.
/// Returns whether the file was written.
fn compact(
    writer: &Mutex<WriterState>,
    id: u64,
    from: &GraphSnapshot,
    file: Option<&std::path::Path>,
    on_compacted: Option<&CompactedFn>,
) -> bool {
    let started = std::time::Instant::now();
    let compacted = project::compact(from);
    let fold_ms = started.elapsed().as_millis() as u64;
    let mut saved = false;
    if let (Ok(graph), Some(file)) = (&compacted, file) {
        // The file may name a version a crash keeps off disk; opening then rebuilds.
        match persist::save(graph, file) {
            Ok(()) => saved = true,
            Err(e) => tracing::warn!(error = %e, "cannot write the snapshot file"),
        }
    }
    let save_ms = started.elapsed().as_millis() as u64 - fold_ms;
    if let (Ok(graph), Some(hook)) = (&compacted, on_compacted) {
        hook(graph, from);
    }
    let views_ms = started.elapsed().as_millis() as u64 - fold_ms - save_ms;
    let mut state = match writer.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    let Some(running) = state.compaction.take_if(|c| c.id == id) else {
        return saved; // abandoned: the snapshot was replaced meanwhile
    };
    state.rest_until = Some(std::time::Instant::now() + started.elapsed());
    // The writes made while the base was built are replayed under the writer lock,
    // all with one overlay copy (18,205 writes in 76 ms at 1M).
    let replay_started = std::time::Instant::now();
    let replayed_writes = running.log.len();
    let replayed = compacted.and_then(|base| match running.log.last() {
        None => Ok(base),
        Some(&(last, _)) => {
            project::apply_many(&base, last, running.log.into_iter().map(|(_, d)| d))
        }
    });
    match replayed {
        Ok(graph) if graph.version() == state.latest.version() => {
            tracing::debug!(
                version = graph.version(),
                ms = started.elapsed().as_millis() as u64,
                fold_ms,
                save_ms,
                saved,
                kept_indices = from.compaction_keeps_indices(),
                views_ms,
                replayed_writes,
                replay_ms = replay_started.elapsed().as_millis() as u64,
                "snapshot compacted"
            );
            state.latest = Arc::new(graph);
        }
        Ok(graph) => tracing::warn!(
            compacted = graph.version(),
            latest = state.latest.version(),
            "a compaction ended at another version than the latest; dropped"
        ),
        Err(e) => tracing::warn!(error = %e, "snapshot compaction failed; the overlay stays"),
    }
    saved
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::service::{Change, Service};
    use crate::store::RecordChange;

    fn node(id: &str) -> crate::model::Node {
        serde_json::from_value(json!({"id": id, "kind": "city", "name": id, "country": "RU"}))
            .unwrap()
    }

    /// When the store has applied versions the graph has not seen (logged writes of a
    /// group that failed after its commit point are applied before the next group), the
    /// next group's snapshot is rebuilt from the store rather than advanced from memory.
    #[test]
    fn a_store_ahead_of_the_graph_is_followed_by_a_rebuild() {
        let dir = tempfile::TempDir::new().unwrap();
        let service = Service::open(&dir.path().join("data")).unwrap();
        let write = |id: &str| {
            service
                .write(vec![(String::new(), Change::CreateNode(node(id)))])
                .unwrap()
        };
        write("city:ru:first");
        // A version the graph never saw, written to the store alone.
        let unseen = RecordChange::Node {
            before: None,
            after: Some(node("city:ru:unseen")),
        };
        service.store.commit(&[unseen], true).unwrap();
        let summary = write("city:ru:second");
        assert_eq!(
            summary.graph_version,
            service.store.graph_version().unwrap()
        );
        let snapshot = service.snapshot();
        assert_eq!(snapshot.node_count(), 3);
        assert_eq!(snapshot.version(), summary.graph_version);
        assert!(snapshot
            .index_of(&"city:ru:unseen".parse().unwrap())
            .is_some());
    }
}
