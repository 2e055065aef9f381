//! `/api/v1/centrality/{measure}` and `/api/v1/nodes/{id}/centrality`.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{path_id, ValidQuery};
use super::filters::{cursor_at, graph_params, offset};
use super::page::{DEFAULT_LIMIT, MAX_LIMIT};
use super::problem::{ApiError, Problem, ProblemCode};
use crate::model::{NodeId, NodeKind};
use crate::service::analysis::{Filters, Measure, NodeRef};
use crate::service::centrality::{self, RankingQuery};
use crate::service::Service;

graph_params! {
    /// Ranking, paging and sampling options.
    pub struct CentralityParams {
        /// Only the first `top` of the ranking, at least 1 (the ranking itself covers the
        /// whole graph).
        #[param(minimum = 1)]
        pub top: Option<usize>,
        /// Page size, 1–1000 (default 50).
        #[param(minimum = 1, maximum = 1000)]
        pub limit: Option<usize>,
        /// `next_cursor` of the previous page.
        pub cursor: Option<String>,
        /// List only nodes of this kind (the measure is computed on the whole filtered graph).
        pub kind: Option<NodeKind>,
        /// List only nodes of this country.
        pub country: Option<String>,
        /// Betweenness from `k` sampled sources instead of all (reproducible with `seed`),
        /// at least 2; only for `betweenness`.
        #[param(minimum = 2)]
        pub k: Option<usize>,
        /// Seed of the source sample (default 0).
        pub seed: Option<u64>,
    }
}

graph_params! {
    /// Sampling options of one node's centralities.
    pub struct NodeCentralityParams {
        /// Betweenness from `k` sampled sources instead of all (reproducible with
        /// `seed`), at least 2; the other measures are exact.
        #[param(minimum = 2)]
        pub k: Option<usize>,
        /// Seed of the source sample (default 0).
        pub seed: Option<u64>,
    }
}

impl NodeCentralityParams {
    fn query(&self) -> Result<RankingQuery, ApiError> {
        Ok(RankingQuery {
            filter: self.filter()?,
            top: None,
            kind: None,
            country: None,
            k: self.k,
            seed: self.seed,
            start: 0,
            limit: 0,
        })
    }
}

/// A ranked node.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ranked {
    /// 1-based rank in the whole graph (ties share the better rank).
    pub rank: usize,
    /// The value.
    pub value: f64,
    /// The node.
    pub node: NodeRef,
}

/// A centrality ranking.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ranking {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// The measure.
    pub measure: Measure,
    /// How values are normalised.
    pub normalization: &'static str,
    /// Sampled sources for betweenness, if any.
    pub sample: Option<usize>,
    /// Nodes listed in total (after `kind`, `country` and `top`).
    pub total: usize,
    /// This page, best first.
    pub items: Vec<Ranked>,
    /// Page size.
    pub limit: usize,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// One measure for one node.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeMeasure {
    /// The measure.
    pub measure: Measure,
    /// The value.
    pub value: f64,
    /// 1-based rank among all nodes of the filtered graph.
    pub rank: usize,
    /// How values are normalised.
    pub normalization: &'static str,
}

/// Every measure for one node.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeCentrality {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// The node.
    pub node: NodeRef,
    /// Nodes in the filtered graph.
    pub nodes_in_graph: usize,
    /// One entry per measure.
    pub measures: Vec<NodeMeasure>,
}

impl CentralityParams {
    fn query(&self, limit: usize) -> Result<RankingQuery, ApiError> {
        Ok(RankingQuery {
            filter: self.filter()?,
            top: self.top,
            kind: self.kind,
            country: self.country.clone(),
            k: self.k,
            seed: self.seed,
            start: offset(self.cursor.as_deref())?,
            limit,
        })
    }
}

impl Ranking {
    fn of(answer: centrality::Ranking, limit: usize) -> Self {
        Self {
            graph_version: answer.graph_version,
            filters: answer.filters,
            measure: answer.measure,
            normalization: answer.measure.normalization(),
            sample: answer.sample,
            total: answer.total,
            next_cursor: cursor_at(answer.next_start),
            items: answer
                .items
                .into_iter()
                .map(|r| Ranked {
                    rank: r.rank,
                    value: r.value,
                    node: r.node,
                })
                .collect(),
            limit,
        }
    }
}

impl From<centrality::NodeCentrality> for NodeCentrality {
    fn from(answer: centrality::NodeCentrality) -> Self {
        Self {
            graph_version: answer.graph_version,
            filters: answer.filters,
            node: answer.node,
            nodes_in_graph: answer.nodes_in_graph,
            measures: answer
                .measures
                .into_iter()
                .map(|m| NodeMeasure {
                    measure: m.measure,
                    value: m.value,
                    rank: m.rank,
                    normalization: m.measure.normalization(),
                })
                .collect(),
        }
    }
}

/// The measure a path segment names; 404 otherwise.
pub(super) fn measure_named(name: &str) -> Result<Measure, ApiError> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| {
        ApiError::new(
            ProblemCode::NotFound,
            "no such measure: use degree, betweenness, closeness, harmonic, pagerank or eigenvector",
            Some("measure".into()),
        )
    })
}

/// Centrality ranking
///
/// Ranks every node of the filtered graph by `measure` — `degree`, `betweenness`,
/// `closeness`, `harmonic`, `pagerank` or `eigenvector` — with values equal to
/// NetworkX's defaults (the response states the normalisation). Betweenness is exact,
/// or sampled from `k` sources with `seed`; both run on every core. Results are cached
/// per graph version and filter set.
#[utoipa::path(get, path = "/api/v1/centrality/{measure}", tag = "graph",
    params(("measure" = Measure, Path, description = "The measure"), CentralityParams),
    responses(
        (status = 200, description = "The ranking", body = Ranking),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such measure", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The computation ran past its budget or did not converge, or `k` was given for a measure that is not sampled", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_ranking(
    service: web::Data<Service>,
    measure: web::Path<String>,
    params: ValidQuery<CentralityParams>,
) -> Result<HttpResponse, ApiError> {
    let measure = measure_named(&measure)?;
    let limit = super::page::limit(params.0.limit.or(Some(DEFAULT_LIMIT)))?.min(MAX_LIMIT);
    let query = params.0.query(limit)?;
    super::answer_heavy(service, move |svc| {
        Ok(Ranking::of(svc.ranking(measure, &query)?, limit))
    })
    .await
}

/// Every centrality of one node
///
/// Every measure for one node with its rank in the filtered graph.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/centrality", tag = "graph",
    params(("id" = String, Path, description = "Node id", example = "city:ru:blagoveshchensk"), NodeCentralityParams),
    responses(
        (status = 200, description = "Every measure", body = NodeCentrality),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A computation ran past its budget or did not converge", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_node_centrality(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<NodeCentralityParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let query = params.0.query()?;
    super::answer_heavy(service, move |svc| {
        Ok(NodeCentrality::from(svc.node_centrality(&id, &query)?))
    })
    .await
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/centrality/{measure}", super::get().to(get_ranking))
        .route(
            "/nodes/{id}/centrality",
            super::get().to(get_node_centrality),
        );
}
