//! Group commit of writes. A writer queues its changes and takes the writer lock; if
//! a writer ahead of it already committed them meanwhile, it only collects its answer.
//! Otherwise it commits everything queued: each write is checked on its own, against
//! the store plus the writes ahead of it in the group (a refused write is answered with
//! its error and leaves no trace), then all accepted writes are committed together
//! (`SledStore::commit_group`: their change-log entries, then the records) — each
//! with its own graph version and change-log entry — and go into the snapshot with one
//! overlay copy. Every writer then waits until the group is on disk
//! ([`super::durability`]) and installs the group's snapshot.
//!
//! Thirty-two concurrent writers therefore cost a handful of commits and flushes
//! instead of thirty-two of each, while every write stays all-or-nothing and is
//! acknowledged only once durable.

use std::sync::{Arc, Mutex, MutexGuard};

use super::snapshots::WriterState;
use super::write::{delta_of, Change, Layer, Staged, WriteSummary};
use super::{Service, ServiceError};
use crate::graph::project::{self, GraphDelta};
use crate::graph::GraphSnapshot;
use crate::store::RecordChange;

/// Most writes committed in one group.
const MAX_GROUP: usize = 256;

/// What a queued write came to: its summary and the snapshot to install (none when it
/// changed nothing), whether its group must be flushed, or its error.
type Outcome = Result<(WriteSummary, Option<Arc<GraphSnapshot>>, bool), ServiceError>;

type Slot = Arc<Mutex<Option<Outcome>>>;

struct Queued {
    changes: Vec<(String, Change)>,
    actor: String,
    durable: bool,
    slot: Slot,
}

/// Writes waiting for the writer lock.
#[derive(Default)]
pub(crate) struct CommitQueue {
    queued: Mutex<Vec<Queued>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// An accepted write of a group, waiting for the group's commit.
struct Accepted {
    records: Vec<RecordChange>,
    summary: WriteSummary,
    actor: String,
    durable: bool,
    slot: Slot,
}

/// Answers every writer of a group with the same failure.
fn fail_all(accepted: Vec<Accepted>, detail: &str) {
    for a in accepted {
        *lock(&a.slot) = Some(Err(ServiceError::Store(
            crate::store::StoreError::GroupFailed(detail.to_string()),
        )));
    }
}

impl Service {
    /// Queues a write, commits the queue if no one else has, and answers once durable.
    pub(super) fn commit_queued(
        &self,
        changes: Vec<(String, Change)>,
        durable: bool,
        actor: &str,
    ) -> Result<WriteSummary, ServiceError> {
        let slot: Slot = Arc::default();
        lock(&self.commits.queued).push(Queued {
            changes,
            actor: actor.to_string(),
            durable,
            slot: Arc::clone(&slot),
        });
        let mut state = self.snapshots.lock();
        // Queued before the lock was taken: either a writer ahead committed it (its
        // outcome is in the slot) or it is still queued and this writer leads.
        while lock(&slot).is_none() {
            let group: Vec<Queued> = {
                let mut queued = lock(&self.commits.queued);
                let take = queued.len().min(MAX_GROUP);
                queued.drain(..take).collect()
            };
            if group.is_empty() {
                break;
            }
            self.commit_group(&mut state, group);
        }
        drop(state);
        let outcome = lock(&slot).take().ok_or(ServiceError::Poisoned)?;
        let (summary, snapshot, flush) = outcome?;
        if let Some(snapshot) = snapshot {
            if flush {
                self.snapshots
                    .wait_durable(&self.store, summary.graph_version)?;
            }
            self.snapshots.install(snapshot);
        }
        Ok(summary)
    }

    /// Checks each queued write, commits the accepted ones together and
    /// advances the snapshot (writer lock held); fills every write's slot.
    fn commit_group(&self, state: &mut WriterState, group: Vec<Queued>) {
        let mut earlier = Layer::default();
        let mut accepted: Vec<Accepted> = Vec::new();
        for queued in group {
            let mut staged = Staged::new(&self.store, &state.latest, &earlier);
            let checked = queued
                .changes
                .into_iter()
                .try_for_each(|(path, change)| staged.apply(change, &path))
                .and_then(|()| staged.into_records());
            match checked {
                Ok((records, mut summary, _)) if records.is_empty() => {
                    summary.graph_version = state.latest.version();
                    *lock(&queued.slot) = Some(Ok((summary, None, false)));
                }
                Ok((records, summary, layer)) => {
                    earlier.absorb(layer);
                    accepted.push(Accepted {
                        records,
                        summary,
                        actor: queued.actor,
                        durable: queued.durable,
                        slot: queued.slot,
                    });
                }
                Err(e) => *lock(&queued.slot) = Some(Err(e)),
            }
        }
        if accepted.is_empty() {
            return;
        }
        let writes: Vec<(&[RecordChange], &str)> = accepted
            .iter()
            .map(|a| (a.records.as_slice(), a.actor.as_str()))
            .collect();
        let last = match self.store.commit_group(&writes) {
            Ok(last) => last,
            Err(e) => {
                // Nothing of the group was written, or it was logged and will be applied
                // later (the error says which): say so to each of its writers.
                return fail_all(accepted, &e.to_string());
            }
        };
        self.snapshots.committed(last);
        let first = last + 1 - accepted.len() as u64;
        let changed: Vec<&[RecordChange]> = writes.iter().map(|(records, _)| *records).collect();
        self.places_follow(first, last, &changed);
        let deltas: Vec<(u64, GraphDelta)> = accepted
            .iter()
            .enumerate()
            .map(|(i, a)| (first + i as u64, delta_of(&a.records)))
            .collect();
        // The store applies logged writes a failed group left behind before the next
        // group: then it is ahead of the graph by versions no delta here describes.
        let applied = if first == state.latest.version() + 1 {
            project::apply_many(&state.latest, last, deltas.iter().map(|(_, d)| d.clone()))
                .map_err(|e| format!("cannot apply committed writes: {e}"))
        } else {
            Err(format!(
                "the store applied versions {} to {} before this group",
                state.latest.version() + 1,
                first - 1
            ))
        };
        let next = match applied {
            Ok(next) => self.snapshots.advance(state, next, deltas),
            Err(reason) => {
                // Committed, but the graph cannot follow from memory: rebuild from the store.
                tracing::error!(reason, "rebuilding the snapshot from the store");
                match super::build_snapshot(&self.store) {
                    Ok(rebuilt) => {
                        self.snapshots.replace(state, rebuilt);
                        Arc::clone(&state.latest)
                    }
                    Err(e) => {
                        let detail = format!("written, but the graph could not be rebuilt: {e}");
                        return fail_all(accepted, &detail);
                    }
                }
            }
        };
        let flush = accepted.iter().any(|a| a.durable);
        for (i, mut a) in accepted.into_iter().enumerate() {
            a.summary.graph_version = first + i as u64;
            *lock(&a.slot) = Some(Ok((a.summary, Some(Arc::clone(&next)), flush)));
        }
    }
}
