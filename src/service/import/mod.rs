//! Bulk import: a stream of records, each checked against the store and the records
//! before it, written in chunks through a store bulk load. All or nothing by default
//! (a refused record stops the writing, the load is rolled back, and the rest of the
//! stream is still checked so every bad row is reported); with `skip_invalid` the good
//! records land and the bad ones are reported. Records are upserts: by id, or — for a
//! node whose id the file did not give — by (kind, name, country), so importing the
//! same file twice changes nothing.

use std::sync::Arc;
use std::time::Instant;

use hashbrown::{HashMap, HashSet};
use serde::Serialize;

use super::{Service, ServiceError};
use crate::graph::GraphSnapshot;
use crate::model::text::normalize;
use crate::model::{Link, LinkId, Node, NodeId, NodeKind};
use crate::store::{RecordChange, SledStore};

mod in_flight;
mod matched;
mod named;
mod pairs;
mod projection;
mod reported;
mod retired;

pub use crate::io::changes::{Change, ChangeLine, FieldChange, ReportFormat};
pub use crate::io::{open_items, Item, Items, Record, RowError};

use pairs::{CompactPair, PairKey, PairOwner, RowPair};
use projection::Projection;
use retired::{Earlier, Retired};

/// Records written per bulk-load chunk.
const CHUNK: usize = 20_000;
/// Refused rows kept in a report (the count goes on past it).
const MAX_ERRORS_KEPT: usize = 1_000;

/// How to import.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Check everything and count what would change; write nothing.
    pub dry_run: bool,
    /// Import the good records and report the bad ones (default: all or nothing).
    pub skip_invalid: bool,
    /// Report what each record does to the store ([`ImportReport::changes`]).
    pub report_changes: bool,
    /// With `report_changes`, also report the stored links of the file's datasets
    /// (same `source.document`) that the file does not hold.
    pub report_missing: bool,
}

/// What an import did (or, on a dry run or a refusal, would have done).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    /// Whether the records were written (false on a dry run and when refused).
    pub written: bool,
    /// Records read.
    pub records: u64,
    /// Records that did not exist.
    pub created: u64,
    /// Records that existed with different content.
    pub updated: u64,
    /// Records that existed with the same content (and rows repeating an earlier row).
    pub unchanged: u64,
    /// Refused records (skipped with `skip_invalid`; otherwise they stopped the import).
    pub refused: u64,
    /// The first refused records, in file order.
    pub errors: Vec<RowError>,
    /// Graph version after the import.
    pub graph_version: u64,
    /// Wall time, in seconds.
    pub seconds: f64,
    /// With [`ImportOptions::report_changes`]: every record read, in file order, as
    /// created, updated (field by field) or unchanged against the store before the
    /// import; then, with `report_missing`, the missing links.
    #[serde(skip)]
    pub changes: Option<Vec<crate::io::changes::ChangeLine>>,
}

