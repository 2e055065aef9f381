//! The links-only "edge list" CSV: one link per row, naming cities by name and
//! country (optionally with coordinates, ids and Wikidata Q-ids); missing cities are
//! created. Reads the normalised twin-town files of `shared/data/twins/` as they are.
//!
//! Columns (header names; only `city_a` and `city_b` are required):
//!
//! | column | meaning |
//! | --- | --- |
//! | `city_a`, `city_b` | city names |
//! | `country_a`, `country_b` | country names as text (kept in `attrs.country_name` when there is no ISO code) |
//! | `cc_a`, `cc_b` | ISO 3166-1 alpha-2 codes (may be empty) |
//! | `lat_a`, `lon_a`, `lat_b`, `lon_b` | coordinates (may be empty) |
//! | `id_a`, `id_b` | node ids; derived from kind, code and name when absent |
//! | `qid_a`, `qid_b` | Wikidata Q-ids, stored as `external_ids.wikidata` |
//! | `year` | signing year (may be empty) |
//! | `kind` | link kind (default from the command, `twinning`) |
//! | `source` | provenance, stored as the link's `source.document` |
//!
//! Other columns are ignored. A city named on several rows is one node; its first
//! non-empty coordinates win.

use std::collections::HashMap;
use std::io::Read;

use serde_json::{json, Map, Value};

use crate::model::{CountryCode, LinkKind, NodeId};
use crate::service::{link_from_json, node_from_json, Change};

/// A row that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {reason}")]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// The column at fault.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// What an edge-list file turned into.
#[derive(Debug, Default)]
pub struct EdgeList {
    /// Node and link upserts, nodes first.
    pub changes: Vec<(String, Change)>,
    /// Rows refused.
    pub errors: Vec<RowError>,
    /// Data rows read.
    pub rows: u64,
}

struct Endpoint {
    id: NodeId,
    node: Map<String, Value>,
}

fn column<'r>(headers: &HashMap<String, usize>, row: &'r csv::StringRecord, name: &str) -> &'r str {
    headers
        .get(name)
        .and_then(|i| row.get(*i))
        .map(str::trim)
        .unwrap_or("")
}

fn endpoint(
    headers: &HashMap<String, usize>,
    row: &csv::StringRecord,
    side: &str,
    line: u64,
) -> Result<Endpoint, RowError> {
    let col = |name: &str| column(headers, row, &format!("{name}_{side}"));
    let fail = |name: &str, reason: String| RowError {
        line,
        column: format!("{name}_{side}"),
        reason,
    };
    let name = col("city");
    if name.is_empty() {
        return Err(fail("city", "the city name is empty".into()));
    }
    let code = match col("cc") {
        "" => None,
        raw => raw.parse::<CountryCode>().ok(),
    };
    let country_text = col("country");
    let id = match col("id") {
        "" => NodeId::derive(
            "city",
            Some(code.as_ref().map_or("xx", |c| c.as_str())),
            name,
        )
        .ok_or_else(|| fail("city", "no letter or digit to derive an id from".into()))?,
        raw => NodeId::new(raw).map_err(|e| fail("id", e.to_string()))?,
    };
    let mut node = Map::new();
    node.insert("id".into(), json!(id.as_str()));
    node.insert("kind".into(), json!("city"));
    node.insert("name".into(), json!(name));
    if let Some(code) = code {
        node.insert("country".into(), json!(code.as_str()));
    }
    let mut attrs = Map::new();
    if !country_text.is_empty() && code.is_none() {
        attrs.insert("country_name".into(), json!(country_text));
    }
    if !col("cc").is_empty() && code.is_none() {
        attrs.insert("country_code".into(), json!(col("cc")));
    }
    if !attrs.is_empty() {
        node.insert("attrs".into(), Value::Object(attrs));
    }
    match (col("lat"), col("lon")) {
        ("", "") => {}
        (lat, lon) => {
            let lat: f64 = lat
                .parse()
                .map_err(|_| fail("lat", format!("`{lat}` is not a number")))?;
            let lon: f64 = lon
                .parse()
                .map_err(|_| fail("lon", format!("`{lon}` is not a number")))?;
            node.insert("location".into(), json!({"lat": lat, "lon": lon}));
        }
    }
    if !col("qid").is_empty() {
        node.insert("external_ids".into(), json!({"wikidata": col("qid")}));
    }
    Ok(Endpoint { id, node })
}

