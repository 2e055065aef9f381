//! Ego networks and direct partners, and where each is answered: on the calling thread
//! when small and its view is built, from the kept answers when asked at this version
//! already, otherwise by the caller's pool of blocking threads.

use actix_web::web::Bytes;
use hashbrown::HashSet;

use super::analysis::{Filters, NodeRef, Scope};
use super::filters::{bad_parameter, Filter};
use super::rendered::RecordJson;
use super::{Service, ServiceError};
use crate::graph::algo::neighbourhood::ego;
use crate::graph::view::GraphView;
use crate::graph::NodeIx;
use crate::model::{Link, NodeId};

/// Largest `depth`.
pub const MAX_DEPTH: usize = 6;
/// Default node count of an ego network.
pub const DEFAULT_NODES: usize = 500;
/// Largest node count of an ego network.
pub const MAX_NODES: usize = 10_000;
/// Most partners a node may have for its partner list to be answered inline.
const INLINE_MAX_DEGREE: usize = 32;
/// Most nodes an ego network may reach, by the degree bound, to be answered on the
/// calling thread rather than the blocking pool.
const INLINE_MAX_REACH: usize = 256;
/// Node count from which an ego network's answer is kept for its graph version (see
/// [`super::answers`]): ~0.25 ms of work and more at 1M, against ~0.1 ms for a
/// median one.
const KEPT_ANSWER_MIN_NODES: usize = 64;

/// The options of an ego network.
#[derive(Clone, Debug, Default)]
pub struct EgoQuery {
    /// The graph walked.
    pub filter: Filter,
    /// Hops from the centre, 1 to [`MAX_DEPTH`] (default 1).
    pub depth: Option<usize>,
    /// Most nodes, 1 to [`MAX_NODES`] (default [`DEFAULT_NODES`]).
    pub limit: Option<usize>,
    /// Whether to list the links among the nodes (default true).
    pub links: Option<bool>,
}

impl EgoQuery {
    /// Depth and node cap, checked.
    pub fn depth_and_cap(&self) -> Result<(usize, usize), ServiceError> {
        let depth = self.depth.unwrap_or(1);
        if depth == 0 || depth > MAX_DEPTH {
            return Err(bad_parameter(
                "depth",
                format!("must be 1..={MAX_DEPTH}; ask for less"),
            ));
        }
        let cap = self.limit.unwrap_or(DEFAULT_NODES);
        if cap == 0 || cap > MAX_NODES {
            return Err(bad_parameter("limit", format!("must be 1..={MAX_NODES}")));
        }
        Ok((depth, cap))
    }

    /// Everything an answer depends on besides the graph version and the centre.
    fn key(&self, id: &NodeId) -> Result<String, ServiceError> {
        let (depth, cap) = self.depth_and_cap()?;
        let links = self.links.unwrap_or(true);
        Ok(format!(
            "neighbourhood|{id}|{depth}|{cap}|{links}|{:?}",
            self.filter
        ))
    }
}

/// A node of an ego network, with its distance from the centre.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EgoNode {
    /// Hops from the centre.
    pub distance: u32,
    /// The node, as graph answers show it.
    pub node: RecordJson,
}

/// An ego network.
#[derive(Clone, Debug, serde::Serialize)]
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
    /// The admitted links among these nodes (empty when not asked for).
    pub links: Vec<RecordJson>,
    /// Whether the node cap cut the network short.
    pub truncated: bool,
}

/// A direct partner and the admitted links to it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Partner {
    /// The partner.
    pub node: RecordJson,
    /// The links joining the two.
    pub links: Vec<RecordJson>,
    /// Great-circle distance between the two, km, when both are located.
    pub distance_km: Option<f64>,
}

/// The direct partners of a node.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Neighbours {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// The node.
    pub node: RecordJson,
    /// Its partners, in id order.
    pub partners: Vec<Partner>,
    /// How far its partners are: the distribution of `distance_km` over them.
    pub partner_distances: super::places::LinkLengths,
}

