//! The learned ranking of the partner finder: a logistic regression over the signals,
//! fitted on the network's own links.
//!
//! Training pairs come from one graph view (the filtered graph, or an evaluation's view
//! with the hidden links removed): every partnership between two cities (at most
//! [`MAX_POSITIVES`], a seeded sample) against as many unlinked pairs, half drawn at
//! random among all cities and half among each city's own candidates (cities that share
//! a partner with it). Fitted so, it separates links from unlinked pairs well (AUC) but
//! orders one city's list worse than the fixed default (precision@10): see
//! docs/partner-finder.md. A linked pair's signals leave its own link
//! out (see [`super::history`]). Each signal is scaled by its standard deviation over
//! the training pairs; the model is fitted by Newton's method (iteratively reweighted
//! least squares) with a small ridge penalty, and is deterministic for its seed.
//!
//! A suggestion's score is the sum of the signals' contributions, weight × value /
//! standard deviation: the model's log-odds less a constant, so the order is the
//! model's and every part of the score is shown.

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

/// Ridge penalty on the weights (not on the intercept).
const RIDGE: f64 = 1e-3;

/// A fitted model.
#[derive(Clone, Debug)]
pub struct Model {
    /// Weight of each of [`LEARNED_SIGNALS`], per standard deviation of the signal.
    pub weights: Vec<f64>,
    /// 1 / standard deviation of each signal over the training pairs.
    pub scale: Vec<f64>,
    /// The intercept (log-odds of a pair with every signal 0).
    pub intercept: f64,
    /// Training pairs (positive and negative).
    pub pairs: usize,
    /// Seconds the fit took.
    pub seconds: f64,
}

impl Model {
    /// The weights as a ranking (signal, weight) and the scales that go with them.
    pub fn ranking(&self) -> (Vec<(Signal, f64)>, Vec<f64>) {
        (
            LEARNED_SIGNALS
                .iter()
                .copied()
                .zip(self.weights.iter().copied())
                .collect(),
            self.scale.clone(),
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
        // Every other draw: a candidate of u's own list (a partner of a partner).
        let v = if tries % 2 == 0 {
            let near = view.neighbours(u);
            if near.is_empty() {
                continue;
            }
            let w = near[(splitmix64(&mut state) % near.len() as u64) as usize];
            let far = view.neighbours(w);
            if far.is_empty() {
                continue;
            }
            far[(splitmix64(&mut state) % far.len() as u64) as usize]
        } else {
            cities[(splitmix64(&mut state) % cities.len() as u64) as usize]
        };
        let pair = (u.min(v), u.max(v));
        if u == v || !is_city(v) || linked(u, v) || !seen.insert(pair) {
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
    let (weights, scale, intercept) = logistic(&rows);
    Model {
        weights,
        scale,
        intercept,
        pairs: rows.len(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Logistic regression by Newton's method on signals scaled to unit deviation: the
/// weights (per unit of scaled signal), the scales, and the intercept.
// Dense matrix arithmetic reads plainest with indices.
#[allow(clippy::needless_range_loop)]
pub fn logistic(rows: &[(Vec<f64>, f64)]) -> (Vec<f64>, Vec<f64>, f64) {
    let width = rows.first().map_or(0, |r| r.0.len());
    let n = rows.len().max(1) as f64;
    let scale: Vec<f64> = (0..width)
        .map(|j| {
            let mean = rows.iter().map(|r| r.0[j]).sum::<f64>() / n;
            let var = rows.iter().map(|r| (r.0[j] - mean).powi(2)).sum::<f64>() / n;
            if var > 1e-18 {
                1.0 / var.sqrt()
            } else {
                0.0
            }
        })
        .collect();
    // Parameters: the weights, then the intercept.
    let dim = width + 1;
    let mut beta = vec![0.0; dim];
    let features = |row: &[f64]| -> Vec<f64> {
        row.iter()
            .zip(&scale)
            .map(|(x, s)| x * s)
            .chain(std::iter::once(1.0))
            .collect()
    };
    let scaled: Vec<(Vec<f64>, f64)> = rows.iter().map(|(x, y)| (features(x), *y)).collect();
    for _ in 0..50 {
        let mut gradient = vec![0.0; dim];
        let mut hessian = vec![vec![0.0; dim]; dim];
        for (x, y) in &scaled {
            let z: f64 = x.iter().zip(&beta).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let w = (p * (1.0 - p)).max(1e-12);
            for i in 0..dim {
                gradient[i] += (y - p) * x[i];
                for j in 0..=i {
                    hessian[i][j] += w * x[i] * x[j];
                }
            }
        }
        for i in 0..dim {
            for j in 0..i {
                hessian[j][i] = hessian[i][j];
            }
            if i < width {
                gradient[i] -= RIDGE * n * beta[i];
                hessian[i][i] += RIDGE * n;
            }
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
    let intercept = beta[width];
    beta.truncate(width);
    (beta, scale, intercept)
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

    /// The query with a learned ranking's weights and scales filled in.
    pub fn resolved(
        &self,
        scope: &Scope,
        data: &PartnerData,
        history: &Arc<History>,
        query: &PartnerQuery,
    ) -> Result<PartnerQuery, ServiceError> {
        let mut query = query.clone();
        if query.learned {
            let (weights, scales) = self.learned_model(scope, data, history)?.ranking();
            query.weights = weights;
            query.scales = Some(scales);
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
    fn logistic_regression_recovers_a_known_model() {
        // y = 1 exactly when 2·x0 − x1 > 0.5, on a grid: the fitted weights keep the
        // sign and ratio of the separating direction.
        let mut rows = Vec::new();
        for i in 0..40 {
            for j in 0..40 {
                let (x0, x1) = (f64::from(i) / 10.0, f64::from(j) / 10.0);
                let y = if 2.0 * x0 - x1 > 0.5 { 1.0 } else { 0.0 };
                rows.push((vec![x0, x1], y));
            }
        }
        let (w, s, _) = logistic(&rows);
        let (w0, w1) = (w[0] * s[0], w[1] * s[1]);
        assert!(w0 > 0.0 && w1 < 0.0, "{w0} {w1}");
        assert!((w0 / -w1 - 2.0).abs() < 0.2, "{}", w0 / -w1);
    }

    #[test]
    fn a_constant_signal_gets_no_weight() {
        let rows: Vec<(Vec<f64>, f64)> = (0..100)
            .map(|i| (vec![f64::from(i), 3.0], f64::from(u8::from(i > 50))))
            .collect();
        let (w, s, _) = logistic(&rows);
        assert_eq!(s[1], 0.0);
        assert!(w[1].abs() < 1e-9);
    }

    #[test]
    fn solve_handles_a_small_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
    }
}
