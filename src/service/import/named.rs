//! Nodes an import accepted, found by kind, country and name.
//!
//! A row without an id names its node by kind, name and country: it updates the node
//! that has them, whatever that node's id. The store's name index answers for the
//! chunks already written and the chunk in flight answers for itself. What is left is
//! here:
//! - the chunk being checked, whose nodes are in no index yet. Its map is built when a
//!   row first asks, and kept up to date until the chunk is handed over, so a file whose
//!   rows all give ids never pays for it;
//! - the chunks a dry run (or a refused import) did not write, which keep only
//!   fingerprints. For those, the nodes whose id is not the one their kind, country and
//!   name derive are kept, under a 64-bit hash of those three. A row without an id
//!   finds the others by that id. Two keys of one file with the same hash, or a row
//!   naming a node by the name a later chunk changed, would make a dry run count an
//!   update for a creation, nothing worse, since nothing is written.

use hashbrown::HashMap;

use super::retired::hash_of;
use super::Pending;
use crate::model::text::normalize;
use crate::model::{CountryCode, Node, NodeId, NodeKind};

/// Kind, country and normalised name: what an id-less row matches a node by.
pub(super) type NameKey = (NodeKind, Option<CountryCode>, String);

/// See the module documentation.
#[derive(Default)]
pub(super) struct Named {
    /// The chunk being checked, once a row has asked.
    chunk: Option<HashMap<NameKey, NodeId>>,
    /// Nodes of unwritten chunks whose id is not derived from their name.
    retired: HashMap<u64, NodeId>,
}

/// The key `node` is found by.
pub(super) fn key_of(node: &Node) -> NameKey {
    (node.kind, node.country, normalize(&node.name))
}

impl Pending<'_> {
    /// A node of the chunk being checked, or of an unwritten earlier chunk, with the
    /// kind and country of `node` and the normalised name `term`.
    pub(super) fn same_named_here(&mut self, node: &Node, term: &str) -> Option<NodeId> {
        let key = (node.kind, node.country, term.to_owned());
        let nodes = &self.nodes;
        let chunk = self.named.chunk.get_or_insert_with(|| {
            nodes
                .values()
                .map(|(_, node)| (key_of(node), node.id.clone()))
                .collect()
        });
        // A node of this chunk renamed since it was noted is no longer that name's.
        let current = chunk.get(&key).filter(|id| {
            self.nodes
                .get(*id)
                .is_some_and(|(_, found)| key_of(found) == key)
        });
        if let Some(id) = current {
            return Some(id.clone());
        }
        self.named.retired.get(&hash_of(&key)).cloned()
    }

    /// Notes a node accepted into the chunk being checked (when its map is built).
    pub(super) fn note_named(&mut self, node: &Node) {
        if let Some(chunk) = self.named.chunk.as_mut() {
            chunk.insert(key_of(node), node.id.clone());
        }
    }

    /// The chunk was handed over or retired: its map goes with it.
    pub(super) fn forget_chunk_names(&mut self) {
        self.named.chunk = None;
    }

    /// Keeps `node`, of a chunk that will not be written, if an id-less row could not
    /// find it by its id.
    pub(super) fn retire_named(&mut self, node: &Node) {
        let country = node.country.as_ref().map(CountryCode::as_str);
        if NodeId::derive(node.kind.as_str(), country, &node.name).as_ref() != Some(&node.id) {
            self.named
                .retired
                .insert(hash_of(&key_of(node)), node.id.clone());
        }
    }
}
