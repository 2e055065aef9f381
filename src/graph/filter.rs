//! Query filters: which links and nodes a graph question sees.
//!
//! Defaults follow the design: the three diplomatic link kinds, active links only, every
//! node kind, no date cut. With `as_of`, a link counts when it was signed by that date
//! (its first possible day is not after the cut's last day) and had not ended by then;
//! undated links count unless `include_undated` is false.

use crate::model::{Evidence, LinkKind, LinkStatus, NodeKind, PartialDate};

use super::LinkEntry;

/// Which links and nodes a query sees.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Filter {
    /// Link kinds to traverse, as a bit set over [`LinkKind::ALL`].
    pub kinds: u8,
    /// Link statuses to traverse, as a bit set over [`LinkStatus::ALL`].
    pub statuses: u8,
    /// Node kinds in the graph, as a bit set over [`NodeKind::ALL`].
    pub node_kinds: u8,
    /// How directly a link's source must support it, as a bit set over
    /// [`Evidence::ALL`] (default: both).
    pub evidence: u8,
    /// The network as it stood at this date.
    pub as_of: Option<PartialDate>,
    /// With `as_of`, whether links without a `signed` date count.
    pub include_undated: bool,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            kinds: Self::kind_bits(&LinkKind::DIPLOMATIC),
            statuses: Self::status_bits(&[LinkStatus::Active]),
            node_kinds: Self::node_kind_bits(&NodeKind::ALL),
            evidence: Self::evidence_bits(&Evidence::ALL),
            as_of: None,
            include_undated: true,
        }
    }
}

fn bit<T: PartialEq>(all: &[T], item: &T) -> u8 {
    all.iter().position(|x| x == item).map_or(0, |i| 1 << i)
}

impl Filter {
    /// Every link of every kind and status, every node.
    pub fn everything() -> Self {
        Self {
            kinds: Self::kind_bits(&LinkKind::ALL),
            statuses: Self::status_bits(&LinkStatus::ALL),
            node_kinds: Self::node_kind_bits(&NodeKind::ALL),
            evidence: Self::evidence_bits(&Evidence::ALL),
            as_of: None,
            include_undated: true,
        }
    }

    /// Bit set of link kinds.
    pub fn kind_bits(kinds: &[LinkKind]) -> u8 {
        kinds.iter().fold(0, |acc, k| acc | bit(&LinkKind::ALL, k))
    }

    /// Bit set of statuses.
    pub fn status_bits(statuses: &[LinkStatus]) -> u8 {
        statuses
            .iter()
            .fold(0, |acc, s| acc | bit(&LinkStatus::ALL, s))
    }

    /// Bit set of node kinds.
    pub fn node_kind_bits(kinds: &[NodeKind]) -> u8 {
        kinds.iter().fold(0, |acc, k| acc | bit(&NodeKind::ALL, k))
    }

    /// Bit set of evidence values.
    pub fn evidence_bits(values: &[Evidence]) -> u8 {
        values.iter().fold(0, |acc, e| acc | bit(&Evidence::ALL, e))
    }

    /// Whether a node kind is in the graph.
    pub fn admits_node(&self, kind: NodeKind) -> bool {
        self.node_kinds & bit(&NodeKind::ALL, &kind) != 0
    }

    /// Whether a link is traversed (its members' kinds are checked separately).
    pub fn admits_link(&self, link: &LinkEntry) -> bool {
        if self.kinds & bit(&LinkKind::ALL, &link.kind) == 0
            || self.statuses & bit(&LinkStatus::ALL, &link.status) == 0
            || self.evidence & bit(&Evidence::ALL, &link.evidence) == 0
        {
            return false;
        }
        match &self.as_of {
            None => true,
            Some(cut) => match &link.signed {
                None => self.include_undated,
                Some(signed) => {
                    signed.is_by(cut) && !link.ended.is_some_and(|ended| ended.is_by(cut))
                }
            },
        }
    }

