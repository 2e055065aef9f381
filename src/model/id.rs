//! Stable string identifiers of nodes and links.
//!
//! Ids are chosen by the writer or derived (`city:ru:vladivostok`). They appear in URL
//! paths and storage keys, so they hold no whitespace, control characters or URL
//! delimiters; the `0x00` byte that separates key parts can never occur in one.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::text::slug;

/// Longest node id accepted, in bytes.
pub const MAX_NODE_ID_LEN: usize = 200;
/// Longest link id accepted, in bytes (a derived link id names its members).
pub const MAX_LINK_ID_LEN: usize = 700;

/// Why a string cannot be an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is empty.
    #[error("an id cannot be empty")]
    Empty,
    /// The id is longer than the limit.
    #[error("an id can be at most {0} bytes long")]
    TooLong(usize),
    /// The id holds a character ids may not contain.
    #[error("an id cannot contain {0:?} (no whitespace, control characters or any of / ? # % \\ \" < >)")]
    BadChar(char),
}

fn check(raw: &str, max: usize) -> Result<(), IdError> {
    if raw.is_empty() {
        return Err(IdError::Empty);
    }
    if raw.len() > max {
        return Err(IdError::TooLong(max));
    }
    match raw
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "/?#%\\\"<>".contains(*c))
    {
        Some(c) => Err(IdError::BadChar(c)),
        None => Ok(()),
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an id.
            pub fn new(raw: impl Into<String>) -> Result<Self, IdError> {
                let raw = raw.into();
                check(&raw, $max)?;
                Ok(Self(raw))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::new(raw).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;

            fn from_str(raw: &str) -> Result<Self, IdError> {
                Self::new(raw)
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// The id of a city, association or state.
    NodeId,
    MAX_NODE_ID_LEN
);
string_id!(
    /// The id of a link (an agreement, a membership, a location).
    LinkId,
    MAX_LINK_ID_LEN
);

impl NodeId {
    /// Derives an id from kind, country and name: `city:ru:vladivostok`.
    /// Returns `None` when the name has no letters or digits to build a slug from.
    pub fn derive(kind: &str, country: Option<&str>, name: &str) -> Option<Self> {
        let slug = slug(name);
        if slug.is_empty() {
            return None;
        }
        let raw = match country {
            Some(c) => format!("{kind}:{}:{slug}", c.to_ascii_lowercase()),
            None => format!("{kind}:{slug}"),
        };
        let cut: String = raw
            .chars()
            .scan(0, |len, c| {
                *len += c.len_utf8();
                (*len <= MAX_NODE_ID_LEN).then_some(c)
            })
            .collect();
        Self::new(cut).ok()
    }
}

impl LinkId {
    /// Derives a link id from its kind and members: `twinning:city:ru:a+city:jp:b`.
    pub fn derive(kind: &str, members: &[NodeId]) -> Result<Self, IdError> {
        let joined: Vec<&str> = members.iter().map(NodeId::as_str).collect();
        Self::new(format!("{kind}:{}", joined.join("+")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_derived_and_unicode_ids() {
        assert!(NodeId::new("city:ru:vladivostok").is_ok());
        assert!(NodeId::new("city:cn:黑河").is_ok());
    }

    #[test]
    fn rejects_ids_that_would_break_urls_or_keys() {
        assert_eq!(NodeId::new(""), Err(IdError::Empty));
        assert_eq!(NodeId::new("a b"), Err(IdError::BadChar(' ')));
        assert_eq!(NodeId::new("a\0b"), Err(IdError::BadChar('\0')));
        assert_eq!(NodeId::new("a/b"), Err(IdError::BadChar('/')));
        assert!(NodeId::new("x".repeat(MAX_NODE_ID_LEN + 1)).is_err());
    }

    #[test]
    fn derives_readable_ids() {
        let id = NodeId::derive("city", Some("RU"), "Петропавловск-Камчатский").unwrap();
        assert_eq!(id.as_str(), "city:ru:петропавловск-камчатскии");
        let id = NodeId::derive("city", Some("JP"), "Jōetsu").unwrap();
        assert_eq!(id.as_str(), "city:jp:joetsu");
        assert_eq!(NodeId::derive("city", None, "!!!"), None);
    }
}
