//! pobratim — a graph database service for the network of relations between cities:
//! twinning, friendship agreements, trilateral partnerships, and the associations and
//! states around them.
//!
//! ```text
//! HTTP (actix-web, utoipa)  ──►  service (validation, queries)  ──►  store (sled)
//!                                        │                              │
//!                                        └──► graph snapshot (petgraph) ◄┘
//! ```
//!
//! - [`model`]: node and link types and their invariants (pure, no I/O);
//! - [`store`]: sled, the source of truth: records, indexes, atomic durable commits;
//! - [`graph`]: the immutable in-memory projection, swapped after each commit;
//! - [`service`]: validation against stored state, writes, queries;
//! - [`api`]: the REST API and its OpenAPI document;
//! - [`io`]: file formats (pobratim JSON) and the seed network;
//! - [`server`] and [`cli`]: the `pobratim` binary.
//!
//! ```
//! use pobratim::service::{Change, Service};
//! use pobratim::store::SledStore;
//!
//! let service = Service::from_store(SledStore::temporary()?)?;
//! service.import_document("cli", pobratim::io::seed::SEED_JSON.as_bytes())?;
//! let city = service.get_node("city:ru:blagoveshchensk")?;
//! assert_eq!(city.names["ru"], "Благовещенск");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod api;
pub mod cli;
pub mod graph;
pub mod io;
pub mod model;
pub mod service;
pub mod store;
