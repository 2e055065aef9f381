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
//! (`;`-separated, three for a trilateral link), `status`, `signed` (also `since`,
//! `year`), `ended`, `areas` (`;`-separated), `source_document`, `source_url`,
//! `source_quote`, `notes`, `attrs` (a JSON object).
//!
//! A trilateral agreement may also arrive as three two-member rows, as graph tools
//! write it: rows sharing an `id` are one link; rows without one are joined into the
//! triangles they close (a leftover pair of rows sharing a member closes at the end of
//! the file); a row that closes nothing is refused.
//!
//! An unknown column is refused before any row is read, naming the column.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use serde_json::{Map, Value};

use crate::model::{
    CountryCode, Link, LinkId, LinkKind, LinkStatus, Location, Node, NodeId, NodeKind, PartialDate,
    Source,
};
use crate::service::{Item, Record, RowError};

/// Which table a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// One node per row.
    Nodes,
    /// One link (or one pair of a trilateral link) per row.
    Links,
}

#[derive(Clone, Debug, PartialEq)]
enum NodeColumn {
    Id,
    Kind,
    Name,
    NameIn(String),
    Country,
    Region,
    Lat,
    Lon,
    Population,
    ExternalId(String),
    Tags,
    Attrs,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum LinkColumn {
    Id,
    Kind,
    Source,
    Target,
    Members,
    Status,
    Signed,
    Ended,
    Areas,
    Document,
    Url,
    Quote,
    Notes,
    Attrs,
}

/// A header name without its neo4j type (`lat:double` → `lat`; `:ID` → `:ID`).
fn plain(header: &str) -> (String, String) {
    let header = header.trim().trim_start_matches('\u{feff}');
    match header.rfind(':') {
        Some(0) | None => (header.to_string(), String::new()),
        Some(i) => (header[..i].to_string(), header[i + 1..].to_string()),
    }
}

fn node_column(header: &str) -> Option<NodeColumn> {
    let (name, ty) = plain(header);
    Some(match (name.as_str(), ty.as_str()) {
        (_, "ID") | (":ID", _) => NodeColumn::Id,
        (":LABEL", _) | ("kind", _) => NodeColumn::Kind,
        ("id", _) => NodeColumn::Id,
        ("name", _) => NodeColumn::Name,
        ("country", _) => NodeColumn::Country,
        ("region", _) => NodeColumn::Region,
        ("lat", _) => NodeColumn::Lat,
        ("lon", _) => NodeColumn::Lon,
        ("population", _) => NodeColumn::Population,
        ("tags", _) => NodeColumn::Tags,
        ("attrs", _) => NodeColumn::Attrs,
        (other, _) => {
            if let Some(lang) = other.strip_prefix("name_") {
                NodeColumn::NameIn(lang.to_string())
            } else if let Some(key) = other.strip_prefix("external_id_") {
                NodeColumn::ExternalId(key.to_string())
            } else {
                return None;
            }
        }
    })
}

fn link_column(header: &str) -> Option<LinkColumn> {
    let (name, _) = plain(header);
    Some(match name.as_str() {
        "id" | "link_id" => LinkColumn::Id,
        "kind" | ":TYPE" => LinkColumn::Kind,
        "source" | "src" | "from" | ":START_ID" => LinkColumn::Source,
        "target" | "dst" | "to" | ":END_ID" => LinkColumn::Target,
        "members" => LinkColumn::Members,
        "status" => LinkColumn::Status,
        "signed" | "since" | "year" => LinkColumn::Signed,
        "ended" => LinkColumn::Ended,
        "areas" => LinkColumn::Areas,
        "source_document" | "document" => LinkColumn::Document,
        "source_url" | "url" => LinkColumn::Url,
        "source_quote" | "quote" => LinkColumn::Quote,
        "notes" => LinkColumn::Notes,
        "attrs" => LinkColumn::Attrs,
        _ => return None,
    })
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

fn csv_error(e: &csv::Error, line: u64) -> RowError {
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

fn split_list(raw: &str) -> Vec<String> {
    raw.split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn json_object(raw: &str, line: u64, column: &str) -> Result<Map<String, Value>, RowError> {
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

fn link_kind(raw: &str) -> Option<LinkKind> {
    by_name(&LinkKind::ALL, LinkKind::as_str, raw)
}

/// Streams nodes from a nodes table.
struct NodeRows<R: Read> {
    reader: csv::Reader<R>,
    columns: Vec<NodeColumn>,
    row: csv::StringRecord,
    done: bool,
}

impl<R: Read> NodeRows<R> {
    fn new(reader: csv::Reader<R>, headers: &csv::StringRecord) -> Result<Self, RowError> {
        let columns = headers
            .iter()
            .map(|h| node_column(h).ok_or_else(|| unknown(h, "nodes")))
            .collect::<Result<Vec<_>, _>>()?;
        if !columns.contains(&NodeColumn::Name) && !columns.contains(&NodeColumn::Id) {
            return Err(RowError::fatal(
                1,
                "name",
                "a nodes table needs a `name` or an `id` column",
            ));
        }
        Ok(Self {
            reader,
            columns,
            row: csv::StringRecord::new(),
            done: false,
        })
    }

    fn node(&self, line: u64) -> Result<Item, RowError> {
        let mut id = None;
        let mut kind = NodeKind::City;
        let mut name = None;
        let mut names = BTreeMap::new();
        let mut country = None;
        let mut region = None;
        let (mut lat, mut lon) = (None, None);
        let mut population = None;
        let mut external_ids = BTreeMap::new();
        let mut tags = Vec::new();
        let mut attrs = Map::new();
        for (column, text) in self.columns.iter().zip(self.row.iter()) {
            // Free text keeps its spaces; codes, numbers and ids are trimmed.
            let raw = text.trim();
            if raw.is_empty() {
                continue;
            }
            let field = |c: &str| c.to_string();
            match column {
                NodeColumn::Id => {
                    id = Some(
                        NodeId::new(raw).map_err(|e| RowError::row(line, "id", e.to_string()))?,
                    )
                }
                NodeColumn::Kind => {
                    kind = by_name(&NodeKind::ALL, NodeKind::as_str, raw).ok_or_else(|| {
                        RowError::row(
                            line,
                            "kind",
                            format!("`{raw}` is not a node kind (city, association, state)"),
                        )
                    })?
                }
                NodeColumn::Name => name = Some(text.to_string()),
                NodeColumn::NameIn(lang) => {
                    names.insert(lang.clone(), text.to_string());
                }
                NodeColumn::Country => {
                    country = Some(
                        raw.parse::<CountryCode>()
                            .map_err(|e| RowError::row(line, "country", e.to_string()))?,
                    )
                }
                NodeColumn::Region => region = Some(text.to_string()),
                NodeColumn::Lat => lat = Some(number(raw, line, "lat")?),
                NodeColumn::Lon => lon = Some(number(raw, line, "lon")?),
                NodeColumn::Population => {
                    population = Some(raw.parse::<u64>().map_err(|_| {
                        RowError::row(line, "population", format!("`{raw}` is not a whole number"))
                    })?)
                }
                NodeColumn::ExternalId(key) => {
                    external_ids.insert(key.clone(), raw.to_string());
                }
                NodeColumn::Tags => tags = split_list(raw),
                NodeColumn::Attrs => attrs = json_object(raw, line, &field("attrs"))?,
            }
        }
        let location = match (lat, lon) {
            (Some(lat), Some(lon)) => Some(Location { lat, lon }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(RowError::row(line, "lon", "`lat` is given, `lon` is empty"))
            }
            (None, Some(_)) => {
                return Err(RowError::row(line, "lat", "`lon` is given, `lat` is empty"))
            }
        };
        let id_given = id.is_some();
        let name = match (name, &id) {
            (Some(name), _) => name,
            (None, Some(id)) => id.to_string(),
            (None, None) => {
                return Err(RowError::row(line, "name", "a node needs a name or an id"))
            }
        };
        let id = match id {
            Some(id) => id,
            None => NodeId::derive(
                kind.as_str(),
                country.as_ref().map(CountryCode::as_str),
                &name,
            )
            .ok_or_else(|| {
                RowError::row(
                    line,
                    "name",
                    "no letter or digit to derive an id from; give an `id`",
                )
            })?,
        };
        let node = Node {
            id,
            kind,
            name,
            names,
            country,
            region,
            location,
            population,
            external_ids,
            tags,
            attrs,
        };
        Ok(Item {
            line,
            at: String::new(),
            record: Record::Node { node, id_given },
        })
    }
}

impl<R: Read> Iterator for NodeRows<R> {
    type Item = Result<Item, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let line = self.reader.position().line().max(1) + 1;
        match self.reader.read_record(&mut self.row) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let line = self.row.position().map_or(line, |p| p.line());
                Some(self.node(line))
            }
            Err(e) => {
                let error = csv_error(&e, line);
                self.done = error.fatal;
                Some(Err(error))
            }
        }
    }
}

/// One two-member row of a trilateral link, waiting for the rest of its triangle.
struct OpenPair {
    line: u64,
    members: [NodeId; 2],
    template: Link,
}

/// Streams links from a links table.
struct LinkRows<R: Read> {
    reader: csv::Reader<R>,
    columns: Vec<LinkColumn>,
    default_kind: LinkKind,
    row: csv::StringRecord,
    done: bool,
    /// Trilateral rows grouped by their given id.
    by_id: HashMap<String, (u64, Vec<NodeId>, Link)>,
    /// Trilateral links completed from rows with ids (a third row names no new member).
    completed: HashMap<String, Vec<NodeId>>,
    /// Trilateral rows without an id, by member.
    open: Vec<OpenPair>,
    open_by_member: HashMap<NodeId, Vec<usize>>,
    /// Links ready to hand out (from closing triangles, and at the end of the file).
    ready: std::collections::VecDeque<Result<Item, RowError>>,
}

impl<R: Read> LinkRows<R> {
    fn new(
        reader: csv::Reader<R>,
        headers: &csv::StringRecord,
        default_kind: LinkKind,
    ) -> Result<Self, RowError> {
        let columns = headers
            .iter()
            .map(|h| link_column(h).ok_or_else(|| unknown(h, "links")))
            .collect::<Result<Vec<_>, _>>()?;
        let has = |c: LinkColumn| columns.contains(&c);
        if !(has(LinkColumn::Members) || has(LinkColumn::Source) && has(LinkColumn::Target)) {
            return Err(RowError::fatal(
                1,
                "members",
                "a links table needs `source` and `target` columns, or a `members` column",
            ));
        }
        Ok(Self {
            reader,
            columns,
            default_kind,
            row: csv::StringRecord::new(),
            done: false,
            by_id: HashMap::new(),
            completed: HashMap::new(),
            open: Vec::new(),
            open_by_member: HashMap::new(),
            ready: std::collections::VecDeque::new(),
        })
    }

    /// The row as a link; `id` is empty when the row gave none (derived later).
    fn link(&self, line: u64) -> Result<(Option<String>, Link), RowError> {
        let mut id = None;
        let mut kind = self.default_kind;
        let (mut source, mut target) = (None, None);
        let mut members = Vec::new();
        let mut status = LinkStatus::default();
        let (mut signed, mut ended) = (None, None);
        let mut areas = Vec::new();
        let mut provenance = Source::default();
        let mut notes = None;
        let mut attrs = Map::new();
        let node = |raw: &str, column: &str| {
            NodeId::new(raw).map_err(|e| RowError::row(line, column, e.to_string()))
        };
        let date = |raw: &str, column: &str| {
            raw.parse::<PartialDate>()
                .map_err(|e| RowError::row(line, column, e.to_string()))
        };
        for (column, text) in self.columns.iter().zip(self.row.iter()) {
            let raw = text.trim();
            if raw.is_empty() {
                continue;
            }
            match column {
                LinkColumn::Id => id = Some(raw.to_string()),
                LinkColumn::Kind => {
                    kind = link_kind(raw).ok_or_else(|| {
                        RowError::row(line, "kind", format!("`{raw}` is not a link kind (twinning, friendship, trilateral, membership, located_in)"))
                    })?
                }
                LinkColumn::Source => source = Some(node(raw, "source")?),
                LinkColumn::Target => target = Some(node(raw, "target")?),
                LinkColumn::Members => {
                    members = split_list(raw)
                        .iter()
                        .map(|m| node(m, "members"))
                        .collect::<Result<_, _>>()?
                }
                LinkColumn::Status => {
                    status = by_name(&LinkStatus::ALL, LinkStatus::as_str, raw).ok_or_else(|| {
                        RowError::row(line, "status", format!("`{raw}` is not a status (active, planned, negotiating, suspended, ended)"))
                    })?
                }
                LinkColumn::Signed => signed = Some(date(raw, "signed")?),
                LinkColumn::Ended => ended = Some(date(raw, "ended")?),
                LinkColumn::Areas => areas = split_list(raw),
                LinkColumn::Document => provenance.document = Some(text.to_string()),
                LinkColumn::Url => provenance.url = Some(raw.to_string()),
                LinkColumn::Quote => provenance.quote = Some(text.to_string()),
                LinkColumn::Notes => notes = Some(text.to_string()),
                LinkColumn::Attrs => attrs = json_object(raw, line, "attrs")?,
            }
        }
        if members.is_empty() {
            members = match (source, target) {
                (Some(s), Some(t)) => vec![s, t],
                (None, _) => {
                    return Err(RowError::row(
                        line,
                        "source",
                        "the row names no source member",
                    ))
                }
                (_, None) => {
                    return Err(RowError::row(
                        line,
                        "target",
                        "the row names no target member",
                    ))
                }
            };
        }
        let source = (provenance != Source::default()).then_some(provenance);
        let placeholder =
            LinkId::new("pending").map_err(|e| RowError::row(line, "id", e.to_string()))?;
        Ok((
            id,
            Link {
                id: placeholder,
                kind,
                members,
                status,
                signed,
                ended,
                areas,
                source,
                notes,
                attrs,
            },
        ))
    }

    fn finish(line: u64, id: Option<String>, mut link: Link) -> Result<Item, RowError> {
        link.id = match id {
            Some(raw) => LinkId::new(raw).map_err(|e| RowError::row(line, "id", e.to_string()))?,
            None => LinkId::derive(
                link.kind.as_str(),
                &Link::canonical_members(link.kind, &link.members),
            )
            .map_err(|e| {
                RowError::row(
                    line,
                    "members",
                    format!("cannot derive a link id: {e}; give an `id`"),
                )
            })?,
        };
        Ok(Item {
            line,
            at: String::new(),
            record: Record::Link(link),
        })
    }

    /// Takes a two-member trilateral row; returns the link when it completes one.
    fn trilateral_pair(
        &mut self,
        line: u64,
        id: Option<String>,
        link: Link,
    ) -> Option<Result<Item, RowError>> {
        if let Some(id) = id {
            if let Some(members) = self.completed.get(&id) {
                if let Some(stray) = link.members.iter().find(|m| !members.contains(m)) {
                    return Some(Err(RowError::row(
                        line,
                        "members",
                        format!("trilateral link `{id}` already has three members; `{stray}` would be a fourth"),
                    )));
                }
                return None;
            }
            let entry = self
                .by_id
                .entry(id.clone())
                .or_insert_with(|| (line, Vec::new(), link.clone()));
            for m in link.members {
                if !entry.1.contains(&m) {
                    entry.1.push(m);
                }
            }
            if entry.1.len() < 3 {
                return None;
            }
            let (first, members, mut template) = self.by_id.remove(&id)?;
            self.completed.insert(id.clone(), members.clone());
            template.members = members;
            return Some(Self::finish(first, Some(id), template));
        }
        let [a, b] = [link.members[0].clone(), link.members[1].clone()];
        let closing = self.open_by_member.get(&a).and_then(|around_a| {
            around_a.iter().find_map(|&i| {
                let pair = &self.open[i].members;
                let c = if pair[0] == a { &pair[1] } else { &pair[0] };
                let j = self.open_by_member.get(&b)?.iter().copied().find(|&j| {
                    let other = &self.open[j].members;
                    other.contains(c) && other.contains(&b)
                })?;
                Some((i, j, c.clone()))
            })
        });
        match closing {
            Some((i, j, c)) => {
                self.close_pair(i);
                self.close_pair(j);
                let first = self.open[i].line.min(self.open[j].line);
                let mut template = self.open[i].template.clone();
                template.members = vec![a, b, c];
                Some(Self::finish(first, None, template))
            }
            None => {
                let index = self.open.len();
                self.open_by_member
                    .entry(a.clone())
                    .or_default()
                    .push(index);
                self.open_by_member
                    .entry(b.clone())
                    .or_default()
                    .push(index);
                self.open.push(OpenPair {
                    line,
                    members: [a, b],
                    template: link,
                });
                None
            }
        }
    }

    fn close_pair(&mut self, index: usize) {
        for m in self.open[index].members.clone() {
            if let Some(list) = self.open_by_member.get_mut(&m) {
                list.retain(|&i| i != index);
            }
        }
    }

    /// At the end of the file: pairs sharing a member close their triangle; the rest,
    /// and id groups of fewer than three members, are refused.
    fn drain_open(&mut self) {
        let mut open: Vec<usize> = (0..self.open.len())
            .filter(|&i| {
                self.open_by_member
                    .get(&self.open[i].members[0])
                    .is_some_and(|l| l.contains(&i))
            })
            .collect();
        open.sort_unstable();
        for &i in &open {
            if !self.is_open(i) {
                continue;
            }
            let pair = self.open[i].members.clone();
            let partner = pair.iter().find_map(|shared| {
                let j = self
                    .open_by_member
                    .get(shared)?
                    .iter()
                    .copied()
                    .find(|&j| j != i)?;
                Some((shared.clone(), j))
            });
            match partner {
                Some((shared, j)) => {
                    let other = &self.open[j].members;
                    let third = if other[0] == shared {
                        other[1].clone()
                    } else {
                        other[0].clone()
                    };
                    self.close_pair(i);
                    self.close_pair(j);
                    let mut template = self.open[i].template.clone();
                    template.members = vec![pair[0].clone(), pair[1].clone(), third];
                    let line = self.open[i].line.min(self.open[j].line);
                    self.ready.push_back(Self::finish(line, None, template));
                }
                None => {
                    self.close_pair(i);
                    self.ready.push_back(Err(RowError::row(
                        self.open[i].line,
                        "members",
                        "a two-member trilateral row whose triangle no other row closes: give the third member (`members` = a;b;c)",
                    )));
                }
            }
        }
        let mut groups: Vec<_> = self.by_id.drain().collect();
        groups.sort_by_key(|(_, (line, _, _))| *line);
        for (id, (line, members, _)) in groups {
            self.ready.push_back(Err(RowError::row(
                line,
                "members",
                format!(
                    "trilateral link `{id}` names {} members across its rows; it needs 3",
                    members.len()
                ),
            )));
        }
    }

    fn is_open(&self, index: usize) -> bool {
        self.open_by_member
            .get(&self.open[index].members[0])
            .is_some_and(|l| l.contains(&index))
    }
}

impl<R: Read> Iterator for LinkRows<R> {
    type Item = Result<Item, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return Some(ready);
            }
            if self.done {
                return None;
            }
            let line = self.reader.position().line().max(1) + 1;
            match self.reader.read_record(&mut self.row) {
                Ok(false) => {
                    self.done = true;
                    self.drain_open();
                }
                Ok(true) => {
                    let line = self.row.position().map_or(line, |p| p.line());
                    let (id, link) = match self.link(line) {
                        Ok(parsed) => parsed,
                        Err(e) => return Some(Err(e)),
                    };
                    if link.kind == LinkKind::Trilateral && link.members.len() == 2 {
                        if let Some(done) = self.trilateral_pair(line, id, link) {
                            return Some(done);
                        }
                        continue;
                    }
                    return Some(Self::finish(line, id, link));
                }
                Err(e) => {
                    let error = csv_error(&e, line);
                    self.done = error.fatal;
                    return Some(Err(error));
                }
            }
        }
    }
}

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
            node.id.to_string(),
            if neo {
                capitalised(node.kind.as_str())
            } else {
                node.kind.as_str().to_string()
            },
            node.name.clone(),
        ];
        row.extend(
            langs
                .iter()
                .map(|l| node.names.get(l).cloned().unwrap_or_default()),
        );
        row.push(
            node.country
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
        );
        row.push(node.region.clone().unwrap_or_default());
        row.push(node.location.map(|l| l.lat.to_string()).unwrap_or_default());
        row.push(node.location.map(|l| l.lon.to_string()).unwrap_or_default());
        row.push(node.population.map(|p| p.to_string()).unwrap_or_default());
        row.extend(
            keys.iter()
                .map(|k| node.external_ids.get(k).cloned().unwrap_or_default()),
        );
        row.push(node.tags.join(";"));
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
            link.signed.map(|d| d.to_string()).unwrap_or_default(),
            link.ended.map(|d| d.to_string()).unwrap_or_default(),
            link.areas.join(";"),
            source.document.unwrap_or_default(),
            source.url.unwrap_or_default(),
            source.quote.unwrap_or_default(),
            link.notes.clone().unwrap_or_default(),
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
                    m[a].to_string(),
                    m[b].to_string(),
                    link.kind.as_str().to_ascii_uppercase(),
                    link.id.to_string(),
                ];
                row.extend(rest.iter().cloned());
                writer.write_record(&row).map_err(csv_failure)?;
            }
        } else {
            let members: Vec<&str> = link.members.iter().map(NodeId::as_str).collect();
            let mut row = vec![
                link.id.to_string(),
                link.kind.as_str().to_string(),
                members.join(";"),
            ];
            row.extend(rest);
            writer.write_record(&row).map_err(csv_failure)?;
        }
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

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
                Record::Link(_) => panic!("a link in a nodes table"),
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
        let Record::Node { node, id_given } = &rows[0].as_ref().unwrap().record else {
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
