//! Query parameters shared by every graph question: link kinds, statuses, node kinds,
//! and the as-of date.

use super::problem::{ApiError, ProblemCode};
use crate::graph::filter::Filter;
use crate::model::{LinkKind, LinkStatus, NodeKind, PartialDate};

/// Declares a query-parameter struct with the graph filter parameters added.
macro_rules! graph_params {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Link kinds to traverse, comma-separated (`twinning`, `friendship`, `trilateral`,
            /// `membership`, `located_in`) or `all`. Default: the three diplomatic kinds.
            #[param(example = "twinning,friendship,trilateral")]
            pub kinds: Option<String>,
            /// Link statuses to traverse, comma-separated (`active`, `planned`, `negotiating`,
            /// `suspended`, `ended`) or `any`. Default: `active`.
            #[param(example = "active")]
            pub status: Option<String>,
            /// Node kinds in the graph, comma-separated (`city`, `association`, `state`) or `all` (default).
            pub node_kinds: Option<String>,
            /// The network as it stood at this date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`): links
            /// signed by then and not ended by then.
            #[param(example = "2010")]
            pub as_of: Option<String>,
            /// With `as_of`, whether links with no `signed` date count (default true).
            pub undated: Option<bool>,
        }

        impl $name {
            /// The filter these parameters ask for.
            pub fn filter(&self) -> Result<crate::graph::filter::Filter, crate::api::problem::ApiError> {
                crate::api::filters::parse_filter(
                    self.kinds.as_deref(),
                    self.status.as_deref(),
                    self.node_kinds.as_deref(),
                    self.as_of.as_deref(),
                    self.undated,
                )
            }
        }
    };
}

pub(crate) use graph_params;

fn bad(field: &str, detail: String) -> ApiError {
    ApiError::new(
        ProblemCode::InvalidQuery,
        format!("{field}: {detail}"),
        Some(field.into()),
    )
}

fn list<T: serde::de::DeserializeOwned + Clone>(
    field: &str,
    raw: &str,
    all_word: &str,
    all: &[T],
) -> Result<Vec<T>, ApiError> {
    if raw == all_word {
        return Ok(all.to_vec());
    }
    raw.split(',')
        .map(|part| {
            serde_json::from_value(serde_json::Value::String(part.trim().to_string())).map_err(
                |_| {
                    bad(
                        field,
                        format!("`{part}` is not one of the allowed values (or `{all_word}`)"),
                    )
                },
            )
        })
        .collect()
}

/// Parses the filter parameters, naming the parameter at fault.
pub fn parse_filter(
    kinds: Option<&str>,
    status: Option<&str>,
    node_kinds: Option<&str>,
    as_of: Option<&str>,
    undated: Option<bool>,
) -> Result<Filter, ApiError> {
    let mut filter = Filter::default();
    if let Some(raw) = kinds {
        filter.kinds = Filter::kind_bits(&list::<LinkKind>("kinds", raw, "all", &LinkKind::ALL)?);
    }
    if let Some(raw) = status {
        filter.statuses =
            Filter::status_bits(&list::<LinkStatus>("status", raw, "any", &LinkStatus::ALL)?);
    }
    if let Some(raw) = node_kinds {
        filter.node_kinds =
            Filter::node_kind_bits(&list::<NodeKind>("node_kinds", raw, "all", &NodeKind::ALL)?);
    }
    if let Some(raw) = as_of {
        filter.as_of = Some(
            raw.parse::<PartialDate>()
                .map_err(|e| bad("as_of", e.to_string()))?,
        );
    }
    filter.include_undated = undated.unwrap_or(true);
    Ok(filter)
}

/// Decodes an offset cursor.
pub fn offset(cursor: Option<&str>) -> Result<usize, ApiError> {
    match super::page::decode_cursor(cursor)? {
        None => Ok(0),
        Some(bytes) => {
            let raw: [u8; 8] = bytes.try_into().map_err(|_| {
                ApiError::new(
                    ProblemCode::InvalidCursor,
                    "cursor: not a cursor this list returned",
                    Some("cursor".into()),
                )
            })?;
            Ok(u64::from_be_bytes(raw) as usize)
        }
    }
}

/// Encodes the offset of the next page, if there is one.
pub fn next_offset(start: usize, taken: usize, total: usize) -> Option<String> {
    let next = start + taken;
    (next < total).then(|| super::page::encode_cursor(&(next as u64).to_be_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_words() {
        let f = parse_filter(
            Some("twinning,located_in"),
            Some("any"),
            Some("city"),
            Some("2003"),
            Some(false),
        )
        .unwrap();
        assert_eq!(f.kind_names(), ["twinning", "located_in"]);
        assert_eq!(f.status_names().len(), 5);
        assert_eq!(f.node_kind_names(), ["city"]);
        assert!(!f.include_undated);
        assert_eq!(
            parse_filter(Some("twining"), None, None, None, None)
                .unwrap_err()
                .field
                .as_deref(),
            Some("kinds")
        );
        assert_eq!(
            parse_filter(None, None, None, Some("03"), None)
                .unwrap_err()
                .field
                .as_deref(),
            Some("as_of")
        );
    }
}
