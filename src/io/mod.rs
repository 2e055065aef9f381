//! Import and export formats. One file per format.

pub mod changes;
pub mod countries;
pub mod edgelist;
pub mod export;
pub mod json;
pub mod native;
pub mod node_link;
mod row_error;
pub mod seed;
pub mod sparql;
pub mod table;
pub mod xml;

use crate::model::{Link, Node};
pub use row_error::RowError;

/// One record read from a file.
#[derive(Clone, Debug)]
pub enum Record {
    /// A node; `id_given` is false when the id was derived from kind, country and name
    /// (the import then matches an existing node with the same kind, name and country).
    Node {
        /// The node.
        node: Node,
        /// Whether the file named the id.
        id_given: bool,
        /// Whether the file states only some of the node's fields (a Wikidata result:
        /// name, country, location, Q-id): the fields it leaves empty keep their stored
        /// values instead of being cleared.
        partial: bool,
    },
    /// A link.
    Link(Link),
    /// A link as a source that states only some of its fields describes it (a Wikidata
    /// result: members, dates, provenance): the fields it leaves empty keep their
    /// stored values, and its `attrs` are added to the stored ones.
    PartialLink(Link),
}

/// A record with the line it came from.
#[derive(Clone, Debug)]
pub struct Item {
    /// 1-based line in the file; 0 where lines mean nothing (JSON documents).
    pub line: u64,
    /// Where the record sits in a document (`links[3]`), prefixed to the fields
    /// named in errors; empty for tables.
    pub at: String,
    /// The record.
    pub record: Record,
}

impl Item {
    /// A node of a whole document (no lines), at its place (`nodes[3]`), with its id.
    pub fn node_at(at: String, node: Node) -> Self {
        Self {
            line: 0,
            at,
            record: Record::Node {
                node,
                id_given: true,
                partial: false,
            },
        }
    }

    /// A link of a whole document, at its place (`links[3]`).
    pub fn link_at(at: String, link: Link) -> Self {
        Self {
            line: 0,
            at,
            record: Record::Link(link),
        }
    }
}

/// Records parsed whole (the JSON and XML formats) as an import stream.
fn stream_of(items: Vec<Item>) -> impl Iterator<Item = Result<Item, RowError>> {
    items.into_iter().map(Ok)
}

/// What reading one more CSV row gave.
pub(crate) enum CsvNext {
    /// A row, read into the record, with its line.
    Row(u64),
    /// The end of the input (given once).
    End,
    /// A row that could not be read; a fatal one ends the stream.
    Error(RowError),
}

/// Reads the next row of a CSV stream into `row`, with the line it starts on; at the
/// end, or after a fatal error, `done` is set.
pub(crate) fn next_csv_row<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    row: &mut csv::StringRecord,
    done: &mut bool,
) -> CsvNext {
    let line = reader.position().line().max(1) + 1;
    match reader.read_record(row) {
        Ok(false) => {
            *done = true;
            CsvNext::End
        }
        Ok(true) => CsvNext::Row(row.position().map_or(line, |p| p.line())),
        Err(e) => {
            let error = csv_error(&e, line);
            *done = error.fatal;
            CsvNext::Error(error)
        }
    }
}

/// A CSV reader's error as a refused row: not UTF-8 and I/O failures stop the file,
/// anything else (a row with the wrong number of cells) refuses that row.
pub(crate) fn csv_error(e: &csv::Error, line: u64) -> RowError {
    let line = e.position().map_or(line, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => RowError::fatal(
            line,
            "-",
            format!("not UTF-8: {e} (save the file as UTF-8)"),
        ),
        csv::ErrorKind::Io(_) => RowError::fatal(line, "-", format!("cannot read on: {e}")),
        _ => RowError::row(line, "-", e.to_string()),
    }
}

