//! A snapshot put together record by record, the links' members found on every core:
//! the projection of a store's records (`project::build`) and of an import's chunks as
//! they are written (`service::import::projection`).

use rayon::prelude::*;

use super::ids::IdTable;
use super::layout::{build_indexed, intern_node, LinkInput, ProjectError};
use super::link_ids::LinkIds;
use super::{GraphSnapshot, LinkEntry, Members};
use crate::model::{Link, LinkId, NodeId, NodeKind};

/// A snapshot put together record by record: nodes first, then links whose members
/// were added before them (an import feeds it as it goes, so the graph need not be
/// read back from the store).
#[derive(Default)]
pub struct Builder {
    node_ids: IdTable,
    node_kinds: Vec<NodeKind>,
    entries: Vec<LinkEntry>,
    link_ids: LinkIds,
}

impl Builder {
    /// Adds a node, refusing an id added before.
    pub fn add_node(&mut self, id: &str, kind: NodeKind) -> Result<(), ProjectError> {
        intern_node(&mut self.node_ids, id)?;
        self.node_kinds.push(kind);
        Ok(())
    }

    /// Adds links, in order, whose members are all added nodes. Their members are
    /// found on every core: each is a hash lookup into a million ids spread over memory.
    pub fn add_links(&mut self, links: &[LinkParts<'_>]) -> Result<(), ProjectError> {
        let node_ids = &self.node_ids;
        let resolved: Vec<Result<Resolved, ProjectError>> = links
            .par_iter()
            .with_min_len(RESOLVED_PER_TASK)
            .map_init(String::new, |derived, link| {
                resolve(node_ids, link, derived)
            })
            .collect();
        for (link, resolved) in links.iter().zip(resolved) {
            let Resolved { entry, derived_id } = resolved?;
            let chosen = (!derived_id).then_some(link.id.as_str());
            self.link_ids
                .push(chosen, self.entries.len())
                .map_err(|()| ProjectError::TooLarge)?;
            self.entries.push(entry);
        }
        Ok(())
    }

    /// The snapshot at `version` of everything added (whose link ids are distinct, as
    /// a store's are).
    pub fn finish(self, version: u64) -> Result<GraphSnapshot, ProjectError> {
        build_indexed(
            version,
            self.node_ids,
            self.node_kinds,
            self.entries,
            self.link_ids,
        )
    }
}

/// Links read before their members are found together.
pub(super) const RESOLVED_TOGETHER: usize = 32_768;
/// Links whose members one rayon task finds, at least.
const RESOLVED_PER_TASK: usize = 2_048;

/// A link's entry, with its members as node positions.
struct Resolved {
    entry: LinkEntry,
    /// Whether the link's id is the one derived from its kind and members (not stored).
    derived_id: bool,
}

/// The entry of `link`, its members found in `node_ids` (`derived` is scratch space).
fn resolve(
    node_ids: &IdTable,
    link: &LinkParts<'_>,
    derived: &mut String,
) -> Result<Resolved, ProjectError> {
    let mut members = [0; super::MAX_MEMBERS];
    if link.members.len() > members.len() {
        return Err(ProjectError::TooManyMembers {
            link: link.id.clone(),
        });
    }
    for (slot, m) in members.iter_mut().zip(link.members) {
        *slot = node_ids
            .find(m.as_str())
            .ok_or_else(|| ProjectError::DanglingMember {
                link: link.id.to_string(),
                member: m.to_string(),
            })?;
    }
    derived.clear();
    let mut members_text = [""; super::MAX_MEMBERS];
    for (slot, m) in members_text.iter_mut().zip(link.members) {
        *slot = m.as_str();
    }
    let members_text = &members_text[..link.members.len()];
    super::link_ids::write_derived(link.kind, members_text, derived);
    Ok(Resolved {
        entry: LinkEntry {
            kind: link.kind,
            status: link.status,
            evidence: link.evidence,
            signed: link.signed,
            ended: link.ended,
            members: Members::new(&members[..link.members.len()]).ok_or(ProjectError::TooLarge)?,
        },
        derived_id: derived.as_str() == link.id.as_str(),
    })
}

/// What a snapshot keeps of a link, borrowed from a record ([`Link`] or [`LinkInput`]).
pub struct LinkParts<'a> {
    /// The link's id.
    pub id: &'a LinkId,
    /// Its kind.
    pub kind: crate::model::LinkKind,
    /// Its status.
    pub status: crate::model::LinkStatus,
    /// Whether its source states it.
    pub evidence: crate::model::Evidence,
    /// When it was signed.
    pub signed: Option<crate::model::PartialDate>,
    /// When it ended.
    pub ended: Option<crate::model::PartialDate>,
    /// Member ids.
    pub members: &'a [NodeId],
}

impl<'a> From<&'a LinkInput> for LinkParts<'a> {
    fn from(link: &'a LinkInput) -> Self {
        Self {
            id: &link.id,
            kind: link.kind,
            status: link.status,
            evidence: link.evidence,
            signed: link.signed,
            ended: link.ended,
            members: &link.members,
        }
    }
}

impl<'a> From<&'a Link> for LinkParts<'a> {
    fn from(link: &'a Link) -> Self {
        Self {
            id: &link.id,
            kind: link.kind,
            status: link.status,
            evidence: link.evidence,
            signed: link.signed,
            ended: link.ended,
            members: &link.members,
        }
    }
}
