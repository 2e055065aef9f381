//! Centrality rankings and one node's standing: which nodes are listed, in what order,
//! with what rank, and which page of them.

use std::collections::HashSet;

use super::analysis::{Filters, Measure, NodeRef, Scope};
use super::filters::{bad_parameter, conflicting, Filter};
use super::{Service, ServiceError};
use crate::graph::view::GraphView;
use crate::graph::{GraphSnapshot, NodeIx};
use crate::model::{CountryCode, NodeId, NodeKind};

/// What a ranking lists and how betweenness is sampled.
#[derive(Clone, Debug, Default)]
pub struct RankingQuery {
    /// The graph the measure is computed on.
    pub filter: Filter,
    /// Only the first `top` of the ranking.
    pub top: Option<usize>,
    /// List only nodes of this kind (the measure covers the whole filtered graph).
    pub kind: Option<NodeKind>,
    /// List only nodes of this country, as given.
    pub country: Option<String>,
    /// Betweenness from `k` sampled sources instead of all.
    pub k: Option<usize>,
    /// Seed of the source sample (default 0).
    pub seed: Option<u64>,
    /// Position in the listing of the first node returned.
    pub start: usize,
    /// Most nodes returned.
    pub limit: usize,
}

/// A ranked node.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Ranked {
    /// 1-based rank in the whole graph (ties share the better rank).
    pub rank: usize,
    /// The value.
    pub value: f64,
    /// The node.
    pub node: NodeRef,
}

/// One page of a centrality ranking.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Ranking {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// The measure.
    pub measure: Measure,
    /// Sampled sources for betweenness, if any.
    pub sample: Option<usize>,
    /// Nodes listed in total (after `kind`, `country` and `top`).
    pub total: usize,
    /// This page, best first.
    pub items: Vec<Ranked>,
    /// Position of the next page, if there is one.
    pub next_start: Option<usize>,
}

/// One measure for one node.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeMeasure {
    /// The measure.
    pub measure: Measure,
    /// The value.
    pub value: f64,
    /// 1-based rank among all nodes of the filtered graph.
    pub rank: usize,
}

/// Every measure for one node.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeCentrality {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// The node.
    pub node: NodeRef,
    /// Nodes in the filtered graph.
    pub nodes_in_graph: usize,
    /// One entry per measure, in [`Measure::ALL`] order.
    pub measures: Vec<NodeMeasure>,
}

/// The betweenness sample a query asks for: `None` for exact values (also when `k`
/// covers every node).
pub(super) fn sample_of(
    k: Option<usize>,
    seed: Option<u64>,
    measure: Measure,
    n: usize,
) -> Result<Option<(usize, u64)>, ServiceError> {
    match k {
        None => Ok(None),
        Some(_) if measure != Measure::Betweenness => {
            Err(conflicting("k", "only betweenness is sampled"))
        }
        Some(k) if k < 2 => Err(bad_parameter(
            "k",
            "must be at least 2: with one sampled source, that source's own value is 0/0 (NetworkX gives NaN)",
        )),
        Some(k) if k >= n => Ok(None),
        Some(k) => Ok(Some((k, seed.unwrap_or(0)))),
    }
}

/// Node indices of the view ranked by value, best first, ties by id.
pub(super) fn ranked(graph: &GraphSnapshot, view: &GraphView, values: &[f64]) -> Vec<NodeIx> {
    let mut order: Vec<NodeIx> = view.nodes().collect();
    order.sort_by(|a, b| {
        values[*b as usize]
            .total_cmp(&values[*a as usize])
            .then_with(|| graph.node_id(*a).cmp(graph.node_id(*b)))
    });
    order
}

/// 1-based ranks of an ordered list: equal values share the better rank.
pub(super) fn competition_ranks(order: &[NodeIx], values: &[f64]) -> Vec<usize> {
    let mut ranks: Vec<usize> = Vec::with_capacity(order.len());
    for (i, v) in order.iter().enumerate() {
        let tied = i > 0 && values[*v as usize] == values[order[i - 1] as usize];
        ranks.push(if tied { ranks[i - 1] } else { i + 1 });
    }
    ranks
}

/// `top` asks for at least one node (`top=0` used to list one).
fn check_top(query: &RankingQuery) -> Result<(), ServiceError> {
    match query.top {
        Some(0) => Err(bad_parameter("top", "must be at least 1")),
        _ => Ok(()),
    }
}

