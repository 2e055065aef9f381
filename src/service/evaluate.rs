//! Judging the partner finder on history: hide some links, predict from the rest, and
//! count how many hidden links each method ranks near the top.
//!
//! With a cutoff year, the hidden links are the partnerships first signed after it
//! (undated ones stay visible); without one (or when nothing is dated), a seeded random
//! fraction of the partnerships is hidden. Sources are the cities with at least one
//! hidden and one visible partnership (a seeded sample of at most `max_sources`).
//! precision@k and recall@k are averaged over sources; AUC is the chance that a hidden
//! link scores above a random pair of unlinked cities (ties count half), estimated on
//! `pairs` samples, as in Lü and Zhou's survey of link prediction.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use super::history::History;
use super::learned;
use super::partners::{rank_in, PartnerData, PartnerQuery, Signal, DEFAULT_WEIGHTS};
use super::{Service, ServiceError};
use crate::graph::algo::centrality::splitmix64;
use crate::graph::algo::link_prediction;
use crate::graph::filter::Filter;
use crate::graph::view::GraphView;
use crate::graph::NodeIx;
use crate::model::NodeKind;

/// How to evaluate.
#[derive(Clone, Debug)]
pub struct EvaluationSetup {
    /// Hide the partnerships signed after this year.
    pub cutoff: Option<i32>,
    /// Without a cutoff: the fraction of partnerships to hide.
    pub holdout: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// The k of precision@k and recall@k.
    pub k: usize,
    /// Most sources ranked.
    pub max_sources: usize,
    /// Pairs sampled for the AUC.
    pub pairs: usize,
    /// More weighted rankings to compare, by name.
    pub extra: Vec<(String, Vec<(Signal, f64)>)>,
}

/// One method's figures.
#[derive(Clone, Debug, Serialize)]
pub struct MethodScore {
    /// The method (`default` is the combined default ranking).
    pub method: String,
    /// Mean precision@k over sources.
    pub precision_at_k: f64,
    /// Mean recall@k over sources.
    pub recall_at_k: f64,
    /// AUC.
    pub auc: f64,
    /// Mean reciprocal rank of each source's first hidden partner within its top 100
    /// (0 when none is there).
    pub mrr: f64,
}

/// The whole evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    /// How links were hidden.
    pub split: String,
    /// Partnerships (edges of the simple graph) in all.
    pub edges: usize,
    /// Partnerships hidden.
    pub hidden: usize,
    /// Sources ranked.
    pub sources: usize,
    /// The k.
    pub k: usize,
    /// One row per method, best AUC first.
    pub methods: Vec<MethodScore>,
}

/// The methods compared: each single signal that can predict, and the default ranking.
fn methods() -> Vec<(String, Vec<(Signal, f64)>)> {
    let mut out: Vec<(String, Vec<(Signal, f64)>)> = [
        Signal::CommonNeighbours,
        Signal::AdamicAdar,
        Signal::Jaccard,
        Signal::ResourceAllocation,
        Signal::PreferentialAttachment,
        Signal::SharedAssociations,
        Signal::Proximity,
        Signal::CountryAffinity,
        Signal::PartnerCountries,
        Signal::Degree,
    ]
    .into_iter()
    .map(|s| (s.as_str().to_string(), vec![(s, 1.0)]))
    .collect();
    out.push(("default".into(), DEFAULT_WEIGHTS.to_vec()));
    out
}

/// The name of the learned ranking's row: fitted on each split's visible links only.
const LEARNED: &str = "learned";

/// Candidates ranked per source for the reciprocal rank.
const MRR_DEPTH: usize = 100;

