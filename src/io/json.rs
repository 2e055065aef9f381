//! One rule for JSON text wherever pobratim reads it (request bodies, the JSON import
//! formats, `attrs` cells of tables): an object may not name a key twice. serde_json
//! keeps the last of duplicate keys without a word, so `{"kind": "city", "kind":
//! "state"}` would make a state of what most readers take for a city.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The path (`nodes[3].kind`) of the first key an object of `json` names twice, if
/// any. Text that is not JSON gives `None`: its reader reports that itself.
pub fn duplicate_key(json: &[u8]) -> Option<String> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(json);
    let _ = Unique {
        path: String::new(),
        found: &found,
    }
    .deserialize(&mut de);
    found.into_inner()
}

/// [`duplicate_key`] as the sentence an error gives.
pub fn duplicate_key_detail(path: &str) -> String {
    format!("`{path}` is given twice: every key of a JSON object must be unique")
}

/// Walks a value, failing at the first object that repeats a key (kept in `found`).
struct Unique<'a> {
    path: String,
    found: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Unique<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(Unique {
                path: format!("{}[{i}]", self.path),
                found: self.found,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let path = if self.path.is_empty() {
                key.to_string()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key) {
                *self.found.borrow_mut() = Some(path);
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value_seed(Unique {
                path,
                found: self.found,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_repeated_key_is_named_by_its_path() {
        assert_eq!(
            duplicate_key(br#"{"kind":"city","kind":"state"}"#).as_deref(),
            Some("kind")
        );
        assert_eq!(
            duplicate_key(br#"{"nodes":[{"a":1},{"a":1,"b":{"c":1,"c":2}}]}"#).as_deref(),
            Some("nodes[1].b.c")
        );
        assert_eq!(duplicate_key(br#"{"a":{"k":1},"b":{"k":1}}"#), None);
        assert_eq!(
            duplicate_key(br#"{"a":"\u0041","\u0061":1}"#).as_deref(),
            Some("a")
        );
        assert_eq!(duplicate_key(b"{not json"), None);
    }
}
