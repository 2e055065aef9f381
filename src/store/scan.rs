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

use super::damage_log::decode_or_skip;
use super::trees::TreeId;
use super::{SledStore, StoreError};

/// Records walked and decoded together.
const BATCH: usize = 8_192;
/// Decoded batches waiting for the caller, at most.
const BATCHES_AHEAD: usize = 4;

impl SledStore {
    /// Every record of `tree` (one of the record trees) in key order, read as `T`,
    /// decoded ahead of the caller on a background thread and every core. A damaged
    /// record is reported and passed over (see `damage`); a failure to read the tree is
    /// the last item. Dropping the iterator stops the walk. Without a thread to be had, the
    /// records are decoded as they are read.
    pub(crate) fn scan_decoded_ahead<T: DeserializeOwned + Send + 'static>(
        &self,
        tree: TreeId,
    ) -> Box<dyn Iterator<Item = Result<T, StoreError>> + '_> {
        let handle = self.tree(tree).clone();
        let damage = std::sync::Arc::clone(&self.damage);
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
                        .filter_map(|(key, value)| {
                            decode_or_skip(&damage, tree, key, value).transpose()
                        })
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
            Err(_) => Box::new(self.tree(tree).iter().filter_map(move |entry| match entry {
                Ok((key, value)) => self.readable(tree, &key, &value).transpose(),
                Err(e) => Some(Err(e.into())),
            })),
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

        // A damaged value in the second batch: passed over, every other record in order,
        // and counted.
        let bad = format!("city:ru:{:06}", BATCH + 5);
        nodes.insert(bad.as_bytes(), &b"\x01{not json"[..]).unwrap();
        let read: Vec<Node> = store
            .scan_decoded_ahead::<Node>(TreeId::Nodes)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(read.len(), count - 1);
        assert!(read.iter().all(|n| n.id.as_str() != bad));
        assert!(read.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(store.damage_stats().distinct, 1);
        assert!(store.known_damaged(TreeId::Nodes, bad.as_bytes()));

        // A value of a newer format is not damage: it stops the scan.
        nodes
            .insert(
                bad.as_bytes(),
                &[super::super::codec::VALUE_FORMAT + 1, b'{', b'}'][..],
            )
            .unwrap();
        let read: Vec<Result<Node, StoreError>> =
            store.scan_decoded_ahead::<Node>(TreeId::Nodes).collect();
        assert!(matches!(
            read[BATCH + 5],
            Err(StoreError::FormatVersion { .. })
        ));
    }

    #[test]
    fn an_empty_tree_gives_nothing() {
        let store = SledStore::temporary().unwrap();
        assert_eq!(store.scan_decoded_ahead::<Node>(TreeId::Links).count(), 0);
    }
}
