//! Which node an id-less record names, and what a partial record leaves as it was.
//!
//! A node record without an id (an edge list's city, a Wikidata item) names its node by
//! what it holds: its Wikidata Q-id first, then the id its reader derived from kind,
//! country and name, then a node of the same kind and country whose name normalises the
//! same (also when the derived id is taken by a node of another name: two spellings
//! that derive one id). A node that is another Wikidata item is never taken for it: the record then
//! gets an id of its own, the derived one followed by its Q-id (`city:de:neustadt-q14917`).
//!
//! When the node found has another id than the derived one, the links of the same file
//! that name the derived id name the node found: the derived id is an alias for the rest
//! of the import.
//!
//! Q-ids of stored nodes are found by one scan of the node records, made the first time
//! a record with a Q-id asks (17,000 nodes: a few milliseconds; 1M: about a second); the
//! store keeps no index by Q-id.

use std::collections::BTreeMap;

use hashbrown::HashMap;

use super::retired::Earlier;
use super::{storage, Pending};
use crate::model::{Link, LinkId, Node, NodeId};

/// The external-id key of a Wikidata Q-id.
const WIKIDATA: &str = "wikidata";

/// Q-ids known to the import.
#[derive(Default)]
pub(super) struct Matched {
    /// Q-id → node, of the store as it was before the import (scanned when first asked).
    stored: Option<HashMap<String, NodeId>>,
    /// Q-id → node, of the nodes this import accepted.
    here: HashMap<String, NodeId>,
    /// Node → Q-id, of the nodes this import accepted (the reverse of `here`).
    claimed: HashMap<NodeId, String>,
    /// Derived id → the node an id-less record with that id was found to be.
    aliases: HashMap<NodeId, NodeId>,
}

/// Only what the Q-id scan needs of a node record.
#[derive(serde::Deserialize)]
struct Identified {
    id: NodeId,
    #[serde(default)]
    external_ids: BTreeMap<String, String>,
}

