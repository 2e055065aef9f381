//! Ego networks: every node within `depth` hops, closest first.

use crate::graph::view::GraphView;
use crate::graph::NodeIx;

/// Nodes within `depth` hops of `centre` with their distance, in BFS order (closest
/// first), at most `cap` of them; the flag says whether the cap cut it short.
/// Matches the node set of `networkx.ego_graph(G, centre, radius=depth)`.
pub fn ego(
    view: &GraphView,
    centre: NodeIx,
    depth: usize,
    cap: usize,
) -> (Vec<(NodeIx, u32)>, bool) {
    let mut seen = hashbrown::HashMap::new();
    let mut out = Vec::new();
    if !view.contains(centre) {
        return (out, false);
    }
    seen.insert(centre, 0u32);
    out.push((centre, 0));
    let mut head = 0;
    while head < out.len() {
        let (v, d) = out[head];
        head += 1;
        if d as usize >= depth {
            continue;
        }
        for &w in view.neighbours(v) {
            if let hashbrown::hash_map::Entry::Vacant(slot) = seen.entry(w) {
                if out.len() == cap {
                    return (out, true);
                }
                slot.insert(d + 1);
                out.push((w, d + 1));
            }
        }
    }
    (out, false)
}

/// Size of the `depth`-hop neighbourhood of `centre` (itself included), level by
/// level with a reusable stamp array; the last level is only counted, never queued.
pub fn ego_size(
    view: &GraphView,
    centre: NodeIx,
    depth: usize,
    stamp: &mut [u32],
    epoch: u32,
    frontier: &mut Vec<NodeIx>,
    next: &mut Vec<NodeIx>,
) -> usize {
    frontier.clear();
    frontier.push(centre);
    stamp[centre as usize] = epoch;
    let mut count = 1;
    for level in 0..depth {
        let last = level + 1 == depth;
        next.clear();
        for &v in frontier.iter() {
            for &w in view.neighbours(v) {
                let slot = &mut stamp[w as usize];
                if *slot != epoch {
                    *slot = epoch;
                    count += 1;
                    if !last {
                        next.push(w);
                    }
                }
            }
        }
        if next.is_empty() {
            break;
        }
        std::mem::swap(frontier, next);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_by_distance_with_a_cap() {
        let g = GraphView::from_edges(6, &[(0, 1), (0, 2), (1, 3), (3, 4)]);
        let (nodes, cut) = ego(&g, 0, 2, 100);
        assert_eq!((nodes, cut), (vec![(0, 0), (1, 1), (2, 1), (3, 2)], false));
        let (nodes, cut) = ego(&g, 0, 2, 2);
        assert_eq!((nodes.len(), cut), (2, true));
        let mut stamp = vec![0; 6];
        assert_eq!(
            ego_size(&g, 0, 2, &mut stamp, 1, &mut Vec::new(), &mut Vec::new()),
            4
        );
        assert_eq!(
            ego_size(&g, 0, 3, &mut stamp, 2, &mut Vec::new(), &mut Vec::new()),
            5
        );
        assert_eq!(
            ego_size(&g, 5, 3, &mut stamp, 3, &mut Vec::new(), &mut Vec::new()),
            1
        );
    }
}
