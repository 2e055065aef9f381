//! Links: agreements between places, memberships and locations.

use serde::{Deserialize, Serialize};

use super::date::PartialDate;
use super::id::{LinkId, NodeId};
use super::node::NodeKind;
use super::validate::{check_attrs, check_prose, check_text, ValidationError, Violation};

/// What a link is. Each kind carries its own rules: [`LinkKind::arity`],
/// [`LinkKind::is_directed`] and [`LinkKind::member_kinds`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Formal sister-city / twin-town agreement (2 members, undirected).
    Twinning,
    /// Friendship and cooperation agreement, protocol or memorandum (2 members, undirected).
    Friendship,
    /// One agreement binding three parties (3 members, undirected).
    Trilateral,
    /// City, state or association → association (directed).
    Membership,
    /// City → state (directed).
    LocatedIn,
}

impl LinkKind {
    /// Every kind, in a stable order.
    pub const ALL: [LinkKind; 5] = [
        LinkKind::Twinning,
        LinkKind::Friendship,
        LinkKind::Trilateral,
        LinkKind::Membership,
        LinkKind::LocatedIn,
    ];

    /// The kinds that path, centrality and neighbourhood queries traverse by default.
    pub const DIPLOMATIC: [LinkKind; 3] = [
        LinkKind::Twinning,
        LinkKind::Friendship,
        LinkKind::Trilateral,
    ];

    /// The wire and key name (`located_in`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Twinning => "twinning",
            LinkKind::Friendship => "friendship",
            LinkKind::Trilateral => "trilateral",
            LinkKind::Membership => "membership",
            LinkKind::LocatedIn => "located_in",
        }
    }

    /// How many members a link of this kind has.
    pub const fn arity(self) -> usize {
        match self {
            LinkKind::Trilateral => 3,
            _ => 2,
        }
    }

    /// Whether member order means something (`from → to`).
    pub const fn is_directed(self) -> bool {
        matches!(self, LinkKind::Membership | LinkKind::LocatedIn)
    }

    /// Whether the kind is one of the three diplomatic kinds.
    pub const fn is_diplomatic(self) -> bool {
        !self.is_directed()
    }

    /// The node kinds allowed at each member position, or `None` when any kind is.
    pub fn member_kinds(self, position: usize) -> Option<&'static [NodeKind]> {
        match (self, position) {
            (LinkKind::Membership, 0) => {
                Some(&[NodeKind::City, NodeKind::State, NodeKind::Association])
            }
            (LinkKind::Membership, _) => Some(&[NodeKind::Association]),
            (LinkKind::LocatedIn, 0) => Some(&[NodeKind::City]),
            (LinkKind::LocatedIn, _) => Some(&[NodeKind::State]),
            _ => None,
        }
    }
}

/// The state of an agreement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// In force.
    #[default]
    Active,
    /// Announced as intended.
    Planned,
    /// Under negotiation.
    Negotiating,
    /// Suspended.
    Suspended,
    /// Ended.
    Ended,
}

impl LinkStatus {
    /// Every status, in a stable order.
    pub const ALL: [LinkStatus; 5] = [
        LinkStatus::Active,
        LinkStatus::Planned,
        LinkStatus::Negotiating,
        LinkStatus::Suspended,
        LinkStatus::Ended,
    ];

    /// The wire name (`active`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Active => "active",
            LinkStatus::Planned => "planned",
            LinkStatus::Negotiating => "negotiating",
            LinkStatus::Suspended => "suspended",
            LinkStatus::Ended => "ended",
        }
    }
}

/// How directly a link's source supports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// The source states the relation itself: an agreement signed, a city named a
    /// member or a partner.
    #[default]
    Stated,
    /// The relation is read from what the source shows without stating it (a city at
    /// an association's meeting taken for a member, cooperation taken for a friendship).
    Inferred,
}

impl Evidence {
    /// Every value, in a stable order.
    pub const ALL: [Evidence; 2] = [Evidence::Stated, Evidence::Inferred];

    /// The wire name (`stated`).
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Stated => "stated",
            Evidence::Inferred => "inferred",
        }
    }
}

/// Where a link comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The document: the key of a cited document (`GET /api/v1/sources`), or a title.
    #[serde(default)]
    pub document: Option<String>,
    /// Where the document can be read.
    #[serde(default)]
    pub url: Option<String>,
    /// The sentence the link rests on, verbatim.
    #[serde(default)]
    pub quote: Option<String>,
}

/// A link between two or three nodes, as stored and as returned by the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Stable id; derived from kind and members when the writer gives none.
    pub id: LinkId,
    /// The kind of relation.
    pub kind: LinkKind,
    /// Member node ids: two, or three for `trilateral`; `[from, to]` for directed kinds.
    pub members: Vec<NodeId>,
    /// State of the agreement.
    #[serde(default)]
    pub status: LinkStatus,
    /// Whether the source states the link or it is read from the source (default
    /// `stated`).
    #[serde(default)]
    pub evidence: Evidence,
    /// When it was signed: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[serde(default)]
    pub signed: Option<PartialDate>,
    /// When it ended, same format; not before `signed`.
    #[serde(default)]
    pub ended: Option<PartialDate>,
    /// Areas of cooperation (`culture`, `education`, `sport`, `economy`, `tourism`, …).
    #[serde(default)]
    pub areas: Vec<String>,
    /// Provenance.
    #[serde(default)]
    pub source: Option<Source>,
    /// Free-text notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Free-form attributes: any JSON object, nested at most 32 arrays and objects deep.
    #[serde(default)]
    pub attrs: serde_json::Map<String, serde_json::Value>,
}

