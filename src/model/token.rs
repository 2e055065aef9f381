//! Who may do what: bearer tokens with a scope, stored only as hashes.
//!
//! A token reads `pbt_<id>_<secret>`: the id (16 hex digits) finds the stored record,
//! the secret (64 hex digits, 256 random bits) is checked against the record's
//! SHA-256 hash in constant time. The secret itself is shown once, at creation, and
//! never stored. Records live in the store's token tree ([`crate::store`]); this module
//! knows the token format and scopes, nothing of HTTP.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::clock::now_rfc3339;

/// What a token allows. Each scope includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read the graph (needed only when the server runs with `--private`).
    Read,
    /// Read, and write nodes, links, batches and imports; read the change log.
    Write,
    /// Everything, including tokens and backups.
    Admin,
}

impl Scope {
    /// The scope's name as the CLI and the API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            other => Err(AuthError::UnknownScope(other.to_string())),
        }
    }
}

/// A stored token: everything but its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The public part of the token (16 hex digits).
    pub id: String,
    /// Who or what holds it; recorded as the author of every change made with it.
    pub name: String,
    /// What it allows.
    pub scope: Scope,
    /// When it was created (RFC 3339, UTC).
    pub created: String,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
    /// SHA-256 of the secret, hex.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub secret_hash: String,
}

impl TokenRecord {
    /// The record without its hash, to show.
    pub fn public(&self) -> Self {
        Self {
            secret_hash: String::new(),
            ..self.clone()
        }
    }

    /// Whether `secret` is this token's secret, compared in constant time.
    pub fn matches(&self, secret: &str) -> bool {
        let given = hash_hex(secret);
        given.as_bytes().ct_eq(self.secret_hash.as_bytes()).into()
    }
}

/// Why a token could not be created, read or used.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The scope is not read, write or admin.
    #[error("unknown scope `{0}`: use read, write or admin")]
    UnknownScope(String),
    /// The token name is empty, too long or has control characters.
    #[error("token name must be 1–100 characters without control characters")]
    BadName,
    /// Another live token has this name.
    #[error("a token named `{0}` exists; revoke it first or choose another name")]
    NameTaken(String),
    /// No token has this name or id.
    #[error("no token named `{0}`")]
    UnknownToken(String),
    /// The operating system gave no randomness.
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
}

/// A token as presented: `pbt_<id>_<secret>`.
#[derive(Debug, PartialEq, Eq)]
pub struct Presented<'a> {
    /// The id, to find the record.
    pub id: &'a str,
    /// The secret, to check against the record's hash.
    pub secret: &'a str,
}

/// Splits a presented token; `None` when it does not have the token shape.
pub fn parse_token(token: &str) -> Option<Presented<'_>> {
    let rest = token.strip_prefix("pbt_")?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 16) && hex(secret, 64)).then_some(Presented { id, secret })
}

/// A new token: the record to store and the full token to show once.
pub fn new_token(name: &str, scope: Scope) -> Result<(TokenRecord, String), AuthError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AuthError::BadName);
    }
    let mut bytes = [0u8; 40];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    let id = hex(&bytes[..8]);
    let secret = hex(&bytes[8..]);
    let record = TokenRecord {
        id: id.clone(),
        name: name.to_string(),
        scope,
        created: now_rfc3339(),
        revoked: None,
        secret_hash: hash_hex(&secret),
    };
    Ok((record, format!("pbt_{id}_{secret}")))
}

fn hash_hex(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_matches_its_record_and_nothing_else() {
        let (record, token) = new_token("editor", Scope::Write).unwrap();
        let presented = parse_token(&token).unwrap();
        assert_eq!(presented.id, record.id);
        assert!(record.matches(presented.secret));
        assert!(!record.matches(&"0".repeat(64)));
        assert!(
            !token.contains(&record.secret_hash),
            "only the hash is stored"
        );
        let (other, _) = new_token("editor", Scope::Write).unwrap();
        assert_ne!(other.id, record.id);
        assert!(!other.matches(presented.secret));
    }

    #[test]
    fn tokens_of_the_wrong_shape_are_refused() {
        for bad in [
            "",
            "pbt_",
            "pbt_0123456789abcdef",
            "pbt_0123456789abcde_",
            &format!("pbt_0123456789abcdeg_{}", "a".repeat(64)),
            &format!("pbt_0123456789abcdef_{}", "a".repeat(63)),
            &format!("xyz_0123456789abcdef_{}", "a".repeat(64)),
        ] {
            assert_eq!(parse_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn scopes_are_ordered_and_names_checked() {
        assert!(Scope::Read < Scope::Write && Scope::Write < Scope::Admin);
        assert_eq!("admin".parse::<Scope>().unwrap(), Scope::Admin);
        assert!("root".parse::<Scope>().is_err());
        assert!(matches!(
            new_token(" ", Scope::Read),
            Err(AuthError::BadName)
        ));
        assert!(matches!(
            new_token("a\nb", Scope::Read),
            Err(AuthError::BadName)
        ));
        assert!(now_rfc3339().ends_with('Z'));
    }
}