impl Service {
    /// Runs the evaluation on the graph `filter` selects.
    pub fn evaluate_partners(
        &self,
        filter: &Filter,
        setup: &EvaluationSetup,
    ) -> Result<Evaluation, ServiceError> {
        let scope = self.scope(filter);
        let (graph, view) = (&scope.graph, &scope.view);
        let data = self.partner_data(graph)?;
        let is_city = |v: NodeIx| graph.node_kind(v) == NodeKind::City;
        // Every partnership between two cities, with the year it was first signed.
        let mut edges: Vec<(NodeIx, NodeIx, Option<i32>)> = Vec::new();
        for u in view.nodes().filter(|u| is_city(*u)) {
            for (position, &v) in view.neighbours(u).iter().enumerate() {
                if v <= u || !is_city(v) {
                    continue;
                }
                let pair = view.pair_at(view.edge_start(u) + position);
                let year = graph
                    .links_of_pair(pair)
                    .iter()
                    .map(|l| graph.link(l))
                    .filter(|e| filter.admits_link(e))
                    .filter_map(|e| e.signed.map(|d| i32::from(d.earliest().0)))
                    .min();
                edges.push((u, v, year));
            }
        }
        let mut state = setup.seed;
        let dated = edges.iter().any(|e| e.2.is_some());
        let (split, hidden_mask): (String, Vec<bool>) = match setup.cutoff {
            Some(year) if dated => (
                format!("links first signed after {year} hidden"),
                edges
                    .iter()
                    .map(|e| e.2.is_some_and(|y| y > year))
                    .collect(),
            ),
            _ => (
                format!(
                    "a random {:.0} % of links hidden (seed {})",
                    setup.holdout * 100.0,
                    setup.seed
                ),
                edges
                    .iter()
                    .map(|_| (splitmix64(&mut state) as f64 / u64::MAX as f64) < setup.holdout)
                    .collect(),
            ),
        };
        let train: Vec<(NodeIx, NodeIx)> = edges
            .iter()
            .zip(&hidden_mask)
            .filter(|(_, h)| !**h)
            .map(|(e, _)| (e.0, e.1))
            .collect();
        let train_view = GraphView::from_edges(view.node_bound(), &train);
        let mut hidden: HashMap<NodeIx, HashSet<NodeIx>> = HashMap::new();
        let mut hidden_pairs = Vec::new();
        for (e, _) in edges.iter().zip(&hidden_mask).filter(|(_, h)| **h) {
            hidden.entry(e.0).or_default().insert(e.1);
            hidden.entry(e.1).or_default().insert(e.0);
            hidden_pairs.push((e.0, e.1));
        }
        let mut sources: Vec<NodeIx> = hidden
            .keys()
            .copied()
            .filter(|u| train_view.degree(*u) > 0)
            .collect();
        sources.sort_unstable();
        for i in 0..sources.len().min(setup.max_sources) {
            let j = i + (splitmix64(&mut state) % (sources.len() - i) as u64) as usize;
            sources.swap(i, j);
        }
        sources.truncate(setup.max_sources);
        let cities: Vec<NodeIx> = view.nodes().filter(|v| is_city(*v)).collect();
        let full: HashSet<(NodeIx, NodeIx)> = edges.iter().map(|e| (e.0, e.1)).collect();
        let negatives = sample_non_edges(&cities, &full, setup.pairs, &mut state);
        let positives: Vec<(NodeIx, NodeIx)> = if hidden_pairs.is_empty() {
            Vec::new()
        } else {
            (0..setup.pairs)
                .map(|_| {
                    hidden_pairs[(splitmix64(&mut state) % hidden_pairs.len() as u64) as usize]
                })
                .collect()
        };
        let history = History::of(&train_view, graph, |v| data.country_of(v));
        // Fitted on the visible links only: the hidden ones are what it must find.
        let model = learned::fit(&train_view, graph, &data, &history, setup.seed);
        let (learned_weights, learned_bins) = model.ranking();
        tracing::debug!(
            ?learned_weights,
            intercept = model.intercept,
            pairs = model.pairs,
            seconds = model.seconds,
            "learned model"
        );
        let mut rows: Vec<MethodScore> = methods()
            .into_iter()
            .map(|(name, weights)| (name, weights, None))
            .chain(
                setup
                    .extra
                    .iter()
                    .cloned()
                    .map(|(name, weights)| (name, weights, None)),
            )
            .chain(std::iter::once((
                LEARNED.to_string(),
                learned_weights,
                Some(learned_bins),
            )))
            .map(|(name, weights, bins)| {
                let query = PartnerQuery {
                    weights: weights.clone(),
                    country: None,
                    exclude_country: None,
                    within_km: None,
                    limit: setup.k.max(MRR_DEPTH),
                    learned: false,
                    bins: bins.clone(),
                };
                let per_source: Vec<(f64, f64, f64)> = sources
                    .par_iter()
                    .map(|&u| {
                        let partners: HashSet<NodeIx> =
                            train_view.neighbours(u).iter().copied().collect();
                        let ranked =
                            rank_in(&train_view, graph, &data, &history, u, &query, &partners);
                        let truth = &hidden[&u];
                        let hits = ranked
                            .iter()
                            .take(setup.k)
                            .filter(|s| truth.contains(&s.candidate))
                            .count() as f64;
                        let first = ranked.iter().position(|s| truth.contains(&s.candidate));
                        let reciprocal = first.map_or(0.0, |i| 1.0 / (i + 1) as f64);
                        (hits / setup.k as f64, hits / truth.len() as f64, reciprocal)
                    })
                    .collect();
                let n = per_source.len().max(1) as f64;
                let pairs = Pairs {
                    view: &train_view,
                    data: &data,
                    history: &history,
                };
                MethodScore {
                    method: name,
                    precision_at_k: per_source.iter().map(|p| p.0).sum::<f64>() / n,
                    recall_at_k: per_source.iter().map(|p| p.1).sum::<f64>() / n,
                    auc: pairs.auc(&weights, bins.as_deref(), &positives, &negatives),
                    mrr: per_source.iter().map(|p| p.2).sum::<f64>() / n,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.auc
                .total_cmp(&a.auc)
                .then(b.precision_at_k.total_cmp(&a.precision_at_k))
        });
        Ok(Evaluation {
            split,
            edges: edges.len(),
            hidden: hidden_pairs.len(),
            sources: sources.len(),
            k: setup.k,
            methods: rows,
        })
    }
}

fn sample_non_edges(
    cities: &[NodeIx],
    edges: &HashSet<(NodeIx, NodeIx)>,
    count: usize,
    state: &mut u64,
) -> Vec<(NodeIx, NodeIx)> {
    let mut out = Vec::with_capacity(count);
    if cities.len() < 2 {
        return out;
    }
    let mut tries = 0;
    while out.len() < count && tries < count * 20 {
        tries += 1;
        let a = cities[(splitmix64(state) % cities.len() as u64) as usize];
        let b = cities[(splitmix64(state) % cities.len() as u64) as usize];
        let pair = (a.min(b), a.max(b));
        if a != b && !edges.contains(&pair) {
            out.push(pair);
        }
    }
    out
}

/// What the AUC of a ranking is computed over.
struct Pairs<'a> {
    view: &'a GraphView,
    data: &'a PartnerData,
    history: &'a History,
}

