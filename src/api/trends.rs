//! `/api/v1/nodes/{id}/centrality/history`, `/api/v1/centrality/{measure}/history` and
//! `/api/v1/timeline/series`: the network through time, as JSON or CSV.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::centrality::Ranked;
use super::extract::{path_id, ValidQuery};
use super::filters::graph_params;
use super::problem::{internal, ApiError, Problem};
use super::version;
use crate::model::{NodeId, NodeKind};
use crate::service::analysis::{Filters, Measure, NodeRef};
use crate::service::trends::{self, HistoryQuery, Steps};
use crate::service::Service;

/// How a series is sent.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeriesFormat {
    /// JSON (default).
    #[default]
    Json,
    /// CSV with a header row, one row per step (per step and node for a ranking).
    Csv,
}

graph_params! {
    /// The steps of a node's centrality history (without `as_of`: each step is its own cut).
    pub struct NodeHistoryParams {
        /// The measure (default `pagerank`).
        pub measure: Option<Measure>,
        /// The first year, 1–9999 (default: the first year a link of the filtered graph was signed).
        #[param(minimum = 1, maximum = 9999)]
        pub from: Option<u16>,
        /// The last year, 1–9999, not before `from` (default: the last year a link was signed).
        #[param(minimum = 1, maximum = 9999)]
        pub to: Option<u16>,
        /// Years between steps, at least 1 (default 1); at most 200 steps in all.
        #[param(minimum = 1, maximum = 9999)]
        pub step: Option<u16>,
        /// Betweenness from `k` sampled sources instead of all (reproducible with `seed`),
        /// at least 2; only for `betweenness`.
        #[param(minimum = 2)]
        pub k: Option<usize>,
        /// Seed of the source sample (default 0).
        pub seed: Option<u64>,
        /// `json` (default) or `csv` (columns `year,value,rank,nodes_in_graph,edges,undefined,same_graph_as`).
        pub format: Option<SeriesFormat>,
    }
}

graph_params! {
    /// The steps of a ranking history (without `as_of`: each step is its own cut).
    pub struct RankingHistoryParams {
        /// The first year, 1–9999 (default: the first year a link of the filtered graph was signed).
        #[param(minimum = 1, maximum = 9999)]
        pub from: Option<u16>,
        /// The last year, 1–9999, not before `from` (default: the last year a link was signed).
        #[param(minimum = 1, maximum = 9999)]
        pub to: Option<u16>,
        /// Years between steps, at least 1 (default 1); at most 200 steps in all.
        #[param(minimum = 1, maximum = 9999)]
        pub step: Option<u16>,
        /// Nodes listed per step, 1–100 (default 10).
        #[param(minimum = 1, maximum = 100)]
        pub top: Option<usize>,
        /// List only nodes of this kind (the measure covers the whole filtered graph).
        pub kind: Option<NodeKind>,
        /// Betweenness from `k` sampled sources instead of all, at least 2; only for `betweenness`.
        #[param(minimum = 2)]
        pub k: Option<usize>,
        /// Seed of the source sample (default 0).
        pub seed: Option<u64>,
        /// `json` (default) or `csv` (columns `year,rank,id,name,value,nodes_in_graph,edges`).
        pub format: Option<SeriesFormat>,
    }
}

graph_params! {
    /// The steps of the shape series (without `as_of`: each step is its own cut).
    pub struct ShapeSeriesParams {
        /// The first year, 1–9999 (default: the first year a link of the filtered graph was signed).
        #[param(minimum = 1, maximum = 9999)]
        pub from: Option<u16>,
        /// The last year, 1–9999, not before `from` (default: the last year a link was signed).
        #[param(minimum = 1, maximum = 9999)]
        pub to: Option<u16>,
        /// Years between steps, at least 1 (default 1); at most 200 steps in all.
        #[param(minimum = 1, maximum = 9999)]
        pub step: Option<u16>,
        /// `json` (default) or `csv` (one row per step, a column per field).
        pub format: Option<SeriesFormat>,
    }
}

