//! GraphML and GEXF import, as NetworkX, Gephi and igraph write them (and as
//! [`super::export`] writes them). Attribute declarations (`<key>`, `<attributes>`)
//! give names and types; node and edge attributes then map onto records the way
//! node-link attributes do ([`super::node_link`]): `kind`, `name`, `name_<lang>`,
//! `country`, `lat`/`lon`, … for nodes; `link_id`, `kind`, `status`, `signed`, … for
//! edges, whose edges sharing a `link_id` are one link (three endpoints: trilateral).
//! GEXF spells and viz elements are ignored (a link's dates are its attributes), and so
//! are edge ids (a trilateral link is three edges with ids of their own); an edge
//! without a `link_id` is a link of its own, with an id derived from kind and members.
//! A node's `id` attribute, where it has one, is its id (igraph names GraphML nodes
//! `n0`, `n1`, … and keeps the real id as an attribute).
//!
//! The file is read as a stream of XML events; a file that ends inside an element
//! (truncated), is not UTF-8, or is not well-formed is refused with the line of the fault.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

use super::native::ImportError;
use super::{Item, RowError};

/// Which dialect a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// GraphML (`<graphml>`, `<key>`, `<data>`).
    Graphml,
    /// GEXF 1.2/1.3 (`<gexf>`, `<attributes>`, `<attvalue>`).
    Gexf,
}

/// A declared attribute: its name and how to type its values.
#[derive(Clone, Debug)]
struct Declared {
    name: String,
    kind: ValueType,
}

#[derive(Clone, Copy, Debug)]
enum ValueType {
    Integer,
    Float,
    Boolean,
    Text,
}

impl ValueType {
    fn of(declared: &str) -> Self {
        match declared {
            "int" | "integer" | "long" | "short" | "byte" => Self::Integer,
            "float" | "double" => Self::Float,
            "boolean" => Self::Boolean,
            _ => Self::Text,
        }
    }

    fn value(self, text: &str) -> Value {
        let trimmed = text.trim();
        match self {
            Self::Integer => trimmed
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(text.to_string())),
            Self::Float => trimmed
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(text.to_string())),
            Self::Boolean => match trimmed {
                "true" | "1" => Value::Bool(true),
                "false" | "0" => Value::Bool(false),
                _ => Value::String(text.to_string()),
            },
            Self::Text => Value::String(text.to_string()),
        }
    }
}

/// Where a node's `id` attribute is kept while the file is read.
const OWN_ID: &str = "\u{0}id";

/// igraph cannot name GraphML nodes: it writes `n0`, `n1`, … and a node's own id as an
/// `id` attribute. Where a node has one, it is the node's id, and edges are re-pointed.
fn own_ids(nodes: &mut [(String, Map<String, Value>)], edges: &mut [(String, Map<String, Value>)]) {
    let mut renamed: HashMap<String, Value> = HashMap::new();
    for (_, map) in nodes.iter_mut() {
        let Some(own) = map.remove(OWN_ID) else {
            continue;
        };
        if own.as_str().is_some_and(|s| !s.trim().is_empty()) {
            if let Some(Value::String(element)) = map.insert("id".into(), own.clone()) {
                renamed.insert(element, own);
            }
        }
    }
    if renamed.is_empty() {
        return;
    }
    for (_, map) in edges.iter_mut() {
        for end in ["source", "target"] {
            let own = map
                .get(end)
                .and_then(Value::as_str)
                .and_then(|e| renamed.get(e));
            if let Some(own) = own.cloned() {
                map.insert(end.into(), own);
            }
        }
    }
}

/// What the reader is inside of.
enum Open {
    Node(String, Map<String, Value>),
    Edge(String, Map<String, Value>),
}

