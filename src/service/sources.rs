//! The documents links cite: each link's `source.document` names one by its key, and
//! the seed's are described in `fixtures/sources.json` (title, issuing body, date,
//! language, and the address where the document names one).

use serde::{Deserialize, Serialize};

use super::{Service, ServiceError};
use crate::io::seed::SOURCES_JSON;

/// A document links cite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDocument {
    /// The key links name it by (`source.document`).
    pub key: String,
    /// The file of the project's shared seed texts it was read from.
    pub file: String,
    /// Its title, in its own language.
    pub title: String,
    /// Its title in English.
    pub title_en: String,
    /// Who issued it.
    pub issuer: String,
    /// When: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: String,
    /// Its language (BCP 47).
    pub language: String,
    /// Where it can be read, where the document names an address.
    pub url: Option<String>,
}

#[derive(Deserialize)]
struct SourcesFile {
    sources: Vec<SourceDocument>,
}

impl Service {
    /// Every document the seed cites, in key order.
    pub fn sources(&self) -> Result<Vec<SourceDocument>, ServiceError> {
        let file: SourcesFile = serde_json::from_str(SOURCES_JSON)
            .map_err(|e| ServiceError::Store(crate::store::StoreError::Codec(e.to_string())))?;
        let mut sources = file.sources;
        sources.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(sources)
    }

    /// The document with this key.
    pub fn source(&self, key: &str) -> Result<SourceDocument, ServiceError> {
        self.sources()?
            .into_iter()
            .find(|s| s.key == key)
            .ok_or_else(|| ServiceError::NotFound {
                what: "source",
                id: key.to_string(),
                field: None,
            })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_seed_cites_only_described_documents() {
        let service = crate::service::Service::temporary().unwrap();
        let keys: Vec<String> = service
            .sources()
            .unwrap()
            .into_iter()
            .map(|s| s.key)
            .collect();
        assert_eq!(keys.len(), 5);
        let seed: serde_json::Value = serde_json::from_str(crate::io::seed::SEED_JSON).unwrap();
        for link in seed["links"].as_array().unwrap() {
            if let Some(key) = link["source"]["document"].as_str() {
                assert!(keys.iter().any(|k| k == key), "{key}");
                assert_eq!(service.source(key).unwrap().key, key);
            }
        }
        assert!(service.source("nowhere").is_err());
    }
}
