//! `/api/v1/nodes/{id}/partners` and `/api/v1/associations/{id}/partners`: ranked,
//! explained suggestions of prospective partner cities.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{path_id, ValidQuery};
use super::filters::graph_params;
use super::problem::{ApiError, Problem};
use crate::model::NodeId;
use crate::service::analysis::{Filters, NodeRef};
use crate::service::partners::{Component, Signal};
use crate::service::suggestions::{self, Explained, PartnerRequest};
use crate::service::Service;

graph_params! {
    /// What to rank by, and which candidates to consider.
    pub struct PartnerParams {
        /// One method: `learned` (an additive model over binned signals, fitted on this
        /// graph's own links; each component is the log-odds of the bin its value falls
        /// in, given as its weight, and they add up to the score), `fixed` (the fixed default
        /// weights), or one signal ranked by its raw value (`common_neighbours`,
        /// `adamic_adar`, `jaccard`, `resource_allocation`, `preferential_attachment`,
        /// `shared_associations`, `proximity`, `population_ratio`, `shared_areas`,
        /// `same_country`, `country_affinity`, `partner_countries`, `degree`).
        pub method: Option<String>,
        /// Several signals with weights, e.g. `adamic_adar:1,proximity:0.3,same_country:-0.5`;
        /// each value is scaled to 0–1 before weighting, each weight from -1000000 to
        /// 1000000. Default:
        /// `resource_allocation:1,shared_associations:0.2,proximity:0.1,same_country:-0.1`.
        pub weights: Option<String>,
        /// Suggestions to return, 1–200 (default 10; per member for an association).
        #[param(minimum = 1, maximum = 200)]
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
    /// How often cities of the two countries are partners, when both are known.
    pub country_pair: Option<CountryPairView>,
    /// The explanation in one sentence.
    pub why: String,
}

/// How often cities of two countries are partners in the graph asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountryPairView {
    /// The city's country.
    #[schema(example = "RU")]
    pub country: String,
    /// The candidate's country.
    #[schema(example = "JP")]
    pub candidate_country: String,
    /// Partnerships between cities of the two countries.
    pub partnerships: u64,
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

impl PartnerParams {
    fn request(&self) -> Result<PartnerRequest, ApiError> {
        Ok(PartnerRequest {
            filter: self.filter()?,
            method: self.method.clone(),
            weights: self.weights.clone(),
            limit: self.limit,
            country: self.country.clone(),
            exclude_country: self.exclude_country.clone(),
            within_km: self.within_km,
            mode: self.mode.clone(),
        })
    }
}

fn weights_of(weights: Vec<(Signal, f64)>) -> Vec<Weight> {
    weights
        .into_iter()
        .map(|(signal, weight)| Weight { signal, weight })
        .collect()
}

impl From<Explained> for PartnerSuggestion {
    fn from(e: Explained) -> Self {
        Self {
            rank: e.rank,
            score: e.score,
            node: e.node,
            components: e.components,
            shared_partner_count: e.shared_partner_count,
            shared_partners: e.shared_partners,
            shared_associations: e.shared_associations,
            shared_areas: e.shared_areas,
            distance_km: e.distance_km,
            country_pair: e.country_pair.map(|p| CountryPairView {
                country: p.country,
                candidate_country: p.candidate_country,
                partnerships: p.partnerships,
            }),
            why: e.why,
        }
    }
}

impl From<suggestions::CityPartners> for Partners {
    fn from(answer: suggestions::CityPartners) -> Self {
        Self {
            graph_version: answer.graph_version,
            filters: answer.filters,
            weights: weights_of(answer.weights),
            node: answer.node,
            items: answer.items.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<suggestions::AssociationPartners> for AssociationPartners {
    fn from(answer: suggestions::AssociationPartners) -> Self {
        Self {
            graph_version: answer.graph_version,
            filters: answer.filters,
            weights: weights_of(answer.weights),
            association: answer.association,
            member_count: answer.member_count,
            members: answer
                .members
                .into_iter()
                .map(|m| MemberPartners {
                    member: m.member,
                    items: m.items.into_iter().map(Into::into).collect(),
                })
                .collect(),
            pairs: answer
                .pairs
                .into_iter()
                .map(|(member, suggestion)| PairSuggestion {
                    member,
                    suggestion: suggestion.into(),
                })
                .collect(),
        }
    }
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
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The node is of another kind (`wrong_node_kind`), or `method` and `weights` given together (`conflicting_parameters`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_node_partners(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<PartnerParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let request = params.0.request()?;
    super::answer(service, move |svc| {
        Ok(Partners::from(svc.city_partners(&id, &request)?))
    })
    .await
}

/// Partner suggestions for an association's members
///
/// Each member city's suggestions (`mode=members`), the best member–candidate pairs
/// across the association (`mode=pairs`), or both.
#[utoipa::path(get, path = "/api/v1/associations/{id}/partners", tag = "partners",
    params(("id" = String, Path, description = "Association id", example = "association:ru-far-east-siberia-mayors-japan-friendship"), PartnerParams),
    responses(
        (status = 200, description = "Suggestions", body = AssociationPartners),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The node is of another kind (`wrong_node_kind`), or `method` and `weights` given together (`conflicting_parameters`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_association_partners(
    service: web::Data<Service>,
    id: web::Path<String>,
    params: ValidQuery<PartnerParams>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, NodeId::new)?;
    let request = params.0.request()?;
    super::answer_heavy(service, move |svc| {
        Ok(AssociationPartners::from(
            svc.association_partners(&id, &request)?,
        ))
    })
    .await
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/nodes/{id}/partners", super::get().to(get_node_partners))
        .route(
            "/associations/{id}/partners",
            super::get().to(get_association_partners),
        );
}
