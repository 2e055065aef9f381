//! The shape of the network: components, communities, statistics and the timeline.

use std::collections::BTreeMap;

use super::analysis::{link_counts, node_counts, signed_per_year, Filters, Scope};
use super::filters::{bad_parameter, Filter};
use super::{Service, ServiceError};
use crate::graph::algo::{components, stats};
use crate::graph::NodeIx;
use crate::model::PartialDate;

/// Most member ids listed per group.
pub const MAX_MEMBERS: usize = 10_000;

/// Which page of groups, and how many member ids each lists.
#[derive(Clone, Debug, Default)]
pub struct GroupQuery {
    /// The graph grouped.
    pub filter: Filter,
    /// Index of the first group returned.
    pub start: usize,
    /// Most groups returned.
    pub limit: usize,
    /// Member ids listed per group, at most [`MAX_MEMBERS`] (default 100).
    pub members: Option<usize>,
}

/// A group of nodes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Group {
    /// Index, largest group first.
    pub index: usize,
    /// Number of nodes.
    pub size: usize,
    /// Member ids (up to the query's `members`), in id order.
    pub members: Vec<String>,
}

/// A page of the groups of the filtered graph.
#[derive(Clone, Debug, serde::Serialize)]
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
    /// Index of the next page's first group, if there is one.
    pub next_start: Option<usize>,
}

/// Statistics of the filtered graph, each equal to its NetworkX function.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stats {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// Nodes in the graph.
    pub nodes: usize,
    /// Distinct adjacent node pairs.
    pub edges: usize,
    /// Nodes by kind.
    pub nodes_by_kind: BTreeMap<&'static str, usize>,
    /// Admitted links by kind.
    pub links_by_kind: BTreeMap<&'static str, usize>,
    /// `networkx.density`.
    pub density: f64,
    /// `networkx.average_clustering`.
    pub average_clustering: f64,
    /// `networkx.transitivity`.
    pub transitivity: f64,
    /// `networkx.degree_assortativity_coefficient`; `None` when undefined.
    pub degree_assortativity: Option<f64>,
    /// `networkx.degree_histogram`.
    pub degree_histogram: Vec<usize>,
    /// Number of connected components.
    pub components: usize,
    /// Nodes of the largest component.
    pub largest_component: usize,
    /// Diameter of the largest component (when distances were asked for).
    pub diameter: Option<usize>,
    /// Average shortest path length within the largest component (likewise).
    pub average_shortest_path_length: Option<f64>,
    /// Great-circle lengths of the linked pairs.
    pub link_lengths: super::places::LinkLengths,
}

/// One year of the timeline.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Year {
    /// The year.
    pub year: u16,
    /// Links signed that year, by kind.
    pub signed: BTreeMap<&'static str, usize>,
    /// The statistics as of the end of that year, when asked for.
    pub stats: Option<Stats>,
}

/// How the network grew.
#[derive(Clone, Debug, serde::Serialize)]
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

/// The page of groups a query asks for, largest group first, ties by smallest id.
/// The members of each of `count` groups (`labels` per node slot), largest group
/// first, ties by smallest member id: the order `/components` and `/communities` list
/// groups in, and that a layout's community numbers follow.
pub(super) fn largest_first(scope: &Scope, labels: &[u32], count: usize) -> Vec<Vec<NodeIx>> {
    let mut members: Vec<Vec<NodeIx>> = vec![Vec::new(); count];
    for v in scope.view.nodes() {
        members[labels[v as usize] as usize].push(v);
    }
    let first_id = |nodes: &[NodeIx]| nodes.iter().map(|v| scope.graph.node_id(*v)).min();
    members.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then_with(|| first_id(a).cmp(&first_id(b)))
    });
    members
}

