//! Exports of the network, filtered like queries, in the formats researchers use:
//! NetworkX node-link JSON, GraphML (NetworkX, Gephi, igraph, yEd) and GeoJSON
//! (RFC 7946, for maps). pobratim's own JSON lives in [`super::native`].
//!
//! Every format writes record by record from the store; nothing is built in memory
//! beyond the node coordinates GeoJSON needs for link lines.

use std::collections::HashMap;
use std::io::Write;

use quick_xml::events::BytesText;
use quick_xml::Writer;
use serde_json::{json, Map, Value};

use super::native::ExportError;
use crate::graph::filter::Filter;
use crate::graph::LinkEntry;
use crate::model::{Link, Location, Node};

/// The records an export writes: nodes of admitted kinds, and admitted links whose
/// members are all exported.
pub struct Selection {
    nodes: Vec<Node>,
    links: Vec<Link>,
}

impl Selection {
    /// Selects the records `filter` admits.
    pub fn select<E: Into<ExportError>>(
        all_nodes: impl Iterator<Item = Result<Node, E>>,
        all_links: impl Iterator<Item = Result<Link, E>>,
        filter: &Filter,
    ) -> Result<Self, ExportError> {
        let mut nodes = Vec::new();
        for node in all_nodes {
            let node = node.map_err(Into::into)?;
            if filter.admits_node(node.kind) {
                nodes.push(node);
            }
        }
        let kept: std::collections::HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        let mut links = Vec::new();
        for link in all_links {
            let link = link.map_err(Into::into)?;
            let entry = LinkEntry {
                kind: link.kind,
                status: link.status,
                evidence: link.evidence,
                signed: link.signed,
                ended: link.ended,
                members: crate::graph::Members::default(),
            };
            if filter.admits_link(&entry) && link.members.iter().all(|m| kept.contains(m.as_str()))
            {
                links.push(link);
            }
        }
        Ok(Self { nodes, links })
    }

    /// A selection of the given records (tests and in-memory exports).
    pub fn of(nodes: Vec<Node>, links: Vec<Link>) -> Self {
        Self { nodes, links }
    }

    /// The selected nodes, in id order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The selected links, in id order.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// Number of nodes and links selected.
    pub fn counts(&self) -> (usize, usize) {
        (self.nodes.len(), self.links.len())
    }
}

/// The member pairs a link becomes in a graph: one pair, or a triangle for trilateral.
fn pairs(link: &Link) -> Vec<(&str, &str)> {
    let m = &link.members;
    let mut out = Vec::new();
    for i in 0..m.len() {
        for j in i + 1..m.len() {
            out.push((m[i].as_str(), m[j].as_str()));
        }
    }
    out
}

/// Flat, scalar attributes of a node (names as `name_<lang>`), shared by the formats.
fn node_attributes(node: &Node) -> Vec<(String, Value)> {
    let mut out = vec![
        ("kind".to_string(), json!(node.kind.as_str())),
        ("name".to_string(), json!(node.name)),
    ];
    for (lang, name) in &node.names {
        out.push((format!("name_{lang}"), json!(name)));
    }
    if let Some(c) = node.country {
        out.push(("country".into(), json!(c.as_str())));
    }
    if let Some(r) = &node.region {
        out.push(("region".into(), json!(r)));
    }
    if let Some(Location { lat, lon }) = node.location {
        out.push(("lat".into(), json!(lat)));
        out.push(("lon".into(), json!(lon)));
    }
    if let Some(p) = node.population {
        out.push(("population".into(), json!(p)));
    }
    for (k, v) in &node.external_ids {
        out.push((format!("external_id_{k}"), json!(v)));
    }
    if !node.tags.is_empty() {
        out.push(("tags".into(), json!(node.tags.join(","))));
    }
    out
}

/// Adds free-form `attrs` as one JSON-text attribute (GraphML and GEXF values are scalars).
fn with_attrs_text(
    mut flat: Vec<(String, Value)>,
    attrs: &Map<String, Value>,
) -> Vec<(String, Value)> {
    if !attrs.is_empty() {
        flat.push((
            "attrs".into(),
            Value::String(Value::Object(attrs.clone()).to_string()),
        ));
    }
    flat
}