impl Pairs<'_> {
    /// The chance that a hidden link outscores an unlinked pair. Combined rankings scale
    /// each signal by its largest value over the sampled pairs (the per-source scaling of
    /// a ranking has no single pair); the learned model adds its bins' log-odds.
    fn auc(
        &self,
        weights: &[(Signal, f64)],
        bins: Option<&super::binned::Bins>,
        positives: &[(NodeIx, NodeIx)],
        negatives: &[(NodeIx, NodeIx)],
    ) -> f64 {
        let values = |pairs: &[(NodeIx, NodeIx)]| -> Vec<Vec<f64>> {
            pairs
                .iter()
                .map(|&(u, v)| {
                    let scores = link_prediction::pair(self.view, u, v);
                    weights
                        .iter()
                        .map(|(s, _)| self.data.value(u, v, &scores, *s, self.history))
                        .collect()
                })
                .collect()
        };
        let (pos, neg) = (values(positives), values(negatives));
        let scale: Vec<f64> = (0..weights.len())
            .map(|i| {
                let max = pos.iter().chain(&neg).map(|r| r[i]).fold(0.0, f64::max);
                if weights.len() == 1 || max <= 0.0 {
                    1.0
                } else {
                    1.0 / max
                }
            })
            .collect();
        let score = |row: &Vec<f64>| -> f64 {
            match bins {
                Some(bins) => row
                    .iter()
                    .enumerate()
                    .map(|(i, v)| bins.contribution(i, *v))
                    .sum(),
                None => row
                    .iter()
                    .zip(weights)
                    .zip(&scale)
                    .map(|((v, (_, w)), s)| v * w * s)
                    .sum(),
            }
        };
        let n = pos.len().min(neg.len());
        if n == 0 {
            return f64::NAN;
        }
        let mut total = 0.0;
        for i in 0..n {
            let (p, q) = (score(&pos[i]), score(&neg[i]));
            total += if p > q {
                1.0
            } else if p == q {
                0.5
            } else {
                0.0
            };
        }
        total / n as f64
    }
}

#[cfg(test)]
mod tests {
    //! The network of `tests/api/evaluate.rs`, worked out by hand there: A, B, C, D all
    //! partners by 1990 but C–D (2010), E alone. With a 2000 cutoff C–D is hidden; common
    //! neighbours ranks it first from C and from D among two candidates each.

    use super::*;
    use crate::service::{link_from_json, node_from_json, Change};

    fn network() -> Service {
        network_with(&[])
    }

    /// The hand-worked network plus `more` links (`a`, `b`, signed; `""` for undated).
    fn network_with(more: &[(&str, &str, &str)]) -> Service {
        let base = [
            ("a", "b", "1990"),
            ("a", "c", "1990"),
            ("b", "c", "1990"),
            ("a", "d", "1990"),
            ("b", "d", "1990"),
            ("c", "d", "2010-05"),
        ];
        let links: Vec<_> = base.iter().chain(more).copied().collect();
        cities(&["a", "b", "c", "d", "e", "f"], &links)
    }

