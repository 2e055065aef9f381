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
//! fitted by Newton's method with a small ridge penalty ([`super::binned`]); it is
//! deterministic for its seed. A suggestion's score is the sum, over the signals, of the log-odds of the bin
//! its value falls in: an exact lookup, so every part of the score is shown and the parts
//! add up to it (the model's log-odds less its intercept). Unlike a weight per signal,
//! the bins let a signal matter in steps: sharing one partner matters much more than
//! the difference between sharing three and four.

use std::collections::HashSet;

use super::history::History;
use std::sync::Arc;

use super::analysis::Scope;
use super::binned::{binned_logistic, Bins};
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

/// Most bins per signal.
pub const BINS: usize = 20;

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
