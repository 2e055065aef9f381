//! Per-version caches of filtered views and costly results. A write bumps the graph
//! version; entries of older versions are dropped on the next lookup.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::graph::filter::Filter;
use crate::graph::view::{FlatView, GraphView};
use crate::graph::GraphSnapshot;

type Shared = Arc<dyn Any + Send + Sync>;

/// Caches keyed by graph version, and flat views of the current snapshot base.
#[derive(Default)]
pub struct QueryCache {
    inner: Mutex<Entries>,
    bases: Mutex<BaseViews>,
}

/// Flat views of one snapshot base (they outlive versions: a write patches them).
#[derive(Default)]
struct BaseViews {
    base: Option<GraphSnapshot>,
    views: HashMap<Filter, Arc<OnceLock<Arc<FlatView>>>>,
    /// Views of the next base, built by the compaction thread before it is installed.
    prepared: Option<(GraphSnapshot, HashMap<Filter, Arc<FlatView>>)>,
}

#[derive(Default)]
struct Entries {
    version: u64,
    views: HashMap<Filter, Arc<OnceLock<Arc<GraphView>>>>,
    results: HashMap<String, Shared>,
    hits: u64,
    misses: u64,
}

/// Most distinct filter sets or results kept per version.
const MAX_ENTRIES: usize = 64;

impl QueryCache {
    fn entries(&self, version: u64) -> std::sync::MutexGuard<'_, Entries> {
        let mut guard = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.version != version {
            guard.version = version;
            guard.views.clear();
            guard.results.clear();
        }
        guard
    }

    /// The view for `filter` at `version`, built by `build` on a miss. Requests that
    /// miss together wait for one build instead of each building the same view (after
    /// a write, every concurrent reader would otherwise rebuild it at once).
    pub fn view(
        &self,
        version: u64,
        filter: &Filter,
        build: impl FnOnce() -> GraphView,
    ) -> Arc<GraphView> {
        let slot = {
            let mut entries = self.entries(version);
            if entries.views.len() >= MAX_ENTRIES && !entries.views.contains_key(filter) {
                entries.views.clear();
            }
            Arc::clone(entries.views.entry(filter.clone()).or_default())
        };
        Arc::clone(slot.get_or_init(|| Arc::new(build())))
    }

    /// The view of `graph` under `filter` if it is built already (never waits).
    pub fn built_view(&self, graph: &GraphSnapshot, filter: &Filter) -> Option<Arc<GraphView>> {
        let entries = self.entries(graph.version());
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
        let slot = {
            let mut bases = match self.bases.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            if !bases.base.as_ref().is_some_and(|b| b.same_base(graph)) {
                bases.base = Some(graph.base_graph());
                bases.views.clear();
                if let Some((base, views)) = bases.prepared.take() {
                    if base.same_base(graph) {
                        for (filter, view) in views {
                            bases.views.insert(filter, Arc::new(OnceLock::from(view)));
                        }
                    }
                }
            }
            if bases.views.len() >= MAX_ENTRIES && !bases.views.contains_key(filter) {
                bases.views.clear();
            }
            Arc::clone(bases.views.entry(filter.clone()).or_default())
        };
        Arc::clone(slot.get_or_init(|| Arc::new(FlatView::build(&graph.base_graph(), filter))))
    }

    /// Builds, for a new base that is about to be installed (a compaction), the flat
    /// views of every filter in use on the current one, so that the first readers after
    /// the switch find them instead of waiting for a build.
    pub fn prepare_base(&self, graph: &GraphSnapshot) {
        let filters: Vec<Filter> = {
            let bases = match self.bases.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            if bases.base.as_ref().is_some_and(|b| b.same_base(graph)) {
                return;
            }
            bases
                .views
                .iter()
                .filter(|(_, slot)| slot.get().is_some())
                .map(|(filter, _)| filter.clone())
                .collect()
        };
        let base = graph.base_graph();
        let views = filters
            .into_iter()
            .map(|filter| {
                let view = Arc::new(FlatView::build(&base, &filter));
                (filter, view)
            })
            .collect();
        let mut bases = match self.bases.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        bases.prepared = Some((base, views));
    }

    /// Whether the flat view of `graph`'s base under `filter` is built or prepared.
    pub fn has_base_view(&self, graph: &GraphSnapshot, filter: &Filter) -> bool {
        let bases = match self.bases.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let current = bases.base.as_ref().is_some_and(|b| b.same_base(graph))
            && bases
                .views
                .get(filter)
                .is_some_and(|slot| slot.get().is_some());
        let prepared = bases
            .prepared
            .as_ref()
            .is_some_and(|(base, views)| base.same_base(graph) && views.contains_key(filter));
        current || prepared
    }

    /// A cached result for `key` at `version`, computed by `compute` on a miss.
    pub fn result<T: Send + Sync + 'static, E>(
        &self,
        version: u64,
        key: String,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        {
            let mut entries = self.entries(version);
            if let Some(hit) = entries.results.get(&key).cloned() {
                if let Ok(value) = hit.downcast::<T>() {
                    entries.hits += 1;
                    return Ok(value);
                }
            }
            entries.misses += 1;
        }
        let value = Arc::new(compute()?);
        let mut entries = self.entries(version);
        if entries.results.len() >= MAX_ENTRIES {
            entries.results.clear();
        }
        entries.results.insert(key, Arc::clone(&value) as Shared);
        Ok(value)
    }

    /// Result cache hits and misses so far.
    pub fn stats(&self) -> (u64, u64) {
        let entries = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        (entries.hits, entries.misses)
    }
}
