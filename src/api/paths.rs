//! `/api/v1/paths/*`: shortest, weighted, k shortest and all shortest paths.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::ValidQuery;
use super::filters::graph_params;
use super::problem::{ApiError, Problem, ProblemCode};
use crate::graph::algo::paths;
use crate::graph::NodeIx;
use crate::model::{Link, LinkKind, NodeId};
use crate::service::analysis::{Filters, NodeRef, Scope};
use crate::service::{Service, ServiceError};

/// Default and largest `max_depth`.
pub const MAX_DEPTH: usize = 64;
/// Largest `k` for k shortest paths.
pub const MAX_K: usize = 50;
/// Largest number of paths for all shortest paths.
pub const MAX_PATHS: usize = 1000;

graph_params! {
    /// Two endpoints, and options.
    pub struct PathParams {
        /// Start node id.
        #[param(example = "city:ru:krasnoyarsk")]
        pub from: String,
        /// End node id.
        #[param(example = "city:jp:niigata")]
        pub to: String,
        /// Longest path considered, in hops (default and maximum 64).
        pub max_depth: Option<usize>,
        /// Costs per link kind for weighted paths, `kind:cost` comma-separated, each
        /// cost from 0.000001 to 1000000 (default 1 for every kind); the cost of a hop
        /// is its cheapest admitted link.
        #[param(example = "twinning:1,friendship:2,trilateral:1.5")]
        pub weights: Option<String>,
        /// Number of paths: `k` for k-shortest (default 3, at most 50); the cap for
        /// all-shortest (default 100, at most 1000).
        pub k: Option<usize>,
    }
}

/// One hop of a path and the links that make it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Step {
    /// From this node id.
    pub from: String,
    /// To this node id.
    pub to: String,
    /// The admitted links joining the two (kind, dates, source).
    pub links: Vec<Link>,
}

/// A path: its nodes, the links of each hop, and its cost.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathView {
    /// Number of hops.
    pub hops: usize,
    /// Cost under the weights (equals `hops` for unweighted paths).
    pub cost: f64,
    /// The nodes in order.
    pub nodes: Vec<NodeRef>,
    /// The hops in order.
    pub steps: Vec<Step>,
}

/// Paths between two nodes.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathsResponse {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// The paths, best first.
    pub paths: Vec<PathView>,
    /// Whether more paths exist than were returned (all-shortest).
    pub truncated: bool,
}

#[derive(Clone, Copy)]
enum Question {
    Shortest,
    Weighted,
    KShortest,
    AllShortest,
}

/// Smallest cost a link kind may be given.
const MIN_COST: f64 = 1e-6;
/// Largest cost a link kind may be given.
const MAX_COST: f64 = 1e6;

fn weights_of(raw: Option<&str>) -> Result<[f64; 5], ApiError> {
    let mut costs = [1.0; 5];
    let Some(raw) = raw else { return Ok(costs) };
    let bad = |d: String| {
        ApiError::new(
            ProblemCode::InvalidQuery,
            format!("weights: {d}"),
            Some("weights".into()),
        )
    };
    for part in raw.split(',').filter(|p| !p.is_empty()) {
        let (kind, cost) = part
            .split_once(':')
            .ok_or_else(|| bad(format!("`{part}` is not kind:cost")))?;
        let kind: LinkKind = serde_json::from_value(serde_json::Value::String(kind.trim().into()))
            .map_err(|_| bad(format!("`{kind}` is not a link kind")))?;
        let cost: f64 = cost
            .trim()
            .parse()
            .map_err(|_| bad(format!("`{cost}` is not a number")))?;
        if !(MIN_COST..=MAX_COST).contains(&cost) {
            return Err(bad(format!(
                "cost {cost} is outside {MIN_COST}..{MAX_COST} (a path of 64 hops must still add up)"
            )));
        }
        let slot = LinkKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        costs[slot] = cost;
    }
    Ok(costs)
}

