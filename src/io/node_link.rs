//! NetworkX node-link JSON import (`networkx.node_link_data(G)`, with `edges` or
//! `links`), the inverse of [`super::export::node_link`]: node attributes `kind`,
//! `name`, `name_<lang>`, `country`, `region`, `lat`/`lon`, `population`,
//! `external_id_<key>`, `tags` map onto the node's fields, anything else goes to
//! `attrs`; edges sharing a `link_id` (or a text `key`) are one link — three endpoints
//! make a trilateral link — and edge attributes map onto the link's fields likewise.
//! An empty text value is an absent attribute (igraph writes missing values so); a
//! membership or located_in edge is read city first, whichever way the file has it.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::native::ImportError;
use super::Item;
use crate::model::draft::{link_from_json, node_from_json};
use crate::model::validate::classify;
use crate::model::{LinkKind, NodeKind, ValidationError, Violation};

const NODE_FIELDS: [&str; 6] = ["kind", "name", "country", "region", "population", "attrs"];
const LINK_FIELDS: [&str; 8] = [
    "kind", "status", "evidence", "signed", "ended", "notes", "attrs", "link_id",
];

fn invalid(field: String, reason: impl Into<String>) -> ImportError {
    ImportError::Invalid(ValidationError::new(field, Violation::InvalidValue, reason))
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn split_list(value: &Value) -> Value {
    match value {
        Value::String(s) => json!(s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()),
        other => other.clone(),
    }
}

/// The `attrs` attribute: an object, or (GraphML, GEXF) an object written as JSON text.
fn object_attr(raw: &Map<String, Value>, path: &str) -> Result<Map<String, Value>, ImportError> {
    match raw.get("attrs") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(_)) if super::json::duplicate_key(text.as_bytes()).is_some() => {
                let key = super::json::duplicate_key(text.as_bytes()).unwrap_or_default();
                Err(invalid(
                    format!("{path}.attrs.{key}"),
                    super::json::duplicate_key_detail(&key),
                ))
            }
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(invalid(format!("{path}.attrs"), "must be a JSON object")),
        },
        Some(_) => Err(invalid(format!("{path}.attrs"), "must be an object")),
    }
}

fn node_record(raw: &Map<String, Value>, path: &str) -> Result<Map<String, Value>, ImportError> {
    let id = raw
        .get("id")
        .and_then(id_text)
        .ok_or_else(|| invalid(format!("{path}.id"), "a node needs an id"))?;
    let mut node = Map::new();
    let mut names = Map::new();
    let mut external = Map::new();
    let mut attrs = object_attr(raw, path)?;
    node.insert("id".into(), json!(id));
    node.insert(
        "kind".into(),
        raw.get("kind").cloned().unwrap_or(json!("city")),
    );
    node.insert("name".into(), raw.get("name").cloned().unwrap_or(json!(id)));
    for (key, value) in raw {
        if let Some(lang) = key.strip_prefix("name_") {
            names.insert(lang.into(), value.clone());
        } else if let Some(k) = key.strip_prefix("external_id_") {
            external.insert(k.into(), value.clone());
        } else if key == "tags" {
            node.insert("tags".into(), split_list(value));
        } else if NODE_FIELDS.contains(&key.as_str()) && key != "attrs" {
            if key != "kind" && key != "name" {
                node.insert(key.clone(), value.clone());
            }
        } else if !["id", "lat", "lon", "attrs"].contains(&key.as_str()) {
            attrs.insert(key.clone(), value.clone());
        }
    }
    if let (Some(lat), Some(lon)) = (raw.get("lat"), raw.get("lon")) {
        node.insert("location".into(), json!({"lat": lat, "lon": lon}));
    }
    for (key, map) in [
        ("names", names),
        ("external_ids", external),
        ("attrs", attrs),
    ] {
        if !map.is_empty() {
            node.insert(key.into(), Value::Object(map));
        }
    }
    Ok(node)
}

