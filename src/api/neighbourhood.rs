//! `/api/v1/nodes/{id}/neighbourhood` and `/neighbours`: ego networks and partners.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use hashbrown::HashSet;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{path_id, ValidQuery};
use super::filters::graph_params;
use super::problem::{ApiError, Problem, ProblemCode};
use crate::graph::algo::neighbourhood::ego;
use crate::graph::view::GraphView;
use crate::graph::NodeIx;
use crate::model::{Link, NodeId};
use crate::service::analysis::{Filters, NodeRef, Scope};
use crate::service::rendered::RecordJson;
use crate::service::{Service, ServiceError};

/// Most partners a node may have for its partner list to be answered inline.
const INLINE_MAX_DEGREE: usize = 32;

/// Largest `depth`.
pub const MAX_DEPTH: usize = 6;
/// Most nodes an ego network may reach, by the degree bound, to be answered on the
/// request thread rather than the blocking pool.
const INLINE_MAX_REACH: usize = 256;
/// Default and largest node count of an ego network.
pub const DEFAULT_NODES: usize = 500;
/// Largest node count of an ego network.
pub const MAX_NODES: usize = 10_000;

graph_params! {
    /// Depth and size of an ego network.
    pub struct NeighbourhoodParams {
        /// Hops from the centre, 1–6 (default 1).
        pub depth: Option<usize>,
        /// Most nodes returned, 1–10000 (default 500); `truncated` says when the cap cut the network short.
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

/// Node count from which an ego network's answer is kept for its graph version (see
/// [`crate::service::answers`]): ~0.25 ms of work and more at 1M, against ~0.1 ms
/// for a median one.
const KEPT_ANSWER_MIN_NODES: usize = 64;

/// The answer as JSON, kept for its graph version when it has
/// [`KEPT_ANSWER_MIN_NODES`] nodes or more.
fn written_and_kept(
    service: &Service,
    answer: &Neighbourhood,
    question: String,
) -> Result<(u64, web::Bytes), ApiError> {
    let body = super::version::to_json(answer, super::Versioned::json_size_hint(answer))
        .map_err(|e| super::problem::internal(&e))?;
    let body = web::Bytes::from(body);
    if answer.nodes.len() >= KEPT_ANSWER_MIN_NODES {
        service
            .answers()
            .insert(answer.graph_version, question, body.clone());
    }
    Ok((answer.graph_version, body))
}

/// What an ego network in JSON asks, as the key of a kept answer: everything the
/// answer depends on besides the graph version.
fn ego_question(
    id: &NodeId,
    params: &NeighbourhoodParams,
    filter: &crate::graph::filter::Filter,
) -> Result<String, ApiError> {
    let (depth, cap) = depth_and_cap(params)?;
    let links = params.links.unwrap_or(true);
    Ok(format!(
        "neighbourhood|{id}|{depth}|{cap}|{links}|{filter:?}"
    ))
}

/// Depth and node cap of an ego network, checked.
fn depth_and_cap(params: &NeighbourhoodParams) -> Result<(usize, usize), ApiError> {
    let depth = params.depth.unwrap_or(1);
    if depth == 0 || depth > MAX_DEPTH {
        return Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!("depth: must be 1..={MAX_DEPTH}; ask for less"),
            Some("depth".into()),
        ));
    }
    let cap = params.limit.unwrap_or(DEFAULT_NODES);
    if cap == 0 || cap > MAX_NODES {
        return Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!("limit: must be 1..={MAX_NODES}"),
            Some("limit".into()),
        ));
    }
    Ok((depth, cap))
}

/// Nodes an ego network of depth 1 or 2 can reach by the degree bound (the centre, its
/// partners and theirs, with repeats), counted up to `bound` (past it: `bound + 1`, as
/// for any deeper network).
fn reach_bound(scope: &Scope, centre: NodeIx, depth: usize, bound: usize) -> usize {
    if depth > 2 {
        return bound + 1;
    }
    let partners = scope.view.neighbours(centre);
    let mut reach = 1 + partners.len();
    if depth == 2 {
        for &w in partners {
            reach += scope.view.degree(w);
            if reach > bound {
                return bound + 1;
            }
        }
    }
    reach.min(bound + 1)
}

