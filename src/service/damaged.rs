//! Deleting a record that cannot be read back: the ordinary write path needs its
//! before-state, which a damaged record does not have, so the store removes it with the
//! index entries that point at it and the graph is rebuilt from the records.

use super::write::{Change, WriteSummary};
use super::{build_snapshot, ConflictKind, Service, ServiceError};
use crate::store::trees::TreeId;
use crate::store::{Removal, StoreError};

impl Service {
    /// Deletes the damaged node or link a single delete names, if it is damaged;
    /// `None` when the write is anything else (it goes the ordinary way).
    pub(super) fn delete_if_damaged(
        &self,
        changes: &[(String, Change)],
        actor: &str,
    ) -> Result<Option<WriteSummary>, ServiceError> {
        let [(path, change)] = changes else {
            return Ok(None);
        };
        let (tree, id, cascade) = match change {
            Change::DeleteNode { id, cascade } => (TreeId::Nodes, id.as_str(), *cascade),
            Change::DeleteLink(id) => (TreeId::Links, id.as_str(), false),
            _ => return Ok(None),
        };
        let read = match tree {
            TreeId::Nodes => self.store.get_node(id).map(drop),
            _ => self.store.get_link(id).map(drop),
        };
        if !matches!(read, Err(StoreError::Unreadable { .. })) {
            return Ok(None);
        }
        // Writers hold this lock: the record is checked again under it.
        let mut state = self.snapshots.lock();
        let (version, links) = match self.store.remove_damaged(tree, id, cascade, actor)? {
            Removal::NotDamaged => return Ok(None),
            Removal::HasLinks(links) => {
                let field = if path.is_empty() {
                    "id".to_string()
                } else {
                    format!("{path}.id")
                };
                return Err(ServiceError::Conflict {
                    kind: ConflictKind::NodeHasLinks,
                    detail: format!(
                        "node `{id}` cannot be read (it is damaged) and {} link(s) name it \
                         ({}); ask for cascade=true to delete them with it",
                        links.len(),
                        links.join(", ")
                    ),
                    field,
                });
            }
            Removal::Removed { version, links } => (version, links),
        };
        tracing::warn!(tree = ?tree, id, links = links.len(), actor, "a damaged record was deleted");
        let graph = build_snapshot(&self.store)?;
        self.snapshots.replace(&mut state, graph);
        drop(state);
        if let Err(e) = self.save_snapshot() {
            tracing::warn!(error = %e, "cannot write the snapshot file after deleting a damaged record");
        }
        let (deleted_nodes, mut deleted_links) = match tree {
            TreeId::Nodes => (vec![id.to_string()], Vec::new()),
            _ => (Vec::new(), vec![id.to_string()]),
        };
        deleted_links.extend(links);
        Ok(Some(WriteSummary {
            graph_version: version,
            created: 0,
            updated: 0,
            deleted: deleted_nodes.len() + deleted_links.len(),
            unchanged: 0,
            deleted_nodes,
            deleted_links,
        }))
    }
}