/// Where a rendered node record says it is.
fn location_of(record: &RecordJson) -> Option<(f64, f64)> {
    let node: super::analysis::NodeRef = record.parse().ok()?;
    node.location.map(|l| (l.lat, l.lon))
}

/// An answer as the caller's rendering wrote it, and the graph version it read.
#[derive(Clone, Debug)]
pub struct Written {
    /// Graph version read.
    pub graph_version: u64,
    /// The rendered answer.
    pub body: Bytes,
}

/// How a caller writes an ego network (its JSON, for HTTP).
pub type Render = fn(Neighbourhood) -> Result<Vec<u8>, serde_json::Error>;

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

fn centre_of(scope: &Scope, id: &NodeId) -> Result<NodeIx, ServiceError> {
    scope
        .graph
        .index_of(id)
        .ok_or_else(|| ServiceError::NotFound {
            what: "node",
            id: id.to_string(),
            field: None,
        })
}

impl Service {
    /// The ego network, written by `render`, if it can be answered on the calling
    /// thread: its view is built and it is small (tens of microseconds, the hop to a
    /// pool would cost more), or it was answered at this version already. `None`: ask
    /// [`Self::ego_network`] on a blocking thread.
    pub fn ego_network_here(
        &self,
        id: &NodeId,
        query: &EgoQuery,
        render: Render,
    ) -> Option<Result<Written, ServiceError>> {
        let (depth, _) = match query.depth_and_cap() {
            Ok(checked) => checked,
            Err(e) => return Some(Err(e)),
        };
        let scope = self.built_scope(&query.filter)?;
        // An unknown node is answered here too: its 404 costs nothing.
        let reach = scope
            .graph
            .index_of(id)
            .map_or(0, |v| reach_bound(&scope, v, depth, INLINE_MAX_REACH));
        if reach < KEPT_ANSWER_MIN_NODES {
            return Some(self.ego_written(&scope, id, query, render, None));
        }
        let key = match query.key(id) {
            Ok(key) => key,
            Err(e) => return Some(Err(e)),
        };
        let version = scope.graph.version();
        if let Some(body) = self.answers.get(version, &key) {
            return Some(Ok(Written {
                graph_version: version,
                body,
            }));
        }
        (reach <= INLINE_MAX_REACH).then(|| self.ego_written(&scope, id, query, render, Some(key)))
    }

    /// The ego network written by `render`, from the kept answers if it was answered at
    /// this version already; large answers are kept.
    pub fn ego_network(
        &self,
        id: &NodeId,
        query: &EgoQuery,
        render: Render,
    ) -> Result<Written, ServiceError> {
        let key = query.key(id)?;
        let scope = self.scope(&query.filter);
        if let Some(body) = self.answers.get(scope.graph.version(), &key) {
            return Ok(Written {
                graph_version: scope.graph.version(),
                body,
            });
        }
        self.ego_written(&scope, id, query, render, Some(key))
    }

    fn ego_written(
        &self,
        scope: &Scope,
        id: &NodeId,
        query: &EgoQuery,
        render: Render,
        key: Option<String>,
    ) -> Result<Written, ServiceError> {
        let answer = self.ego_in(scope, id, query)?;
        let (graph_version, kept) = (answer.graph_version, answer.nodes.len());
        let body = render(answer)
            .map_err(|e| ServiceError::Store(crate::store::StoreError::Codec(e.to_string())))?;
        let body = Bytes::from(body);
        if let Some(key) = key.filter(|_| kept >= KEPT_ANSWER_MIN_NODES) {
            self.answers.insert(graph_version, key, body.clone());
        }
        Ok(Written {
            graph_version,
            body,
        })
    }

    /// The ego network as records, computed now.
    pub fn ego(&self, id: &NodeId, query: &EgoQuery) -> Result<Neighbourhood, ServiceError> {
        self.ego_in(&self.scope(&query.filter), id, query)
    }

