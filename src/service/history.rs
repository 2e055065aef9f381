//! What a network's own history says of a pair of cities, for the partner finder:
//!
//! - **country affinity**: how much more often cities of the two countries are
//!   partners than the countries' numbers of partnerships predict — the lift
//!   `(n + 1) / (e + 1)`, where `n` counts the partnerships between the two countries
//!   and `e = d_a·d_b / 2m` (`d_a·d_a / 4m` within one country) is the count expected if
//!   partnerships paired their ends at random (`d`: a country's partnership ends, `m`:
//!   all partnerships), smoothed by one so that rare pairs of countries stay near 1;
//!   the signal is its natural logarithm (0 when a country is unknown);
//! - **partner countries**: the share of the candidate's partners in the city's country,
//!   averaged with the share of the city's partners in the candidate's country;
//! - **degree**: `ln(1 + deg u) + ln(1 + deg v)`, how well-connected the two are.
//!
//! Everything is counted on one graph view, between cities: the filtered graph when
//! suggesting, the view with the hidden links removed when evaluating, so no signal sees
//! a link the view lacks. For a pair that is linked in the view (a training example of
//! the learned ranking), its own link is left out of every count.

use std::collections::HashMap;

use crate::graph::view::GraphView;
use crate::graph::{GraphSnapshot, NodeIx};
use crate::model::{CountryCode, NodeKind};

/// Country-pair and degree counts of one view (see the module documentation).
#[derive(Debug, Default)]
pub struct History {
    /// Country index of each node slot (cities with a country only).
    country: Vec<Option<u16>>,
    /// The countries, by index.
    codes: Vec<CountryCode>,
    /// Partnership ends per country.
    ends: Vec<f64>,
    /// Partnerships between two countries, by their ordered indices.
    pairs: HashMap<(u16, u16), f64>,
    /// All partnerships between cities.
    links: f64,
    /// Partners (cities) of each node slot.
    degree: Vec<u32>,
    /// Partners of each node slot by country index, sorted by country.
    partner_countries: Vec<Vec<(u16, u32)>>,
}

impl History {
    /// Counts the city-to-city partnerships of `view`.
    /// `country_of` gives a node slot's country.
    pub fn of(
        view: &GraphView,
        graph: &GraphSnapshot,
        country_of: impl Fn(NodeIx) -> Option<CountryCode>,
    ) -> Self {
        let n = view.node_bound();
        let mut history = History {
            country: vec![None; n],
            degree: vec![0; n],
            partner_countries: vec![Vec::new(); n],
            ..History::default()
        };
        let mut index: HashMap<CountryCode, u16> = HashMap::new();
        let is_city = |v: NodeIx| graph.node_kind(v) == NodeKind::City;
        for v in view.nodes().filter(|v| is_city(*v)) {
            if let Some(code) = country_of(v) {
                let next = u16::try_from(index.len()).unwrap_or(u16::MAX);
                let i = *index.entry(code).or_insert(next);
                history.country[v as usize] = Some(i);
            }
        }
        let mut codes: Vec<(u16, CountryCode)> = index.iter().map(|(c, i)| (*i, *c)).collect();
        codes.sort_unstable_by_key(|(i, _)| *i);
        history.codes = codes.into_iter().map(|(_, c)| c).collect();
        history.ends = vec![0.0; index.len()];
        for u in view.nodes().filter(|u| is_city(*u)) {
            let mut by_country: HashMap<u16, u32> = HashMap::new();
            for &v in view.neighbours(u) {
                if !is_city(v) {
                    continue;
                }
                history.degree[u as usize] += 1;
                if let Some(c) = history.country[v as usize] {
                    *by_country.entry(c).or_default() += 1;
                }
                if v > u {
                    history.links += 1.0;
                    if let (Some(a), Some(b)) =
                        (history.country[u as usize], history.country[v as usize])
                    {
                        *history.pairs.entry((a.min(b), a.max(b))).or_default() += 1.0;
                        history.ends[a as usize] += 1.0;
                        history.ends[b as usize] += 1.0;
                    }
                }
            }
            let mut by_country: Vec<(u16, u32)> = by_country.into_iter().collect();
            by_country.sort_unstable();
            history.partner_countries[u as usize] = by_country;
        }
        history
    }

    /// The country-pair lift of `u` and `v` (see the module documentation), and the
    /// partnerships between their countries; `linked`: leave their own link out.
    pub fn lift(&self, u: NodeIx, v: NodeIx, linked: bool) -> Option<(f64, f64)> {
        let (a, b) = (self.country[u as usize]?, self.country[v as usize]?);
        let own = if linked { 1.0 } else { 0.0 };
        let links = self.links - own;
        if links <= 0.0 {
            return Some((1.0, 0.0));
        }
        let count = self
            .pairs
            .get(&(a.min(b), a.max(b)))
            .copied()
            .unwrap_or(0.0)
            - own;
        let (ea, eb) = (self.ends[a as usize] - own, self.ends[b as usize] - own);
        let expected = if a == b {
            ea * ea / (4.0 * links)
        } else {
            ea * eb / (2.0 * links)
        };
        Some(((count + 1.0) / (expected + 1.0), count))
    }

    /// The signal of the country-pair lift: its logarithm, 0 without both countries.
    pub fn affinity(&self, u: NodeIx, v: NodeIx, linked: bool) -> f64 {
        self.lift(u, v, linked).map_or(0.0, |(lift, _)| lift.ln())
    }

