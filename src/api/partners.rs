//! `/api/v1/nodes/{id}/partners` and `/api/v1/associations/{id}/partners`: ranked,
//! explained suggestions of prospective partner cities.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{path_id, ValidQuery};
use super::filters::graph_params;
use super::problem::{ApiError, Problem, ProblemCode};
use crate::graph::NodeIx;
use crate::model::{CountryCode, LinkKind, NodeId, NodeKind};
use crate::service::analysis::{Filters, NodeRef, Scope};
use crate::service::partners::{
    parse_weights, Component, PartnerQuery, Signal, Suggestion, DEFAULT_WEIGHTS,
};
use crate::service::{Service, ServiceError};

/// Most suggestions per list.
const MAX_SUGGESTIONS: usize = 200;
/// Shared partners named per suggestion (the count is always whole).
const MAX_NAMED: usize = 20;

graph_params! {
    /// What to rank by, and which candidates to consider.
    pub struct PartnerParams {
        /// One method, ranked by its raw value (`common_neighbours`, `adamic_adar`, `jaccard`,
        /// `resource_allocation`, `preferential_attachment`, `shared_associations`,
        /// `proximity`, `population_ratio`, `shared_areas`).
        pub method: Option<String>,
        /// Several signals with weights, e.g. `adamic_adar:1,proximity:0.3,same_country:-0.5`;
        /// each value is scaled to 0–1 before weighting, each weight from -1000000 to
        /// 1000000. Default:
        /// `resource_allocation:1,shared_associations:0.2,proximity:0.1,same_country:-0.1`.
        pub weights: Option<String>,
        /// Suggestions to return, 1–200 (default 10; per member for an association).
        pub limit: Option<usize>,
        /// Only candidates in this country (ISO 3166-1 alpha-2).
        pub country: Option<String>,
        /// No candidates in this country.
        pub exclude_country: Option<String>,
        /// Only candidates within this many kilometres.
        pub within_km: Option<f64>,
        /// For an association: best pairs across all members (`pairs`) as well as each
        /// member's list (`members`, the default), or both (`both`).
        pub mode: Option<String>,
    }
}

/// One suggested partner, with why.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerSuggestion {
    /// 1-based rank.
    pub rank: usize,
    /// The score the ranking is by.
    pub score: f64,
    /// The candidate city.
    pub node: NodeRef,
    /// Every weighted signal: raw value, weight, contribution.
    pub components: Vec<Component>,
    /// How many partners the two share.
    pub shared_partner_count: usize,
    /// The shared partners (first 20 by id).
    pub shared_partners: Vec<NodeRef>,
    /// Associations both belong to.
    pub shared_associations: Vec<NodeRef>,
    /// Cooperation areas of both cities' links.
    pub shared_areas: Vec<String>,
    /// Great-circle distance, km, when both are located.
    pub distance_km: Option<f64>,
    /// The explanation in one sentence.
    pub why: String,
}

/// A signal and its weight.
#[derive(Debug, Serialize, ToSchema)]
pub struct Weight {
    /// The signal.
    pub signal: Signal,
    /// Its weight.
    pub weight: f64,
}

/// Suggestions for one city.
#[derive(Debug, Serialize, ToSchema)]
pub struct Partners {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// What the ranking is by.
    pub weights: Vec<Weight>,
    /// The city.
    pub node: NodeRef,
    /// Suggestions, best first.
    pub items: Vec<PartnerSuggestion>,
}

/// One member's suggestions.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPartners {
    /// The member city.
    pub member: NodeRef,
    /// Its suggestions, best first.
    pub items: Vec<PartnerSuggestion>,
}

/// A member and a candidate: one of the best pairs across the association.
#[derive(Debug, Serialize, ToSchema)]
pub struct PairSuggestion {
    /// The member city.
    pub member: NodeRef,
    /// The suggestion for it.
    pub suggestion: PartnerSuggestion,
}

/// Suggestions for every member of an association.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssociationPartners {
    /// Graph version read.
    pub graph_version: u64,
    /// Effective filters.
    pub filters: Filters,
    /// What the ranking is by.
    pub weights: Vec<Weight>,
    /// The association.
    pub association: NodeRef,
    /// Member cities (by active membership links).
    pub member_count: usize,
    /// Each member's suggestions (modes `members` and `both`).
    pub members: Vec<MemberPartners>,
    /// The best member–candidate pairs across the association (modes `pairs` and `both`).
    pub pairs: Vec<PairSuggestion>,
}

fn bad(field: &str, detail: String) -> ApiError {
    ApiError::new(
        ProblemCode::InvalidQuery,
        format!("{field}: {detail}"),
        Some(field.into()),
    )
}

