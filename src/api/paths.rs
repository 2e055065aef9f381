//! `/api/v1/paths/*`: shortest, weighted, k shortest and all shortest paths.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::ValidQuery;
use super::filters::graph_params;
use super::problem::{ApiError, Problem};
use crate::model::Link;
use crate::service::analysis::{Filters, NodeRef};
use crate::service::paths::{Path, PathQuery, PathQuestion, Paths};
use crate::service::Service;

graph_params! {
    /// Two endpoints, and options.
    pub struct PathParams {
        /// Start node id.
        #[param(example = "city:ru:krasnoyarsk")]
        pub from: String,
        /// End node id.
        #[param(example = "city:jp:niigata")]
        pub to: String,
        /// Longest path considered, in hops, 1–64 (default 64).
        #[param(minimum = 1, maximum = 64)]
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

impl PathParams {
    fn query(self) -> Result<PathQuery, ApiError> {
        Ok(PathQuery {
            filter: self.filter()?,
            from: self.from,
            to: self.to,
            max_depth: self.max_depth,
            weights: self.weights,
            k: self.k,
        })
    }
}

impl From<Path> for PathView {
    fn from(path: Path) -> Self {
        Self {
            hops: path.hops,
            cost: path.cost,
            nodes: path.nodes,
            steps: path
                .steps
                .into_iter()
                .map(|s| Step {
                    from: s.from,
                    to: s.to,
                    links: s.links,
                })
                .collect(),
        }
    }
}

impl From<Paths> for PathsResponse {
    fn from(answer: Paths) -> Self {
        Self {
            graph_version: answer.graph_version,
            filters: answer.filters,
            paths: answer.paths.into_iter().map(PathView::from).collect(),
            truncated: answer.truncated,
        }
    }
}

async fn run(
    service: web::Data<Service>,
    params: PathParams,
    question: PathQuestion,
) -> Result<HttpResponse, ApiError> {
    let query = params.query()?;
    super::answer(service, move |svc| {
        Ok(PathsResponse::from(svc.paths(question, &query)?))
    })
    .await
}

/// Shortest path
///
/// One shortest path by number of hops (bidirectional breadth-first search), as the
/// sequence of nodes and, for each hop, the links that make it with kind, dates and
/// source. Its length equals `networkx.shortest_path_length` on the filtered graph.
#[utoipa::path(get, path = "/api/v1/paths/shortest", tag = "paths", params(PathParams),
    responses(
        (status = 200, description = "A shortest path", body = PathsResponse),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A node that does not exist (`unknown_node`), or the query ran past its budget", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The nodes are not connected under the filters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn shortest(
    service: web::Data<Service>,
    params: ValidQuery<PathParams>,
) -> Result<HttpResponse, ApiError> {
    run(service, params.0, PathQuestion::Shortest).await
}

/// Cheapest weighted path
///
/// The cheapest path (Dijkstra) where a hop costs the `weights` cost of its cheapest
/// admitted link kind (default 1 per kind).
#[utoipa::path(get, path = "/api/v1/paths/weighted", tag = "paths", params(PathParams),
    responses(
        (status = 200, description = "The cheapest path", body = PathsResponse),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A node that does not exist (`unknown_node`), or the query ran past its budget", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The nodes are not connected under the filters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn weighted(
    service: web::Data<Service>,
    params: ValidQuery<PathParams>,
) -> Result<HttpResponse, ApiError> {
    run(service, params.0, PathQuestion::Weighted).await
}

/// k shortest paths
///
/// The `k` cheapest loopless paths (Yen's algorithm) with each path's cost, under the
/// same `weights` as the weighted path.
#[utoipa::path(get, path = "/api/v1/paths/k-shortest", tag = "paths", params(PathParams),
    responses(
        (status = 200, description = "Up to k paths, cheapest first", body = PathsResponse),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A node that does not exist (`unknown_node`), or the query ran past its budget", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The nodes are not connected under the filters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn k_shortest(
    service: web::Data<Service>,
    params: ValidQuery<PathParams>,
) -> Result<HttpResponse, ApiError> {
    run(service, params.0, PathQuestion::KShortest).await
}

/// All shortest paths
///
/// Every shortest path by hops, at most `k` (default 100); `truncated` says whether
/// more exist. The set equals `networkx.all_shortest_paths`.
#[utoipa::path(get, path = "/api/v1/paths/all-shortest", tag = "paths", params(PathParams),
    responses(
        (status = 200, description = "The shortest paths", body = PathsResponse),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A node that does not exist (`unknown_node`), or the query ran past its budget", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The nodes are not connected under the filters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn all_shortest(
    service: web::Data<Service>,
    params: ValidQuery<PathParams>,
) -> Result<HttpResponse, ApiError> {
    run(service, params.0, PathQuestion::AllShortest).await
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/paths/shortest", super::get().to(shortest))
        .route("/paths/weighted", super::get().to(weighted))
        .route("/paths/k-shortest", super::get().to(k_shortest))
        .route("/paths/all-shortest", super::get().to(all_shortest));
}
