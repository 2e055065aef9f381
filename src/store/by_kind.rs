//! Records of one kind, in id order. A record whose id begins with its kind (`kind:…`,
//! as every derived id does: `city:ru:vladivostok`, `twinning:a+b`) is found by that
//! prefix in its records tree itself; only the others — chosen ids — have an entry in
//! the kind index. Most records therefore cost one key fewer in imports and writes.

use serde::Deserialize;

use super::codec::decode;
use super::keys;
use super::sled_store::{page, SledStore, StorePage};
use super::trees::{self, TreeId};
use super::StoreError;
use crate::model::{Link, LinkKind, Node, NodeKind};

/// Whether a link needs an entry in the kind index (its id does not begin with its kind).
/// On the path of every link written: no allocation.
pub(crate) fn indexed_by_kind(link: &Link) -> bool {
    !begins_with_kind(link.id.as_str().as_bytes(), link.kind.as_str())
}

/// Whether a node needs an entry in the kind index (as [`indexed_by_kind`] for links).
pub(crate) fn node_indexed_by_kind(node: &Node) -> bool {
    !begins_with_kind(node.id.as_str().as_bytes(), node.kind.as_str())
}

/// Whether `id` begins with `kind:`.
fn begins_with_kind(id: &[u8], kind: &str) -> bool {
    id.strip_prefix(kind.as_bytes())
        .is_some_and(|rest| rest.first() == Some(&b':'))
}

/// Where the records of one kind are: under `kind:` in their records tree, and under
/// `kind ∥` in their kind index.
struct KindPlaces {
    records: TreeId,
    index: TreeId,
    kind: &'static str,
}

impl SledStore {
    /// A page of the links of `kind` (and `status`, if given) after the link id `after`:
    /// the links tree under `kind:` merged with the kind index.
    pub(super) fn list_links_of_kind(
        &self,
        kind: LinkKind,
        filter: &super::sled_store::LinkFilter,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<StorePage<Link>, StoreError> {
        let places = KindPlaces {
            records: TreeId::Links,
            index: TreeId::LinkKind,
            kind: kind.as_str(),
        };
        self.list_of_kind(
            &places,
            after,
            limit,
            |link: Link| (link.kind == kind && filter.admits(&link)).then_some(link),
            |link| link.id.as_str(),
        )
    }

    /// A page of the nodes of `kind` after the node id `after`: the nodes tree under
    /// `kind:` merged with the kind index.
    pub(super) fn list_nodes_of_kind(
        &self,
        kind: NodeKind,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<StorePage<Node>, StoreError> {
        let places = KindPlaces {
            records: TreeId::Nodes,
            index: TreeId::NodeKind,
            kind: kind.as_str(),
        };
        self.list_of_kind(
            &places,
            after,
            limit,
            |node: Node| (node.kind == kind).then_some(node),
            |node| node.id.as_str(),
        )
    }

    /// A page of the records in `places` that `keep` keeps, after the id `after`.
    fn list_of_kind<T: serde::de::DeserializeOwned>(
        &self,
        places: &KindPlaces,
        after: Option<&[u8]>,
        limit: usize,
        keep: impl Fn(T) -> Option<T>,
        id_of: impl Fn(&T) -> &str,
    ) -> Result<StorePage<T>, StoreError> {
        let records = self.tree(places.records);
        // Under the prefix: `after` is a whole id, so it is cut to what follows the prefix
        // (an id before the prefix starts at its beginning, one after it leaves nothing).
        let prefix = format!("{}:", places.kind);
        let start = match after {
            Some(a) if a.starts_with(prefix.as_bytes()) => Some(Some(&a[prefix.len()..])),
            Some(a) if a > prefix.as_bytes() => None,
            _ => Some(None),
        };
        let prefixed = match start {
            Some(start) => page(records, prefix.as_bytes(), start, limit, |rest, v| {
                let key = [prefix.as_bytes(), rest].concat();
                Ok(self.readable(places.records, &key, &v)?.and_then(&keep))
            })?,
            None => StorePage {
                items: Vec::new(),
                next: None,
            },
        };
        let index_prefix = keys::prefix(&[places.kind.as_bytes()]);
        let indexed = page(
            self.tree(places.index),
            &index_prefix,
            after,
            limit,
            |id, _| match records.get(id)? {
                Some(v) => Ok(self.readable(places.records, id, &v)?.and_then(&keep)),
                None => Err(StoreError::Corrupt {
                    tree: trees::ALL[places.index as usize].into(),
                    key: String::from_utf8_lossy(id).into_owned(),
                    detail: "index entry without a record".into(),
                }),
            },
        )?;
        let more = prefixed.next.is_some() || indexed.next.is_some();
        let mut items = prefixed.items;
        items.extend(indexed.items);
        items.sort_unstable_by(|a, b| id_of(a).cmp(id_of(b)));
        let more = more || items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(|item| id_of(item).as_bytes().to_vec())
        } else {
            None
        };
        Ok(StorePage { items, next })
    }

    /// Fills the link kind index from the links tree (an upgrade from a format that
    /// indexed every link). Returns the entries written.
    pub(super) fn rebuild_kind_index(&self) -> Result<u64, StoreError> {
        self.rebuild_index_of_kinds::<LinkKind>(TreeId::Links, TreeId::LinkKind)
    }

    /// Fills the node kind index from the nodes tree (an upgrade from a format that
    /// indexed every node). Returns the entries written.
    pub(super) fn rebuild_node_kind_index(&self) -> Result<u64, StoreError> {
        self.rebuild_index_of_kinds::<NodeKind>(TreeId::Nodes, TreeId::NodeKind)
    }

    fn rebuild_index_of_kinds<K: serde::de::DeserializeOwned + KindName>(
        &self,
        records: TreeId,
        index: TreeId,
    ) -> Result<u64, StoreError> {
        let records_name = trees::ALL[records as usize];
        /// The one field the rebuild needs of a record.
        #[derive(Deserialize)]
        struct KindOf<K> {
            kind: K,
        }
        let index = self.tree(index);
        index.clear()?;
        let mut written = 0;
        for entry in self.tree(records).iter() {
            let (key, value) = entry?;
            let KindOf::<K> { kind } = decode(records_name, &key, &value)?;
            if !begins_with_kind(&key, kind.name()) {
                index.insert(keys::join(&[kind.name().as_bytes(), &key]), &[])?;
                written += 1;
            }
        }
        Ok(written)
    }
}

/// A kind's name, as keys spell it.
trait KindName {
    fn name(&self) -> &'static str;
}

impl KindName for LinkKind {
    fn name(&self) -> &'static str {
        self.as_str()
    }
}

