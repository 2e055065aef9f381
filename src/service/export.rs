//! Exports: the stored records a filter admits, written in a file format of [`crate::io`],
//! with a manifest of what was written (see [`super::manifest`]).
//!
//! An export is deterministic: records are written in id order and no format writes a
//! time or anything else that varies between runs, so the same graph version and
//! filters give the same bytes, and so the same SHA-256.

use std::io::{Seek, Write};

use super::filters::Filter;
use super::manifest::{Digesting, ExportManifest, Tally, MANIFEST_VERSION};
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

/// Optimistic attempts before an export holds writes back to read one version whole.
const OPTIMISTIC_ATTEMPTS: usize = 2;

impl Service {
    /// Writes the network in `format`: pobratim's own format streams every record
    /// (filters do not apply); the others write the records `filter` admits. Damaged
    /// records are passed over, and so are links naming a damaged node (they would not
    /// import back). Answers the manifest of what was written, named `network.<ext>`.
    ///
    /// The records are read as the store holds them while they are written: a caller
    /// that shares the store with writers uses [`Service::export_spooled`] or
    /// [`Service::export_manifest`], which read one graph version whole.
    pub fn export(
        &self,
        format: ExportFormat,
        filter: &Filter,
        out: &mut impl Write,
    ) -> Result<ExportManifest, ExportError> {
        let store = &self.store;
        let graph_version = store.graph_version()?;
        let mut tally = Tally::default();
        let mut out = Digesting::new(out);
        let links = || {
            store
                .scan_links()
                .filter(|l| !matches!(l, Ok(link) if store.names_damaged_node(&link.members)))
        };
        let filters = match format {
            ExportFormat::Pobratim => {
                let tally = std::cell::RefCell::new(&mut tally);
                let nodes = store.scan_nodes().inspect(|n| {
                    if let Ok(node) = n {
                        tally.borrow_mut().node(node);
                    }
                });
                let links = links().inspect(|l| {
                    if let Ok(link) = l {
                        tally.borrow_mut().link(link);
                    }
                });
                native::write(nodes, links, &mut out)?;
                None
            }
            graph_format => {
                let selection = Selection::select(store.scan_nodes(), links(), filter)?;
                selection.nodes().iter().for_each(|n| tally.node(n));
                selection.links().iter().for_each(|l| tally.link(l));
                graph_format.write(&selection, &mut out)?;
                Some(filter.into())
            }
        };
        out.flush()?;
        let (_, bytes, sha256) = out.finish();
        let (nodes, links) = tally.counts();
        let described = self.sources().unwrap_or_default();
        Ok(ExportManifest {
            manifest_version: MANIFEST_VERSION,
            file: format!("network.{}", format.extension()),
            format: format.as_str(),
            media_type: format.media_type(),
            bytes,
            sha256,
            graph_version,
            filters,
            pobratim_version: env!("CARGO_PKG_VERSION"),
            nodes,
            links,
            links_without_source: tally.without_source(),
            sources: tally.cited(&described),
        })
    }

    /// The export written whole to an anonymous temporary file (gone when dropped, and
    /// on a crash), rewound, with its manifest: one graph version, read whole even
    /// while others write.
    pub fn export_spooled(
        &self,
        format: ExportFormat,
        filter: &Filter,
    ) -> Result<(std::fs::File, ExportManifest), ServiceError> {
        self.one_version(|| {
            let mut file = tempfile::tempfile()?;
            let mut buffered = std::io::BufWriter::new(&mut file);
            let manifest = self.export(format, filter, &mut buffered)?;
            buffered.flush()?;
            drop(buffered);
            file.rewind()?;
            Ok((file, manifest))
        })
    }

    /// The manifest of an export, without keeping the file: what
    /// [`Service::export_spooled`] would write.
    pub fn export_manifest(
        &self,
        format: ExportFormat,
        filter: &Filter,
    ) -> Result<ExportManifest, ServiceError> {
        self.one_version(|| {
            let manifest = self.export(format, filter, &mut std::io::sink())?;
            Ok(((), manifest))
        })
        .map(|((), manifest)| manifest)
    }

    /// Runs an export until it read a single graph version: a write that lands while
    /// it reads makes it start again, and after [`OPTIMISTIC_ATTEMPTS`] it holds
    /// writes back (they wait, and then commit) for one last attempt.
    fn one_version<T>(
        &self,
        attempt: impl Fn() -> Result<(T, ExportManifest), ExportError>,
    ) -> Result<(T, ExportManifest), ServiceError> {
        for _ in 0..OPTIMISTIC_ATTEMPTS {
            let written = attempt()?;
            if self.store.graph_version()? == written.1.graph_version {
                return Ok(written);
            }
        }
        let _writes_held = self.snapshots.lock();
        Ok(attempt()?)
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