fn page_of_groups(
    scope: &Scope,
    labels: &[u32],
    count: usize,
    query: &GroupQuery,
) -> Result<(Vec<Group>, Option<usize>), ServiceError> {
    let member_cap = query.members.unwrap_or(100);
    if member_cap > MAX_MEMBERS {
        return Err(bad_parameter("members", format!("at most {MAX_MEMBERS}")));
    }
    let members = largest_first(scope, labels, count);
    let items: Vec<Group> = members
        .iter()
        .enumerate()
        .skip(query.start)
        .take(query.limit)
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
    let next = query.start + items.len();
    Ok((items, (next < members.len()).then_some(next)))
}

impl Service {
    /// The connected components of the filtered graph (`networkx.connected_components`).
    pub fn components(&self, query: &GroupQuery) -> Result<Groups, ServiceError> {
        let scope = self.scope(&query.filter);
        let (labels, sizes) = components::components(&scope.view);
        let (items, next_start) = page_of_groups(&scope, &labels, sizes.len(), query)?;
        Ok(Groups {
            graph_version: scope.graph.version(),
            filters: (&query.filter).into(),
            count: sizes.len(),
            modularity: None,
            method: None,
            items,
            next_start,
        })
    }

    /// Louvain communities of the filtered graph (default resolution 1, seed 0).
    pub fn community_groups(
        &self,
        query: &GroupQuery,
        resolution: Option<f64>,
        seed: Option<u64>,
    ) -> Result<Groups, ServiceError> {
        let resolution = resolution.unwrap_or(1.0);
        if !(resolution.is_finite() && resolution > 0.0) {
            return Err(bad_parameter("resolution", "must be a positive number"));
        }
        let seed = seed.unwrap_or(0);
        let scope = self.scope(&query.filter);
        let result = self.communities(&scope, resolution, seed, &self.budget())?;
        let (labels, modularity) = (&result.0, result.1);
        let count = scope
            .view
            .nodes()
            .map(|v| labels[v as usize] as usize + 1)
            .max()
            .unwrap_or(0);
        let (items, next_start) = page_of_groups(&scope, labels, count, query)?;
        Ok(Groups {
            graph_version: scope.graph.version(),
            filters: (&query.filter).into(),
            count,
            modularity: Some(modularity),
            method: Some(format!("louvain (resolution {resolution}, seed {seed})")),
            items,
            next_start,
        })
    }

    /// Statistics of the filtered graph; with `distances`, the diameter and average
    /// shortest path length of its largest component too.
    pub fn stats(&self, filter: &Filter, distances: bool) -> Result<Stats, ServiceError> {
        let scope = self.scope(filter);
        let view = &scope.view;
        let triangles = stats::triangles(view);
        let clustering = stats::clustering(view, &triangles);
        let (_, sizes) = components::components(view);
        let far = if distances {
            stats::largest_component_distances(view, &self.budget())?
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
            link_lengths: self.link_lengths(&scope)?,
        })
    }

    /// Links signed per year by kind (the filter's date cut is ignored), and with
    /// `with_stats` the statistics as of the end of each year.
    pub fn timeline(&self, filter: &Filter, with_stats: bool) -> Result<Timeline, ServiceError> {
        let filter = Filter {
            as_of: None,
            ..filter.clone()
        };
        let graph = self.snapshot();
        let (years, undated) = signed_per_year(&graph, &filter);
        let years = years
            .into_iter()
            .map(|(year, signed)| {
                let stats = if with_stats {
                    // Years come from stored dates, which are valid by construction.
                    let cut = PartialDate::new(year, None, None).map_err(|e| {
                        crate::store::StoreError::Corrupt {
                            tree: crate::store::trees::LINKS.into(),
                            key: year.to_string(),
                            detail: e.into(),
                        }
                    })?;
                    let as_of = Filter {
                        as_of: Some(cut),
                        ..filter.clone()
                    };
                    Some(self.stats(&as_of, false)?)
                } else {
                    None
                };
                Ok(Year {
                    year,
                    signed,
                    stats,
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        Ok(Timeline {
            graph_version: graph.version(),
            filters: (&filter).into(),
            years,
            undated,
        })
    }
}
