//! Records as graph answers write them, rendered to JSON once and kept while current.
//!
//! A 2-hop neighbourhood at 1M shows ~56 nodes and ~54 links: reading each record from
//! sled, decoding it and encoding it again was most of the answer's cost. Rendered
//! records are kept in a bounded cache (S3-FIFO, by bytes) beside the store's change
//! stamps ([`crate::store::RecordStamps`]): a copy is used only while its key's stamp
//! is the one loaded before the record was read, so a write is never answered around.

use std::sync::Arc;

use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::Weighter;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;

use super::shown::NodeRef;
use super::ServiceError;
use crate::model::Link;
use crate::store::{SledStore, StampedTree, StoreError};

/// Bytes of rendered records kept unless configured otherwise.
pub const DEFAULT_RECORD_CACHE_BYTES: u64 = 64 << 20;

/// Bookkeeping bytes per cached record besides its id and JSON (key and value
/// headers, the cache's own slot).
const ENTRY_OVERHEAD: u64 = 96;

/// Typical bytes of a cached record, to size the cache's table.
const TYPICAL_ENTRY: u64 = 320;

/// Most records the cache's table is sized for up front (it grows past that when a
/// large budget fills): a budget of many gigabytes must not allocate at start.
const MAX_PRESIZED_ENTRIES: u64 = 1 << 20;

/// A record as JSON, spliced into an answer as it is.
#[derive(Clone, Debug)]
pub struct RecordJson(Arc<RawValue>);

impl RecordJson {
    /// Renders a value.
    pub fn render<T: Serialize>(value: &T) -> Result<Self, ServiceError> {
        serde_json::value::to_raw_value(value)
            .map(|raw| Self(Arc::from(raw)))
            .map_err(|e| ServiceError::Store(StoreError::Codec(e.to_string())))
    }

    /// Reads the record back (for answers that use its fields, e.g. GeoJSON).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ServiceError> {
        serde_json::from_str(self.0.get())
            .map_err(|e| ServiceError::Store(StoreError::Codec(e.to_string())))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// Whether this is the rendering of record `id`: records render their id first, and
    /// ids need no escaping in JSON (no quote, backslash or control character).
    fn is_record(&self, id: &str) -> bool {
        self.as_str()
            .strip_prefix("{\"id\":\"")
            .and_then(|rest| rest.strip_prefix(id))
            .is_some_and(|rest| rest.starts_with('"'))
    }
}

impl Serialize for RecordJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[derive(Clone)]
struct Entry {
    stamp: u64,
    json: RecordJson,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<u64, Entry> for ByBytes {
    fn weight(&self, _key: &u64, entry: &Entry) -> u64 {
        entry.json.as_str().len() as u64 + ENTRY_OVERHEAD
    }
}

/// Copies are keyed by the hash the stamps already computed for the id
/// ([`crate::store::RecordStamps::key_hash`]), so the table hashes nothing again and
/// compares plain integers; two ids with one hash evict each other, and a copy is used
/// only if it renders the id asked for ([`RecordJson::is_record`]). Storing the id as
/// the key cost a hash and a pointer chase per lookup (~20 % of a 2-hop answer at 1M).
#[derive(Clone, Default)]
struct PassThrough;

impl std::hash::BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;

    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher(0)
    }
}

/// Keeps the `u64` it is given (keys are hashes already).
#[derive(Default)]
struct PassThroughHasher(u64);

impl std::hash::Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type RecordCache = Cache<u64, Entry, ByBytes, PassThrough, DefaultLifecycle<u64, Entry>>;

/// Rendered node references and link records, each cache half of the byte budget.
pub struct RenderedRecords {
    /// `None` when the budget is 0 (every record is read and rendered).
    caches: Option<[RecordCache; 2]>,
}

impl RenderedRecords {
    /// A cache holding up to `bytes` of rendered records (0: none).
    pub fn new(bytes: u64) -> Self {
        let half = bytes / 2;
        let cache = || {
            RecordCache::with(
                (half / TYPICAL_ENTRY).clamp(1, MAX_PRESIZED_ENTRIES) as usize,
                half,
                ByBytes,
                PassThrough,
                DefaultLifecycle::default(),
            )
        };
        Self {
            caches: (half > 0).then(|| [cache(), cache()]),
        }
    }