/// One node's standing in one step.
#[derive(Debug, Serialize, ToSchema)]
pub struct Standing {
    /// The year: the graph as it stood at the end of it.
    pub year: u16,
    /// Nodes in that year's graph.
    pub nodes_in_graph: usize,
    /// Edges in that year's graph.
    pub edges: usize,
    /// The node's value; absent when the measure is undefined that year.
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
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeHistory {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters (each step adds its year as `as_of`).
    pub filters: Filters,
    /// The measure.
    pub measure: Measure,
    /// How values are normalised.
    pub normalization: &'static str,
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
#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
pub struct RankingHistory {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters (each step adds its year as `as_of`).
    pub filters: Filters,
    /// The measure.
    pub measure: Measure,
    /// How values are normalised.
    pub normalization: &'static str,
    /// Sampled sources for betweenness, if any.
    pub sample: Option<usize>,
    /// Nodes listed per step.
    pub top: usize,
    /// Distinct graphs among the steps.
    pub distinct_graphs: usize,
    /// One entry per step, in year order.
    pub steps: Vec<RankingStep>,
}

/// The shape of the network in one step, each value equal to its NetworkX function on
/// that year's graph.
#[derive(Debug, Serialize, ToSchema)]
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
    /// `networkx.degree_assortativity_coefficient`; absent when undefined.
    pub degree_assortativity: Option<f64>,
    /// The earlier step whose graph this step's equals, whose results it reuses.
    pub same_graph_as: Option<u16>,
}

/// The shape of the network through time.
#[derive(Debug, Serialize, ToSchema)]
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

impl From<&trends::NodeHistory> for NodeHistory {
    fn from(h: &trends::NodeHistory) -> Self {
        Self {
            graph_version: h.graph_version,
            filters: h.filters.clone(),
            measure: h.measure,
            normalization: h.measure.normalization(),
            sample: h.sample,
            node: h.node.clone(),
            distinct_graphs: h.distinct_graphs,
            steps: h
                .steps
                .iter()
                .map(|s| Standing {
                    year: s.year,
                    nodes_in_graph: s.nodes_in_graph,
                    edges: s.edges,
                    value: s.value,
                    rank: s.rank,
                    undefined: s.undefined.clone(),
                    same_graph_as: s.same_graph_as,
                })
                .collect(),
        }
    }
}

impl From<&trends::RankingHistory> for RankingHistory {
    fn from(h: &trends::RankingHistory) -> Self {
        Self {
            graph_version: h.graph_version,
            filters: h.filters.clone(),
            measure: h.measure,
            normalization: h.measure.normalization(),
            sample: h.sample,
            top: h.top,
            distinct_graphs: h.distinct_graphs,
            steps: h
                .steps
                .iter()
                .map(|s| RankingStep {
                    year: s.year,
                    nodes_in_graph: s.nodes_in_graph,
                    edges: s.edges,
                    items: s
                        .items
                        .iter()
                        .map(|r| Ranked {
                            rank: r.rank,
                            value: r.value,
                            node: r.node.clone(),
                        })
                        .collect(),
                    entered: s.entered.clone(),
                    left: s.left.clone(),
                    undefined: s.undefined.clone(),
                    same_graph_as: s.same_graph_as,
                })
                .collect(),
        }
    }
}

impl From<&trends::ShapeSeries> for ShapeSeries {
    fn from(h: &trends::ShapeSeries) -> Self {
        Self {
            graph_version: h.graph_version,
            filters: h.filters.clone(),
            distinct_graphs: h.distinct_graphs,
            steps: h
                .steps
                .iter()
                .map(|s| ShapeStep {
                    year: s.year,
                    nodes: s.nodes,
                    edges: s.edges,
                    density: s.density,
                    components: s.components,
                    largest_component: s.largest_component,
                    average_clustering: s.average_clustering,
                    transitivity: s.transitivity,
                    degree_assortativity: s.degree_assortativity,
                    same_graph_as: s.same_graph_as,
                })
                .collect(),
        }
    }
}

/// A number for a CSV cell: empty when absent.
pub(super) fn cell<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Rows of CSV with a header.
pub(super) fn csv_of(
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(header).map_err(|e| internal(&e))?;
    for row in rows {
        out.write_record(&row).map_err(|e| internal(&e))?;
    }
    out.into_inner().map_err(|e| internal(&e.into_error()))
}

/// A series as the `format` asks: JSON, or CSV rows with the version headers.
pub(super) fn series<T: Serialize>(
    format: SeriesFormat,
    version: u64,
    json: &T,
    csv: impl FnOnce() -> Result<Vec<u8>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    Ok(match format {
        SeriesFormat::Json => version::json(StatusCode::OK, version, json),
        SeriesFormat::Csv => version::versioned(HttpResponse::Ok(), version)
            .content_type("text/csv; charset=utf-8")
            .body(csv()?),
    })
}

fn node_history_csv(h: &NodeHistory) -> Result<Vec<u8>, ApiError> {
    csv_of(
        &[
            "year",
            "value",
            "rank",
            "nodes_in_graph",
            "edges",
            "undefined",
            "same_graph_as",
        ],
        h.steps.iter().map(|s| {
            vec![
                s.year.to_string(),
                cell(s.value),
                cell(s.rank),
                s.nodes_in_graph.to_string(),
                s.edges.to_string(),
                s.undefined.clone().unwrap_or_default(),
                cell(s.same_graph_as),
            ]
        }),
    )
}

fn ranking_history_csv(h: &RankingHistory) -> Result<Vec<u8>, ApiError> {
    csv_of(
        &[
            "year",
            "rank",
            "id",
            "name",
            "value",
            "nodes_in_graph",
            "edges",
        ],
        h.steps.iter().flat_map(|s| {
            s.items.iter().map(move |r| {
                vec![
                    s.year.to_string(),
                    r.rank.to_string(),
                    r.node.id.clone(),
                    r.node.name.clone(),
                    r.value.to_string(),
                    s.nodes_in_graph.to_string(),
                    s.edges.to_string(),
                ]
            })
        }),
    )
}

/// The CSV columns of the network's shape in a step or a year, in order.
pub(super) const SHAPE_COLUMNS: [&str; 8] = [
    "nodes",
    "edges",
    "density",
    "components",
    "largest_component",
    "average_clustering",
    "transitivity",
    "degree_assortativity",
];

fn shape_series_csv(h: &ShapeSeries) -> Result<Vec<u8>, ApiError> {
    let mut header = vec!["year"];
    header.extend(SHAPE_COLUMNS);
    header.push("same_graph_as");
    csv_of(
        &header,
        h.steps.iter().map(|s| {
            vec![
                s.year.to_string(),
                s.nodes.to_string(),
                s.edges.to_string(),
                s.density.to_string(),
                s.components.to_string(),
                s.largest_component.to_string(),
                s.average_clustering.to_string(),
                s.transitivity.to_string(),
                cell(s.degree_assortativity),
                cell(s.same_graph_as),
            ]
        }),
    )
}

/// A node's centrality through time
///
/// The node's value and rank by `measure` as the network stood at the end of each
/// year `from`, `from + step`, … `to`, each computed on that year's as-of graph under
/// the filters (equal to NetworkX on that graph). A step whose graph is the same as an
/// earlier one's says so (`same_graph_as`) and reuses its result; `as_of` does not
/// apply (each step is its own cut). Cached per graph version.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/centrality/history", tag = "graph",
    params(("id" = String, Path, description = "Node id", example = "city:ru:blagoveshchensk"), NodeHistoryParams),
    responses(
        (status = 200, description = "The history", content(
            (NodeHistory = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A bad parameter: a year outside 1–9999, `step` 0", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`as_of` given (each step is its own cut); `to` before `from` (given, or the first year a link was signed); more than 200 steps; no dated link to start from without `from`; `k` for a measure that is not sampled; or the computation ran past its budget", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_node_history(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<NodeHistoryParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let params = params.0;
    let measure = params.measure.unwrap_or(Measure::Pagerank);
    let query = HistoryQuery {
        filter: params.filter()?,
        steps: Steps {
            from: params.from,
            to: params.to,
            step: params.step,
        },
        k: params.k,
        seed: params.seed,
        top: None,
        kind: None,
    };
    let history = super::heavy(service, move |svc| {
        Ok(NodeHistory::from(
            &*svc.node_centrality_history(&id, measure, &query)?,
        ))
    })
    .await?;
    series(
        params.format.unwrap_or_default(),
        history.graph_version,
        &history,
        || node_history_csv(&history),
    )
}

/// Who rose, who fell: a ranking through time
///
/// The first `top` nodes by `measure` as the network stood at the end of each year
/// `from`, `from + step`, … `to`, each on that year's as-of graph, with the ids that
/// entered and left the list since the step before. `as_of` does not apply.
#[utoipa::path(get, path = "/api/v1/centrality/{measure}/history", tag = "graph",
    params(("measure" = Measure, Path, description = "The measure"), RankingHistoryParams),
    responses(
        (status = 200, description = "The history", content(
            (RankingHistory = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A bad parameter: a year outside 1–9999, `step` 0, `top` outside 1–100", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such measure", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`as_of` given (each step is its own cut); `to` before `from` (given, or the first year a link was signed); more than 200 steps; no dated link to start from without `from`; `k` for a measure that is not sampled; or the computation ran past its budget", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_ranking_history(
    service: web::Data<Service>,
    measure: web::Path<String>,
    params: ValidQuery<RankingHistoryParams>,
) -> Result<HttpResponse, ApiError> {
    let measure = super::centrality::measure_named(&measure)?;
    let params = params.0;
    let query = HistoryQuery {
        filter: params.filter()?,
        steps: Steps {
            from: params.from,
            to: params.to,
            step: params.step,
        },
        k: params.k,
        seed: params.seed,
        top: params.top,
        kind: params.kind,
    };
    let history = super::heavy(service, move |svc| {
        Ok(RankingHistory::from(
            &*svc.ranking_history(measure, &query)?,
        ))
    })
    .await?;
    series(
        params.format.unwrap_or_default(),
        history.graph_version,
        &history,
        || ranking_history_csv(&history),
    )
}

/// The network's shape through time
///
/// Nodes, edges, density, components, the largest component, average clustering,
/// transitivity and degree assortativity as the network stood at the end of each year
/// `from`, `from + step`, … `to`, each equal to its NetworkX function on that year's
/// as-of graph. `as_of` does not apply.
#[utoipa::path(get, path = "/api/v1/timeline/series", tag = "graph",
    params(ShapeSeriesParams),
    responses(
        (status = 200, description = "The series", content(
            (ShapeSeries = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A bad parameter: a year outside 1–9999, `step` 0", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`as_of` given (each step is its own cut); `to` before `from` (given, or the first year a link was signed); more than 200 steps; no dated link to start from without `from`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_shape_series(
    service: web::Data<Service>,
    params: ValidQuery<ShapeSeriesParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let query = HistoryQuery {
        filter: params.filter()?,
        steps: Steps {
            from: params.from,
            to: params.to,
            step: params.step,
        },
        ..HistoryQuery::default()
    };
    let history = super::heavy(service, move |svc| {
        Ok(ShapeSeries::from(&*svc.shape_series(&query)?))
    })
    .await?;
    series(
        params.format.unwrap_or_default(),
        history.graph_version,
        &history,
        || shape_series_csv(&history),
    )
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/centrality/{measure}/history",
        super::get().to(get_ranking_history),
    )
    .route(
        "/nodes/{id}/centrality/history",
        super::get().to(get_node_history),
    )
    .route("/timeline/series", super::get().to(get_shape_series));
}