/// The cost of every edge of the view: its cheapest admitted link.
fn edge_weights(scope: &Scope, costs: &[f64; 5]) -> Vec<f64> {
    let view = &scope.view;
    let mut weights = vec![f64::INFINITY; view.edge_count() * 2];
    for v in view.nodes() {
        let start = view.edge_start(v);
        for (i, (_, pair)) in view.neighbours_with_pairs(v).enumerate() {
            let cheapest = scope
                .graph
                .links_of_pair(pair)
                .iter()
                .map(|l| scope.graph.link(l))
                .filter(|e| scope.filter.admits_link(e))
                .map(|e| costs[LinkKind::ALL.iter().position(|k| *k == e.kind).unwrap_or(0)])
                .fold(f64::INFINITY, f64::min);
            weights[start + i] = cheapest;
        }
    }
    weights
}

fn answer(
    service: &Service,
    params: &PathParams,
    question: Question,
) -> Result<PathsResponse, ApiError> {
    let filter = params.filter()?;
    let max_depth = params.max_depth.unwrap_or(MAX_DEPTH);
    if max_depth == 0 || max_depth > MAX_DEPTH {
        return Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!("max_depth: must be 1..={MAX_DEPTH}"),
            Some("max_depth".into()),
        ));
    }
    let costs = weights_of(params.weights.as_deref())?;
    let scope = service.scope(&filter);
    let from = node(service, &scope, &params.from, "from")?;
    let to = node(service, &scope, &params.to, "to")?;
    let k = params.k;
    let (found, truncated): (Vec<(Vec<NodeIx>, f64)>, bool) = match question {
        Question::Shortest => {
            let path = paths::BfsScratch::with_pooled(scope.view.node_bound(), |scratch| {
                paths::shortest_path(&scope.view, from, to, max_depth, scratch)
            });
            (
                path.map(|p| (p.len() as f64 - 1.0, p))
                    .map(|(c, p)| vec![(p, c)])
                    .unwrap_or_default(),
                false,
            )
        }
        Question::Weighted => {
            let weights = edge_weights(&scope, &costs);
            (
                paths::dijkstra(&scope.view, &weights, from, to, max_depth)
                    .into_iter()
                    .collect(),
                false,
            )
        }
        Question::KShortest => {
            let k = k.unwrap_or(3);
            if k == 0 || k > MAX_K {
                return Err(ApiError::new(
                    ProblemCode::InvalidQuery,
                    format!("k: must be 1..={MAX_K}"),
                    Some("k".into()),
                ));
            }
            let weights = edge_weights(&scope, &costs);
            let found = paths::k_shortest_paths(
                &scope.view,
                &weights,
                from,
                to,
                k,
                max_depth,
                &service.budget(),
            )
            .map_err(ServiceError::Query)?;
            (found, false)
        }
        Question::AllShortest => {
            let cap = k.unwrap_or(100);
            if cap == 0 || cap > MAX_PATHS {
                return Err(ApiError::new(
                    ProblemCode::InvalidQuery,
                    format!("k: must be 1..={MAX_PATHS}"),
                    Some("k".into()),
                ));
            }
            match paths::all_shortest_paths(&scope.view, from, to, max_depth, cap) {
                Some((found, cut)) => (
                    found
                        .into_iter()
                        .map(|p| (p.len() as f64 - 1.0, p))
                        .map(|(c, p)| (p, c))
                        .collect(),
                    cut,
                ),
                None => (Vec::new(), false),
            }
        }
    };
    if found.is_empty() {
        return Err(ApiError::new(
            ProblemCode::NoPath,
            format!(
                "{} and {} are not connected under these filters within {max_depth} hops",
                params.from, params.to
            ),
            None,
        ));
    }
    let paths = found
        .into_iter()
        .map(|(nodes, cost)| path_view(service, &scope, &nodes, cost))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PathsResponse {
        graph_version: scope.graph.version(),
        filters: (&filter).into(),
        paths,
        truncated,
    })
}

