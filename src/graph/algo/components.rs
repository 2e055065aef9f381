//! Connected components.

use crate::graph::view::GraphView;
use crate::graph::NodeIx;

/// Component label of every node slot (`u32::MAX` outside the view), labels numbered
/// from 0 in order of each component's smallest node index, and the component sizes.
/// The partition matches `networkx.connected_components(G)`.
pub fn components(view: &GraphView) -> (Vec<u32>, Vec<usize>) {
    let (offsets, targets, included) = view.csr();
    let n = view.node_bound();
    let mut label = vec![u32::MAX; n];
    let mut sizes = Vec::new();
    let mut stack: Vec<NodeIx> = Vec::with_capacity(64);
    for s in 0..n {
        if label[s] != u32::MAX || !included[s] {
            continue;
        }
        let id = sizes.len() as u32;
        label[s] = id;
        stack.push(s as NodeIx);
        let mut size = 0;
        while let Some(v) = stack.pop() {
            size += 1;
            for &w in &targets[offsets[v as usize] as usize..offsets[v as usize + 1] as usize] {
                let slot = &mut label[w as usize];
                if *slot == u32::MAX {
                    *slot = id;
                    stack.push(w);
                }
            }
        }
        sizes.push(size);
    }
    (label, sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_smallest_member() {
        let g = GraphView::from_edges(6, &[(0, 3), (1, 2), (2, 5)]);
        let (label, sizes) = components(&g);
        assert_eq!(label, vec![0, 1, 1, 0, 2, 1]);
        assert_eq!(sizes, vec![2, 3, 1]);
    }
}
