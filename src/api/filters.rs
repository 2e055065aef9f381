//! Query parameters shared by every graph question: link kinds, statuses, node kinds,
//! and the as-of date.

use super::problem::{ApiError, ProblemCode};

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
            /// Links by how directly their source supports them: `stated` (the source
            /// states the relation), `inferred` (read from what it shows), or `any` (default).
            #[param(example = "stated")]
            pub evidence: Option<String>,
            /// The network as it stood at this date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`): links
            /// signed by then and not ended by then.
            #[param(example = "2010")]
            pub as_of: Option<String>,
            /// With `as_of`, whether links with no `signed` date count (default true).
            pub undated: Option<bool>,
        }

        impl $name {
            /// The filter these parameters ask for.
            pub fn filter(&self) -> Result<crate::service::filters::Filter, crate::api::problem::ApiError> {
                let words = crate::service::filters::FilterWords {
                    kinds: self.kinds.as_deref(),
                    status: self.status.as_deref(),
                    node_kinds: self.node_kinds.as_deref(),
                    evidence: self.evidence.as_deref(),
                    as_of: self.as_of.as_deref(),
                    undated: self.undated,
                };
                Ok(words.parse()?)
            }
        }
    };
}

pub(crate) use graph_params;

/// Decodes an offset cursor.
pub fn offset(cursor: Option<&str>) -> Result<usize, ApiError> {
    match super::page::decode_cursor(cursor)? {
        None => Ok(0),
        Some(bytes) => {
            // An offset is at most 8 bytes, big-endian (this list writes all 8).
            if bytes.len() > 8 {
                return Err(ApiError::new(
                    ProblemCode::InvalidCursor,
                    "cursor: not a cursor this list returned (at most 16 hex digits)",
                    Some("cursor".into()),
                ));
            }
            let offset = bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
            Ok(usize::try_from(offset).unwrap_or(usize::MAX))
        }
    }
}

/// The cursor of the page starting at `next`, if there is one.
pub fn cursor_at(next: Option<usize>) -> Option<String> {
    next.map(|next| super::page::encode_cursor(&(next as u64).to_be_bytes()))
}
