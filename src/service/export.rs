//! Exports: the stored records a filter admits, written in a file format of [`crate::io`].

use std::io::Write;

use super::filters::Filter;
use super::{Service, ServiceError};
use crate::io::export::Selection;
use crate::io::native::{self, ExportError};
pub use crate::io::{ExportFormat, ImportFormat};
use crate::store::StoreError;

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        ExportError::Read(Box::new(e))
    }
}

impl Service {
    /// Writes the network in `format`: pobratim's own format streams every record
    /// (filters do not apply); the others write the records `filter` admits. Damaged
    /// records are passed over, and so are links naming a damaged node (they would not
    /// import back).
    pub fn export(
        &self,
        format: ExportFormat,
        filter: &Filter,
        out: &mut impl Write,
    ) -> Result<(), ExportError> {
        let store = &self.store;
        let links = || {
            store
                .scan_links()
                .filter(|l| !matches!(l, Ok(link) if store.names_damaged_node(&link.members)))
        };
        match format {
            ExportFormat::Pobratim => native::write(store.scan_nodes(), links(), out),
            graph_format => {
                let selection = Selection::select(store.scan_nodes(), links(), filter)?;
                graph_format.write(&selection, out)
            }
        }
    }
}

impl From<ExportError> for ServiceError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Read(e) => match e.downcast::<StoreError>() {
                Ok(store) => ServiceError::Store(*store),
                Err(other) => ServiceError::Store(StoreError::Codec(other.to_string())),
            },
            other => ServiceError::Store(StoreError::Codec(other.to_string())),
        }
    }
}
