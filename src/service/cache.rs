//! Caches of filtered views and costly results.
//!
//! Views and results are cached per graph version: a write bumps the version, and the
//! first lookup at the newer version drops the older entries. A reader still holding an
//! older snapshot (it took it just before a write was installed) is answered without
//! touching the cache, so it never evicts the newer entries.
//!
//! Flat views of a snapshot *base* outlive versions (a write patches them, see
//! [`GraphView::over_base`]); they are kept for the newest base and the one before it,
//! so readers on either side of a compaction's switch do not evict each other's views.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::graph::filter::Filter;
use crate::graph::view::{FlatView, GraphView};
use crate::graph::GraphSnapshot;

type Shared = Arc<dyn Any + Send + Sync>;

type BaseSlots = HashMap<Filter, Arc<OnceLock<Arc<FlatView>>>>;

/// A result's slot: held locked while it is computed, so that the same question asked
/// again meanwhile waits for that answer instead of computing it a second time. A
/// computation that fails leaves it empty, and the next asker computes.
type ResultSlot = Arc<Mutex<Option<Shared>>>;

/// Caches keyed by graph version, and flat views of the newest snapshot bases.
#[derive(Default)]
pub struct QueryCache {
    inner: Mutex<Entries>,
    bases: Mutex<BaseViews>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Flat views per snapshot base.
#[derive(Default)]
struct BaseViews {
    /// The newest base seen, with the version of the snapshot that brought it.
    current: Option<(GraphSnapshot, BaseSlots)>,
    /// The base before it.
    previous: Option<(GraphSnapshot, BaseSlots)>,
    /// Views of the next base, built by the compaction thread before it is installed.
    prepared: Option<(GraphSnapshot, HashMap<Filter, Arc<FlatView>>)>,
}

#[derive(Default)]
struct Entries {
    version: u64,
    views: HashMap<Filter, Arc<OnceLock<Arc<GraphView>>>>,
    results: HashMap<String, ResultSlot>,
}

/// Most distinct filter sets or results kept per version.
const MAX_ENTRIES: usize = 64;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl QueryCache {
    /// The entries of `version`; `None` when a newer version is cached already.
    fn entries(&self, version: u64) -> Option<MutexGuard<'_, Entries>> {
        let mut guard = lock(&self.inner);
        if version < guard.version {
            return None;
        }
        if guard.version != version {
            guard.version = version;
            guard.views.clear();
            guard.results.clear();
        }
        Some(guard)
    }

    /// The view for `filter` at `version`, built by `build` on a miss. Requests that
    /// miss together wait for one build instead of each building the same view (after
    /// a write, every concurrent reader would otherwise rebuild it at once).
    fn view(
        &self,
        version: u64,
        filter: &Filter,
        build: impl FnOnce() -> GraphView,
    ) -> Arc<GraphView> {
        let slot = {
            let Some(mut entries) = self.entries(version) else {
                return Arc::new(build());
            };
            if entries.views.len() >= MAX_ENTRIES && !entries.views.contains_key(filter) {
                entries.views.clear();
            }
            Arc::clone(entries.views.entry(filter.clone()).or_default())
        };
        Arc::clone(slot.get_or_init(|| Arc::new(build())))
    }

    /// The view of `graph` under `filter` if it is built already (never waits).
    pub fn built_view(&self, graph: &GraphSnapshot, filter: &Filter) -> Option<Arc<GraphView>> {
        let entries = self.entries(graph.version())?;
        entries.views.get(filter)?.get().cloned()
    }

    /// The view of `graph` under `filter`: cached per version; on a miss, the flat view
    /// of `graph`'s base (cached per base, built once) patched with the overlay's rows.
    pub fn view_of(&self, graph: &GraphSnapshot, filter: &Filter) -> Arc<GraphView> {
        self.view(graph.version(), filter, || {
            GraphView::over_base(self.base_view(graph, filter), graph, filter)
        })
    }