/// Flat, scalar attributes of a link.
fn link_attributes(link: &Link) -> Vec<(String, Value)> {
    let mut out = vec![
        ("link_id".to_string(), json!(link.id.as_str())),
        ("kind".to_string(), json!(link.kind.as_str())),
        ("status".to_string(), json!(link.status.as_str())),
        ("evidence".to_string(), json!(link.evidence.as_str())),
    ];
    if let Some(d) = link.signed {
        out.push(("signed".into(), json!(d.to_string())));
    }
    if let Some(d) = link.ended {
        out.push(("ended".into(), json!(d.to_string())));
    }
    if !link.areas.is_empty() {
        out.push(("areas".into(), json!(link.areas.join(","))));
    }
    if let Some(source) = &link.source {
        for (key, value) in [
            ("source_document", &source.document),
            ("source_url", &source.url),
            ("source_quote", &source.quote),
        ] {
            if let Some(v) = value {
                out.push((key.into(), json!(v)));
            }
        }
    }
    if let Some(n) = &link.notes {
        out.push(("notes".into(), json!(n)));
    }
    out
}

/// NetworkX node-link JSON (`networkx.node_link_graph(data, edges="edges")`): an
/// undirected multigraph; each edge's `key` is its link id (a trilateral link gives
/// three edges with the same key); free-form `attrs` stay nested, so
/// [`super::node_link::read`] brings every field back.
pub fn node_link(selection: &Selection, out: &mut impl Write) -> Result<(), ExportError> {
    write!(out, "{{\"directed\": false, \"multigraph\": true, \"graph\": {{\"name\": \"pobratim\"}},\n\"nodes\": [")?;
    for (i, node) in selection.nodes.iter().enumerate() {
        let mut obj: Map<String, Value> = node_attributes(node).into_iter().collect();
        obj.insert("id".into(), json!(node.id.as_str()));
        if !node.attrs.is_empty() {
            obj.insert("attrs".into(), Value::Object(node.attrs.clone()));
        }
        out.write_all(if i == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut *out, &obj)?;
    }
    write!(out, "\n],\n\"edges\": [")?;
    let mut first = true;
    for link in &selection.links {
        for (a, b) in pairs(link) {
            let mut obj: Map<String, Value> = link_attributes(link).into_iter().collect();
            obj.insert("source".into(), json!(a));
            obj.insert("target".into(), json!(b));
            obj.insert("key".into(), json!(link.id.as_str()));
            if !link.attrs.is_empty() {
                obj.insert("attrs".into(), Value::Object(link.attrs.clone()));
            }
            out.write_all(if first { b"\n  " } else { b",\n  " })?;
            first = false;
            serde_json::to_writer(&mut *out, &obj)?;
        }
    }
    writeln!(out, "\n]}}")?;
    Ok(())
}

