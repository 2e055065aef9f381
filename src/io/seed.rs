//! The seed network: curated from the documents in `shared/seeds/`, compiled into the
//! binary so that a first `serve` of an empty directory shows a real network.

use super::native::{self, ImportError};
use crate::service::{Service, WriteSummary};

/// The fixture file, as committed under `fixtures/`.
pub const SEED_JSON: &str = include_str!("../../fixtures/seed.json");

/// Loads the seed network into `service` if its store was never seeded and is empty.
/// Returns what was written, or `None` when the store already had data or was seeded.
pub fn seed_if_new(service: &Service) -> Result<Option<WriteSummary>, ImportError> {
    let store = service.store();
    if store
        .is_seeded()
        .map_err(crate::service::ServiceError::from)?
    {
        return Ok(None);
    }
    let summary = if store.is_empty() {
        Some(native::import_by(service, "seed", SEED_JSON.as_bytes())?)
    } else {
        None
    };
    store
        .mark_seeded("fixtures/seed.json")
        .map_err(crate::service::ServiceError::from)?;
    Ok(summary)
}
