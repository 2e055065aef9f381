//! Integrity check: every record is readable and valid, every record has its index
//! entries, and every index entry points at a record that still justifies it. Repair
//! fixes what has one right answer (see [`repair`]).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use super::damage::Fixes;
use super::index::{link_index, node_index};
use super::keys;
use super::sled_store::SledStore;
use super::trees::{self, TreeId};
use super::StoreError;

use crate::model::{Link, LinkId, Node, NodeId, NodeKind};

/// Stop listing after this many problems.
const MAX_PROBLEMS: usize = 1000;

/// What `pobratim check --repair` did, and what it left for a person.
#[derive(Debug, Default)]
pub struct Repair {
    /// One line per record or index entry removed or written.
    pub done: Vec<String>,
    /// Problems with no one right fix (an invalid record, two links on one pair).
    pub left: Vec<String>,
    /// The graph version after the repair.
    pub version: u64,
}

impl SledStore {
    /// Verifies that records and indexes agree; returns one line per problem found.
    pub fn check(&self) -> Result<Vec<String>, StoreError> {
        run(self)
    }

    /// Checks, then fixes what has one right answer (damaged records and the entries
    /// pointing at them, links naming nodes that are gone, stray, missing and wrong
    /// index entries) as one change logged by `actor`; says what it did and what it left.
    pub fn repair(&self, actor: &str) -> Result<Repair, StoreError> {
        repair(self, actor)
    }
}

/// Runs the whole check: one line per problem, at most [`MAX_PROBLEMS`].
pub(crate) fn run(store: &SledStore) -> Result<Vec<String>, StoreError> {
    let (problems, _) = examine(store)?;
    Ok(problems.0)
}

/// Checks, then fixes what has one right answer, in one logged change by `actor`:
/// damaged records and the index entries that point at them go, links naming a node
/// that is gone or damaged go, stray index entries go, missing or wrong entries of
/// readable records are written. The rest is listed in [`Repair::left`].
pub(crate) fn repair(store: &SledStore, actor: &str) -> Result<Repair, StoreError> {
    let (problems, found) = examine(store)?;
    let mut fixes = Fixes::default();
    let mut done = Vec::new();
    for (tree, key, detail) in found.damaged {
        done.push(format!(
            "removed the damaged record {} in {}: {detail}",
            String::from_utf8_lossy(&key),
            trees::ALL[tree as usize]
        ));
        fixes.records.push((tree, key));
    }
    for (key, link) in found.orphaned_links {
        done.push(format!(
            "removed link {}: it names a node that is gone or damaged",
            link.id
        ));
        for (tree, key, _) in link_index(&link) {
            fixes.stray_entries.push((tree, key));
        }
        fixes.records.push((TreeId::Links, key));
    }
    for (tree, key) in found.stray_entries {
        done.push(format!(
            "removed the entry {} from index {}: no record accounts for it",
            show_key(&key),
            trees::ALL[tree as usize]
        ));
        fixes.stray_entries.push((tree, key));
    }
    for (tree, key, value) in found.missing_entries {
        done.push(format!(
            "wrote the entry {} of index {}",
            show_key(&key),
            trees::ALL[tree as usize]
        ));
        fixes.entries.push((tree, key, value));
    }
    let left = problems
        .0
        .into_iter()
        .zip(problems.1)
        .filter(|(_, fixable)| !fixable)
        .map(|(problem, _)| problem)
        .collect();
    let version = fixes.apply(store, actor)?;
    Ok(Repair {
        done,
        left,
        version,
    })
}

/// What the check found that repair can fix.
#[derive(Default)]
struct Fixable {
    damaged: Vec<(TreeId, Vec<u8>, String)>,
    /// Links naming a node that is gone or damaged, with their keys.
    orphaned_links: Vec<(Vec<u8>, Link)>,
    stray_entries: Vec<(TreeId, Vec<u8>)>,
    /// Missing entries, and entries with a wrong value: `(tree, key, right value)`.
    missing_entries: Vec<(TreeId, Vec<u8>, Vec<u8>)>,
}

impl Fixable {
    /// Notes a record that cannot be read: a problem, and a record to remove.
    fn damaged(&mut self, tree: TreeId, key: Vec<u8>, detail: String, problems: &mut Problems) {
        problems.push(
            format!(
                "the record {} in {} cannot be read: {detail}",
                String::from_utf8_lossy(&key),
                trees::ALL[tree as usize]
            ),
            true,
        );
        self.damaged.push((tree, key, detail));
    }
}

