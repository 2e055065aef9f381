//! pobratim's CSV tables: a nodes file and a links file, read as streams (one row at a
//! time, records built directly, no intermediate JSON), also in the header form that
//! `neo4j-admin database import` reads (`id:ID`, `:LABEL`, `:START_ID`, `:END_ID`,
//! `:TYPE`, typed columns such as `lat:double`).
//!
//! **Nodes** — `id` (derived from kind, country and name when absent or empty), `kind`
//! (default `city`), `name`, `name_<lang>` (one column per language), `country`
//! (ISO 3166-1 alpha-2), `region`, `lat`, `lon`, `population`, `external_id_<key>`,
//! `tags` (`;`-separated), `attrs` (a JSON object).
//!
//! **Links** — `id` (derived when absent), `kind` (default from the command), the
//! members as `source` and `target` (also `src`/`dst`, `from`/`to`) or as `members`
//! (`;`-separated, three for a trilateral link), `status`, `evidence` (`stated`, the
//! default, or `inferred`), `signed` (also `since`,
//! `year`), `ended`, `areas` (`;`-separated), `source_document`, `source_url`,
//! `source_quote`, `notes`, `attrs` (a JSON object).
//!
//! A trilateral agreement may also arrive as three two-member rows, as graph tools
//! write it: rows sharing an `id` are one link; rows without one are joined into the
//! triangles they close (a leftover pair of rows sharing a member closes at the end of
//! the file); a row that closes nothing is refused.
//!
//! An unknown column is refused before any row is read, naming the column, and so is a
//! column given twice (also under two of its names, such as `source` and `src`).
//!
//! A spreadsheet runs a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage
//! return as a formula, so exports write such a text cell behind a `'` (as is a cell
//! beginning with `'` and then one of those or another `'`); reading strips that one
//! `'` again, so every table round-trips.

use std::io::Read;

use serde_json::{Map, Value};

use crate::io::{Item, RowError};
use crate::model::LinkKind;

mod links;
mod nodes;
mod write;

pub use write::{write_links, write_nodes, Dialect};

use links::{link_column, LinkColumn, LinkRows};
use nodes::NodeRows;

/// Which table a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// One node per row.
    Nodes,
    /// One link (or one pair of a trilateral link) per row.
    Links,
}

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell written as it is would need the `'` of [`escape_cell`].
fn needs_escape(cell: &str) -> bool {
    let mut chars = cell.chars();
    match chars.next() {
        Some(c) if FORMULA_STARTS.contains(&c) => true,
        Some('\'') => chars
            .next()
            .is_some_and(|c| c == '\'' || FORMULA_STARTS.contains(&c)),
        _ => false,
    }
}

/// A text cell as an export writes it: behind a `'` when a spreadsheet would run it.
pub(crate) fn escape_cell(cell: String) -> String {
    if needs_escape(&cell) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// A cell as it was before [`escape_cell`].
fn unescape_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_escape(rest) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

/// Refuses a header that names one column twice, under one name or two.
fn refuse_repeated_columns<C: PartialEq>(
    headers: &csv::StringRecord,
    columns: &[C],
) -> Result<(), RowError> {
    for (i, column) in columns.iter().enumerate() {
        if let Some(first) = columns[..i].iter().position(|c| c == column) {
            let (a, b) = (
                headers.get(first).unwrap_or(""),
                headers.get(i).unwrap_or(""),
            );
            let detail = if a == b {
                format!("the column `{b}` appears twice")
            } else {
                format!("the columns `{a}` and `{b}` are the same column")
            };
            return Err(RowError::fatal(1, b.to_string(), detail));
        }
    }
    Ok(())
}

/// A header name without its neo4j type (`lat:double` → `lat`; `:ID` → `:ID`).
fn plain(header: &str) -> (String, String) {
    let header = header.trim().trim_start_matches('\u{feff}');
    match header.rfind(':') {
        Some(0) | None => (header.to_string(), String::new()),
        Some(i) => (header[..i].to_string(), header[i + 1..].to_string()),
    }
}

/// Which table a header row describes: links when it names members.
pub fn sniff(headers: &csv::StringRecord) -> Table {
    let is_links = headers.iter().any(|h| {
        matches!(
            link_column(h),
            Some(LinkColumn::Source | LinkColumn::Target | LinkColumn::Members)
        )
    });
    if is_links {
        Table::Links
    } else {
        Table::Nodes
    }
}

/// Opens a CSV table, reading its header: either table, told apart by [`sniff`].
pub fn read<R: Read + 'static>(
    input: R,
    default_kind: LinkKind,
) -> Result<Box<dyn Iterator<Item = Result<Item, RowError>>>, RowError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .has_headers(true)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| RowError::fatal(1, "-", format!("cannot read the header: {e}")))?
        .clone();
    match sniff(&headers) {
        Table::Nodes => Ok(Box::new(NodeRows::new(reader, &headers)?)),
        Table::Links => Ok(Box::new(LinkRows::new(reader, &headers, default_kind)?)),
    }
}

