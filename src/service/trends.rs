//! The network through time: one city's centrality and rank at each step, the top of a
//! ranking at each step ("who rose, who fell"), and the shape of the network at each
//! step. Each step is computed on the as-of graph of that year (the filter with
//! `as_of=YEAR`), as NetworkX would compute it on that year's graph; a step whose graph
//! is the same as an earlier step's reuses that step's results, and distinct graphs are
//! computed on both cores.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rayon::prelude::*;

use super::analysis::{centrality_of, signed_per_year, Filters, Measure, NodeRef};
use super::centrality::{competition_ranks, ranked, sample_of, Ranked};
use super::filters::{bad_parameter, conflicting, Filter};
use super::{Service, ServiceError};
use crate::graph::algo::{components, stats, QueryError};
use crate::graph::view::GraphView;
use crate::graph::{GraphSnapshot, NodeIx};
use crate::model::{NodeId, NodeKind, PartialDate};

/// Most steps one question may ask for.
pub const MAX_STEPS: usize = 200;

/// Most nodes listed per step of a ranking history.
pub const MAX_TOP: usize = 100;

/// Which years a history visits: `from`, `from + step`, … up to `to`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Steps {
    /// The first year (default: the first year a link of the filtered graph was signed).
    pub from: Option<u16>,
    /// The last year (default: the last year a link was signed).
    pub to: Option<u16>,
    /// Years between steps, at least 1 (default 1).
    pub step: Option<u16>,
}

/// A question about the network through time.
#[derive(Clone, Debug, Default)]
pub struct HistoryQuery {
    /// The graph of every step, without a date cut (each step adds its own).
    pub filter: Filter,
    /// The years visited.
    pub steps: Steps,
    /// Betweenness from `k` sampled sources instead of all.
    pub k: Option<usize>,
    /// Seed of the source sample (default 0).
    pub seed: Option<u64>,
    /// Ranking histories: nodes listed per step (default 10, at most [`MAX_TOP`]).
    pub top: Option<usize>,
    /// Ranking histories: list only nodes of this kind.
    pub kind: Option<NodeKind>,
}

/// One node's standing in one step.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Standing {
    /// The year: the graph as it stood at the end of it.
    pub year: u16,
    /// Nodes in that year's graph.
    pub nodes_in_graph: usize,
    /// Edges in that year's graph.
    pub edges: usize,
    /// The node's value; `None` when the measure is undefined that year (`undefined`
    /// says why).
    pub value: Option<f64>,
    /// Its 1-based rank (ties share the better rank).
    pub rank: Option<usize>,
    /// Why the measure has no value that year (eigenvector centrality that does not
    /// converge on that year's graph).
    pub undefined: Option<String>,
    /// The earlier step whose graph this step's equals, whose results it reuses.
    pub same_graph_as: Option<u16>,
}

/// A node's centrality through time.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeHistory {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters (each step adds its year as `as_of`).
    pub filters: Filters,
    /// The measure.
    pub measure: Measure,
    /// Sampled sources for betweenness, if any.
    pub sample: Option<usize>,
    /// The node.
    pub node: NodeRef,
    /// Distinct graphs among the steps (the others reuse their results).
    pub distinct_graphs: usize,
    /// One entry per step, in year order.
    pub steps: Vec<Standing>,
}

/// The top of a ranking in one step.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RankingStep {
    /// The year.
    pub year: u16,
    /// Nodes in that year's graph.
    pub nodes_in_graph: usize,
    /// Edges in that year's graph.
    pub edges: usize,
    /// The first `top` nodes, best first.
    pub items: Vec<Ranked>,
    /// Ids listed this step and not the step before ("who rose"), in rank order.
    pub entered: Vec<String>,
    /// Ids listed the step before and not this one ("who fell"), in id order.
    pub left: Vec<String>,
    /// Why the measure has no values that year, if it has none.
    pub undefined: Option<String>,
    /// The earlier step whose graph this step's equals, whose results it reuses.
    pub same_graph_as: Option<u16>,
}

