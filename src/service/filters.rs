//! The filter every graph question takes, parsed from its textual parameters (the same
//! words in a query string and on the command line), naming the parameter at fault.

pub use crate::graph::filter::Filter;
use crate::model::{Evidence, LinkKind, LinkStatus, NodeKind, PartialDate};

use super::ServiceError;

/// The textual filter parameters, as a query string or a command line gives them.
#[derive(Clone, Copy, Debug, Default)]
pub struct FilterWords<'a> {
    /// Link kinds, comma-separated, or `all`.
    pub kinds: Option<&'a str>,
    /// Link statuses, comma-separated, or `any`.
    pub status: Option<&'a str>,
    /// Node kinds, comma-separated, or `all`.
    pub node_kinds: Option<&'a str>,
    /// Evidence of links, `stated`, `inferred`, or `any` (the default).
    pub evidence: Option<&'a str>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub as_of: Option<&'a str>,
    /// With `as_of`, whether undated links count (default true).
    pub undated: Option<bool>,
}

/// A query parameter at fault: the detail is prefixed with the parameter's name.
/// A parameter that cannot go with another one given (422, not 400: each is valid alone).
pub(crate) fn conflicting(field: &str, detail: impl std::fmt::Display) -> ServiceError {
    ServiceError::Conflicting {
        field: field.into(),
        detail: format!("{field}: {detail}"),
    }
}

pub(crate) fn bad_parameter(field: &str, detail: impl std::fmt::Display) -> ServiceError {
    ServiceError::BadQuery {
        field: field.into(),
        detail: format!("{field}: {detail}"),
    }
}

fn list<T: serde::de::DeserializeOwned + Clone>(
    field: &str,
    raw: &str,
    all_word: &str,
    all: &[T],
) -> Result<Vec<T>, ServiceError> {
    if raw == all_word {
        return Ok(all.to_vec());
    }
    raw.split(',')
        .map(|part| {
            serde_json::from_value(serde_json::Value::String(part.trim().to_string())).map_err(
                |_| {
                    bad_parameter(
                        field,
                        format!("`{part}` is not one of the allowed values (or `{all_word}`)"),
                    )
                },
            )
        })
        .collect()
}

impl FilterWords<'_> {
    /// The filter these words ask for.
    pub fn parse(&self) -> Result<Filter, ServiceError> {
        let mut filter = Filter::default();
        if let Some(raw) = self.kinds {
            filter.kinds =
                Filter::kind_bits(&list::<LinkKind>("kinds", raw, "all", &LinkKind::ALL)?);
        }
        if let Some(raw) = self.status {
            filter.statuses =
                Filter::status_bits(&list::<LinkStatus>("status", raw, "any", &LinkStatus::ALL)?);
        }
        if let Some(raw) = self.node_kinds {
            filter.node_kinds = Filter::node_kind_bits(&list::<NodeKind>(
                "node_kinds",
                raw,
                "all",
                &NodeKind::ALL,
            )?);
        }
        if let Some(raw) = self.evidence {
            filter.evidence =
                Filter::evidence_bits(&list::<Evidence>("evidence", raw, "any", &Evidence::ALL)?);
        }
        if let Some(raw) = self.as_of {
            filter.as_of = Some(
                raw.parse::<PartialDate>()
                    .map_err(|e| bad_parameter("as_of", e))?,
            );
        }
        filter.include_undated = self.undated.unwrap_or(true);
        Ok(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ServiceError) -> String {
        match e {
            ServiceError::BadQuery { field, .. } => field,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn parses_lists_and_words() {
        let f = FilterWords {
            kinds: Some("twinning,located_in"),
            status: Some("any"),
            node_kinds: Some("city"),
            evidence: Some("stated"),
            as_of: Some("2003"),
            undated: Some(false),
        }
        .parse()
        .unwrap();
        assert_eq!(f.kind_names(), ["twinning", "located_in"]);
        assert_eq!(f.status_names().len(), 5);
        assert_eq!(f.node_kind_names(), ["city"]);
        assert_eq!(f.evidence_names(), ["stated"]);
        assert!(!f.include_undated);
        let kinds = FilterWords {
            kinds: Some("twining"),
            ..FilterWords::default()
        };
        assert_eq!(field_of(kinds.parse().unwrap_err()), "kinds");
        let as_of = FilterWords {
            as_of: Some("03"),
            ..FilterWords::default()
        };
        assert_eq!(field_of(as_of.parse().unwrap_err()), "as_of");
    }
}
