//! The links table: one link, or one pair of a trilateral link, per row.

use std::collections::HashMap;
use std::io::Read;

use serde_json::Map;

use super::{by_name, json_object, plain, split_list, unknown};
use crate::io::{next_csv_row, CsvNext};
use crate::io::{Item, Record, RowError};
use crate::model::{Evidence, Link, LinkId, LinkKind, LinkStatus, NodeId, PartialDate, Source};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum LinkColumn {
    Id,
    Kind,
    Source,
    Target,
    Members,
    Status,
    Evidence,
    Signed,
    Ended,
    Areas,
    Document,
    Url,
    Quote,
    Notes,
    Attrs,
}

pub(super) fn link_column(header: &str) -> Option<LinkColumn> {
    let (name, _) = plain(header);
    Some(match name.as_str() {
        "id" | "link_id" => LinkColumn::Id,
        "kind" | ":TYPE" => LinkColumn::Kind,
        "source" | "src" | "from" | ":START_ID" => LinkColumn::Source,
        "target" | "dst" | "to" | ":END_ID" => LinkColumn::Target,
        "members" => LinkColumn::Members,
        "status" => LinkColumn::Status,
        "evidence" => LinkColumn::Evidence,
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

fn link_kind(raw: &str) -> Option<LinkKind> {
    by_name(&LinkKind::ALL, LinkKind::as_str, raw)
}

/// One two-member row of a trilateral link, waiting for the rest of its triangle.
struct OpenPair {
    line: u64,
    members: [NodeId; 2],
    template: Link,
}

/// Streams links from a links table.
pub(super) struct LinkRows<R: Read> {
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
    pub(super) fn new(
        reader: csv::Reader<R>,
        headers: &csv::StringRecord,
        default_kind: LinkKind,
    ) -> Result<Self, RowError> {
        let columns = headers
            .iter()
            .map(|h| link_column(h).ok_or_else(|| unknown(h, "links")))
            .collect::<Result<Vec<_>, _>>()?;
        super::refuse_repeated_columns(headers, &columns)?;
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
        let mut evidence = Evidence::default();
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
            let text = super::unescape_cell(text);
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
                LinkColumn::Evidence => {
                    evidence = by_name(&Evidence::ALL, Evidence::as_str, raw).ok_or_else(|| {
                        RowError::row(line, "evidence", format!("`{raw}` is not stated or inferred"))
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
                evidence,
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
            match next_csv_row(&mut self.reader, &mut self.row, &mut self.done) {
                CsvNext::End => self.drain_open(),
                CsvNext::Row(line) => {
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
                CsvNext::Error(error) => return Some(Err(error)),
            }
        }
    }
}
