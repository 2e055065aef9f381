//! pobratim's own JSON form: `{"format": "pobratim", "version": 1, "nodes": [..], "links": [..]}`.
//!
//! Import is an upsert by id of every node and link, in one atomic write; importing
//! the same document twice changes nothing. Export streams the store in id order.

use std::io::Write;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Item;
use crate::model::draft::{link_from_json, node_from_json};
use crate::model::validate::classify;
use crate::model::{Link, Node, ValidationError};

/// The `format` marker of a native document.
pub const FORMAT_NAME: &str = "pobratim";
/// The document version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A whole network in pobratim's JSON form, as read (records still raw JSON objects
/// so that ids can be derived and errors carry their position).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDocument {
    /// Must be `pobratim`.
    pub format: String,
    /// Document version.
    pub version: u32,
    /// Free-text description of the data set.
    #[serde(default)]
    pub description: Option<String>,
    /// Node objects.
    #[serde(default)]
    pub nodes: Vec<serde_json::Map<String, Value>>,
    /// Link objects.
    #[serde(default)]
    pub links: Vec<serde_json::Map<String, Value>>,
}

/// Why a document cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not JSON, or not a pobratim document.
    #[error("{0}")]
    Invalid(ValidationError),
    /// Reading the file failed.
    #[error("cannot read the document: {0}")]
    Io(#[from] std::io::Error),
}

/// Parses a document, checking its header.
pub fn parse(bytes: &[u8]) -> Result<RawDocument, ImportError> {
    refuse_duplicate_keys(bytes)?;
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let doc: RawDocument = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        ImportError::Invalid(classify(
            if path == "." { String::new() } else { path },
            e.inner().to_string(),
        ))
    })?;
    if doc.format != FORMAT_NAME {
        return Err(ImportError::Invalid(ValidationError::new(
            "format",
            crate::model::Violation::InvalidValue,
            format!("expected \"{FORMAT_NAME}\", found {:?}", doc.format),
        )));
    }
    if doc.version > FORMAT_VERSION {
        return Err(ImportError::Invalid(ValidationError::new(
            "version",
            crate::model::Violation::InvalidValue,
            format!(
                "document version {} is newer than this build reads ({FORMAT_VERSION})",
                doc.version
            ),
        )));
    }
    Ok(doc)
}

/// The records of `doc`, each with its place in it for errors.
pub fn records(doc: RawDocument) -> Result<Vec<Item>, ImportError> {
    let mut out = Vec::with_capacity(doc.nodes.len() + doc.links.len());
    for (i, node) in doc.nodes.into_iter().enumerate() {
        let path = format!("nodes[{i}]");
        let node = node_from_json(node).map_err(|e| ImportError::Invalid(e.within(&path)))?;
        out.push(Item::node_at(path, node));
    }
    for (i, link) in doc.links.into_iter().enumerate() {
        let path = format!("links[{i}]");
        let link = link_from_json(link).map_err(|e| ImportError::Invalid(e.within(&path)))?;
        out.push(Item::link_at(path, link));
    }
    Ok(out)
}

/// A whole network, as written.
#[derive(Debug, Serialize)]
struct Header<'a> {
    format: &'a str,
    version: u32,
}

/// Writes the records as one document, streaming record by record.
pub fn write<E: Into<ExportError>>(
    nodes: impl Iterator<Item = Result<Node, E>>,
    links: impl Iterator<Item = Result<Link, E>>,
    out: &mut impl Write,
) -> Result<(), ExportError> {
    let header = serde_json::to_string(&Header {
        format: FORMAT_NAME,
        version: FORMAT_VERSION,
    })?;
    let header = header.trim_end_matches('}');
    write!(out, "{header},\n\"nodes\": [")?;
    write_records(nodes, out)?;
    write!(out, "],\n\"links\": [")?;
    write_records(links, out)?;
    writeln!(out, "]}}")?;
    out.flush()?;
    Ok(())
}

fn write_records<T: Serialize, E: Into<ExportError>>(
    records: impl Iterator<Item = Result<T, E>>,
    out: &mut impl Write,
) -> Result<(), ExportError> {
    for (i, record) in records.enumerate() {
        out.write_all(if i == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut *out, &record.map_err(Into::into)?)?;
    }
    out.write_all(b"\n")?;
    Ok(())
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the records failed.
    #[error("cannot read the records: {0}")]
    Read(Box<dyn std::error::Error + Send + Sync>),
    /// Writing the output failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    /// A record could not be serialised.
    #[error("cannot serialise a record: {0}")]
    Json(#[from] serde_json::Error),
}

/// Refuses a document whose objects repeat a key (see [`crate::io::json`]).
pub(crate) fn refuse_duplicate_keys(bytes: &[u8]) -> Result<(), ImportError> {
    match super::json::duplicate_key(bytes) {
        Some(path) => Err(ImportError::Invalid(ValidationError::new(
            path.clone(),
            crate::model::Violation::InvalidValue,
            super::json::duplicate_key_detail(&path),
        ))),
        None => Ok(()),
    }
}
