//! Writes: every invariant checked against the store plus the write's own earlier
//! changes, then one atomic, durable commit and a new snapshot.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::{ConflictKind, Service, ServiceError};
use crate::graph::project::GraphDelta;
use crate::graph::GraphSnapshot;
use crate::model::draft::{link_from_json, merge_patch, node_from_json};
use crate::model::{Link, LinkId, LinkKind, Node, NodeId, NodeKind, ValidationError, Violation};
use crate::store::trees::TreeId;
use crate::store::{RecordChange, SledStore, StoreError};

/// One requested change. `path` prefixes field names in errors (`operations[3].link`).
#[derive(Clone, Debug)]
pub enum Change {
    /// Create a node; 409 if the id exists.
    CreateNode(Node),
    /// Create or replace a node.
    PutNode(Node),
    /// Delete a node; with `cascade`, its links too.
    DeleteNode {
        /// The node.
        id: NodeId,
        /// Also delete its links.
        cascade: bool,
    },
    /// Create a link; 409 if the id exists.
    CreateLink(Link),
    /// Create or replace a link.
    PutLink(Link),
    /// Delete a link.
    DeleteLink(LinkId),
    /// Apply a JSON merge patch (RFC 7396) to a node; its id cannot change.
    PatchNode {
        /// The node.
        id: NodeId,
        /// The merge patch.
        patch: serde_json::Value,
    },
    /// Apply a JSON merge patch to a link; its id cannot change.
    PatchLink {
        /// The link.
        id: LinkId,
        /// The merge patch.
        patch: serde_json::Value,
    },
}

/// What a committed write did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WriteSummary {
    /// Graph version after the write (unchanged when nothing changed).
    pub graph_version: u64,
    /// Records created.
    pub created: usize,
    /// Records replaced with different content.
    pub updated: usize,
    /// Records deleted.
    pub deleted: usize,
    /// Records written with the content they already had.
    pub unchanged: usize,
    /// Ids of deleted nodes.
    pub deleted_nodes: Vec<String>,
    /// Ids of deleted links.
    pub deleted_links: Vec<String>,
}

impl Service {
    /// Applies changes atomically: all of them, or none when any is refused.
    /// The change log names `cli` as the author; see [`Service::write_by`].
    pub fn write(&self, changes: Vec<(String, Change)>) -> Result<WriteSummary, ServiceError> {
        self.write_with(changes, true, "cli")
    }

    /// As [`Service::write`], logged in the change log as made by `actor`.
    pub fn write_by(
        &self,
        actor: &str,
        changes: Vec<(String, Change)>,
    ) -> Result<WriteSummary, ServiceError> {
        self.write_with(changes, true, actor)
    }

    /// Checks changes as [`Service::write`] would and says what they would do, writing nothing.
    pub fn dry_run(&self, changes: Vec<(String, Change)>) -> Result<WriteSummary, ServiceError> {
        let state = self.snapshots.lock();
        let earlier = Layer::default();
        let mut staged = Staged::new(&self.store, &state.latest, &earlier);
        for (path, change) in changes {
            staged.apply(change, &path)?;
        }
        let (_, mut summary, _) = staged.into_records()?;
        summary.graph_version = self.version();
        Ok(summary)
    }

    /// As [`Service::write_by`]; `durable = false` skips the flush (benches).
    ///
    /// Group commit: the write joins a queue; whoever holds the writer lock next checks
    /// and commits every queued write, each on its own and in order, in one group
    /// commit, and applies them to the snapshot at once (see [`super::group`]).
    pub fn write_with(
        &self,
        changes: Vec<(String, Change)>,
        durable: bool,
        actor: &str,
    ) -> Result<WriteSummary, ServiceError> {
        if let Some(summary) = self.delete_if_damaged(&changes, actor)? {
            return Ok(summary);
        }
        self.commit_queued(changes, durable, actor)
    }
}

