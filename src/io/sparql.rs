//! Wikidata query results: the W3C SPARQL 1.1 Query Results formats (JSON, CSV and TSV)
//! of a query for "twinned administrative body" (P190), as a researcher downloads them
//! from the Wikidata query service.
//!
//! Each result row names two cities and, optionally, what Wikidata says of their tie.
//! Variables are read by name (a TSV header's `?` is dropped):
//!
//! | variable | meaning |
//! | --- | --- |
//! | `city`, `twin` | the cities' items: `http://www.wikidata.org/entity/Q64` or `Q64` (required) |
//! | `cityLabel`, `twinLabel` | their labels; a language tag also files the label under `names` |
//! | `cityCountry`, `twinCountry` | ISO 3166-1 alpha-2 codes (P297) |
//! | `cityCoord`, `twinCoord` | coordinates as WKT, `Point(lon lat)` (P625) |
//! | `start`, `end` | start (P580) and end (P582) time qualifiers, `xsd:dateTime` |
//! | `startPrecision`, `endPrecision` | their Wikidata precision (9 year, 10 month, 11 day) |
//! | `statement` | the statement's IRI, kept as the link's `source.url` |
//! | `reference` | a reference URL (P854), kept as `attrs.reference_url` |
//!
//! Any other variable is refused, so nothing a file holds is silently dropped.
//!
//! What each row becomes:
//! - each city is a node: its Q-id in `external_ids.wikidata`, its label as `name`
//!   (a label that is only the Q-id, as the label service gives an item without one,
//!   is no label), its country and location. The import matches a stored node by
//!   Q-id first, then by kind, name and country, and fills the fields the file leaves
//!   unbound from the stored node;
//! - the pair is a `twinning` link, stated, with `source.document` [`DOCUMENT`]. Rows
//!   naming the same pair, either way round, are one link: the first row's value of
//!   each field wins, later rows fill what it left unbound;
//! - a time's precision decides the date: year (`1991`), month, or day. Without a
//!   precision variable a time on 1 January at midnight is a year, on the 1st of a month
//!   a month, else a day. A time coarser than a year (a decade, a century) gives no date;
//!   the value and its precision are kept in the link's `attrs` (`start_time`,
//!   `start_precision`).
//!
//! The whole file is read before the first record is given: merging both directions of
//! a pair needs every row.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use crate::io::{Item, Record, RowError};
use crate::model::{
    CountryCode, Evidence, Link, LinkId, LinkKind, Location, Node, NodeId, NodeKind, PartialDate,
    Source,
};

/// The `source.document` of every link read from Wikidata: what `missing=report` groups
/// a dataset's links by.
pub const DOCUMENT: &str = "Wikidata P190";

/// Variables a result may bind.
pub const VARIABLES: [&str; 14] = [
    "city",
    "cityLabel",
    "cityCountry",
    "cityCoord",
    "twin",
    "twinLabel",
    "twinCountry",
    "twinCoord",
    "start",
    "startPrecision",
    "end",
    "endPrecision",
    "statement",
    "reference",
];

const ENTITY_PREFIX: &str = "http://www.wikidata.org/entity/";

/// Which serialisation of the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SPARQL 1.1 Query Results JSON (`application/sparql-results+json`).
    Json,
    /// SPARQL 1.1 Query Results CSV (`text/csv`): plain values, no language tags.
    Csv,
    /// SPARQL 1.1 Query Results TSV (`text/tab-separated-values`): RDF terms.
    Tsv,
}

/// One bound value: its lexical form and, for a literal, its language tag.
#[derive(Clone, Debug, Default, PartialEq)]
struct Term {
    value: String,
    lang: Option<String>,
}

/// One result row: its line (0 in JSON), where it is (`results.bindings[3]`), and its
/// bound variables.
struct Row {
    line: u64,
    at: String,
    bound: HashMap<String, Term>,
}

impl Row {
    fn get(&self, var: &str) -> Option<&Term> {
        self.bound.get(var).filter(|t| !t.value.trim().is_empty())
    }

    fn error(&self, var: &str, reason: impl Into<String>) -> RowError {
        let column = if self.at.is_empty() {
            var.to_string()
        } else {
            format!("{}.{var}", self.at)
        };
        RowError::row(self.line, column, reason)
    }
}