fn country(field: &str, raw: &Option<String>) -> Result<Option<CountryCode>, ApiError> {
    raw.as_deref()
        .map(|c| {
            c.parse::<CountryCode>()
                .map_err(|e| bad(field, e.to_string()))
        })
        .transpose()
}

fn signal(field: &str, name: &str) -> Result<Signal, ApiError> {
    Signal::parse(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = Signal::ALL.iter().map(|s| s.as_str()).collect();
        bad(
            field,
            format!("`{name}` is not a signal ({})", names.join(", ")),
        )
    })
}

fn query(params: &PartnerParams) -> Result<PartnerQuery, ApiError> {
    let weights = match (&params.method, &params.weights) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "weights",
                "give `method` or `weights`, not both".into(),
            ));
        }
        (Some(method), None) => vec![(signal("method", method)?, 1.0)],
        (None, Some(raw)) => parse_weights(raw).map_err(|e| bad("weights", e))?,
        (None, None) => DEFAULT_WEIGHTS.to_vec(),
    };
    let limit = params.limit.unwrap_or(10);
    if !(1..=MAX_SUGGESTIONS).contains(&limit) {
        return Err(bad("limit", format!("must be 1–{MAX_SUGGESTIONS}")));
    }
    if let Some(km) = params.within_km {
        if !(km.is_finite() && km > 0.0) {
            return Err(bad(
                "within_km",
                "must be a positive number of kilometres".into(),
            ));
        }
    }
    Ok(PartnerQuery {
        weights,
        country: country("country", &params.country)?,
        exclude_country: country("exclude_country", &params.exclude_country)?,
        within_km: params.within_km,
        limit,
    })
}

fn weights_of(query: &PartnerQuery) -> Vec<Weight> {
    query
        .weights
        .iter()
        .map(|(signal, weight)| Weight {
            signal: *signal,
            weight: *weight,
        })
        .collect()
}

fn names(refs: &[NodeRef]) -> String {
    refs.iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Dresses ranked suggestions with names and an explanation.
fn dress(
    service: &Service,
    scope: &Scope,
    suggestions: Vec<Suggestion>,
) -> Result<Vec<PartnerSuggestion>, ServiceError> {
    suggestions
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let node = service.node_refs(&scope.graph, &[s.candidate])?.remove(0);
            let mut common = s.shared_partners.clone();
            common.sort_by(|a, b| scope.graph.node_id(*a).cmp(scope.graph.node_id(*b)));
            common.truncate(MAX_NAMED);
            let shared_partners = service.node_refs(&scope.graph, &common)?;
            let shared_associations = service.node_refs(&scope.graph, &s.shared_associations)?;
            let mut reasons = Vec::new();
            if !s.shared_partners.is_empty() {
                reasons.push(format!(
                    "shares {} partner{} ({}{})",
                    s.shared_partners.len(),
                    if s.shared_partners.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    names(&shared_partners),
                    if s.shared_partners.len() > shared_partners.len() {
                        ", …"
                    } else {
                        ""
                    }
                ));
            }
            if !shared_associations.is_empty() {
                reasons.push(format!(
                    "is in the same association ({})",
                    names(&shared_associations)
                ));
            }
            if !s.shared_areas.is_empty() {
                reasons.push(format!(
                    "cooperates in the same areas ({})",
                    s.shared_areas.join(", ")
                ));
            }
            if let Some(km) = s.distance_km {
                reasons.push(format!("is {km:.0} km away"));
            }
            let why = if reasons.is_empty() {
                format!("{} ranks by its degree alone", node.name)
            } else {
                format!("{} {}", node.name, reasons.join("; "))
            };
            Ok(PartnerSuggestion {
                rank: i + 1,
                score: s.score,
                node,
                components: s.components,
                shared_partner_count: s.shared_partners.len(),
                shared_partners,
                shared_associations,
                shared_areas: s.shared_areas,
                distance_km: s.distance_km,
                why,
            })
        })
        .collect()
}

fn city_ix(scope: &Scope, id: &NodeId) -> Result<NodeIx, ApiError> {
    let ix = scope
        .graph
        .index_of(id)
        .ok_or_else(|| ServiceError::NotFound {
            what: "node",
            id: id.to_string(),
            field: None,
        })?;
    if scope.graph.node_kind(ix) != NodeKind::City {
        return Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!("`{id}` is a {}; partners are suggested for cities (ask /api/v1/associations/{{id}}/partners for an association)", scope.graph.node_kind(ix).as_str()),
            Some("id".into()),
        ));
    }
    Ok(ix)
}

fn node_partners(
    service: &Service,
    id: NodeId,
    params: &PartnerParams,
) -> Result<Partners, ApiError> {
    let query = query(params)?;
    let filter = params.filter()?;
    let scope = service.scope(&filter);
    let u = city_ix(&scope, &id)?;
    let suggestions = service.suggest_partners(&scope, u, &query)?;
    Ok(Partners {
        graph_version: scope.graph.version(),
        filters: (&filter).into(),
        weights: weights_of(&query),
        node: service.node_refs(&scope.graph, &[u])?.remove(0),
        items: dress(service, &scope, suggestions)?,
    })
}

