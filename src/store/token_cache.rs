//! The token records of a directory held in memory, so requests are authenticated
//! without reading the store (see [`super::tokens`]).

use std::collections::HashMap;
use std::sync::RwLock;

use crate::model::token::TokenRecord;

/// Token records (hashes included) by id, as read from the tree, so requests are
/// authenticated from memory. Tokens change only through a [`SledStore`] of the
/// directory, and only one process holds a directory: creating and revoking here
/// keeps the cache true.
#[derive(Default)]
pub(crate) struct TokenCache(RwLock<HashMap<String, TokenRecord>>);

impl TokenCache {
    pub(super) fn get(&self, id: &str) -> Option<TokenRecord> {
        let map = match self.0.read() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.get(id).cloned()
    }

    pub(super) fn put(&self, record: TokenRecord) {
        let mut map = match self.0.write() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.insert(record.id.clone(), record);
    }
}
