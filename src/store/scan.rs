//! Reading every record of a tree, decoded on all cores while the caller consumes them.
//!
//! Rebuilding the 1M graph (an open without its snapshot file, an import that replaced
//! records) reads 5.5 M records back: walking sled's tree, decoding each value's JSON,
//! and projecting it, one after the other on one core (22.6 s after a 1M import, when
//! imports still read their graph back). Here a thread walks the tree in batches and decodes each batch on every
//! core (rayon), keeping the batches in key order, while the caller consumes the
//! previous ones: the walk and the projection overlap, and decoding is split.

use std::sync::mpsc::sync_channel;

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use sled::IVec;

use super::codec::decode;
use super::trees::{self, TreeId};
use super::{SledStore, StoreError};

/// Records walked and decoded together.
const BATCH: usize = 8_192;
/// Decoded batches waiting for the caller, at most.
const BATCHES_AHEAD: usize = 4;

impl SledStore {
    /// Every record of `tree` (one of the record trees) in key order, read as `T`,
    /// decoded ahead of the caller on a background thread and every core. A value that
    /// cannot be decoded is an error in its place; a failure to read the tree is the
    /// last item. Dropping the iterator stops the walk. Without a thread to be had, the
    /// records are decoded as they are read.
    pub(crate) fn scan_decoded_ahead<T: DeserializeOwned + Send + 'static>(
        &self,
        tree: TreeId,
    ) -> Box<dyn Iterator<Item = Result<T, StoreError>> + '_> {
        let name = trees::ALL[tree as usize];
        let handle = self.tree(tree).clone();
        let (batches, received) = sync_channel::<Vec<Result<T, StoreError>>>(BATCHES_AHEAD);
        let walker = std::thread::Builder::new()
            .name("pobratim-scan".into())
            .spawn(move || {
                let mut raw: Vec<(IVec, IVec)> = Vec::with_capacity(BATCH);
                let mut entries = handle.iter();
                loop {
                    raw.clear();
                    let mut failure = None;
                    for entry in entries.by_ref() {
                        match entry {
                            Ok(entry) => raw.push(entry),
                            Err(e) => {
                                failure = Some(StoreError::from(e));
                                break;
                            }
                        }
                        if raw.len() == BATCH {
                            break;
                        }
                    }
                    let mut decoded: Vec<Result<T, StoreError>> = raw
                        .par_iter()
                        .map(|(key, value)| decode(name, key, value))
                        .collect();
                    let end = raw.len() < BATCH || failure.is_some();
                    decoded.extend(failure.map(Err));
                    // The caller stopped reading: stop walking.
                    if batches.send(decoded).is_err() || end {
                        return;
                    }
                }
            });
        match walker {
            // A closed channel is the end: the walker sent its last batch.
            Ok(_) => Box::new(received.into_iter().flatten()),
            Err(_) => Box::new(
                self.tree(tree)
                    .iter()
                    .map(move |entry| entry.map_err(StoreError::from))
                    .map(move |entry| entry.and_then(|(key, value)| decode(name, &key, &value))),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Node;

    #[test]
    fn records_come_in_key_order_across_batches_and_a_bad_one_in_its_place() {
        let store = SledStore::temporary().unwrap();
        let nodes = store.tree(TreeId::Nodes);
        let count = BATCH * 2 + 17;
        for i in 0..count {
            let id = format!("city:ru:{i:06}");
            let node: Node = serde_json::from_value(serde_json::json!({
                "id": id, "kind": "city", "name": format!("n{i}"), "country": "RU"
            }))
            .unwrap();
            nodes
                .insert(id.as_bytes(), super::super::codec::encode(&node).unwrap())
                .unwrap();
        }
        let read: Vec<Node> = store
            .scan_decoded_ahead::<Node>(TreeId::Nodes)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(read.len(), count);
        assert!(read.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(read[count - 1].name, format!("n{}", count - 1));

        // A value that is not a record, in the second batch: every record before it,
        // then its error, then nothing.
        let bad = format!("city:ru:{:06}", BATCH + 5);
        nodes.insert(bad.as_bytes(), &b"\x01{not json"[..]).unwrap();
        let read: Vec<Result<Node, StoreError>> =
            store.scan_decoded_ahead::<Node>(TreeId::Nodes).collect();
        let first_bad = read.iter().position(Result::is_err).unwrap();
        assert_eq!(first_bad, BATCH + 5);
        assert!(read[first_bad]
            .as_ref()
            .err()
            .unwrap()
            .to_string()
            .contains(&bad));
    }

    #[test]
    fn an_empty_tree_gives_nothing() {
        let store = SledStore::temporary().unwrap();
        assert_eq!(store.scan_decoded_ahead::<Node>(TreeId::Links).count(), 0);
    }
}