fn association_partners(
    service: &Service,
    id: NodeId,
    params: &PartnerParams,
) -> Result<AssociationPartners, ApiError> {
    let query = query(params)?;
    let (per_member, pairs) = match params.mode.as_deref().unwrap_or("members") {
        "members" => (true, false),
        "pairs" => (false, true),
        "both" => (true, true),
        other => {
            return Err(bad(
                "mode",
                format!("`{other}` is not `members`, `pairs` or `both`"),
            ))
        }
    };
    let filter = params.filter()?;
    let scope = service.scope(&filter);
    let a = scope
        .graph
        .index_of(&id)
        .ok_or_else(|| ServiceError::NotFound {
            what: "node",
            id: id.to_string(),
            field: None,
        })?;
    if scope.graph.node_kind(a) != NodeKind::Association {
        return Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!(
                "`{id}` is a {}, not an association",
                scope.graph.node_kind(a).as_str()
            ),
            Some("id".into()),
        ));
    }
    let mut members: Vec<NodeIx> = scope
        .graph
        .neighbours(a)
        .filter(|(v, links)| {
            scope.graph.node_kind(*v) == NodeKind::City
                && links.iter().any(|l| {
                    let entry = scope.graph.link(l);
                    entry.kind == LinkKind::Membership
                        && entry.status == crate::model::LinkStatus::Active
                })
        })
        .map(|(v, _)| v)
        .collect();
    members.sort_by(|x, y| scope.graph.node_id(*x).cmp(scope.graph.node_id(*y)));
    members.dedup();
    let ranked: Vec<(NodeIx, Vec<Suggestion>)> = {
        let data = service.partner_data(&scope.graph)?;
        use rayon::prelude::*;
        members
            .par_iter()
            .filter(|m| scope.view.contains(**m))
            .map(|&m| (m, crate::service::partners::rank(&scope, &data, m, &query)))
            .collect()
    };
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
                member: service.node_refs(&scope.graph, &[m])?.remove(0),
                items: dress(service, &scope, list)?,
            });
        }
    }
    let mut pair_list = Vec::new();
    for (i, (_, m, s)) in best.into_iter().enumerate() {
        let mut dressed = dress(service, &scope, vec![s])?;
        if let Some(mut suggestion) = dressed.pop() {
            suggestion.rank = i + 1;
            pair_list.push(PairSuggestion {
                member: service.node_refs(&scope.graph, &[m])?.remove(0),
                suggestion,
            });
        }
    }
    Ok(AssociationPartners {
        graph_version: scope.graph.version(),
        filters: (&filter).into(),
        weights: weights_of(&query),
        association: service.node_refs(&scope.graph, &[a])?.remove(0),
        member_count: members.len(),
        members: member_lists,
        pairs: pair_list,
    })
}

/// Partner suggestions for a city
///
/// Cities the city is not yet linked with (under the chosen link kinds, at any status),
/// ranked by link-prediction scores equal to NetworkX's (`common_neighbours`,
/// `adamic_adar`, `jaccard`, `resource_allocation`, `preferential_attachment`) and by
/// attribute signals (shared associations, proximity, population ratio, shared areas,
/// same country), each suggestion with the partners and associations it shares, its
/// distance and every component of its score.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/partners", tag = "partners",
    params(("id" = String, Path, description = "City id", example = "city:ru:blagoveshchensk"), PartnerParams),
    responses(
        (status = 200, description = "Suggestions, best first", body = Partners),
        (status = 400, description = "A bad parameter, or the node is not a city", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_node_partners(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<PartnerParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    super::answer(service, move |svc| node_partners(svc, id, &params.0)).await
}

/// Partner suggestions for an association's members
///
/// Each member city's suggestions (`mode=members`), the best member–candidate pairs
/// across the association (`mode=pairs`), or both.
#[utoipa::path(get, path = "/api/v1/associations/{id}/partners", tag = "partners",
    params(("id" = String, Path, description = "Association id", example = "association:ru-far-east-siberia-mayors-japan-friendship"), PartnerParams),
    responses(
        (status = 200, description = "Suggestions", body = AssociationPartners),
        (status = 400, description = "A bad parameter, or the node is not an association", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_association_partners(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<PartnerParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    super::answer_heavy(service, move |svc| association_partners(svc, id, &params.0)).await
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/nodes/{id}/partners", web::get().to(get_node_partners))
        .route(
            "/associations/{id}/partners",
            web::get().to(get_association_partners),
        );
}
