//! The partner finder: ranked, explained suggestions of prospective partner cities.
//!
//! A candidate is a city of the filtered graph that is not the city itself and not
//! already its partner under the chosen link kinds (any status, any date). Each
//! candidate gets signals: the five topological scores of NetworkX's link prediction
//! on the filtered graph, and attribute signals — shared associations (membership
//! links), proximity (haversine), population ratio, shared cooperation areas, same
//! country. One method ranks by its raw value (equal to NetworkX's); several, with
//! weights, rank by the weighted sum of values scaled to 0–1 (each divided by its
//! largest value among the candidates; proximity, population ratio, shared areas and
//! same country are 0–1 already).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::analysis::Scope;
use super::history::History;
use super::{Service, ServiceError};
use crate::graph::algo::link_prediction::{self, PairScores, Topological};
use crate::graph::filter::Filter;
use crate::graph::view::GraphView;
use crate::graph::{GraphSnapshot, NodeIx};
use crate::model::{CountryCode, LinkKind, LinkStatus, NodeKind};

/// A signal a suggestion can be ranked by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Shared partners (NetworkX `common_neighbors`, counted).
    CommonNeighbours,
    /// NetworkX `adamic_adar_index`.
    AdamicAdar,
    /// NetworkX `jaccard_coefficient`.
    Jaccard,
    /// NetworkX `resource_allocation_index`.
    ResourceAllocation,
    /// NetworkX `preferential_attachment`.
    PreferentialAttachment,
    /// Associations both cities are members of.
    SharedAssociations,
    /// 1 / (1 + distance / 1000 km); 0 when a location is unknown.
    Proximity,
    /// Smaller population over larger; 0 when one is unknown.
    PopulationRatio,
    /// Jaccard similarity of the cooperation areas of the two cities' links.
    SharedAreas,
    /// 1 when both are in the same country (give it a negative weight as a penalty).
    SameCountry,
    /// How much more often cities of the two countries are partners than chance
    /// predicts: the log of the smoothed country-pair lift (see `service::history`).
    CountryAffinity,
    /// Share of the candidate's partners in the city's country, averaged with the
    /// reverse.
    PartnerCountries,
    /// `ln(1 + deg u) + ln(1 + deg v)`.
    Degree,
}

