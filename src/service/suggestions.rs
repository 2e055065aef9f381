//! Partner suggestions as answers: the city or the association's members they are
//! for, the ranked candidates named and explained, and the best pairs across an
//! association. The ranking itself is [`super::partners`].

use rayon::prelude::*;

use super::analysis::{Filters, NodeRef, Scope};
use super::filters::{bad_parameter, conflicting, Filter};
use super::partners::{self, parse_weights, Component, PartnerQuery, Signal, Suggestion};
use super::{Service, ServiceError};
use crate::graph::NodeIx;
use crate::model::{CountryCode, LinkKind, LinkStatus, NodeId, NodeKind};

/// Most suggestions per list.
pub const MAX_SUGGESTIONS: usize = 200;
/// Shared partners named per suggestion (the count is always whole).
const MAX_NAMED: usize = 20;

/// What to rank by and which candidates to consider, as a query string or a command
/// line gives them.
#[derive(Clone, Debug, Default)]
pub struct PartnerRequest {
    /// The graph ranked in.
    pub filter: Filter,
    /// One signal, ranked by its raw value.
    pub method: Option<String>,
    /// Several signals with weights, `signal:weight` comma-separated.
    pub weights: Option<String>,
    /// Suggestions to return, 1 to [`MAX_SUGGESTIONS`] (default 10).
    pub limit: Option<usize>,
    /// Only candidates in this country.
    pub country: Option<String>,
    /// No candidates in this country.
    pub exclude_country: Option<String>,
    /// Only candidates within this many kilometres.
    pub within_km: Option<f64>,
    /// For an association: `members` (default), `pairs` or `both`.
    pub mode: Option<String>,
}

/// One suggested partner, with why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Explained {
    /// 1-based rank.
    pub rank: usize,
    /// The score the ranking is by.
    pub score: f64,
    /// The candidate city.
    pub node: NodeRef,
    /// Every weighted signal.
    pub components: Vec<Component>,
    /// How many partners the two share.
    pub shared_partner_count: usize,
    /// The shared partners (the first [`MAX_NAMED`] by id).
    pub shared_partners: Vec<NodeRef>,
    /// Associations both belong to.
    pub shared_associations: Vec<NodeRef>,
    /// Cooperation areas of both cities' links.
    pub shared_areas: Vec<String>,
    /// Great-circle distance, km, when both are located.
    pub distance_km: Option<f64>,
    /// The history of the two cities' countries, when both are known.
    pub country_pair: Option<CountryPair>,
    /// The explanation in one sentence.
    pub why: String,
}

/// How often cities of two countries are partners in the graph asked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CountryPair {
    /// The city's country.
    pub country: String,
    /// The candidate's country.
    pub candidate_country: String,
    /// Partnerships between cities of the two countries.
    pub partnerships: u64,
}

/// Suggestions for one city.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CityPartners {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// What the ranking is by.
    pub weights: Vec<(Signal, f64)>,
    /// The city.
    pub node: NodeRef,
    /// Suggestions, best first.
    pub items: Vec<Explained>,
}

/// One member's suggestions.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MemberPartners {
    /// The member city.
    pub member: NodeRef,
    /// Its suggestions, best first.
    pub items: Vec<Explained>,
}

/// Suggestions for the members of an association.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AssociationPartners {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// What the ranking is by.
    pub weights: Vec<(Signal, f64)>,
    /// The association.
    pub association: NodeRef,
    /// Member cities (by active membership links).
    pub member_count: usize,
    /// Each member's suggestions (modes `members` and `both`).
    pub members: Vec<MemberPartners>,
    /// The best member–candidate pairs across the association (modes `pairs` and
    /// `both`), each ranked among the pairs.
    pub pairs: Vec<(NodeRef, Explained)>,
}

fn country(field: &str, raw: &Option<String>) -> Result<Option<CountryCode>, ServiceError> {
    raw.as_deref()
        .map(|c| {
            c.parse::<CountryCode>()
                .map_err(|e| bad_parameter(field, e))
        })
        .transpose()
}

fn signal(field: &str, name: &str) -> Result<Signal, ServiceError> {
    Signal::parse(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = Signal::ALL.iter().map(|s| s.as_str()).collect();
        bad_parameter(
            field,
            format!("`{name}` is not a signal ({})", names.join(", ")),
        )
    })
}