    /// Nodes `ids` as graph answers show them ([`NodeRef`]), in order: each the cached
    /// copy while it is current, else `read(i)` (the record of `ids[i]` from the store)
    /// rendered and kept.
    pub fn node_refs<S: AsRef<str>>(
        &self,
        store: &SledStore,
        ids: &[S],
        read: impl FnMut(usize) -> Result<NodeRef, ServiceError>,
    ) -> Result<Vec<RecordJson>, ServiceError> {
        self.get_or_render(store, StampedTree::Nodes, ids, read)
    }

    /// Links `ids`, whole, in order, as [`Self::node_refs`] gives nodes.
    pub fn links<S: AsRef<str>>(
        &self,
        store: &SledStore,
        ids: &[S],
        read: impl FnMut(usize) -> Result<Link, ServiceError>,
    ) -> Result<Vec<RecordJson>, ServiceError> {
        self.get_or_render(store, StampedTree::Links, ids, read)
    }

    /// The records `ids` of `tree` as JSON (one rendering per tree: see the callers),
    /// phase by phase: every id is hashed, then every stamp loaded, then the copies
    /// looked up. A record's loads do not wait for the previous record's, so their
    /// cache misses overlap; one record at a time, each miss waited for the last (a
    /// 2-hop answer at 1M touches ~120 records spread over gigabytes).
    fn get_or_render<T: Serialize, S: AsRef<str>>(
        &self,
        store: &SledStore,
        tree: StampedTree,
        ids: &[S],
        mut read: impl FnMut(usize) -> Result<T, ServiceError>,
    ) -> Result<Vec<RecordJson>, ServiceError> {
        let Some(caches) = &self.caches else {
            return (0..ids.len())
                .map(|i| RecordJson::render(&read(i)?))
                .collect();
        };
        let stamps = store.stamps();
        let hashes: Vec<u64> = ids
            .iter()
            .map(|id| stamps.key_hash(id.as_ref().as_bytes()))
            .collect();
        // Loaded before any record is read: see `store::stamps`.
        let current: Vec<u64> = hashes
            .iter()
            .map(|&hash| stamps.stamp_of_hash(tree, hash))
            .collect();
        let cache = &caches[tree as usize];
        ids.iter()
            .zip(hashes.iter().zip(&current))
            .enumerate()
            .map(|(i, (id, (&hash, &stamp)))| {
                Self::cached_or_render(cache, hash, stamp, id.as_ref(), || read(i))
            })
            .collect()
    }

    /// The copy under `hash` if it renders `id` at `stamp`, else `read` rendered and
    /// kept.
    fn cached_or_render<T: Serialize>(
        cache: &RecordCache,
        hash: u64,
        stamp: u64,
        id: &str,
        read: impl FnOnce() -> Result<T, ServiceError>,
    ) -> Result<RecordJson, ServiceError> {
        if let Some(entry) = cache.get(&hash) {
            if entry.stamp == stamp && entry.json.is_record(id) {
                return Ok(entry.json);
            }
        }
        let json = RecordJson::render(&read()?)?;
        cache.insert(
            hash,
            Entry {
                stamp,
                json: json.clone(),
            },
        );
        Ok(json)
    }

