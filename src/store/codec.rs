//! Value envelope: one format-version byte, then the record as JSON.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::StoreError;

/// The value format this build writes and reads.
pub const VALUE_FORMAT: u8 = 1;

/// Encodes a record.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![VALUE_FORMAT];
    serde_json::to_writer(&mut out, value).map_err(|e| StoreError::Codec(e.to_string()))?;
    Ok(out)
}

/// Decodes a record written by [`encode`], refusing newer formats.
pub(crate) fn decode<T: DeserializeOwned>(
    tree: &str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        tree: tree.to_string(),
        key: String::from_utf8_lossy(key).into_owned(),
        detail,
    };
    match bytes.split_first() {
        Some((&VALUE_FORMAT, json)) => {
            serde_json::from_slice(json).map_err(|e| corrupt(e.to_string()))
        }
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
            Err(StoreError::Corrupt { .. })
        ));
    }
}
