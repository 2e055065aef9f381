//! Graph questions over the current snapshot: paths, neighbourhoods, centrality,
//! components, communities, statistics and the timeline. Views and costly results are
//! cached per graph version and filter set.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::rendered::RecordJson;
pub use super::shown::{Filters, NodeRef};
use super::{Service, ServiceError};
use crate::graph::algo::{self, centrality, Budget, QueryError};
use crate::graph::filter::Filter;
use crate::graph::view::GraphView;
use crate::graph::{GraphSnapshot, LinkIx, NodeIx};
use crate::model::{Link, LinkKind, NodeId};

/// A view of the graph at one version under one filter set.
pub struct Scope {
    /// The snapshot.
    pub graph: Arc<GraphSnapshot>,
    /// The filtered simple graph.
    pub view: Arc<GraphView>,
    /// The filter.
    pub filter: Filter,
}

impl Scope {
    /// The admitted links joining two adjacent nodes of the view.
    pub fn admitted_links_between(
        &self,
        a: NodeIx,
        b: NodeIx,
    ) -> impl Iterator<Item = LinkIx> + '_ {
        self.view
            .pair_between(a, b)
            .into_iter()
            .flat_map(|pair| self.admitted_links_of_pair(pair))
    }

    /// The admitted links of a snapshot pair (an edge of the view).
    pub fn admitted_links_of_pair(&self, pair: u32) -> impl Iterator<Item = LinkIx> + '_ {
        self.graph
            .links_of_pair(pair)
            .filter(|&l| self.filter.admits_link(self.graph.link(l)))
    }
}

impl Service {
    /// The current snapshot filtered by `filter` (cached per version).
    pub fn scope(&self, filter: &Filter) -> Scope {
        let graph = self.snapshot();
        let view = self.cache.view_of(&graph, filter);
        Scope {
            graph,
            view,
            filter: filter.clone(),
        }
    }

    /// The scope of `filter` if its view is built already: `None` rather than waiting
    /// for a build (request handlers use it to decide whether to answer inline).
    pub fn built_scope(&self, filter: &Filter) -> Option<Scope> {
        let graph = self.snapshot();
        let view = self.cache.built_view(&graph, filter)?;
        Some(Scope {
            graph,
            view,
            filter: filter.clone(),
        })
    }

    /// The dense index of a node that must exist; `field` names the parameter.
    pub fn node_ix(&self, scope: &Scope, id: &NodeId, field: &str) -> Result<NodeIx, ServiceError> {
        scope
            .graph
            .index_of(id)
            .ok_or_else(|| ServiceError::UnknownNode {
                id: id.to_string(),
                field: field.to_string(),
            })
    }

    /// The node records behind dense indices, as graph answers show them.
    pub fn node_refs(
        &self,
        graph: &GraphSnapshot,
        nodes: &[NodeIx],
    ) -> Result<Vec<NodeRef>, ServiceError> {
        nodes.iter().map(|&v| self.node_ref(graph, v)).collect()
    }

