//! Writing a chunk while the next one is checked.
//!
//! A chunk's records go to a writer thread, which inserts them into the store, while
//! the import goes on reading, parsing and checking the rows of the next chunk: on two
//! cores the checking otherwise left one idle while sled inserted, and sled's inserts
//! left it idle while rows were parsed. The writer takes one chunk at a time and the
//! import hands over the next only when the writer is free, so at most one chunk is in
//! flight: until it is in the store, later rows find its records here.

use std::hash::BuildHasher;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, OnceLock};

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

use super::named::{key_of, NameKey};
use crate::model::{Link, LinkId, Node, NodeId};
use crate::store::{BulkLoad, RecordChange, StoreError};

/// A chunk handed to the writer, with its records found by id (and nodes by name, as
/// the store's name index would find them once it is written). The tables hold
/// positions in the chunk, not copies of the ids.
pub(super) struct WrittenChunk {
    changes: Vec<RecordChange>,
    nodes: HashTable<usize>,
    links: HashTable<usize>,
    hasher: DefaultHashBuilder,
    /// Built on the first lookup by name: most files give every node its id.
    named: OnceLock<HashMap<NameKey, usize>>,
}

impl WrittenChunk {
    /// Indexes `changes` (each record at most once, as a chunk has them).
    pub(super) fn new(changes: Vec<RecordChange>) -> Self {
        let hasher = DefaultHashBuilder::default();
        let (mut nodes, mut links) = (HashTable::new(), HashTable::new());
        for (position, change) in changes.iter().enumerate() {
            let (table, id) = match change {
                RecordChange::Node {
                    after: Some(node), ..
                } => (&mut nodes, node.id.as_str()),
                RecordChange::Link {
                    after: Some(link), ..
                } => (&mut links, link.id.as_str()),
                _ => continue,
            };
            table.insert_unique(hasher.hash_one(id), position, |&p| {
                hasher.hash_one(record_id(&changes[p]))
            });
        }
        Self {
            changes,
            nodes,
            links,
            hasher,
            named: OnceLock::new(),
        }
    }

    /// The chunk's records.
    pub(super) fn changes(&self) -> &[RecordChange] {
        &self.changes
    }

    /// The chunk's version of node `id`.
    pub(super) fn node(&self, id: &NodeId) -> Option<&Node> {
        self.node_at(self.position(&self.nodes, id.as_str())?)
    }

    /// The chunk's version of link `id`.
    pub(super) fn link(&self, id: &LinkId) -> Option<&Link> {
        match self.changes.get(self.position(&self.links, id.as_str())?)? {
            RecordChange::Link { after, .. } => after.as_ref(),
            RecordChange::Node { .. } => None,
        }
    }

    /// The id of a node of the chunk with `node`'s kind and country whose name
    /// normalises to `term`.
    pub(super) fn same_named(&self, node: &Node, term: &str) -> Option<&NodeId> {
        let named = self.named.get_or_init(|| {
            let mut named = HashMap::new();
            for (position, change) in self.changes.iter().enumerate() {
                if let RecordChange::Node {
                    after: Some(node), ..
                } = change
                {
                    named.entry(key_of(node)).or_insert(position);
                }
            }
            named
        });
        let position = named.get(&(node.kind, node.country, term.to_owned()))?;
        self.node_at(*position).map(|found| &found.id)
    }

    fn position(&self, table: &HashTable<usize>, id: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(id);
        table
            .find(hash, |&p| record_id(&self.changes[p]) == id)
            .copied()
    }

    fn node_at(&self, position: usize) -> Option<&Node> {
        match self.changes.get(position)? {
            RecordChange::Node { after, .. } => after.as_ref(),
            RecordChange::Link { .. } => None,
        }
    }
}

/// The id of the record a change writes (empty for a removal, which a chunk of an
/// import never has).
fn record_id(change: &RecordChange) -> &str {
    match change {
        RecordChange::Node { after, .. } => after.as_ref().map_or("", |n| n.id.as_str()),
        RecordChange::Link { after, .. } => after.as_ref().map_or("", |l| l.id.as_str()),
    }
}

/// The writer thread: its result is the first failure to write a chunk.
pub(super) type WriterThread<'scope> =
    std::thread::ScopedJoinHandle<'scope, Result<(), StoreError>>;

/// The import's end of the writer thread.
pub(super) struct Writer {
    chunks: SyncSender<Arc<WrittenChunk>>,
}

impl Writer {
    /// Starts the writer thread in `scope`; it writes each chunk it is handed through
    /// `load`, in order, and stops at the first failure (its result is the join's).
    pub(super) fn start<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        load: &'scope mut BulkLoad<'_>,
    ) -> Result<(Self, WriterThread<'scope>), StoreError> {
        // No buffer: handing over waits until the writer has finished the chunk before.
        let (chunks, received): (_, Receiver<Arc<WrittenChunk>>) = sync_channel(0);
        let handle = std::thread::Builder::new()
            .name("pobratim-import-writer".into())
            .spawn_scoped(scope, move || {
                for chunk in received {
                    load.write(&chunk.changes)?;
                }
                Ok(())
            })
            .map_err(|e| StoreError::Sled(sled::Error::Io(e)))?;
        Ok((Self { chunks }, handle))
    }

    /// Hands `chunk` to the writer once it has written the one before. `false` when
    /// the writer has stopped (on a failure: see its join).
    pub(super) fn hand_over(&self, chunk: Arc<WrittenChunk>) -> bool {
        self.chunks.send(chunk).is_ok()
    }
}
