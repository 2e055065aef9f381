//! Paths between two nodes: shortest by hops, cheapest under per-kind costs, the k
//! cheapest, and every shortest one.

use super::analysis::{Filters, NodeRef, Scope};
use super::filters::{bad_parameter, Filter};
use super::{Service, ServiceError};
use crate::graph::algo::paths;
use crate::graph::NodeIx;
use crate::model::{Link, LinkKind, NodeId};

/// Default and largest `max_depth`.
pub const MAX_DEPTH: usize = 64;
/// Largest `k` for k shortest paths.
pub const MAX_K: usize = 50;
/// Largest number of paths for all shortest paths.
pub const MAX_PATHS: usize = 1000;
/// Smallest cost a link kind may be given.
const MIN_COST: f64 = 1e-6;
/// Largest cost a link kind may be given.
const MAX_COST: f64 = 1e6;

/// Which paths are asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathQuestion {
    /// One shortest path by hops.
    Shortest,
    /// The cheapest path under the costs.
    Weighted,
    /// The `k` cheapest loopless paths.
    KShortest,
    /// Every shortest path by hops, up to a cap.
    AllShortest,
}

/// Two endpoints and the options of a path question.
#[derive(Clone, Debug)]
pub struct PathQuery {
    /// Start node id, as given.
    pub from: String,
    /// End node id, as given.
    pub to: String,
    /// Longest path considered, in hops (default and maximum [`MAX_DEPTH`]).
    pub max_depth: Option<usize>,
    /// Costs per link kind, `kind:cost` comma-separated (default 1 per kind).
    pub weights: Option<String>,
    /// `k` for k-shortest (default 3), the cap for all-shortest (default 100).
    pub k: Option<usize>,
    /// The graph the question is asked of.
    pub filter: Filter,
}

/// One hop of a path and the admitted links that make it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Step {
    /// From this node id.
    pub from: String,
    /// To this node id.
    pub to: String,
    /// The admitted links joining the two.
    pub links: Vec<Link>,
}

/// A path: its nodes, the links of each hop, and its cost.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Path {
    /// Number of hops.
    pub hops: usize,
    /// Cost under the weights (equals `hops` for unweighted paths).
    pub cost: f64,
    /// The nodes in order.
    pub nodes: Vec<NodeRef>,
    /// The hops in order.
    pub steps: Vec<Step>,
}

/// The answer to a path question.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Paths {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// The paths, best first (never empty: no path is [`ServiceError::NoPath`]).
    pub paths: Vec<Path>,
    /// Whether more paths exist than were returned (all-shortest).
    pub truncated: bool,
}

/// The cost of each link kind, in [`LinkKind::ALL`] order.
fn costs_of(raw: Option<&str>) -> Result<[f64; 5], ServiceError> {
    let mut costs = [1.0; 5];
    let Some(raw) = raw else { return Ok(costs) };
    for part in raw.split(',').filter(|p| !p.is_empty()) {
        let (kind, cost) = part
            .split_once(':')
            .ok_or_else(|| bad_parameter("weights", format!("`{part}` is not kind:cost")))?;
        let kind: LinkKind = serde_json::from_value(serde_json::Value::String(kind.trim().into()))
            .map_err(|_| bad_parameter("weights", format!("`{kind}` is not a link kind")))?;
        let cost: f64 = cost
            .trim()
            .parse()
            .map_err(|_| bad_parameter("weights", format!("`{cost}` is not a number")))?;
        if !(MIN_COST..=MAX_COST).contains(&cost) {
            return Err(bad_parameter(
                "weights",
                format!(
                    "cost {cost} is outside {MIN_COST}..{MAX_COST} (a path of 64 hops must still add up)"
                ),
            ));
        }
        costs[kind_slot(kind)] = cost;
    }
    Ok(costs)
}

