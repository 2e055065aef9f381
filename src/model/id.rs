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
    #[error("an id can be at most {0} characters long")]
    TooLong(usize),
    /// The id holds a character ids may not contain.
    #[error("an id cannot contain {0:?} (no whitespace, control characters or any of / ? # % \\ \" < >)")]
    BadChar(char),
    /// A new id is `.` or `..`.
    #[error("an id cannot be `.` or `..` (URLs resolve them away)")]
    DotSegment,
    /// A new node's id holds the separator of link members.
    #[error("a node id cannot contain `+`: it separates the members of a derived link id")]
    Separator,
}

fn check(raw: &str, max: usize) -> Result<(), IdError> {
    if raw.is_empty() {
        return Err(IdError::Empty);
    }
    // Counted in characters, as JSON Schema's `maxLength` counts them (the byte length
    // bounds the count from above, so most ids are never counted).
    if raw.len() > max && raw.chars().count() > max {
        return Err(IdError::TooLong(max));
    }
    // Ids are mostly ASCII: their bytes are checked against a table, and only the
    // characters of a non-ASCII id are looked up one by one (an import checks ids
    // millions of times).
    if raw
        .bytes()
        .all(|b| b.is_ascii() && !FORBIDDEN_ASCII[usize::from(b)])
    {
        return Ok(());
    }
    match raw.chars().find(|c| forbidden(*c)) {
        Some(c) => Err(IdError::BadChar(c)),
        None => Ok(()),
    }
}

/// Whether an id may not contain `c`.
fn forbidden(c: char) -> bool {
    c.is_whitespace() || c.is_control() || "/?#%\\\"<>".contains(c)
}

/// [`forbidden`] for each ASCII byte.
const FORBIDDEN_ASCII: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        // ASCII whitespace and control characters (`char::is_whitespace` and
        // `is_control` agree with these on ASCII), then the URL and key delimiters.
        let c = b as u8;
        table[b] = c.is_ascii_control()
            || c == b' '
            || matches!(c, b'/' | b'?' | b'#' | b'%' | b'\\' | b'"' | b'<' | b'>');
        b += 1;
    }
    table
};

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

        // Hashes and compares as its text, so maps keyed by it are looked up by `&str`.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
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

/// Separates the members of a derived link id (`twinning:a+b`).
pub const MEMBER_SEPARATOR: char = '+';

impl NodeId {
    /// Whether a new node may take this id: besides the rules of every id, it holds no
    /// [`MEMBER_SEPARATOR`], so that the link ids derived from node ids cannot collide
    /// (`a+d` and `c` would otherwise derive what `a` and `d+c` derive). Nodes stored
    /// with one before the rule keep their id.
    pub fn check_new(&self) -> Result<(), IdError> {
        if self.0.contains(MEMBER_SEPARATOR) {
            return Err(IdError::Separator);
        }
        check_not_dot_segment(&self.0)
    }

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

/// `.` and `..` are path segments a URL resolves away: `/nodes/..` is not a node.
fn check_not_dot_segment(raw: &str) -> Result<(), IdError> {
    match raw {
        "." | ".." => Err(IdError::DotSegment),
        _ => Ok(()),
    }
}

impl LinkId {
    /// Whether a new link may take this id: not `.` or `..` (records stored with one
    /// before the rule keep their id).
    pub fn check_new(&self) -> Result<(), IdError> {
        check_not_dot_segment(&self.0)
    }

    /// Derives a link id from its kind and members: `twinning:city:ru:a+city:jp:b`.
    pub fn derive(kind: &str, members: &[NodeId]) -> Result<Self, IdError> {
        let len = kind.len() + members.iter().map(|m| m.0.len() + 1).sum::<usize>();
        let mut raw = String::with_capacity(len);
        raw.push_str(kind);
        for (i, member) in members.iter().enumerate() {
            raw.push(if i == 0 { ':' } else { '+' });
            raw.push_str(&member.0);
        }
        Self::new(raw)
    }

    /// Whether this is the id [`LinkId::derive`] gives `kind` and `members`, without
    /// building that id.
    pub fn is_derived_from(&self, kind: &str, members: &[NodeId]) -> bool {
        let Some(mut rest) = self.0.strip_prefix(kind) else {
            return false;
        };
        for (i, member) in members.iter().enumerate() {
            let separator = if i == 0 { ':' } else { '+' };
            match rest
                .strip_prefix(separator)
                .and_then(|r| r.strip_prefix(member.as_str()))
            {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
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
    fn the_ascii_table_agrees_with_the_character_rules() {
        for b in 0u8..128 {
            let c = char::from(b);
            let expected = forbidden(c);
            assert_eq!(FORBIDDEN_ASCII[usize::from(b)], expected, "{b:#04x}");
            assert_eq!(check(&format!("a{c}b"), 10).is_err(), expected, "{b:#04x}");
        }
        assert_eq!(check("a\u{a0}b", 10), Err(IdError::BadChar('\u{a0}')));
        assert_eq!(check("a\u{2028}b", 10), Err(IdError::BadChar('\u{2028}')));
        assert_eq!(check("city:cn:黑河", 20), Ok(()));
    }

    #[test]
    fn a_link_id_knows_whether_it_is_derived_from_a_pair() {
        let members = [
            NodeId::new("city:a").unwrap(),
            NodeId::new("city:b").unwrap(),
        ];
        let derived = LinkId::derive("twinning", &members).unwrap();
        assert_eq!(derived.as_str(), "twinning:city:a+city:b");
        assert!(derived.is_derived_from("twinning", &members));
        assert!(!derived.is_derived_from("friendship", &members));
        assert!(!derived.is_derived_from("twinning", &members[..1]));
        let swapped = [members[1].clone(), members[0].clone()];
        assert!(!derived.is_derived_from("twinning", &swapped));
        let chosen = LinkId::new("twinning:city:a+city:b+x").unwrap();
        assert!(!chosen.is_derived_from("twinning", &members));
        let lone = LinkId::derive("twinning", &[]).unwrap();
        assert!(lone.is_derived_from("twinning", &[]));
    }

    #[test]
    fn no_two_member_lists_of_new_nodes_derive_one_link_id() {
        let ids = |raw: &[&str]| -> Vec<NodeId> {
            raw.iter().map(|r| NodeId::new(*r).unwrap()).collect()
        };
        let (one, other) = (
            ids(&["city:jp:a+d", "city:jp:c"]),
            ids(&["city:jp:a", "d+city:jp:c"]),
        );
        assert_eq!(
            LinkId::derive("twinning", &one).unwrap(),
            LinkId::derive("twinning", &other).unwrap(),
            "the collision the rule prevents"
        );
        assert_eq!(one[0].check_new(), Err(IdError::Separator));
        assert_eq!(other[1].check_new(), Err(IdError::Separator));
        assert_eq!(one[1].check_new(), Ok(()));
        assert_eq!(
            NodeId::new("..").unwrap().check_new(),
            Err(IdError::DotSegment)
        );
        assert_eq!(
            LinkId::new(".").unwrap().check_new(),
            Err(IdError::DotSegment)
        );
        assert_eq!(LinkId::new("..x").unwrap().check_new(), Ok(()));
        let derived = NodeId::derive("city", Some("JP"), "a+d").unwrap();
        assert_eq!(derived.check_new(), Ok(()), "{derived}");
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