/// The scope to answer on the request thread: the view under `filter` is built and
/// `small` holds for the node (an unknown node is answered there too: a 404).
fn inline_scope(
    service: &Service,
    filter: &crate::graph::filter::Filter,
    id: &NodeId,
    small: impl Fn(&Scope, NodeIx) -> bool,
) -> Option<Scope> {
    service
        .built_scope(filter)
        .filter(|scope| scope.graph.index_of(id).map_or(true, |v| small(scope, v)))
}

fn neighbourhood(
    service: &Service,
    scope: &Scope,
    id: NodeId,
    params: &NeighbourhoodParams,
) -> Result<Neighbourhood, ApiError> {
    let (depth, cap) = depth_and_cap(params)?;
    let centre = scope
        .graph
        .index_of(&id)
        .ok_or_else(|| ServiceError::NotFound {
            what: "node",
            id: id.to_string(),
            field: None,
        })?;
    let (found, truncated) = ego(&scope.view, centre, depth, cap);
    let indices: Vec<_> = found.iter().map(|(v, _)| *v).collect();
    let refs = service.node_refs_json(&scope.graph, &indices)?;
    let links = if params.links.unwrap_or(true) {
        let mut inside = indices.clone();
        inside.sort_unstable();
        // A link of three members joins three pairs: listed once (a link of two
        // joins one pair, so only the others need remembering).
        let mut seen = HashSet::new();
        let mut pairs = Vec::new();
        let mut listed = Vec::new();
        for &v in &indices {
            pairs.clear();
            pairs_to_later(&scope.view, &inside, v, &mut pairs);
            for &pair in &pairs {
                for l in scope.admitted_links_of_pair(pair) {
                    if scope.graph.link(l).members.len() == 2 || seen.insert(l) {
                        listed.push(l);
                    }
                }
            }
        }
        service.links_json(&scope.graph, &listed)?
    } else {
        Vec::new()
    };
    let nodes = found
        .iter()
        .zip(refs)
        .map(|((_, d), node)| EgoNode { distance: *d, node })
        .collect();
    Ok(Neighbourhood {
        graph_version: scope.graph.version(),
        filters: (&scope.filter).into(),
        centre: id.to_string(),
        depth,
        nodes,
        links,
        truncated,
    })
}

/// Appends the pairs (edges of the view) joining `v` to the nodes of `inside` (sorted)
/// with a larger index, in the order of those nodes. A hub's row runs to thousands of
/// partners while an ego network holds tens of nodes: the shorter of the two lists is
/// walked and looked up in the other.
fn pairs_to_later(view: &GraphView, inside: &[NodeIx], v: NodeIx, out: &mut Vec<u32>) {
    let (targets, pairs) = view.neighbours_and_pairs(v);
    pairs_in_row_to_later(targets, pairs, inside, v, out);
}

/// [`pairs_to_later`] on one row: `targets` sorted, `pairs` beside them.
fn pairs_in_row_to_later(
    targets: &[NodeIx],
    pairs: &[u32],
    inside: &[NodeIx],
    v: NodeIx,
    out: &mut Vec<u32>,
) {
    let start = targets.partition_point(|&w| w <= v);
    let (targets, pairs) = (&targets[start..], &pairs[start..]);
    let later = &inside[inside.partition_point(|&w| w <= v)..];
    if targets.len() <= later.len() {
        out.extend(
            targets
                .iter()
                .zip(pairs)
                .filter(|(w, _)| later.binary_search(w).is_ok())
                .map(|(_, &pair)| pair),
        );
    } else {
        out.extend(
            later
                .iter()
                .filter_map(|w| targets.binary_search(w).ok().map(|i| pairs[i])),
        );
    }
}