    /// The node behind a dense index as graph answers show it. A node the graph holds
    /// but whose stored record cannot be read (the graph was loaded from a snapshot file
    /// written before the damage) is shown by its id, as its name, and its kind, and
    /// reported like every damaged record a listing meets.
    fn node_ref(&self, graph: &GraphSnapshot, v: NodeIx) -> Result<NodeRef, ServiceError> {
        let id = graph.node_id(v);
        match self.get_node(id) {
            Ok(node) => Ok(NodeRef::from(node)),
            Err(ServiceError::Store(crate::store::StoreError::Unreadable { .. })) => {
                // Counted and logged once; the record stays damaged until deleted.
                self.store.node_if_readable(id)?;
                Ok(NodeRef {
                    id: id.to_string(),
                    kind: graph.node_kind(v),
                    name: id.to_string(),
                    names: BTreeMap::new(),
                    country: None,
                    location: None,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// [`Self::node_refs`] as JSON, from the rendered-record cache while current.
    pub fn node_refs_json(
        &self,
        graph: &GraphSnapshot,
        nodes: &[NodeIx],
    ) -> Result<Vec<RecordJson>, ServiceError> {
        let ids: Vec<&str> = nodes.iter().map(|&v| graph.node_id(v)).collect();
        self.rendered
            .node_refs(&self.store, &ids, |i| self.node_ref(graph, nodes[i]))
    }

    /// The admitted link records joining two adjacent nodes of the view.
    pub fn links_between(
        &self,
        scope: &Scope,
        a: NodeIx,
        b: NodeIx,
    ) -> Result<Vec<Link>, ServiceError> {
        scope
            .admitted_links_between(a, b)
            .map(|l| self.link_or_graph(&scope.graph, l, &scope.graph.link_id(l)))
            .collect()
    }

    /// Link records as JSON, in order, from the rendered-record cache while current.
    pub fn links_json(
        &self,
        graph: &GraphSnapshot,
        links: &[LinkIx],
    ) -> Result<Vec<RecordJson>, ServiceError> {
        let written = graph.link_ids(links);
        let ids: Vec<&str> = written.iter().collect();
        self.rendered.links(&self.store, &ids, |i| {
            self.link_or_graph(graph, links[i], ids[i])
        })
    }

    /// A link record; one the graph holds but whose stored record cannot be read (the
    /// graph was loaded from a snapshot file written before the damage) is shown as the
    /// graph knows it: kind, members, status and dates, without provenance.
    fn link_or_graph(
        &self,
        graph: &GraphSnapshot,
        ix: LinkIx,
        id: &str,
    ) -> Result<Link, ServiceError> {
        match self.get_link(id) {
            Err(ServiceError::Store(damage @ crate::store::StoreError::Unreadable { .. })) => {
                // Counted and logged once; the record stays damaged until deleted.
                self.store.link_if_readable(id)?;
                let entry = graph.link(ix);
                let ids = entry
                    .members
                    .iter()
                    .map(|&m| crate::model::NodeId::new(graph.node_id(m)))
                    .collect::<Result<Vec<_>, _>>()
                    .and_then(|members| Ok((crate::model::LinkId::new(id)?, members)));
                let Ok((id, members)) = ids else {
                    return Err(damage.into());
                };
                Ok(Link {
                    id,
                    kind: entry.kind,
                    members,
                    status: entry.status,
                    evidence: entry.evidence,
                    signed: entry.signed,
                    ended: entry.ended,
                    areas: Vec::new(),
                    source: None,
                    notes: None,
                    attrs: serde_json::Map::new(),
                })
            }
            other => other,
        }
    }

    /// A cached, per-version computation.
    pub fn cached<T: Send + Sync + 'static>(
        &self,
        scope: &Scope,
        key: String,
        compute: impl FnOnce() -> Result<T, QueryError>,
    ) -> Result<Arc<T>, ServiceError> {
        let key = format!("{key}|{:?}", scope.filter);
        self.cache
            .result(scope.graph.version(), key, compute)
            .map_err(ServiceError::Query)
    }

    /// Centrality values of every node slot.
    pub fn centrality_values(
        &self,
        scope: &Scope,
        measure: Measure,
        sample: Option<(usize, u64)>,
        budget: &Budget,
    ) -> Result<Arc<Vec<f64>>, ServiceError> {
        let view = &scope.view;
        match measure {
            Measure::Degree => self.cached(scope, "degree".into(), || Ok(centrality::degree(view))),
            Measure::Betweenness => {
                let key = format!("betweenness|{sample:?}");
                self.cached(scope, key, || {
                    let sources = sample.map(|(k, seed)| centrality::sample_sources(view, k, seed));
                    centrality::betweenness(view, sources.as_deref(), budget)
                })
            }
            Measure::Closeness | Measure::Harmonic => {
                let sums = self.cached(scope, "distance_sums".into(), || {
                    centrality::distance_sums(view, budget)
                })?;
                if measure == Measure::Closeness {
                    self.cached(scope, "closeness".into(), || {
                        Ok(centrality::closeness(view, &sums))
                    })
                } else {
                    self.cached(scope, "harmonic".into(), || Ok(centrality::harmonic(&sums)))
                }
            }
            Measure::Pagerank => self.cached(scope, "pagerank".into(), || {
                centrality::pagerank(view, 0.85, 100, 1e-6)
            }),
            Measure::Eigenvector => self.cached(scope, "eigenvector".into(), || {
                centrality::eigenvector(view, 100, 1e-6)
            }),
        }
    }

    /// Community labels (Louvain) of every node slot, with the partition's modularity.
    pub fn communities(
        &self,
        scope: &Scope,
        resolution: f64,
        seed: u64,
        budget: &Budget,
    ) -> Result<Arc<(Vec<u32>, f64)>, ServiceError> {
        let view = &scope.view;
        self.cached(scope, format!("louvain|{resolution}|{seed}"), || {
            let labels = algo::communities::louvain(view, resolution, seed, budget)?;
            let q = algo::communities::modularity(view, &labels, resolution);
            Ok((labels, q))
        })
    }
}

/// Centrality values of every node slot of `view`, computed afresh (no cache): for
/// questions that look at many views once each, such as a history.
pub fn centrality_of(
    view: &GraphView,
    measure: Measure,
    sample: Option<(usize, u64)>,
    budget: &Budget,
) -> Result<Vec<f64>, QueryError> {
    match measure {
        Measure::Degree => Ok(centrality::degree(view)),
        Measure::Betweenness => {
            let sources = sample.map(|(k, seed)| centrality::sample_sources(view, k, seed));
            centrality::betweenness(view, sources.as_deref(), budget)
        }
        Measure::Closeness => Ok(centrality::closeness(
            view,
            &centrality::distance_sums(view, budget)?,
        )),
        Measure::Harmonic => Ok(centrality::harmonic(&centrality::distance_sums(
            view, budget,
        )?)),
        Measure::Pagerank => centrality::pagerank(view, 0.85, 100, 1e-6),
        Measure::Eigenvector => centrality::eigenvector(view, 100, 1e-6),
    }
}

/// A centrality measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Degree over n−1 (`networkx.degree_centrality`).
    Degree,
    /// Shortest-path betweenness, normalised (`networkx.betweenness_centrality`).
    Betweenness,
    /// Closeness with the Wasserman–Faust correction (`networkx.closeness_centrality`).
    Closeness,
    /// Sum of inverse distances (`networkx.harmonic_centrality`).
    Harmonic,
    /// PageRank, α = 0.85 (`networkx.pagerank`).
    Pagerank,
    /// Eigenvector centrality (`networkx.eigenvector_centrality`).
    Eigenvector,
}

impl Measure {
    /// Every measure.
    pub const ALL: [Measure; 6] = [
        Measure::Degree,
        Measure::Betweenness,
        Measure::Closeness,
        Measure::Harmonic,
        Measure::Pagerank,
        Measure::Eigenvector,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Degree => "degree",
            Measure::Betweenness => "betweenness",
            Measure::Closeness => "closeness",
            Measure::Harmonic => "harmonic",
            Measure::Pagerank => "pagerank",
            Measure::Eigenvector => "eigenvector",
        }
    }

    /// How the values are normalised, for responses.
    pub fn normalization(self) -> &'static str {
        match self {
            Measure::Degree => "degree / (n - 1), n = nodes in the filtered graph (networkx.degree_centrality)",
            Measure::Betweenness => "normalized=True, endpoints=False: exact values over (n-1)(n-2); with k sampled sources, sources over (k-1)(n-2) and other nodes over k(n-2) (networkx 3.6 betweenness_centrality)",
            Measure::Closeness => "(r-1)/sum(d) * (r-1)/(n-1), r = nodes reached (networkx.closeness_centrality, wf_improved=True)",
            Measure::Harmonic => "sum of 1/d over reachable nodes, not normalised (networkx.harmonic_centrality)",
            Measure::Pagerank => "alpha=0.85, tol=1e-6, max_iter=100, uniform teleport and dangling; values sum to 1 (networkx.pagerank)",
            Measure::Eigenvector => "power iteration on A+I, unit Euclidean norm, tol=1e-6, max_iter=100 (networkx.eigenvector_centrality)",
        }
    }
}

/// Links of the snapshot counted by kind under a filter (a trilateral link counts once).
pub fn link_counts(graph: &GraphSnapshot, filter: &Filter) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for l in graph.live_links() {
        let entry = graph.link(l);
        let members_in = entry
            .members
            .iter()
            .all(|m| filter.admits_node(graph.node_kind(*m)));
        if members_in && filter.admits_link(entry) {
            *counts.entry(entry.kind.as_str()).or_insert(0) += 1;
        }
    }
    counts
}