impl Pending<'_> {
    /// Finds the node an id-less `node` names (see the module documentation), sets its id
    /// to that node's, and gives the node as the import has left it so far.
    pub(super) fn match_unnamed(
        &mut self,
        node: &mut Node,
    ) -> Result<Option<Earlier<Node>>, super::RowError> {
        let derived = node.id.clone();
        let qid = node.external_ids.get(WIKIDATA).cloned();
        if let Some(qid) = &qid {
            if let Some(id) = self.node_with_qid(qid)? {
                node.id = id;
                self.note_alias(derived, &node.id);
                return self.node(&node.id);
            }
        }
        let mut existing = self.node(&node.id)?;
        // The derived id is taken by a node spelt otherwise (spellings that derive one
        // id, "Ploieşti" and "Ploiești"): a node spelt as the record is a better match.
        let spelt_otherwise = whole(&existing).is_some_and(|found| found.name != node.name);
        if existing.is_none() || spelt_otherwise {
            if let Some(id) = self.same_named(node)? {
                let found = self.node(&id)?;
                let exact = whole(&found).is_some_and(|found| found.name == node.name);
                if !self.is_other_item(&id, whole(&found), node) && (existing.is_none() || exact) {
                    node.id = id;
                    existing = found;
                }
            }
        }
        if let Some(qid) = &qid {
            if self.is_other_item(&node.id, whole(&existing), node) {
                let own = format!("{derived}-{}", qid.to_ascii_lowercase());
                node.id = NodeId::new(own).map_err(|e| {
                    super::RowError::row(0, "id", format!("cannot give {qid} an id: {e}"))
                })?;
                existing = self.node(&node.id)?;
            }
        }
        self.note_alias(derived, &node.id);
        Ok(existing)
    }

    /// Notes the Q-id of a node this import accepted.
    pub(super) fn note_qid(&mut self, node: &Node) {
        if let Some(qid) = node.external_ids.get(WIKIDATA) {
            self.matched.here.insert(qid.clone(), node.id.clone());
            self.matched.claimed.insert(node.id.clone(), qid.clone());
        }
    }

    /// A link as the file meant it: members named by a derived id that an earlier record
    /// was found to be another node name that node, and an id derived from the members
    /// follows them.
    pub(super) fn with_aliases(&self, mut link: Link) -> Link {
        if self.matched.aliases.is_empty() {
            return link;
        }
        let renamed: Vec<NodeId> = link
            .members
            .iter()
            .map(|m| self.matched.aliases.get(m).unwrap_or(m).clone())
            .collect();
        if renamed == link.members {
            return link;
        }
        let derived = link.id.is_derived_from(link.kind.as_str(), &link.members);
        link.members = Link::canonical_members(link.kind, &renamed);
        if derived {
            if let Ok(id) = LinkId::derive(link.kind.as_str(), &link.members) {
                link.id = id;
            }
        }
        link
    }

    /// Whether the node `id` (stored as `found`, if known) is a Wikidata item other than
    /// the one `record` names: by its stored Q-id, or by the Q-id this import gave it.
    pub(super) fn is_other_item(&self, id: &NodeId, found: Option<&Node>, record: &Node) -> bool {
        let Some(qid) = record.external_ids.get(WIKIDATA) else {
            return false;
        };
        let stored = found.and_then(|found| found.external_ids.get(WIKIDATA));
        let claimed = self.matched.claimed.get(id);
        claimed.or(stored).is_some_and(|other| other != qid)
    }

    fn note_alias(&mut self, derived: NodeId, found: &NodeId) {
        if &derived != found {
            self.matched.aliases.insert(derived, found.clone());
        }
    }

    fn node_with_qid(&mut self, qid: &str) -> Result<Option<NodeId>, super::RowError> {
        if let Some(id) = self.matched.here.get(qid) {
            return Ok(Some(id.clone()));
        }
        if self.matched.stored.is_none() {
            let mut stored = HashMap::new();
            for node in self.store.scan_nodes_as::<Identified>() {
                let node = node.map_err(storage)?;
                if let Some(qid) = node.external_ids.get(WIKIDATA) {
                    stored.insert(qid.clone(), node.id);
                }
            }
            self.matched.stored = Some(stored);
        }
        Ok(self
            .matched
            .stored
            .as_ref()
            .and_then(|stored| stored.get(qid).cloned()))
    }
}

/// The node, when the import knows it whole.
fn whole(found: &Option<Earlier<Node>>) -> Option<&Node> {
    match found {
        Some(Earlier::Whole(node)) => Some(node),
        _ => None,
    }
}

/// A partial node record over the stored node: the fields it states replace the stored
/// ones; `names`, `external_ids` and `attrs` are added to; a name that is only the
/// record's Q-id (an item without a label) keeps the stored name.
pub(super) fn merge_node(old: &Node, stated: Node) -> Node {
    let unlabelled = stated
        .external_ids
        .get(WIKIDATA)
        .is_some_and(|qid| *qid == stated.name);
    let mut merged = old.clone();
    merged.kind = stated.kind;
    if !unlabelled {
        merged.name = stated.name;
    }
    merged.names.extend(stated.names);
    merged.country = stated.country.or(old.country);
    merged.region = stated.region.or_else(|| old.region.clone());
    merged.location = stated.location.or(old.location);
    merged.population = stated.population.or(old.population);
    merged.external_ids.extend(stated.external_ids);
    if !stated.tags.is_empty() {
        merged.tags = stated.tags;
    }
    merged.attrs.extend(stated.attrs);
    merged
}

/// A partial link record over the stored link: dates, source and evidence it states
/// replace the stored ones; `attrs` are added to; status, areas and notes stay.
pub(super) fn merge_link(old: &Link, stated: Link) -> Link {
    let mut merged = old.clone();
    merged.evidence = stated.evidence;
    merged.signed = stated.signed.or(old.signed);
    merged.ended = stated.ended.or(old.ended);
    if stated.source.is_some() {
        merged.source = stated.source;
    }
    if stated.notes.is_some() {
        merged.notes = stated.notes;
    }
    merged.attrs.extend(stated.attrs);
    merged
}