/// Reads a whole results file into records: every city once, then every link.
/// A file that cannot be parsed, or binds an unknown variable, is a fatal error; a row
/// that breaks a rule (no city, a coordinate out of range, a malformed time) is that
/// row's error, given in file order before the records.
pub fn read(bytes: &[u8], dialect: Dialect) -> Result<Vec<Result<Item, RowError>>, RowError> {
    let rows = match dialect {
        Dialect::Json => json_rows(bytes)?,
        Dialect::Csv => csv_rows(bytes)?,
        Dialect::Tsv => tsv_rows(bytes)?,
    };
    let mut errors = Vec::new();
    let mut cities: Vec<City> = Vec::new();
    let mut city_at: HashMap<String, usize> = HashMap::new();
    let mut ties: Vec<Tie> = Vec::new();
    let mut tie_at: HashMap<(String, String), usize> = HashMap::new();
    for row in &rows {
        let parsed = (|| {
            let a = city(row, "city")?;
            let b = city(row, "twin")?;
            if a.qid == b.qid {
                return Err(row.error("twin", format!("{} is twinned with itself", a.qid)));
            }
            let tie = tie(row, &a.qid, &b.qid)?;
            Ok((a, b, tie))
        })();
        let (a, b, tie) = match parsed {
            Ok(parsed) => parsed,
            Err(e) => {
                errors.push(Err(e));
                continue;
            }
        };
        for found in [a, b] {
            match city_at.get(&found.qid) {
                Some(&i) => cities[i].fill(found),
                None => {
                    city_at.insert(found.qid.clone(), cities.len());
                    cities.push(found);
                }
            }
        }
        let key = tie.key.clone();
        match tie_at.get(&key) {
            Some(&i) => ties[i].fill(tie),
            None => {
                tie_at.insert(key, ties.len());
                ties.push(tie);
            }
        }
    }
    let mut items = errors;
    // Each item gets an id of its own, even where two derive the same one.
    let mut ids: HashMap<&str, NodeId> = HashMap::with_capacity(cities.len());
    let mut taken: std::collections::HashSet<NodeId> = std::collections::HashSet::new();
    for city in &cities {
        let Some(mut id) = city.node_id() else {
            items.push(Err(RowError::row(
                city.line,
                &city.at,
                format!("cannot derive an id for {}", city.qid),
            )));
            continue;
        };
        if taken.contains(&id) {
            match NodeId::new(format!("{id}-{}", city.qid.to_ascii_lowercase())) {
                Ok(own) => id = own,
                Err(e) => {
                    items.push(Err(RowError::row(city.line, &city.at, e.to_string())));
                    continue;
                }
            }
        }
        taken.insert(id.clone());
        ids.insert(city.qid.as_str(), id.clone());
        items.push(Ok(Item {
            line: city.line,
            at: city.at.clone(),
            record: Record::Node {
                node: city.node(id),
                id_given: false,
                partial: true,
            },
        }));
    }
    for tie in ties {
        if let (Some(a), Some(b)) = (ids.get(tie.key.0.as_str()), ids.get(tie.key.1.as_str())) {
            let members = vec![a.clone(), b.clone()];
            items.push(tie.link(members));
        }
    }
    Ok(items)
}

/// A city as the rows describe it.
struct City {
    line: u64,
    at: String,
    qid: String,
    label: Option<Term>,
    /// Every language-tagged label the rows give, the first per language.
    names: BTreeMap<String, String>,
    country: Option<CountryCode>,
    /// A two-letter code that is not ISO 3166-1's (`XK`), kept in `attrs.country_code`.
    other_code: Option<String>,
    location: Option<Location>,
}

impl City {
    fn fill(&mut self, other: City) {
        for (lang, name) in other.names {
            self.names.entry(lang).or_insert(name);
        }
        if self.label.is_none() {
            self.label = other.label;
        }
        if self.country.is_none() && self.other_code.is_none() {
            self.country = other.country;
            self.other_code = other.other_code;
        }
        if self.location.is_none() {
            self.location = other.location;
        }
    }

    /// The name: the label, or the Q-id for an item without one.
    fn name(&self) -> &str {
        self.label.as_ref().map_or(&self.qid, |l| &l.value)
    }

    /// The id a new node takes: derived from kind, country and name, as every import
    /// derives it (`city:de:berlin`); from the Q-id when the name has no letter.
    fn node_id(&self) -> Option<NodeId> {
        let country = Some(
            self.country
                .as_ref()
                .map(CountryCode::as_str)
                .or(self.other_code.as_deref())
                .unwrap_or("xx"),
        );
        NodeId::derive("city", country, self.name())
            .or_else(|| NodeId::derive("city", country, &self.qid))
    }

