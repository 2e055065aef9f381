//! Writing tables: pobratim's own columns, or neo4j-admin headers. Text cells a
//! spreadsheet would run as formulas are escaped (see the module above).

use serde_json::Value;

use super::escape_cell;
use crate::model::NodeId;

/// The header dialect of an exported table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// pobratim's own columns (what [`read`] reads back).
    Pobratim,
    /// `neo4j-admin database import` headers: `id:ID`, `:LABEL`, `:START_ID`, `:END_ID`,
    /// `:TYPE`, typed columns, `;` as the array delimiter. A trilateral link is three
    /// relationships sharing its `id`.
    Neo4j,
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn csv_failure(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Writes the nodes of `selection` as a nodes table (one `name_<lang>` and
/// `external_id_<key>` column for each language and key in use).
pub fn write_nodes(
    selection: &crate::io::export::Selection,
    dialect: Dialect,
    out: impl std::io::Write,
) -> std::io::Result<()> {
    let mut langs = std::collections::BTreeSet::new();
    let mut keys = std::collections::BTreeSet::new();
    for node in selection.nodes() {
        langs.extend(node.names.keys().cloned());
        keys.extend(node.external_ids.keys().cloned());
    }
    let neo = dialect == Dialect::Neo4j;
    let mut header: Vec<String> = vec![
        if neo { "id:ID" } else { "id" }.into(),
        if neo { ":LABEL" } else { "kind" }.into(),
        "name".into(),
    ];
    header.extend(langs.iter().map(|l| format!("name_{l}")));
    header.extend(["country".to_string(), "region".to_string()]);
    header.extend(
        [("lat", "double"), ("lon", "double"), ("population", "long")]
            .iter()
            .map(|(c, t)| {
                if neo {
                    format!("{c}:{t}")
                } else {
                    (*c).to_string()
                }
            }),
    );
    header.extend(keys.iter().map(|k| format!("external_id_{k}")));
    header.push(if neo { "tags:string[]" } else { "tags" }.into());
    header.push("attrs".into());
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&header).map_err(csv_failure)?;
    for node in selection.nodes() {
        let mut row: Vec<String> = vec![
            escape_cell(node.id.to_string()),
            if neo {
                capitalised(node.kind.as_str())
            } else {
                node.kind.as_str().to_string()
            },
            escape_cell(node.name.clone()),
        ];
        row.extend(
            langs
                .iter()
                .map(|l| escape_cell(node.names.get(l).cloned().unwrap_or_default())),
        );
        row.push(
            node.country
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
        );
        row.push(escape_cell(node.region.clone().unwrap_or_default()));
        row.push(node.location.map(|l| l.lat.to_string()).unwrap_or_default());
        row.push(node.location.map(|l| l.lon.to_string()).unwrap_or_default());
        row.push(node.population.map(|p| p.to_string()).unwrap_or_default());
        row.extend(
            keys.iter()
                .map(|k| escape_cell(node.external_ids.get(k).cloned().unwrap_or_default())),
        );
        row.push(escape_cell(node.tags.join(";")));
        row.push(if node.attrs.is_empty() {
            String::new()
        } else {
            Value::Object(node.attrs.clone()).to_string()
        });
        writer.write_record(&row).map_err(csv_failure)?;
    }
    writer.flush()
}

/// Writes the links of `selection` as a links table.
pub fn write_links(
    selection: &crate::io::export::Selection,
    dialect: Dialect,
    out: impl std::io::Write,
) -> std::io::Result<()> {
    let neo = dialect == Dialect::Neo4j;
    let tail = [
        "status",
        "evidence",
        "signed",
        "ended",
        if neo { "areas:string[]" } else { "areas" },
        "source_document",
        "source_url",
        "source_quote",
        "notes",
        "attrs",
    ];
    let mut header: Vec<&str> = if neo {
        vec![":START_ID", ":END_ID", ":TYPE", "id"]
    } else {
        vec!["id", "kind", "members"]
    };
    header.extend(tail);
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&header).map_err(csv_failure)?;
    for link in selection.links() {
        let source = link.source.clone().unwrap_or_default();
        let rest = [
            link.status.as_str().to_string(),
            link.evidence.as_str().to_string(),
            link.signed.map(|d| d.to_string()).unwrap_or_default(),
            link.ended.map(|d| d.to_string()).unwrap_or_default(),
            link.areas.join(";"),
            escape_cell(source.document.unwrap_or_default()),
            escape_cell(source.url.unwrap_or_default()),
            escape_cell(source.quote.unwrap_or_default()),
            escape_cell(link.notes.clone().unwrap_or_default()),
            if link.attrs.is_empty() {
                String::new()
            } else {
                Value::Object(link.attrs.clone()).to_string()
            },
        ];
        if neo {
            let m = &link.members;
            let pairs: Vec<(usize, usize)> = if m.len() == 3 {
                vec![(0, 1), (0, 2), (1, 2)]
            } else {
                vec![(0, 1)]
            };
            for (a, b) in pairs {
                let mut row = vec![
                    escape_cell(m[a].to_string()),
                    escape_cell(m[b].to_string()),
                    link.kind.as_str().to_ascii_uppercase(),
                    escape_cell(link.id.to_string()),
                ];
                row.extend(rest.iter().cloned());
                writer.write_record(&row).map_err(csv_failure)?;
            }
        } else {
            let members: Vec<&str> = link.members.iter().map(NodeId::as_str).collect();
            let mut row = vec![
                escape_cell(link.id.to_string()),
                link.kind.as_str().to_string(),
                escape_cell(members.join(";")),
            ];
            row.extend(rest);
            writer.write_record(&row).map_err(csv_failure)?;
        }
    }
    writer.flush()
}
