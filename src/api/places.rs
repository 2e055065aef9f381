//! `/api/v1/places`: the network's located nodes, for a map.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::ValidQuery;
use super::filters::{cursor_at, graph_params, offset};
use super::problem::{ApiError, Problem};
use super::Versioned;
use crate::model::NodeKind;
use crate::service::analysis::Filters;
use crate::service::map::MapPlaces;
use crate::service::Service;

/// Places when no `limit` is given.
const DEFAULT_PLACES: usize = 1000;
/// Most places on one page: a map of the world network (17,232 cities) in one request.
const MAX_PLACES: usize = 20_000;

graph_params! {
    /// Filters and paging of the places.
    pub struct PlacesParams {
        /// Page size, 1–20000 (default 1000).
        #[param(minimum = 1, maximum = 20000)]
        pub limit: Option<usize>,
        /// `next_cursor` of the previous page.
        pub cursor: Option<String>,
    }
}

/// A page of places.
#[derive(Debug, Serialize, ToSchema)]
pub struct Places {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// Places in the whole list (every page).
    pub total: usize,
    /// This page, most linked first (ties by node id).
    pub items: Vec<Place>,
    /// Page size.
    pub limit: usize,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A located node with at least one link under the filters.
#[derive(Debug, Serialize, ToSchema)]
pub struct Place {
    /// Node id.
    pub id: String,
    /// Primary name.
    pub name: String,
    /// Kind.
    pub kind: NodeKind,
    /// Country code.
    pub country: Option<String>,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Neighbours under the filters (at least 1).
    pub degree: usize,
}

impl From<MapPlaces> for Places {
    fn from(answer: MapPlaces) -> Self {
        Self {
            graph_version: answer.graph_version,
            filters: answer.filters,
            total: answer.total,
            next_cursor: cursor_at(answer.next_offset),
            items: answer
                .items
                .into_iter()
                .map(|(node, at, degree)| Place {
                    id: node.id,
                    name: node.name,
                    kind: node.kind,
                    country: node.country,
                    lat: at.lat,
                    lon: at.lon,
                    degree,
                })
                .collect(),
            limit: answer.limit,
        }
    }
}

impl Versioned for Places {
    fn graph_version(&self) -> u64 {
        self.graph_version
    }

    fn json_size_hint(&self) -> usize {
        // A place is ~110 bytes of JSON.
        self.items.len() * 112 + 1024
    }
}

/// The network's places, for a map
///
/// Every located node with at least one link under the filters, most linked first,
/// with its coordinates and degree: what a map of the network draws, at any date or
/// cut, without the whole-network layout (`/api/v1/layout`). Nodes without a location,
/// and nodes with no link under the filters (at an `as_of` before their first
/// agreement, say), are not listed.
#[utoipa::path(get, path = "/api/v1/places", tag = "graph", params(PlacesParams),
    responses(
        (status = 200, description = "A page of places", body = Places),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The computation ran past its budget", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_places(
    service: web::Data<Service>,
    params: ValidQuery<PlacesParams>,
) -> Result<HttpResponse, ApiError> {
    let filter = params.0.filter()?;
    let limit = super::page::limit_within(params.0.limit, DEFAULT_PLACES, MAX_PLACES)?;
    let start = offset(params.0.cursor.as_deref())?;
    super::answer(service, move |svc| {
        Ok(Places::from(svc.map_places(&filter, start, limit)?))
    })
    .await
}

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/places", super::get().to(get_places));
}
