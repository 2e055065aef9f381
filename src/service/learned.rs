//! The learned ranking of the partner finder: an additive model over binned signals,
//! fitted on the network's own links.
//!
//! Training pairs come from one graph view (the filtered graph, or an evaluation's view
//! with the hidden links removed): every partnership between two cities (at most
//! [`MAX_POSITIVES`], a seeded sample) against as many pairs of cities drawn at random
//! among the unlinked ones. Uniform draws keep the base rates of the signals: drawing
//! negatives among a city's own candidates (partners of partners) makes "shares a
//! partner" look like a reason *against* a link, and ranks worse. A linked pair's
//! signals leave its own link out (see [`super::history`]).
//!
//! Each signal's values over the training pairs are cut into at most [`BINS`] bins at
//! their quantiles (repeated cut points merged, so a signal that is mostly zero has a
//! bin for zero), and a logistic regression over the bins (one indicator per bin) is
//! fitted by Newton's method with a small ridge penalty; it is deterministic for its
//! seed. A suggestion's score is the sum, over the signals, of the log-odds of the bin
//! its value falls in: an exact lookup, so every part of the score is shown and the parts
//! add up to it (the model's log-odds less its intercept). Unlike a weight per signal,
//! the bins let a signal matter in steps: sharing one partner matters much more than
//! the difference between sharing three and four.

use std::collections::HashSet;

use super::history::History;
use std::sync::Arc;

use super::analysis::Scope;
use super::partners::{PartnerData, PartnerQuery, Signal};
use super::{Service, ServiceError};
use crate::graph::algo::centrality::splitmix64;
use crate::graph::algo::link_prediction;
use crate::graph::filter::Filter;
use crate::graph::view::GraphView;
use crate::graph::{GraphSnapshot, NodeIx};
use crate::model::NodeKind;

/// The signals the learned ranking weighs.
pub const LEARNED_SIGNALS: [Signal; 9] = [
    Signal::ResourceAllocation,
    Signal::AdamicAdar,
    Signal::CommonNeighbours,
    Signal::Proximity,
    Signal::SameCountry,
    Signal::CountryAffinity,
    Signal::PartnerCountries,
    Signal::Degree,
    Signal::SharedAssociations,
];

/// Most partnerships used as positive examples.
pub const MAX_POSITIVES: usize = 50_000;

/// Ridge penalty on the bins' log-odds (not on the intercept).
const RIDGE: f64 = 1e-3;

/// Most bins per signal.
pub const BINS: usize = 20;

/// The bins of each learned signal and the log-odds each bin adds.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    /// Per signal (in [`LEARNED_SIGNALS`] order): the cut points, ascending; a value
    /// falls in the bin numbered by how many cut points are at or below it.
    pub edges: Vec<Vec<f64>>,
    /// Per signal: the log-odds of each bin (one more than its cut points).
    pub log_odds: Vec<Vec<f64>>,
}

impl Bins {
    /// The bin of `value` for signal `i`.
    pub fn bin(&self, i: usize, value: f64) -> usize {
        self.edges[i].partition_point(|e| *e <= value)
    }

    /// What signal `i` at `value` adds to a score.
    pub fn contribution(&self, i: usize, value: f64) -> f64 {
        self.log_odds
            .get(i)
            .and_then(|odds| odds.get(self.bin(i, value)))
            .copied()
            .unwrap_or(0.0)
    }
}

/// A fitted model.
#[derive(Clone, Debug)]
pub struct Model {
    /// The bins of each of [`LEARNED_SIGNALS`] and their log-odds.
    pub bins: Arc<Bins>,
    /// The intercept (log-odds of a pair whose every bin adds 0).
    pub intercept: f64,
    /// Training pairs (positive and negative).
    pub pairs: usize,
    /// Seconds the fit took.
    pub seconds: f64,
}

impl Model {
    /// The signals as a ranking (each weighted 1: its bins carry the weight) and the
    /// bins that go with them.
    pub fn ranking(&self) -> (Vec<(Signal, f64)>, Arc<Bins>) {
        (
            LEARNED_SIGNALS.iter().map(|s| (*s, 1.0)).collect(),
            Arc::clone(&self.bins),
        )
    }
}

