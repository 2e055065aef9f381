//! Opening the snapshot from its file: load it, replay the change log written since,
//! or rebuild from the records when the file cannot be used.

use std::path::Path;

use super::{build_snapshot, ServiceError};
use crate::graph::persist;
use crate::graph::project::{self, GraphDelta};
use crate::graph::GraphSnapshot;
use crate::model::{Link, NodeId, NodeKind};
use crate::store::{ChangeEntry, RecordType, SledStore};

/// Where an opened snapshot came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotOrigin {
    /// The snapshot file, then this many change-log entries replayed.
    File {
        /// Entries replayed.
        replayed: u64,
    },
    /// Every record of the store (no usable file).
    Records,
}

/// Change-log entries read per batch while replaying.
const REPLAY_BATCH: usize = 10_000;

/// The snapshot of the store: from `file` plus the change log when possible.
pub(super) fn open_snapshot(
    store: &SledStore,
    file: &Path,
) -> Result<(GraphSnapshot, SnapshotOrigin), ServiceError> {
    let version = store.graph_version()?;
    let started = std::time::Instant::now();
    match persist::load(file) {
        Ok(Some(graph)) if graph.version() <= version => {
            let from = graph.version();
            match replay(store, graph, version) {
                Ok(Some(graph)) => {
                    tracing::info!(
                        from,
                        to = version,
                        ms = started.elapsed().as_millis() as u64,
                        graph_mb = graph.base_heap_bytes() >> 20,
                        "graph loaded from the snapshot file and the change log"
                    );
                    let origin = SnapshotOrigin::File {
                        replayed: version - from,
                    };
                    return Ok((graph, origin));
                }
                Ok(None) => tracing::info!(
                    from,
                    to = version,
                    "the change log does not cover the writes since the snapshot file (an import); rebuilding"
                ),
                Err(e) => tracing::warn!(error = %e, "cannot replay the change log; rebuilding"),
            }
        }
        Ok(Some(graph)) => tracing::info!(
            file = graph.version(),
            store = version,
            "the snapshot file is ahead of the store (written before a crash); rebuilding"
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "the snapshot file is unusable; rebuilding"),
    }
    Ok((build_snapshot(store)?, SnapshotOrigin::Records))
}

/// Applies the change log after `graph`'s version up to `target`; `None` when an entry
/// is missing or carries no record diffs (an import).
fn replay(
    store: &SledStore,
    mut graph: GraphSnapshot,
    target: u64,
) -> Result<Option<GraphSnapshot>, ServiceError> {
    let mut at = graph.version();
    while at < target {
        let entries = store.changes_since(at, REPLAY_BATCH)?;
        if entries.is_empty() {
            return Ok(None);
        }
        for entry in entries {
            if entry.version != at + 1 || entry.action != "write" {
                return Ok(None);
            }
            let Some(delta) = delta_of(&entry) else {
                return Ok(None);
            };
            graph = project::apply(&graph, entry.version, delta)?;
            at = entry.version;
        }
    }
    Ok(Some(graph))
}

/// The graph change of a change-log entry (as the write computed it from its records).
fn delta_of(entry: &ChangeEntry) -> Option<GraphDelta> {
    let mut delta = GraphDelta::default();
    for diff in &entry.changes {
        match (diff.record, &diff.after) {
            (RecordType::Node, Some(after)) => {
                let kind: NodeKind = serde_json::from_value(after.get("kind")?.clone()).ok()?;
                delta
                    .upserted_nodes
                    .push((NodeId::new(diff.id.clone()).ok()?, kind));
            }
            (RecordType::Node, None) => {
                delta.removed_nodes.push(NodeId::new(diff.id.clone()).ok()?)
            }
            (RecordType::Link, Some(after)) => {
                let link: Link = serde_json::from_value(after.clone()).ok()?;
                delta.upserted_links.push(link.into());
            }
            (RecordType::Link, None) => delta
                .removed_links
                .push(crate::model::LinkId::new(diff.id.clone()).ok()?),
        }
    }
    Some(delta)
}
