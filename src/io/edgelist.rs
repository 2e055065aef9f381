//! The links-only "edge list" CSV: one link per row, naming cities by name and
//! country (optionally with coordinates, ids and Wikidata Q-ids); missing cities are
//! created. Reads the normalised twin-town files of `shared/data/twins/` as they are.
//!
//! Columns (header names; only `city_a` and `city_b` are required):
//!
//! | column | meaning |
//! | --- | --- |
//! | `city_a`, `city_b` | city names |
//! | `country_a`, `country_b` | countries, as a code (`RU`) or a name (`Russia`, as the world network's lists write it); kept in `attrs.country_name` when no ISO code is found |
//! | `cc_a`, `cc_b` | ISO 3166-1 alpha-2 codes (may be empty) |
//! | `lat_a`, `lon_a`, `lat_b`, `lon_b` | coordinates (may be empty) |
//! | `id_a`, `id_b` | node ids; derived from kind, code and name when absent |
//! | `qid_a`, `qid_b` | Wikidata Q-ids, stored as `external_ids.wikidata` |
//! | `year` | signing year (may be empty) |
//! | `kind` | link kind (default from the command, `twinning`) |
//! | `source` | provenance, stored as the link's `source.document` |
//!
//! `distance_km` and `degree` are read and ignored; any other column is refused. A city
//! named on several rows is one node; its first non-empty coordinates win.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Read;

use serde_json::{json, Map};

use crate::io::{Item, Record, RowError};
use crate::model::{
    CountryCode, Link, LinkId, LinkKind, Location, Node, NodeId, NodeKind, PartialDate, Source,
};

/// Columns this format reads; `distance_km`, `degree` and `population` columns of the
/// twin-town files are known and ignored (derivable or outside a link's meaning).
const KNOWN: [&str; 19] = [
    "city_a",
    "city_b",
    "country_a",
    "country_b",
    "cc_a",
    "cc_b",
    "lat_a",
    "lon_a",
    "lat_b",
    "lon_b",
    "id_a",
    "id_b",
    "qid_a",
    "qid_b",
    "year",
    "kind",
    "source",
    "distance_km",
    "degree",
];

struct Endpoint {
    node: Node,
    id_given: bool,
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
    let fail = |name: &str, reason: String| RowError::row(line, format!("{name}_{side}"), reason);
    let name = col("city");
    if name.is_empty() {
        return Err(fail("city", "the city name is empty".into()));
    }
    let country_text = col("country");
    // Without a `cc_*` cell, a `country_*` cell holding a code (`RU`) or a country's
    // name (`Russia`) gives the code.
    let code = match col("cc") {
        "" if country_text.is_empty() => None,
        "" => country_text
            .parse::<CountryCode>()
            .ok()
            .or_else(|| super::countries::code_of_name(country_text)),
        raw => raw.parse::<CountryCode>().ok(),
    };
    let (id, id_given) = match col("id") {
        "" => (
            NodeId::derive(
                "city",
                Some(code.as_ref().map_or("xx", |c| c.as_str())),
                name,
            )
            .ok_or_else(|| fail("city", "no letter or digit to derive an id from".into()))?,
            false,
        ),
        raw => (
            NodeId::new(raw).map_err(|e| fail("id", e.to_string()))?,
            true,
        ),
    };
    let mut attrs = Map::new();
    if !country_text.is_empty() && code.is_none() {
        attrs.insert("country_name".into(), json!(country_text));
    }
    if !col("cc").is_empty() && code.is_none() {
        attrs.insert("country_code".into(), json!(col("cc")));
    }
    let location = match (col("lat"), col("lon")) {
        ("", "") => None,
        (lat, lon) => {
            let parse = |raw: &str, name: &str| {
                raw.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| fail(name, format!("`{raw}` is not a number")))
            };
            Some(Location {
                lat: parse(lat, "lat")?,
                lon: parse(lon, "lon")?,
            })
        }
    };
    let mut external_ids = BTreeMap::new();
    if !col("qid").is_empty() {
        external_ids.insert("wikidata".to_string(), col("qid").to_string());
    }
    Ok(Endpoint {
        node: Node {
            id,
            kind: NodeKind::City,
            name: name.to_string(),
            names: BTreeMap::new(),
            country: code,
            region: None,
            location,
            population: None,
            external_ids,
            tags: Vec::new(),
            attrs,
        },
        id_given,
    })
}

/// Opens an edge-list CSV and streams its records: each row's cities (the first time
/// each is named, and again when a later row brings coordinates it lacked), then its
/// link. Refused rows come as errors with their line, column and reason.
pub fn read<R: Read + 'static>(input: R, default_kind: LinkKind) -> Result<EdgeRows<R>, RowError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers: HashMap<String, usize> = reader
        .headers()
        .map_err(|e| RowError::fatal(1, "-", format!("cannot read the header: {e}")))?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_string(), i))
        .collect();
    if let Some(unknown) = headers.keys().find(|h| !KNOWN.contains(&h.as_str())) {
        return Err(RowError::fatal(
            1,
            unknown.clone(),
            format!(
                "unknown column `{unknown}` in an edge list (known: {})",
                KNOWN.join(", ")
            ),
        ));
    }
    for needed in ["city_a", "city_b"] {
        if !headers.contains_key(needed) {
            return Err(RowError::fatal(
                1,
                needed,
                format!("an edge list needs a `{needed}` column"),
            ));
        }
    }
    Ok(EdgeRows {
        reader,
        headers,
        default_kind,
        row: csv::StringRecord::new(),
        located: HashMap::new(),
        ready: VecDeque::new(),
        done: false,
    })
}

