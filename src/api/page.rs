//! Cursor pagination shared by every list.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::problem::{ApiError, ProblemCode};

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page size.
pub const MAX_LIMIT: usize = 1000;

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The page size used.
    #[schema(example = 50)]
    pub limit: usize,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// The graph version the page was read at.
    #[schema(example = 1)]
    pub graph_version: u64,
    /// With `near` (node lists): each item's great-circle distance from the point, km,
    /// in the order of `items`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distances_km: Option<Vec<f64>>,
}

impl<T> Page<T> {
    /// Builds a page from items and the store's continuation key.
    pub fn new(items: Vec<T>, limit: usize, next: Option<Vec<u8>>, graph_version: u64) -> Self {
        Self {
            items,
            limit,
            next_cursor: next.map(|n| encode_cursor(&n)),
            graph_version,
            distances_km: None,
        }
    }

    /// The page with its items' distances (a distance ranking).
    pub fn with_distances(mut self, distances_km: Option<Vec<f64>>) -> Self {
        self.distances_km = distances_km;
        self
    }
}

/// The effective page size: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn limit(asked: Option<usize>) -> Result<usize, ApiError> {
    limit_within(asked, DEFAULT_LIMIT, MAX_LIMIT)
}

/// The effective page size of a list with its own bounds: 1 to `max`, `default` when
/// absent; another size is a 400 naming `limit`.
pub fn limit_within(asked: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    match asked {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::new(
            ProblemCode::InvalidQuery,
            format!("limit: {n} is outside 1..={max}"),
            Some("limit".into()),
        )),
    }
}

/// Encodes a continuation key as an opaque cursor (lower-case hex).
pub fn encode_cursor(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a cursor from [`encode_cursor`].
pub fn decode_cursor(cursor: Option<&str>) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || {
        ApiError::new(
            ProblemCode::InvalidCursor,
            "cursor: not a cursor this list returned",
            Some("cursor".into()),
        )
    };
    if cursor.is_empty() || cursor.len() % 2 != 0 || cursor.len() > 4096 {
        return Err(bad());
    }
    (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2).unwrap_or("zz"), 16).map_err(|_| bad()))
        .collect::<Result<Vec<u8>, _>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let key = "city:ru:благовещенск".as_bytes();
        assert_eq!(
            decode_cursor(Some(&encode_cursor(key))).unwrap().unwrap(),
            key
        );
        for bad in ["", "a", "zz", "0g", "é0"] {
            assert!(decode_cursor(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(MAX_LIMIT + 1)).is_err());
    }
}