    fn ego_in(
        &self,
        scope: &Scope,
        id: &NodeId,
        query: &EgoQuery,
    ) -> Result<Neighbourhood, ServiceError> {
        let (depth, cap) = query.depth_and_cap()?;
        let centre = centre_of(scope, id)?;
        let (found, truncated) = ego(&scope.view, centre, depth, cap);
        let indices: Vec<_> = found.iter().map(|(v, _)| *v).collect();
        let refs = self.node_refs_json(&scope.graph, &indices)?;
        let links = if query.links.unwrap_or(true) {
            self.links_json(&scope.graph, &links_among(scope, &indices))?
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

    /// The ego network as an RFC 7946 FeatureCollection for a map, with the graph
    /// version it read.
    pub fn ego_geojson(
        &self,
        id: &NodeId,
        query: &EgoQuery,
    ) -> Result<(u64, serde_json::Value), ServiceError> {
        let answer = self.ego(id, query)?;
        Ok((answer.graph_version, geojson(&answer)?))
    }

    /// The direct partners, if they can be answered on the calling thread (the view is
    /// built and the node has few partners); `None`: ask [`Self::neighbours`] on a
    /// blocking thread.
    pub fn neighbours_here(
        &self,
        id: &NodeId,
        filter: &Filter,
    ) -> Option<Result<Neighbours, ServiceError>> {
        let scope = self.built_scope(filter)?;
        let small = scope
            .graph
            .index_of(id)
            .is_none_or(|v| scope.view.degree(v) <= INLINE_MAX_DEGREE);
        small.then(|| self.neighbours_in(&scope, id))
    }

    /// The direct partners of a node under the filter, each with the links to it.
    pub fn neighbours(&self, id: &NodeId, filter: &Filter) -> Result<Neighbours, ServiceError> {
        self.neighbours_in(&self.scope(filter), id)
    }

    fn neighbours_in(&self, scope: &Scope, id: &NodeId) -> Result<Neighbours, ServiceError> {
        let centre = centre_of(scope, id)?;
        let mut around: Vec<_> = scope.view.neighbours(centre).to_vec();
        around.sort_by(|a, b| scope.graph.node_id(*a).cmp(scope.graph.node_id(*b)));
        // The centre last, so that every record is rendered in one batch of each kind.
        around.push(centre);
        let mut refs = self.node_refs_json(&scope.graph, &around)?;
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
        let mut links = self
            .links_json(&scope.graph, &per_partner.concat())?
            .into_iter();
        let centre_at = location_of(&node);
        let partners: Vec<Partner> = refs
            .into_iter()
            .zip(&per_partner)
            .map(|(node, of_partner)| Partner {
                distance_km: centre_at
                    .zip(location_of(&node))
                    .map(|(a, b)| super::partners::haversine_km(a, b)),
                node,
                links: links.by_ref().take(of_partner.len()).collect(),
            })
            .collect();
        let lengths: Vec<f64> = partners.iter().filter_map(|p| p.distance_km).collect();
        let unlocated = partners.len() - lengths.len();
        Ok(Neighbours {
            graph_version: scope.graph.version(),
            filters: (&scope.filter).into(),
            node,
            partners,
            partner_distances: super::places::LinkLengths::of(lengths, unlocated),
        })
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
            "properties": {"id": link.id, "kind": link.kind, "status": link.status, "evidence": link.evidence,
                "signed": link.signed.map(|d| d.to_string()), "ended": link.ended.map(|d| d.to_string()),
                "members": link.members}}));
    }
    Ok(json!({"type": "FeatureCollection", "features": features}))
}

/// The admitted links among the nodes of an ego network, each once.
fn links_among(scope: &Scope, indices: &[NodeIx]) -> Vec<crate::graph::LinkIx> {
    let mut inside = indices.to_vec();
    inside.sort_unstable();
    // A link of three members joins three pairs: listed once (a link of two joins one
    // pair, so only the others need remembering).
    let mut seen = HashSet::new();
    let mut pairs = Vec::new();
    let mut listed = Vec::new();
    for &v in indices {
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
    listed
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
