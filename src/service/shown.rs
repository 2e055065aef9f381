//! How graph answers show what they are about: a node by its id, kind, names, country
//! and place, and the filters the answer was computed under.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::graph::filter::Filter;
use crate::model::{Location, NodeKind};

/// The filters a response was computed under.
#[derive(Debug, Clone, Serialize)]
pub struct Filters {
    /// Link kinds traversed.
    pub kinds: Vec<&'static str>,
    /// Link statuses traversed.
    pub status: Vec<&'static str>,
    /// Node kinds in the graph.
    pub node_kinds: Vec<&'static str>,
    /// Evidence of the links traversed (`stated`, `inferred`).
    pub evidence: Vec<&'static str>,
    /// The date the network was cut at, if any.
    pub as_of: Option<String>,
    /// With `as_of`, whether undated links counted (the `undated` parameter).
    pub undated: bool,
}

impl From<&Filter> for Filters {
    fn from(f: &Filter) -> Self {
        Self {
            kinds: f.kind_names(),
            status: f.status_names(),
            node_kinds: f.node_kind_names(),
            evidence: f.evidence_names(),
            as_of: f.as_of.map(|d| d.to_string()),
            undated: f.include_undated,
        }
    }
}

/// A node as graph answers show it. A node whose stored record cannot be read is shown
/// with its id as its name and no other attribute.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct NodeRef {
    /// Node id.
    pub id: String,
    /// Kind.
    pub kind: NodeKind,
    /// Primary name.
    pub name: String,
    /// Names by language.
    pub names: BTreeMap<String, String>,
    /// Country code.
    pub country: Option<String>,
    /// Coordinates.
    pub location: Option<Location>,
}

impl From<crate::model::Node> for NodeRef {
    fn from(node: crate::model::Node) -> Self {
        Self {
            id: node.id.to_string(),
            kind: node.kind,
            name: node.name,
            names: node.names,
            country: node.country.map(|c| c.to_string()),
            location: node.location,
        }
    }
}
