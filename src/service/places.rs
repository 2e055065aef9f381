//! Where nodes are: a spatial index of every located node, answering "nearest to a
//! point" and "within R km" in great-circle distance without a scan.
//!
//! Points are kept on the unit sphere as 3-D vectors in an R*-tree (`rstar`): the
//! straight-line (chord) distance between two such points grows with their great-circle
//! distance, so the tree's nearest-first walk is the great-circle order, and a chord
//! converts back to kilometres exactly (`2·asin(chord/2)·R`).
//!
//! The index is built from the node records the first time a question needs it, then
//! follows every committed write (a node created, moved or deleted), version by
//! version. Any other change to the store (an import, a repair, a restore) leaves it at
//! an older version, and the next question rebuilds it.

use std::collections::HashMap;

use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::{Service, ServiceError};
use crate::model::{CountryCode, Location, NodeId, NodeKind};
use crate::store::RecordChange;

/// Earth's mean radius, km (as `partners::haversine_km` uses).
const EARTH_KM: f64 = 6371.0088;

/// What the index keeps of a located node.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    /// The node.
    pub id: NodeId,
    /// Its kind.
    pub kind: NodeKind,
    /// Its country.
    pub country: Option<CountryCode>,
    /// Where it is.
    pub location: Location,
}

type Entry = GeomWithData<[f64; 3], Placed>;

/// The index (see the module documentation).
pub struct Places {
    /// The graph version it reflects.
    version: u64,
    tree: RTree<Entry>,
    /// The entry of each located node, to remove it when the node moves or goes.
    entries: HashMap<NodeId, Entry>,
}

/// A point on the unit sphere.
fn unit(location: Location) -> [f64; 3] {
    let (lat, lon) = (location.lat.to_radians(), location.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Great-circle kilometres of a squared chord on the unit sphere.
fn km_of_chord2(chord2: f64) -> f64 {
    2.0 * (chord2.max(0.0).sqrt() / 2.0).min(1.0).asin() * EARTH_KM
}

fn entry(placed: Placed) -> Entry {
    GeomWithData::new(unit(placed.location), placed)
}

impl Places {
    fn build(service: &Service, version: u64) -> Result<Self, ServiceError> {
        let mut entries = HashMap::new();
        for node in service.store.scan_nodes() {
            let node = node?;
            if let Some(location) = node.location {
                let placed = Placed {
                    id: node.id.clone(),
                    kind: node.kind,
                    country: node.country,
                    location,
                };
                entries.insert(node.id, entry(placed));
            }
        }
        Ok(Places {
            version,
            tree: RTree::bulk_load(entries.values().cloned().collect()),
            entries,
        })
    }

    /// Applies the node changes of the writes committed as versions `first..=last`, if
    /// the index stands just before them; otherwise it is left behind (and rebuilt when
    /// next asked).
    fn follow(&mut self, first: u64, last: u64, writes: &[&[RecordChange]]) {
        if self.version + 1 != first {
            return;
        }
        for changes in writes {
            for change in changes.iter() {
                let RecordChange::Node { before, after } = change else {
                    continue;
                };
                if let Some(old) = before.as_ref().and_then(|n| self.entries.remove(&n.id)) {
                    self.tree.remove(&old);
                }
                if let Some(node) = after {
                    if let Some(old) = self.entries.remove(&node.id) {
                        self.tree.remove(&old);
                    }
                    if let Some(location) = node.location {
                        let new = entry(Placed {
                            id: node.id.clone(),
                            kind: node.kind,
                            country: node.country,
                            location,
                        });
                        self.tree.insert(new.clone());
                        self.entries.insert(node.id.clone(), new);
                    }
                }
            }
        }
        self.version = last;
    }

    /// Located nodes by great-circle distance from `from`, nearest first, with the
    /// distance in km.
    pub fn nearest(&self, from: Location) -> impl Iterator<Item = (&Placed, f64)> + '_ {
        self.tree
            .nearest_neighbor_iter_with_distance_2(&unit(from))
            .map(|(entry, chord2)| (&entry.data, km_of_chord2(chord2)))
    }
}

impl Service {
    /// Runs `ask` on the spatial index as of the current graph version (built or
    /// rebuilt when it is behind).
    pub fn with_places<T>(&self, ask: impl FnOnce(&Places) -> T) -> Result<T, ServiceError> {
        let version = self.version();
        let mut slot = self.places.lock().map_err(|_| ServiceError::Poisoned)?;
        if slot.as_ref().map_or(true, |p| p.version != version) {
            *slot = Some(Places::build(self, version)?);
            self.places_built
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        match slot.as_ref() {
            Some(places) => Ok(ask(places)),
            None => Err(ServiceError::Poisoned),
        }
    }

    /// How many times the spatial index was built from the records (once, unless a
    /// change other than a write — an import, a repair — left it behind).
    pub fn places_built(&self) -> u64 {
        self.places_built.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves the spatial index along with writes committed as `first..=last`.
    pub(super) fn places_follow(&self, first: u64, last: u64, writes: &[&[RecordChange]]) {
        if let Ok(mut slot) = self.places.lock() {
            if let Some(places) = slot.as_mut() {
                places.follow(first, last, writes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::service::partners::haversine_km;

    #[test]
    fn a_chord_converts_back_to_the_great_circle_distance() {
        let (a, b) = (
            Location {
                lat: 55.7558,
                lon: 37.6173,
            },
            Location {
                lat: 35.6762,
                lon: 139.6503,
            },
        );
        let (p, q) = (unit(a), unit(b));
        let chord2: f64 = p.iter().zip(&q).map(|(x, y)| (x - y).powi(2)).sum();
        let km = km_of_chord2(chord2);
        let haversine = haversine_km((a.lat, a.lon), (b.lat, b.lon));
        assert!((km - haversine).abs() < 1e-6, "{km} {haversine}");
    }
}