impl PartnerRequest {
    /// The ranking these parameters ask for.
    pub fn query(&self) -> Result<PartnerQuery, ServiceError> {
        // `mode` is read for associations only, but a bad one is refused everywhere.
        self.mode()?;
        let weights = match (&self.method, &self.weights) {
            (Some(_), Some(_)) => {
                return Err(conflicting(
                    "weights",
                    "give `method` or `weights`, not both",
                ));
            }
            // `learned`: the model fitted on the graph fills in its weights at ranking
            // time; `fixed`: the fixed default, by name.
            (Some(method), None) if method.trim() == "learned" => Vec::new(),
            (Some(method), None) if method.trim() == "fixed" => partners::DEFAULT_WEIGHTS.to_vec(),
            (Some(method), None) => vec![(signal("method", method)?, 1.0)],
            (None, Some(raw)) => parse_weights(raw).map_err(|e| bad_parameter("weights", e))?,
            (None, None) => partners::DEFAULT_WEIGHTS.to_vec(),
        };
        let limit = self.limit.unwrap_or(10);
        if !(1..=MAX_SUGGESTIONS).contains(&limit) {
            return Err(bad_parameter(
                "limit",
                format!("must be 1–{MAX_SUGGESTIONS}"),
            ));
        }
        if let Some(km) = self.within_km {
            if !(km.is_finite() && km > 0.0) {
                return Err(bad_parameter(
                    "within_km",
                    "must be a positive number of kilometres",
                ));
            }
        }
        let learned = self.method.as_deref().map(str::trim) == Some("learned");
        Ok(PartnerQuery {
            weights,
            country: country("country", &self.country)?,
            exclude_country: country("exclude_country", &self.exclude_country)?,
            within_km: self.within_km,
            limit,
            learned,
            bins: None,
        })
    }

    /// Whether an association's answer lists each member's suggestions, and the best
    /// pairs.
    fn mode(&self) -> Result<(bool, bool), ServiceError> {
        match self.mode.as_deref().unwrap_or("members") {
            "members" => Ok((true, false)),
            "pairs" => Ok((false, true)),
            "both" => Ok((true, true)),
            other => Err(bad_parameter(
                "mode",
                format!("`{other}` is not `members`, `pairs` or `both`"),
            )),
        }
    }
}