/// The top of a ranking through time.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RankingHistory {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters (each step adds its year as `as_of`).
    pub filters: Filters,
    /// The measure.
    pub measure: Measure,
    /// Sampled sources for betweenness, if any.
    pub sample: Option<usize>,
    /// Nodes listed per step.
    pub top: usize,
    /// Distinct graphs among the steps.
    pub distinct_graphs: usize,
    /// One entry per step, in year order.
    pub steps: Vec<RankingStep>,
}

/// The shape of the network in one step; each value equals its NetworkX function on
/// that year's graph.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ShapeStep {
    /// The year.
    pub year: u16,
    /// Nodes in the graph.
    pub nodes: usize,
    /// Distinct adjacent node pairs.
    pub edges: usize,
    /// `networkx.density`.
    pub density: f64,
    /// `networkx.number_connected_components`.
    pub components: usize,
    /// Nodes of the largest component.
    pub largest_component: usize,
    /// `networkx.average_clustering`.
    pub average_clustering: f64,
    /// `networkx.transitivity`.
    pub transitivity: f64,
    /// `networkx.degree_assortativity_coefficient`; `None` when undefined.
    pub degree_assortativity: Option<f64>,
    /// The earlier step whose graph this step's equals, whose results it reuses.
    pub same_graph_as: Option<u16>,
}

/// The shape of the network through time.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ShapeSeries {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters (each step adds its year as `as_of`).
    pub filters: Filters,
    /// Distinct graphs among the steps.
    pub distinct_graphs: usize,
    /// One entry per step, in year order.
    pub steps: Vec<ShapeStep>,
}

/// The as-of graph of each step, with the step each one repeats.
struct StepGraphs {
    graph: Arc<GraphSnapshot>,
    years: Vec<u16>,
    /// Per step: index into `views` of its graph.
    view_of_step: Vec<usize>,
    /// The distinct graphs, with the first step that has each.
    views: Vec<(GraphView, usize)>,
}

impl StepGraphs {
    /// The first step whose graph step `i` reuses, if it is not the first with it.
    fn same_as(&self, i: usize) -> Option<u16> {
        let first = self.views[self.view_of_step[i]].1;
        (first != i).then(|| self.years[first])
    }

    fn view(&self, i: usize) -> &GraphView {
        &self.views[self.view_of_step[i]].0
    }
}

/// A digest of a view's adjacency and node set: equal views give equal digests.
fn fingerprint(view: &GraphView) -> u64 {
    let (offsets, targets, included) = view.csr();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    offsets.hash(&mut hasher);
    targets.hash(&mut hasher);
    included.hash(&mut hasher);
    hasher.finish()
}

/// Values computed once per distinct graph (given its index and view), in
/// step-graph order.
fn per_graph<T: Send>(
    graphs: &StepGraphs,
    compute: impl Fn(usize, &GraphView) -> Result<T, QueryError> + Sync,
) -> Vec<Result<T, QueryError>> {
    graphs
        .views
        .par_iter()
        .enumerate()
        .map(|(i, (view, _))| compute(i, view))
        .collect()
}

/// Per distinct graph of a history, its centrality values or why it has none.
type StepValues = Vec<Result<Vec<f64>, QueryError>>;

/// A result that a step can be answered without: the measure is undefined there.
fn undefined_reason(e: &QueryError) -> Option<String> {
    match e {
        QueryError::NoConvergence(_) => Some(e.to_string()),
        _ => None,
    }
}

impl Service {
    /// The years `steps` visits on the graph `filter` selects.
    fn step_years(
        &self,
        graph: &GraphSnapshot,
        filter: &Filter,
        steps: &Steps,
    ) -> Result<Vec<u16>, ServiceError> {
        if filter.as_of.is_some() {
            return Err(conflicting(
                "as_of",
                "a history cuts the network at every step; give `from`, `to` and `step` instead",
            ));
        }
        let (signed, _) = signed_per_year(graph, filter);
        let first = signed.keys().next().copied();
        let last = signed.keys().next_back().copied();
        let from = match steps.from.or(first) {
            Some(from) => from,
            None => {
                return Err(conflicting(
                    "from",
                    "no link of the filtered graph has a signing date to start from: give `from` and `to`",
                ))
            }
        };
        let to = steps.to.or(last).unwrap_or(from);
        let step = steps.step.unwrap_or(1);
        for (field, year) in [("from", from), ("to", to)] {
            PartialDate::new(year, None, None).map_err(|e| bad_parameter(field, e))?;
        }
        if !(1..=9999).contains(&step) {
            return Err(bad_parameter("step", "must be 1 to 9999"));
        }
        if to < from {
            let given = if steps.from.is_some() {
                "`from`"
            } else {
                "`from` (the first year a link was signed)"
            };
            return Err(conflicting("to", format!("{to} is before {given}, {from}")));
        }
        let count = usize::from((to - from) / step) + 1;
        if count > MAX_STEPS {
            return Err(conflicting(
                "step",
                format!(
                    "{from} to {to} by {step} is {count} steps; at most {MAX_STEPS} (a larger `step`, or a shorter span)"
                ),
            ));
        }
        Ok((0..count).map(|i| from + step * i as u16).collect())
    }

