//! Import and export formats. One file per format.

pub mod native;
pub mod seed;
