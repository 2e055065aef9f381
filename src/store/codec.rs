//! Value envelope: one format-version byte, then the record as JSON.
//!
//! The encoder and the decoder share one nesting limit: [`encode`] refuses a value
//! nested deeper than [`MAX_VALUE_DEPTH`], and [`decode`] reads every value up to
//! [`MAX_READ_DEPTH`], above it (past serde_json's own recursion limit of 128, on a
//! depth the stack bears), so nothing written can be unreadable for its depth. The
//! model keeps new records far shallower (`attrs` nest at most 32 deep); the margin
//! is for what wraps a record (a change-log entry holds one before and after) and for
//! records written before the model's limit existed, which nest up to ~130: those are
//! read, listed, exported and deleted like any other.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::StoreError;
use crate::model::json_nesting::deeper_than;

/// The value format this build writes and reads.
pub const VALUE_FORMAT: u8 = 1;

/// Deepest nesting of arrays and objects in a value the store writes.
pub const MAX_VALUE_DEPTH: usize = 192;

/// Deepest nesting the decoder reads.
const MAX_READ_DEPTH: usize = 256;

/// Encodes a record, refusing one nested deeper than [`MAX_VALUE_DEPTH`].
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![VALUE_FORMAT];
    serde_json::to_writer(&mut out, value).map_err(|e| StoreError::Codec(e.to_string()))?;
    if deeper_than(&out[1..], MAX_VALUE_DEPTH).is_some() {
        return Err(StoreError::Codec(format!(
            "the record nests arrays and objects more than {MAX_VALUE_DEPTH} deep, the most that can be stored"
        )));
    }
    Ok(out)
}

/// Reads JSON past serde_json's recursion limit, for values at most
/// [`MAX_READ_DEPTH`] deep.
fn from_deep_slice<T: DeserializeOwned>(json: &[u8]) -> Result<T, String> {
    if deeper_than(json, MAX_READ_DEPTH).is_some() {
        return Err(format!(
            "the value nests more than the {MAX_READ_DEPTH} levels this build reads"
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    de.disable_recursion_limit();
    let value = T::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// Decodes a record written by [`encode`], refusing newer formats.
pub(crate) fn decode<T: DeserializeOwned>(
    tree: &str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    let corrupt = |detail: String| StoreError::Unreadable {
        tree: tree.to_string(),
        key: String::from_utf8_lossy(key).into_owned(),
        detail,
    };
    match bytes.split_first() {
        Some((&VALUE_FORMAT, json)) => match serde_json::from_slice(json) {
            Ok(value) => Ok(value),
            Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
                from_deep_slice(json).map_err(corrupt)
            }
            Err(e) => Err(corrupt(e.to_string())),
        },
        Some((&v, _)) if v > VALUE_FORMAT => Err(StoreError::FormatVersion {
            found: u64::from(v),
            supported: u64::from(VALUE_FORMAT),
        }),
        Some((v, _)) => Err(corrupt(format!("unknown value format {v}"))),
        None => Err(corrupt("empty value".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> serde_json::Value {
        let mut value = serde_json::json!(1);
        for _ in 0..depth {
            value = serde_json::json!({ "a": value });
        }
        value
    }

    #[test]
    fn nothing_too_deep_to_read_is_written() {
        assert!(encode(&nested(MAX_VALUE_DEPTH)).is_ok());
        assert!(matches!(
            encode(&nested(MAX_VALUE_DEPTH + 1)),
            Err(StoreError::Codec(_))
        ));
    }

    #[test]
    fn values_past_serde_jsons_limit_read_back() {
        for depth in [127, 130, MAX_VALUE_DEPTH, MAX_READ_DEPTH] {
            let mut bytes = vec![VALUE_FORMAT];
            bytes.extend(nested(depth).to_string().into_bytes());
            let read: serde_json::Value = decode("t", b"k", &bytes).unwrap();
            assert_eq!(read, nested(depth), "{depth}");
        }
        let mut bytes = vec![VALUE_FORMAT];
        bytes.extend(nested(MAX_READ_DEPTH + 1).to_string().into_bytes());
        assert!(matches!(
            decode::<serde_json::Value>("t", b"k", &bytes),
            Err(StoreError::Unreadable { .. })
        ));
    }

    #[test]
    fn round_trips_and_refuses_newer_formats() {
        let bytes = encode(&vec![1, 2, 3]).unwrap();
        assert_eq!(bytes[0], VALUE_FORMAT);
        assert_eq!(
            decode::<Vec<i32>>("t", b"k", &bytes).unwrap(),
            vec![1, 2, 3]
        );
        let mut newer = bytes.clone();
        newer[0] = VALUE_FORMAT + 1;
        assert!(matches!(
            decode::<Vec<i32>>("t", b"k", &newer),
            Err(StoreError::FormatVersion { .. })
        ));
        assert!(matches!(
            decode::<Vec<i32>>("t", b"k", &[]),
            Err(StoreError::Unreadable { .. })
        ));
    }
}