fn names(refs: &[NodeRef]) -> String {
    refs.iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The explanation of a suggestion in one sentence.
fn why(node: &NodeRef, s: &Suggestion, named: &[NodeRef], associations: &[NodeRef]) -> String {
    let mut reasons = Vec::new();
    if !s.shared_partners.is_empty() {
        let count = s.shared_partners.len();
        let plural = if count == 1 { "" } else { "s" };
        let more = if count > named.len() { ", …" } else { "" };
        reasons.push(format!(
            "shares {count} partner{plural} ({}{more})",
            names(named)
        ));
    }
    if !associations.is_empty() {
        reasons.push(format!(
            "is in the same association ({})",
            names(associations)
        ));
    }
    if !s.shared_areas.is_empty() {
        reasons.push(format!(
            "cooperates in the same areas ({})",
            s.shared_areas.join(", ")
        ));
    }
    if let Some((a, b, count)) = s.country_pair {
        if count > 0 {
            let plural = if count == 1 { "" } else { "s" };
            let between = if a == b {
                format!("cities of {} are partners of each other", a.as_str())
            } else {
                format!("cities of {} and {} are partners", a.as_str(), b.as_str())
            };
            reasons.push(format!("{between} {count} time{plural}"));
        }
    }
    if let Some(km) = s.distance_km {
        reasons.push(format!("is {km:.0} km away"));
    }
    if reasons.is_empty() {
        format!("{} ranks by its degree alone", node.name)
    } else {
        format!("{} {}", node.name, reasons.join("; "))
    }
}

/// The node of `scope` with this id, which must be of `kind`.
fn node_of_kind(scope: &Scope, id: &NodeId, kind: NodeKind) -> Result<NodeIx, ServiceError> {
    let ix = scope
        .graph
        .index_of(id)
        .ok_or_else(|| ServiceError::NotFound {
            what: "node",
            id: id.to_string(),
            field: None,
        })?;
    let found = scope.graph.node_kind(ix);
    if found == kind {
        return Ok(ix);
    }
    let detail = match kind {
        NodeKind::City => format!(
            "`{id}` is {}; partners are suggested for cities (ask /api/v1/associations/{{id}}/partners for an association)",
            found.with_article()
        ),
        _ => format!(
            "`{id}` is {}, not {}",
            found.with_article(),
            kind.with_article()
        ),
    };
    Err(ServiceError::WrongKind {
        field: "id".into(),
        detail,
    })
}

/// The member cities of an association by active membership links, in id order.
fn members_of(scope: &Scope, association: NodeIx) -> Vec<NodeIx> {
    let mut members: Vec<NodeIx> = scope
        .graph
        .neighbours(association)
        .filter(|(v, links)| {
            scope.graph.node_kind(*v) == NodeKind::City
                && links.iter().any(|l| {
                    let entry = scope.graph.link(l);
                    entry.kind == LinkKind::Membership && entry.status == LinkStatus::Active
                })
        })
        .map(|(v, _)| v)
        .collect();
    members.sort_by(|x, y| scope.graph.node_id(*x).cmp(scope.graph.node_id(*y)));
    members.dedup();
    members
}

impl Service {
    /// Ranked, explained partner suggestions for a city.
    pub fn city_partners(
        &self,
        id: &NodeId,
        request: &PartnerRequest,
    ) -> Result<CityPartners, ServiceError> {
        let query = request.query()?;
        let scope = self.scope(&request.filter);
        let u = node_of_kind(&scope, id, NodeKind::City)?;
        let suggestions = self.suggest_partners(&scope, u, &query)?;
        Ok(CityPartners {
            graph_version: scope.graph.version(),
            filters: (&request.filter).into(),
            weights: query.weights.clone(),
            node: self.node_ref_of(&scope, u)?,
            items: self.explained(&scope, suggestions)?,
        })
    }

    /// Suggestions for every member city of an association (ranked in parallel), and
    /// the best member–candidate pairs across it.
    pub fn association_partners(
        &self,
        id: &NodeId,
        request: &PartnerRequest,
    ) -> Result<AssociationPartners, ServiceError> {
        let query = request.query()?;
        let (per_member, pairs) = request.mode()?;
        let scope = self.scope(&request.filter);
        let a = node_of_kind(&scope, id, NodeKind::Association)?;
        let members = members_of(&scope, a);
        let data = self.partner_data(&scope.graph)?;
        let history = self.partner_history(&scope, &data)?;
        // One model for every member: fitted (or found) once, before the members rank.
        let query = self.resolved(&scope, &data, &history, &query)?;
        let ranked: Vec<(NodeIx, Vec<Suggestion>)> = members
            .par_iter()
            .filter(|m| scope.view.contains(**m))
            .map(|&m| (m, partners::rank(&scope, &data, &history, m, &query)))
            .collect();
        let mut best: Vec<(f64, NodeIx, Suggestion)> = Vec::new();
        if pairs {
            for (m, list) in &ranked {
                best.extend(list.iter().cloned().map(|s| (s.score, *m, s)));
            }
            best.sort_by(|x, y| y.0.total_cmp(&x.0));
            best.truncate(query.limit);
        }
        let mut member_lists = Vec::new();
        if per_member {
            for (m, list) in ranked {
                member_lists.push(MemberPartners {
                    member: self.node_ref_of(&scope, m)?,
                    items: self.explained(&scope, list)?,
                });
            }
        }
        let mut pair_list = Vec::new();
        for (i, (_, m, s)) in best.into_iter().enumerate() {
            if let Some(mut explained) = self.explained(&scope, vec![s])?.pop() {
                explained.rank = i + 1;
                pair_list.push((self.node_ref_of(&scope, m)?, explained));
            }
        }
        Ok(AssociationPartners {
            graph_version: scope.graph.version(),
            filters: (&request.filter).into(),
            weights: query.weights,
            association: self.node_ref_of(&scope, a)?,
            member_count: members.len(),
            members: member_lists,
            pairs: pair_list,
        })
    }

    fn node_ref_of(&self, scope: &Scope, v: NodeIx) -> Result<NodeRef, ServiceError> {
        let mut refs = self.node_refs(&scope.graph, &[v])?;
        refs.pop().ok_or_else(|| ServiceError::NotFound {
            what: "node",
            id: scope.graph.node_id(v).to_string(),
            field: None,
        })
    }

    /// Ranked suggestions named and explained, ranked 1, 2, … in order.
    fn explained(
        &self,
        scope: &Scope,
        suggestions: Vec<Suggestion>,
    ) -> Result<Vec<Explained>, ServiceError> {
        suggestions
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let node = self.node_ref_of(scope, s.candidate)?;
                let mut common = s.shared_partners.clone();
                common.sort_by(|a, b| scope.graph.node_id(*a).cmp(scope.graph.node_id(*b)));
                common.truncate(MAX_NAMED);
                let shared_partners = self.node_refs(&scope.graph, &common)?;
                let shared_associations = self.node_refs(&scope.graph, &s.shared_associations)?;
                let why = why(&node, &s, &shared_partners, &shared_associations);
                Ok(Explained {
                    rank: i + 1,
                    score: s.score,
                    node,
                    components: s.components,
                    shared_partner_count: s.shared_partners.len(),
                    shared_partners,
                    shared_associations,
                    shared_areas: s.shared_areas,
                    distance_km: s.distance_km,
                    country_pair: s.country_pair.map(|(a, b, count)| CountryPair {
                        country: a.as_str().to_string(),
                        candidate_country: b.as_str().to_string(),
                        partnerships: count,
                    }),
                    why,
                })
            })
            .collect()
    }
}