/// Reads a GraphML or GEXF file into node and link upserts (nodes first).
pub fn read(input: impl BufRead, dialect: Dialect) -> Result<Vec<Item>, RowError> {
    let mut reader = Reader::from_reader(Lines {
        inner: input,
        line: 1,
    });
    reader.config_mut().check_end_names = true;
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    // Declarations by (domain, id): domain is "node" or "edge".
    let mut declared: HashMap<(String, String), Declared> = HashMap::new();
    let mut gexf_class = String::from("node");
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut open: Option<Open> = None;
    let mut data_key: Option<String> = None;
    let mut text = String::new();
    let mut depth = 0usize;
    let mut saw_root = false;
    loop {
        let line = line_of(&reader);
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            RowError::fatal(line_of(&reader), "-", format!("not well-formed XML: {e}"))
        })?;
        let fail = |column: &str, reason: String| RowError::fatal(line, column, reason);
        match &event {
            Event::Decl(decl) => {
                if let Some(Ok(encoding)) = decl.encoding() {
                    let name = String::from_utf8_lossy(&encoding).to_ascii_lowercase();
                    if name != "utf-8" && name != "utf8" {
                        return Err(fail(
                            "encoding",
                            format!("the file declares encoding {name}; save it as UTF-8"),
                        ));
                    }
                }
            }
            Event::Start(start) | Event::Empty(start) => {
                let is_start = matches!(event, Event::Start(_));
                if is_start {
                    depth += 1;
                }
                let name = local_name(start);
                if !saw_root {
                    saw_root = true;
                    let expected = match dialect {
                        Dialect::Graphml => "graphml",
                        Dialect::Gexf => "gexf",
                    };
                    if name != expected {
                        return Err(fail(
                            "-",
                            format!("the root element is <{name}>, not <{expected}>"),
                        ));
                    }
                }
                let attrs = attributes(start, line)?;
                match (dialect, name.as_str()) {
                    (Dialect::Graphml, "key") => {
                        let id = attrs.get("id").cloned().unwrap_or_default();
                        let domain = attrs.get("for").cloned().unwrap_or_else(|| "all".into());
                        let decl = Declared {
                            name: attrs
                                .get("attr.name")
                                .cloned()
                                .unwrap_or_else(|| id.clone()),
                            kind: ValueType::of(
                                attrs.get("attr.type").map_or("string", String::as_str),
                            ),
                        };
                        for d in if domain == "all" {
                            vec!["node", "edge"]
                        } else {
                            vec![domain.as_str()]
                        } {
                            declared.insert((d.to_string(), id.clone()), decl.clone());
                        }
                    }
                    (Dialect::Gexf, "attributes") => {
                        gexf_class = attrs.get("class").cloned().unwrap_or_else(|| "node".into());
                    }
                    (Dialect::Gexf, "attribute") => {
                        let id = attrs.get("id").cloned().unwrap_or_default();
                        let decl = Declared {
                            name: attrs.get("title").cloned().unwrap_or_else(|| id.clone()),
                            kind: ValueType::of(attrs.get("type").map_or("string", String::as_str)),
                        };
                        declared.insert((gexf_class.clone(), id), decl);
                    }
                    (_, "node") if open.is_none() => {
                        let id = attrs
                            .get("id")
                            .cloned()
                            .ok_or_else(|| fail("id", "a node without an id".into()))?;
                        let mut map = Map::new();
                        map.insert("id".into(), Value::String(id));
                        if let Some(label) = attrs.get("label") {
                            map.insert("name".into(), Value::String(label.clone()));
                        }
                        let at = format!("line {line}: node");
                        if is_start {
                            open = Some(Open::Node(at, map));
                        } else {
                            nodes.push((at, map));
                        }
                    }
                    (_, "edge") if open.is_none() => {
                        let mut map = Map::new();
                        for end in ["source", "target"] {
                            let id = attrs
                                .get(end)
                                .cloned()
                                .ok_or_else(|| fail(end, format!("an edge without a {end}")))?;
                            map.insert(end.into(), Value::String(id));
                        }
                        let at = format!("line {line}: edge");
                        if is_start {
                            open = Some(Open::Edge(at, map));
                        } else {
                            edges.push((at, map));
                        }
                    }
                    (Dialect::Graphml, "data") => {
                        data_key = attrs.get("key").cloned();
                        text.clear();
                        if !is_start {
                            take_value(&mut open, &declared, data_key.take(), "", line)?;
                        }
                    }
                    (Dialect::Gexf, "attvalue") => {
                        let key = attrs.get("for").or_else(|| attrs.get("id")).cloned();
                        let value = attrs.get("value").cloned().unwrap_or_default();
                        take_value(&mut open, &declared, key, &value, line)?;
                    }
                    _ => {}
                }
            }
            Event::Text(t) if data_key.is_some() => {
                let piece = t
                    .unescape()
                    .map_err(|e| fail("-", format!("bad text: {e}")))?;
                text.push_str(&piece);
            }
            Event::CData(t) if data_key.is_some() => {
                text.push_str(&String::from_utf8_lossy(t));
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                let name = String::from_utf8_lossy(end.local_name().as_ref()).into_owned();
                match name.as_str() {
                    "data" => {
                        let value = std::mem::take(&mut text);
                        take_value(&mut open, &declared, data_key.take(), &value, line)?;
                    }
                    "node" | "edge" => match open.take() {
                        Some(Open::Node(at, map)) => nodes.push((at, map)),
                        Some(Open::Edge(at, map)) => edges.push((at, map)),
                        None => {}
                    },
                    _ => {}
                }
            }
            Event::Eof => {
                if !saw_root {
                    return Err(fail("-", "the file is empty".into()));
                }
                if depth > 0 {
                    return Err(fail(
                        "-",
                        format!("the file ends inside {depth} open element(s): it is truncated"),
                    ));
                }
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    own_ids(&mut nodes, &mut edges);
    super::node_link::records(nodes, edges).map_err(|e| match e {
        ImportError::Invalid(v) => RowError::fatal(0, v.field, v.reason),
        other => RowError::fatal(0, "-", other.to_string()),
    })
}

fn line_of<R: BufRead>(reader: &Reader<Lines<R>>) -> u64 {
    reader.get_ref().line
}

/// Counts the lines the XML reader has consumed, so errors can name a line.
struct Lines<R> {
    inner: R,
    line: u64,
}

impl<R: BufRead> std::io::Read for Lines<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.line += out[..n].iter().filter(|b| **b == b'\n').count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let seen = amount.min(buf.len());
            self.line += buf[..seen].iter().filter(|b| **b == b'\n').count() as u64;
        }
        self.inner.consume(amount);
    }
}