fn graphml_type(value: &Value) -> &'static str {
    match value {
        Value::Number(n) if n.is_f64() => "double",
        Value::Number(_) => "long",
        Value::Bool(_) => "boolean",
        _ => "string",
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// GraphML with typed `<key>` declarations for every node and edge attribute; edges
/// carry their link id as `id` (parallel edges allowed).
pub fn graphml(selection: &Selection, out: &mut impl Write) -> Result<(), ExportError> {
    let node_attrs: Vec<Vec<(String, Value)>> = selection
        .nodes
        .iter()
        .map(|n| with_attrs_text(node_attributes(n), &n.attrs))
        .collect();
    let link_attrs: Vec<Vec<(String, Value)>> = selection
        .links
        .iter()
        .map(|l| with_attrs_text(link_attributes(l), &l.attrs))
        .collect();
    let mut node_keys: Vec<(String, &'static str)> = Vec::new();
    let mut edge_keys: Vec<(String, &'static str)> = Vec::new();
    for (attrs, keys) in [(&node_attrs, &mut node_keys), (&link_attrs, &mut edge_keys)] {
        let mut seen = HashMap::new();
        for (name, value) in attrs.iter().flatten() {
            seen.entry(name.clone())
                .or_insert_with(|| graphml_type(value));
        }
        keys.extend(seen);
        keys.sort();
    }
    let xml = ExportError::Io;
    let mut w = Writer::new_with_indent(out, b' ', 1);
    w.write_event(quick_xml::events::Event::Decl(
        quick_xml::events::BytesDecl::new("1.0", Some("UTF-8"), None),
    ))
    .map_err(|e| ExportError::Io(std::io::Error::other(e)))?;
    let root = quick_xml::events::BytesStart::new("graphml").with_attributes([
        ("xmlns", "http://graphml.graphdrawing.org/xmlns"),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
        ("xsi:schemaLocation", "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"),
    ]);
    w.write_event(quick_xml::events::Event::Start(root.clone()))
        .map_err(|e| ExportError::Io(std::io::Error::other(e)))?;
    for (domain, keys, prefix) in [("node", &node_keys, "n_"), ("edge", &edge_keys, "e_")] {
        for (name, ty) in keys {
            let id = format!("{prefix}{name}");
            w.create_element("key")
                .with_attributes([
                    ("id", id.as_str()),
                    ("for", domain),
                    ("attr.name", name.as_str()),
                    ("attr.type", ty),
                ])
                .write_empty()
                .map_err(|e| ExportError::Io(std::io::Error::other(e)))?;
        }
    }
    w.write_event(quick_xml::events::Event::Start(
        quick_xml::events::BytesStart::new("graph")
            .with_attributes([("id", "pobratim"), ("edgedefault", "undirected")]),
    ))
    .map_err(|e| ExportError::Io(std::io::Error::other(e)))?;
    for (node, attrs) in selection.nodes.iter().zip(&node_attrs) {
        w.create_element("node")
            .with_attribute(("id", node.id.as_str()))
            .write_inner_content(|w| {
                for (name, value) in attrs {
                    let key = format!("n_{name}");
                    w.create_element("data")
                        .with_attribute(("key", key.as_str()))
                        .write_text_content(BytesText::new(&text(value)))?;
                }
                Ok::<(), std::io::Error>(())
            })
            .map_err(xml)?;
    }
    for (link, attrs) in selection.links.iter().zip(&link_attrs) {
        for (i, (a, b)) in pairs(link).into_iter().enumerate() {
            let id = if link.members.len() > 2 {
                format!("{}#{i}", link.id)
            } else {
                link.id.to_string()
            };
            w.create_element("edge")
                .with_attributes([("id", id.as_str()), ("source", a), ("target", b)])
                .write_inner_content(|w| {
                    for (name, value) in attrs {
                        let key = format!("e_{name}");
                        w.create_element("data")
                            .with_attribute(("key", key.as_str()))
                            .write_text_content(BytesText::new(&text(value)))?;
                    }
                    Ok::<(), std::io::Error>(())
                })
                .map_err(xml)?;
        }
    }
    w.write_event(quick_xml::events::Event::End(
        quick_xml::events::BytesEnd::new("graph"),
    ))
    .map_err(|e| ExportError::Io(std::io::Error::other(e)))?;
    w.write_event(quick_xml::events::Event::End(
        quick_xml::events::BytesEnd::new("graphml"),
    ))
    .map_err(|e| ExportError::Io(std::io::Error::other(e)))?;
    w.get_mut().write_all(b"\n")?;
    Ok(())
}

/// GeoJSON (RFC 7946): every located node a `Point`, every link whose members are all
/// located a `LineString` (a `MultiLineString` triangle for trilateral), with
/// properties. Coordinates are `[lon, lat]`.
pub fn geojson(selection: &Selection, out: &mut impl Write) -> Result<(), ExportError> {
    let located: HashMap<&str, Location> = selection
        .nodes
        .iter()
        .filter_map(|n| n.location.map(|l| (n.id.as_str(), l)))
        .collect();
    write!(out, "{{\"type\": \"FeatureCollection\", \"features\": [")?;
    let mut first = true;
    let mut feature = |out: &mut dyn Write, value: Value| -> Result<(), ExportError> {
        out.write_all(if first { b"\n  " } else { b",\n  " })?;
        first = false;
        serde_json::to_writer(&mut *out, &value)?;
        Ok(())
    };
    for node in &selection.nodes {
        let Some(loc) = node.location else { continue };
        let mut props: Map<String, Value> = node_attributes(node).into_iter().collect();
        props.insert("id".into(), json!(node.id.as_str()));
        feature(
            out,
            json!({"type": "Feature", "id": node.id.as_str(), "geometry": {"type": "Point", "coordinates": [loc.lon, loc.lat]}, "properties": props}),
        )?;
    }
    for link in &selection.links {
        let Some(points) = link
            .members
            .iter()
            .map(|m| located.get(m.as_str()).map(|l| [l.lon, l.lat]))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let geometry = link_geometry(&points);
        let mut props: Map<String, Value> = link_attributes(link).into_iter().collect();
        props.insert(
            "members".into(),
            json!(link.members.iter().map(|m| m.as_str()).collect::<Vec<_>>()),
        );
        feature(
            out,
            json!({"type": "Feature", "id": link.id.as_str(), "geometry": geometry, "properties": props}),
        )?;
    }
    writeln!(out, "\n]}}")?;
    Ok(())
}

/// The first day of a partial date, as GEXF's `date` time format wants it.
/// The GeoJSON geometry of a link from its members' `[lon, lat]` points: a line, or the
/// three sides of a trilateral link's triangle.
pub fn link_geometry(points: &[[f64; 2]]) -> Value {
    match points {
        [a, b, c] => json!({"type": "MultiLineString", "coordinates": [[a, b], [b, c], [c, a]]}),
        _ => json!({"type": "LineString", "coordinates": points}),
    }
}

fn first_day(date: &crate::model::PartialDate) -> String {
    let (y, m, d) = date.earliest();
    format!("{y:04}-{m:02}-{d:02}")
}

/// GEXF 1.3 (Gephi; `networkx.read_gexf(path, version="1.3")`): typed node and edge
/// attributes, and each dated link as a spell from `signed` to `ended` (first days of
/// the partial dates) so Gephi's timeline plays the network's growth.
pub fn gexf(selection: &Selection, out: &mut impl Write) -> Result<(), ExportError> {
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
    let node_attrs: Vec<Vec<(String, Value)>> = selection
        .nodes
        .iter()
        .map(|n| with_attrs_text(node_attributes(n), &n.attrs))
        .collect();
    let link_attrs: Vec<Vec<(String, Value)>> = selection
        .links
        .iter()
        .map(|l| with_attrs_text(link_attributes(l), &l.attrs))
        .collect();
    let declare = |attrs: &[Vec<(String, Value)>]| {
        let mut seen: HashMap<String, &'static str> = HashMap::new();
        for (name, value) in attrs.iter().flatten() {
            seen.entry(name.clone())
                .or_insert(match graphml_type(value) {
                    "long" => "long",
                    "double" => "double",
                    "boolean" => "boolean",
                    _ => "string",
                });
        }
        let mut keys: Vec<(String, &'static str)> = seen.into_iter().collect();
        keys.sort();
        keys
    };
    let (node_keys, edge_keys) = (declare(&node_attrs), declare(&link_attrs));
    let node_ids: HashMap<&str, usize> = node_keys
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_str(), i))
        .collect();
    let edge_ids: HashMap<&str, usize> = edge_keys
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_str(), i))
        .collect();
    let io = ExportError::Io;
    let mut w = Writer::new_with_indent(out, b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(io)?;
    w.write_event(Event::Start(BytesStart::new("gexf").with_attributes([
        ("xmlns", "http://gexf.net/1.3"),
        ("xmlns:viz", "http://gexf.net/1.3/viz"),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
        (
            "xsi:schemaLocation",
            "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd",
        ),
        ("version", "1.3"),
    ])))
    .map_err(io)?;
    w.create_element("meta")
        .write_inner_content(|w| {
            w.create_element("creator")
                .write_text_content(BytesText::new("pobratim"))?;
            w.create_element("description")
                .write_text_content(BytesText::new(
                "city diplomacy network: twinning, friendship, trilateral, membership, located_in",
            ))?;
            Ok::<(), std::io::Error>(())
        })
        .map_err(io)?;
    w.write_event(Event::Start(BytesStart::new("graph").with_attributes([
        ("defaultedgetype", "undirected"),
        ("mode", "dynamic"),
        ("timeformat", "date"),
    ])))
    .map_err(io)?;
    for (class, keys) in [("node", &node_keys), ("edge", &edge_keys)] {
        w.create_element("attributes")
            .with_attributes([("class", class), ("mode", "static")])
            .write_inner_content(|w| {
                for (i, (name, ty)) in keys.iter().enumerate() {
                    let id = i.to_string();
                    w.create_element("attribute")
                        .with_attributes([
                            ("id", id.as_str()),
                            ("title", name.as_str()),
                            ("type", ty),
                        ])
                        .write_empty()?;
                }
                Ok::<(), std::io::Error>(())
            })
            .map_err(io)?;
    }
    w.write_event(Event::Start(BytesStart::new("nodes")))
        .map_err(io)?;
    for (node, attrs) in selection.nodes.iter().zip(&node_attrs) {
        w.create_element("node")
            .with_attributes([("id", node.id.as_str()), ("label", node.name.as_str())])
            .write_inner_content(|w| attvalues(w, attrs, &node_ids))
            .map_err(io)?;
    }
    w.write_event(Event::End(BytesEnd::new("nodes")))
        .map_err(io)?;
    w.write_event(Event::Start(BytesStart::new("edges")))
        .map_err(io)?;
    for (link, attrs) in selection.links.iter().zip(&link_attrs) {
        for (i, (a, b)) in pairs(link).into_iter().enumerate() {
            let id = if link.members.len() > 2 {
                format!("{}#{i}", link.id)
            } else {
                link.id.to_string()
            };
            w.create_element("edge")
                .with_attributes([
                    ("id", id.as_str()),
                    ("source", a),
                    ("target", b),
                    ("label", link.kind.as_str()),
                ])
                .write_inner_content(|w| {
                    attvalues(w, attrs, &edge_ids)?;
                    if let Some(signed) = &link.signed {
                        let start = first_day(signed);
                        let end = link.ended.as_ref().map(first_day);
                        w.create_element("spells").write_inner_content(|w| {
                            let mut spell = w
                                .create_element("spell")
                                .with_attribute(("start", start.as_str()));
                            if let Some(end) = &end {
                                spell = spell.with_attribute(("end", end.as_str()));
                            }
                            spell.write_empty()?;
                            Ok::<(), std::io::Error>(())
                        })?;
                    }
                    Ok::<(), std::io::Error>(())
                })
                .map_err(io)?;
        }
    }
    w.write_event(Event::End(BytesEnd::new("edges")))
        .map_err(io)?;
    w.write_event(Event::End(BytesEnd::new("graph")))
        .map_err(io)?;
    w.write_event(Event::End(BytesEnd::new("gexf")))
        .map_err(io)?;
    w.get_mut().write_all(b"\n")?;
    Ok(())
}

fn attvalues<W: Write>(
    w: &mut Writer<W>,
    attrs: &[(String, Value)],
    ids: &HashMap<&str, usize>,
) -> std::io::Result<()> {
    w.create_element("attvalues").write_inner_content(|w| {
        for (name, value) in attrs {
            let id = ids.get(name.as_str()).copied().unwrap_or(0).to_string();
            let value = text(value);
            w.create_element("attvalue")
                .with_attributes([("for", id.as_str()), ("value", value.as_str())])
                .write_empty()?;
        }
        Ok::<(), std::io::Error>(())
    })?;
    Ok(())
}
