//! Whole pobratim JSON documents written as one atomic upsert, and the seed network a
//! new data directory starts with.

use super::{Change, Service, ServiceError, WriteSummary};
use crate::io::native::{self, ImportError};
use crate::io::seed::SEED_JSON;
use crate::io::Record;

impl From<ImportError> for ServiceError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Invalid(v) => ServiceError::Invalid(v),
            ImportError::Io(e) => {
                ServiceError::Store(crate::store::StoreError::Codec(e.to_string()))
            }
        }
    }
}

/// The upserts that write records read from a file, each named by its place in it.
pub(crate) fn upserts(items: Vec<crate::io::Item>) -> Vec<(String, Change)> {
    items
        .into_iter()
        .map(|item| {
            let change = match item.record {
                Record::Node { node, .. } => Change::PutNode(node),
                Record::Link(link) => Change::PutLink(link),
            };
            (item.at, change)
        })
        .collect()
}

impl Service {
    /// Upserts every record of a pobratim JSON document, all or nothing, logged as
    /// made by `actor`.
    pub fn import_document(&self, actor: &str, bytes: &[u8]) -> Result<WriteSummary, ServiceError> {
        let doc = native::parse(bytes)?;
        self.write_by(actor, upserts(native::records(doc)?))
    }

    /// Loads the seed network if the store was never seeded and is empty; marks it
    /// seeded either way. Returns what was written, if anything.
    pub fn seed_if_new(&self) -> Result<Option<WriteSummary>, ServiceError> {
        if self.store.is_seeded()? {
            return Ok(None);
        }
        let summary = if self.store.is_empty() {
            Some(self.import_document("seed", SEED_JSON.as_bytes())?)
        } else {
            None
        };
        self.store.mark_seeded("fixtures/seed.json")?;
        Ok(summary)
    }
}