/// The members of a two-member link in the order its kind gives them roles (a city
/// first, then its association or state): an undirected graph (NetworkX, igraph) has no
/// edge direction, and writes a pair in either order. Members whose kinds fit the roles
/// either way, or are not in the file, stay as written.
fn oriented(
    kind: Option<&Value>,
    mut members: Vec<String>,
    kinds: &HashMap<String, NodeKind>,
) -> Vec<String> {
    let Some(kind) = kind.and_then(|k| serde_json::from_value::<LinkKind>(k.clone()).ok()) else {
        return members;
    };
    let fits = |i: usize, id: &String| match (kind.member_kinds(i), kinds.get(id)) {
        (Some(allowed), Some(k)) => allowed.contains(k),
        _ => true,
    };
    if members.len() == 2
        && !(fits(0, &members[0]) && fits(1, &members[1]))
        && fits(0, &members[1])
        && fits(1, &members[0])
    {
        members.swap(0, 1);
    }
    members
}

/// The edges of one link: first edge's place and attributes, and its endpoints.
type EdgeGroup = (String, Map<String, Value>, Vec<String>);

/// Reads a node-link document into node and link upserts (nodes first).
pub fn read(bytes: &[u8]) -> Result<Vec<Item>, ImportError> {
    super::native::refuse_duplicate_keys(bytes)?;
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| ImportError::Invalid(classify(String::new(), format!("not JSON: {e}"))))?;
    let nodes = doc
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("nodes".into(), "a node-link document has a `nodes` array"))?;
    let edges_key = if doc.get("edges").is_some() {
        "edges"
    } else {
        "links"
    };
    let edges = doc
        .get(edges_key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut node_maps = Vec::with_capacity(nodes.len());
    for (i, raw) in nodes.iter().enumerate() {
        let path = format!("nodes[{i}]");
        let raw = raw
            .as_object()
            .ok_or_else(|| invalid(path.clone(), "a node is an object"))?;
        node_maps.push((path, raw.clone()));
    }
    let mut edge_maps = Vec::with_capacity(edges.len());
    for (i, raw) in edges.iter().enumerate() {
        let path = format!("{edges_key}[{i}]");
        let raw = raw
            .as_object()
            .ok_or_else(|| invalid(path.clone(), "an edge is an object"))?;
        edge_maps.push((path, raw.clone()));
    }
    records(node_maps, edge_maps)
}