fn unknown(header: &str, table: &str) -> RowError {
    RowError::fatal(
        1,
        header.to_string(),
        format!("unknown column `{header}` in a {table} table (see `pobratim import --help` for the columns)"),
    )
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn json_object(raw: &str, line: u64, column: &str) -> Result<Map<String, Value>, RowError> {
    if let Some(path) = crate::io::json::duplicate_key(raw.as_bytes()) {
        return Err(RowError::row(
            line,
            format!("{column}.{path}"),
            crate::io::json::duplicate_key_detail(&path),
        ));
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(RowError::row(
            line,
            column,
            "must be a JSON object, e.g. {\"key\": \"value\"}",
        )),
    }
}

fn number(raw: &str, line: u64, column: &str) -> Result<f64, RowError> {
    raw.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| RowError::row(line, column, format!("`{raw}` is not a number")))
}

/// Parses a kind by its wire name, case-insensitively (neo4j labels are `City`, types `TWINNING`).
fn by_name<T: Copy>(all: &[T], name: fn(T) -> &'static str, raw: &str) -> Option<T> {
    all.iter()
        .copied()
        .find(|k| name(*k).eq_ignore_ascii_case(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_escaped_and_every_cell_reads_back() {
        for cell in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-a",
            "@SUM(A1)",
            "\tx",
            "'s-Hertogenbosch",
            "'=x",
            "''",
            "'",
            "''=x",
            "plain",
            "",
        ] {
            let escaped = escape_cell(cell.to_string());
            assert_eq!(unescape_cell(&escaped), cell, "{escaped:?}");
            let runs = escaped.starts_with(|c| FORMULA_STARTS.contains(&c));
            assert!(!runs, "{escaped:?} would run in a spreadsheet");
        }
        assert_eq!(escape_cell("'s-Hertogenbosch".into()), "'s-Hertogenbosch");
        assert_eq!(escape_cell("=1".into()), "'=1");
    }
    use crate::io::Record;
    use crate::model::{Node, NodeKind};

    fn items(text: &'static str) -> Vec<Result<Item, RowError>> {
        read(text.as_bytes(), LinkKind::Twinning).unwrap().collect()
    }

    #[test]
    fn reads_nodes_with_names_by_language_and_derives_missing_ids() {
        let rows = items(
            "id,kind,name,name_ru,country,lat,lon,population,tags\n\
            ,city,Blagoveshchensk,Благовещенск,RU,50.29,127.53,241000,border;amur\n\
            assoc:urc,association,Union of Russian Cities,,RU,,,,\n",
        );
        let nodes: Vec<Node> = rows
            .into_iter()
            .map(|r| match r.unwrap().record {
                Record::Node { node, .. } => node,
                Record::Link(_) | Record::PartialLink(_) => panic!("a link in a nodes table"),
            })
            .collect();
        assert_eq!(nodes[0].id.as_str(), "city:ru:blagoveshchensk");
        assert_eq!(nodes[0].names["ru"], "Благовещенск");
        assert_eq!(nodes[0].tags, ["border", "amur"]);
        assert_eq!(nodes[0].population, Some(241_000));
        assert_eq!(nodes[1].kind, NodeKind::Association);
        assert_eq!(nodes[1].location, None);
    }

    #[test]
    fn reads_neo4j_headers() {
        let rows = items("id:ID,:LABEL,name,lat:double,lon:double\nc1,City,Heihe,50.2,127.5\n");
        let Record::Node { node, id_given, .. } = &rows[0].as_ref().unwrap().record else {
            panic!("not a node")
        };
        assert!(id_given);
        assert_eq!(node.id.as_str(), "c1");
        let links = items(":START_ID,:END_ID,:TYPE,signed\nc1,c2,TWINNING,1995\n");
        let Record::Link(link) = &links[0].as_ref().unwrap().record else {
            panic!("not a link")
        };
        assert_eq!(link.kind, LinkKind::Twinning);
        assert_eq!(link.id.as_str(), "twinning:c1+c2");
    }

    #[test]
    fn joins_two_member_trilateral_rows_into_triangles() {
        let rows = items(
            "src,dst,kind,since\n\
            a,b,trilateral,1949\n\
            a,c,trilateral,1949\n\
            x,y,twinning,1950\n\
            b,c,trilateral,1949\n\
            p,q,trilateral,1960\n\
            p,r,trilateral,1960\n\
            u,v,trilateral,1970\n",
        );
        let mut links = Vec::new();
        let mut errors = Vec::new();
        for row in rows {
            match row {
                Ok(Item {
                    record: Record::Link(l),
                    ..
                }) => links.push(l),
                Ok(_) => panic!("node"),
                Err(e) => errors.push(e),
            }
        }
        let ids: Vec<&str> = links.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(
            ids,
            ["twinning:x+y", "trilateral:a+b+c", "trilateral:p+q+r"]
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 8);
    }

    #[test]
    fn refuses_unknown_columns_and_reports_bad_rows_with_line_and_column() {
        let Err(e) = read("id,name,colour\n".as_bytes(), LinkKind::Twinning) else {
            panic!("an unknown column was accepted")
        };
        assert_eq!((e.line, e.column.as_str(), e.fatal), (1, "colour", true));
        let rows = items("source,target,signed\na,b,1999\na,b,next year\nc,,2000\n");
        let errors: Vec<(u64, String)> = rows
            .into_iter()
            .filter_map(Result::err)
            .map(|e| (e.line, e.column))
            .collect();
        assert_eq!(
            errors,
            [(3, "signed".to_string()), (4, "target".to_string())]
        );
    }
}
