//! Integrity check: every record is readable and valid, every record has its index
//! entries, and every index entry points at a record that still justifies it.

use std::collections::HashSet;

use super::index::{link_index, node_index};
use super::keys;
use super::sled_store::SledStore;
use super::trees::{self, TreeId};
use super::StoreError;
use std::collections::hash_map::Entry;

use crate::model::{Link, LinkId, Node, NodeId};

/// Stop listing after this many problems.
const MAX_PROBLEMS: usize = 1000;

/// Runs the whole check.
pub(crate) fn run(store: &SledStore) -> Result<Vec<String>, StoreError> {
    let mut problems = Problems::default();
    let mut expected: HashSet<(usize, Vec<u8>)> = HashSet::new();
    let mut nodes: HashSet<NodeId> = HashSet::new();
    let mut node_kinds = std::collections::HashMap::new();
    // `kind ∥ canonical members` → the first link seen with them (at most one may exist).
    let mut pairs: std::collections::HashMap<Vec<u8>, LinkId> = std::collections::HashMap::new();
    for entry in store.scan_nodes_raw() {
        let (key, node) = entry?;
        match node {
            Ok(node) => {
                check_node(&key, &node, &mut problems);
                for (tree, key, value) in node_index(&node) {
                    expect(
                        store,
                        tree,
                        &key,
                        &value,
                        &format!("node {}", node.id),
                        &mut problems,
                    )?;
                    expected.insert((tree as usize, key));
                }
                node_kinds.insert(node.id.clone(), node.kind);
                nodes.insert(node.id);
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    for entry in store.scan_links_raw() {
        let (key, link) = entry?;
        match link {
            Ok(link) => {
                check_link(&key, &link, &node_kinds, &mut problems);
                let canonical = Link::canonical_members(link.kind, &link.members);
                match pairs.entry(keys::link_pair(link.kind, &canonical)) {
                    Entry::Occupied(first) => problems.push(format!(
                        "links {} and {} are both {} links between the same members",
                        first.get(),
                        link.id,
                        link.kind.as_str()
                    )),
                    Entry::Vacant(slot) => {
                        slot.insert(link.id.clone());
                    }
                }
                for (tree, key, value) in link_index(&link) {
                    expect(
                        store,
                        tree,
                        &key,
                        &value,
                        &format!("link {}", link.id),
                        &mut problems,
                    )?;
                    expected.insert((tree as usize, key));
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    for tree in [
        TreeId::NodeKind,
        TreeId::NodeCountry,
        TreeId::NodeName,
        TreeId::LinkKind,
    ] {
        for entry in store.index_keys(tree) {
            let (key, _) = entry?;
            if !expected.contains(&(tree as usize, key.to_vec())) {
                problems.push(format!(
                    "index {} has an entry {:?} that no record accounts for",
                    trees::ALL[tree as usize],
                    String::from_utf8_lossy(&key).replace(char::from(keys::SEP), " ∥ ")
                ));
            }
        }
    }
    Ok(problems.0)
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, problem: String) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(problem);
        }
    }
}

fn check_node(key: &[u8], node: &Node, problems: &mut Problems) {
    if key != node.id.as_str().as_bytes() {
        problems.push(format!(
            "node stored under key {:?} has id {}",
            String::from_utf8_lossy(key),
            node.id
        ));
    }
    if let Err(e) = node.validate() {
        problems.push(format!("node {} is invalid: {e}", node.id));
    }
}

fn check_link(
    key: &[u8],
    link: &Link,
    node_kinds: &std::collections::HashMap<NodeId, crate::model::NodeKind>,
    problems: &mut Problems,
) {
    if key != link.id.as_str().as_bytes() {
        problems.push(format!(
            "link stored under key {:?} has id {}",
            String::from_utf8_lossy(key),
            link.id
        ));
    }
    if let Err(e) = link.validate() {
        problems.push(format!("link {} is invalid: {e}", link.id));
    }
    for (i, member) in link.members.iter().enumerate() {
        match node_kinds.get(member) {
            None => problems.push(format!(
                "link {} names member {member}, which does not exist",
                link.id
            )),
            Some(kind) => {
                if let Some(allowed) = link.kind.member_kinds(i) {
                    if !allowed.contains(kind) {
                        problems.push(format!(
                            "link {} has member {member} of kind {}, not allowed there",
                            link.id,
                            kind.as_str()
                        ));
                    }
                }
            }
        }
    }
}

fn expect(
    store: &SledStore,
    tree: TreeId,
    key: &[u8],
    value: &[u8],
    owner: &str,
    problems: &mut Problems,
) -> Result<(), StoreError> {
    match store.raw_get(tree, key)? {
        None => problems.push(format!(
            "{owner} is missing its entry in index {}",
            trees::ALL[tree as usize]
        )),
        Some(found) if found.as_ref() != value => problems.push(format!(
            "{owner} has its entry in index {} with an unexpected value {:?}",
            trees::ALL[tree as usize],
            String::from_utf8_lossy(&found)
        )),
        Some(_) => {}
    }
    Ok(())
}

impl SledStore {
    /// Nodes with their keys; a record that does not decode is reported, not fatal.
    fn scan_nodes_raw(
        &self,
    ) -> impl Iterator<Item = Result<(Vec<u8>, Result<Node, StoreError>), StoreError>> + '_ {
        self.index_keys(TreeId::Nodes).map(|entry| {
            let (key, value) = entry?;
            Ok((
                key.to_vec(),
                super::codec::decode(trees::NODES, &key, &value),
            ))
        })
    }

    /// Links with their keys; a record that does not decode is reported, not fatal.
    fn scan_links_raw(
        &self,
    ) -> impl Iterator<Item = Result<(Vec<u8>, Result<Link, StoreError>), StoreError>> + '_ {
        self.index_keys(TreeId::Links).map(|entry| {
            let (key, value) = entry?;
            Ok((
                key.to_vec(),
                super::codec::decode(trees::LINKS, &key, &value),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LinkId;
    use crate::store::RecordChange;

    fn node(id: &str) -> Node {
        serde_json::from_value(
            serde_json::json!({"id": id, "kind": "city", "name": id, "country": "RU"}),
        )
        .unwrap()
    }

    #[test]
    fn a_consistent_store_is_clean_and_tampering_is_named() {
        let store = SledStore::temporary().unwrap();
        let link: Link = serde_json::from_value(
            serde_json::json!({"id": "l1", "kind": "twinning", "members": ["a", "b"]}),
        )
        .unwrap();
        store
            .commit(
                &[
                    RecordChange::Node {
                        before: None,
                        after: Some(node("a")),
                    },
                    RecordChange::Node {
                        before: None,
                        after: Some(node("b")),
                    },
                    RecordChange::Link {
                        before: None,
                        after: Some(link),
                    },
                ],
                false,
            )
            .unwrap();
        assert_eq!(store.check().unwrap(), Vec::<String>::new());

        store
            .raw_tree(TreeId::LinkKind)
            .remove(keys::link_kind(
                crate::model::LinkKind::Twinning,
                &LinkId::new("l1").unwrap(),
            ))
            .unwrap();
        store
            .raw_tree(TreeId::NodeKind)
            .insert(b"city\0ghost", &[])
            .unwrap();
        let problems = store.check().unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("link l1 is missing its entry in index idx.link_kind.v2"));
        assert!(problems[1].contains("ghost"));
        assert!(store.has_key(TreeId::NodeKind, b"city\0ghost").unwrap());
    }

    #[test]
    fn two_links_on_one_pair_and_an_entry_with_a_wrong_value_are_named() {
        let store = SledStore::temporary().unwrap();
        let link = |id: &str, members: [&str; 2]| -> Link {
            serde_json::from_value(
                serde_json::json!({"id": id, "kind": "twinning", "members": members}),
            )
            .unwrap()
        };
        let mut changes: Vec<RecordChange> = ["a", "b"]
            .iter()
            .map(|id| RecordChange::Node {
                before: None,
                after: Some(node(id)),
            })
            .collect();
        // The store takes what it is given; the rule is the writers' (who ask the graph).
        for l in [link("l1", ["a", "b"]), link("l2", ["b", "a"])] {
            changes.push(RecordChange::Link {
                before: None,
                after: Some(l),
            });
        }
        store.commit(&changes, false).unwrap();
        store
            .raw_tree(TreeId::NodeName)
            .insert(keys::node_name("a", &NodeId::new("a").unwrap()), &[0])
            .unwrap();
        let problems = store.check().unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains(
                "node a has its entry in index idx.node_name.v1 with an unexpected value"
            ),
            "{problems:?}"
        );
        assert!(
            problems[1]
                .contains("links l1 and l2 are both twinning links between the same members"),
            "{problems:?}"
        );
    }
}