/// Turns flat node and edge attribute maps (as node-link, GraphML and GEXF carry them;
/// each with its place in the file for errors) into node and link upserts, nodes first.
pub(crate) fn records(
    mut nodes: Vec<(String, Map<String, Value>)>,
    mut edges: Vec<(String, Map<String, Value>)>,
) -> Result<Vec<Item>, ImportError> {
    // igraph (and spreadsheets) have no "absent": an attribute a node or edge lacks is
    // written as an empty string. It is read as absent.
    for (_, raw) in nodes.iter_mut().chain(edges.iter_mut()) {
        raw.retain(|_, v| !v.as_str().is_some_and(|s| s.trim().is_empty()));
    }
    let mut out = Vec::new();
    let mut kinds: HashMap<String, NodeKind> = HashMap::new();
    for (path, raw) in &nodes {
        let node = node_from_json(node_record(raw, path)?)
            .map_err(|e| ImportError::Invalid(e.within(path)))?;
        kinds.insert(node.id.to_string(), node.kind);
        out.push(Item::node_at(path.clone(), node));
    }
    let mut order: Vec<String> = Vec::new();
    let mut groups: std::collections::HashMap<String, EdgeGroup> = std::collections::HashMap::new();
    for (i, (path, raw)) in edges.iter().enumerate() {
        let path = path.clone();
        let source = raw
            .get("source")
            .and_then(id_text)
            .ok_or_else(|| invalid(format!("{path}.source"), "an edge needs a source"))?;
        let target = raw
            .get("target")
            .and_then(id_text)
            .ok_or_else(|| invalid(format!("{path}.target"), "an edge needs a target"))?;
        // Edges of one link share its `link_id` (or a text `key`, as pobratim writes
        // node-link); NetworkX's multigraph keys are numbers that count the edges of one
        // pair (0, 1, …), so an edge with only such a key is a link of its own.
        let key = raw
            .get("link_id")
            .or_else(|| raw.get("key").filter(|k| k.is_string()))
            .and_then(id_text)
            .unwrap_or_else(|| format!("edge:{i}"));
        let entry = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (path.clone(), raw.clone(), Vec::new())
        });
        for end in [source, target] {
            if !entry.2.contains(&end) {
                entry.2.push(end);
            }
        }
    }
    for key in order {
        let Some((path, raw, members)) = groups.remove(&key) else {
            continue;
        };
        let mut link = Map::new();
        let mut attrs = object_attr(&raw, &path)?;
        let mut source = Map::new();
        if !key.starts_with("edge:") {
            link.insert("id".into(), json!(key));
        }
        link.insert(
            "kind".into(),
            raw.get("kind")
                .cloned()
                .unwrap_or(json!(if members.len() == 3 {
                    "trilateral"
                } else {
                    "twinning"
                })),
        );
        let members = oriented(link.get("kind"), members, &kinds);
        link.insert("members".into(), json!(members));
        for (k, value) in &raw {
            match k.as_str() {
                "source" | "target" | "key" | "link_id" | "kind" | "attrs" => {}
                "areas" => {
                    link.insert("areas".into(), split_list(value));
                }
                "source_document" | "source_url" | "source_quote" => {
                    source.insert(k["source_".len()..].into(), value.clone());
                }
                other if LINK_FIELDS.contains(&other) => {
                    link.insert(other.into(), value.clone());
                }
                other => {
                    attrs.insert(other.into(), value.clone());
                }
            }
        }
        if !source.is_empty() {
            link.insert("source".into(), Value::Object(source));
        }
        if !attrs.is_empty() {
            link.insert("attrs".into(), Value::Object(attrs));
        }
        let link = link_from_json(link).map_err(|e| ImportError::Invalid(e.within(&path)))?;
        out.push(Item::link_at(path, link));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upserts(doc: serde_json::Value) -> (Vec<crate::model::Node>, Vec<crate::model::Link>) {
        let mut nodes = Vec::new();
        let mut links = Vec::new();
        for item in read(doc.to_string().as_bytes()).unwrap() {
            match item.record {
                crate::io::Record::Node { node, .. } => nodes.push(node),
                crate::io::Record::Link(link) | crate::io::Record::PartialLink(link) => {
                    links.push(link)
                }
            }
        }
        (nodes, links)
    }

    #[test]
    fn undirected_pairs_take_their_roles_and_empty_values_are_absent() {
        let (nodes, links) = upserts(json!({
            "directed": false, "multigraph": true,
            "nodes": [
                {"id": "city:ru:a", "kind": "city", "name": "A", "region": "", "population": ""},
                {"id": "state:ru", "kind": "state", "name": "Russia"},
                {"id": "city:jp:b", "kind": "city", "name": "B"}
            ],
            "edges": [
                {"source": "state:ru", "target": "city:ru:a", "key": 0, "kind": "located_in", "ended": ""},
                {"source": "city:ru:a", "target": "city:jp:b", "key": 0, "kind": "twinning"},
                {"source": "city:ru:a", "target": "city:jp:b", "key": 1, "kind": "friendship"}
            ]
        }));
        assert_eq!(
            (nodes[0].region.as_deref(), nodes[0].population),
            (None, None)
        );
        assert_eq!(links.len(), 3, "numeric multigraph keys do not join edges");
        assert_eq!(
            links[0].members[0].as_str(),
            "city:ru:a",
            "the city comes first"
        );
        assert_eq!(links[0].ended, None);
        assert_eq!(
            links[2].members[0].as_str(),
            "city:ru:a",
            "a twinning keeps its order"
        );
    }
}