fn node(service: &Service, scope: &Scope, raw: &str, field: &str) -> Result<NodeIx, ApiError> {
    let id = NodeId::new(raw).map_err(|e| {
        ApiError::new(
            ProblemCode::InvalidQuery,
            format!("{field}: {e}"),
            Some(field.into()),
        )
    })?;
    Ok(service.node_ix(scope, &id, field)?)
}

fn path_view(
    service: &Service,
    scope: &Scope,
    nodes: &[NodeIx],
    cost: f64,
) -> Result<PathView, ApiError> {
    let steps = nodes
        .windows(2)
        .map(|w| {
            Ok(Step {
                from: scope.graph.node_id(w[0]).to_string(),
                to: scope.graph.node_id(w[1]).to_string(),
                links: service.links_between(scope, w[0], w[1])?,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(PathView {
        hops: nodes.len() - 1,
        cost,
        nodes: service.node_refs(&scope.graph, nodes)?,
        steps,
    })
}

async fn run(
    service: web::Data<Service>,
    params: PathParams,
    question: Question,
) -> Result<HttpResponse, ApiError> {
    super::answer(service, move |svc| answer(svc, &params, question)).await
}

/// Shortest path
///
/// One shortest path by number of hops (bidirectional breadth-first search), as the
/// sequence of nodes and, for each hop, the links that make it with kind, dates and
/// source. Its length equals `networkx.shortest_path_length` on the filtered graph.
#[utoipa::path(get, path = "/api/v1/paths/shortest", tag = "paths", params(PathParams),
    responses(
        (status = 200, description = "A shortest path", body = PathsResponse),
        (status = 400, description = "A bad parameter, or a node that does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The nodes are not connected under the filters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn shortest(
    service: web::Data<Service>,
    params: ValidQuery<PathParams>,
) -> Result<HttpResponse, ApiError> {
    run(service, params.0, Question::Shortest).await
}

/// Cheapest weighted path
///
/// The cheapest path (Dijkstra) where a hop costs the `weights` cost of its cheapest
/// admitted link kind (default 1 per kind).
#[utoipa::path(get, path = "/api/v1/paths/weighted", tag = "paths", params(PathParams),
    responses(
        (status = 200, description = "The cheapest path", body = PathsResponse),
        (status = 400, description = "A bad parameter, or a node that does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The nodes are not connected under the filters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn weighted(
    service: web::Data<Service>,
    params: ValidQuery<PathParams>,
) -> Result<HttpResponse, ApiError> {
    run(service, params.0, Question::Weighted).await
}

/// k shortest paths
///
/// The `k` cheapest loopless paths (Yen's algorithm) with each path's cost, under the
/// same `weights` as the weighted path.
#[utoipa::path(get, path = "/api/v1/paths/k-shortest", tag = "paths", params(PathParams),
    responses(
        (status = 200, description = "Up to k paths, cheapest first", body = PathsResponse),
        (status = 400, description = "A bad parameter, or a node that does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The nodes are not connected under the filters", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The query ran past its budget", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn k_shortest(
    service: web::Data<Service>,
    params: ValidQuery<PathParams>,
) -> Result<HttpResponse, ApiError> {
    run(service, params.0, Question::KShortest).await
}

/// All shortest paths
///
/// Every shortest path by hops, at most `k` (default 100); `truncated` says whether
/// more exist. The set equals `networkx.all_shortest_paths`.
#[utoipa::path(get, path = "/api/v1/paths/all-shortest", tag = "paths", params(PathParams),
    responses(
        (status = 200, description = "The shortest paths", body = PathsResponse),
        (status = 400, description = "A bad parameter, or a node that does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The nodes are not connected under the filters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn all_shortest(
    service: web::Data<Service>,
    params: ValidQuery<PathParams>,
) -> Result<HttpResponse, ApiError> {
    run(service, params.0, Question::AllShortest).await
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/paths/shortest", web::get().to(shortest))
        .route("/paths/weighted", web::get().to(weighted))
        .route("/paths/k-shortest", web::get().to(k_shortest))
        .route("/paths/all-shortest", web::get().to(all_shortest));
}