fn neighbours(service: &Service, scope: &Scope, id: &NodeId) -> Result<Neighbours, ApiError> {
    let centre = scope
        .graph
        .index_of(id)
        .ok_or_else(|| ServiceError::NotFound {
            what: "node",
            id: id.to_string(),
            field: None,
        })?;
    let mut around: Vec<_> = scope.view.neighbours(centre).to_vec();
    around.sort_by(|a, b| scope.graph.node_id(*a).cmp(scope.graph.node_id(*b)));
    // The centre last, so that every record is rendered in one batch of each kind.
    around.push(centre);
    let mut refs = service.node_refs_json(&scope.graph, &around)?;
    around.pop();
    let node = refs.pop().ok_or_else(|| ServiceError::NotFound {
        what: "node",
        id: id.to_string(),
        field: None,
    })?;
    let per_partner: Vec<Vec<_>> = around
        .iter()
        .map(|&w| scope.admitted_links_between(centre, w).collect())
        .collect();
    let mut links = service
        .links_json(&scope.graph, &per_partner.concat())?
        .into_iter();
    let partners = refs
        .into_iter()
        .zip(&per_partner)
        .map(|(node, of_partner)| Partner {
            node,
            links: links.by_ref().take(of_partner.len()).collect(),
        })
        .collect();
    Ok(Neighbours {
        graph_version: scope.graph.version(),
        filters: (&scope.filter).into(),
        node,
        partners,
    })
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
    let filter = params.0.filter()?;
    let (depth, _) = depth_and_cap(&params.0)?;
    match params.0.format.as_deref() {
        None | Some("json") => {
            // Under a built view: a small ego network answers in tens of microseconds
            // (its records mostly rendered already), on the worker thread itself (an
            // unknown node too: a 404); a larger one may have been answered at this
            // version already; one of at most a few hundred nodes is still answered
            // here, since the hop to the blocking pool costs more than it saves.
            let built = service.built_scope(&filter).map(|scope| {
                let reach = scope
                    .graph
                    .index_of(&id)
                    .map_or(0, |v| reach_bound(&scope, v, depth, INLINE_MAX_REACH));
                (scope, reach)
            });
            if let Some((scope, reach)) = &built {
                if *reach < KEPT_ANSWER_MIN_NODES {
                    return Ok(super::respond(&neighbourhood(
                        &service, scope, id, &params.0,
                    )?));
                }
            }
            let question = ego_question(&id, &params.0, &filter)?;
            if let Some((scope, reach)) = &built {
                let version = scope.graph.version();
                if let Some(body) = service.answers().get(version, &question) {
                    return Ok(super::version::json_written(StatusCode::OK, version, body));
                }
                if *reach <= INLINE_MAX_REACH {
                    let answer = neighbourhood(&service, scope, id, &params.0)?;
                    let (version, body) = written_and_kept(&service, &answer, question)?;
                    return Ok(super::version::json_written(StatusCode::OK, version, body));
                }
            }
            let svc = service.into_inner();
            let (version, body) = web::block(move || {
                let answer = neighbourhood(&svc, &svc.scope(&filter), id, &params.0)?;
                written_and_kept(&svc, &answer, question)
            })
            .await
            .map_err(|e| super::problem::internal(&e))??;
            Ok(super::version::json_written(StatusCode::OK, version, body))
        }
        Some("geojson") => {
            let svc = service.into_inner();
            let answer =
                web::block(move || neighbourhood(&svc, &svc.scope(&filter), id, &params.0))
                    .await
                    .map_err(|e| super::problem::internal(&e))??;
            let mut response = super::version::json(
                actix_web::http::StatusCode::OK,
                answer.graph_version,
                &geojson(&answer)?,
            );
            response.headers_mut().insert(
                actix_web::http::header::CONTENT_TYPE,
                actix_web::http::header::HeaderValue::from_static("application/geo+json"),
            );
            Ok(response)
        }
        Some(other) => Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!("format: `{other}` is not `json` or `geojson`"),
            Some("format".into()),
        )),
    }
}

