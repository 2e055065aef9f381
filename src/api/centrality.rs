//! `/api/v1/centrality/{measure}` and `/api/v1/nodes/{id}/centrality`.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{path_id, ValidQuery};
use super::filters::{graph_params, next_offset, offset};
use super::page::{DEFAULT_LIMIT, MAX_LIMIT};
use super::problem::{ApiError, Problem, ProblemCode};
use crate::graph::NodeIx;
use crate::model::{CountryCode, NodeId, NodeKind};
use crate::service::analysis::{Filters, Measure, NodeRef};
use crate::service::{Service, ServiceError};

graph_params! {
    /// Ranking, paging and sampling options.
    pub struct CentralityParams {
        /// Only the first `top` of the ranking (the ranking itself covers the whole graph).
        pub top: Option<usize>,
        /// Page size, 1–1000 (default 50).
        pub limit: Option<usize>,
        /// `next_cursor` of the previous page.
        pub cursor: Option<String>,
        /// List only nodes of this kind (the measure is computed on the whole filtered graph).
        pub kind: Option<NodeKind>,
        /// List only nodes of this country.
        pub country: Option<String>,
        /// Betweenness from `k` sampled sources instead of all (reproducible with `seed`).
        pub k: Option<usize>,
        /// Seed of the source sample (default 0).
        pub seed: Option<u64>,
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

fn sample(
    params: &CentralityParams,
    measure: Measure,
    n: usize,
) -> Result<Option<(usize, u64)>, ApiError> {
    match params.k {
        None => Ok(None),
        Some(_) if measure != Measure::Betweenness => Err(ApiError::new(
            ProblemCode::InvalidQuery,
            "k: only betweenness is sampled",
            Some("k".into()),
        )),
        Some(0) => Err(ApiError::new(
            ProblemCode::InvalidQuery,
            "k: must be at least 1",
            Some("k".into()),
        )),
        Some(k) if k >= n => Ok(None),
        Some(k) => Ok(Some((k, params.seed.unwrap_or(0)))),
    }
}

/// Node indices of the view ranked by value, best first, ties by id.
fn ranked(
    service_graph: &crate::graph::GraphSnapshot,
    view: &crate::graph::view::GraphView,
    values: &[f64],
) -> Vec<NodeIx> {
    let mut order: Vec<NodeIx> = view.nodes().collect();
    order.sort_by(|a, b| {
        values[*b as usize]
            .total_cmp(&values[*a as usize])
            .then_with(|| service_graph.node_id(*a).cmp(service_graph.node_id(*b)))
    });
    order
}

fn rank_of(values: &[f64], view: &crate::graph::view::GraphView, v: NodeIx) -> usize {
    1 + view
        .nodes()
        .filter(|w| values[*w as usize] > values[v as usize])
        .count()
}

fn ranking(
    service: &Service,
    measure: Measure,
    params: &CentralityParams,
) -> Result<Ranking, ApiError> {
    let filter = params.filter()?;
    let limit = super::page::limit(params.limit.or(Some(DEFAULT_LIMIT)))?.min(MAX_LIMIT);
    let country = params
        .country
        .as_deref()
        .map(str::parse::<CountryCode>)
        .transpose()
        .map_err(|e| {
            ApiError::new(
                ProblemCode::InvalidQuery,
                format!("country: {e}"),
                Some("country".into()),
            )
        })?;
    let scope = service.scope(&filter);
    let sample = sample(params, measure, scope.view.node_count())?;
    let values = service.centrality_values(&scope, measure, sample, &service.budget())?;
    let order = ranked(&scope.graph, &scope.view, &values);
    let mut ranks = Vec::with_capacity(order.len());
    for (i, v) in order.iter().enumerate() {
        let rank = if i > 0 && values[*v as usize] == values[order[i - 1] as usize] {
            ranks[i - 1]
        } else {
            i + 1
        };
        ranks.push(rank);
    }
    let mut listed: Vec<(usize, NodeIx)> = Vec::new();
    for (i, &v) in order.iter().enumerate() {
        if params.kind.is_some_and(|k| scope.graph.node_kind(v) != k) {
            continue;
        }
        if let Some(c) = country {
            // A node whose record cannot be read has no known country.
            let node = service.store().node_if_readable(scope.graph.node_id(v))?;
            if node.and_then(|n| n.country) != Some(c) {
                continue;
            }
        }
        listed.push((ranks[i], v));
        if params.top.is_some_and(|t| listed.len() >= t) {
            break;
        }
    }
    let start = offset(params.cursor.as_deref())?;
    let page: Vec<(usize, NodeIx)> = listed.iter().skip(start).take(limit).copied().collect();
    let refs = service.node_refs(
        &scope.graph,
        &page.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
    )?;
    let items = page
        .iter()
        .zip(refs)
        .map(|((rank, v), node)| Ranked {
            rank: *rank,
            value: values[*v as usize],
            node,
        })
        .collect();
    Ok(Ranking {
        graph_version: scope.graph.version(),
        filters: (&filter).into(),
        measure,
        normalization: measure.normalization(),
        sample: sample.map(|(k, _)| k),
        total: listed.len(),
        items,
        limit,
        next_cursor: next_offset(start, page.len(), listed.len()),
    })
}

fn node_centrality(
    service: &Service,
    id: NodeId,
    params: &CentralityParams,
) -> Result<NodeCentrality, ApiError> {
    let filter = params.filter()?;
    let scope = service.scope(&filter);
    let v = scope
        .graph
        .index_of(&id)
        .ok_or_else(|| ServiceError::NotFound {
            what: "node",
            id: id.to_string(),
            field: None,
        })?;
    if !scope.view.contains(v) {
        return Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!("node_kinds: `{id}` is not in the filtered graph"),
            Some("node_kinds".into()),
        ));
    }
    let mut measures = Vec::new();
    for measure in Measure::ALL {
        let sample = sample(params, measure, scope.view.node_count()).unwrap_or(None);
        let sample = if measure == Measure::Betweenness {
            sample
        } else {
            None
        };
        let values = service.centrality_values(&scope, measure, sample, &service.budget())?;
        measures.push(NodeMeasure {
            measure,
            value: values[v as usize],
            rank: rank_of(&values, &scope.view, v),
            normalization: measure.normalization(),
        });
    }
    let node = service.node_refs(&scope.graph, &[v])?.remove(0);
    Ok(NodeCentrality {
        graph_version: scope.graph.version(),
        filters: (&filter).into(),
        node,
        nodes_in_graph: scope.view.node_count(),
        measures,
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
        (status = 422, description = "The computation ran past its budget or did not converge", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_ranking(
    service: web::Data<Service>,
    measure: web::Path<String>,
    params: ValidQuery<CentralityParams>,
) -> Result<HttpResponse, ApiError> {
    let measure: Measure = serde_json::from_value(serde_json::Value::String(measure.into_inner()))
        .map_err(|_| ApiError::new(ProblemCode::NotFound, "no such measure: use degree, betweenness, closeness, harmonic, pagerank or eigenvector", Some("measure".into())))?;
    super::answer_heavy(service, move |svc| ranking(svc, measure, &params.0)).await
}

/// Every centrality of one node
///
/// Every measure for one node with its rank in the filtered graph.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/centrality", tag = "graph",
    params(("id" = String, Path, description = "Node id", example = "city:ru:blagoveshchensk"), CentralityParams),
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
    params: ValidQuery<CentralityParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    super::answer_heavy(service, move |svc| node_centrality(svc, id, &params.0)).await
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/centrality/{measure}", web::get().to(get_ranking))
        .route("/nodes/{id}/centrality", web::get().to(get_node_centrality));
}