    /// The as-of graph of every step, each distinct graph built once.
    fn step_graphs(
        &self,
        graph: Arc<GraphSnapshot>,
        filter: &Filter,
        steps: &Steps,
    ) -> Result<StepGraphs, ServiceError> {
        let years = self.step_years(&graph, filter, steps)?;
        let built: Vec<GraphView> = years
            .par_iter()
            .map(|&year| {
                // Years were checked by `step_years`.
                let cut = PartialDate::new(year, None, None).ok();
                let at = Filter {
                    as_of: cut,
                    ..filter.clone()
                };
                GraphView::build(&graph, &at)
            })
            .collect();
        let mut first_with: HashMap<u64, usize> = HashMap::new();
        let mut views: Vec<(GraphView, usize)> = Vec::new();
        let mut view_of_step = Vec::with_capacity(years.len());
        for (i, view) in built.into_iter().enumerate() {
            let at = *first_with.entry(fingerprint(&view)).or_insert_with(|| {
                views.push((view, i));
                views.len() - 1
            });
            view_of_step.push(at);
        }
        Ok(StepGraphs {
            graph,
            years,
            view_of_step,
            views,
        })
    }

    /// A history answer over the current snapshot, cached per graph version with the
    /// question as its key.
    fn history_cached<T: Send + Sync + 'static>(
        &self,
        key: String,
        compute: impl FnOnce(Arc<GraphSnapshot>) -> Result<T, ServiceError>,
    ) -> Result<Arc<T>, ServiceError> {
        let graph = self.snapshot();
        self.cache
            .result(graph.version(), key, || compute(Arc::clone(&graph)))
    }

    /// The values of `measure` on every distinct graph of a history, cached per graph
    /// version: a node's history and a ranking's over the same steps and filters, and
    /// the histories of other nodes, share them. A budget overrun is an error; a
    /// graph where the measure does not converge keeps its reason.
    fn step_values(
        &self,
        graphs: &StepGraphs,
        measure: Measure,
        sample: Option<(usize, u64)>,
        query: &HistoryQuery,
    ) -> Result<Arc<StepValues>, ServiceError> {
        let key = format!(
            "history|values|{measure:?}|{sample:?}|{:?}|{:?}",
            query.filter, query.steps
        );
        let budget = self.budget();
        self.cache.result(graphs.graph.version(), key, || {
            let values = per_graph(graphs, |_, view| {
                centrality_of(view, measure, sample_for(sample, view), &budget)
            });
            match values.iter().find_map(|v| v.as_ref().err()) {
                Some(e) if undefined_reason(e).is_none() => Err(ServiceError::Query(e.clone())),
                _ => Ok(values),
            }
        })
    }

    /// `id`'s value and rank by `measure` at every step of `query`.
    pub fn node_centrality_history(
        &self,
        id: &NodeId,
        measure: Measure,
        query: &HistoryQuery,
    ) -> Result<Arc<NodeHistory>, ServiceError> {
        let key = format!(
            "history|node|{id}|{measure:?}|{:?}|{:?}|{:?}|{:?}",
            query.filter, query.steps, query.k, query.seed
        );
        self.history_cached(key, |graph| {
            let graphs = self.step_graphs(graph, &query.filter, &query.steps)?;
            let v = graphs
                .graph
                .index_of(id)
                .ok_or_else(|| ServiceError::NotFound {
                    what: "node",
                    id: id.to_string(),
                    field: None,
                })?;
            if !query.filter.admits_node(graphs.graph.node_kind(v)) {
                return Err(bad_parameter(
                    "node_kinds",
                    format!("`{id}` is not in the filtered graph"),
                ));
            }
            let sample = sampled(query, measure, &graphs)?;
            let values = self.step_values(&graphs, measure, sample, query)?;
            let standings: Vec<Result<(f64, usize), QueryError>> = graphs
                .views
                .iter()
                .zip(values.iter())
                .map(|((view, _), values)| {
                    let values = values.as_ref().map_err(Clone::clone)?;
                    let rank = 1 + view
                        .nodes()
                        .filter(|w| values[*w as usize] > values[v as usize])
                        .count();
                    Ok((values[v as usize], rank))
                })
                .collect();
            let mut steps = Vec::with_capacity(graphs.years.len());
            for (i, &year) in graphs.years.iter().enumerate() {
                let view = graphs.view(i);
                let (value, rank, undefined) = match &standings[graphs.view_of_step[i]] {
                    Ok((value, rank)) => (Some(*value), Some(*rank), None),
                    Err(e) => match undefined_reason(e) {
                        Some(reason) => (None, None, Some(reason)),
                        None => return Err(ServiceError::Query(e.clone())),
                    },
                };
                steps.push(Standing {
                    year,
                    nodes_in_graph: view.node_count(),
                    edges: view.edge_count(),
                    value,
                    rank,
                    undefined,
                    same_graph_as: graphs.same_as(i),
                });
            }
            Ok(NodeHistory {
                graph_version: graphs.graph.version(),
                filters: (&query.filter).into(),
                measure,
                sample: sample.map(|(k, _)| k),
                node: self.node_refs(&graphs.graph, &[v])?.remove(0),
                distinct_graphs: graphs.views.len(),
                steps,
            })
        })
    }

    /// The first `top` nodes by `measure` at every step of `query`, with who entered
    /// and who left the list since the step before.
    pub fn ranking_history(
        &self,
        measure: Measure,
        query: &HistoryQuery,
    ) -> Result<Arc<RankingHistory>, ServiceError> {
        let top = query.top.unwrap_or(10);
        if top == 0 || top > MAX_TOP {
            return Err(bad_parameter("top", format!("must be 1 to {MAX_TOP}")));
        }
        let key = format!(
            "history|ranking|{measure:?}|{:?}|{:?}|{:?}|{:?}|{top}|{:?}",
            query.filter, query.steps, query.k, query.seed, query.kind
        );
        self.history_cached(key, |graph| {
            let graphs = self.step_graphs(graph, &query.filter, &query.steps)?;
            let graph = &graphs.graph;
            let sample = sampled(query, measure, &graphs)?;
            let values = self.step_values(&graphs, measure, sample, query)?;
            let tops = per_graph(&graphs, |i, view| {
                let values = values[i].as_ref().map_err(Clone::clone)?;
                let order = ranked(graph, view, values);
                let ranks = competition_ranks(&order, values);
                Ok(order
                    .iter()
                    .zip(ranks)
                    .filter(|(v, _)| query.kind.is_none_or(|k| graph.node_kind(**v) == k))
                    .take(top)
                    .map(|(v, rank)| (*v, rank, values[*v as usize]))
                    .collect::<Vec<(NodeIx, usize, f64)>>())
            });
            let mut steps: Vec<RankingStep> = Vec::with_capacity(graphs.years.len());
            let mut before: Vec<String> = Vec::new();
            for (i, &year) in graphs.years.iter().enumerate() {
                let view = graphs.view(i);
                let (listed, undefined) = match &tops[graphs.view_of_step[i]] {
                    Ok(listed) => (listed.as_slice(), None),
                    Err(e) => match undefined_reason(e) {
                        Some(reason) => (&[][..], Some(reason)),
                        None => return Err(ServiceError::Query(e.clone())),
                    },
                };
                let shown: Vec<NodeIx> = listed.iter().map(|(v, _, _)| *v).collect();
                let items: Vec<Ranked> = listed
                    .iter()
                    .zip(self.node_refs(graph, &shown)?)
                    .map(|((_, rank, value), node)| Ranked {
                        rank: *rank,
                        value: *value,
                        node,
                    })
                    .collect();
                let now: Vec<String> = items.iter().map(|r| r.node.id.clone()).collect();
                let (entered, left) = if i == 0 {
                    (Vec::new(), Vec::new())
                } else {
                    moved(&before, &now)
                };
                before = now;
                steps.push(RankingStep {
                    year,
                    nodes_in_graph: view.node_count(),
                    edges: view.edge_count(),
                    items,
                    entered,
                    left,
                    undefined,
                    same_graph_as: graphs.same_as(i),
                });
            }
            Ok(RankingHistory {
                graph_version: graph.version(),
                filters: (&query.filter).into(),
                measure,
                sample: sample.map(|(k, _)| k),
                top,
                distinct_graphs: graphs.views.len(),
                steps,
            })
        })
    }

    /// Components, largest component, clustering, transitivity, density and degree
    /// assortativity at every step of `query`.
    pub fn shape_series(&self, query: &HistoryQuery) -> Result<Arc<ShapeSeries>, ServiceError> {
        let key = format!("history|shape|{:?}|{:?}", query.filter, query.steps);
        self.history_cached(key, |graph| {
            let graphs = self.step_graphs(graph, &query.filter, &query.steps)?;
            let shapes = per_graph(&graphs, |_, view| Ok::<_, QueryError>(shape_of(view)));
            let steps = graphs
                .years
                .iter()
                .enumerate()
                .map(|(i, &year)| {
                    let shape = shapes[graphs.view_of_step[i]].clone()?;
                    Ok(ShapeStep {
                        year,
                        same_graph_as: graphs.same_as(i),
                        ..shape
                    })
                })
                .collect::<Result<Vec<_>, QueryError>>()?;
            Ok(ShapeSeries {
                graph_version: graphs.graph.version(),
                filters: (&query.filter).into(),
                distinct_graphs: graphs.views.len(),
                steps,
            })
        })
    }
}