    /// Records cached (nodes, links) and their bytes.
    pub fn usage(&self) -> (usize, u64) {
        self.caches.as_ref().map_or((0, 0), |caches| {
            caches
                .iter()
                .fold((0, 0), |(n, b), c| (n + c.len(), b + c.weight()))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::model::NodeKind;

    impl RenderedRecords {
        /// One node, through the batch path the answers use.
        fn node_ref(
            &self,
            store: &SledStore,
            id: &str,
            read: impl FnOnce() -> Result<NodeRef, ServiceError>,
        ) -> Result<RecordJson, ServiceError> {
            let mut read = Some(read);
            self.node_refs(store, &[id], |_| read.take().unwrap()())
                .map(|mut one| one.remove(0))
        }
    }

    fn node_ref(name: &str) -> NodeRef {
        NodeRef {
            id: "city:ru:a".into(),
            kind: NodeKind::City,
            name: name.into(),
            names: Default::default(),
            country: Some("RU".into()),
            location: None,
        }
    }

    #[test]
    fn a_copy_is_used_until_its_key_is_stamped_again() {
        let store = SledStore::temporary().unwrap();
        let cache = RenderedRecords::new(1 << 20);
        let reads = Cell::new(0);
        let read = |name: &'static str| {
            let reads = &reads;
            move || {
                reads.set(reads.get() + 1);
                Ok(node_ref(name))
            }
        };
        let first = cache.node_ref(&store, "city:ru:a", read("A")).unwrap();
        let again = cache.node_ref(&store, "city:ru:a", read("B")).unwrap();
        assert_eq!((reads.get(), again.as_str()), (1, first.as_str()));
        assert!(again.as_str().contains("\"name\":\"A\""));
        // A write of the record bumps its stamp: the next answer reads it again.
        store.stamps().bump(StampedTree::Nodes, b"city:ru:a");
        let after = cache.node_ref(&store, "city:ru:a", read("B")).unwrap();
        assert_eq!(reads.get(), 2);
        assert!(after.as_str().contains("\"name\":\"B\""));
        // A link with the same id is another record: its own stamp, its own copy.
        store.stamps().bump(StampedTree::Links, b"city:ru:a");
        cache.node_ref(&store, "city:ru:a", read("C")).unwrap();
        assert_eq!(reads.get(), 2);
        assert_eq!(cache.usage().0, 1);
    }

    #[test]
    fn a_copy_is_used_only_for_the_id_it_renders() {
        let store = SledStore::temporary().unwrap();
        let cache = RenderedRecords::new(1 << 20);
        let reads = Cell::new(0);
        let read = |id: &'static str| {
            let reads = &reads;
            move || {
                reads.set(reads.get() + 1);
                Ok(NodeRef {
                    id: id.into(),
                    ..node_ref("A")
                })
            }
        };
        // As if another id hashed like `city:ru:a` and left its copy under that hash:
        // a longer id with the same beginning is not the record asked for either.
        cache
            .node_ref(&store, "city:ru:a", read("city:ru:ab"))
            .unwrap();
        let right = cache
            .node_ref(&store, "city:ru:a", read("city:ru:a"))
            .unwrap();
        assert_eq!(reads.get(), 2);
        assert!(right.as_str().starts_with("{\"id\":\"city:ru:a\","));
        cache
            .node_ref(&store, "city:ru:a", read("city:ru:a"))
            .unwrap();
        assert_eq!(reads.get(), 2, "the right copy is kept and used");
    }

    #[test]
    fn records_render_their_id_first() {
        let link: Link = serde_json::from_value(serde_json::json!({
            "id": "twinning:city:ru:a+city:cn:b", "kind": "twinning",
            "members": ["city:ru:a", "city:cn:b"]
        }))
        .unwrap();
        let json = RecordJson::render(&link).unwrap();
        assert!(
            json.is_record("twinning:city:ru:a+city:cn:b"),
            "{}",
            json.as_str()
        );
        assert!(RecordJson::render(&node_ref("A"))
            .unwrap()
            .is_record("city:ru:a"));
    }

    #[test]
    fn many_records_are_answered_in_order_reading_only_the_stale_and_the_missing() {
        let store = SledStore::temporary().unwrap();
        let cache = RenderedRecords::new(1 << 20);
        let ids = ["city:ru:a", "city:ru:b", "city:ru:c", "city:ru:d"];
        let named = |i: usize, name: &str| NodeRef {
            id: ids[i].into(),
            ..node_ref(name)
        };
        cache
            .node_refs(&store, &ids[..3], |i| Ok(named(i, "old")))
            .unwrap();
        store.stamps().bump(StampedTree::Nodes, b"city:ru:b");
        let mut reads = Vec::new();
        let answer = cache
            .node_refs(&store, &ids, |i| {
                reads.push(i);
                Ok(named(i, "new"))
            })
            .unwrap();
        assert_eq!(reads, [1, 3], "b was written since, d never read");
        let names: Vec<String> = answer
            .iter()
            .map(|json| json.parse::<NodeRef>().unwrap().name)
            .collect();
        assert_eq!(names, ["old", "new", "old", "new"]);
        for (json, id) in answer.iter().zip(ids) {
            assert!(json.is_record(id));
        }
        // Without a cache every record is read, still in order.
        let none = RenderedRecords::new(0)
            .node_refs(&store, &ids, |i| Ok(named(i, "x")))
            .unwrap();
        assert!(none.iter().zip(ids).all(|(json, id)| json.is_record(id)));
    }

    #[test]
    fn a_zero_budget_reads_every_time() {
        let store = SledStore::temporary().unwrap();
        let cache = RenderedRecords::new(0);
        let reads = Cell::new(0);
        for _ in 0..3 {
            let json = cache
                .node_ref(&store, "city:ru:a", || {
                    reads.set(reads.get() + 1);
                    Ok(node_ref("A"))
                })
                .unwrap();
            assert_eq!(json.parse::<NodeRef>().unwrap().name, "A");
        }
        assert_eq!((reads.get(), cache.usage()), (3, (0, 0)));
    }
}
