//! Why a row cannot be imported, named by file, line and column.

use serde::Serialize;

use crate::model::ValidationError;

/// A row that cannot be imported, or a file that cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{}{}{column}: {reason}",
    if file.is_empty() { String::new() } else { format!("{file}: ") },
    if *line == 0 { String::new() } else { format!("line {line}, column ") })]
pub struct RowError {
    /// The file, when an import reads several.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub file: String,
    /// 1-based line (CSV: the header is line 1; XML: the element's line; JSON: the
    /// record's position in its array, from 1).
    pub line: u64,
    /// The column, attribute or field at fault.
    pub column: String,
    /// Why.
    pub reason: String,
    /// The file cannot be read past this point (truncated, not UTF-8, not the format).
    #[serde(skip)]
    pub fatal: bool,
}

impl RowError {
    /// A refused row; reading goes on.
    pub fn row(line: u64, column: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            file: String::new(),
            line,
            column: column.into(),
            reason: reason.into(),
            fatal: false,
        }
    }

    /// An error that stops reading the file.
    pub fn fatal(line: u64, column: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            fatal: true,
            ..Self::row(line, column, reason)
        }
    }

    /// A record that breaks a rule of the data model; `prefix` names the column group.
    pub fn invalid(line: u64, error: &ValidationError) -> Self {
        Self::row(line, error.field.clone(), error.reason.clone())
    }
}
