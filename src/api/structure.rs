//! `/api/v1/components`, `/communities`, `/stats` and `/timeline`: the shape of the network.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::ValidQuery;
use super::filters::{graph_params, next_offset, offset};
use super::page::DEFAULT_LIMIT;
use super::problem::{ApiError, Problem, ProblemCode};
use crate::graph::algo::{components, stats};
use crate::graph::filter::Filter;
use crate::graph::NodeIx;
use crate::model::PartialDate;
use crate::service::analysis::{link_counts, node_counts, signed_per_year, Filters, Scope};
use crate::service::{Service, ServiceError};

/// Most member ids listed per group.
pub const MAX_MEMBERS: usize = 10_000;

graph_params! {
    /// Paging of groups (components, communities).
    pub struct GroupParams {
        /// Groups per page, 1–1000 (default 50).
        pub limit: Option<usize>,
        /// `next_cursor` of the previous page.
        pub cursor: Option<String>,
        /// Member ids listed per group, 0–10000 (default 100).
        pub members: Option<usize>,
        /// Louvain resolution (default 1).
        pub resolution: Option<f64>,
        /// Louvain seed (default 0).
        pub seed: Option<u64>,
    }
}

graph_params! {
    /// Options of the statistics.
    pub struct StatsParams {
        /// Also compute diameter and average shortest path length of the largest
        /// component (one BFS per node of it; default true).
        pub distances: Option<bool>,
    }
}

graph_params! {
    /// Options of the timeline.
    pub struct TimelineParams {
        /// Also give the network's statistics as of the end of each year (default false).
        pub stats: Option<bool>,
    }
}

/// A group of nodes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    /// Index, largest group first.
    pub index: usize,
    /// Number of nodes.
    pub size: usize,
    /// Member ids (up to `members`), in id order.
    pub members: Vec<String>,
}

/// Groups of the filtered graph.
#[derive(Debug, Serialize, ToSchema)]
pub struct Groups {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// Number of groups.
    pub count: usize,
    /// Modularity of the partition (communities only).
    pub modularity: Option<f64>,
    /// The method (communities only).
    pub method: Option<String>,
    /// This page of groups, largest first.
    pub items: Vec<Group>,
    /// Page size.
    pub limit: usize,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// Statistics of the filtered graph.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// Nodes in the graph.
    pub nodes: usize,
    /// Distinct adjacent node pairs (edges of the simple graph).
    pub edges: usize,
    /// Nodes by kind.
    pub nodes_by_kind: BTreeMap<&'static str, usize>,
    /// Admitted links by kind (a trilateral link counts once).
    pub links_by_kind: BTreeMap<&'static str, usize>,
    /// `networkx.density`.
    pub density: f64,
    /// `networkx.average_clustering`.
    pub average_clustering: f64,
    /// `networkx.transitivity`.
    pub transitivity: f64,
    /// `networkx.degree_assortativity_coefficient`; null when undefined.
    pub degree_assortativity: Option<f64>,
    /// `networkx.degree_histogram`: nodes per degree.
    pub degree_histogram: Vec<usize>,
    /// Number of connected components.
    pub components: usize,
    /// Nodes of the largest component.
    pub largest_component: usize,
    /// Diameter of the largest component.
    pub diameter: Option<usize>,
    /// Average shortest path length within the largest component.
    pub average_shortest_path_length: Option<f64>,
}

/// One year of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct Year {
    /// The year.
    pub year: u16,
    /// Links signed that year, by kind.
    pub signed: BTreeMap<&'static str, usize>,
    /// The network's statistics as of the end of that year (with `stats=true`).
    pub stats: Option<Stats>,
}

/// How the network grew.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters (without the date cut).
    pub filters: Filters,
    /// Years with signed links, in order.
    pub years: Vec<Year>,
    /// Links without a `signed` date, by kind.
    pub undated: BTreeMap<&'static str, usize>,
}