    fn node(&self, id: NodeId) -> Node {
        Node {
            id,
            kind: NodeKind::City,
            name: self.name().to_string(),
            names: self.names.clone(),
            country: self.country,
            region: None,
            location: self.location,
            population: None,
            external_ids: BTreeMap::from([("wikidata".to_string(), self.qid.clone())]),
            tags: Vec::new(),
            attrs: self
                .other_code
                .iter()
                .map(|code| ("country_code".to_string(), Value::String(code.clone())))
                .collect(),
        }
    }
}

/// Reads the city bound to `var` and its label, country and coordinates.
fn city(row: &Row, var: &str) -> Result<City, RowError> {
    let item = row.get(var).ok_or_else(|| {
        row.error(
            var,
            format!("`{var}` is not bound: each row needs a city and its twin"),
        )
    })?;
    let qid = qid(&item.value).ok_or_else(|| {
        row.error(
            var,
            format!(
                "`{}` is not a Wikidata item (expected {ENTITY_PREFIX}Q… or Q…)",
                item.value
            ),
        )
    })?;
    let label = row
        .get(&format!("{var}Label"))
        .filter(|l| l.value.trim() != qid)
        .map(|l| Term {
            value: l.value.trim().to_string(),
            lang: l.lang.clone(),
        });
    // A code outside ISO 3166-1 (Wikidata gives Kosovo `XK`) is kept in `attrs`, as
    // the edge list keeps it, and still names the id; anything else is refused.
    let (country, other_code) = match row.get(&format!("{var}Country")) {
        None => (None, None),
        Some(code) => {
            let code = code.value.trim();
            match code.parse::<CountryCode>() {
                Ok(code) => (Some(code), None),
                Err(_) if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    (None, Some(code.to_ascii_uppercase()))
                }
                Err(e) => return Err(row.error(&format!("{var}Country"), e.to_string())),
            }
        }
    };
    let coord_var = format!("{var}Coord");
    let location = match row.get(&coord_var) {
        None => None,
        Some(wkt) => Some(point(&wkt.value).map_err(|reason| row.error(&coord_var, reason))?),
    };
    let names = label
        .iter()
        .filter_map(|l| Some((l.lang.clone()?, l.value.clone())))
        .collect();
    Ok(City {
        line: row.line,
        at: row.at.clone(),
        qid,
        label,
        names,
        country,
        other_code,
        location,
    })
}

/// `Q64` from an entity IRI or a bare Q-id.
fn qid(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let id = raw.strip_prefix(ENTITY_PREFIX).unwrap_or(raw);
    let digits = id.strip_prefix('Q')?;
    (!digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| id.to_string())
}

/// A WKT `Point(lon lat)` on Earth (a literal naming another globe is refused).
fn point(raw: &str) -> Result<Location, String> {
    let mut text = raw.trim();
    if let Some(rest) = text.strip_prefix('<') {
        let (globe, rest) = rest
            .split_once('>')
            .ok_or_else(|| format!("`{raw}` is not a WKT point"))?;
        if globe != "http://www.wikidata.org/entity/Q2" {
            return Err(format!("`{raw}` is not on Earth (its globe is {globe})"));
        }
        text = rest.trim();
    }
    let inner = text
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("point("))
        .and_then(|_| text[6..].strip_suffix(')'))
        .ok_or_else(|| format!("`{raw}` is not a WKT point such as Point(37.62 55.75)"))?;
    let mut parts = inner.split_whitespace();
    let (Some(lon), Some(lat), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "`{raw}` needs two numbers, longitude then latitude"
        ));
    };
    let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    let (Some(lon), Some(lat)) = (number(lon), number(lat)) else {
        return Err(format!("`{raw}` holds a coordinate that is not a number"));
    };
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!(
            "`{raw}` is out of range: latitude {lat} must be within ±90 and longitude {lon} within ±180"
        ));
    }
    Ok(Location { lat, lon })
}

/// What the rows say of one pair.
struct Tie {
    line: u64,
    at: String,
    /// The pair's Q-ids, in order.
    key: (String, String),
    signed: Option<Dated>,
    ended: Option<Dated>,
    statement: Option<String>,
    reference: Option<String>,
}

