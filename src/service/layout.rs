//! The whole network as a picture: every node of a filtered view with a ForceAtlas2
//! position ([`crate::graph::algo::layout`]), its place, community and degree, and the
//! view's edges — what a whole-network view and its map draw. Positions and communities
//! are computed once per graph version and filter (the query cache); cities start from
//! their longitude and latitude, so the picture keeps a memory of the map.
//!
//! At a date (`as_of`), nodes keep the positions of the same filter without the date:
//! pictures of different years line up, a year's links appear between cities that stay
//! where they are (as in Gephi's timeline), and a new year costs no layout run.

use serde::Serialize;

use super::analysis::Filters;
use super::{Service, ServiceError};
use crate::graph::algo::layout::{force_atlas2, ROUNDS};
use crate::graph::filter::Filter;
use crate::graph::NodeIx;
use crate::model::NodeKind;

/// Louvain resolution and seed of the communities a layout colours by (the
/// `/communities` defaults, so the two answers agree).
const COMMUNITY_RESOLUTION: f64 = 1.0;
const COMMUNITY_SEED: u64 = 0;

/// The laid-out network.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkLayout {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// Rounds of ForceAtlas2 run.
    pub rounds: usize,
    /// Modularity of the communities.
    pub modularity: f64,
    /// Every node of the view, in index order.
    pub nodes: Vec<PlacedNode>,
    /// The view's edges, each as two positions in `nodes` (lower first).
    pub edges: Vec<[u32; 2]>,
}

/// One node of a layout.
#[derive(Debug, Clone, Serialize)]
pub struct PlacedNode {
    /// Node id.
    pub id: String,
    /// Primary name.
    pub name: String,
    /// Kind.
    pub kind: NodeKind,
    /// Country code.
    pub country: Option<String>,
    /// Latitude, where the node is located.
    pub lat: Option<f64>,
    /// Longitude, where the node is located.
    pub lon: Option<f64>,
    /// Position across.
    pub x: f32,
    /// Position down.
    pub y: f32,
    /// Neighbours in the view.
    pub degree: usize,
    /// Its Louvain community (resolution 1, seed 0): the index of its group in
    /// `/api/v1/communities`, 0 the largest.
    pub community: u32,
}

impl Service {
    /// Lays out the network under `filter` (see the module documentation).
    pub fn network_layout(&self, filter: &Filter) -> Result<NetworkLayout, ServiceError> {
        let scope = self.scope(filter);
        let view = &scope.view;
        let nodes: Vec<NodeIx> = view.nodes().collect();
        let records = self.node_refs(&scope.graph, &nodes)?;
        let mut start = vec![(0.0f32, 0.0f32); view.node_bound()];
        for (&v, record) in nodes.iter().zip(&records) {
            if let Some(at) = &record.location {
                start[v as usize] = (at.lon as f32, -(at.lat as f32));
            }
        }
        let budget = self.budget();
        let timeless = Filter {
            as_of: None,
            include_undated: true,
            ..filter.clone()
        };
        let placed = if timeless == *filter {
            None
        } else {
            Some(self.scope(&timeless))
        };
        // Both views hold the same nodes (a filter admits nodes by kind alone), so the
        // starting places above are the undated view's too.
        let laid_out = placed.as_ref().unwrap_or(&scope);
        let positions = self.cached(laid_out, format!("layout|fa2|{ROUNDS}"), || {
            force_atlas2(&laid_out.view, |v| start[v as usize], ROUNDS, &budget)
        })?;
        let communities =
            self.communities(&scope, COMMUNITY_RESOLUTION, COMMUNITY_SEED, &budget)?;
        let (labels, modularity) = (&communities.0, communities.1);
        let count = nodes
            .iter()
            .map(|&v| labels[v as usize] as usize + 1)
            .max()
            .unwrap_or(0);
        let mut community = vec![0u32; view.node_bound()];
        for (index, members) in super::structure::largest_first(&scope, labels, count)
            .iter()
            .enumerate()
        {
            for &v in members {
                community[v as usize] = index as u32;
            }
        }
        let mut position = vec![u32::MAX; view.node_bound()];
        for (i, &v) in nodes.iter().enumerate() {
            position[v as usize] = i as u32;
        }
        let mut edges = Vec::with_capacity(view.edge_count());
        for &v in &nodes {
            for &w in view.neighbours(v) {
                if v < w {
                    edges.push([position[v as usize], position[w as usize]]);
                }
            }
        }
        let placed = nodes
            .iter()
            .zip(records)
            .map(|(&v, record)| {
                let (x, y) = positions[v as usize].unwrap_or_default();
                PlacedNode {
                    id: record.id,
                    name: record.name,
                    kind: record.kind,
                    country: record.country,
                    lat: record.location.as_ref().map(|at| at.lat),
                    lon: record.location.as_ref().map(|at| at.lon),
                    x,
                    y,
                    degree: view.degree(v),
                    community: community[v as usize],
                }
            })
            .collect();
        Ok(NetworkLayout {
            graph_version: scope.graph.version(),
            filters: filter.into(),
            rounds: ROUNDS,
            modularity,
            nodes: placed,
            edges,
        })
    }
}