    /// The flat view of `graph`'s base under `filter`, built once per base.
    fn base_view(&self, graph: &GraphSnapshot, filter: &Filter) -> Arc<FlatView> {
        let build = || Arc::new(FlatView::build(&graph.base_graph(), filter));
        let slot = {
            let mut bases = lock(&self.bases);
            let newer = match &bases.current {
                Some((base, _)) if base.same_base(graph) => false,
                Some((base, _)) => graph.version() > base.version(),
                None => true,
            };
            if newer {
                let mut slots = BaseSlots::new();
                if let Some((base, views)) = bases.prepared.take() {
                    if base.same_base(graph) {
                        for (filter, view) in views {
                            slots.insert(filter, Arc::new(OnceLock::from(view)));
                        }
                    }
                }
                bases.previous = bases.current.replace((graph.base_graph(), slots));
            }
            let bases = &mut *bases;
            let slots = match (&mut bases.current, &mut bases.previous) {
                (Some((base, slots)), _) if base.same_base(graph) => slots,
                (_, Some((base, slots))) if base.same_base(graph) => slots,
                // An older base than both: answer without caching.
                _ => return build(),
            };
            if slots.len() >= MAX_ENTRIES && !slots.contains_key(filter) {
                slots.clear();
            }
            Arc::clone(slots.entry(filter.clone()).or_default())
        };
        Arc::clone(slot.get_or_init(build))
    }

    /// Builds, for a new base that is about to be installed (a compaction of `from`),
    /// the flat views of every filter in use on the current one, so that the first
    /// readers after the switch find them instead of waiting for a build. When the
    /// compaction kept every index ([`GraphSnapshot::compaction_keeps_indices`]), a
    /// view is the current base's with the half-edges of `from`'s appended links
    /// merged in ([`FlatView::extend_appended`]), where a build filters every link
    /// (1–2 s per view at 1M).
    pub fn prepare_base(&self, graph: &GraphSnapshot, from: &GraphSnapshot) {
        let in_use: Vec<(Filter, Option<Arc<FlatView>>)> = {
            let bases = lock(&self.bases);
            if let Some((base, _)) = &bases.current {
                if base.same_base(graph) {
                    return;
                }
            }
            // The views of `from`'s base: installed, or prepared by the last compaction
            // (under writes alone no reader installs them).
            let installed = bases.current.as_ref().filter(|(b, _)| b.same_base(from));
            let of_from: Option<Vec<(Filter, Arc<FlatView>)>> = match installed {
                Some((_, slots)) => Some(
                    slots
                        .iter()
                        .filter_map(|(filter, slot)| {
                            Some((filter.clone(), Arc::clone(slot.get()?)))
                        })
                        .collect(),
                ),
                None => bases
                    .prepared
                    .as_ref()
                    .filter(|(b, _)| b.same_base(from))
                    .map(|(_, views)| {
                        views
                            .iter()
                            .map(|(f, v)| (f.clone(), Arc::clone(v)))
                            .collect()
                    }),
            };
            let extendable = from.compaction_keeps_indices();
            match (of_from, &bases.current) {
                (Some(views), _) => views
                    .into_iter()
                    .map(|(filter, view)| (filter, extendable.then_some(view)))
                    .collect(),
                (None, Some((_, slots))) => slots
                    .iter()
                    .filter(|(_, slot)| slot.get().is_some())
                    .map(|(filter, _)| (filter.clone(), None))
                    .collect(),
                (None, None) => Vec::new(),
            }
        };
        let base = graph.base_graph();
        let views = in_use
            .into_iter()
            .map(|(filter, current)| {
                let view = match current {
                    Some(current) => Arc::new(FlatView::extend_appended(&current, from, &filter)),
                    None => Arc::new(FlatView::build(&base, &filter)),
                };
                (filter, view)
            })
            .collect();
        lock(&self.bases).prepared = Some((base, views));
    }

    /// Whether the flat view of `graph`'s base under `filter` is built or prepared.
    pub fn has_base_view(&self, graph: &GraphSnapshot, filter: &Filter) -> bool {
        let bases = lock(&self.bases);
        let built = [&bases.current, &bases.previous]
            .into_iter()
            .flatten()
            .any(|(base, slots)| {
                base.same_base(graph) && slots.get(filter).is_some_and(|s| s.get().is_some())
            });
        let prepared = bases
            .prepared
            .as_ref()
            .is_some_and(|(base, views)| base.same_base(graph) && views.contains_key(filter));
        built || prepared
    }

