//! The seed network: curated from the documents in `shared/seeds/`, compiled into the
//! binary so that a first `serve` of an empty directory shows a real network.

/// The fixture file, as committed under `fixtures/`.
pub const SEED_JSON: &str = include_str!("../../fixtures/seed.json");

/// The documents the seed cites, as committed under `fixtures/`.
pub const SOURCES_JSON: &str = include_str!("../../fixtures/sources.json");