impl Link {
    /// Members in canonical order: as given for directed kinds, sorted otherwise.
    /// Two links of one kind with the same canonical members are duplicates.
    pub fn canonical_members(kind: LinkKind, members: &[NodeId]) -> Vec<NodeId> {
        let mut out = members.to_vec();
        if !kind.is_directed() {
            out.sort();
        }
        out
    }

    /// Checks the record on its own (member existence and duplicates need the store).
    pub fn validate(&self) -> Result<(), ValidationError> {
        let arity = self.kind.arity();
        if self.members.len() != arity {
            return Err(ValidationError::new(
                "members",
                Violation::MemberCount,
                format!(
                    "a {} link has exactly {arity} members, not {}",
                    self.kind.as_str(),
                    self.members.len()
                ),
            ));
        }
        for (i, member) in self.members.iter().enumerate() {
            if self.members[..i].contains(member) {
                return Err(ValidationError::new(
                    format!("members[{i}]"),
                    Violation::SelfLink,
                    format!("{member} appears twice: a link cannot join a node to itself"),
                ));
            }
        }
        if let (Some(signed), Some(ended)) = (self.signed, self.ended) {
            if ended.latest() < signed.earliest() {
                return Err(ValidationError::new(
                    "ended",
                    Violation::DateOrder,
                    format!("ended {ended} is before signed {signed}"),
                ));
            }
        }
        for (i, area) in self.areas.iter().enumerate() {
            let ok = !area.is_empty()
                && area.len() <= 40
                && area.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            if !ok {
                return Err(ValidationError::new(
                    format!("areas[{i}]"),
                    Violation::InvalidValue,
                    "an area is a lower-case word such as `culture` or `youth` (a–z and _)",
                ));
            }
        }
        if let Some(source) = &self.source {
            validate_source(source)?;
        }
        if let Some(notes) = &self.notes {
            check_prose("notes", notes, 10_000)?;
        }
        check_attrs(&self.attrs)
    }
}

fn validate_source(source: &Source) -> Result<(), ValidationError> {
    if source.document.is_none() && source.url.is_none() && source.quote.is_none() {
        return Err(ValidationError::new(
            "source",
            Violation::InvalidValue,
            "a source names a document, a url or a quote",
        ));
    }
    if let Some(document) = &source.document {
        check_text("source.document", document, 1000)?;
    }
    if let Some(quote) = &source.quote {
        check_prose("source.quote", quote, 10_000)?;
    }
    if let Some(url) = &source.url {
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.len() > 2000
            || url.contains(char::is_whitespace)
        {
            return Err(ValidationError::new(
                "source.url",
                Violation::InvalidValue,
                "the url must be an http(s) address",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(kind: &str, members: &[&str]) -> Link {
        serde_json::from_value(serde_json::json!({"id": "l", "kind": kind, "members": members}))
            .unwrap()
    }

    #[test]
    fn member_count_follows_the_kind() {
        link("twinning", &["a", "b"]).validate().unwrap();
        link("trilateral", &["a", "b", "c"]).validate().unwrap();
        let err = link("trilateral", &["a", "b"]).validate().unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.violation),
            ("members", Violation::MemberCount)
        );
        let err = link("twinning", &["a", "b", "c"]).validate().unwrap_err();
        assert_eq!(err.violation, Violation::MemberCount);
    }

    #[test]
    fn self_links_are_refused() {
        let err = link("friendship", &["a", "a"]).validate().unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.violation),
            ("members[1]", Violation::SelfLink)
        );
        let err = link("trilateral", &["a", "b", "a"]).validate().unwrap_err();
        assert_eq!(err.field, "members[2]");
    }

    #[test]
    fn ended_cannot_precede_signed() {
        let mut l = link("twinning", &["a", "b"]);
        l.signed = Some("2003-07".parse().unwrap());
        l.ended = Some("2003".parse().unwrap());
        l.validate().unwrap();
        l.ended = Some("2002-12-31".parse().unwrap());
        assert_eq!(l.validate().unwrap_err().violation, Violation::DateOrder);
    }

    #[test]
    fn undirected_members_are_canonicalised_directed_are_not() {
        let ids = |v: &[&str]| {
            v.iter()
                .map(|s| NodeId::new(*s).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            Link::canonical_members(LinkKind::Twinning, &ids(&["b", "a"])),
            ids(&["a", "b"])
        );
        assert_eq!(
            Link::canonical_members(LinkKind::Membership, &ids(&["b", "a"])),
            ids(&["b", "a"])
        );
    }
}