/// A time qualifier: a date, or a time too coarse for one (kept as it came).
#[derive(Clone)]
enum Dated {
    Date(PartialDate),
    Coarse { time: String, precision: u8 },
}

impl Tie {
    fn fill(&mut self, other: Tie) {
        if self.signed.is_none() {
            self.signed = other.signed;
        }
        if self.ended.is_none() {
            self.ended = other.ended;
        }
        if self.statement.is_none() {
            self.statement = other.statement;
        }
        if self.reference.is_none() {
            self.reference = other.reference;
        }
    }

    fn link(self, members: Vec<NodeId>) -> Result<Item, RowError> {
        let kind = LinkKind::Twinning;
        let canonical = Link::canonical_members(kind, &members);
        let id = LinkId::derive(kind.as_str(), &canonical).map_err(|e| {
            RowError::row(self.line, &self.at, format!("cannot derive a link id: {e}"))
        })?;
        let mut attrs = Map::new();
        let mut date = |dated: Option<Dated>, name: &str| match dated {
            Some(Dated::Date(date)) => Some(date),
            Some(Dated::Coarse { time, precision }) => {
                attrs.insert(format!("{name}_time"), Value::String(time));
                attrs.insert(format!("{name}_precision"), json!(precision));
                None
            }
            None => None,
        };
        let signed = date(self.signed, "start");
        let ended = date(self.ended, "end");
        if let Some(reference) = self.reference {
            attrs.insert("reference_url".into(), Value::String(reference));
        }
        let link = Link {
            id,
            kind,
            members: canonical,
            status: Default::default(),
            evidence: Evidence::Stated,
            signed,
            ended,
            areas: Vec::new(),
            source: Some(Source {
                document: Some(DOCUMENT.to_string()),
                url: self.statement,
                quote: None,
            }),
            notes: None,
            attrs,
        };
        Ok(Item {
            line: self.line,
            at: self.at,
            record: Record::PartialLink(link),
        })
    }
}

fn tie(row: &Row, a: &str, b: &str) -> Result<Tie, RowError> {
    let key = if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    };
    let url = |var: &str| row.get(var).map(|t| t.value.trim().to_string());
    Ok(Tie {
        line: row.line,
        at: row.at.clone(),
        key,
        signed: time(row, "start")?,
        ended: time(row, "end")?,
        statement: url("statement"),
        reference: url("reference"),
    })
}

/// The time bound to `var`, at the precision bound to `{var}Precision` (or inferred).
fn time(row: &Row, var: &str) -> Result<Option<Dated>, RowError> {
    let Some(raw) = row.get(var) else {
        return Ok(None);
    };
    let raw = raw.value.trim();
    let precision_var = format!("{var}Precision");
    let given = match row.get(&precision_var) {
        None => None,
        Some(p) => Some(
            p.value
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= 14)
                .ok_or_else(|| {
                    row.error(
                        &precision_var,
                        format!("`{}` is not a Wikidata time precision (0–14)", p.value),
                    )
                })?,
        ),
    };
    let fail = |reason: String| row.error(var, reason);
    let (year, month, day, midnight) = split_time(raw).ok_or_else(|| {
        fail(format!(
            "`{raw}` is not an xsd:dateTime such as 1991-01-01T00:00:00Z"
        ))
    })?;
    let precision = given.unwrap_or(match (month, day, midnight) {
        (1, 1, true) => 9,
        (_, 1, true) => 10,
        _ => 11,
    });
    if precision < 9 {
        return Ok(Some(Dated::Coarse {
            time: raw.to_string(),
            precision,
        }));
    }
    let year = u16::try_from(year)
        .ok()
        .filter(|y| (1..=9999).contains(y))
        .ok_or_else(|| fail(format!("`{raw}`: the year must be between 1 and 9999")))?;
    let date = match precision {
        9 => PartialDate::new(year, None, None),
        10 => PartialDate::new(year, Some(month), None),
        _ => PartialDate::new(year, Some(month), Some(day)),
    }
    .map_err(|reason| fail(format!("`{raw}`: {reason}")))?;
    Ok(Some(Dated::Date(date)))
}

/// Year, month, day, and whether the time is midnight, of `[-]YYYY-MM-DDThh:mm:ss[…]`.
fn split_time(raw: &str) -> Option<(i64, u8, u8, bool)> {
    let (negative, rest) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let (date, clock) = rest.split_once('T').unwrap_or((rest, ""));
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let midnight = clock.is_empty() || clock.starts_with("00:00:00");
    Some((if negative { -year } else { year }, month, day, midnight))
}

