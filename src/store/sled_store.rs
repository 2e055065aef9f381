//! The sled implementation of the store.

use std::sync::Arc;

use super::stamps::{RecordStamps, StampedTree};
use super::token_cache::TokenCache;
use std::ops::Bound;
use std::path::Path;

use serde::de::DeserializeOwned;
use sled::{IVec, Tree};

use super::codec::decode;
use super::keys;
use super::trees::{self, TreeId};
use super::StoreError;
use crate::model::{CountryCode, Evidence, Link, LinkKind, LinkStatus, Node, NodeId, NodeKind};

/// sled's page cache, in MiB, unless `POBRATIM_SLED_CACHE_MB` says otherwise. The graph
/// snapshot answers queries from memory, so the store's cache only serves record reads.
pub const DEFAULT_CACHE_MB: u64 = 256;

/// A durable change to one record: its state before the write and after it.
#[derive(Clone, Debug)]
pub enum RecordChange {
    /// A node created (`before` empty), replaced, or deleted (`after` empty).
    Node {
        /// The stored record before the write.
        before: Option<Node>,
        /// The record after the write.
        after: Option<Node>,
    },
    /// A link created, replaced or deleted.
    Link {
        /// The stored record before the write.
        before: Option<Link>,
        /// The record after the write.
        after: Option<Link>,
    },
}

/// Which nodes a listing returns.
#[derive(Clone, Debug, Default)]
pub struct NodeFilter {
    /// Only this kind.
    pub kind: Option<NodeKind>,
    /// Only this country.
    pub country: Option<CountryCode>,
}

/// Which links a listing returns.
#[derive(Clone, Debug, Default)]
pub struct LinkFilter {
    /// Only this kind.
    pub kind: Option<LinkKind>,
    /// Only this status.
    pub status: Option<LinkStatus>,
    /// Only links with this evidence.
    pub evidence: Option<Evidence>,
    /// Only links that have this member.
    pub node: Option<NodeId>,
}

impl LinkFilter {
    /// Whether a link passes the kind, status and evidence asked for (the member is
    /// not checked here: a node's links come from the graph).
    pub fn admits(&self, link: &Link) -> bool {
        self.kind.is_none_or(|k| link.kind == k)
            && self.status.is_none_or(|s| link.status == s)
            && self.evidence.is_none_or(|e| link.evidence == e)
    }
}

/// One page of a listing, with the key to continue after.
#[derive(Debug)]
pub struct StorePage<T> {
    /// The records of this page.
    pub items: Vec<T>,
    /// Position of the last item, to pass as `after` for the next page; `None` at the end.
    pub next: Option<Vec<u8>>,
}

/// The sled-backed store. Cheap to clone (sled handles are reference-counted).
#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
    trees: Vec<Tree>,
    token_cache: Arc<TokenCache>,
    stamps: Arc<RecordStamps>,
    commit_lock: Arc<std::sync::Mutex<()>>,
    /// Damaged records met by listings and scans (see `damage`).
    pub(super) damage: Arc<super::damage_log::DamageLog>,
    /// Set when a group was logged but could not be applied (see `redo`): the next
    /// group applies it from the log first.
    pub(super) unapplied: Arc<std::sync::atomic::AtomicBool>,
}

