//! Whole pobratim JSON documents written as one atomic upsert, and the datasets a new
//! data directory starts with.

use super::{Change, Service, ServiceError, WriteSummary};
use crate::io::native::{self, ImportError};
use crate::io::seed::{SEED_JSON, WORLD_LINKS_GZ};
use crate::io::{ImportFormat, Record};
use crate::model::LinkKind;

/// What a new, empty data directory starts with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dataset {
    /// The seed network: 62 nodes and 77 links curated from five documents, each link
    /// quoting its sentence.
    #[default]
    Seed,
    /// The world network of the Wikipedia lists: 17,232 cities, 24,891 twinnings.
    World,
    /// The world network, with the seed's records over it (its quotes, dates,
    /// associations and their ties).
    Both,
}

impl Dataset {
    /// Every dataset, in the order they are documented.
    pub const ALL: [Dataset; 3] = [Dataset::Seed, Dataset::World, Dataset::Both];

    /// Its name on the command line (`world`).
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Seed => "seed",
            Dataset::World => "world",
            Dataset::Both => "both",
        }
    }
}

/// What loading a dataset wrote.
#[derive(Clone, Debug, Default)]
pub struct DatasetLoad {
    /// Records created.
    pub created: u64,
    /// The graph version after the load.
    pub graph_version: u64,
}

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
                Record::Link(link) | Record::PartialLink(link) => Change::PutLink(link),
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

    /// Loads `dataset` if the store was never seeded and is empty; marks it seeded
    /// either way. Returns what was written, if anything. The world network goes in as
    /// one bulk load (logged as made by `world`); the seed then as one write over it,
    /// so a city both name keeps the seed's record and a link both hold the seed's
    /// quote.
    pub fn seed_if_new(&self, dataset: Dataset) -> Result<Option<DatasetLoad>, ServiceError> {
        if self.store.is_seeded()? {
            return Ok(None);
        }
        let load = if self.store.is_empty() {
            let mut load = DatasetLoad::default();
            if matches!(dataset, Dataset::World | Dataset::Both) {
                let world = self.load_world()?;
                load.created += world.created;
                load.graph_version = world.graph_version;
            }
            if matches!(dataset, Dataset::Seed | Dataset::Both) {
                let seed = self.import_document("seed", SEED_JSON.as_bytes())?;
                load.created += seed.created as u64;
                load.graph_version = seed.graph_version;
            }
            Some(load)
        } else {
            None
        };
        self.store
            .mark_seeded(&format!("dataset {}", dataset.as_str()))?;
        Ok(load)
    }

    /// Imports the world network shipped in the binary.
    fn load_world(&self) -> Result<DatasetLoad, ServiceError> {
        let input = std::io::BufReader::new(flate2::read::GzDecoder::new(WORLD_LINKS_GZ));
        let items =
            crate::io::open_items(ImportFormat::EdgeList, Box::new(input), LinkKind::Twinning)
                .map_err(world_refused)?;
        let report =
            self.import_by("world", items, super::ImportOptions::default(), &mut |_| {})?;
        match report.errors.first() {
            Some(first) => Err(world_refused(first.clone())),
            None => Ok(DatasetLoad {
                created: report.created,
                graph_version: report.graph_version,
            }),
        }
    }
}

/// A row of the shipped world dataset that the importer refuses: a defect of the
/// build, named as a damaged store record would be.
fn world_refused(error: crate::io::RowError) -> ServiceError {
    ServiceError::Store(crate::store::StoreError::Corrupt {
        tree: "fixtures/world/links.csv.gz".into(),
        key: error.line.to_string(),
        detail: error.to_string(),
    })
}