fn groups_of(
    scope: &Scope,
    labels: &[u32],
    count: usize,
    params: &GroupParams,
) -> Result<(Vec<Group>, usize, Option<String>), ApiError> {
    let limit = super::page::limit(params.limit.or(Some(DEFAULT_LIMIT)))?;
    let member_cap = params.members.unwrap_or(100);
    if member_cap > MAX_MEMBERS {
        return Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!("members: at most {MAX_MEMBERS}"),
            Some("members".into()),
        ));
    }
    let mut members: Vec<Vec<NodeIx>> = vec![Vec::new(); count];
    for v in scope.view.nodes() {
        members[labels[v as usize] as usize].push(v);
    }
    members.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then_with(|| first_id(scope, a).cmp(&first_id(scope, b)))
    });
    let start = offset(params.cursor.as_deref())?;
    let items: Vec<Group> = members
        .iter()
        .enumerate()
        .skip(start)
        .take(limit)
        .map(|(index, nodes)| {
            let mut ids: Vec<String> = nodes
                .iter()
                .map(|v| scope.graph.node_id(*v).to_string())
                .collect();
            ids.sort();
            ids.truncate(member_cap);
            Group {
                index,
                size: nodes.len(),
                members: ids,
            }
        })
        .collect();
    let next = next_offset(start, items.len(), members.len());
    Ok((items, limit, next))
}

fn first_id<'a>(scope: &'a Scope, nodes: &[NodeIx]) -> Option<&'a str> {
    nodes.iter().map(|v| scope.graph.node_id(*v)).min()
}

fn components_answer(service: &Service, params: &GroupParams) -> Result<Groups, ApiError> {
    let filter = params.filter()?;
    let scope = service.scope(&filter);
    let (labels, sizes) = components::components(&scope.view);
    let (items, limit, next_cursor) = groups_of(&scope, &labels, sizes.len(), params)?;
    Ok(Groups {
        graph_version: scope.graph.version(),
        filters: (&filter).into(),
        count: sizes.len(),
        modularity: None,
        method: None,
        items,
        limit,
        next_cursor,
    })
}

fn communities_answer(service: &Service, params: &GroupParams) -> Result<Groups, ApiError> {
    let filter = params.filter()?;
    let resolution = params.resolution.unwrap_or(1.0);
    if !(resolution.is_finite() && resolution > 0.0) {
        return Err(ApiError::new(
            ProblemCode::InvalidQuery,
            "resolution: must be a positive number",
            Some("resolution".into()),
        ));
    }
    let seed = params.seed.unwrap_or(0);
    let scope = service.scope(&filter);
    let result = service.communities(&scope, resolution, seed, &service.budget())?;
    let (labels, modularity) = (&result.0, result.1);
    let count = scope
        .view
        .nodes()
        .map(|v| labels[v as usize] as usize + 1)
        .max()
        .unwrap_or(0);
    let (items, limit, next_cursor) = groups_of(&scope, labels, count, params)?;
    Ok(Groups {
        graph_version: scope.graph.version(),
        filters: (&filter).into(),
        count,
        modularity: Some(modularity),
        method: Some(format!("louvain (resolution {resolution}, seed {seed})")),
        items,
        limit,
        next_cursor,
    })
}

fn stats_of(service: &Service, filter: &Filter, distances: bool) -> Result<Stats, ServiceError> {
    let scope = service.scope(filter);
    let view = &scope.view;
    let triangles = stats::triangles(view);
    let clustering = stats::clustering(view, &triangles);
    let (_, sizes) = components::components(view);
    let far = if distances {
        stats::largest_component_distances(view, &service.budget())?
    } else {
        None
    };
    Ok(Stats {
        graph_version: scope.graph.version(),
        filters: filter.into(),
        nodes: view.node_count(),
        edges: view.edge_count(),
        nodes_by_kind: node_counts(&scope.graph, view),
        links_by_kind: link_counts(&scope.graph, filter),
        density: stats::density(view),
        average_clustering: stats::average_clustering(view, &clustering),
        transitivity: stats::transitivity(view, &triangles),
        degree_assortativity: stats::degree_assortativity(view),
        degree_histogram: stats::degree_histogram(view),
        components: sizes.len(),
        largest_component: sizes.iter().copied().max().unwrap_or(0),
        diameter: far.map(|(_, d, _)| d),
        average_shortest_path_length: far.map(|(_, _, a)| a),
    })
}

