//! The change report: what each record of the file does to the store as it was before
//! the import (see [`crate::io::changes`]).
//!
//! Each record's state before the import is read the first time the file names it (the
//! store then still holds what it held: only records the import accepted are written,
//! after they were first seen), and its state after is the last the file gives. The
//! report holds every record of the file until the end: a report over a 1M-record
//! file needs memory for all of them.

use hashbrown::{HashMap, HashSet};

use super::{storage, Pending, RowError};
use crate::io::changes::{ChangeLine, RecordType};
use crate::model::{Link, LinkId, Node, NodeId};
use crate::store::{SledStore, StoreError};

/// Records read, in file order, with their state before and after.
#[derive(Default)]
pub(super) struct Reported {
    order: Vec<Key>,
    nodes: HashMap<NodeId, Noted<Node>>,
    links: HashMap<LinkId, Noted<Link>>,
    /// `source.document` of the links read: the datasets `missing` looks in.
    documents: HashSet<String>,
}

/// A record read, by its id.
enum Key {
    Node(NodeId),
    Link(LinkId),
}

struct Noted<T> {
    line: u64,
    before: Option<T>,
    after: T,
}

impl Pending<'_> {
    /// Starts keeping the change report.
    pub(super) fn report_changes(&mut self) {
        self.reported = Some(Reported::default());
    }

    /// Notes the node a record leaves (after matching and merging).
    pub(super) fn note_reported_node(&mut self, line: u64, node: &Node) -> Result<(), RowError> {
        let Some(reported) = self.reported.as_mut() else {
            return Ok(());
        };
        let (graph, store) = (self.graph, self.store);
        note(
            &mut reported.order,
            &mut reported.nodes,
            &node.id,
            Key::Node,
            line,
            node,
            || match graph.index_of(&node.id) {
                Some(_) => store.get_node(&node.id).map_err(storage),
                None => Ok(None),
            },
        )
    }

    /// Notes the link a record leaves (after merging).
    pub(super) fn note_reported_link(&mut self, line: u64, link: &Link) -> Result<(), RowError> {
        let Some(reported) = self.reported.as_mut() else {
            return Ok(());
        };
        if let Some(document) = link.source.as_ref().and_then(|s| s.document.as_ref()) {
            if !reported.documents.contains(document) {
                reported.documents.insert(document.clone());
            }
        }
        let (graph, store) = (self.graph, self.store);
        note(
            &mut reported.order,
            &mut reported.links,
            &link.id,
            Key::Link,
            line,
            link,
            || match graph.link_ix(&link.id) {
                Some(_) => store.get_link(&link.id).map_err(storage),
                None => Ok(None),
            },
        )
    }

    /// The report, in file order; with `missing`, followed by the stored links of the
    /// same datasets the file does not hold, in id order.
    pub(super) fn take_report(
        &mut self,
        missing: bool,
    ) -> Result<Option<Vec<ChangeLine>>, StoreError> {
        let Some(reported) = self.reported.take() else {
            return Ok(None);
        };
        let json = |e: serde_json::Error| StoreError::Codec(format!("cannot report: {e}"));
        let mut lines = Vec::with_capacity(reported.order.len());
        for key in &reported.order {
            let line = match key {
                Key::Node(id) => {
                    let noted = &reported.nodes[id];
                    ChangeLine::compare(
                        RecordType::Node,
                        id.as_str().to_string(),
                        noted.line,
                        noted.before.as_ref(),
                        &noted.after,
                    )
                }
                Key::Link(id) => {
                    let noted = &reported.links[id];
                    ChangeLine::compare(
                        RecordType::Link,
                        id.as_str().to_string(),
                        noted.line,
                        noted.before.as_ref(),
                        &noted.after,
                    )
                }
            };
            lines.push(line.map_err(json)?);
        }
        if missing && !reported.documents.is_empty() {
            lines.extend(missing_links(self.store, &reported)?);
        }
        Ok(Some(lines))
    }
}

/// Stored links whose `source.document` is one the file's links name, and that the file
/// does not hold.
fn missing_links(store: &SledStore, reported: &Reported) -> Result<Vec<ChangeLine>, StoreError> {
    let mut out = Vec::new();
    for link in store.scan_links() {
        let link = link?;
        let document = link.source.as_ref().and_then(|s| s.document.as_ref());
        if !document.is_some_and(|d| reported.documents.contains(d))
            || reported.links.contains_key(&link.id)
        {
            continue;
        }
        let value = serde_json::to_value(&link)
            .map_err(|e| StoreError::Codec(format!("cannot report: {e}")))?;
        out.push(ChangeLine {
            change: crate::io::changes::Change::Missing,
            record: RecordType::Link,
            id: link.id.as_str().to_string(),
            line: 0,
            fields: Vec::new(),
            value: Some(value),
        });
    }
    Ok(out)
}

/// Notes a record's state after a row: the first time, with its state before the import
/// (`before`, read from the store only then) and its place in file order.
fn note<K: Clone + Eq + std::hash::Hash, T: Clone>(
    order: &mut Vec<Key>,
    noted: &mut HashMap<K, Noted<T>>,
    id: &K,
    key: fn(K) -> Key,
    line: u64,
    after: &T,
    before: impl FnOnce() -> Result<Option<T>, RowError>,
) -> Result<(), RowError> {
    if let Some(kept) = noted.get_mut(id) {
        kept.after = after.clone();
        return Ok(());
    }
    order.push(key(id.clone()));
    noted.insert(
        id.clone(),
        Noted {
            line,
            before: before()?,
            after: after.clone(),
        },
    );
    Ok(())
}
