//! Access tokens in their own tree: id → record (the secret only as a hash).

use super::codec::{decode, encode};
use super::sled_store::SledStore;
use super::trees::{self, TreeId};
use super::StoreError;
use crate::model::token::{self as auth, AuthError, Scope, TokenRecord};

/// Why a token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The request itself is refused.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sled::Error> for TokenError {
    fn from(e: sled::Error) -> Self {
        TokenError::Store(e.into())
    }
}

/// The live token among `record`, with its hash removed, if `secret` is its secret.
fn admitted(record: &TokenRecord, secret: &str) -> Option<TokenRecord> {
    (record.revoked.is_none() && record.matches(secret)).then(|| record.public())
}

impl SledStore {
    /// Creates a token for `name` with `scope`; returns its record and the token itself,
    /// which is not stored and cannot be shown again. Names of live tokens are unique.
    pub fn create_token(
        &self,
        name: &str,
        scope: Scope,
    ) -> Result<(TokenRecord, String), TokenError> {
        let (record, token) = auth::new_token(name, scope)?;
        if self
            .tokens()?
            .iter()
            .any(|t| t.revoked.is_none() && t.name == record.name)
        {
            return Err(AuthError::NameTaken(record.name).into());
        }
        self.tree(TreeId::Tokens)
            .insert(record.id.as_bytes(), encode(&record)?)?;
        self.flush()?;
        Ok((record.public(), token))
    }

    /// Every token ever created (revoked ones too), oldest first, without hashes.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let mut all = self
            .tree(TreeId::Tokens)
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                decode::<TokenRecord>(trees::TOKENS, &key, &value).map(|t| t.public())
            })
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    /// Whether any live (unrevoked) token exists.
    pub fn has_live_tokens(&self) -> Result<bool, StoreError> {
        Ok(self.tokens()?.iter().any(|t| t.revoked.is_none()))
    }

    /// The live token a presented `pbt_…` string stands for, if any: found by its id,
    /// its secret checked against the stored hash in constant time.
    pub fn authenticate(&self, presented: &str) -> Result<Option<TokenRecord>, StoreError> {
        if let Some(answer) = self.authenticate_in_memory(presented) {
            return Ok(answer);
        }
        let Some(parts) = auth::parse_token(presented) else {
            return Ok(None);
        };
        let Some(raw) = self.tree(TreeId::Tokens).get(parts.id.as_bytes())? else {
            return Ok(None);
        };
        let record: TokenRecord = decode(trees::TOKENS, parts.id.as_bytes(), &raw)?;
        let answer = admitted(&record, parts.secret);
        self.token_cache().put(record);
        Ok(answer)
    }

    /// As [`SledStore::authenticate`] when the answer needs no read of the store (a
    /// malformed token, or one read before); `None` otherwise.
    pub fn authenticate_in_memory(&self, presented: &str) -> Option<Option<TokenRecord>> {
        let Some(parts) = auth::parse_token(presented) else {
            return Some(None);
        };
        let record = self.token_cache().get(parts.id)?;
        Some(admitted(&record, parts.secret))
    }

    /// Revokes the live token `key` names (by its name, or by its id: never a token
    /// whose id happens to equal a name asked for, or the other way round); it stays
    /// listed, with the time.
    pub fn revoke_token(&self, key: TokenKey<'_>) -> Result<TokenRecord, TokenError> {
        let tree = self.tree(TreeId::Tokens);
        for entry in tree.iter() {
            let (stored_key, value) = entry?;
            let mut record: TokenRecord = decode(trees::TOKENS, &stored_key, &value)?;
            let named = match key {
                TokenKey::Name(name) => record.name == name,
                TokenKey::Id(id) => record.id == id,
            };
            if record.revoked.is_none() && named {
                record.revoked = Some(crate::model::clock::now_rfc3339());
                tree.insert(stored_key, encode(&record)?)?;
                self.flush()?;
                self.token_cache().put(record.clone());
                return Ok(record.public());
            }
        }
        let asked = match key {
            TokenKey::Name(name) => name.to_string(),
            TokenKey::Id(id) => format!("with id {id}"),
        };
        Err(AuthError::UnknownToken(asked).into())
    }
}

/// How a token is named when it is revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKey<'a> {
    /// By the name it was given.
    Name(&'a str),
    /// By its id (the part of the token before the secret).
    Id(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_created_found_by_their_secret_and_revoked() {
        let store = SledStore::temporary().unwrap();
        assert!(!store.has_live_tokens().unwrap());
        let (record, token) = store.create_token("editor", Scope::Write).unwrap();
        assert!(record.secret_hash.is_empty(), "never shown");
        assert!(store.has_live_tokens().unwrap());
        assert_eq!(store.authenticate_in_memory(&token), None, "not read yet");
        let found = store.authenticate(&token).unwrap().unwrap();
        assert_eq!((found.name.as_str(), found.scope), ("editor", Scope::Write));
        let remembered = store.authenticate_in_memory(&token).unwrap().unwrap();
        assert_eq!(remembered, found, "answered from memory once read");
        let forged = format!(
            "{}{}",
            &token[..token.len() - 1],
            if token.ends_with('0') { '1' } else { '0' }
        );
        assert_eq!(store.authenticate(&forged).unwrap(), None);
        assert_eq!(store.authenticate_in_memory(&forged), Some(None));
        assert_eq!(store.authenticate("nonsense").unwrap(), None);
        assert!(matches!(
            store.create_token("editor", Scope::Read),
            Err(TokenError::Auth(AuthError::NameTaken(_)))
        ));
        let revoked = store.revoke_token(TokenKey::Name("editor")).unwrap();
        assert!(revoked.revoked.is_some());
        assert_eq!(
            store.authenticate_in_memory(&token),
            Some(None),
            "revoked at once"
        );
        assert_eq!(store.authenticate(&token).unwrap(), None);
        assert!(!store.has_live_tokens().unwrap());
        assert!(
            store.create_token("editor", Scope::Read).is_ok(),
            "the name is free again"
        );
        assert_eq!(store.tokens().unwrap().len(), 2);
        assert!(matches!(
            store.revoke_token(TokenKey::Name("nobody")),
            Err(TokenError::Auth(AuthError::UnknownToken(_)))
        ));
    }
}