/// Reads an edge-list CSV. Every row is checked; refused rows are collected with their
/// line, column and reason (the caller decides whether to stop or skip them).
pub fn read(input: impl Read, default_kind: LinkKind) -> Result<EdgeList, csv::Error> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers: HashMap<String, usize> = reader
        .headers()?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_string(), i))
        .collect();
    let mut out = EdgeList::default();
    let mut nodes: Vec<(NodeId, Map<String, Value>)> = Vec::new();
    let mut node_slot: HashMap<NodeId, usize> = HashMap::new();
    let mut links = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i as u64 + 2;
        out.rows += 1;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                out.errors.push(RowError {
                    line,
                    column: "-".into(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        match parse_row(&headers, &row, line, default_kind) {
            Ok((a, b, link)) => {
                for end in [a, b] {
                    match node_slot.get(&end.id) {
                        Some(&slot) => {
                            let known = &mut nodes[slot].1;
                            if !known.contains_key("location") {
                                if let Some(loc) = end.node.get("location") {
                                    known.insert("location".into(), loc.clone());
                                }
                            }
                        }
                        None => {
                            node_slot.insert(end.id.clone(), nodes.len());
                            nodes.push((end.id, end.node));
                        }
                    }
                }
                links.push((line, link));
            }
            Err(e) => out.errors.push(e),
        }
    }
    for (id, node) in nodes {
        match node_from_json(node) {
            Ok(node) => out
                .changes
                .push((format!("node {id}"), Change::PutNode(node))),
            Err(e) => out.errors.push(RowError {
                line: 0,
                column: e.field.clone(),
                reason: format!("city {id}: {}", e.reason),
            }),
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (line, link) in links {
        match link_from_json(link) {
            Ok(link) => {
                if seen.insert(link.id.clone()) {
                    out.changes
                        .push((format!("line {line}"), Change::PutLink(link)));
                }
            }
            Err(e) => out.errors.push(RowError {
                line,
                column: e.field.clone(),
                reason: e.reason,
            }),
        }
    }
    out.errors.sort_by_key(|e| e.line);
    Ok(out)
}

fn parse_row(
    headers: &HashMap<String, usize>,
    row: &csv::StringRecord,
    line: u64,
    default_kind: LinkKind,
) -> Result<(Endpoint, Endpoint, Map<String, Value>), RowError> {
    let a = endpoint(headers, row, "a", line)?;
    let b = endpoint(headers, row, "b", line)?;
    if a.id == b.id {
        return Err(RowError {
            line,
            column: "city_b".into(),
            reason: format!("a city cannot be twinned with itself ({})", a.id),
        });
    }
    let kind = match column(headers, row, "kind") {
        "" => default_kind,
        raw => serde_json::from_value(json!(raw)).map_err(|_| RowError {
            line,
            column: "kind".into(),
            reason: format!("`{raw}` is not a link kind"),
        })?,
    };
    if kind.arity() != 2 {
        return Err(RowError {
            line,
            column: "kind".into(),
            reason: "an edge list holds two-member links only".into(),
        });
    }
    let mut link = Map::new();
    link.insert("kind".into(), json!(kind.as_str()));
    link.insert("members".into(), json!([a.id.as_str(), b.id.as_str()]));
    match column(headers, row, "year") {
        "" => {}
        year => {
            year.parse::<crate::model::PartialDate>()
                .map_err(|e| RowError {
                    line,
                    column: "year".into(),
                    reason: e.to_string(),
                })?;
            link.insert("signed".into(), json!(year));
        }
    }
    if !column(headers, row, "source").is_empty() {
        link.insert(
            "source".into(),
            json!({"document": column(headers, row, "source")}),
        );
    }
    Ok((a, b, link))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "city_a,country_a,city_b,country_b,lat_a,lon_a,lat_b,lon_b,year,source,cc_a,cc_b,id_a,id_b\n\
Berat,Albania,Amasya,Turkey,40.7022,19.9583,40.65,35.8331,,enwiki,AL,TR,city:al:berat,city:tr:amasya\n\
Berat,Albania,Prizren,Kosovo,,,42.21,20.74,1999,enwiki,AL,XK,city:al:berat,city:xk:prizren\n\
Amasya,Turkey,Berat,Albania,,,,,,enwiki,TR,AL,city:tr:amasya,city:al:berat\n\
Nowhere,,Nowhere,,,,,,,x,,,city:xx:nowhere,city:xx:nowhere\n\
Lyon,France,Turin,Italy,abc,4.8,45.0,7.6,,x,FR,IT,,\n";

    #[test]
    fn reads_the_twins_format_and_reports_bad_rows() {
        let list = read(SAMPLE.as_bytes(), LinkKind::Twinning).unwrap();
        assert_eq!(list.rows, 5);
        let errors: Vec<(u64, &str)> = list
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(errors, [(5, "city_b"), (6, "lat_a")]);
        let nodes: Vec<_> = list
            .changes
            .iter()
            .filter_map(|(_, c)| {
                if let Change::PutNode(n) = c {
                    Some(n)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(nodes.len(), 3);
        let prizren = nodes
            .iter()
            .find(|n| n.id.as_str() == "city:xk:prizren")
            .unwrap();
        assert_eq!(prizren.country, None);
        assert_eq!(prizren.attrs["country_name"], "Kosovo");
        let links = list.changes.len() - nodes.len();
        assert_eq!(links, 2, "the reversed Amasya–Berat row is the same link");
    }
}