/// Refuses a variable this format does not read.
fn check_variables<'a>(vars: impl IntoIterator<Item = &'a str>, line: u64) -> Result<(), RowError> {
    let mut seen = std::collections::HashSet::new();
    for var in vars {
        if !VARIABLES.contains(&var) {
            return Err(RowError::fatal(
                line,
                var,
                format!(
                    "unknown variable `{var}` (a Wikidata twinning result binds: {})",
                    VARIABLES.join(", ")
                ),
            ));
        }
        if !seen.insert(var) {
            return Err(RowError::fatal(
                line,
                var,
                format!("variable `{var}` is named twice"),
            ));
        }
    }
    for needed in ["city", "twin"] {
        if !seen.contains(needed) {
            return Err(RowError::fatal(
                line,
                needed,
                format!("a Wikidata twinning result needs the variable `{needed}`"),
            ));
        }
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct JsonResults {
    head: JsonHead,
    results: JsonBindings,
}

#[derive(serde::Deserialize)]
struct JsonHead {
    vars: Vec<String>,
}

#[derive(serde::Deserialize)]
struct JsonBindings {
    bindings: Vec<HashMap<String, JsonTerm>>,
}

#[derive(serde::Deserialize)]
struct JsonTerm {
    #[serde(rename = "type")]
    kind: String,
    value: String,
    #[serde(rename = "xml:lang")]
    lang: Option<String>,
}

fn json_rows(bytes: &[u8]) -> Result<Vec<Row>, RowError> {
    if let Some(path) = super::json::duplicate_key(bytes) {
        return Err(RowError::fatal(
            0,
            path.clone(),
            super::json::duplicate_key_detail(&path),
        ));
    }
    let doc: JsonResults = serde_json::from_slice(bytes).map_err(|e| {
        RowError::fatal(
            e.line() as u64,
            "-",
            format!(
                "not SPARQL 1.1 results JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    check_variables(doc.head.vars.iter().map(String::as_str), 0)?;
    doc.results
        .bindings
        .into_iter()
        .enumerate()
        .map(|(i, binding)| {
            let at = format!("results.bindings[{i}]");
            let mut bound = HashMap::with_capacity(binding.len());
            for (var, term) in binding {
                if !doc.head.vars.contains(&var) {
                    return Err(RowError::fatal(
                        0,
                        format!("{at}.{var}"),
                        format!("`{var}` is bound but not listed in head.vars"),
                    ));
                }
                if !matches!(
                    term.kind.as_str(),
                    "uri" | "literal" | "typed-literal" | "bnode"
                ) {
                    return Err(RowError::fatal(
                        0,
                        format!("{at}.{var}.type"),
                        format!(
                            "`{}` is not an RDF term type (uri, literal, bnode)",
                            term.kind
                        ),
                    ));
                }
                bound.insert(
                    var,
                    Term {
                        value: term.value,
                        lang: term.lang,
                    },
                );
            }
            Ok(Row { line: 0, at, bound })
        })
        .collect()
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<Row>, RowError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| super::csv_error(&e, 1))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    check_variables(headers.iter().map(String::as_str), 1)?;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut done = false;
    while !done {
        match super::next_csv_row(&mut reader, &mut record, &mut done) {
            super::CsvNext::Row(line) => rows.push(Row {
                line,
                at: String::new(),
                bound: headers
                    .iter()
                    .zip(record.iter())
                    .map(|(var, value)| {
                        (
                            var.clone(),
                            Term {
                                value: value.to_string(),
                                lang: None,
                            },
                        )
                    })
                    .collect(),
            }),
            super::CsvNext::End => {}
            super::CsvNext::Error(e) => return Err(RowError { fatal: true, ..e }),
        }
    }
    Ok(rows)
}

fn tsv_rows(bytes: &[u8]) -> Result<Vec<Row>, RowError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        RowError::fatal(
            line,
            "-",
            format!("not UTF-8: {e} (save the file as UTF-8)"),
        )
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let header = lines.next().unwrap_or("");
    let vars: Vec<String> = header
        .split('\t')
        .map(|v| v.trim().trim_start_matches(['?', '$']).to_string())
        .collect();
    check_variables(vars.iter().map(String::as_str), 1)?;
    let mut rows = Vec::new();
    for (i, raw) in lines.enumerate() {
        let line = i as u64 + 2;
        if raw.is_empty() {
            continue;
        }
        let cells: Vec<&str> = raw.split('\t').collect();
        if cells.len() != vars.len() {
            return Err(RowError::fatal(
                line,
                "-",
                format!(
                    "line {line} has {} cells where the header names {} variables",
                    cells.len(),
                    vars.len()
                ),
            ));
        }
        let mut bound = HashMap::new();
        for (column, (var, cell)) in vars.iter().zip(cells).enumerate() {
            if cell.is_empty() {
                continue;
            }
            let term = rdf_term(cell).map_err(|reason| {
                RowError::fatal(line, var, format!("column {}: {reason}", column + 1))
            })?;
            bound.insert(var.clone(), term);
        }
        rows.push(Row {
            line,
            at: String::new(),
            bound,
        });
    }
    Ok(rows)
}

/// An RDF term as SPARQL TSV writes it: `<iri>`, `"literal"`, `"literal"@lang`,
/// `"literal"^^<datatype>`, `_:blank`, or a bare number or boolean.
fn rdf_term(cell: &str) -> Result<Term, String> {
    let plain = |value: &str| Term {
        value: value.to_string(),
        lang: None,
    };
    if let Some(iri) = cell.strip_prefix('<') {
        let iri = iri
            .strip_suffix('>')
            .ok_or_else(|| format!("`{cell}` opens an IRI that does not close"))?;
        return Ok(plain(iri));
    }
    if cell.starts_with("_:") {
        return Ok(plain(cell));
    }
    let Some(quoted) = cell.strip_prefix('"') else {
        // Numbers and booleans may be written bare.
        return Ok(plain(cell));
    };
    let mut value = String::with_capacity(quoted.len());
    let mut chars = quoted.char_indices();
    let rest = loop {
        let Some((i, c)) = chars.next() else {
            return Err(format!("`{cell}` opens a literal that does not close"));
        };
        match c {
            '"' => break &quoted[i + 1..],
            '\\' => {
                let escaped = match chars.next() {
                    Some((_, 't')) => '\t',
                    Some((_, 'n')) => '\n',
                    Some((_, 'r')) => '\r',
                    Some((_, 'b')) => '\u{8}',
                    Some((_, 'f')) => '\u{c}',
                    Some((_, '"')) => '"',
                    Some((_, '\'')) => '\'',
                    Some((_, '\\')) => '\\',
                    Some((j, u @ ('u' | 'U'))) => {
                        let width = if u == 'u' { 4 } else { 8 };
                        let hex = quoted
                            .get(j + 1..j + 1 + width)
                            .ok_or_else(|| format!("`{cell}` has a short \\{u} escape"))?;
                        let code = u32::from_str_radix(hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("`{cell}` has a bad \\{u} escape"))?;
                        for _ in 0..width {
                            chars.next();
                        }
                        code
                    }
                    _ => return Err(format!("`{cell}` has an unknown escape")),
                };
                value.push(escaped);
            }
            c => value.push(c),
        }
    };
    let lang = if let Some(tag) = rest.strip_prefix('@') {
        Some(tag.to_string())
    } else if let Some(datatype) = rest.strip_prefix("^^") {
        let iri = datatype.starts_with('<') && datatype.ends_with('>');
        // A prefixed name (`xsd:dateTime`) holds a colon.
        if !iri && !datatype.contains(':') {
            return Err(format!("`{cell}` has a malformed datatype"));
        }
        None
    } else if rest.is_empty() {
        None
    } else {
        return Err(format!("`{cell}` has text after its closing quote"));
    };
    Ok(Term { value, lang })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(bytes: &[u8], dialect: Dialect) -> (Vec<Node>, Vec<Link>, Vec<RowError>) {
        let (mut nodes, mut links, mut errors) = (Vec::new(), Vec::new(), Vec::new());
        for item in read(bytes, dialect).unwrap() {
            match item {
                Ok(Item {
                    record: Record::Node { node, .. },
                    ..
                }) => nodes.push(node),
                Ok(Item {
                    record: Record::PartialLink(link),
                    ..
                }) => links.push(link),
                Ok(other) => panic!("a Wikidata result gave {other:?}"),
                Err(e) => errors.push(e),
            }
        }
        (nodes, links, errors)
    }

    const JSON: &str = r#"{
      "head": {"vars": ["city","cityLabel","cityCountry","cityCoord","twin","twinLabel","twinCountry","twinCoord","start","startPrecision","end","statement"]},
      "results": {"bindings": [
        {"city": {"type":"uri","value":"http://www.wikidata.org/entity/Q64"},
         "cityLabel": {"type":"literal","xml:lang":"de","value":"Berlin"},
         "cityCountry": {"type":"literal","value":"DE"},
         "cityCoord": {"type":"literal","datatype":"http://www.opengis.net/ont/geosparql#wktLiteral","value":"Point(13.383333333 52.516666666)"},
         "twin": {"type":"uri","value":"http://www.wikidata.org/entity/Q649"},
         "twinLabel": {"type":"literal","xml:lang":"de","value":"Moskau"},
         "twinCountry": {"type":"literal","value":"RU"},
         "start": {"type":"literal","datatype":"http://www.w3.org/2001/XMLSchema#dateTime","value":"1991-01-01T00:00:00Z"},
         "startPrecision": {"type":"literal","datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"9"},
         "statement": {"type":"uri","value":"http://www.wikidata.org/entity/statement/Q64-1"}},
        {"city": {"type":"uri","value":"http://www.wikidata.org/entity/Q649"},
         "cityLabel": {"type":"literal","xml:lang":"de","value":"Moskau"},
         "twin": {"type":"uri","value":"http://www.wikidata.org/entity/Q64"},
         "twinCoord": {"type":"literal","value":"Point(13.4 52.5)"},
         "end": {"type":"literal","value":"2022-03-15T00:00:00Z"}},
        {"city": {"type":"uri","value":"http://www.wikidata.org/entity/Q99999"},
         "cityLabel": {"type":"literal","xml:lang":"en","value":"Q99999"},
         "twin": {"type":"uri","value":"http://www.wikidata.org/entity/Q64"},
         "start": {"type":"literal","value":"1990-01-01T00:00:00Z"},
         "startPrecision": {"type":"literal","value":"8"}}
      ]}
    }"#;

    #[test]
    fn json_results_become_cities_and_one_link_per_pair() {
        let (nodes, links, errors) = records(JSON.as_bytes(), Dialect::Json);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(nodes.len(), 3);
        let berlin = &nodes[0];
        assert_eq!(berlin.id.as_ref(), "city:de:berlin");
        assert_eq!(berlin.names.get("de").map(String::as_str), Some("Berlin"));
        assert_eq!(berlin.external_ids["wikidata"], "Q64");
        // The first row's coordinates win over the second's.
        let location = berlin.location.unwrap();
        assert!((location.lat - 52.516666666).abs() < 1e-9);
        // Moscow's country comes from the first row, where it is the twin.
        assert_eq!(nodes[1].id.as_ref(), "city:ru:moskau");
        assert_eq!(nodes[1].location, None);
        // A label that is only the Q-id is no label.
        assert_eq!(nodes[2].name, "Q99999");
        assert!(nodes[2].names.is_empty());
        // Both directions of Berlin–Moscow are one link; the second row fills the end.
        assert_eq!(links.len(), 2);
        let berlin_moscow = &links[0];
        assert_eq!(
            berlin_moscow.signed.map(|d| d.to_string()),
            Some("1991".into())
        );
        assert_eq!(
            berlin_moscow.ended.map(|d| d.to_string()),
            Some("2022-03-15".into())
        );
        let source = berlin_moscow.source.as_ref().unwrap();
        assert_eq!(source.document.as_deref(), Some(DOCUMENT));
        assert_eq!(
            source.url.as_deref(),
            Some("http://www.wikidata.org/entity/statement/Q64-1")
        );
        // A decade is kept as it came, not as a date.
        let decade = &links[1];
        assert_eq!(decade.signed, None);
        assert_eq!(decade.attrs["start_precision"], json!(8));
        assert_eq!(decade.attrs["start_time"], json!("1990-01-01T00:00:00Z"));
    }

    #[test]
    fn times_without_a_precision_take_the_one_their_value_shows() {
        let csv = "city,twin,start\nQ1,Q2,1991-01-01T00:00:00Z\nQ3,Q4,1991-07-01T00:00:00Z\nQ5,Q6,1991-07-17T00:00:00Z\n";
        let (_, links, errors) = records(csv.as_bytes(), Dialect::Csv);
        assert!(errors.is_empty(), "{errors:?}");
        let dates: Vec<String> = links
            .iter()
            .map(|l| l.signed.unwrap().to_string())
            .collect();
        assert_eq!(dates, ["1991", "1991-07", "1991-07-17"]);
    }

    #[test]
    fn tsv_terms_keep_language_tags_and_read_escapes() {
        let tsv = "?city\t?cityLabel\t?twin\t?twinLabel\t?twinCoord\n\
            <http://www.wikidata.org/entity/Q1490>\t\"東京都\"@ja\t<http://www.wikidata.org/entity/Q90>\t\"Pa\\\"ris\"@fr\t\"Point(2.35 48.85)\"^^<http://www.opengis.net/ont/geosparql#wktLiteral>\n";
        let (nodes, _, errors) = records(tsv.as_bytes(), Dialect::Tsv);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(nodes[0].names["ja"], "東京都");
        assert_eq!(nodes[1].name, "Pa\"ris");
        assert!((nodes[1].location.unwrap().lon - 2.35).abs() < 1e-12);
    }

    #[test]
    fn bad_rows_are_named_and_the_rest_is_read() {
        let csv = "city,twin,twinCoord,start\n\
            Q1,Q2,Point(200 10),\n\
            Q1,,,\n\
            Q1,Q1,,\n\
            Q3,Q4,,-0500-01-01T00:00:00Z\n\
            Q5,Q6,<http://www.wikidata.org/entity/Q405> Point(1 1),\n\
            Q7,Q8,Point(1 1),1991-02-30T00:00:00Z\n\
            Q9,Q10,,\n";
        let (_, links, errors) = records(csv.as_bytes(), Dialect::Csv);
        let said: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            said,
            [
                (2, "twinCoord"),
                (3, "twin"),
                (4, "twin"),
                (5, "start"),
                (6, "twinCoord"),
                (7, "start")
            ]
        );
        assert!(
            errors[0].reason.contains("out of range"),
            "{}",
            errors[0].reason
        );
        assert_eq!(links.len(), 1);
    }

    #[test]
    fn a_code_outside_iso_is_kept_and_names_the_id() {
        let csv = "city,cityLabel,cityCountry,twin,twinCountry\nQ1,Prizren,XK,Q2,X1\nQ3,Prishtina,XK,Q4,AL\n";
        let (nodes, _, errors) = records(csv.as_bytes(), Dialect::Csv);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].column, "twinCountry");
        assert_eq!(nodes[0].id.as_ref(), "city:xk:prishtina");
        assert_eq!(nodes[0].country, None);
        assert_eq!(nodes[0].attrs["country_code"], json!("XK"));
    }

    #[test]
    fn unknown_or_missing_variables_stop_the_file() {
        for csv in [
            "city,twin,population\nQ1,Q2,3\n",
            "city,cityLabel\nQ1,A\n",
            "city,twin,twin\nQ1,Q2,Q3\n",
        ] {
            let error = read(csv.as_bytes(), Dialect::Csv).err().unwrap();
            assert!(error.fatal, "{csv}");
        }
        let error = read(b"{\"head\":{\"vars\":[\"city\",\"twin\"]},\"results\":{\"bindings\":[{\"town\":{\"type\":\"uri\",\"value\":\"Q1\"}}]}}", Dialect::Json)
            .err()
            .unwrap();
        assert_eq!(error.column, "results.bindings[0].town");
    }

    #[test]
    fn json_errors_give_line_and_column() {
        let error = read(
            b"{\n \"head\": {\"vars\": [\"city\"]},\n \"results\": [",
            Dialect::Json,
        )
        .err()
        .unwrap();
        assert!(error.reason.contains("line 3"), "{}", error.reason);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            for dialect in [Dialect::Json, Dialect::Csv, Dialect::Tsv] {
                let _ = read(&bytes, dialect);
            }
        }

        #[test]
        fn arbitrary_cells_never_panic(cells in proptest::collection::vec("[ -~\t\"<>@^:QP()0-9.\\\\-]{0,30}", 4)) {
            let tsv = format!("?city\t?twin\t?start\t?twinCoord\n{}\n", cells.join("\t"));
            let _ = read(tsv.as_bytes(), Dialect::Tsv);
            let csv = format!("city,twin,start,twinCoord\n\"{}\"\n", cells.iter().map(|c| c.replace('"', "\"\"")).collect::<Vec<_>>().join("\",\""));
            let _ = read(csv.as_bytes(), Dialect::Csv);
        }
    }
}
