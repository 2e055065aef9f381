//! pobratim — a graph database service for the network of relations between cities:
//! twinning, friendship agreements, trilateral partnerships, and the associations and
//! states around them.
//!
//! One crate in six layers, each naming only the layers below it (`docs/architecture.md`;
//! `tests/api/architecture.rs` keeps it so):
//!
//! ```text
//! model  ←  graph  ←  store  ←  io  ←  service  ←  api, cli
//! ```
//!
//! - [`model`]: ids, dates, nodes, links, tokens and their invariants (pure, no I/O);
//! - [`graph`]: the immutable in-memory snapshot and the graph algorithms;
//! - [`store`]: sled, the source of truth: records, indexes, atomic durable commits;
//! - [`io`]: file formats, read into records and written from them;
//! - [`service`]: every question answered and every write made;
//! - [`api`] and [`cli`]: the HTTP and command-line adapters around the service.
//!
//! ```
//! use pobratim::service::Service;
//!
//! let service = Service::temporary()?;
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