/// The ego network as an RFC 7946 FeatureCollection (`[lon, lat]` order).
fn geojson(answer: &Neighbourhood) -> Result<serde_json::Value, ServiceError> {
    use serde_json::json;
    let nodes = answer
        .nodes
        .iter()
        .map(|n| Ok((n.distance, n.node.parse::<NodeRef>()?)))
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let links = answer
        .links
        .iter()
        .map(|l| l.parse::<Link>())
        .collect::<Result<Vec<_>, _>>()?;
    let at: std::collections::HashMap<&str, [f64; 2]> = nodes
        .iter()
        .filter_map(|(_, node)| node.location.map(|l| (node.id.as_str(), [l.lon, l.lat])))
        .collect();
    let mut features: Vec<serde_json::Value> = nodes
        .iter()
        .filter_map(|(distance, node)| {
            let point = at.get(node.id.as_str())?;
            Some(json!({"type": "Feature", "id": node.id,
                "geometry": {"type": "Point", "coordinates": point},
                "properties": {"id": node.id, "name": node.name, "names": node.names,
                    "kind": node.kind, "country": node.country, "distance": distance,
                    "centre": node.id == answer.centre}}))
        })
        .collect();
    for link in &links {
        let Some(points) = link
            .members
            .iter()
            .map(|m| at.get(m.as_str()).copied())
            .collect::<Option<Vec<[f64; 2]>>>()
        else {
            continue;
        };
        let geometry = crate::io::export::link_geometry(&points);
        features.push(json!({"type": "Feature", "id": link.id, "geometry": geometry,
            "properties": {"id": link.id, "kind": link.kind, "status": link.status,
                "signed": link.signed.map(|d| d.to_string()), "ended": link.ended.map(|d| d.to_string()),
                "members": link.members}}));
    }
    Ok(json!({"type": "FeatureCollection", "features": features}))
}

/// Direct partners
///
/// The nodes one hop away under the filters, each with the links to it.
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
    // A node with few partners under a view that is built answers in microseconds:
    // on the worker thread itself, as the hop to the blocking pool would cost as much.
    let small = inline_scope(&service, &filter, &id, |scope, v| {
        scope.view.degree(v) <= INLINE_MAX_DEGREE
    });
    if let Some(scope) = small {
        return Ok(super::respond(&neighbours(&service, &scope, &id)?));
    }
    super::answer(service, move |svc| {
        neighbours(svc, &svc.scope(&filter), &id)
    })
    .await
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/nodes/{id}/neighbourhood",
        web::get().to(get_neighbourhood),
    )
    .route("/nodes/{id}/neighbours", web::get().to(get_neighbours));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairs of `row` to later nodes of `inside`, by a plain walk of the row.
    fn walked(targets: &[NodeIx], pairs: &[u32], inside: &[NodeIx], v: NodeIx) -> Vec<u32> {
        targets
            .iter()
            .zip(pairs)
            .filter(|(w, _)| **w > v && inside.contains(w))
            .map(|(_, &p)| p)
            .collect()
    }

    #[test]
    fn pairs_to_later_nodes_match_a_walk_of_the_row_whichever_list_is_shorter() {
        // A hub's row (every third node up to 3,000) against ego networks of a few
        // nodes to thousands, each side of the hub's own index.
        let targets: Vec<NodeIx> = (0..1_000).map(|i| i * 3).collect();
        let pairs: Vec<u32> = targets.iter().map(|t| t * 10 + 7).collect();
        for (step, len) in [(1, 5), (2, 40), (5, 300), (1, 2_500), (7, 900)] {
            let inside: Vec<NodeIx> = (0..len).map(|i| i * step).collect();
            for v in [0, 3, 100, 1_500, 2_999, 5_000] {
                let mut out = Vec::new();
                pairs_in_row_to_later(&targets, &pairs, &inside, v, &mut out);
                assert_eq!(
                    out,
                    walked(&targets, &pairs, &inside, v),
                    "step {step}, {len} nodes, v {v}"
                );
            }
        }
        // Both ways of the lookup are exercised above: the row (1,000) is shorter
        // than 2,500 nodes and longer than 5.
        let mut out = Vec::new();
        pairs_in_row_to_later(&[], &[], &[1, 2], 0, &mut out);
        assert!(out.is_empty());
    }
}
