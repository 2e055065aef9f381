//! `/api/v1/nodes/{id}/neighbourhood` and `/neighbours`: ego networks and partners.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{path_id, ValidQuery};
use super::filters::graph_params;
use super::problem::{ApiError, Problem, ProblemCode};
use crate::model::{Link, NodeId};
use crate::service::analysis::{Filters, NodeRef};
use crate::service::neighbourhood::{self, EgoQuery, Written};
use crate::service::rendered::RecordJson;
use crate::service::Service;

graph_params! {
    /// Depth and size of an ego network.
    pub struct NeighbourhoodParams {
        /// Hops from the centre, 1–6 (default 1).
        #[param(minimum = 1, maximum = 6)]
        pub depth: Option<usize>,
        /// Most nodes returned, 1–10000 (default 500); `truncated` says when the cap cut the network short.
        #[param(minimum = 1, maximum = 10000)]
        pub limit: Option<usize>,
        /// `json` (default) or `geojson`: an RFC 7946 FeatureCollection for a map — located
        /// nodes as points (with their distance), links between located members as lines.
        pub format: Option<String>,
        /// Whether to list the links among the nodes (default `true`); `false` answers
        /// with the nodes alone, several times faster on large neighbourhoods.
        pub links: Option<bool>,
    }
}

graph_params! {
    /// Filters for the direct partners.
    pub struct NeighboursParams {}
}

/// A node of an ego network, with its distance from the centre.
#[derive(Debug, Serialize, ToSchema)]
pub struct EgoNode {
    /// Hops from the centre.
    pub distance: u32,
    /// The node.
    #[schema(value_type = NodeRef)]
    pub node: RecordJson,
}

/// An ego network.
#[derive(Debug, Serialize, ToSchema)]
pub struct Neighbourhood {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// The centre's id.
    pub centre: String,
    /// Hops asked for.
    pub depth: usize,
    /// Nodes, closest first.
    pub nodes: Vec<EgoNode>,
    /// The admitted links among these nodes (empty with `links=false`).
    #[schema(value_type = Vec<Link>)]
    pub links: Vec<RecordJson>,
    /// Whether the node cap cut the network short.
    pub truncated: bool,
}

/// A direct partner and the links to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Partner {
    /// The partner.
    #[schema(value_type = NodeRef)]
    pub node: RecordJson,
    /// The admitted links joining the two.
    #[schema(value_type = Vec<Link>)]
    pub links: Vec<RecordJson>,
    /// Great-circle distance between the two, km, when both are located.
    pub distance_km: Option<f64>,
}

/// The direct partners of a node.
#[derive(Debug, Serialize, ToSchema)]
pub struct Neighbours {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// The node.
    #[schema(value_type = NodeRef)]
    pub node: RecordJson,
    /// Its partners, in id order.
    pub partners: Vec<Partner>,
    /// How far its partners are: the distribution of `distance_km` over them (`pairs`
    /// counts the located partners).
    pub partner_distances: super::structure::LinkLengths,
}

/// Bytes of JSON around each record of an answer (field names, a distance).
const JSON_PER_RECORD: usize = 24;

// Answers made of rendered records: their size is known before they are written.
impl super::Versioned for Neighbourhood {
    fn graph_version(&self) -> u64 {
        self.graph_version
    }

    fn json_size_hint(&self) -> usize {
        let nodes: usize = self.nodes.iter().map(|n| n.node.as_str().len()).sum();
        let links: usize = self.links.iter().map(|l| l.as_str().len()).sum();
        512 + nodes + links + JSON_PER_RECORD * (self.nodes.len() + self.links.len())
    }
}

impl super::Versioned for Neighbours {
    fn graph_version(&self) -> u64 {
        self.graph_version
    }

    fn json_size_hint(&self) -> usize {
        let records: usize = self
            .partners
            .iter()
            .map(|p| {
                p.node.as_str().len()
                    + JSON_PER_RECORD
                    + p.links
                        .iter()
                        .map(|l| l.as_str().len() + JSON_PER_RECORD)
                        .sum::<usize>()
            })
            .sum();
        512 + self.node.as_str().len() + records
    }
}

impl NeighbourhoodParams {
    fn query(&self) -> Result<EgoQuery, ApiError> {
        Ok(EgoQuery {
            filter: self.filter()?,
            depth: self.depth,
            limit: self.limit,
            links: self.links,
        })
    }
}