impl SledStore {
    /// Opens or creates a store in `path`, refusing directories written by a newer format.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let cache_mb = std::env::var("POBRATIM_SLED_CACHE_MB")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(DEFAULT_CACHE_MB);
        let config = sled::Config::new()
            .path(path)
            .mode(sled::Mode::HighThroughput)
            .cache_capacity(cache_mb * 1024 * 1024);
        // sled releases its directory lock when its last background task ends, which
        // can be a moment after the previous owner in this process was dropped (a
        // restart, a test reopening): wait up to two seconds before giving up.
        let mut waited = 0;
        let db = loop {
            match config.open() {
                Err(sled::Error::Io(e))
                    if waited < 40 && e.to_string().contains("could not acquire lock") =>
                {
                    waited += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                    return Err(StoreError::InUse(path.to_path_buf()));
                }
                other => break other?,
            }
        };
        Self::from_db(db)
    }

    /// Opens a store that lives only in memory (tests, dry runs).
    pub fn temporary() -> Result<Self, StoreError> {
        Self::from_db(sled::Config::new().temporary(true).open()?)
    }

    fn from_db(db: sled::Db) -> Result<Self, StoreError> {
        let trees = trees::ALL
            .iter()
            .map(|name| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        let store = Self {
            db,
            trees,
            token_cache: Arc::default(),
            stamps: Arc::default(),
            commit_lock: Arc::default(),
            damage: Arc::default(),
            unapplied: Arc::default(),
        };
        store.ensure_format()?;
        store.recover_bulk_load()?;
        store.replay_log()?;
        Ok(store)
    }

    pub(super) fn token_cache(&self) -> &TokenCache {
        &self.token_cache
    }

    pub(super) fn tree(&self, id: TreeId) -> &Tree {
        &self.trees[id as usize]
    }

    /// Change stamps of the node and link records, for caches of them.
    pub fn stamps(&self) -> &RecordStamps {
        &self.stamps
    }

    /// Bumps the stamp of a record key of tree `position` (of [`trees::ALL`]) just
    /// written or removed; keys of other trees are not stamped.
    pub(super) fn record_written(&self, position: usize, key: &[u8]) {
        if position == TreeId::Nodes as usize {
            self.stamps.bump(StampedTree::Nodes, key);
        } else if position == TreeId::Links as usize {
            self.stamps.bump(StampedTree::Links, key);
        }
    }

    /// The tree at a position of [`trees::ALL`].
    pub(super) fn tree_at(&self, position: usize) -> &Tree {
        &self.trees[position]
    }

    /// Held while a group is committed: commits are serial (see `redo`).
    pub(super) fn commit_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.commit_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Brings a directory of an earlier format up to this one: drops the trees this
    /// format no longer keeps, then records the new format version.
    fn upgrade(&self, from: u64) -> Result<(), StoreError> {
        for name in trees::RETIRED {
            self.db.drop_tree(name)?;
        }
        if from < 3 {
            let entries = self.rebuild_kind_index()?;
            tracing::info!(entries, "rebuilt the link kind index");
        }
        if from < 4 {
            let entries = self.rebuild_node_kind_index()?;
            tracing::info!(entries, "rebuilt the node kind index");
        }
        self.tree(TreeId::Meta).insert(
            trees::META_FORMAT_VERSION,
            &trees::FORMAT_VERSION.to_be_bytes(),
        )?;
        self.db.flush()?;
        tracing::info!(
            from,
            to = trees::FORMAT_VERSION,
            "upgraded the store's format"
        );
        Ok(())
    }

    fn ensure_format(&self) -> Result<(), StoreError> {
        let meta = self.tree(TreeId::Meta);
        match meta.get(trees::META_FORMAT_VERSION)? {
            Some(raw) => {
                let found = read_u64(&raw).ok_or_else(|| {
                    corrupt(
                        trees::META,
                        trees::META_FORMAT_VERSION,
                        "format version is not a u64",
                    )
                })?;
                if found > trees::FORMAT_VERSION {
                    return Err(StoreError::FormatVersion {
                        found,
                        supported: trees::FORMAT_VERSION,
                    });
                }
                if found < trees::FORMAT_VERSION {
                    self.upgrade(found)?;
                }
            }
            None => {
                if !self.tree(TreeId::Nodes).is_empty() || !self.tree(TreeId::Links).is_empty() {
                    return Err(corrupt(
                        trees::META,
                        trees::META_FORMAT_VERSION,
                        "records exist but the format version is missing",
                    ));
                }
                meta.insert(
                    trees::META_FORMAT_VERSION,
                    &trees::FORMAT_VERSION.to_be_bytes(),
                )?;
                self.db.flush()?;
            }
        }
        Ok(())
    }

    /// The version of the last committed write (0 for a new store).
    pub fn graph_version(&self) -> Result<u64, StoreError> {
        Ok(self
            .tree(TreeId::Meta)
            .get(trees::META_GRAPH_VERSION)?
            .as_deref()
            .and_then(read_u64)
            .unwrap_or(0))
    }

    /// Whether the directory was seeded (or created by an import) before.
    pub fn is_seeded(&self) -> Result<bool, StoreError> {
        Ok(self.tree(TreeId::Meta).contains_key(trees::META_SEEDED)?)
    }

    /// Records that the directory has been seeded, so it is never seeded again.
    pub fn mark_seeded(&self, what: &str) -> Result<(), StoreError> {
        self.tree(TreeId::Meta)
            .insert(trees::META_SEEDED, what.as_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// Whether the store holds no node and no link.
    pub fn is_empty(&self) -> bool {
        self.tree(TreeId::Nodes).is_empty() && self.tree(TreeId::Links).is_empty()
    }

    /// Number of nodes and links.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.tree(TreeId::Nodes).len(),
            self.tree(TreeId::Links).len(),
        )
    }

    /// Reads a node.
    pub fn get_node(&self, id: &(impl AsRef<str> + ?Sized)) -> Result<Option<Node>, StoreError> {
        let key = id.as_ref().as_bytes();
        self.tree(TreeId::Nodes)
            .get(key)?
            .map(|v| decode(trees::NODES, key, &v))
            .transpose()
    }

    /// Reads a link.
    pub fn get_link(&self, id: &(impl AsRef<str> + ?Sized)) -> Result<Option<Link>, StoreError> {
        let key = id.as_ref().as_bytes();
        self.tree(TreeId::Links)
            .get(key)?
            .map(|v| decode(trees::LINKS, key, &v))
            .transpose()
    }

    /// Every node, in id order.
    pub fn scan_nodes(&self) -> impl Iterator<Item = Result<Node, StoreError>> + '_ {
        self.scan_nodes_as()
    }

    /// Every node, in id order, read as `T`: a type with some of a node's fields (the
    /// others are skipped, not decoded). A damaged record is reported and passed over.
    pub fn scan_nodes_as<T: DeserializeOwned>(
        &self,
    ) -> impl Iterator<Item = Result<T, StoreError>> + '_ {
        self.scan_readable(TreeId::Nodes)
    }

    /// Every link, in id order.
    pub fn scan_links(&self) -> impl Iterator<Item = Result<Link, StoreError>> + '_ {
        self.scan_links_as()
    }

    /// Every link, in id order, read as `T` (as [`SledStore::scan_nodes_as`]).
    pub fn scan_links_as<T: DeserializeOwned>(
        &self,
    ) -> impl Iterator<Item = Result<T, StoreError>> + '_ {
        self.scan_readable(TreeId::Links)
    }

    /// Every readable record of `tree` in key order; damaged ones are reported and
    /// passed over.
    fn scan_readable<T: DeserializeOwned>(
        &self,
        tree: TreeId,
    ) -> impl Iterator<Item = Result<T, StoreError>> + '_ {
        self.tree(tree).iter().filter_map(move |entry| {
            let (key, value) = match entry {
                Ok(entry) => entry,
                Err(e) => return Some(Err(e.into())),
            };
            self.readable(tree, &key, &value).transpose()
        })
    }

    /// Decodes a record met by a listing: `None` (reported) when it is damaged.
    pub(super) fn readable<T: DeserializeOwned>(
        &self,
        tree: TreeId,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<T>, StoreError> {
        super::damage_log::decode_or_skip(&self.damage, tree, key, value)
    }

    /// Reads a node for a listing: `None` when it is absent or damaged (reported).
    pub fn node_if_readable(
        &self,
        id: &(impl AsRef<str> + ?Sized),
    ) -> Result<Option<Node>, StoreError> {
        let key = id.as_ref().as_bytes();
        match self.tree(TreeId::Nodes).get(key)? {
            Some(value) => self.readable(TreeId::Nodes, key, &value),
            None => Ok(None),
        }
    }

    /// Reads a link for a listing: `None` when it is absent or damaged (reported).
    pub fn link_if_readable(
        &self,
        id: &(impl AsRef<str> + ?Sized),
    ) -> Result<Option<Link>, StoreError> {
        let key = id.as_ref().as_bytes();
        match self.tree(TreeId::Links).get(key)? {
            Some(value) => self.readable(TreeId::Links, key, &value),
            None => Ok(None),
        }
    }

    /// A page of nodes in id order after the node id `after`.
    pub fn list_nodes(
        &self,
        filter: &NodeFilter,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<StorePage<Node>, StoreError> {
        let by_id = |id: &[u8]| -> Result<Option<Node>, StoreError> {
            let node = match self.tree(TreeId::Nodes).get(id)? {
                Some(v) => match self.readable::<Node>(TreeId::Nodes, id, &v)? {
                    Some(node) => node,
                    None => return Ok(None),
                },
                None => {
                    return Err(corrupt(
                        trees::NODE_COUNTRY,
                        id,
                        "index entry without a node",
                    ))
                }
            };
            Ok(filter.kind.is_none_or(|k| node.kind == k).then_some(node))
        };
        match (&filter.country, filter.kind) {
            (Some(country), _) => {
                let prefix = keys::prefix(&[country.as_str().as_bytes()]);
                page(
                    self.tree(TreeId::NodeCountry),
                    &prefix,
                    after,
                    limit,
                    |suffix, _| by_id(suffix),
                )
            }
            (None, Some(kind)) => self.list_nodes_of_kind(kind, after, limit),
            (None, None) => page(self.tree(TreeId::Nodes), b"", after, limit, |key, value| {
                self.readable(TreeId::Nodes, key, &value)
            }),
        }
    }

    /// A page of links after the position `after` (an opaque key suffix from a previous
    /// page). `filter.node` is not consulted here: a node's links come from the graph
    /// (the store keeps no index by member), and [`SledStore::list_links_among`] pages them.
    pub fn list_links(
        &self,
        filter: &LinkFilter,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<StorePage<Link>, StoreError> {
        let keep = |link: Link| -> Option<Link> { filter.admits(&link).then_some(link) };
        match filter.kind {
            Some(kind) => self.list_links_of_kind(kind, filter, after, limit),
            None => page(self.tree(TreeId::Links), b"", after, limit, |key, value| {
                Ok(self
                    .readable::<Link>(TreeId::Links, key, &value)?
                    .and_then(keep))
            }),
        }
    }

    /// A page of the links named by `ids` (sorted, as the graph lists a node's links)
    /// whose kind and status pass `filter`, after the link id `after`. Ids no longer
    /// stored (removed since the graph was read) are passed over.
    pub fn list_links_among(
        &self,
        ids: &[String],
        filter: &LinkFilter,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<StorePage<Link>, StoreError> {
        let start = after.map_or(0, |a| ids.partition_point(|id| id.as_bytes() <= a));
        let mut items: Vec<Link> = Vec::new();
        for id in &ids[start..] {
            let Some(link) = self.link_if_readable(id.as_str())? else {
                continue;
            };
            if !filter.admits(&link) {
                continue;
            }
            if items.len() == limit {
                let next = items.last().map(|l| l.id.as_str().as_bytes().to_vec());
                return Ok(StorePage { items, next });
            }
            items.push(link);
        }
        Ok(StorePage { items, next: None })
    }

    /// The ids of the nodes of one country, from the country index (keys only).
    pub fn node_ids_in_country(&self, country: &CountryCode) -> Result<Vec<String>, StoreError> {
        let prefix = keys::prefix(&[country.as_str().as_bytes()]);
        self.tree(TreeId::NodeCountry)
            .scan_prefix(&prefix)
            .keys()
            .map(|key| {
                let key = key?;
                String::from_utf8(key[prefix.len()..].to_vec())
                    .map_err(|_| corrupt(trees::NODE_COUNTRY, &key, "id is not UTF-8"))
            })
            .collect()
    }

    /// Nodes with a name term starting with `term` (already normalised), each with its
    /// best match rank: 0 a whole name equals `term`, 1 a word of a name does, 2 a prefix.
    pub fn search_terms(&self, term: &str) -> Result<Vec<(NodeId, u8)>, StoreError> {
        let mut best: std::collections::HashMap<Vec<u8>, u8> = std::collections::HashMap::new();
        for entry in self.tree(TreeId::NodeName).scan_prefix(term.as_bytes()) {
            let (key, value) = entry?;
            let Some(sep) = key.iter().position(|b| *b == keys::SEP) else {
                return Err(corrupt(trees::NODE_NAME, &key, "no separator"));
            };
            let rank = match (&key[..sep] == term.as_bytes(), value.first()) {
                (true, Some(1)) => 0,
                (true, _) => 1,
                (false, _) => 2,
            };
            let slot = best.entry(key[sep + 1..].to_vec()).or_insert(rank);
            *slot = (*slot).min(rank);
        }
        best.into_iter()
            .map(|(id, rank)| Ok((node_id_from(trees::NODE_NAME, &id)?, rank)))
            .collect()
    }

    /// Writes the changes, their index entries and the next graph version atomically,
    /// then flushes to disk when `durable`. Returns the new graph version.
    /// The change is logged as made by `cli`; see [`SledStore::commit_by`].
    pub fn commit(&self, changes: &[RecordChange], durable: bool) -> Result<u64, StoreError> {
        self.commit_by(changes, durable, "cli")
    }

    /// As [`SledStore::commit`], logging the change (who, when, every record before and
    /// after) in the change log, which is the commit point.
    pub fn commit_by(
        &self,
        changes: &[RecordChange],
        durable: bool,
        actor: &str,
    ) -> Result<u64, StoreError> {
        let version = self.commit_group(&[(changes, actor)])?;
        if durable {
            self.db.flush()?;
        }
        Ok(version)
    }

    pub(super) fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Flushes everything written so far to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Raw entries of an index tree, for the integrity check.
    pub(crate) fn index_keys(
        &self,
        tree: TreeId,
    ) -> impl Iterator<Item = Result<(IVec, IVec), StoreError>> + '_ {
        self.tree(tree).iter().map(|e| e.map_err(StoreError::from))
    }

    /// Whether an index tree holds `key`.
    #[cfg(test)]
    pub(crate) fn has_key(&self, tree: TreeId, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.tree(tree).contains_key(key)?)
    }

    /// Raw value of a key.
    pub(crate) fn raw_get(&self, tree: TreeId, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        Ok(self.tree(tree).get(key)?)
    }

    #[cfg(test)]
    pub(crate) fn raw_tree(&self, tree: TreeId) -> &Tree {
        self.tree(tree)
    }
}

/// Collects up to `limit` accepted entries under `prefix`, after `after` (a suffix).
pub(super) fn page<T>(
    tree: &Tree,
    prefix: &[u8],
    after: Option<&[u8]>,
    limit: usize,
    mut accept: impl FnMut(&[u8], IVec) -> Result<Option<T>, StoreError>,
) -> Result<StorePage<T>, StoreError> {
    let start = match after {
        Some(a) => Bound::Excluded([prefix, a].concat()),
        None => Bound::Included(prefix.to_vec()),
    };
    let mut items = Vec::new();
    let mut last: Option<Vec<u8>> = None;
    for entry in tree.range::<Vec<u8>, _>((start, Bound::Unbounded)) {
        let (key, value) = entry?;
        if !key.starts_with(prefix) {
            break;
        }
        let suffix = &key[prefix.len()..];
        if let Some(item) = accept(suffix, value)? {
            if items.len() == limit {
                return Ok(StorePage { items, next: last });
            }
            items.push(item);
            last = Some(suffix.to_vec());
        }
    }
    Ok(StorePage { items, next: None })
}

pub(super) fn read_u64(raw: &[u8]) -> Option<u64> {
    raw.try_into().ok().map(u64::from_be_bytes)
}

fn corrupt(tree: &str, key: &[u8], detail: &str) -> StoreError {
    StoreError::Corrupt {
        tree: tree.into(),
        key: String::from_utf8_lossy(key).into_owned(),
        detail: detail.into(),
    }
}

fn node_id_from(tree: &str, raw: &[u8]) -> Result<NodeId, StoreError> {
    std::str::from_utf8(raw)
        .ok()
        .and_then(|s| NodeId::new(s).ok())
        .ok_or_else(|| corrupt(tree, raw, "not a node id"))
}
