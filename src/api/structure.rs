//! `/api/v1/components`, `/communities`, `/stats` and `/timeline`: the shape of the network.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::ValidQuery;
use super::filters::{cursor_at, graph_params, offset};
use super::page::DEFAULT_LIMIT;
use super::problem::{ApiError, Problem};
use crate::service::analysis::Filters;
use crate::service::structure::{self, GroupQuery};
use crate::service::Service;

graph_params! {
    /// Paging of components.
    pub struct ComponentParams {
        /// Groups per page, 1–1000 (default 50).
        #[param(minimum = 1, maximum = 1000)]
        pub limit: Option<usize>,
        /// `next_cursor` of the previous page.
        pub cursor: Option<String>,
        /// Member ids listed per group, 0–10000 (default 100).
        #[param(maximum = 10000)]
        pub members: Option<usize>,
    }
}

graph_params! {
    /// Paging of communities, and the Louvain options.
    pub struct GroupParams {
        /// Groups per page, 1–1000 (default 50).
        #[param(minimum = 1, maximum = 1000)]
        pub limit: Option<usize>,
        /// `next_cursor` of the previous page.
        pub cursor: Option<String>,
        /// Member ids listed per group, 0–10000 (default 100).
        #[param(maximum = 10000)]
        pub members: Option<usize>,
        /// Louvain resolution, greater than 0 (default 1).
        #[param(exclusive_minimum = 0)]
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
        /// `json` (default) or `csv`: one row per year, `year,signed` and a
        /// `signed_<kind>` column per link kind, then with `stats=true` the statistics
        /// (`nodes,edges,density,components,largest_component,average_clustering,transitivity,degree_assortativity`).
        /// Undated links are not a year: they are in the JSON only.
        pub format: Option<super::trends::SeriesFormat>,
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
    /// Great-circle lengths of the linked pairs whose two nodes are located.
    pub link_lengths: LinkLengths,
}

/// The great-circle lengths of a graph's links: one per linked pair whose two nodes are
/// located.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkLengths {
    /// Linked pairs with both nodes located.
    pub pairs: usize,
    /// Linked pairs with a node that has no location.
    pub unlocated: usize,
    /// Mean length, km (null without located pairs).
    pub mean_km: Option<f64>,
    /// Percentiles, km, interpolated linearly between the sorted lengths (NumPy's
    /// default), and the longest (null without located pairs).
    pub quantiles_km: Option<LengthQuantiles>,
    /// Pairs per bin: `[0, 100)`, `[100, 250)`, `[250, 500)`, `[500, 1000)`,
    /// `[1000, 2000)`, `[2000, 5000)`, `[5000, 10000)` and `[10000, ∞)` km.
    pub histogram: Vec<LengthBin>,
}

/// Percentiles of link lengths, km.
#[derive(Debug, Serialize, ToSchema)]
pub struct LengthQuantiles {
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// The longest.
    pub max: f64,
}

/// One bin of the link-length histogram.
#[derive(Debug, Serialize, ToSchema)]
pub struct LengthBin {
    /// Lower bound, km (included).
    pub from_km: f64,
    /// Upper bound, km (excluded); null for the last, open bin.
    pub to_km: Option<f64>,
    /// Pairs in the bin.
    pub pairs: usize,
}