/// Records staged by a write, or by the writes committed ahead of it in one group.
#[derive(Default)]
pub(super) struct Layer {
    nodes: BTreeMap<NodeId, Option<Node>>,
    links: BTreeMap<LinkId, Option<Link>>,
    pairs: HashMap<(LinkKind, Vec<NodeId>), Option<LinkId>>,
    links_by_member: HashMap<NodeId, HashSet<LinkId>>,
}

impl Layer {
    /// Lays `later` (a write staged over this layer) on top.
    pub(super) fn absorb(&mut self, later: Layer) {
        self.nodes.extend(later.nodes);
        self.links.extend(later.links);
        self.pairs.extend(later.pairs);
        for (member, links) in later.links_by_member {
            self.links_by_member
                .entry(member)
                .or_default()
                .extend(links);
        }
    }
}

/// A link id read from the graph (valid when it was stored; a failure means damage).
fn link_id_of_graph(id: &str) -> Result<LinkId, ServiceError> {
    LinkId::new(id).map_err(|e| {
        ServiceError::Store(StoreError::Corrupt {
            tree: "graph".into(),
            key: id.to_string(),
            detail: format!("not a link id: {e}"),
        })
    })
}

/// The write's view: stored records, overlaid with the writes committed ahead of it in
/// its group (`earlier`), overlaid with the changes it staged so far (`own`). `graph` is
/// the snapshot of the latest commit (the store's state before the group; the writer
/// lock keeps the two equal): it lists a node's links.
pub(super) struct Staged<'a> {
    store: &'a SledStore,
    graph: &'a GraphSnapshot,
    earlier: &'a Layer,
    own: Layer,
}

impl<'a> Staged<'a> {
    pub(super) fn new(store: &'a SledStore, graph: &'a GraphSnapshot, earlier: &'a Layer) -> Self {
        Self {
            store,
            graph,
            earlier,
            own: Layer::default(),
        }
    }

    /// A node as the writes ahead of this one left it (the store is read only for a
    /// node the graph has).
    fn before_node(&self, id: &NodeId) -> Result<Option<Node>, ServiceError> {
        match self.earlier.nodes.get(id) {
            Some(staged) => Ok(staged.clone()),
            None if self.graph.index_of(id).is_none() => {
                match self.store.damaged_error(TreeId::Nodes, id.as_str()) {
                    Some(damaged) => Err(damaged.into()),
                    None => Ok(None),
                }
            }
            None => Ok(self.store.get_node(id)?),
        }
    }

    /// A link as the writes ahead of this one left it (the store is read only for a
    /// link the graph has).
    fn before_link(&self, id: &LinkId) -> Result<Option<Link>, ServiceError> {
        match self.earlier.links.get(id) {
            Some(staged) => Ok(staged.clone()),
            None if self.graph.link_ix(id).is_none() => {
                match self.store.damaged_error(TreeId::Links, id.as_str()) {
                    Some(damaged) => Err(damaged.into()),
                    None => Ok(None),
                }
            }
            None => Ok(self.store.get_link(id)?),
        }
    }

    /// The kind of a node as staged so far, `None` when it does not exist; a node
    /// nobody staged is answered by the graph without reading the store.
    fn node_kind(&self, id: &NodeId) -> Result<Option<NodeKind>, ServiceError> {
        for layer in [&self.own, self.earlier] {
            if let Some(staged) = layer.nodes.get(id) {
                return Ok(staged.as_ref().map(|n| n.kind));
            }
        }
        Ok(self.graph.index_of(id).map(|ix| self.graph.node_kind(ix)))
    }

    fn node(&self, id: &NodeId) -> Result<Option<Node>, ServiceError> {
        match self.own.nodes.get(id) {
            Some(staged) => Ok(staged.clone()),
            None => self.before_node(id),
        }
    }

    fn link(&self, id: &LinkId) -> Result<Option<Link>, ServiceError> {
        match self.own.links.get(id) {
            Some(staged) => Ok(staged.clone()),
            None => self.before_link(id),
        }
    }