/// The formats an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// pobratim's own JSON document (every record; filters do not apply).
    Pobratim,
    /// NetworkX node-link JSON (`networkx.node_link_graph(data, edges="edges")`).
    NodeLink,
    /// GraphML (NetworkX, Gephi, igraph, yEd).
    Graphml,
    /// GEXF 1.3 (Gephi), link dates as spells.
    Gexf,
    /// GeoJSON (RFC 7946): located nodes as points, links as lines.
    Geojson,
    /// CSV table of the nodes (an import in `csv` reads it back).
    CsvNodes,
    /// CSV table of the links.
    CsvLinks,
    /// Nodes CSV with `neo4j-admin database import` headers.
    Neo4jNodes,
    /// Relationships CSV with `neo4j-admin database import` headers.
    Neo4jLinks,
}

impl ExportFormat {
    /// Every format, in the order they are documented.
    pub const ALL: [ExportFormat; 9] = [
        ExportFormat::Pobratim,
        ExportFormat::NodeLink,
        ExportFormat::Graphml,
        ExportFormat::Gexf,
        ExportFormat::Geojson,
        ExportFormat::CsvNodes,
        ExportFormat::CsvLinks,
        ExportFormat::Neo4jNodes,
        ExportFormat::Neo4jLinks,
    ];

    /// The format's name (`node-link`).
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Pobratim => "pobratim",
            ExportFormat::NodeLink => "node-link",
            ExportFormat::Graphml => "graphml",
            ExportFormat::Gexf => "gexf",
            ExportFormat::Geojson => "geojson",
            ExportFormat::CsvNodes => "csv-nodes",
            ExportFormat::CsvLinks => "csv-links",
            ExportFormat::Neo4jNodes => "neo4j-nodes",
            ExportFormat::Neo4jLinks => "neo4j-links",
        }
    }

    /// The media type of a file in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Pobratim | ExportFormat::NodeLink => "application/json",
            ExportFormat::Graphml => "application/graphml+xml",
            ExportFormat::Gexf => "application/gexf+xml",
            ExportFormat::Geojson => "application/geo+json",
            _ => "text/csv; charset=utf-8",
        }
    }

    /// The usual end of a file name in this format (`network.<extension>`).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Pobratim => "pobratim.json",
            ExportFormat::NodeLink => "node-link.json",
            ExportFormat::Graphml => "graphml",
            ExportFormat::Gexf => "gexf",
            ExportFormat::Geojson => "geojson",
            ExportFormat::CsvNodes => "nodes.csv",
            ExportFormat::CsvLinks => "links.csv",
            ExportFormat::Neo4jNodes => "neo4j-nodes.csv",
            ExportFormat::Neo4jLinks => "neo4j-relationships.csv",
        }
    }

    /// Writes the selected records in this format. The native format writes every
    /// record it is given; use [`native::write`] to stream them instead.
    pub fn write(
        self,
        selection: &export::Selection,
        out: &mut impl std::io::Write,
    ) -> Result<(), native::ExportError> {
        use table::Dialect;
        match self {
            ExportFormat::Pobratim => native::write(
                selection
                    .nodes()
                    .iter()
                    .cloned()
                    .map(Ok::<_, native::ExportError>),
                selection.links().iter().cloned().map(Ok),
                out,
            ),
            ExportFormat::NodeLink => export::node_link(selection, out),
            ExportFormat::Graphml => export::graphml(selection, out),
            ExportFormat::Gexf => export::gexf(selection, out),
            ExportFormat::Geojson => export::geojson(selection, out),
            ExportFormat::CsvNodes => Ok(table::write_nodes(selection, Dialect::Pobratim, out)?),
            ExportFormat::CsvLinks => Ok(table::write_links(selection, Dialect::Pobratim, out)?),
            ExportFormat::Neo4jNodes => Ok(table::write_nodes(selection, Dialect::Neo4j, out)?),
            ExportFormat::Neo4jLinks => Ok(table::write_links(selection, Dialect::Neo4j, out)?),
        }
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.as_str()).collect();
                format!("`{raw}` is not an export format ({})", names.join(", "))
            })
    }
}