fn kind_slot(kind: LinkKind) -> usize {
    LinkKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

/// The cost of every edge of the view: its cheapest admitted link.
fn edge_weights(scope: &Scope, costs: &[f64; 5]) -> Vec<f64> {
    let view = &scope.view;
    let mut weights = vec![f64::INFINITY; view.edge_count() * 2];
    for v in view.nodes() {
        let start = view.edge_start(v);
        for (i, (_, pair)) in view.neighbours_with_pairs(v).enumerate() {
            weights[start + i] = scope
                .admitted_links_of_pair(pair)
                .map(|l| costs[kind_slot(scope.graph.link(l).kind)])
                .fold(f64::INFINITY, f64::min);
        }
    }
    weights
}

fn within(field: &str, value: usize, max: usize) -> Result<usize, ServiceError> {
    if value == 0 || value > max {
        return Err(bad_parameter(field, format!("must be 1..={max}")));
    }
    Ok(value)
}

/// A path of hops, costed by its length.
fn by_hops(path: Vec<NodeIx>) -> (Vec<NodeIx>, f64) {
    let cost = path.len() as f64 - 1.0;
    (path, cost)
}

impl Service {
    /// Answers a path question; two nodes not joined within `max_depth` hops under the
    /// filter are [`ServiceError::NoPath`].
    pub fn paths(&self, question: PathQuestion, query: &PathQuery) -> Result<Paths, ServiceError> {
        let max_depth = within("max_depth", query.max_depth.unwrap_or(MAX_DEPTH), MAX_DEPTH)?;
        let costs = costs_of(query.weights.as_deref())?;
        let scope = self.scope(&query.filter);
        let from = self.endpoint(&scope, &query.from, "from")?;
        let to = self.endpoint(&scope, &query.to, "to")?;
        let (found, truncated) = match question {
            PathQuestion::Shortest => {
                let path = paths::BfsScratch::with_pooled(scope.view.node_bound(), |scratch| {
                    paths::shortest_path(&scope.view, from, to, max_depth, scratch)
                });
                (path.map(by_hops).into_iter().collect(), false)
            }
            PathQuestion::Weighted => {
                let weights = edge_weights(&scope, &costs);
                let path = paths::dijkstra(&scope.view, &weights, from, to, max_depth);
                (path.into_iter().collect(), false)
            }
            PathQuestion::KShortest => {
                let k = within("k", query.k.unwrap_or(3), MAX_K)?;
                let weights = edge_weights(&scope, &costs);
                let budget = self.budget();
                let found = paths::k_shortest_paths(
                    &scope.view,
                    &weights,
                    from,
                    to,
                    k,
                    max_depth,
                    &budget,
                )?;
                (found, false)
            }
            PathQuestion::AllShortest => {
                let cap = within("k", query.k.unwrap_or(100), MAX_PATHS)?;
                match paths::all_shortest_paths(&scope.view, from, to, max_depth, cap) {
                    Some((found, cut)) => (found.into_iter().map(by_hops).collect(), cut),
                    None => (Vec::new(), false),
                }
            }
        };
        if found.is_empty() {
            return Err(ServiceError::NoPath(format!(
                "{} and {} are not connected under these filters within {max_depth} hops",
                query.from, query.to
            )));
        }
        let paths = found
            .into_iter()
            .map(|(nodes, cost)| self.path(&scope, &nodes, cost))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Paths {
            graph_version: scope.graph.version(),
            filters: (&query.filter).into(),
            paths,
            truncated,
        })
    }

    fn endpoint(&self, scope: &Scope, raw: &str, field: &str) -> Result<NodeIx, ServiceError> {
        let id = NodeId::new(raw).map_err(|e| bad_parameter(field, e))?;
        self.node_ix(scope, &id, field)
    }

    fn path(&self, scope: &Scope, nodes: &[NodeIx], cost: f64) -> Result<Path, ServiceError> {
        let steps = nodes
            .windows(2)
            .map(|w| {
                Ok(Step {
                    from: scope.graph.node_id(w[0]).to_string(),
                    to: scope.graph.node_id(w[1]).to_string(),
                    links: self.links_between(scope, w[0], w[1])?,
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        Ok(Path {
            hops: nodes.len() - 1,
            cost,
            nodes: self.node_refs(&scope.graph, nodes)?,
            steps,
        })
    }
}