    /// Links that currently have `node` as a member.
    fn links_of(&self, node: &NodeId) -> Result<Vec<Link>, ServiceError> {
        let mut ids: HashSet<LinkId> = HashSet::new();
        for id in self.graph.link_ids_of(node) {
            ids.insert(link_id_of_graph(&id)?);
        }
        for layer in [self.earlier, &self.own] {
            if let Some(staged) = layer.links_by_member.get(node) {
                ids.extend(staged.iter().cloned());
            }
        }
        let mut out = Vec::new();
        for id in ids {
            if let Some(link) = self.link(&id)? {
                if link.members.contains(node) {
                    out.push(link);
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    fn owner_of(
        &self,
        kind: LinkKind,
        canonical: &[NodeId],
    ) -> Result<Option<LinkId>, ServiceError> {
        let key = (kind, canonical.to_vec());
        match self
            .own
            .pairs
            .get(&key)
            .or_else(|| self.earlier.pairs.get(&key))
        {
            Some(owner) => Ok(owner.clone()),
            None => self
                .graph
                .link_between(kind, canonical)
                .map(|l| link_id_of_graph(&self.graph.link_id(l)))
                .transpose(),
        }
    }

    pub(super) fn apply(&mut self, change: Change, path: &str) -> Result<(), ServiceError> {
        match change {
            Change::CreateNode(node) => self.put_node(node, true, path),
            Change::PutNode(node) => self.put_node(node, false, path),
            Change::DeleteNode { id, cascade } => self.delete_node(&id, cascade, path),
            Change::CreateLink(link) => self.put_link(link, true, path),
            Change::PutLink(link) => self.put_link(link, false, path),
            Change::DeleteLink(id) => self.delete_link(&id, path),
            Change::PatchNode { id, patch } => {
                let current = self
                    .node(&id)?
                    .ok_or_else(|| not_found("node", id.as_str(), path))?;
                let patched = patched(&current, &patch, id.as_str(), path)?;
                let node = node_from_json(patched).map_err(|e| e.within(path))?;
                self.put_node(node, false, path)
            }
            Change::PatchLink { id, patch } => {
                let current = self
                    .link(&id)?
                    .ok_or_else(|| not_found("link", id.as_str(), path))?;
                let patched = patched(&current, &patch, id.as_str(), path)?;
                let link = link_from_json(patched).map_err(|e| e.within(path))?;
                self.put_link(link, false, path)
            }
        }
    }

    fn put_node(&mut self, node: Node, create: bool, path: &str) -> Result<(), ServiceError> {
        node.validate().map_err(|e| e.within(path))?;
        let existing = self.node(&node.id)?;
        if existing.is_none() {
            node.id.check_new().map_err(|e| {
                ValidationError::new("id", Violation::InvalidId, e.to_string()).within(path)
            })?;
        }
        if let Some(existing) = existing {
            if create {
                return Err(conflict(
                    ConflictKind::NodeExists,
                    format!("node `{}` already exists", node.id),
                    path,
                    "id",
                ));
            }
            if existing.kind != node.kind {
                for link in self.links_of(&node.id)? {
                    let position = link.members.iter().position(|m| *m == node.id).unwrap_or(0);
                    if let Some(allowed) = link.kind.member_kinds(position) {
                        if !allowed.contains(&node.kind) {
                            return Err(ValidationError::new(
                                "kind",
                                Violation::MemberKind,
                                format!(
                                    "link `{}` needs this node to stay a {}",
                                    link.id,
                                    existing.kind.as_str()
                                ),
                            )
                            .within(path)
                            .into());
                        }
                    }
                }
            }
        }
        self.own.nodes.insert(node.id.clone(), Some(node));
        Ok(())
    }

    fn delete_node(&mut self, id: &NodeId, cascade: bool, path: &str) -> Result<(), ServiceError> {
        if self.node(id)?.is_none() {
            return Err(ServiceError::NotFound {
                what: "node",
                id: id.to_string(),
                field: field(path, "id"),
            });
        }
        let links = self.links_of(id)?;
        if !links.is_empty() && !cascade {
            return Err(conflict(
                ConflictKind::NodeHasLinks,
                format!(
                    "node `{id}` has {} link(s); delete them first or ask for cascade=true",
                    links.len()
                ),
                path,
                "id",
            ));
        }
        for link in links {
            self.unstage_link(&link.id)?;
        }
        self.own.nodes.insert(id.clone(), None);
        Ok(())
    }

    fn put_link(&mut self, link: Link, create: bool, path: &str) -> Result<(), ServiceError> {
        link.validate().map_err(|e| e.within(path))?;
        for (i, member) in link.members.iter().enumerate() {
            let Some(kind) = self.node_kind(member)? else {
                return Err(ValidationError::new(
                    format!("members[{i}]"),
                    Violation::UnknownMember,
                    format!("node `{member}` does not exist"),
                )
                .within(path)
                .into());
            };
            if let Some(allowed) = link.kind.member_kinds(i) {
                if !allowed.contains(&kind) {
                    let names: Vec<&str> = allowed.iter().map(|k| k.with_article()).collect();
                    return Err(ValidationError::new(
                        format!("members[{i}]"),
                        Violation::MemberKind,
                        format!(
                            "`{member}` is {}; a {} link needs {} here",
                            kind.with_article(),
                            link.kind.as_str(),
                            names.join(" or ")
                        ),
                    )
                    .within(path)
                    .into());
                }
            }
        }
        let canonical = Link::canonical_members(link.kind, &link.members);
        match self.link(&link.id)? {
            Some(stored) if !create => {
                refuse_rederiving(&stored, &link, &canonical).map_err(|e| e.within(path))?
            }
            Some(_) => {}
            None => link.id.check_new().map_err(|e| {
                ValidationError::new("id", Violation::InvalidId, e.to_string()).within(path)
            })?,
        }
        if self.link(&link.id)?.is_some() {
            if create && self.owner_of(link.kind, &canonical)?.is_none() {
                return Err(conflict(
                    ConflictKind::LinkExists,
                    format!("link `{}` already exists", link.id),
                    path,
                    "id",
                ));
            }
            if !create {
                self.unstage_link(&link.id)?;
            }
        }
        if let Some(owner) = self.owner_of(link.kind, &canonical)? {
            let names: Vec<&str> = link.members.iter().map(NodeId::as_str).collect();
            return Err(conflict(
                ConflictKind::DuplicateLink,
                format!(
                    "a {} link between {} already exists: `{owner}`",
                    link.kind.as_str(),
                    names.join(", ")
                ),
                path,
                "members",
            ));
        }
        self.own
            .pairs
            .insert((link.kind, canonical), Some(link.id.clone()));
        for member in &link.members {
            self.own
                .links_by_member
                .entry(member.clone())
                .or_default()
                .insert(link.id.clone());
        }
        self.own.links.insert(link.id.clone(), Some(link));
        Ok(())
    }

    fn delete_link(&mut self, id: &LinkId, path: &str) -> Result<(), ServiceError> {
        if self.link(id)?.is_none() {
            return Err(ServiceError::NotFound {
                what: "link",
                id: id.to_string(),
                field: field(path, "id"),
            });
        }
        self.unstage_link(id)
    }

    /// Stages the removal of a link that exists, freeing its member tuple.
    fn unstage_link(&mut self, id: &LinkId) -> Result<(), ServiceError> {
        if let Some(old) = self.link(id)? {
            self.own.pairs.insert(
                (old.kind, Link::canonical_members(old.kind, &old.members)),
                None,
            );
        }
        self.own.links.insert(id.clone(), None);
        Ok(())
    }

    /// The staged records as changes against the state the writes ahead of this one
    /// left, dropping those that change nothing; and the staged layer itself.
    pub(super) fn into_records(
        self,
    ) -> Result<(Vec<RecordChange>, WriteSummary, Layer), ServiceError> {
        let mut summary = WriteSummary::default();
        let mut records = Vec::new();
        for (id, after) in &self.own.nodes {
            let before = self.before_node(id)?;
            if tally(&mut summary, before.as_ref(), after.as_ref()) {
                if after.is_none() {
                    summary.deleted_nodes.push(id.to_string());
                }
                records.push(RecordChange::Node {
                    before,
                    after: after.clone(),
                });
            }
        }
        for (id, after) in &self.own.links {
            let before = self.before_link(id)?;
            if tally(&mut summary, before.as_ref(), after.as_ref()) {
                if after.is_none() {
                    summary.deleted_links.push(id.to_string());
                }
                records.push(RecordChange::Link {
                    before,
                    after: after.clone(),
                });
            }
        }
        Ok((records, summary, self.own))
    }
}

/// The graph changes of committed record changes.
pub(super) fn delta_of(records: &[RecordChange]) -> GraphDelta {
    let mut delta = GraphDelta::default();
    for record in records {
        match record {
            RecordChange::Node {
                after: Some(node), ..
            } => delta.upserted_nodes.push((node.id.clone(), node.kind)),
            RecordChange::Node {
                before: Some(node),
                after: None,
            } => delta.removed_nodes.push(node.id.clone()),
            RecordChange::Link {
                after: Some(link), ..
            } => delta.upserted_links.push(link.clone().into()),
            RecordChange::Link {
                before: Some(link),
                after: None,
            } => delta.removed_links.push(link.id.clone()),
            RecordChange::Node {
                before: None,
                after: None,
            }
            | RecordChange::Link {
                before: None,
                after: None,
            } => {}
        }
    }
    delta
}

/// Counts one record's fate; returns whether it must be written.
fn tally<T: PartialEq>(summary: &mut WriteSummary, before: Option<&T>, after: Option<&T>) -> bool {
    match (before, after) {
        (None, None) => return false,
        (None, Some(_)) => summary.created += 1,
        (Some(_), None) => summary.deleted += 1,
        (Some(b), Some(a)) if a == b => {
            summary.unchanged += 1;
            return false;
        }
        (Some(_), Some(_)) => summary.updated += 1,
    }
    true
}

/// Applies a merge patch to a record's JSON; the patch may not change the id.
fn patched<T: Serialize>(
    current: &T,
    patch: &serde_json::Value,
    id: &str,
    path: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, ServiceError> {
    if !patch.is_object() {
        return Err(ValidationError::new(
            "",
            Violation::InvalidValue,
            "a merge patch is a JSON object",
        )
        .within(path)
        .into());
    }
    let mut doc = serde_json::to_value(current)
        .map_err(|e| ServiceError::Store(crate::store::StoreError::Codec(e.to_string())))?;
    merge_patch(&mut doc, patch);
    match doc {
        serde_json::Value::Object(map) if map.get("id").and_then(|v| v.as_str()) == Some(id) => {
            Ok(map)
        }
        _ => Err(ValidationError::new(
            "id",
            Violation::InvalidId,
            "the id of a record cannot be changed or removed",
        )
        .within(path)
        .into()),
    }
}

/// Refuses to replace a link whose id is derived from its kind and members by one of
/// another kind or members: the id would name a pair it no longer joins, and the link
/// that id derives from could never be created.
fn refuse_rederiving(
    stored: &Link,
    replacement: &Link,
    canonical: &[NodeId],
) -> Result<(), ValidationError> {
    let stored_members = Link::canonical_members(stored.kind, &stored.members);
    let derived = stored
        .id
        .is_derived_from(stored.kind.as_str(), &stored_members);
    if !derived
        || replacement
            .id
            .is_derived_from(replacement.kind.as_str(), canonical)
    {
        return Ok(());
    }
    let field = if stored.kind == replacement.kind {
        "members"
    } else {
        "kind"
    };
    Err(ValidationError::new(
        field,
        Violation::InvalidValue,
        format!(
            "the id `{}` is derived from this link's kind and members, which cannot change: delete the link and create the new one",
            stored.id
        ),
    ))
}

fn not_found(what: &'static str, id: &str, path: &str) -> ServiceError {
    ServiceError::NotFound {
        what,
        id: id.to_string(),
        field: field(path, "id"),
    }
}

fn field(path: &str, name: &str) -> Option<String> {
    Some(if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    })
}

fn conflict(kind: ConflictKind, detail: String, path: &str, name: &str) -> ServiceError {
    ServiceError::Conflict {
        kind,
        detail,
        field: field(path, name).unwrap_or_default(),
    }
}
