//! Reads of records: by id, listings with cursors, and name search.

use crate::model::text::normalize;
use crate::model::{Link, Node};
use crate::store::{LinkFilter, NodeFilter, StorePage};

use super::{Service, ServiceError};

/// A node listing or search request.
#[derive(Clone, Debug, Default)]
pub struct NodeQuery {
    /// Kind and country filters.
    pub filter: NodeFilter,
    /// Name search text; `None` lists in id order.
    pub text: Option<String>,
    /// Continue after this position.
    pub after: Option<Vec<u8>>,
    /// Page size.
    pub limit: usize,
    /// Rank by great-circle distance from a point instead (located nodes only).
    pub near: Option<Near>,
}

/// A distance ranking: nodes nearest to `from` first.
#[derive(Clone, Copy, Debug)]
pub struct Near {
    /// The point.
    pub from: crate::model::Location,
    /// Only nodes within this many kilometres.
    pub within_km: Option<f64>,
    /// Only the `nearest` nodes (after the kind and country filters).
    pub nearest: Option<usize>,
}

/// A page of nodes, with each one's distance when ranked by distance.
#[derive(Clone, Debug, Default)]
pub struct NodeList {
    /// The nodes.
    pub items: Vec<Node>,
    /// Where the next page starts, if there is one.
    pub next: Option<Vec<u8>>,
    /// With `near`: each node's great-circle distance, km, in the order of `items`.
    pub distances_km: Option<Vec<f64>>,
}

impl Service {
    /// Reads one node.
    pub fn get_node(&self, id: &(impl AsRef<str> + ?Sized)) -> Result<Node, ServiceError> {
        self.store
            .get_node(id)?
            .ok_or_else(|| not_found("node", id.as_ref().to_string(), Vec::new()))
    }

    /// Reads one link.
    pub fn get_link(&self, id: &(impl AsRef<str> + ?Sized)) -> Result<Link, ServiceError> {
        self.store
            .get_link(id)?
            .ok_or_else(|| not_found("link", id.as_ref().to_string(), Vec::new()))
    }

    /// Reads one node for a person who typed its id: when there is none, the nodes
    /// whose name is the id's last part (`vladivostok`, `city:ru:Vladivostok`) are
    /// named in the error ([`ServiceError::NotFoundNear`]).
    pub fn find_node(&self, id: &(impl AsRef<str> + ?Sized)) -> Result<Node, ServiceError> {
        if let Some(node) = self.store.get_node(id)? {
            return Ok(node);
        }
        let id = id.as_ref().to_string();
        let asked = id
            .rsplit(':')
            .next()
            .unwrap_or(&id)
            .replace(['-', '_'], " ");
        let term = normalize(&asked);
        let mut near = Vec::new();
        if !term.is_empty() {
            let mut hits = self.store.search_terms(&term)?;
            hits.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
            near.extend(
                hits.into_iter()
                    .filter(|(_, rank)| *rank == 0)
                    .take(3)
                    .map(|(found, _)| found.as_str().to_string()),
            );
        }
        Err(not_found("node", id, near))
    }

    /// Reads one link for a person who typed its id: when there is none, a link of the
    /// same kind on the same members given in the other order is named in the error.
    pub fn find_link(&self, id: &(impl AsRef<str> + ?Sized)) -> Result<Link, ServiceError> {
        if let Some(link) = self.store.get_link(id)? {
            return Ok(link);
        }
        let id = id.as_ref().to_string();
        let mut near = Vec::new();
        if let Some((kind, members)) = id.split_once(':') {
            let mut members: Vec<&str> = members.split('+').collect();
            if members.len() > 1 {
                members.reverse();
                let turned = format!("{kind}:{}", members.join("+"));
                if turned != id && self.store.get_link(&turned)?.is_some() {
                    near.push(turned);
                }
            }
        }
        Err(not_found("link", id, near))
    }

    /// Lists nodes in id order, or searches names when `query.text` is set.
    /// Lists nodes in id order, searches names when `query.text` is set, or ranks them
    /// by distance when `query.near` is (from the spatial index; the cursor is then an
    /// offset into the ranking).
    pub fn list_nodes(&self, query: &NodeQuery) -> Result<NodeList, ServiceError> {
        let page = match (&query.text, &query.near) {
            (Some(_), Some(_)) => {
                return Err(super::filters::conflicting(
                    "near",
                    "rank by `near` or search by `q`, not both",
                ))
            }
            (None, Some(near)) => return self.nodes_near(near, query),
            (None, None) => {
                self.store
                    .list_nodes(&query.filter, query.after.as_deref(), query.limit)?
            }
            (Some(text), None) => self.search(text, query)?,
        };
        Ok(NodeList {
            items: page.items,
            next: page.next,
            distances_km: None,
        })
    }