/// The formats an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    /// pobratim's own JSON document (read whole).
    Pobratim,
    /// NetworkX node-link JSON (read whole).
    NodeLink,
    /// A links-only CSV naming cities by name and country (streamed).
    EdgeList,
    /// A pobratim CSV table of nodes or of links, also in neo4j-admin header form (streamed).
    Csv,
    /// GraphML (NetworkX, igraph, yEd; read as a stream of XML events).
    Graphml,
    /// GEXF 1.2/1.3 (Gephi; read as a stream of XML events).
    Gexf,
    /// Wikidata twinning (P190) query results, SPARQL 1.1 Query Results JSON.
    SparqlJson,
    /// The same results as SPARQL 1.1 CSV.
    SparqlCsv,
    /// The same results as SPARQL 1.1 TSV.
    SparqlTsv,
}

impl ImportFormat {
    /// Every format, in the order they are documented.
    pub const ALL: [ImportFormat; 9] = [
        ImportFormat::Pobratim,
        ImportFormat::NodeLink,
        ImportFormat::EdgeList,
        ImportFormat::Csv,
        ImportFormat::Graphml,
        ImportFormat::Gexf,
        ImportFormat::SparqlJson,
        ImportFormat::SparqlCsv,
        ImportFormat::SparqlTsv,
    ];

    /// The format's name (`edge-list`).
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Pobratim => "pobratim",
            ImportFormat::NodeLink => "node-link",
            ImportFormat::EdgeList => "edge-list",
            ImportFormat::Csv => "csv",
            ImportFormat::Graphml => "graphml",
            ImportFormat::Gexf => "gexf",
            ImportFormat::SparqlJson => "sparql-json",
            ImportFormat::SparqlCsv => "sparql-csv",
            ImportFormat::SparqlTsv => "sparql-tsv",
        }
    }
}

/// An import stream.
pub type Items = Box<dyn Iterator<Item = Result<Item, RowError>>>;

/// Opens `input` in `format` as a stream of records. Errors here (an unreadable header,
/// an unknown column, a JSON document that does not parse) stop the import before it
/// writes anything.
pub fn open_items(
    format: ImportFormat,
    mut input: Box<dyn std::io::Read>,
    default_kind: crate::model::LinkKind,
) -> Result<Items, RowError> {
    let whole = |input: &mut Box<dyn std::io::Read>| -> Result<Vec<u8>, RowError> {
        let mut bytes = Vec::new();
        input
            .read_to_end(&mut bytes)
            .map_err(|e| RowError::fatal(0, "-", format!("cannot read: {e}")))?;
        Ok(bytes)
    };
    let refused = |e: native::ImportError| match e {
        native::ImportError::Invalid(v) => RowError::fatal(0, v.field, v.reason),
        other => RowError::fatal(0, "-", other.to_string()),
    };
    Ok(match format {
        ImportFormat::Pobratim => {
            let doc = native::parse(&whole(&mut input)?).map_err(refused)?;
            Box::new(stream_of(native::records(doc).map_err(refused)?))
        }
        ImportFormat::NodeLink => Box::new(stream_of(
            node_link::read(&whole(&mut input)?).map_err(refused)?,
        )),
        ImportFormat::EdgeList => Box::new(edgelist::read(input, default_kind)?),
        ImportFormat::Csv => table::read(input, default_kind)?,
        ImportFormat::Graphml => Box::new(stream_of(xml::read(
            std::io::BufReader::new(input),
            xml::Dialect::Graphml,
        )?)),
        ImportFormat::Gexf => Box::new(stream_of(xml::read(
            std::io::BufReader::new(input),
            xml::Dialect::Gexf,
        )?)),
        ImportFormat::SparqlJson => sparql_items(&whole(&mut input)?, sparql::Dialect::Json)?,
        ImportFormat::SparqlCsv => sparql_items(&whole(&mut input)?, sparql::Dialect::Csv)?,
        ImportFormat::SparqlTsv => sparql_items(&whole(&mut input)?, sparql::Dialect::Tsv)?,
    })
}

/// A Wikidata results file, read whole, as an import stream.
fn sparql_items(bytes: &[u8], dialect: sparql::Dialect) -> Result<Items, RowError> {
    Ok(Box::new(sparql::read(bytes, dialect)?.into_iter()))
}