/// What one record is to the store.
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Service {
    /// Imports a stream of records (see the module documentation). `progress` is
    /// called with the number of records read, every few thousand records.
    /// The change log names `cli` as the author; see [`Service::import_by`].
    pub fn import(
        &self,
        items: impl Iterator<Item = Result<Item, RowError>>,
        options: ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport, ServiceError> {
        self.import_by("cli", items, options, progress)
    }

    /// As [`Service::import`], logged in the change log as made by `actor`.
    pub fn import_by(
        &self,
        actor: &str,
        items: impl Iterator<Item = Result<Item, RowError>>,
        options: ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport, ServiceError> {
        let started = Instant::now();
        let mut state = self.snapshots.lock();
        let mut load = if options.dry_run {
            None
        } else {
            Some(self.store.begin_bulk_load()?)
        };
        let before = std::sync::Arc::clone(&state.latest);
        let mut pending = Pending::new(&self.store, &before);
        if options.report_changes {
            pending.report_changes();
        }
        let mut projection = Projection::new(load.as_ref().is_some_and(|l| l.into_empty()));
        let mut report = ImportReport::default();
        let mut refused_all = false;
        let outcome = std::thread::scope(|scope| -> Result<(), ServiceError> {
            // Chunks are written on their own thread while the next is checked.
            let (writer, writing) = match load.as_mut() {
                Some(load) => {
                    let (writer, writing) = in_flight::Writer::start(scope, load)?;
                    (Some(writer), Some(writing))
                }
                None => (None, None),
            };
            let mut hand_over = |pending: &mut Pending, refused_all: bool| match &writer {
                Some(writer) if !refused_all => {
                    let chunk = Arc::new(in_flight::WrittenChunk::new(pending.take_changes()));
                    pending.in_flight = Some(Arc::clone(&chunk));
                    let handed = writer.hand_over(Arc::clone(&chunk));
                    // Projected while the writer writes it.
                    if handed {
                        projection.add(chunk.changes());
                    }
                    handed
                }
                // Nothing of this chunk will be written: keep what later rows need of
                // it, not the records.
                _ => {
                    pending.retire();
                    true
                }
            };
            for item in items {
                report.records += 1;
                let accepted = item.and_then(|item| pending.accept(item));
                match accepted {
                    Ok(Outcome::Created) => report.created += 1,
                    Ok(Outcome::Updated) => report.updated += 1,
                    Ok(Outcome::Unchanged) => report.unchanged += 1,
                    Err(error) => {
                        report.refused += 1;
                        let fatal = error.fatal;
                        if report.errors.len() < MAX_ERRORS_KEPT {
                            report.errors.push(error);
                        }
                        if fatal {
                            refused_all = true;
                            break;
                        }
                        if !options.skip_invalid {
                            refused_all = true;
                        }
                    }
                }
                if report.records % CHUNK as u64 == 0 {
                    if !hand_over(&mut pending, refused_all) {
                        // The writer failed: its error ends the import below.
                        break;
                    }
                    progress(report.records);
                }
            }
            if writer.is_some() && !refused_all {
                // A failure is the writer's, returned by its join.
                hand_over(&mut pending, refused_all);
            }
            drop(writer);
            progress(report.records);
            match writing.map(|thread| thread.join()) {
                Some(Ok(written)) => Ok(written?),
                Some(Err(_)) => Err(crate::store::StoreError::Codec(
                    "the bulk-load writer thread panicked".into(),
                )
                .into()),
                None => Ok(()),
            }
        });
        let outcome = outcome.and_then(|()| {
            report.changes = pending.take_report(options.report_missing)?;
            Ok(())
        });
        let streamed_ms = started.elapsed().as_millis() as u64;
        let changed = report.created + report.updated > 0;
        match (load, outcome) {
            (Some(load), Ok(())) if !refused_all && changed => {
                let counts = crate::store::ChangeCounts {
                    created: report.created,
                    updated: report.updated,
                    deleted: 0,
                };
                report.graph_version = load.finish(actor, counts)?;
                report.written = true;
                let finished_ms = started.elapsed().as_millis() as u64;
                let (graph, read_back) = match projection.finish(report.graph_version) {
                    Some(graph) => (graph, false),
                    None => (super::build_snapshot(&self.store)?, true),
                };
                self.snapshots.replace(&mut state, graph);
                tracing::info!(
                    streamed_ms,
                    finish_ms = finished_ms - streamed_ms,
                    graph_ms = started.elapsed().as_millis() as u64 - finished_ms,
                    read_back,
                    "import written and its graph installed"
                );
            }
            (Some(load), Ok(())) => {
                load.abort()?;
                report.graph_version = self.version();
            }
            (Some(load), Err(e)) => {
                load.abort()?;
                return Err(e);
            }
            (None, outcome) => {
                outcome?;
                report.graph_version = self.version();
            }
        }
        drop(state);
        if report.written {
            // Next opens load the imported graph from its file instead of rebuilding.
            if let Err(e) = self.save_snapshot() {
                tracing::warn!(error = %e, "cannot write the snapshot file after the import");
            }
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// What the import knows of a node it accepted or a link of it named.
struct SeenNode {
    kind: NodeKind,
    /// Whether a link accepted by this import names it.
    linked: bool,
    /// Whether this import accepted the node itself (so the store has it after the
    /// chunk is written).
    accepted: bool,
    /// Its number in this import, for [`CompactPair`]s.
    ordinal: u32,
}

/// Records accepted but not yet written, over the store.
struct Pending<'a> {
    store: &'a SledStore,
    /// The graph as it was before the import: it lists a node's links (the store keeps
    /// no index by member).
    graph: &'a GraphSnapshot,
    nodes: HashMap<NodeId, (Option<Node>, Node)>,
    links: HashMap<LinkId, (Option<Link>, Link)>,
    /// Pairs taken or freed by links this import accepted, in every chunk so far (the
    /// graph answers for the rest: it is the store before the import). Compact, as it
    /// grows with the file: ~25 bytes a link.
    pairs: HashMap<CompactPair, PairOwner>,
    /// Ids of the links with chosen ids in `pairs`.
    chosen_ids: Vec<LinkId>,
    /// The same ids as a set: whether an id given by a row was taken by an earlier one.
    chosen_set: HashSet<LinkId>,
    /// Every node this import accepted, or named in a link or a pair lookup.
    seen: HashMap<NodeId, SeenNode>,
    /// Records of earlier chunks that will not be written (a dry run, or an import
    /// refused already), as fingerprints.
    retired: Option<Retired>,
    /// The chunk last handed to the writer, which may not be in the store yet.
    in_flight: Option<Arc<in_flight::WrittenChunk>>,
    /// Accepted nodes by kind, country and name, where no index has them.
    named: named::Named,
    /// Q-ids, and the derived ids that were found to name other nodes.
    matched: matched::Matched,
    /// What each record read would do, when a change report is wanted.
    reported: Option<reported::Reported>,
}

impl<'a> Pending<'a> {
    fn new(store: &'a SledStore, graph: &'a GraphSnapshot) -> Self {
        Self {
            store,
            graph,
            nodes: HashMap::new(),
            links: HashMap::new(),
            pairs: HashMap::new(),
            chosen_ids: Vec::new(),
            chosen_set: HashSet::new(),
            seen: HashMap::new(),
            retired: None,
            in_flight: None,
            named: named::Named::default(),
            matched: matched::Matched::default(),
            reported: None,
        }
    }

    fn take_changes(&mut self) -> Vec<RecordChange> {
        self.forget_chunk_names();
        let mut out = Vec::with_capacity(self.nodes.len() + self.links.len());
        out.extend(
            self.nodes
                .drain()
                .map(|(_, (before, after))| RecordChange::Node {
                    before,
                    after: Some(after),
                }),
        );
        out.extend(
            self.links
                .drain()
                .map(|(_, (before, after))| RecordChange::Link {
                    before,
                    after: Some(after),
                }),
        );
        out
    }

    /// The node as the import has left it so far. The store is read only for a node it
    /// has: one the graph (the store before the import) or an earlier chunk has. At 1M,
    /// asking sled about each new record was a quarter of an import.
    fn node(&self, id: &NodeId) -> Result<Option<Earlier<Node>>, RowError> {
        let in_flight = || self.in_flight.as_ref().and_then(|chunk| chunk.node(id));
        if let Some(node) = self.nodes.get(id).map(|(_, node)| node).or_else(in_flight) {
            return Ok(Some(Earlier::Whole(node.clone())));
        }
        if let Some(retired) = self.retired_node(id) {
            return Ok(Some(retired));
        }
        let stored = self.graph.index_of(id).is_some()
            || self.seen.get(id).is_some_and(|seen| seen.accepted);
        if !stored {
            return Ok(None);
        }
        Ok(self
            .store
            .get_node(id)
            .map_err(storage)?
            .map(Earlier::Whole))
    }

    /// The link as the import has left it so far (see [`Pending::node`]); `pair` is the
    /// row's, with the id derived from it.
    fn link(&self, id: &LinkId, pair: &RowPair) -> Result<Option<Earlier<Link>>, RowError> {
        let in_flight = || self.in_flight.as_ref().and_then(|chunk| chunk.link(id));
        if let Some(link) = self.links.get(id).map(|(_, link)| link).or_else(in_flight) {
            return Ok(Some(Earlier::Whole(link.clone())));
        }
        if let Some(retired) = self.retired_link(id) {
            return Ok(Some(retired));
        }
        let stored = if self.graph.link_ix(id).is_some() || self.chosen_set.contains(id) {
            true
        } else if pair.derived.as_ref() == Some(id) {
            // An id derived from the row's pair was taken by this import only as that
            // pair's link (or as a chosen id, in `chosen_set`).
            matches!(self.pairs.get(&pair.compact), Some(PairOwner::Derived))
        } else {
            // A chosen id may be the derived id of another pair: ask the store.
            true
        };
        if !stored {
            return Ok(None);
        }
        Ok(self
            .store
            .get_link(id)
            .map_err(storage)?
            .map(Earlier::Whole))
    }

    fn accept(&mut self, item: Item) -> Result<Outcome, RowError> {
        let outcome = match item.record {
            Record::Node {
                node,
                id_given,
                partial,
            } => self.accept_node(item.line, node, id_given, partial),
            Record::Link(link) => self.accept_link(item.line, link, false),
            Record::PartialLink(link) => self.accept_link(item.line, link, true),
        };
        outcome.map_err(|mut e| {
            if !item.at.is_empty() {
                e.column = if e.column.is_empty() {
                    item.at
                } else {
                    format!("{}.{}", item.at, e.column)
                };
            }
            e
        })
    }

    fn accept_node(
        &mut self,
        line: u64,
        mut node: Node,
        id_given: bool,
        partial: bool,
    ) -> Result<Outcome, RowError> {
        node.validate().map_err(|e| RowError::invalid(line, &e))?;
        let existing = if id_given {
            self.node(&node.id)?
        } else {
            self.match_unnamed(&mut node)
                .map_err(|e| RowError { line, ..e })?
        };
        if let (true, Some(Earlier::Whole(old))) = (partial, &existing) {
            node = matched::merge_node(old, node);
            node.validate().map_err(|e| RowError::invalid(line, &e))?;
        }
        let outcome = match &existing {
            None => {
                node.id
                    .check_new()
                    .map_err(|e| RowError::row(line, "id", e.to_string()))?;
                Outcome::Created
            }
            Some(old) if old.same_as(&node) => {
                self.note_reported_node(line, &node)?;
                return Ok(Outcome::Unchanged);
            }
            Some(old) => {
                let old_kind = match old {
                    Earlier::Whole(old) => old.kind,
                    // Retired by this import, which left its kind in `seen`.
                    Earlier::Retired { .. } => {
                        self.seen.get(&node.id).map_or(node.kind, |s| s.kind)
                    }
                };
                if old_kind != node.kind && self.has_links(&node.id)? {
                    return Err(RowError::row(
                        line,
                        "kind",
                        format!(
                            "node `{}` is {} with links; an import cannot change its kind (PATCH it)",
                            node.id,
                            old_kind.with_article()
                        ),
                    ));
                }
                Outcome::Updated
            }
        };
        let seen = self.see(&node.id);
        seen.kind = node.kind;
        seen.accepted = true;
        self.note_named(&node);
        self.note_qid(&node);
        self.note_reported_node(line, &node)?;
        match self.nodes.get_mut(&node.id) {
            Some(slot) => slot.1 = node,
            None => {
                let before = existing.and_then(Earlier::into_whole);
                self.nodes.insert(node.id.clone(), (before, node));
            }
        }
        Ok(outcome)
    }

    /// An existing node of the same kind and country whose name normalises the same (and
    /// that is not another Wikidata item than `node`).
    fn same_named(&mut self, node: &Node) -> Result<Option<NodeId>, RowError> {
        let term = normalize(&node.name);
        if term.is_empty() {
            return Ok(None);
        }
        // A node spelt exactly as the record is preferred to one that only normalises
        // the same ("Piteşti" and "Pitești" are both `pitesti`).
        let mut alike = None;
        for (id, rank) in self.store.search_terms(&term).map_err(storage)? {
            if rank != 0 {
                continue;
            }
            if let Some(candidate) = self.store.get_node(&id).map_err(storage)? {
                if candidate.kind == node.kind
                    && candidate.country == node.country
                    && normalize(&candidate.name) == term
                    && !self.is_other_item(&id, Some(&candidate), node)
                {
                    if candidate.name == node.name {
                        return Ok(Some(id));
                    }
                    alike.get_or_insert(id);
                }
            }
        }
        if alike.is_some() {
            return Ok(alike);
        }
        // Neither the chunk being written nor this one is in the name index yet.
        let in_flight = self.in_flight.as_ref();
        if let Some(id) = in_flight.and_then(|chunk| chunk.same_named(node, &term)) {
            return Ok(Some(id.clone()));
        }
        Ok(self.same_named_here(node, &term))
    }

    fn has_links(&self, id: &NodeId) -> Result<bool, RowError> {
        Ok(self.seen.get(id).is_some_and(|seen| seen.linked) || self.graph.has_links(id))
    }

    /// The kind of a node a link names: as this import left it, else as the graph (the
    /// store before the import) has it.
    fn member_kind(&self, id: &NodeId) -> Result<Option<NodeKind>, RowError> {
        if let Some(seen) = self.seen.get(id) {
            return Ok(Some(seen.kind));
        }
        Ok(self.graph.index_of(id).map(|ix| self.graph.node_kind(ix)))
    }

    /// The node's entry in `seen`, added (with its kind as the store has it, else a
    /// placeholder the caller overwrites) when it is new.
    fn see(&mut self, id: &NodeId) -> &mut SeenNode {
        let ordinal = u32::try_from(self.seen.len()).unwrap_or(u32::MAX);
        let graph = self.graph;
        // The id is copied, and the graph asked, only for a node not seen before.
        self.seen.entry_ref(id).or_insert_with(|| SeenNode {
            kind: graph
                .index_of(id)
                .map_or(NodeKind::City, |ix| graph.node_kind(ix)),
            linked: false,
            accepted: false,
            ordinal,
        })
    }

    fn accept_link(&mut self, line: u64, link: Link, partial: bool) -> Result<Outcome, RowError> {
        let mut link = self.with_aliases(link);
        link.validate().map_err(|e| RowError::invalid(line, &e))?;
        let mut member_kinds = Vec::with_capacity(link.members.len());
        for (i, member) in link.members.iter().enumerate() {
            let Some(kind) = self.member_kind(member)? else {
                return Err(RowError::row(
                    line,
                    format!("members[{i}]"),
                    format!("node `{member}` does not exist (nor is it earlier in the file)"),
                ));
            };
            if let Some(allowed) = link.kind.member_kinds(i) {
                if !allowed.contains(&kind) {
                    let names: Vec<&str> = allowed.iter().map(|k| k.with_article()).collect();
                    return Err(RowError::row(
                        line,
                        format!("members[{i}]"),
                        format!(
                            "`{member}` is {}; a {} link needs {} here",
                            kind.with_article(),
                            link.kind.as_str(),
                            names.join(" or ")
                        ),
                    ));
                }
            }
            member_kinds.push(kind);
        }
        let key = (link.kind, Link::canonical_members(link.kind, &link.members));
        let pair = self.row_pair(key, &link.id);
        if let Some(owner) = self.owner_of(&pair)? {
            if owner != link.id {
                return Err(RowError::row(
                    line,
                    "members",
                    format!(
                        "a {} link between these members already exists: `{owner}`",
                        link.kind.as_str()
                    ),
                ));
            }
        }
        let existing = self.link(&link.id, &pair)?;
        if let (true, Some(Earlier::Whole(old))) = (partial, &existing) {
            link = matched::merge_link(old, link);
            link.validate().map_err(|e| RowError::invalid(line, &e))?;
        }
        let outcome = match &existing {
            None => Outcome::Created,
            Some(old) if old.same_as(&link) => {
                self.note_reported_link(line, &link)?;
                return Ok(Outcome::Unchanged);
            }
            Some(Earlier::Retired { pair: old, .. }) => {
                // Moved off the pair an earlier chunk gave it: the pair is free.
                if let Some(old) = old.filter(|old| *old != pair.compact) {
                    self.pairs.insert(old, PairOwner::Freed);
                }
                Outcome::Updated
            }
            Some(Earlier::Whole(old)) => {
                let old_key: PairKey = (old.kind, Link::canonical_members(old.kind, &old.members));
                if old_key != pair.key {
                    let old_pair = self.row_pair(old_key, &old.id);
                    self.set_owner(&old_pair, None);
                }
                Outcome::Updated
            }
        };
        self.note_reported_link(line, &link)?;
        self.set_owner(&pair, Some(&link.id));
        for (member, kind) in link.members.iter().zip(member_kinds) {
            let seen = self.see(member);
            seen.kind = kind;
            seen.linked = true;
        }
        match self.links.get_mut(&link.id) {
            Some(slot) => slot.1 = link,
            None => {
                let before = existing.and_then(Earlier::into_whole);
                self.links.insert(link.id.clone(), (before, link));
            }
        }
        Ok(outcome)
    }
}

fn storage(e: crate::store::StoreError) -> RowError {
    RowError::fatal(0, "-", format!("storage failed: {e}"))
}