    /// A store of Russian cities `city:ru:<name>` and twinnings between them
    /// (`a`, `b`, signed; `""` for undated).
    fn cities(names: &[&str], links: &[(&str, &str, &str)]) -> Service {
        let service = Service::from_store(crate::store::SledStore::temporary().unwrap()).unwrap();
        let object = |v: serde_json::Value| match v {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let mut changes = Vec::new();
        for c in names {
            let node = serde_json::json!({"id": format!("city:ru:{c}"), "kind": "city", "name": c, "country": "RU"});
            changes.push((
                String::new(),
                Change::PutNode(node_from_json(object(node)).unwrap()),
            ));
        }
        for &(a, b, signed) in links {
            let mut link = serde_json::json!({"kind": "twinning", "status": "active",
                "members": [format!("city:ru:{a}"), format!("city:ru:{b}")]});
            if !signed.is_empty() {
                link["signed"] = serde_json::json!(signed);
            }
            changes.push((
                String::new(),
                Change::PutLink(link_from_json(object(link)).unwrap()),
            ));
        }
        service.write(changes).unwrap();
        service
    }

    fn setup(cutoff: Option<i32>, k: usize) -> EvaluationSetup {
        EvaluationSetup {
            cutoff,
            holdout: 0.5,
            seed: 3,
            k,
            max_sources: 1000,
            pairs: 200,
            extra: vec![(
                "cn_and_jaccard".into(),
                vec![(Signal::CommonNeighbours, 1.0), (Signal::Jaccard, 1.0)],
            )],
        }
    }

    fn row<'a>(report: &'a Evaluation, method: &str) -> &'a MethodScore {
        report.methods.iter().find(|m| m.method == method).unwrap()
    }

    #[test]
    fn the_figures_worked_out_by_hand() {
        let service = network();
        let filter = Filter::default();
        let report = service
            .evaluate_partners(&filter, &setup(Some(2000), 2))
            .unwrap();
        assert_eq!(report.split, "links first signed after 2000 hidden");
        assert_eq!(
            (report.edges, report.hidden, report.sources, report.k),
            (6, 1, 2, 2)
        );
        for method in [
            "common_neighbours",
            "adamic_adar",
            "resource_allocation",
            "cn_and_jaccard",
        ] {
            let m = row(&report, method);
            assert_eq!(
                (m.precision_at_k, m.recall_at_k, m.auc),
                (0.5, 1.0, 1.0),
                "{method}"
            );
        }
        // Distance and country cannot tell the pairs apart: every pair ties, AUC ½.
        assert_eq!(row(&report, "proximity").auc, 0.5);
        // Rows are ordered by AUC, best first.
        assert!(report.methods.windows(2).all(|w| w[0].auc >= w[1].auc));
        // With k = 1 each source's one slot is its hidden partner.
        let one = service
            .evaluate_partners(&filter, &setup(Some(2000), 1))
            .unwrap();
        let m = row(&one, "common_neighbours");
        assert_eq!((m.precision_at_k, m.recall_at_k), (1.0, 1.0));
        // A cutoff after every date hides nothing: no source, no positive pair.
        let none = service
            .evaluate_partners(&filter, &setup(Some(2020), 2))
            .unwrap();
        assert_eq!((none.hidden, none.sources), (0, 0));
        assert!(row(&none, "common_neighbours").auc.is_nan());
    }

    #[test]
    fn a_random_holdout_is_seeded() {
        let service = network();
        let filter = Filter::default();
        let first = service.evaluate_partners(&filter, &setup(None, 2)).unwrap();
        assert_eq!(first.split, "a random 50 % of links hidden (seed 3)");
        assert!(first.hidden > 0 && first.hidden < 6, "{}", first.hidden);
        let again = service.evaluate_partners(&filter, &setup(None, 2)).unwrap();
        assert_eq!(
            format!("{:?}", first.methods),
            format!("{:?}", again.methods)
        );
        assert_eq!(first.hidden, again.hidden);
    }

    #[test]
    fn sampled_non_edges_are_distinct_unlinked_cities() {
        let edges: HashSet<(NodeIx, NodeIx)> = [(0, 1), (1, 2)].into_iter().collect();
        let mut state = 9;
        let pairs = sample_non_edges(&[0, 1, 2, 3], &edges, 50, &mut state);
        assert_eq!(pairs.len(), 50);
        assert!(pairs
            .iter()
            .all(|&(a, b)| a < b && !edges.contains(&(a, b))));
        assert!(sample_non_edges(&[0], &edges, 5, &mut state).is_empty());
    }

    #[test]
    fn the_cutoff_year_itself_stays_visible_and_undated_networks_fall_back_to_random() {
        let filter = Filter::default();
        let report = network()
            .evaluate_partners(&filter, &setup(Some(1990), 2))
            .unwrap();
        assert_eq!(report.hidden, 1, "links signed in 1990 are not after 1990");
        let undated = cities(&["a", "b", "c"], &[("a", "b", ""), ("b", "c", "")]);
        let report = undated
            .evaluate_partners(&filter, &setup(Some(2000), 2))
            .unwrap();
        assert_eq!(report.split, "a random 50 % of links hidden (seed 3)");
    }

    #[test]
    fn the_holdout_is_the_fraction_hidden() {
        // Every pair of seven cities: 21 undated links.
        let names = ["f", "x0", "x1", "x2", "x3", "x4", "x5"];
        let pairs: Vec<(&str, &str, &str)> = (0..7)
            .flat_map(|i| (i + 1..7).map(move |j| (i, j)))
            .map(|(i, j)| (names[i], names[j], ""))
            .collect();
        let service = cities(&names, &pairs);
        let mut small = setup(None, 2);
        small.holdout = 0.2;
        let report = service
            .evaluate_partners(&Filter::default(), &small)
            .unwrap();
        assert_eq!(report.edges, 21);
        assert!(
            (1..=8).contains(&report.hidden),
            "{} of 21 hidden at 20 %",
            report.hidden
        );
    }

    #[test]
    fn only_cities_with_a_visible_partner_are_sources_and_recall_counts_every_hidden_partner() {
        // E–F, signed after the cutoff, is hidden; neither has a visible partnership.
        let report = network_with(&[("e", "f", "2015")])
            .evaluate_partners(&Filter::default(), &setup(Some(2000), 2))
            .unwrap();
        assert_eq!((report.hidden, report.sources), (2, 2));
        // C has two hidden partners (D and E) and both are its top two; D's one hidden
        // partner (C) is in its top three; E's (C) in its top three (A's partners).
        let report = network_with(&[("a", "e", "1990"), ("c", "e", "2012")])
            .evaluate_partners(&Filter::default(), &setup(Some(2000), 3))
            .unwrap();
        assert_eq!((report.hidden, report.sources), (2, 3));
        let m = row(&report, "common_neighbours");
        assert_eq!(m.recall_at_k, 1.0, "{m:?}");
    }

    #[test]
    fn combined_rankings_scale_each_signal_by_its_largest_value() {
        // Positive pair C–D: 2 common partners (largest: 2), preferential attachment 4
        // (largest: 4); every negative pair has E, with 0 and 0. Scaled, C–D scores
        // 3 · 2/2 − 2.5 · 4/4 = 0.5 > 0: AUC 1. Unscaled it would be 6 − 10 < 0.
        let mut weighted = setup(Some(2000), 2);
        weighted.extra = vec![
            (
                "cn_against_pa".into(),
                vec![
                    (Signal::CommonNeighbours, 3.0),
                    (Signal::PreferentialAttachment, -2.5),
                ],
            ),
            ("cn_negated".into(), vec![(Signal::CommonNeighbours, -1.0)]),
            // No city has a location: proximity is 0 for every pair and is not scaled.
            (
                "cn_and_proximity".into(),
                vec![(Signal::CommonNeighbours, 1.0), (Signal::Proximity, 1.0)],
            ),
        ];
        let report = network()
            .evaluate_partners(&Filter::default(), &weighted)
            .unwrap();
        assert_eq!(row(&report, "cn_against_pa").auc, 1.0);
        assert_eq!(
            row(&report, "cn_negated").auc,
            0.0,
            "a negative weight ranks backwards"
        );
        assert_eq!(row(&report, "cn_and_proximity").auc, 1.0);
    }

    #[test]
    fn sampling_gives_up_where_every_pair_is_linked_and_works_with_two_cities() {
        let triangle: HashSet<(NodeIx, NodeIx)> = [(0, 1), (0, 2), (1, 2)].into_iter().collect();
        let mut state = 1;
        assert!(sample_non_edges(&[0, 1, 2], &triangle, 10, &mut state).is_empty());
        let two = sample_non_edges(&[4, 7], &HashSet::new(), 3, &mut state);
        assert_eq!(two, [(4, 7), (4, 7), (4, 7)]);
    }
}