/// Nodes of the view counted by kind.
pub fn node_counts(graph: &GraphSnapshot, view: &GraphView) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for v in view.nodes() {
        *counts.entry(graph.node_kind(v).as_str()).or_insert(0) += 1;
    }
    counts
}

/// Counts by link kind name.
pub type KindCounts = BTreeMap<&'static str, usize>;
/// Counts by kind for each year.
pub type YearCounts = BTreeMap<u16, KindCounts>;

/// Links signed per year, by kind, under a filter without its date cut.
pub fn signed_per_year(graph: &GraphSnapshot, filter: &Filter) -> (YearCounts, KindCounts) {
    let undated_filter = Filter {
        as_of: None,
        ..filter.clone()
    };
    let mut years: BTreeMap<u16, BTreeMap<&'static str, usize>> = BTreeMap::new();
    let mut undated = BTreeMap::new();
    for l in graph.live_links() {
        let entry = graph.link(l);
        if !undated_filter.admits_link(entry)
            || !entry
                .members
                .iter()
                .all(|m| filter.admits_node(graph.node_kind(*m)))
        {
            continue;
        }
        let kind: LinkKind = entry.kind;
        match entry.signed {
            Some(date) => {
                *years
                    .entry(date.year())
                    .or_default()
                    .entry(kind.as_str())
                    .or_insert(0) += 1
            }
            None => *undated.entry(kind.as_str()).or_insert(0) += 1,
        }
    }
    (years, undated)
}
