//! The nodes table: one node per row.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Map;

use super::{by_name, json_object, number, plain, split_list, unknown};
use crate::io::{next_csv_row, CsvNext};
use crate::io::{Item, Record, RowError};
use crate::model::{CountryCode, Location, Node, NodeId, NodeKind};

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

/// Streams nodes from a nodes table.
pub(super) struct NodeRows<R: Read> {
    reader: csv::Reader<R>,
    columns: Vec<NodeColumn>,
    row: csv::StringRecord,
    done: bool,
}

impl<R: Read> NodeRows<R> {
    pub(super) fn new(
        reader: csv::Reader<R>,
        headers: &csv::StringRecord,
    ) -> Result<Self, RowError> {
        let columns = headers
            .iter()
            .map(|h| node_column(h).ok_or_else(|| unknown(h, "nodes")))
            .collect::<Result<Vec<_>, _>>()?;
        super::refuse_repeated_columns(headers, &columns)?;
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
            let text = super::unescape_cell(text);
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
            record: Record::Node {
                node,
                id_given,
                partial: false,
            },
        })
    }
}

impl<R: Read> Iterator for NodeRows<R> {
    type Item = Result<Item, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match next_csv_row(&mut self.reader, &mut self.row, &mut self.done) {
            CsvNext::End => None,
            CsvNext::Row(line) => Some(self.node(line)),
            CsvNext::Error(error) => Some(Err(error)),
        }
    }
}