impl From<crate::service::places::LinkLengths> for LinkLengths {
    fn from(l: crate::service::places::LinkLengths) -> Self {
        Self {
            pairs: l.pairs,
            unlocated: l.unlocated,
            mean_km: l.mean_km,
            quantiles_km: l.quantiles_km.map(|q| LengthQuantiles {
                p10: q.p10,
                p25: q.p25,
                p50: q.p50,
                p75: q.p75,
                p90: q.p90,
                max: q.max,
            }),
            histogram: l
                .histogram
                .into_iter()
                .map(|b| LengthBin {
                    from_km: b.from_km,
                    to_km: b.to_km,
                    pairs: b.pairs,
                })
                .collect(),
        }
    }
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

/// The paging both group lists take.
fn group_query(
    limit: Option<usize>,
    cursor: Option<&str>,
    members: Option<usize>,
    filter: crate::service::filters::Filter,
) -> Result<GroupQuery, ApiError> {
    Ok(GroupQuery {
        limit: super::page::limit(limit.or(Some(DEFAULT_LIMIT)))?,
        filter,
        start: offset(cursor)?,
        members,
    })
}

impl ComponentParams {
    fn query(&self) -> Result<GroupQuery, ApiError> {
        group_query(
            self.limit,
            self.cursor.as_deref(),
            self.members,
            self.filter()?,
        )
    }
}

impl GroupParams {
    fn query(&self) -> Result<GroupQuery, ApiError> {
        group_query(
            self.limit,
            self.cursor.as_deref(),
            self.members,
            self.filter()?,
        )
    }
}

impl Groups {
    fn of(answer: structure::Groups, limit: usize) -> Self {
        Self {
            graph_version: answer.graph_version,
            filters: answer.filters,
            count: answer.count,
            modularity: answer.modularity,
            method: answer.method,
            items: answer
                .items
                .into_iter()
                .map(|g| Group {
                    index: g.index,
                    size: g.size,
                    members: g.members,
                })
                .collect(),
            limit,
            next_cursor: cursor_at(answer.next_start),
        }
    }
}

impl From<structure::Stats> for Stats {
    fn from(s: structure::Stats) -> Self {
        Self {
            graph_version: s.graph_version,
            filters: s.filters,
            nodes: s.nodes,
            edges: s.edges,
            nodes_by_kind: s.nodes_by_kind,
            links_by_kind: s.links_by_kind,
            density: s.density,
            average_clustering: s.average_clustering,
            transitivity: s.transitivity,
            degree_assortativity: s.degree_assortativity,
            degree_histogram: s.degree_histogram,
            components: s.components,
            largest_component: s.largest_component,
            diameter: s.diameter,
            average_shortest_path_length: s.average_shortest_path_length,
            link_lengths: s.link_lengths.into(),
        }
    }
}

impl From<structure::Timeline> for Timeline {
    fn from(t: structure::Timeline) -> Self {
        Self {
            graph_version: t.graph_version,
            filters: t.filters,
            years: t
                .years
                .into_iter()
                .map(|y| Year {
                    year: y.year,
                    signed: y.signed,
                    stats: y.stats.map(Stats::from),
                })
                .collect(),
            undated: t.undated,
        }
    }
}

/// Connected components
///
/// The connected components of the filtered graph, largest first, with their members.
/// The partition equals `networkx.connected_components`.
#[utoipa::path(get, path = "/api/v1/components", tag = "graph", params(ComponentParams),
    responses(
        (status = 200, description = "The components", body = Groups),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_components(
    service: web::Data<Service>,
    params: ValidQuery<ComponentParams>,
) -> Result<HttpResponse, ApiError> {
    let query = params.0.query()?;
    super::answer(service, move |svc| {
        Ok(Groups::of(svc.components(&query)?, query.limit))
    })
    .await
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
    let query = params.0.query()?;
    let (resolution, seed) = (params.0.resolution, params.0.seed);
    super::answer_heavy(service, move |svc| {
        let answer = svc.community_groups(&query, resolution, seed)?;
        Ok(Groups::of(answer, query.limit))
    })
    .await
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
    let filter = params.0.filter()?;
    let distances = params.0.distances.unwrap_or(true);
    super::answer_heavy(service, move |svc| {
        Ok(Stats::from(svc.stats(&filter, distances)?))
    })
    .await
}

/// Timeline
///
/// Links signed per year by kind (and undated ones), and with `stats=true` the
/// network's statistics as of the end of each year, to watch the network grow.
#[utoipa::path(get, path = "/api/v1/timeline", tag = "graph", params(TimelineParams),
    responses(
        (status = 200, description = "The timeline", content(
            (Timeline = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_timeline(
    service: web::Data<Service>,
    params: ValidQuery<TimelineParams>,
) -> Result<HttpResponse, ApiError> {
    let filter = params.0.filter()?;
    let with_stats = params.0.stats.unwrap_or(false);
    let format = params.0.format.unwrap_or_default();
    let timeline = super::blocking(&service, move |svc| svc.timeline(&filter, with_stats)).await?;
    let timeline = Timeline::from(timeline);
    super::trends::series(format, timeline.graph_version, &timeline, || {
        timeline_csv(&timeline)
    })
}

/// The timeline as CSV rows, one per year.
fn timeline_csv(timeline: &Timeline) -> Result<Vec<u8>, ApiError> {
    let kinds: Vec<&str> = crate::model::LinkKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let with_stats = timeline.years.iter().any(|y| y.stats.is_some());
    let mut header: Vec<String> = vec!["year".into(), "signed".into()];
    header.extend(kinds.iter().map(|k| format!("signed_{k}")));
    if with_stats {
        header.extend(super::trends::SHAPE_COLUMNS.map(String::from));
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    super::trends::csv_of(
        &header,
        timeline.years.iter().map(|y| {
            let mut row = vec![
                y.year.to_string(),
                y.signed.values().sum::<usize>().to_string(),
            ];
            row.extend(
                kinds
                    .iter()
                    .map(|k| y.signed.get(k).copied().unwrap_or(0).to_string()),
            );
            if let Some(s) = &y.stats {
                row.extend([
                    s.nodes.to_string(),
                    s.edges.to_string(),
                    s.density.to_string(),
                    s.components.to_string(),
                    s.largest_component.to_string(),
                    s.average_clustering.to_string(),
                    s.transitivity.to_string(),
                    super::trends::cell(s.degree_assortativity),
                ]);
            }
            row
        }),
    )
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/components", super::get().to(get_components))
        .route("/communities", super::get().to(get_communities))
        .route("/stats", super::get().to(get_stats))
        .route("/timeline", super::get().to(get_timeline));
}