fn rank_of(values: &[f64], view: &GraphView, v: NodeIx) -> usize {
    1 + view
        .nodes()
        .filter(|w| values[*w as usize] > values[v as usize])
        .count()
}

impl Service {
    /// One page of the ranking of every node of the filtered graph by `measure`.
    pub fn ranking(&self, measure: Measure, query: &RankingQuery) -> Result<Ranking, ServiceError> {
        check_top(query)?;
        let country = query
            .country
            .as_deref()
            .map(str::parse::<CountryCode>)
            .transpose()
            .map_err(|e| bad_parameter("country", e))?;
        let scope = self.scope(&query.filter);
        let sample = sample_of(query.k, query.seed, measure, scope.view.node_count())?;
        let values = self.centrality_values(&scope, measure, sample, &self.budget())?;
        let in_country = country
            .map(|c| self.nodes_of_country(&scope, &c))
            .transpose()?;
        let order = ranked(&scope.graph, &scope.view, &values);
        let ranks = competition_ranks(&order, &values);
        let mut listed: Vec<(usize, NodeIx)> = Vec::new();
        for (&v, &rank) in order.iter().zip(&ranks) {
            if query.kind.is_some_and(|k| scope.graph.node_kind(v) != k)
                || in_country.as_ref().is_some_and(|set| !set.contains(&v))
            {
                continue;
            }
            listed.push((rank, v));
            if query.top.is_some_and(|t| listed.len() >= t) {
                break;
            }
        }
        let page: Vec<(usize, NodeIx)> = listed
            .iter()
            .skip(query.start)
            .take(query.limit)
            .copied()
            .collect();
        let shown: Vec<NodeIx> = page.iter().map(|(_, v)| *v).collect();
        let items = page
            .iter()
            .zip(self.node_refs(&scope.graph, &shown)?)
            .map(|((rank, v), node)| Ranked {
                rank: *rank,
                value: values[*v as usize],
                node,
            })
            .collect();
        let next = query.start + page.len();
        Ok(Ranking {
            graph_version: scope.graph.version(),
            filters: (&query.filter).into(),
            measure,
            sample: sample.map(|(k, _)| k),
            total: listed.len(),
            items,
            next_start: (next < listed.len()).then_some(next),
        })
    }

    /// The nodes of the snapshot whose stored record says `country`.
    fn nodes_of_country(
        &self,
        scope: &Scope,
        country: &CountryCode,
    ) -> Result<HashSet<NodeIx>, ServiceError> {
        let ids = self.store.node_ids_in_country(country)?;
        Ok(ids
            .iter()
            .filter_map(|id| NodeId::new(id).ok())
            .filter_map(|id| scope.graph.index_of(&id))
            .collect())
    }

    /// Every measure for one node, with its rank in the filtered graph; betweenness
    /// is sampled as `query` asks, the other measures are exact.
    pub fn node_centrality(
        &self,
        id: &NodeId,
        query: &RankingQuery,
    ) -> Result<NodeCentrality, ServiceError> {
        check_top(query)?;
        let scope = self.scope(&query.filter);
        let v = scope
            .graph
            .index_of(id)
            .ok_or_else(|| ServiceError::NotFound {
                what: "node",
                id: id.to_string(),
                field: None,
            })?;
        if !scope.view.contains(v) {
            return Err(bad_parameter(
                "node_kinds",
                format!("`{id}` is not in the filtered graph"),
            ));
        }
        let mut measures = Vec::new();
        for measure in Measure::ALL {
            let sample = match measure {
                Measure::Betweenness => {
                    sample_of(query.k, query.seed, measure, scope.view.node_count())?
                }
                _ => None,
            };
            let values = self.centrality_values(&scope, measure, sample, &self.budget())?;
            measures.push(NodeMeasure {
                measure,
                value: values[v as usize],
                rank: rank_of(&values, &scope.view, v),
            });
        }
        let node = self.node_refs(&scope.graph, &[v])?.remove(0);
        Ok(NodeCentrality {
            graph_version: scope.graph.version(),
            filters: (&query.filter).into(),
            node,
            nodes_in_graph: scope.view.node_count(),
            measures,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn equal_values_share_the_better_rank() {
        let values = [0.5, 0.9, 0.5, 0.1];
        let order = [1, 0, 2, 3];
        assert_eq!(super::competition_ranks(&order, &values), [1, 2, 2, 4]);
    }
}