    /// One page of the distance ranking (see [`Service::list_nodes`]).
    fn nodes_near(&self, near: &Near, query: &NodeQuery) -> Result<NodeList, ServiceError> {
        let start = match query.after.as_deref() {
            None => 0,
            Some(bytes) if bytes.len() <= 8 => {
                let offset = bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
                usize::try_from(offset).unwrap_or(usize::MAX)
            }
            Some(_) => return Err(bad_cursor()),
        };
        let (kind, country) = (query.filter.kind, query.filter.country);
        let ranked: Vec<(crate::model::NodeId, f64)> = self.with_places(|places| {
            places
                .nearest(near.from)
                .take_while(|(_, km)| near.within_km.is_none_or(|r| *km <= r))
                .filter(|(p, _)| kind.is_none_or(|k| p.kind == k))
                .filter(|(p, _)| country.is_none_or(|c| p.country == Some(c)))
                .take(near.nearest.unwrap_or(usize::MAX))
                .skip(start)
                .take(query.limit.saturating_add(1))
                .map(|(p, km)| (p.id.clone(), km))
                .collect()
        })?;
        let more = ranked.len() > query.limit;
        let mut list = NodeList {
            distances_km: Some(Vec::with_capacity(query.limit)),
            ..NodeList::default()
        };
        for (id, km) in ranked.into_iter().take(query.limit) {
            if let Some(node) = self.store.node_if_readable(&id)? {
                list.items.push(node);
                if let Some(d) = list.distances_km.as_mut() {
                    d.push(km);
                }
            }
        }
        if more {
            let next = (start + query.limit) as u64;
            list.next = Some(next.to_be_bytes().to_vec());
        }
        Ok(list)
    }

    /// Lists links.
    pub fn list_links(
        &self,
        filter: &LinkFilter,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<StorePage<Link>, ServiceError> {
        if let Some(node) = &filter.node {
            self.get_node(node).map_err(|_| ServiceError::NotFound {
                what: "node",
                id: node.to_string(),
                field: Some("node".into()),
            })?;
            let ids = self.snapshot().link_ids_of(node);
            return Ok(self.store.list_links_among(&ids, filter, after, limit)?);
        }
        Ok(self.store.list_links(filter, after, limit)?)
    }

    /// Name search: exact whole-name matches first, then word matches, then prefixes;
    /// ties in id order. The cursor is the last hit's rank byte and id.
    fn search(&self, text: &str, query: &NodeQuery) -> Result<StorePage<Node>, ServiceError> {
        let term = normalize(text);
        if term.is_empty() {
            return Err(ServiceError::BadQuery {
                field: "q".into(),
                detail: "the search text needs at least one letter or digit".into(),
            });
        }
        let mut hits = self.store.search_terms(&term)?;
        hits.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        let start = match &query.after {
            None => 0,
            Some(after) => {
                // Any bytes are a place in the order (rank, then id bytes): the page
                // starts after it.
                let (rank, id) = after.split_first().ok_or_else(bad_cursor)?;
                hits.partition_point(|(hit, r)| (*r, hit.as_str().as_bytes()) <= (*rank, id))
            }
        };
        let mut items = Vec::new();
        let mut next = None;
        for (id, rank) in &hits[start..] {
            let Some(node) = self.store.node_if_readable(id)? else {
                continue;
            };
            let kind_ok = query.filter.kind.is_none_or(|k| node.kind == k);
            let country_ok = query.filter.country.is_none_or(|c| node.country == Some(c));
            if !(kind_ok && country_ok) {
                continue;
            }
            if items.len() == query.limit {
                next = items.last().map(|last: &(u8, Node)| {
                    [vec![last.0], last.1.id.as_str().as_bytes().to_vec()].concat()
                });
                break;
            }
            items.push((*rank, node));
        }
        Ok(StorePage {
            items: items.into_iter().map(|(_, n)| n).collect(),
            next,
        })
    }
}

/// A record that does not exist, with the ones that look meant, if any.
fn not_found(what: &'static str, id: String, near: Vec<String>) -> ServiceError {
    if near.is_empty() {
        ServiceError::NotFound {
            what,
            id,
            field: None,
        }
    } else {
        ServiceError::NotFoundNear { what, id, near }
    }
}

fn bad_cursor() -> ServiceError {
    ServiceError::BadQuery {
        field: "cursor".into(),
        detail: "the cursor is not one this listing returned".into(),
    }
}