fn examine(store: &SledStore) -> Result<(Problems, Fixable), StoreError> {
    let mut problems = Problems::default();
    let mut fixable = Fixable::default();
    let mut expected: HashSet<(usize, Vec<u8>)> = HashSet::new();
    let mut node_kinds: HashMap<NodeId, NodeKind> = HashMap::new();
    // `kind ∥ canonical members` → the first link seen with them (at most one may exist).
    let mut pairs: HashMap<Vec<u8>, LinkId> = HashMap::new();
    for entry in store.scan_nodes_raw() {
        let (key, node) = entry?;
        match node {
            Ok(node) => {
                check_node(&key, &node, &mut problems);
                for (tree, key, value) in node_index(&node) {
                    let owner = format!("node {}", node.id);
                    if let Some(problem) = expect(store, tree, &key, &value, &owner)? {
                        problems.push(problem, true);
                        fixable.missing_entries.push((tree, key.clone(), value));
                    }
                    expected.insert((tree as usize, key));
                }
                node_kinds.insert(node.id.clone(), node.kind);
            }
            Err(StoreError::Unreadable { detail, .. }) => {
                fixable.damaged(TreeId::Nodes, key, detail, &mut problems)
            }
            Err(e) => return Err(e),
        }
    }
    for entry in store.scan_links_raw() {
        let (key, link) = entry?;
        match link {
            Ok(link) => {
                let orphaned = check_link(&key, &link, &node_kinds, &mut problems);
                let canonical = Link::canonical_members(link.kind, &link.members);
                match pairs.entry(keys::link_pair(link.kind, &canonical)) {
                    Entry::Occupied(first) => problems.push(
                        format!(
                            "links {} and {} are both {} links between the same members",
                            first.get(),
                            link.id,
                            link.kind.as_str()
                        ),
                        false,
                    ),
                    Entry::Vacant(slot) => {
                        slot.insert(link.id.clone());
                    }
                }
                for (tree, key, value) in link_index(&link) {
                    let owner = format!("link {}", link.id);
                    if let Some(problem) = expect(store, tree, &key, &value, &owner)? {
                        problems.push(problem, !orphaned);
                        if !orphaned {
                            fixable.missing_entries.push((tree, key.clone(), value));
                        }
                    }
                    expected.insert((tree as usize, key));
                }
                if orphaned {
                    fixable.orphaned_links.push((key, link));
                }
            }
            Err(StoreError::Unreadable { detail, .. }) => {
                fixable.damaged(TreeId::Links, key, detail, &mut problems)
            }
            Err(e) => return Err(e),
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
                problems.push(
                    format!(
                        "index {} has an entry {:?} that no record accounts for",
                        trees::ALL[tree as usize],
                        show_key(&key)
                    ),
                    true,
                );
                fixable.stray_entries.push((tree, key.to_vec()));
            }
        }
    }
    Ok((problems, fixable))
}

fn show_key(key: &[u8]) -> String {
    String::from_utf8_lossy(key).replace(char::from(keys::SEP), " ∥ ")
}

/// Problems found, each with whether repair fixes it; listed up to [`MAX_PROBLEMS`].
#[derive(Default)]
struct Problems(Vec<String>, Vec<bool>);

impl Problems {
    fn push(&mut self, problem: String, fixable: bool) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(problem);
            self.1.push(fixable);
        }
    }
}

fn check_node(key: &[u8], node: &Node, problems: &mut Problems) {
    if key != node.id.as_str().as_bytes() {
        problems.push(
            format!(
                "node stored under key {:?} has id {}",
                String::from_utf8_lossy(key),
                node.id
            ),
            false,
        );
    }
    if let Err(e) = node.validate() {
        problems.push(format!("node {} is invalid: {e}", node.id), false);
    }
}

/// Checks a link; returns whether it names a member that does not exist (or is damaged).
fn check_link(
    key: &[u8],
    link: &Link,
    node_kinds: &HashMap<NodeId, NodeKind>,
    problems: &mut Problems,
) -> bool {
    if key != link.id.as_str().as_bytes() {
        problems.push(
            format!(
                "link stored under key {:?} has id {}",
                String::from_utf8_lossy(key),
                link.id
            ),
            false,
        );
    }
    if let Err(e) = link.validate() {
        problems.push(format!("link {} is invalid: {e}", link.id), false);
    }
    let mut orphaned = false;
    for (i, member) in link.members.iter().enumerate() {
        match node_kinds.get(member) {
            None => {
                orphaned = true;
                problems.push(
                    format!(
                        "link {} names member {member}, which does not exist or cannot be read",
                        link.id
                    ),
                    true,
                );
            }
            Some(kind) => {
                if let Some(allowed) = link.kind.member_kinds(i) {
                    if !allowed.contains(kind) {
                        problems.push(
                            format!(
                                "link {} has member {member} of kind {}, not allowed there",
                                link.id,
                                kind.as_str()
                            ),
                            false,
                        );
                    }
                }
            }
        }
    }
    orphaned
}

/// The problem with `owner`'s entry `key` in `tree`, if it is missing or has a value
/// other than `value`.
fn expect(
    store: &SledStore,
    tree: TreeId,
    key: &[u8],
    value: &[u8],
    owner: &str,
) -> Result<Option<String>, StoreError> {
    Ok(match store.raw_get(tree, key)? {
        None => Some(format!(
            "{owner} is missing its entry in index {}",
            trees::ALL[tree as usize]
        )),
        Some(found) if found.as_ref() != value => Some(format!(
            "{owner} has its entry in index {} with an unexpected value {:?}",
            trees::ALL[tree as usize],
            String::from_utf8_lossy(&found)
        )),
        Some(_) => None,
    })
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