    /// A cached result for `key` at `version`, computed by `compute` on a miss. Askers
    /// of a result being computed wait for it (a heavy question asked twice at once is
    /// computed once).
    pub fn result<T: Send + Sync + 'static, E>(
        &self,
        version: u64,
        key: String,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let slot = {
            let Some(mut entries) = self.entries(version) else {
                return compute().map(Arc::new);
            };
            if entries.results.len() >= MAX_ENTRIES && !entries.results.contains_key(&key) {
                entries.results.clear();
            }
            Arc::clone(entries.results.entry(key).or_default())
        };
        // Lock order: a slot, then (in `entries`) the map; the map is never held while
        // waiting for a slot.
        let mut held = lock(&slot);
        if let Some(hit) = held.clone() {
            if let Ok(value) = hit.downcast::<T>() {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(value);
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let value = Arc::new(compute()?);
        *held = Some(Arc::clone(&value) as Shared);
        Ok(value)
    }

    /// Result cache hits and misses so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::project::{self, GraphDelta};
    use crate::model::{NodeId, NodeKind};

    fn graph() -> GraphSnapshot {
        let nodes = ["a", "b"].map(|n| (NodeId::new(n).unwrap(), NodeKind::City));
        project::build(1, nodes, Vec::<project::LinkInput>::new()).unwrap()
    }

    fn next(g: &GraphSnapshot, version: u64) -> GraphSnapshot {
        let delta = GraphDelta {
            upserted_nodes: vec![(NodeId::new(format!("n{version}")).unwrap(), NodeKind::City)],
            ..Default::default()
        };
        project::apply(g, version, delta).unwrap()
    }

    #[test]
    fn an_older_reader_neither_evicts_nor_reads_newer_entries() {
        let cache = QueryCache::default();
        let filter = Filter::everything();
        let old = graph();
        let new = next(&old, 2);
        let newer_view = cache.view_of(&new, &filter);
        assert_eq!(newer_view.node_count(), 3);
        let older_view = cache.view_of(&old, &filter);
        assert_eq!(
            older_view.node_count(),
            2,
            "the old reader sees its own version"
        );
        assert!(
            Arc::ptr_eq(&cache.view_of(&new, &filter), &newer_view),
            "the newer entry survived the older reader"
        );
        assert!(cache.built_view(&old, &filter).is_none());
    }

    #[test]
    fn a_result_asked_for_while_it_is_computed_is_computed_once() {
        use std::sync::atomic::AtomicUsize;
        use std::sync::mpsc;
        let cache = Arc::new(QueryCache::default());
        let computed = Arc::new(AtomicUsize::new(0));
        let (release, wait) = mpsc::channel::<()>();
        let (started, on_start) = mpsc::channel::<()>();
        let first = {
            let (cache, computed) = (Arc::clone(&cache), Arc::clone(&computed));
            std::thread::spawn(move || {
                cache.result(1, "heavy".into(), || {
                    computed.fetch_add(1, Ordering::SeqCst);
                    started.send(()).unwrap();
                    wait.recv().unwrap();
                    Ok::<_, ()>(42u32)
                })
            })
        };
        on_start.recv().unwrap();
        let second = {
            let (cache, computed) = (Arc::clone(&cache), Arc::clone(&computed));
            std::thread::spawn(move || {
                cache.result(1, "heavy".into(), || {
                    computed.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ()>(7u32)
                })
            })
        };
        // Give the second asker time to reach the slot while the first still computes.
        std::thread::sleep(std::time::Duration::from_millis(100));
        release.send(()).unwrap();
        assert_eq!(*first.join().unwrap().unwrap(), 42);
        assert_eq!(
            *second.join().unwrap().unwrap(),
            42,
            "the second asker got the first's answer"
        );
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        assert_eq!(cache.stats(), (1, 1));
        // A failed computation is not kept: the next asker computes.
        let failed = cache.result(1, "fails".into(), || Err::<u32, _>("budget"));
        assert!(failed.is_err());
        assert_eq!(
            *cache
                .result(1, "fails".into(), || Ok::<_, &str>(3u32))
                .unwrap(),
            3
        );
    }

    #[test]
    fn base_views_are_kept_for_both_sides_of_a_compaction() {
        let cache = QueryCache::default();
        let filter = Filter::everything();
        let before = next(&graph(), 2);
        let after = next(&project::compact(&before).unwrap(), 3);
        assert!(!before.same_base(&after));
        cache.view_of(&before, &filter);
        cache.view_of(&after, &filter);
        // A reader that took its snapshot just before the switch asks again.
        let again = cache.view_of(&next(&before, 2), &filter);
        assert_eq!(again.node_count(), 3);
        assert!(
            cache.has_base_view(&before, &filter),
            "the previous base kept"
        );
        assert!(
            cache.has_base_view(&after, &filter),
            "and the newest not evicted"
        );
    }
}