fn local_name(start: &BytesStart) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).into_owned()
}

fn attributes(start: &BytesStart, line: u64) -> Result<HashMap<String, String>, RowError> {
    let mut out = HashMap::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| RowError::fatal(line, "-", format!("bad attribute: {e}")))?;
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|e| RowError::fatal(line, key.clone(), format!("bad attribute value: {e}")))?;
        out.insert(key, value.into_owned());
    }
    Ok(out)
}

fn take_value(
    open: &mut Option<Open>,
    declared: &HashMap<(String, String), Declared>,
    key: Option<String>,
    raw: &str,
    line: u64,
) -> Result<(), RowError> {
    let Some(key) = key else {
        return Ok(());
    };
    let (domain, map) = match open {
        Some(Open::Node(_, map)) => ("node", map),
        Some(Open::Edge(_, map)) => ("edge", map),
        None => return Ok(()),
    };
    let decl = declared
        .get(&(domain.to_string(), key.clone()))
        .ok_or_else(|| {
            RowError::fatal(
                line,
                key.clone(),
                format!("attribute `{key}` is not declared"),
            )
        })?;
    if domain == "node" && decl.name == "id" {
        map.insert(OWN_ID.into(), decl.kind.value(raw));
        return Ok(());
    }
    if matches!(decl.name.as_str(), "id" | "source" | "target") {
        return Ok(());
    }
    map.insert(decl.name.clone(), decl.kind.value(raw));
    Ok(())
}
