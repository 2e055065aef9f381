//! Links of one kind, in id order. A link whose id begins with its kind (`kind:…`, as
//! every derived id does) is found by that prefix in the links tree itself; only the
//! others — links with chosen ids — have an entry in the kind index. Most links
//! therefore cost one key, not two, in imports and writes.

use serde::Deserialize;

use super::codec::decode;
use super::keys;
use super::sled_store::{page, SledStore, StorePage};
use super::trees::{self, TreeId};
use super::StoreError;
use crate::model::{Link, LinkId, LinkKind, LinkStatus};

/// `kind:`, the id prefix under which the links tree lists a kind's derived ids.
fn id_prefix(kind: LinkKind) -> String {
    format!("{}:", kind.as_str())
}

/// Whether a link needs an entry in the kind index (its id does not begin with its kind).
/// On the path of every link written: no allocation.
pub(crate) fn indexed_by_kind(link: &Link) -> bool {
    !begins_with_kind(link.id.as_str().as_bytes(), link.kind)
}

/// Whether `id` begins with `kind:`.
fn begins_with_kind(id: &[u8], kind: LinkKind) -> bool {
    id.strip_prefix(kind.as_str().as_bytes())
        .is_some_and(|rest| rest.first() == Some(&b':'))
}

impl SledStore {
    /// A page of the links of `kind` (and `status`, if given) after the link id `after`:
    /// the links tree under `kind:` merged with the kind index.
    pub(super) fn list_links_of_kind(
        &self,
        kind: LinkKind,
        status: Option<LinkStatus>,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<StorePage<Link>, StoreError> {
        let keep = |link: Link| {
            (link.kind == kind && status.map_or(true, |s| link.status == s)).then_some(link)
        };
        let links = self.tree(TreeId::Links);
        // Under the prefix: `after` is a whole id, so it is cut to what follows the prefix
        // (an id before the prefix starts at its beginning, one after it leaves nothing).
        let prefix = id_prefix(kind);
        let start = match after {
            Some(a) if a.starts_with(prefix.as_bytes()) => Some(Some(&a[prefix.len()..])),
            Some(a) if a > prefix.as_bytes() => None,
            _ => Some(None),
        };
        let prefixed = match start {
            Some(start) => page(links, prefix.as_bytes(), start, limit, |key, v| {
                decode(trees::LINKS, key, &v).map(keep)
            })?,
            None => StorePage {
                items: Vec::new(),
                next: None,
            },
        };
        let index_prefix = keys::prefix(&[kind.as_str().as_bytes()]);
        let indexed = page(
            self.tree(TreeId::LinkKind),
            &index_prefix,
            after,
            limit,
            |id, _| match links.get(id)? {
                Some(v) => Ok(keep(decode(trees::LINKS, id, &v)?)),
                None => Err(StoreError::Corrupt {
                    tree: trees::LINK_KIND.into(),
                    key: String::from_utf8_lossy(id).into_owned(),
                    detail: "index entry without a link".into(),
                }),
            },
        )?;
        let more = prefixed.next.is_some() || indexed.next.is_some();
        let mut items = prefixed.items;
        items.extend(indexed.items);
        items.sort_unstable_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        let more = more || items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(|l| l.id.as_str().as_bytes().to_vec())
        } else {
            None
        };
        Ok(StorePage { items, next })
    }

    /// Fills the kind index from the links tree (an upgrade from a format that indexed
    /// every link: the tree of that format was dropped). Returns the entries written.
    pub(super) fn rebuild_kind_index(&self) -> Result<u64, StoreError> {
        /// The one field the rebuild needs of a link.
        #[derive(Deserialize)]
        struct KindOf {
            kind: LinkKind,
        }
        let index = self.tree(TreeId::LinkKind);
        index.clear()?;
        let mut written = 0;
        for entry in self.tree(TreeId::Links).iter() {
            let (key, value) = entry?;
            let KindOf { kind } = decode(trees::LINKS, &key, &value)?;
            if !begins_with_kind(&key, kind) {
                let id = std::str::from_utf8(&key)
                    .ok()
                    .and_then(|id| LinkId::new(id).ok())
                    .ok_or_else(|| StoreError::Corrupt {
                        tree: trees::LINKS.into(),
                        key: String::from_utf8_lossy(&key).into_owned(),
                        detail: "not a link id".into(),
                    })?;
                index.insert(keys::link_kind(kind, &id), &[])?;
                written += 1;
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Node;
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
}
