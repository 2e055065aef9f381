//! Betweenness centrality (Brandes), exact or from sampled sources, parallel over sources.

use rayon::prelude::*;

use crate::graph::algo::{Budget, QueryError};
use crate::graph::view::GraphView;
use crate::graph::NodeIx;

/// Per-thread scratch for one Brandes pass.
struct Pass {
    dist: Vec<i32>,
    sigma: Vec<f64>,
    delta: Vec<f64>,
    order: Vec<NodeIx>,
    bc: Vec<f64>,
}

impl Pass {
    fn new(n: usize) -> Self {
        Self {
            dist: vec![-1; n],
            sigma: vec![0.0; n],
            delta: vec![0.0; n],
            order: Vec::with_capacity(n),
            bc: vec![0.0; n],
        }
    }

    /// Adds the dependencies of source `s` to `bc`.
    fn run(&mut self, view: &GraphView, s: NodeIx) {
        self.order.clear();
        self.dist[s as usize] = 0;
        self.sigma[s as usize] = 1.0;
        self.order.push(s);
        let mut head = 0;
        while head < self.order.len() {
            let v = self.order[head];
            head += 1;
            let dv = self.dist[v as usize];
            let sv = self.sigma[v as usize];
            for &w in view.neighbours(v) {
                let dw = &mut self.dist[w as usize];
                if *dw < 0 {
                    *dw = dv + 1;
                    self.order.push(w);
                }
                if *dw == dv + 1 {
                    self.sigma[w as usize] += sv;
                }
            }
        }
        for &w in self.order.iter().rev() {
            let dw = self.dist[w as usize];
            let coeff = (1.0 + self.delta[w as usize]) / self.sigma[w as usize];
            for &v in view.neighbours(w) {
                if self.dist[v as usize] == dw - 1 {
                    self.delta[v as usize] += self.sigma[v as usize] * coeff;
                }
            }
            if w != s {
                self.bc[w as usize] += self.delta[w as usize];
            }
        }
        for &w in &self.order {
            self.dist[w as usize] = -1;
            self.sigma[w as usize] = 0.0;
            self.delta[w as usize] = 0.0;
        }
    }
}

/// Betweenness of every node slot, normalised as
/// `networkx.betweenness_centrality(G, k=len(sources) or None, normalized=True)`
/// (NetworkX 3.6 scaling: exact values over `(n−1)(n−2)`; with sampled sources,
/// sources over `(k−1)(n−2)` and other nodes over `k(n−2)`).
/// `sources = None` means every node (exact).
pub fn betweenness(
    view: &GraphView,
    sources: Option<&[NodeIx]>,
    budget: &Budget,
) -> Result<Vec<f64>, QueryError> {
    let bound = view.node_bound();
    let all: Vec<NodeIx>;
    let list = match sources {
        Some(list) => list,
        None => {
            all = view.nodes().collect();
            &all
        }
    };
    let chunk = (list.len() / (rayon::current_num_threads() * 8)).clamp(1, 256);
    let partial = list
        .par_chunks(chunk)
        .try_fold(
            || Pass::new(bound),
            |mut pass, chunk| {
                budget.check()?;
                for &s in chunk {
                    pass.run(view, s);
                }
                Ok::<Pass, QueryError>(pass)
            },
        )
        .map(|p| p.map(|p| p.bc))
        .try_reduce(
            || vec![0.0; bound],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                Ok(a)
            },
        )?;
    Ok(rescale(view, partial, sources))
}

fn rescale(view: &GraphView, mut bc: Vec<f64>, sources: Option<&[NodeIx]>) -> Vec<f64> {
    let n = view.node_count();
    let big_n = n.saturating_sub(1) as f64;
    if n < 3 {
        return bc;
    }
    let k = sources.map(<[NodeIx]>::len).filter(|k| *k != n);
    match k {
        None => {
            let scale = 1.0 / (big_n * (big_n - 1.0));
            bc.iter_mut().for_each(|x| *x *= scale);
        }
        Some(k) => {
            let is_source = {
                let mut mark = vec![false; bc.len()];
                for s in sources.unwrap_or_default() {
                    mark[*s as usize] = true;
                }
                mark
            };
            let k = k as f64;
            let scale_source = if k > 1.0 {
                1.0 / ((k - 1.0) * (big_n - 1.0))
            } else {
                f64::NAN
            };
            let scale_other = 1.0 / (k * (big_n - 1.0));
            for (v, x) in bc.iter_mut().enumerate() {
                *x *= if is_source[v] {
                    scale_source
                } else {
                    scale_other
                };
            }
        }
    }
    bc
}

/// `k` distinct nodes of the view chosen reproducibly from `seed` (SplitMix64 and a
/// partial Fisher–Yates shuffle), sorted.
pub fn sample_sources(view: &GraphView, k: usize, seed: u64) -> Vec<NodeIx> {
    let mut nodes: Vec<NodeIx> = view.nodes().collect();
    let k = k.min(nodes.len());
    let mut state = seed;
    for i in 0..k {
        let j = i + (splitmix64(&mut state) % (nodes.len() - i) as u64) as usize;
        nodes.swap(i, j);
    }
    nodes.truncate(k);
    nodes.sort_unstable();
    nodes
}

/// One step of SplitMix64.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_graph_has_its_middle_as_the_bridge() {
        // 0-1-2-3-4: NetworkX gives [0, 0.5, 0.6667, 0.5, 0] (normalised).
        let g = GraphView::from_edges(5, &[(0, 1), (1, 2), (2, 3), (3, 4)]);
        let bc = betweenness(&g, None, &Budget::unlimited()).unwrap();
        let expected = [0.0, 0.5, 2.0 / 3.0, 0.5, 0.0];
        for (a, b) in bc.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{bc:?}");
        }
    }

    #[test]
    fn a_star_centre_carries_every_path() {
        let g = GraphView::from_edges(5, &[(0, 1), (0, 2), (0, 3), (0, 4)]);
        let bc = betweenness(&g, None, &Budget::unlimited()).unwrap();
        assert!((bc[0] - 1.0).abs() < 1e-12);
        assert!(bc[1..].iter().all(|x| *x == 0.0));
    }

    #[test]
    fn sampling_is_reproducible_and_distinct() {
        let g = GraphView::from_edges(100, &[(0, 1)]);
        let a = sample_sources(&g, 10, 42);
        assert_eq!(a, sample_sources(&g, 10, 42));
        assert_ne!(a, sample_sources(&g, 10, 43));
        let mut d = a.clone();
        d.dedup();
        assert_eq!(d.len(), 10);
    }
}