impl KindName for NodeKind {
    fn name(&self) -> &'static str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LinkStatus, Node};
    use crate::store::sled_store::{LinkFilter, RecordChange};

    fn node(id: &str) -> RecordChange {
        let node: Node = serde_json::from_value(
            serde_json::json!({"id": id, "kind": "city", "name": id, "country": "RU"}),
        )
        .unwrap();
        RecordChange::Node {
            before: None,
            after: Some(node),
        }
    }

    fn link(id: &str, kind: &str, members: [&str; 2], status: &str) -> RecordChange {
        let link: Link = serde_json::from_value(serde_json::json!(
            {"id": id, "kind": kind, "members": members, "status": status}
        ))
        .unwrap();
        RecordChange::Link {
            before: None,
            after: Some(link),
        }
    }

    fn ids(page: &StorePage<Link>) -> Vec<&str> {
        page.items.iter().map(|l| l.id.as_str()).collect()
    }

    #[test]
    fn a_kind_lists_its_prefixed_and_indexed_links_merged_in_id_order() {
        let store = SledStore::temporary().unwrap();
        let mut changes: Vec<RecordChange> = ["a", "b", "c", "d"].into_iter().map(node).collect();
        changes.extend([
            link("friendship:a+b", "friendship", ["a", "b"], "active"),
            link("friendship:c+d", "friendship", ["c", "d"], "ended"),
            // Chosen ids: before, among and after the prefixed ones, and one that
            // begins with another kind's prefix.
            link("alpha", "friendship", ["a", "c"], "active"),
            link("friendship:b-custom", "friendship", ["b", "c"], "active"),
            link("twinning:odd", "friendship", ["a", "d"], "active"),
            link("zulu", "friendship", ["b", "d"], "active"),
            link("twinning:a+b", "twinning", ["a", "b"], "active"),
        ]);
        store.commit(&changes, false).unwrap();
        let kind_entries = store.tree(TreeId::LinkKind).len();
        assert_eq!(kind_entries, 3, "alpha, twinning:odd and zulu only");

        let filter = LinkFilter {
            kind: Some(LinkKind::Friendship),
            ..LinkFilter::default()
        };
        let all = store.list_links(&filter, None, 100).unwrap();
        let expected = [
            "alpha",
            "friendship:a+b",
            "friendship:b-custom",
            "friendship:c+d",
            "twinning:odd",
            "zulu",
        ];
        assert_eq!(ids(&all), expected);
        assert!(all.next.is_none());

        // One at a time, and two at a time: the same links, each once.
        for size in [1, 2] {
            let mut seen = Vec::new();
            let mut after: Option<Vec<u8>> = None;
            loop {
                let page = store.list_links(&filter, after.as_deref(), size).unwrap();
                seen.extend(ids(&page).into_iter().map(str::to_string));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            assert_eq!(seen, expected, "pages of {size}");
        }

        let active = LinkFilter {
            kind: Some(LinkKind::Friendship),
            status: Some(LinkStatus::Active),
            ..LinkFilter::default()
        };
        let page = store.list_links(&active, None, 100).unwrap();
        assert!(!ids(&page).contains(&"friendship:c+d"));
        assert_eq!(page.items.len(), 5);

        let twinning = LinkFilter {
            kind: Some(LinkKind::Twinning),
            ..LinkFilter::default()
        };
        assert_eq!(
            ids(&store.list_links(&twinning, None, 100).unwrap()),
            ["twinning:a+b"]
        );

        // The index rebuilt from the links (an upgrade) is the one the writes kept.
        let before: Vec<_> = store
            .tree(TreeId::LinkKind)
            .iter()
            .map(|e| e.unwrap())
            .collect();
        assert_eq!(store.rebuild_kind_index().unwrap(), 3);
        let after: Vec<_> = store
            .tree(TreeId::LinkKind)
            .iter()
            .map(|e| e.unwrap())
            .collect();
        assert_eq!(before, after);
        assert!(store.check().unwrap().is_empty());
    }

    fn node_of(id: &str, kind: &str) -> RecordChange {
        let node: Node = serde_json::from_value(
            serde_json::json!({"id": id, "kind": kind, "name": id, "country": "RU"}),
        )
        .unwrap();
        RecordChange::Node {
            before: None,
            after: Some(node),
        }
    }

    #[test]
    fn a_kind_lists_its_prefixed_and_indexed_nodes_merged_in_id_order() {
        let store = SledStore::temporary().unwrap();
        let changes = vec![
            node_of("city:ru:a", "city"),
            node_of("city:ru:c", "city"),
            // Chosen ids: before, among and after the prefixed ones, and one that
            // begins with another kind's prefix.
            node_of("alpha", "city"),
            node_of("city:ru:b-chosen", "city"),
            node_of("association:odd", "city"),
            node_of("zulu", "city"),
            node_of("association:union", "association"),
            node_of("city:ru:not-a-city", "state"),
        ];
        store.commit(&changes, false).unwrap();
        assert_eq!(
            store.tree(TreeId::NodeKind).len(),
            4,
            "alpha, association:odd, zulu and the state only"
        );
        let expected = [
            "alpha",
            "association:odd",
            "city:ru:a",
            "city:ru:b-chosen",
            "city:ru:c",
            "zulu",
        ];
        let node_ids = |page: &StorePage<Node>| -> Vec<String> {
            page.items.iter().map(|n| n.id.to_string()).collect()
        };
        let all = store.list_nodes_of_kind(NodeKind::City, None, 100).unwrap();
        assert_eq!(node_ids(&all), expected);
        assert!(all.next.is_none());
        for size in [1, 2] {
            let mut seen = Vec::new();
            let mut after: Option<Vec<u8>> = None;
            loop {
                let page = store
                    .list_nodes_of_kind(NodeKind::City, after.as_deref(), size)
                    .unwrap();
                seen.extend(node_ids(&page));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            assert_eq!(seen, expected, "pages of {size}");
        }
        let states = store
            .list_nodes_of_kind(NodeKind::State, None, 100)
            .unwrap();
        assert_eq!(node_ids(&states), ["city:ru:not-a-city"]);
        let associations = store
            .list_nodes_of_kind(NodeKind::Association, None, 100)
            .unwrap();
        assert_eq!(node_ids(&associations), ["association:union"]);

        // The index rebuilt from the nodes (an upgrade) is the one the writes kept.
        let entries = |store: &SledStore| -> Vec<_> {
            store
                .tree(TreeId::NodeKind)
                .iter()
                .map(|e| e.unwrap())
                .collect()
        };
        let before = entries(&store);
        assert_eq!(store.rebuild_node_kind_index().unwrap(), 4);
        assert_eq!(entries(&store), before);
        assert!(store.check().unwrap().is_empty());
    }
}