fn timeline_answer(service: &Service, params: &TimelineParams) -> Result<Timeline, ApiError> {
    let filter = Filter {
        as_of: None,
        ..params.filter()?
    };
    let graph = service.snapshot();
    let (years, undated) = signed_per_year(&graph, &filter);
    let with_stats = params.stats.unwrap_or(false);
    let years = years
        .into_iter()
        .map(|(year, signed)| {
            let stats = if with_stats {
                let cut = PartialDate::new(year, None, None)
                    .map_err(|e| ApiError::new(ProblemCode::Internal, e, None))?;
                Some(stats_of(
                    service,
                    &Filter {
                        as_of: Some(cut),
                        ..filter.clone()
                    },
                    false,
                )?)
            } else {
                None
            };
            Ok(Year {
                year,
                signed,
                stats,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Timeline {
        graph_version: graph.version(),
        filters: (&filter).into(),
        years,
        undated,
    })
}

/// Connected components
///
/// The connected components of the filtered graph, largest first, with their members.
/// The partition equals `networkx.connected_components`.
#[utoipa::path(get, path = "/api/v1/components", tag = "graph", params(GroupParams),
    responses(
        (status = 200, description = "The components", body = Groups),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_components(
    service: web::Data<Service>,
    params: ValidQuery<GroupParams>,
) -> Result<HttpResponse, ApiError> {
    super::answer(service, move |svc| components_answer(svc, &params.0)).await
}

/// Communities
///
/// Louvain communities of the filtered graph (seeded, reproducible) with the
/// partition's modularity, largest first. Modularity equals
/// `networkx.community.modularity` of the same partition.
#[utoipa::path(get, path = "/api/v1/communities", tag = "graph", params(GroupParams),
    responses(
        (status = 200, description = "The communities", body = Groups),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The computation ran past its budget", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_communities(
    service: web::Data<Service>,
    params: ValidQuery<GroupParams>,
) -> Result<HttpResponse, ApiError> {
    super::answer_heavy(service, move |svc| communities_answer(svc, &params.0)).await
}

/// Network statistics
///
/// Counts by kind, density, average clustering, transitivity, degree histogram,
/// degree assortativity, components, and the diameter and average shortest path
/// length of the largest component — each equal to its NetworkX function.
#[utoipa::path(get, path = "/api/v1/stats", tag = "graph", params(StatsParams),
    responses(
        (status = 200, description = "The statistics", body = Stats),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The distances ran past their budget: ask with distances=false", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_stats(
    service: web::Data<Service>,
    params: ValidQuery<StatsParams>,
) -> Result<HttpResponse, ApiError> {
    super::answer_heavy(service, move |svc| {
        let params = params.0;
        Ok(stats_of(
            svc,
            &params.filter()?,
            params.distances.unwrap_or(true),
        )?)
    })
    .await
}

/// Timeline
///
/// Links signed per year by kind (and undated ones), and with `stats=true` the
/// network's statistics as of the end of each year, to watch the network grow.
#[utoipa::path(get, path = "/api/v1/timeline", tag = "graph", params(TimelineParams),
    responses(
        (status = 200, description = "The timeline", body = Timeline),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_timeline(
    service: web::Data<Service>,
    params: ValidQuery<TimelineParams>,
) -> Result<HttpResponse, ApiError> {
    super::answer(service, move |svc| timeline_answer(svc, &params.0)).await
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/components", web::get().to(get_components))
        .route("/communities", web::get().to(get_communities))
        .route("/stats", web::get().to(get_stats))
        .route("/timeline", web::get().to(get_timeline));
}