/// The shape statistics of one view (the year is filled in by the caller).
fn shape_of(view: &GraphView) -> ShapeStep {
    let triangles = stats::triangles(view);
    let clustering = stats::clustering(view, &triangles);
    let (_, sizes) = components::components(view);
    ShapeStep {
        year: 0,
        nodes: view.node_count(),
        edges: view.edge_count(),
        density: stats::density(view),
        components: sizes.len(),
        largest_component: sizes.iter().copied().max().unwrap_or(0),
        average_clustering: stats::average_clustering(view, &clustering),
        transitivity: stats::transitivity(view, &triangles),
        degree_assortativity: stats::degree_assortativity(view),
        same_graph_as: None,
    }
}

/// The betweenness sample a history asks for (checked against its largest graph).
fn sampled(
    query: &HistoryQuery,
    measure: Measure,
    graphs: &StepGraphs,
) -> Result<Option<(usize, u64)>, ServiceError> {
    let largest = graphs
        .views
        .iter()
        .map(|(v, _)| v.node_count())
        .max()
        .unwrap_or(0);
    sample_of(query.k, query.seed, measure, largest)
}

/// The sample for one step's graph: exact when `k` covers all its nodes.
fn sample_for(sample: Option<(usize, u64)>, view: &GraphView) -> Option<(usize, u64)> {
    sample.filter(|(k, _)| *k < view.node_count())
}

/// Ids in `now` and not in `before` (in `now`'s order), and in `before` and not in
/// `now` (in id order).
fn moved(before: &[String], now: &[String]) -> (Vec<String>, Vec<String>) {
    let was: HashSet<&String> = before.iter().collect();
    let is: HashSet<&String> = now.iter().collect();
    let entered = now.iter().filter(|id| !was.contains(id)).cloned().collect();
    let mut left: Vec<String> = before
        .iter()
        .filter(|id| !is.contains(id))
        .cloned()
        .collect();
    left.sort();
    (entered, left)
}

#[cfg(test)]
mod tests {
    #[test]
    fn moved_lists_who_entered_and_who_left() {
        let before = ["a", "b", "c"].map(String::from);
        let now = ["d", "a", "e"].map(String::from);
        let (entered, left) = super::moved(&before, &now);
        assert_eq!(entered, ["d", "e"]);
        assert_eq!(left, ["b", "c"]);
    }
}