/// The stream of an edge list (see [`read`]).
pub struct EdgeRows<R: Read> {
    reader: csv::Reader<R>,
    headers: HashMap<String, usize>,
    default_kind: LinkKind,
    row: csv::StringRecord,
    /// Cities handed out so far, and whether they had coordinates.
    located: HashMap<NodeId, bool>,
    ready: VecDeque<Result<Item, RowError>>,
    done: bool,
}

impl<R: Read> EdgeRows<R> {
    fn take_row(&mut self, line: u64) {
        match parse_row(&self.headers, &self.row, line, self.default_kind) {
            Ok((a, b, link)) => {
                for end in [a, b] {
                    let has_location = end.node.location.is_some();
                    match self.located.get(&end.node.id) {
                        Some(true) => continue,
                        Some(false) if !has_location => continue,
                        _ => {}
                    }
                    self.located.insert(end.node.id.clone(), has_location);
                    self.ready.push_back(Ok(Item {
                        line,
                        at: String::new(),
                        record: Record::Node {
                            node: end.node,
                            id_given: end.id_given,
                            partial: false,
                        },
                    }));
                }
                self.ready.push_back(Ok(Item {
                    line,
                    at: String::new(),
                    record: Record::Link(link),
                }));
            }
            Err(e) => self.ready.push_back(Err(e)),
        }
    }
}

impl<R: Read> Iterator for EdgeRows<R> {
    type Item = Result<Item, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return Some(ready);
            }
            if self.done {
                return None;
            }
            match super::next_csv_row(&mut self.reader, &mut self.row, &mut self.done) {
                super::CsvNext::End => {}
                super::CsvNext::Row(line) => self.take_row(line),
                super::CsvNext::Error(error) => return Some(Err(error)),
            }
        }
    }
}

fn parse_row(
    headers: &HashMap<String, usize>,
    row: &csv::StringRecord,
    line: u64,
    default_kind: LinkKind,
) -> Result<(Endpoint, Endpoint, Link), RowError> {
    let a = endpoint(headers, row, "a", line)?;
    let b = endpoint(headers, row, "b", line)?;
    if a.node.id == b.node.id {
        return Err(RowError::row(
            line,
            "city_b",
            format!("a city cannot be twinned with itself ({})", a.node.id),
        ));
    }
    let kind = match column(headers, row, "kind") {
        "" => default_kind,
        raw => LinkKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| RowError::row(line, "kind", format!("`{raw}` is not a link kind")))?,
    };
    if kind.arity() != 2 {
        return Err(RowError::row(
            line,
            "kind",
            "an edge list holds two-member links only",
        ));
    }
    let signed = match column(headers, row, "year") {
        "" => None,
        year => Some(
            year.parse::<PartialDate>()
                .map_err(|e| RowError::row(line, "year", e.to_string()))?,
        ),
    };
    let source = match column(headers, row, "source") {
        "" => None,
        document => Some(Source {
            document: Some(document.to_string()),
            ..Source::default()
        }),
    };
    let members = vec![a.node.id.clone(), b.node.id.clone()];
    let id = LinkId::derive(kind.as_str(), &Link::canonical_members(kind, &members))
        .map_err(|e| RowError::row(line, "id_a", format!("cannot derive a link id: {e}")))?;
    let link = Link {
        id,
        kind,
        members,
        status: Default::default(),
        evidence: Default::default(),
        signed,
        ended: None,
        areas: Vec::new(),
        source,
        notes: None,
        attrs: Map::new(),
    };
    Ok((a, b, link))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "city_a,country_a,city_b,country_b,lat_a,lon_a,lat_b,lon_b,year,source,cc_a,cc_b,id_a,id_b\n\
Berat,Albania,Amasya,Turkey,,,40.65,35.8331,,enwiki,AL,TR,city:al:berat,city:tr:amasya\n\
Berat,Albania,Prizren,Kosovo,40.7022,19.9583,42.21,20.74,1999,enwiki,AL,XK,city:al:berat,city:xk:prizren\n\
Amasya,Turkey,Berat,Albania,,,,,,enwiki,TR,AL,city:tr:amasya,city:al:berat\n\
Nowhere,,Nowhere,,,,,,,x,,,city:xx:nowhere,city:xx:nowhere\n\
Lyon,France,Turin,Italy,abc,4.8,45.0,7.6,,x,FR,IT,,\n";

    #[test]
    fn streams_the_twins_format_and_reports_bad_rows() {
        let items: Vec<_> = read(SAMPLE.as_bytes(), LinkKind::Twinning)
            .unwrap()
            .collect();
        let errors: Vec<(u64, &str)> = items
            .iter()
            .filter_map(|i| i.as_ref().err())
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(errors, [(5, "city_b"), (6, "lat_a")]);
        let nodes: Vec<&Node> = items
            .iter()
            .filter_map(|i| match i {
                Ok(Item {
                    record: Record::Node { node, .. },
                    ..
                }) => Some(node),
                _ => None,
            })
            .collect();
        let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "city:al:berat",
                "city:tr:amasya",
                "city:al:berat",
                "city:xk:prizren"
            ],
            "Berat comes again when a later row brings its coordinates"
        );
        let prizren = nodes[3];
        assert_eq!(prizren.country, None);
        assert_eq!(prizren.attrs["country_name"], "Kosovo");
        let links = items
            .iter()
            .filter(|i| {
                matches!(
                    i,
                    Ok(Item {
                        record: Record::Link(_),
                        ..
                    })
                )
            })
            .count();
        assert_eq!(
            links, 3,
            "the reversed Amasya–Berat row is read; the import finds it unchanged"
        );
    }

    #[test]
    fn refuses_an_unknown_column() {
        let Err(e) = read("city_a,city_b,colour\n".as_bytes(), LinkKind::Twinning) else {
            panic!("an unknown column was accepted")
        };
        assert_eq!(e.column, "colour");
    }
}
