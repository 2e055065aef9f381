//! Index entries: which keys a record owns in the index trees, and the key operations a
//! list of record changes becomes (shared by group commits, their replay and bulk loads).

use super::codec::encode;
use super::keys;
use super::sled_store::RecordChange;
use super::trees::TreeId;
use super::StoreError;
use crate::model::{Link, Node};

/// One key written or removed by a commit.
pub(super) struct TreeOp {
    pub(super) tree: TreeId,
    pub(super) key: Vec<u8>,
    pub(super) value: Option<Vec<u8>>,
}

/// Index entries of a node: `(tree, key, value)`.
/// The kind only when the id does not begin with it (see `by_kind`).
pub(crate) fn node_index(node: &Node) -> Vec<(TreeId, Vec<u8>, Vec<u8>)> {
    let mut out = Vec::with_capacity(4);
    if super::by_kind::node_indexed_by_kind(node) {
        out.push((
            TreeId::NodeKind,
            keys::node_kind(node.kind, &node.id),
            vec![],
        ));
    }
    if let Some(country) = &node.country {
        out.push((
            TreeId::NodeCountry,
            keys::node_country(country.as_str(), &node.id),
            vec![],
        ));
    }
    for (term, whole) in node.search_terms() {
        out.push((
            TreeId::NodeName,
            keys::node_name(&term, &node.id),
            vec![u8::from(whole)],
        ));
    }
    out
}

/// Index entries of a link: `(tree, key, value)`. At most its kind, and only when its id
/// does not begin with its kind (see `by_kind`): a link's members and the
/// one-link-per-kind-and-members rule are the in-memory graph's to answer.
pub(crate) fn link_index(link: &Link) -> Vec<(TreeId, Vec<u8>, Vec<u8>)> {
    if !super::by_kind::indexed_by_kind(link) {
        return Vec::new();
    }
    vec![(
        TreeId::LinkKind,
        keys::link_kind(link.kind, &link.id),
        vec![],
    )]
}

/// Every key a list of record changes writes or removes, in order.
pub(super) fn tree_ops(changes: &[RecordChange]) -> Result<Vec<TreeOp>, StoreError> {
    let mut ops = Vec::new();
    for change in changes {
        match change {
            RecordChange::Node { before, after } => {
                node_ops(before.as_ref(), after.as_ref(), &mut ops)?
            }
            RecordChange::Link { before, after } => {
                link_ops(before.as_ref(), after.as_ref(), &mut ops)?
            }
        }
    }
    Ok(ops)
}

fn node_ops(
    before: Option<&Node>,
    after: Option<&Node>,
    ops: &mut Vec<TreeOp>,
) -> Result<(), StoreError> {
    record_ops(
        TreeId::Nodes,
        before.map(|n| (n.id.as_str(), node_index(n))),
        after.map(|n| (n.id.as_str(), node_index(n), n)),
        ops,
    )
}

fn link_ops(
    before: Option<&Link>,
    after: Option<&Link>,
    ops: &mut Vec<TreeOp>,
) -> Result<(), StoreError> {
    record_ops(
        TreeId::Links,
        before.map(|l| (l.id.as_str(), link_index(l))),
        after.map(|l| (l.id.as_str(), link_index(l), l)),
        ops,
    )
}

type IndexEntries = Vec<(TreeId, Vec<u8>, Vec<u8>)>;

/// Removes the old record's index entries, then writes the new record and its entries.
fn record_ops<T: serde::Serialize>(
    records: TreeId,
    before: Option<(&str, IndexEntries)>,
    after: Option<(&str, IndexEntries, &T)>,
    ops: &mut Vec<TreeOp>,
) -> Result<(), StoreError> {
    if let Some((id, entries)) = before {
        ops.extend(entries.into_iter().map(|(tree, key, _)| TreeOp {
            tree,
            key,
            value: None,
        }));
        ops.push(TreeOp {
            tree: records,
            key: id.as_bytes().to_vec(),
            value: None,
        });
    }
    if let Some((id, entries, record)) = after {
        ops.extend(entries.into_iter().map(|(tree, key, value)| TreeOp {
            tree,
            key,
            value: Some(value),
        }));
        ops.push(TreeOp {
            tree: records,
            key: id.as_bytes().to_vec(),
            value: Some(encode(record)?),
        });
    }
    Ok(())
}