impl From<neighbourhood::Neighbourhood> for Neighbourhood {
    fn from(answer: neighbourhood::Neighbourhood) -> Self {
        Self {
            graph_version: answer.graph_version,
            filters: answer.filters,
            centre: answer.centre,
            depth: answer.depth,
            nodes: answer
                .nodes
                .into_iter()
                .map(|n| EgoNode {
                    distance: n.distance,
                    node: n.node,
                })
                .collect(),
            links: answer.links,
            truncated: answer.truncated,
        }
    }
}

impl From<neighbourhood::Neighbours> for Neighbours {
    fn from(answer: neighbourhood::Neighbours) -> Self {
        Self {
            graph_version: answer.graph_version,
            filters: answer.filters,
            node: answer.node,
            partners: answer
                .partners
                .into_iter()
                .map(|p| Partner {
                    node: p.node,
                    links: p.links,
                    distance_km: p.distance_km,
                })
                .collect(),
            partner_distances: answer.partner_distances.into(),
        }
    }
}

/// An ego network as the JSON of its view, written at its known size.
fn ego_json(answer: neighbourhood::Neighbourhood) -> Result<Vec<u8>, serde_json::Error> {
    let view = Neighbourhood::from(answer);
    super::version::to_json(&view, super::Versioned::json_size_hint(&view))
}

fn written(answer: Written) -> HttpResponse {
    super::version::json_written(StatusCode::OK, answer.graph_version, answer.body)
}

/// Ego network
///
/// Every node within `depth` hops of the node under the filters, closest first, with
/// the links among them; capped by `limit` with a `truncated` flag. The node set equals
/// `networkx.ego_graph(G, id, radius=depth)`.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/neighbourhood", tag = "graph",
    params(("id" = String, Path, description = "Node id", example = "city:ru:blagoveshchensk"), NeighbourhoodParams),
    responses(
        (status = 200, description = "The ego network (`format=geojson`: a FeatureCollection)", content(
            (Neighbourhood = "application/json"),
            (Object = "application/geo+json"),
        )),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_neighbourhood(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<NeighbourhoodParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let query = params.0.query()?;
    match params.0.format.as_deref() {
        None | Some("json") => {
            if let Some(answer) = service.ego_network_here(&id, &query, ego_json) {
                return Ok(written(answer?));
            }
            let svc = service.into_inner();
            let answer = web::block(move || svc.ego_network(&id, &query, ego_json))
                .await
                .map_err(|e| super::problem::internal(&e))??;
            Ok(written(answer))
        }
        Some("geojson") => geojson(service, id, query).await,
        Some(other) => Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!("format: `{other}` is not `json` or `geojson`"),
            Some("format".into()),
        )),
    }
}

/// The ego network as GeoJSON, computed on a blocking thread.
async fn geojson(
    service: web::Data<Service>,
    id: NodeId,
    query: EgoQuery,
) -> Result<HttpResponse, ApiError> {
    let svc = service.into_inner();
    let (version, collection) = web::block(move || svc.ego_geojson(&id, &query))
        .await
        .map_err(|e| super::problem::internal(&e))??;
    let mut response = super::version::json(StatusCode::OK, version, &collection);
    response.headers_mut().insert(
        actix_web::http::header::CONTENT_TYPE,
        actix_web::http::header::HeaderValue::from_static("application/geo+json"),
    );
    Ok(response)
}

/// Direct partners
///
/// The nodes one hop away under the filters, each with the links to it and its
/// great-circle distance (`distance_km`, when both are located), and the distribution
/// of those distances (`partner_distances`: mean, quantiles, histogram).
#[utoipa::path(get, path = "/api/v1/nodes/{id}/neighbours", tag = "graph",
    params(("id" = String, Path, description = "Node id", example = "city:ru:blagoveshchensk"), NeighboursParams),
    responses(
        (status = 200, description = "The partners", body = Neighbours),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_neighbours(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<NeighboursParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let filter = params.0.filter()?;
    if let Some(answer) = service.neighbours_here(&id, &filter) {
        return Ok(super::respond(&Neighbours::from(answer?)));
    }
    super::answer(service, move |svc| {
        Ok(Neighbours::from(svc.neighbours(&id, &filter)?))
    })
    .await
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/nodes/{id}/neighbourhood",
        super::get().to(get_neighbourhood),
    )
    .route("/nodes/{id}/neighbours", super::get().to(get_neighbours));
}
