//! Link prediction on the simple undirected graph, with NetworkX's definitions
//! (`networkx.algorithms.link_prediction`):
//!
//! * common neighbours: |N(u) ∩ N(v)|
//! * Jaccard coefficient: |N(u) ∩ N(v)| / |N(u) ∪ N(v)| (0 when both are isolated)
//! * Adamic–Adar index: Σ over common neighbours w of 1 / ln(deg w)
//! * resource allocation index: Σ over common neighbours w of 1 / deg w
//! * preferential attachment: deg u · deg v

use serde::{Deserialize, Serialize};

use crate::graph::view::GraphView;
use crate::graph::NodeIx;

/// The topological scores of one candidate pair.
#[derive(Clone, Debug, PartialEq)]
pub struct PairScores {
    /// The candidate.
    pub candidate: NodeIx,
    /// Common neighbours, in index order.
    pub common: Vec<NodeIx>,
    /// |N(u) ∩ N(v)|.
    pub common_neighbours: f64,
    /// Adamic–Adar index.
    pub adamic_adar: f64,
    /// Jaccard coefficient.
    pub jaccard: f64,
    /// Resource allocation index.
    pub resource_allocation: f64,
    /// Preferential attachment.
    pub preferential_attachment: f64,
}

/// A topological method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topological {
    /// `networkx.common_neighbors` (counted).
    CommonNeighbours,
    /// `networkx.adamic_adar_index`.
    AdamicAdar,
    /// `networkx.jaccard_coefficient`.
    Jaccard,
    /// `networkx.resource_allocation_index`.
    ResourceAllocation,
    /// `networkx.preferential_attachment`.
    PreferentialAttachment,
}

impl Topological {
    /// Every method.
    pub const ALL: [Topological; 5] = [
        Topological::CommonNeighbours,
        Topological::AdamicAdar,
        Topological::Jaccard,
        Topological::ResourceAllocation,
        Topological::PreferentialAttachment,
    ];

    /// This method's value in `scores`.
    pub fn of(self, scores: &PairScores) -> f64 {
        match self {
            Topological::CommonNeighbours => scores.common_neighbours,
            Topological::AdamicAdar => scores.adamic_adar,
            Topological::Jaccard => scores.jaccard,
            Topological::ResourceAllocation => scores.resource_allocation,
            Topological::PreferentialAttachment => scores.preferential_attachment,
        }
    }
}

/// Scores of `u` with `v` (any two distinct nodes of the view).
pub fn pair(view: &GraphView, u: NodeIx, v: NodeIx) -> PairScores {
    let nu = view.neighbours(u);
    let nv = view.neighbours(v);
    let common: Vec<NodeIx> = nu.iter().copied().filter(|w| nv.contains(w)).collect();
    finish(view, u, v, common)
}

fn finish(view: &GraphView, u: NodeIx, v: NodeIx, common: Vec<NodeIx>) -> PairScores {
    let (du, dv) = (view.degree(u) as f64, view.degree(v) as f64);
    let cn = common.len() as f64;
    let union = du + dv - cn;
    let mut adamic_adar = 0.0;
    let mut resource_allocation = 0.0;
    for &w in &common {
        let dw = view.degree(w) as f64;
        adamic_adar += 1.0 / dw.ln();
        resource_allocation += 1.0 / dw;
    }
    PairScores {
        candidate: v,
        common,
        common_neighbours: cn,
        adamic_adar,
        jaccard: if union > 0.0 { cn / union } else { 0.0 },
        resource_allocation,
        preferential_attachment: du * dv,
    }
}

/// Scores of `u` with every node two hops away (the only ones with a common neighbour),
/// found by walking `u`'s neighbours' neighbours once. `u` itself and its neighbours are
/// left out.
pub fn two_hop(view: &GraphView, u: NodeIx) -> Vec<PairScores> {
    let mut common: std::collections::HashMap<NodeIx, Vec<NodeIx>> =
        std::collections::HashMap::new();
    let direct = view.neighbours(u);
    for &w in direct {
        for &v in view.neighbours(w) {
            if v != u && direct.binary_search(&v).is_err() {
                common.entry(v).or_default().push(w);
            }
        }
    }
    let mut out: Vec<PairScores> = common
        .into_iter()
        .map(|(v, mut via)| {
            via.sort_unstable();
            finish(view, u, v, via)
        })
        .collect();
    out.sort_by_key(|s| s.candidate);
    out
}

/// Scores of `u` with `v` when they share no neighbour (only preferential attachment
/// and the union size differ from zero).
pub fn unconnected(view: &GraphView, u: NodeIx, v: NodeIx) -> PairScores {
    finish(view, u, v, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0–1, 0–2, 1–2, 1–3, 2–3, 3–4: hand-checked values.
    fn kite() -> GraphView {
        GraphView::from_edges(5, &[(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (3, 4)])
    }

    #[test]
    fn hand_checked_scores() {
        let g = kite();
        let s = pair(&g, 0, 3);
        assert_eq!(s.common, vec![1, 2]);
        assert_eq!(s.common_neighbours, 2.0);
        // deg 1 = deg 2 = 3: 2 / ln 3 and 2 / 3.
        assert!((s.adamic_adar - 2.0 / 3f64.ln()).abs() < 1e-12);
        assert!((s.resource_allocation - 2.0 / 3.0).abs() < 1e-12);
        // N(0) = {1,2}, N(3) = {1,2,4}: union 3.
        assert!((s.jaccard - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.preferential_attachment, 6.0);
        let far = pair(&g, 0, 4);
        assert_eq!(
            (
                far.common_neighbours,
                far.jaccard,
                far.preferential_attachment
            ),
            (0.0, 0.0, 2.0)
        );
    }

    #[test]
    fn two_hop_finds_exactly_the_nodes_with_a_common_neighbour() {
        let g = kite();
        let found: Vec<NodeIx> = two_hop(&g, 0).iter().map(|s| s.candidate).collect();
        assert_eq!(found, vec![3]);
        let from_four: Vec<NodeIx> = two_hop(&g, 4).iter().map(|s| s.candidate).collect();
        assert_eq!(from_four, vec![1, 2]);
        for s in two_hop(&g, 4) {
            assert_eq!(s, pair(&g, 4, s.candidate));
        }
    }
}
