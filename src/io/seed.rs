//! The datasets compiled into the binary, so that a first `serve` of an empty directory
//! shows a real network: the seed, curated from five documents, and the world network
//! of the Wikipedia lists.

/// The fixture file, as committed under `fixtures/`.
pub const SEED_JSON: &str = include_str!("../../fixtures/seed.json");

/// The documents the seed cites, as committed under `fixtures/`.
pub const SOURCES_JSON: &str = include_str!("../../fixtures/sources.json");

/// The world twin-town network (`fixtures/world/links.csv.gz`, an edge list built by
/// `scripts/world_dataset.py` from the English Wikipedia lists; sources and licences in
/// `fixtures/world/LICENSES.md`).
pub const WORLD_LINKS_GZ: &[u8] = include_bytes!("../../fixtures/world/links.csv.gz");

/// The `source.document` every link of the world dataset carries.
pub const WORLD_DOCUMENT: &str = "enwiki-lists@Hekman/twincities:84ebdec";

/// The licence of the world dataset's content (Wikipedia's lists).
pub const WORLD_LICENCE: &str = "CC BY-SA 4.0";

/// Whom a reuse of the world dataset must credit.
pub const WORLD_ATTRIBUTION: &str = "Wikipedia contributors, List of twin towns and sister \
     cities, English Wikipedia; scrape and geocoding by Erik Hekman, Hekman/twincities \
     (MIT), coordinates in part from OpenStreetMap (ODbL)";

/// Where the world dataset's scrape can be read.
pub const WORLD_URL: &str = "https://github.com/Hekman/twincities";