    /// The link kinds as names, for responses.
    pub fn kind_names(&self) -> Vec<&'static str> {
        LinkKind::ALL
            .iter()
            .filter(|k| self.kinds & bit(&LinkKind::ALL, k) != 0)
            .map(|k| k.as_str())
            .collect()
    }

    /// The statuses as names, for responses.
    pub fn status_names(&self) -> Vec<&'static str> {
        LinkStatus::ALL
            .iter()
            .filter(|s| self.statuses & bit(&LinkStatus::ALL, s) != 0)
            .map(|s| s.as_str())
            .collect()
    }

    /// The evidence values admitted, as names, for responses.
    pub fn evidence_names(&self) -> Vec<&'static str> {
        Evidence::ALL
            .iter()
            .filter(|e| self.evidence & bit(&Evidence::ALL, e) != 0)
            .map(|e| e.as_str())
            .collect()
    }

    /// The node kinds as names, for responses.
    pub fn node_kind_names(&self) -> Vec<&'static str> {
        NodeKind::ALL
            .iter()
            .filter(|k| self.admits_node(**k))
            .map(|k| k.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        kind: LinkKind,
        status: LinkStatus,
        signed: Option<&str>,
        ended: Option<&str>,
    ) -> LinkEntry {
        LinkEntry {
            kind,
            status,
            evidence: crate::model::Evidence::Stated,
            signed: signed.map(|s| s.parse().unwrap()),
            ended: ended.map(|s| s.parse().unwrap()),
            members: crate::graph::Members::new(&[0, 1]).unwrap(),
        }
    }

    #[test]
    fn defaults_are_active_diplomatic_links() {
        let f = Filter::default();
        assert!(f.admits_link(&entry(LinkKind::Trilateral, LinkStatus::Active, None, None)));
        assert!(!f.admits_link(&entry(LinkKind::LocatedIn, LinkStatus::Active, None, None)));
        assert!(!f.admits_link(&entry(LinkKind::Twinning, LinkStatus::Planned, None, None)));
        assert!(Filter::everything().admits_link(&entry(
            LinkKind::LocatedIn,
            LinkStatus::Ended,
            None,
            None
        )));
    }

    #[test]
    fn as_of_cuts_by_signed_and_ended() {
        let f = Filter {
            as_of: Some("2003-07-17".parse().unwrap()),
            ..Filter::default()
        };
        assert!(f.admits_link(&entry(
            LinkKind::Twinning,
            LinkStatus::Active,
            Some("2003"),
            None
        )));
        assert!(f.admits_link(&entry(
            LinkKind::Twinning,
            LinkStatus::Active,
            Some("2003-07-17"),
            None
        )));
        assert!(!f.admits_link(&entry(
            LinkKind::Twinning,
            LinkStatus::Active,
            Some("2003-07-18"),
            None
        )));
        assert!(!f.admits_link(&entry(
            LinkKind::Twinning,
            LinkStatus::Active,
            Some("1991"),
            Some("2003-07")
        )));
        assert!(f.admits_link(&entry(
            LinkKind::Twinning,
            LinkStatus::Active,
            Some("1991"),
            Some("2003-08")
        )));
        assert!(f.admits_link(&entry(LinkKind::Twinning, LinkStatus::Active, None, None)));
        let strict = Filter {
            include_undated: false,
            ..f
        };
        assert!(!strict.admits_link(&entry(LinkKind::Twinning, LinkStatus::Active, None, None)));
    }

    #[test]
    fn a_kind_or_status_named_twice_is_still_selected() {
        use LinkKind::{Friendship, Twinning};
        use LinkStatus::{Active, Planned};
        assert_eq!(
            Filter::kind_bits(&[Twinning, Twinning, Friendship]),
            Filter::kind_bits(&[Twinning, Friendship])
        );
        assert_eq!(
            Filter::status_bits(&[Planned, Active, Planned]),
            Filter::status_bits(&[Active, Planned])
        );
        assert_eq!(
            Filter::node_kind_bits(&[NodeKind::State, NodeKind::State]),
            Filter::node_kind_bits(&[NodeKind::State])
        );
    }

    #[test]
    fn node_kinds_and_names_say_what_is_selected() {
        let states = Filter {
            node_kinds: Filter::node_kind_bits(&[NodeKind::State]),
            ..Filter::default()
        };
        assert!(states.admits_node(NodeKind::State));
        assert!(!states.admits_node(NodeKind::City));
        assert_eq!(states.node_kind_names(), ["state"]);
        let f = Filter {
            kinds: Filter::kind_bits(&[LinkKind::Membership]),
            statuses: Filter::status_bits(&[LinkStatus::Planned, LinkStatus::Ended]),
            ..Filter::default()
        };
        assert_eq!(f.kind_names(), ["membership"]);
        assert_eq!(f.status_names(), ["planned", "ended"]);
        assert_eq!(Filter::default().status_names(), ["active"]);
    }
}
