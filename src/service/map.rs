//! The network as a map draws it: the located nodes of a filtered view that have at
//! least one link in it, most linked first, with their coordinates and degree — the
//! places alone, without the whole-network layout's positions, edges and communities
//! (a map at another year or cut then costs no ForceAtlas2 run).

use super::analysis::{Filters, NodeRef};
use super::{Service, ServiceError};
use crate::graph::filter::Filter;
use crate::graph::NodeIx;
use crate::model::Location;

/// One page of the places of a view.
#[derive(Debug, Clone)]
pub struct MapPlaces {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// Places in the whole list (every page).
    pub total: usize,
    /// This page, most linked first (ties by node id): each node, where it is, and its
    /// neighbours in the view (at least 1).
    pub items: Vec<(NodeRef, Location, usize)>,
    /// The page size used.
    pub limit: usize,
    /// Where the next page starts; `None` on the last page.
    pub next_offset: Option<usize>,
}

impl Service {
    /// The places of the view under `filter`, `limit` of them from `offset` (see the
    /// module documentation). The order is computed once per graph version and filter.
    pub fn map_places(
        &self,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Result<MapPlaces, ServiceError> {
        let scope = self.scope(filter);
        // Which nodes are located comes from the spatial index, which follows writes
        // (the records are read once, not at every version).
        let order = self.with_places(|places| {
            self.cached(&scope, "map|places".into(), || {
                let view = &scope.view;
                let mut placed: Vec<(usize, &str, NodeIx)> = view
                    .nodes()
                    .map(|v| (view.degree(v), scope.graph.node_id(v), v))
                    .filter(|&(degree, id, _)| degree > 0 && places.location_of(id).is_some())
                    .collect();
                placed.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
                Ok(placed
                    .into_iter()
                    .map(|(_, _, v)| v)
                    .collect::<Vec<NodeIx>>())
            })
        })??;
        let start = offset.min(order.len());
        let end = start.saturating_add(limit).min(order.len());
        let page = &order[start..end];
        let records = self.node_refs(&scope.graph, page)?;
        let items = page
            .iter()
            .zip(records)
            .filter_map(|(&v, record)| {
                let at = record.location?;
                Some((record, at, scope.view.degree(v)))
            })
            .collect();
        Ok(MapPlaces {
            graph_version: scope.graph.version(),
            filters: filter.into(),
            total: order.len(),
            items,
            limit,
            next_offset: (end < order.len()).then_some(end),
        })
    }
}