impl Signal {
    /// Every signal.
    pub const ALL: [Signal; 13] = [
        Signal::CommonNeighbours,
        Signal::AdamicAdar,
        Signal::Jaccard,
        Signal::ResourceAllocation,
        Signal::PreferentialAttachment,
        Signal::SharedAssociations,
        Signal::Proximity,
        Signal::PopulationRatio,
        Signal::SharedAreas,
        Signal::SameCountry,
        Signal::CountryAffinity,
        Signal::PartnerCountries,
        Signal::Degree,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::CommonNeighbours => "common_neighbours",
            Signal::AdamicAdar => "adamic_adar",
            Signal::Jaccard => "jaccard",
            Signal::ResourceAllocation => "resource_allocation",
            Signal::PreferentialAttachment => "preferential_attachment",
            Signal::SharedAssociations => "shared_associations",
            Signal::Proximity => "proximity",
            Signal::PopulationRatio => "population_ratio",
            Signal::SharedAreas => "shared_areas",
            Signal::SameCountry => "same_country",
            Signal::CountryAffinity => "country_affinity",
            Signal::PartnerCountries => "partner_countries",
            Signal::Degree => "degree",
        }
    }

    /// The topological method behind a signal, if it is one.
    pub fn topological(self) -> Option<Topological> {
        match self {
            Signal::CommonNeighbours => Some(Topological::CommonNeighbours),
            Signal::AdamicAdar => Some(Topological::AdamicAdar),
            Signal::Jaccard => Some(Topological::Jaccard),
            Signal::ResourceAllocation => Some(Topological::ResourceAllocation),
            Signal::PreferentialAttachment => Some(Topological::PreferentialAttachment),
            _ => None,
        }
    }

    /// Whether values already lie in 0–1 (no scaling by the largest).
    fn is_unit(self) -> bool {
        matches!(
            self,
            Signal::Proximity | Signal::PopulationRatio | Signal::SharedAreas | Signal::SameCountry
        )
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// The default ranking: resource allocation (the best of the single methods on the
/// real network, see the README's evaluation), with shared associations and proximity
/// as tie-breaking support and a mild same-country penalty.
pub const DEFAULT_WEIGHTS: [(Signal, f64); 4] = [
    (Signal::ResourceAllocation, 1.0),
    (Signal::SharedAssociations, 0.2),
    (Signal::Proximity, 0.1),
    (Signal::SameCountry, -0.1),
];

/// Largest weight (either sign) a signal may be given: sums of weighted values stay finite.
pub const MAX_WEIGHT: f64 = 1e6;

/// Parses `signal:weight,signal:weight` (a bare signal weighs 1; each weight from
/// -1000000 to 1000000).
pub fn parse_weights(raw: &str) -> Result<Vec<(Signal, f64)>, String> {
    let parsed = raw
        .split(',')
        .map(|part| {
            let (name, weight) = part.split_once(':').unwrap_or((part, "1"));
            let signal = Signal::parse(name.trim()).ok_or_else(|| {
                let names: Vec<&str> = Signal::ALL.iter().map(|s| s.as_str()).collect();
                format!("`{name}` is not a signal ({})", names.join(", "))
            })?;
            let weight: f64 = weight
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite())
                .ok_or_else(|| format!("`{weight}` is not a number"))?;
            if weight.abs() > MAX_WEIGHT {
                return Err(format!(
                    "weight {weight} is outside -{MAX_WEIGHT}..{MAX_WEIGHT}"
                ));
            }
            Ok((signal, weight))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if parsed.is_empty() {
        return Err("name at least one signal".into());
    }
    Ok(parsed)
}

/// What to suggest.
#[derive(Clone, Debug)]
pub struct PartnerQuery {
    /// Signals and their weights; one signal ranks by its raw value.
    pub weights: Vec<(Signal, f64)>,
    /// Only candidates in this country.
    pub country: Option<CountryCode>,
    /// No candidates in this country.
    pub exclude_country: Option<CountryCode>,
    /// Only candidates within this many kilometres (candidates without a location are left out).
    pub within_km: Option<f64>,
    /// How many suggestions.
    pub limit: usize,
    /// Rank by the learned model fitted on the graph (its signals and bins replace
    /// `weights` when the ranking runs).
    pub learned: bool,
    /// The learned model's bins: each signal adds the log-odds of its value's bin
    /// (`weights` then names the signals, in the bins' order). `None`: each signal is
    /// scaled by its largest value among the candidates and weighted.
    pub bins: Option<std::sync::Arc<super::binned::Bins>>,
}

/// One signal's part in a score.
#[derive(Clone, Debug, Serialize)]
pub struct Component {
    /// The signal.
    pub signal: Signal,
    /// Its raw value for this pair.
    pub value: f64,
    /// Its weight.
    pub weight: f64,
    /// What it adds to the score.
    pub contribution: f64,
}

/// A ranked candidate, before it is dressed with names.
#[derive(Clone, Debug)]
pub struct Suggestion {
    /// The candidate.
    pub candidate: NodeIx,
    /// The score.
    pub score: f64,
    /// Every weighted signal.
    pub components: Vec<Component>,
    /// Partners the two share.
    pub shared_partners: Vec<NodeIx>,
    /// Associations both belong to.
    pub shared_associations: Vec<NodeIx>,
    /// Cooperation areas both have.
    pub shared_areas: Vec<String>,
    /// Great-circle distance, when both are located.
    pub distance_km: Option<f64>,
    /// The two countries and the partnerships between their cities, when both are
    /// known: the history the country affinity rests on.
    pub country_pair: Option<(CountryCode, CountryCode, u64)>,
}

/// Attributes the signals need, per node slot, read once per graph version.
#[derive(Debug, Default)]
pub struct PartnerData {
    version: u64,
    country: Vec<Option<CountryCode>>,
    location: Vec<Option<(f64, f64)>>,
    population: Vec<Option<u64>>,
    associations: Vec<Vec<NodeIx>>,
    areas: Vec<BTreeSet<String>>,
}

/// Earth's mean radius, km.
const EARTH_KM: f64 = 6371.0088;

/// Haversine distance in km between two (lat, lon) points in degrees.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_KM * h.sqrt().min(1.0).asin()
}

impl PartnerData {
    /// Reads node attributes and link areas from the store for `graph`'s node slots.
    fn read(service: &Service, graph: &GraphSnapshot) -> Result<Self, ServiceError> {
        let n = graph.node_bound();
        let mut data = PartnerData {
            version: graph.version(),
            country: vec![None; n],
            location: vec![None; n],
            population: vec![None; n],
            associations: vec![Vec::new(); n],
            areas: vec![BTreeSet::new(); n],
        };
        for node in service.store.scan_nodes() {
            let node = node?;
            if let Some(ix) = graph.index_of(&node.id) {
                let i = ix as usize;
                data.country[i] = node.country;
                data.location[i] = node.location.map(|l| (l.lat, l.lon));
                data.population[i] = node.population;
            }
        }
        for link in service.store.scan_links() {
            let link = link?;
            let members: Vec<NodeIx> = link
                .members
                .iter()
                .filter_map(|m| graph.index_of(m))
                .collect();
            match link.kind {
                LinkKind::Membership if link.status == LinkStatus::Active && members.len() == 2 => {
                    data.associations[members[0] as usize].push(members[1]);
                }
                LinkKind::Twinning | LinkKind::Friendship | LinkKind::Trilateral => {
                    for m in &members {
                        data.areas[*m as usize].extend(link.areas.iter().cloned());
                    }
                }
                _ => {}
            }
        }
        for list in &mut data.associations {
            list.sort_unstable();
            list.dedup();
        }
        Ok(data)
    }

    /// The raw value of `signal` for the pair `u`–`v` (`scores`: their topological scores).
    pub fn value(
        &self,
        u: NodeIx,
        v: NodeIx,
        scores: &PairScores,
        signal: Signal,
        history: &History,
    ) -> f64 {
        if let Some(method) = signal.topological() {
            return method.of(scores);
        }
        match signal {
            Signal::CountryAffinity => history.affinity(u, v, false),
            Signal::PartnerCountries => history.partner_countries(u, v, false),
            Signal::Degree => history.degree(u, v, false),
            Signal::SharedAssociations => {
                let other = &self.associations[v as usize];
                self.associations[u as usize]
                    .iter()
                    .filter(|x| other.binary_search(x).is_ok())
                    .count() as f64
            }
            Signal::Proximity => self
                .distance(u, v)
                .map_or(0.0, |d| 1.0 / (1.0 + d / 1000.0)),
            Signal::PopulationRatio => {
                match (self.population[u as usize], self.population[v as usize]) {
                    (Some(a), Some(b)) if a > 0 && b > 0 => a.min(b) as f64 / a.max(b) as f64,
                    _ => 0.0,
                }
            }
            Signal::SharedAreas => {
                let (areas_u, areas_v) = (&self.areas[u as usize], &self.areas[v as usize]);
                let union = areas_u.union(areas_v).count();
                if union == 0 {
                    0.0
                } else {
                    areas_u.intersection(areas_v).count() as f64 / union as f64
                }
            }
            Signal::SameCountry => {
                let (a, b) = (self.country[u as usize], self.country[v as usize]);
                f64::from(u8::from(a.is_some() && a == b))
            }
            _ => 0.0,
        }
    }

    /// The great-circle distance between two node slots, km, when both are located.
    pub fn distance_km(&self, a: NodeIx, b: NodeIx) -> Option<f64> {
        self.distance(a, b)
    }

    /// The country of a node slot.
    pub fn country_of(&self, v: NodeIx) -> Option<CountryCode> {
        self.country.get(v as usize).copied().flatten()
    }

    fn distance(&self, a: NodeIx, b: NodeIx) -> Option<f64> {
        Some(haversine_km(
            self.location[a as usize]?,
            self.location[b as usize]?,
        ))
    }

    fn shared_associations(&self, a: NodeIx, b: NodeIx) -> Vec<NodeIx> {
        let other = &self.associations[b as usize];
        self.associations[a as usize]
            .iter()
            .copied()
            .filter(|x| other.binary_search(x).is_ok())
            .collect()
    }
}

impl Service {
    /// The partner data of the current snapshot (read once per graph version).
    pub fn partner_data(&self, graph: &GraphSnapshot) -> Result<Arc<PartnerData>, ServiceError> {
        let mut slot = self.partners.lock().map_err(|_| ServiceError::Poisoned)?;
        if let Some(data) = slot.as_ref() {
            if data.version == graph.version() {
                return Ok(Arc::clone(data));
            }
        }
        let fresh = Arc::new(PartnerData::read(self, graph)?);
        *slot = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    /// Ranked suggestions for the city `u` of `scope`.
    pub fn suggest_partners(
        &self,
        scope: &Scope,
        u: NodeIx,
        query: &PartnerQuery,
    ) -> Result<Vec<Suggestion>, ServiceError> {
        let data = self.partner_data(&scope.graph)?;
        let history = self.partner_history(scope, &data)?;
        let query = self.resolved(scope, &data, &history, query)?;
        Ok(rank(scope, &data, &history, u, &query))
    }
}

/// Partners of `u` under the filter's link kinds, at any status or date.
pub fn existing_partners(scope: &Scope, u: NodeIx) -> HashSet<NodeIx> {
    scope
        .graph
        .neighbours(u)
        .filter(|(_, links)| {
            links
                .iter()
                .any(|l| scope.filter.kinds & Filter::kind_bits(&[scope.graph.link(l).kind]) != 0)
        })
        .map(|(v, _)| v)
        .collect()
}

/// Ranks every candidate of `u` (see the module documentation).
pub fn rank(
    scope: &Scope,
    data: &PartnerData,
    history: &History,
    u: NodeIx,
    query: &PartnerQuery,
) -> Vec<Suggestion> {
    let partners = existing_partners(scope, u);
    rank_in(
        &scope.view,
        &scope.graph,
        data,
        history,
        u,
        query,
        &partners,
    )
}

/// Ranks the candidates of `u` in `view`, leaving out `partners` (the evaluation ranks
/// in a graph with some links hidden, so it names the partners itself).
pub fn rank_in(
    view: &GraphView,
    graph: &GraphSnapshot,
    data: &PartnerData,
    history: &History,
    u: NodeIx,
    query: &PartnerQuery,
    partners: &HashSet<NodeIx>,
) -> Vec<Suggestion> {
    let admissible = |v: NodeIx| -> bool {
        if v == u
            || partners.contains(&v)
            || !view.contains(v)
            || graph.node_kind(v) != NodeKind::City
        {
            return false;
        }
        let country = data.country[v as usize];
        if query.country.is_some() && country != query.country {
            return false;
        }
        if query.exclude_country.is_some() && country == query.exclude_country {
            return false;
        }
        match query.within_km {
            Some(limit) => data.distance(u, v).is_some_and(|d| d <= limit),
            None => true,
        }
    };
    let weights = &query.weights;
    let needs_everyone = weights.iter().any(|(s, w)| {
        *w != 0.0
            && !matches!(
                s,
                Signal::CommonNeighbours
                    | Signal::AdamicAdar
                    | Signal::Jaccard
                    | Signal::ResourceAllocation
            )
    });
    let topo: HashMap<NodeIx, PairScores> = link_prediction::two_hop(view, u)
        .into_iter()
        .filter(|s| admissible(s.candidate))
        .map(|s| (s.candidate, s))
        .collect();
    let candidates: Vec<NodeIx> = if needs_everyone {
        view.nodes().filter(|v| admissible(*v)).collect()
    } else {
        let mut only: Vec<NodeIx> = topo.keys().copied().collect();
        only.sort_unstable();
        only
    };
    let areas_u = &data.areas[u as usize];
    let raw =
        |v: NodeIx, scores: &PairScores, signal: Signal| data.value(u, v, scores, signal, history);
    // Values in one flat table (row-major: candidate × signal); topological scores are
    // kept only for candidates that share a partner (the others are all zero but for
    // preferential attachment, which is recomputed for the few that make the list).
    let width = weights.len();
    let mut values: Vec<f64> = Vec::with_capacity(candidates.len() * width);
    for &v in &candidates {
        match topo.get(&v) {
            Some(scores) => values.extend(weights.iter().map(|(s, _)| raw(v, scores, *s))),
            None => {
                let scores = link_prediction::unconnected(view, u, v);
                values.extend(weights.iter().map(|(s, _)| raw(v, &scores, *s)));
            }
        }
    }
    let single = width == 1;
    let scale: Vec<f64> = weights
        .iter()
        .enumerate()
        .map(|(i, (signal, _))| {
            if single || signal.is_unit() || query.bins.is_some() {
                return 1.0;
            }
            let max = values
                .iter()
                .skip(i)
                .step_by(width)
                .fold(0.0, |m: f64, x| m.max(*x));
            if max > 0.0 {
                1.0 / max
            } else {
                1.0
            }
        })
        .collect();
    let factor: Vec<f64> = weights
        .iter()
        .zip(&scale)
        .map(|((_, w), s)| w * s)
        .collect();
    // What each signal at a value adds: its bin's log-odds for the learned model,
    // weight × scaled value otherwise.
    let part = |i: usize, x: f64| -> f64 {
        match &query.bins {
            Some(bins) => bins.contribution(i, x),
            None => x * factor[i],
        }
    };
    let mut scored: Vec<(f64, NodeIx, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(row, &v)| {
            let cells = &values[row * width..(row + 1) * width];
            let score = cells
                .iter()
                .enumerate()
                .map(|(i, x)| part(i, *x))
                .sum::<f64>();
            (score, v, row)
        })
        .collect();
    let order = |a: &(f64, NodeIx, usize), b: &(f64, NodeIx, usize)| {
        b.0.total_cmp(&a.0)
            .then_with(|| graph.node_id(a.1).cmp(graph.node_id(b.1)))
    };
    if scored.len() > query.limit {
        // Ties at the cut are broken by id, as the full sort would.
        scored.select_nth_unstable_by(query.limit, order);
        scored.truncate(query.limit);
    }
    scored.sort_by(order);
    scored
        .into_iter()
        .map(|(score, v, row)| {
            let cells = &values[row * width..(row + 1) * width];
            let components = weights
                .iter()
                .zip(cells)
                .enumerate()
                .map(|(i, ((signal, weight), value))| {
                    let contribution = part(i, *value);
                    Component {
                        signal: *signal,
                        value: *value,
                        // A bin's log-odds is its weight: it is what the value adds.
                        weight: if query.bins.is_some() {
                            contribution
                        } else {
                            *weight
                        },
                        contribution,
                    }
                })
                .collect();
            let areas_v = &data.areas[v as usize];
            Suggestion {
                candidate: v,
                score,
                components,
                shared_partners: topo.get(&v).map(|t| t.common.clone()).unwrap_or_default(),
                shared_associations: data.shared_associations(u, v),
                shared_areas: areas_u.intersection(areas_v).cloned().collect(),
                distance_km: data.distance(u, v),
                country_pair: history.country_pair(u, v),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_known_distances() {
        // Blagoveshchensk – Heihe, across the Amur: a few kilometres.
        let d = haversine_km((50.2907, 127.5272), (50.2451, 127.4880));
        assert!(d > 3.0 && d < 8.0, "{d}");
        // Moscow – Tokyo ≈ 7,480 km.
        let d = haversine_km((55.7558, 37.6173), (35.6762, 139.6503));
        assert!((d - 7480.0).abs() < 30.0, "{d}");
    }
}