    /// The mean of the share of `v`'s partners in `u`'s country and of `u`'s partners in
    /// `v`'s country; `linked`: leave their own link out.
    pub fn partner_countries(&self, u: NodeIx, v: NodeIx, linked: bool) -> f64 {
        let share = |of: NodeIx, other: NodeIx| -> f64 {
            let Some(c) = self.country[other as usize] else {
                return 0.0;
            };
            let own = u32::from(linked);
            let degree = self.degree[of as usize].saturating_sub(own);
            if degree == 0 {
                return 0.0;
            }
            let list = &self.partner_countries[of as usize];
            let there = list
                .binary_search_by_key(&c, |(country, _)| *country)
                .map_or(0, |i| list[i].1);
            f64::from(there.saturating_sub(own)) / f64::from(degree)
        };
        (share(v, u) + share(u, v)) / 2.0
    }

    /// `ln(1 + deg u) + ln(1 + deg v)`; `linked`: leave their own link out.
    pub fn degree(&self, u: NodeIx, v: NodeIx, linked: bool) -> f64 {
        let own = u32::from(linked);
        let ln = |x: NodeIx| f64::from(self.degree[x as usize].saturating_sub(own)).ln_1p();
        ln(u) + ln(v)
    }

    /// Partnerships between the countries of `u` and `v`, with the two codes: the
    /// history a suggestion's explanation quotes.
    pub fn country_pair(&self, u: NodeIx, v: NodeIx) -> Option<(CountryCode, CountryCode, u64)> {
        let (a, b) = (self.country[u as usize]?, self.country[v as usize]?);
        let count = self
            .pairs
            .get(&(a.min(b), a.max(b)))
            .copied()
            .unwrap_or(0.0);
        Some((self.codes[a as usize], self.codes[b as usize], count as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::filter::Filter;
    use crate::service::{link_from_json, node_from_json, Change, Service};

    /// Cities `a1`, `a2` (country AT), `b1`, `b2` (BE), `c1` (CH), and twinnings.
    fn network(links: &[(&str, &str)]) -> Service {
        let service = Service::from_store(crate::store::SledStore::temporary().unwrap()).unwrap();
        let object = |v: serde_json::Value| match v {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let mut changes = Vec::new();
        for (name, country) in [
            ("a1", "AT"),
            ("a2", "AT"),
            ("b1", "BE"),
            ("b2", "BE"),
            ("c1", "CH"),
        ] {
            let node =
                serde_json::json!({"id": name, "kind": "city", "name": name, "country": country});
            changes.push((
                String::new(),
                Change::PutNode(node_from_json(object(node)).unwrap()),
            ));
        }
        for (a, b) in links {
            let link = serde_json::json!({"kind": "twinning", "members": [a, b]});
            changes.push((
                String::new(),
                Change::PutLink(link_from_json(object(link)).unwrap()),
            ));
        }
        service.write(changes).unwrap();
        service
    }

    const LINKS: [(&str, &str); 4] = [("a1", "b1"), ("a1", "b2"), ("a2", "b1"), ("a2", "c1")];

    fn with<T>(service: &Service, f: impl FnOnce(&History, &dyn Fn(&str) -> NodeIx) -> T) -> T {
        let scope = service.scope(&Filter::default());
        let data = service.partner_data(&scope.graph).unwrap();
        let history = History::of(&scope.view, &scope.graph, |v| data.country_of(v));
        let graph = scope.graph.clone();
        let ix = move |id: &str| {
            graph
                .index_of(&crate::model::NodeId::new(id).unwrap())
                .unwrap()
        };
        f(&history, &ix)
    }

    #[test]
    fn the_country_pair_lift_is_the_hand_computed_one() {
        // 4 partnerships, 8 ends: AT 4, BE 3, CH 1.
        // AT–BE: 3 links, 4·3/8 = 1.5 expected: (3+1)/(1.5+1) = 1.6.
        // AT–CH: 1 link, 4·1/8 = 0.5: 2/1.5. BE–CH: none, 3/8: 1/1.375.
        // AT–AT: none, 4·4/16 = 1: 1/2.
        let service = network(&LINKS);
        with(&service, |h, ix| {
            let lift = |a: &str, b: &str| h.lift(ix(a), ix(b), false).unwrap().0;
            assert!((lift("a1", "b2") - 1.6).abs() < 1e-12);
            assert!((lift("a2", "c1") - 2.0 / 1.5).abs() < 1e-12);
            assert!((lift("b2", "c1") - 1.0 / 1.375).abs() < 1e-12);
            assert!((lift("a1", "a2") - 0.5).abs() < 1e-12);
            assert_eq!(h.country_pair(ix("a1"), ix("b1")).unwrap().2, 3);
            // One of a2's two partners is Belgian (b1), b2's one partner is Austrian (a1).
            assert!((h.partner_countries(ix("b2"), ix("a2"), false) - 0.75).abs() < 1e-12);
        });
    }

    #[test]
    fn a_linked_pair_sees_the_network_without_its_own_link() {
        let with_link = network(&LINKS);
        let without = network(&LINKS[1..]);
        let seen = with(&with_link, |h, ix| {
            let (u, v) = (ix("a1"), ix("b1"));
            (
                h.affinity(u, v, true),
                h.partner_countries(u, v, true),
                h.degree(u, v, true),
            )
        });
        let hidden = with(&without, |h, ix| {
            let (u, v) = (ix("a1"), ix("b1"));
            (
                h.affinity(u, v, false),
                h.partner_countries(u, v, false),
                h.degree(u, v, false),
            )
        });
        assert_eq!(seen, hidden);
    }
}
