//! The change report of an import, as JSON lines or CSV: for every record the file
//! holds, whether it would be created, updated (and which fields, before and after) or
//! left alone; and, when asked, the links of the same datasets that the file no longer
//! holds.

use serde::Serialize;
use serde_json::Value;

/// What importing a record does to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The store has no such record: it is created.
    Create,
    /// The store has it with other content: the listed fields change.
    Update,
    /// The store has it as the file says.
    Unchanged,
    /// A link of a dataset the file holds (same `source.document`) that the file does
    /// not hold. Reported only; the import leaves it as it is.
    Missing,
}

/// Which kind of record a line is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordType {
    /// A node.
    Node,
    /// A link.
    Link,
}

/// One field of an updated record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    /// The field (`location`, `signed`, `external_ids`).
    pub field: String,
    /// Its stored value (`null` when it has none).
    pub before: Value,
    /// Its value after the import (`null` when it has none).
    pub after: Value,
}

/// One line of a change report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChangeLine {
    /// What the import does to the record.
    pub change: Change,
    /// Node or link.
    pub record: RecordType,
    /// The record's id, as stored (after matching an id-less record).
    pub id: String,
    /// The file line that gave the record (0 where lines mean nothing, and for
    /// `missing`).
    pub line: u64,
    /// For `update`: the fields that change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// For `create`: the record as it would be stored; for `missing`: as it is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl ChangeLine {
    /// The line for a record stored as `before` (if at all) that the import leaves as
    /// `after`, comparing field by field.
    pub fn compare<T: Serialize>(
        record: RecordType,
        id: String,
        line: u64,
        before: Option<&T>,
        after: &T,
    ) -> Result<Self, serde_json::Error> {
        let after = serde_json::to_value(after)?;
        let Some(before) = before else {
            return Ok(Self {
                change: Change::Create,
                record,
                id,
                line,
                fields: Vec::new(),
                value: Some(after),
            });
        };
        let before = serde_json::to_value(before)?;
        let fields = field_changes(&before, &after);
        Ok(Self {
            change: if fields.is_empty() {
                Change::Unchanged
            } else {
                Change::Update
            },
            record,
            id,
            line,
            fields,
            value: None,
        })
    }
}

/// The top-level fields of two records that differ, in the order of `after`'s fields,
/// then those only `before` has.
fn field_changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut out = Vec::new();
    let keys = after
        .keys()
        .chain(before.keys().filter(|k| !after.contains_key(*k)));
    for key in keys {
        let (b, a) = (
            before.get(key).unwrap_or(&Value::Null),
            after.get(key).unwrap_or(&Value::Null),
        );
        if b != a {
            out.push(FieldChange {
                field: key.clone(),
                before: b.clone(),
                after: a.clone(),
            });
        }
    }
    out
}

/// How a change report is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// One JSON object per line (`application/x-ndjson`).
    Jsonl,
    /// CSV with the columns `change,record,id,line,field,before,after`: one row per
    /// changed field of an update, one row for any other line (values as JSON).
    Csv,
}

impl ReportFormat {
    /// The media type of a report in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            ReportFormat::Jsonl => "application/x-ndjson",
            ReportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    /// Writes `lines` in this format.
    pub fn write(self, lines: &[ChangeLine], out: &mut impl std::io::Write) -> std::io::Result<()> {
        match self {
            ReportFormat::Jsonl => {
                for line in lines {
                    serde_json::to_writer(&mut *out, line)?;
                    out.write_all(b"\n")?;
                }
                Ok(())
            }
            ReportFormat::Csv => write_csv(lines, out),
        }
    }
}

impl std::str::FromStr for ReportFormat {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "jsonl" => Ok(ReportFormat::Jsonl),
            "csv" => Ok(ReportFormat::Csv),
            _ => Err(format!("`{raw}` is not a report format (jsonl, csv)")),
        }
    }
}

fn write_csv(lines: &[ChangeLine], out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["change", "record", "id", "line", "field", "before", "after"])?;
    // Values are JSON; a negative number or a text beginning `=` is escaped as in exports.
    let json = |v: &Value| {
        if v.is_null() {
            String::new()
        } else {
            super::table::escape_cell(v.to_string())
        }
    };
    for line in lines {
        let change = serde_json::to_value(line.change).map_err(std::io::Error::other)?;
        let record = serde_json::to_value(line.record).map_err(std::io::Error::other)?;
        let head = [
            change.as_str().unwrap_or_default().to_string(),
            record.as_str().unwrap_or_default().to_string(),
            super::table::escape_cell(line.id.clone()),
            line.line.to_string(),
        ];
        if line.fields.is_empty() {
            let value = line.value.as_ref().map(json).unwrap_or_default();
            let (before, after) = match line.change {
                Change::Missing => (value, String::new()),
                _ => (String::new(), value),
            };
            writer.write_record(head.iter().cloned().chain([String::new(), before, after]))?;
        }
        for field in &line.fields {
            writer.write_record(head.iter().cloned().chain([
                field.field.clone(),
                json(&field.before),
                json(&field.after),
            ]))?;
        }
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_compares_field_by_field() {
        let before = json!({"id": "a", "name": "A", "region": "R"});
        let after = json!({"id": "a", "name": "B", "population": 3});
        let line =
            ChangeLine::compare(RecordType::Node, "a".into(), 4, Some(&before), &after).unwrap();
        assert_eq!(line.change, Change::Update);
        let fields: Vec<(&str, Value, Value)> = line
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.before.clone(), f.after.clone()))
            .collect();
        assert_eq!(
            fields,
            [
                ("name", json!("A"), json!("B")),
                ("population", Value::Null, json!(3)),
                ("region", json!("R"), Value::Null),
            ]
        );
        let same =
            ChangeLine::compare(RecordType::Node, "a".into(), 4, Some(&after), &after).unwrap();
        assert_eq!(same.change, Change::Unchanged);
        let new =
            ChangeLine::compare::<Value>(RecordType::Node, "a".into(), 4, None, &after).unwrap();
        assert_eq!((new.change, new.value), (Change::Create, Some(after)));
    }

    #[test]
    fn csv_has_a_row_per_changed_field() {
        let before = json!({"id": "=a", "name": "A"});
        let after = json!({"id": "=a", "name": "B", "region": "R"});
        let lines = [
            ChangeLine::compare(RecordType::Node, "=a".into(), 2, Some(&before), &after).unwrap(),
            ChangeLine::compare::<Value>(RecordType::Link, "l".into(), 3, None, &after).unwrap(),
        ];
        let mut out = Vec::new();
        ReportFormat::Csv.write(&lines, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows[0], "change,record,id,line,field,before,after");
        assert_eq!(rows[1], r#"update,node,'=a,2,name,"""A""","""B""""#);
        assert_eq!(rows[2], r#"update,node,'=a,2,region,,"""R""""#);
        assert!(rows[3].starts_with("create,link,l,3,,,"), "{}", rows[3]);
    }
}
