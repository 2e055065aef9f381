//! The data model: nodes, links, ids, partial dates, country codes and their invariants.
//!
//! Pure types and checks, no I/O. Rules that need other records (members exist, no
//! duplicate link) are checked by the service against the store.

pub mod clock;
pub mod country;
pub mod date;
pub mod draft;
pub mod id;
pub mod json_nesting;
pub mod link;
pub mod node;
#[cfg(test)]
mod properties;
pub mod text;
pub mod token;
pub mod validate;

pub use country::CountryCode;
pub use date::PartialDate;
pub use id::{LinkId, NodeId};
pub use link::{Evidence, Link, LinkKind, LinkStatus, Source};
pub use node::{Location, Node, NodeKind};
pub use validate::{ValidationError, Violation};