/// The raw value of `signal` for `u`–`v`; `linked`: the pair is linked in `view`, and its
/// own link is left out of the history-based signals.
pub fn signal_value(
    view: &GraphView,
    data: &PartnerData,
    history: &History,
    u: NodeIx,
    v: NodeIx,
    signal: Signal,
    linked: bool,
) -> f64 {
    match signal {
        Signal::CountryAffinity => history.affinity(u, v, linked),
        Signal::PartnerCountries => history.partner_countries(u, v, linked),
        Signal::Degree => history.degree(u, v, linked),
        _ => {
            let scores = link_prediction::pair(view, u, v);
            data.value(u, v, &scores, signal, history)
        }
    }
}

/// Fits the model on `view` (see the module documentation).
pub fn fit(
    view: &GraphView,
    graph: &GraphSnapshot,
    data: &PartnerData,
    history: &History,
    seed: u64,
) -> Model {
    let started = std::time::Instant::now();
    let is_city = |v: NodeIx| graph.node_kind(v) == NodeKind::City;
    let cities: Vec<NodeIx> = view.nodes().filter(|v| is_city(*v)).collect();
    let mut positives: Vec<(NodeIx, NodeIx)> = Vec::new();
    for &u in &cities {
        for &v in view.neighbours(u) {
            if v > u && is_city(v) {
                positives.push((u, v));
            }
        }
    }
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    if positives.len() > MAX_POSITIVES {
        for i in 0..MAX_POSITIVES {
            let j = i + (splitmix64(&mut state) % (positives.len() - i) as u64) as usize;
            positives.swap(i, j);
        }
        positives.truncate(MAX_POSITIVES);
    }
    let linked = |a: NodeIx, b: NodeIx| view.neighbours(a).binary_search(&b).is_ok();
    let mut negatives: Vec<(NodeIx, NodeIx)> = Vec::with_capacity(positives.len());
    let mut seen: HashSet<(NodeIx, NodeIx)> = HashSet::new();
    let mut tries = 0;
    while negatives.len() < positives.len() && tries < positives.len() * 40 && cities.len() > 1 {
        tries += 1;
        let u = cities[(splitmix64(&mut state) % cities.len() as u64) as usize];
        let v = cities[(splitmix64(&mut state) % cities.len() as u64) as usize];
        let pair = (u.min(v), u.max(v));
        if u == v || linked(u, v) || !seen.insert(pair) {
            continue;
        }
        negatives.push(pair);
    }
    let rows: Vec<(Vec<f64>, f64)> = positives
        .iter()
        .map(|&(u, v)| (u, v, true))
        .chain(negatives.iter().map(|&(u, v)| (u, v, false)))
        .map(|(u, v, is_link)| {
            let x = LEARNED_SIGNALS
                .iter()
                .map(|s| signal_value(view, data, history, u, v, *s, is_link))
                .collect();
            (x, if is_link { 1.0 } else { 0.0 })
        })
        .collect();
    let (bins, intercept) = binned_logistic(&rows, BINS);
    Model {
        bins: Arc::new(bins),
        intercept,
        pairs: rows.len(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Cut points of `values` at the `1/bins … (bins-1)/bins` positions of their sorted
/// order, repeated ones merged. A value repeated past a bin's share (zero, for the
/// signals of shared partners) also gets the next larger value as a cut point, so it is
/// a bin of its own, apart from the values just above it; a cut point at the smallest
/// value would leave an empty bin below it, and is dropped.
fn quantile_edges(mut values: Vec<f64>, bins: usize) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let share = values.len() / bins.max(1);
    let mut edges: Vec<f64> = (1..bins)
        .filter_map(|q| values.get(q * values.len() / bins).copied())
        .collect();
    edges.dedup();
    let above: Vec<f64> = edges
        .iter()
        .filter_map(|e| {
            let first = values.partition_point(|v| v < e);
            let after = values.partition_point(|v| v <= e);
            (after - first >= share.max(1))
                .then(|| values.get(after).copied())
                .flatten()
        })
        .collect();
    edges.extend(above);
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    if let Some(&smallest) = values.first() {
        edges.retain(|e| *e > smallest);
    }
    edges
}

/// Logistic regression over binned features (see the module documentation): the bins
/// with their log-odds, and the intercept.
// Dense matrix arithmetic reads plainest with indices.
#[allow(clippy::needless_range_loop)]
pub fn binned_logistic(rows: &[(Vec<f64>, f64)], bins: usize) -> (Bins, f64) {
    let width = rows.first().map_or(0, |r| r.0.len());
    let edges: Vec<Vec<f64>> = (0..width)
        .map(|j| quantile_edges(rows.iter().map(|r| r.0[j]).collect(), bins))
        .collect();
    let mut offsets = Vec::with_capacity(width);
    let mut dim = 0;
    for e in &edges {
        offsets.push(dim);
        dim += e.len() + 1;
    }
    let intercept_at = dim;
    dim += 1;
    // Each row as the indices of its bins (one per signal) and the intercept.
    let active: Vec<(Vec<usize>, f64)> = rows
        .iter()
        .map(|(x, y)| {
            let mut at: Vec<usize> = x
                .iter()
                .enumerate()
                .map(|(j, v)| offsets[j] + edges[j].partition_point(|e| *e <= *v))
                .collect();
            at.push(intercept_at);
            (at, *y)
        })
        .collect();
    let n = rows.len().max(1) as f64;
    let mut beta = vec![0.0; dim];
    for _ in 0..50 {
        let mut gradient = vec![0.0; dim];
        let mut hessian = vec![vec![0.0; dim]; dim];
        for (at, y) in &active {
            let z: f64 = at.iter().map(|i| beta[*i]).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let w = (p * (1.0 - p)).max(1e-12);
            for &i in at {
                gradient[i] += y - p;
                for &j in at {
                    hessian[i][j] += w;
                }
            }
        }
        for i in 0..intercept_at {
            gradient[i] -= RIDGE * n * beta[i];
            hessian[i][i] += RIDGE * n;
        }
        let Some(step) = solve(hessian, gradient) else {
            break;
        };
        let size: f64 = step.iter().map(|s| s.abs()).fold(0.0, f64::max);
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
        }
        if size < 1e-9 {
            break;
        }
    }
    let log_odds = edges
        .iter()
        .enumerate()
        .map(|(j, e)| beta[offsets[j]..offsets[j] + e.len() + 1].to_vec())
        .collect();
    (Bins { edges, log_odds }, beta[intercept_at])
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
#[allow(clippy::needless_range_loop)]
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let factor = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= factor * a[col][k];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    Some(x)
}

impl Service {
    /// The history counts of `scope`'s view (made once per graph version and filter).
    pub fn partner_history(
        &self,
        scope: &Scope,
        data: &PartnerData,
    ) -> Result<Arc<History>, ServiceError> {
        let mut slot = self
            .partner_models
            .lock()
            .map_err(|_| ServiceError::Poisoned)?;
        if let Some(kept) = slot.get(scope.graph.version(), &scope.filter) {
            return Ok(Arc::clone(&kept.history));
        }
        let history = Arc::new(History::of(&scope.view, &scope.graph, |v| {
            data.country_of(v)
        }));
        slot.keep(
            scope.graph.version(),
            &scope.filter,
            Arc::clone(&history),
            None,
        );
        Ok(history)
    }

    /// The learned model of `scope`'s view, fitted once per graph version and filter.
    pub fn learned_model(
        &self,
        scope: &Scope,
        data: &PartnerData,
        history: &Arc<History>,
    ) -> Result<Arc<Model>, ServiceError> {
        {
            let slot = self
                .partner_models
                .lock()
                .map_err(|_| ServiceError::Poisoned)?;
            if let Some(model) = slot
                .get(scope.graph.version(), &scope.filter)
                .and_then(|kept| kept.model.clone())
            {
                return Ok(model);
            }
        }
        let model = Arc::new(fit(&scope.view, &scope.graph, data, history, 1));
        tracing::info!(
            pairs = model.pairs,
            ms = (model.seconds * 1000.0) as u64,
            version = scope.graph.version(),
            "partner model fitted"
        );
        let mut slot = self
            .partner_models
            .lock()
            .map_err(|_| ServiceError::Poisoned)?;
        slot.keep(
            scope.graph.version(),
            &scope.filter,
            Arc::clone(history),
            Some(Arc::clone(&model)),
        );
        Ok(model)
    }

    /// The learned model of the graph `filter` selects (fitted, or kept from an
    /// earlier question at this graph version).
    pub fn partner_model(&self, filter: &Filter) -> Result<Arc<Model>, ServiceError> {
        let scope = self.scope(filter);
        let data = self.partner_data(&scope.graph)?;
        let history = self.partner_history(&scope, &data)?;
        self.learned_model(&scope, &data, &history)
    }

    /// The query with a learned ranking's signals and bins filled in.
    pub fn resolved(
        &self,
        scope: &Scope,
        data: &PartnerData,
        history: &Arc<History>,
        query: &PartnerQuery,
    ) -> Result<PartnerQuery, ServiceError> {
        let mut query = query.clone();
        if query.learned {
            let (weights, bins) = self.learned_model(scope, data, history)?.ranking();
            query.weights = weights;
            query.bins = Some(bins);
        }
        Ok(query)
    }
}

/// The history and model kept for the last graph version and filter asked.
#[derive(Default)]
pub struct KeptModels {
    kept: Option<(u64, Filter, Kept)>,
}

/// One view's history, and its model once fitted.
pub struct Kept {
    history: Arc<History>,
    model: Option<Arc<Model>>,
}

impl KeptModels {
    fn get(&self, version: u64, filter: &Filter) -> Option<&Kept> {
        match &self.kept {
            Some((v, f, kept)) if *v == version && f == filter => Some(kept),
            _ => None,
        }
    }

    fn keep(
        &mut self,
        version: u64,
        filter: &Filter,
        history: Arc<History>,
        model: Option<Arc<Model>>,
    ) {
        self.kept = Some((version, filter.clone(), Kept { history, model }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binned_logistic_regression_learns_a_step() {
        // y = 1 exactly when x0 > 0.5 (x1 is noise): x0's bins above the step outweigh
        // those below it, and x1's bins stay near one another.
        let mut rows = Vec::new();
        for i in 0..40 {
            for j in 0..40 {
                let (x0, x1) = (f64::from(i) / 40.0, f64::from((j * 7) % 40) / 40.0);
                rows.push((vec![x0, x1], f64::from(u8::from(x0 > 0.5))));
            }
        }
        let (bins, _) = binned_logistic(&rows, 8);
        let low = bins.contribution(0, 0.1);
        let high = bins.contribution(0, 0.9);
        assert!(high - low > 4.0, "{low} {high}");
        let spread = bins.log_odds[1].iter().fold(0.0_f64, |m, w| m.max(w.abs()));
        assert!(spread < 0.5, "{:?}", bins.log_odds[1]);
    }

    #[test]
    fn a_value_falls_in_the_bin_its_cut_points_name() {
        let bins = Bins {
            edges: vec![vec![0.0, 1.0, 2.0]],
            log_odds: vec![vec![-1.0, 0.5, 1.5, 3.0]],
        };
        assert_eq!(bins.contribution(0, -0.5), -1.0);
        assert_eq!(bins.contribution(0, 0.0), 0.5);
        assert_eq!(bins.contribution(0, 1.5), 1.5);
        assert_eq!(bins.contribution(0, 9.0), 3.0);
        // A signal the model does not know adds nothing.
        assert_eq!(bins.contribution(3, 1.0), 0.0);
    }

    #[test]
    fn a_mostly_zero_signal_keeps_a_bin_for_zero() {
        let mut values = vec![0.0; 90];
        values.extend((1..=10).map(f64::from));
        let edges = quantile_edges(values, 12);
        // The smallest value above zero is a cut point: zero has its own bin.
        assert_eq!(edges.first(), Some(&1.0));
        let bins = Bins {
            log_odds: vec![vec![0.0; edges.len() + 1]],
            edges: vec![edges],
        };
        assert_eq!(bins.bin(0, 0.0), 0);
        assert_eq!(bins.bin(0, 1.0), 1);
        // A continuous signal gets no sliver bins: each holds about its share.
        let spread: Vec<f64> = (0..1200).map(f64::from).collect();
        let edges = quantile_edges(spread, 12);
        assert_eq!(edges.len(), 11);
        assert!(edges.windows(2).all(|w| w[1] - w[0] >= 99.0), "{edges:?}");
    }

    #[test]
    fn solve_handles_a_small_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
    }
}
