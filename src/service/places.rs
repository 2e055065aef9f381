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
        let mut placed = Vec::new();
        for node in service.store.scan_nodes() {
            let node = node?;
            if let Some(location) = node.location {
                placed.push(Placed {
                    id: node.id,
                    kind: node.kind,
                    country: node.country,
                    location,
                });
            }
        }
        Ok(Self::of(version, placed))
    }

    /// The index of these located nodes, as of graph `version` (bulk-loaded).
    pub fn of(version: u64, placed: Vec<Placed>) -> Self {
        let entries: HashMap<NodeId, Entry> = placed
            .into_iter()
            .map(|p| (p.id.clone(), entry(p)))
            .collect();
        Places {
            version,
            tree: RTree::bulk_load(entries.values().cloned().collect()),
            entries,
        }
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

    /// Where node `id` is, if it is located.
    pub fn location_of(&self, id: &str) -> Option<Location> {
        self.entries.get(id).map(|entry| entry.data.location)
    }

    /// Located nodes by great-circle distance from `from`, nearest first, with the
    /// distance in km.
    pub fn nearest(&self, from: Location) -> impl Iterator<Item = (&Placed, f64)> + '_ {
        self.tree
            .nearest_neighbor_iter_with_distance_2(&unit(from))
            .map(|(entry, chord2)| (&entry.data, km_of_chord2(chord2)))
    }
}

/// Upper bounds of the link-length histogram's bins, km; the last bin is open.
pub const LENGTH_BINS_KM: [f64; 7] = [100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0];

/// The great-circle lengths of a graph's links: one per linked pair whose two nodes
/// are located.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LinkLengths {
    /// Linked pairs with both nodes located (the lengths below are theirs).
    pub pairs: usize,
    /// Linked pairs with a node that has no location.
    pub unlocated: usize,
    /// Mean length, km.
    pub mean_km: Option<f64>,
    /// Quantiles, km, interpolated linearly between the sorted lengths (NumPy's
    /// default): 10th, 25th, 50th (median), 75th and 90th percentiles, and the longest.
    pub quantiles_km: Option<LengthQuantiles>,
    /// Pairs per bin: `[0, 100)`, `[100, 250)`, … `[5000, 10000)`, `[10000, ∞)` km.
    pub histogram: Vec<LengthBin>,
}

/// Quantiles of link lengths, km.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LengthQuantiles {
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// The longest.
    pub max: f64,
}

/// One bin of the link-length histogram.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LengthBin {
    /// Lower bound, km (included).
    pub from_km: f64,
    /// Upper bound, km (excluded); `None` for the last, open bin.
    pub to_km: Option<f64>,
    /// Pairs in the bin.
    pub pairs: usize,
}

impl LinkLengths {
    /// The distribution of `lengths` (km), with `unlocated` pairs that have none.
    pub fn of(mut lengths: Vec<f64>, unlocated: usize) -> Self {
        lengths.sort_by(f64::total_cmp);
        let n = lengths.len();
        let at = |q: f64| -> f64 {
            let position = q * (n - 1) as f64;
            let (low, high) = (position.floor() as usize, position.ceil() as usize);
            lengths[low] + (lengths[high] - lengths[low]) * (position - low as f64)
        };
        let mut histogram: Vec<LengthBin> = std::iter::once(0.0)
            .chain(LENGTH_BINS_KM)
            .zip(LENGTH_BINS_KM.iter().copied().map(Some).chain([None]))
            .map(|(from_km, to_km)| LengthBin {
                from_km,
                to_km,
                pairs: 0,
            })
            .collect();
        for km in &lengths {
            let bin = LENGTH_BINS_KM.partition_point(|upper| upper <= km);
            histogram[bin].pairs += 1;
        }
        LinkLengths {
            pairs: n,
            unlocated,
            mean_km: (n > 0).then(|| lengths.iter().sum::<f64>() / n as f64),
            quantiles_km: (n > 0).then(|| LengthQuantiles {
                p10: at(0.10),
                p25: at(0.25),
                p50: at(0.50),
                p75: at(0.75),
                p90: at(0.90),
                max: lengths[n - 1],
            }),
            histogram,
        }
    }
}

impl Service {
    /// The great-circle lengths of the linked pairs of `scope`'s view.
    pub fn link_lengths(
        &self,
        scope: &super::analysis::Scope,
    ) -> Result<LinkLengths, ServiceError> {
        let data = self.partner_data(&scope.graph)?;
        let (mut lengths, mut unlocated) = (Vec::new(), 0);
        for u in scope.view.nodes() {
            for &v in scope.view.neighbours(u) {
                if v <= u {
                    continue;
                }
                match data.distance_km(u, v) {
                    Some(km) => lengths.push(km),
                    None => unlocated += 1,
                }
            }
        }
        Ok(LinkLengths::of(lengths, unlocated))
    }

    /// Runs `ask` on the spatial index as of the current graph version (built or
    /// rebuilt when it is behind).
    pub fn with_places<T>(&self, ask: impl FnOnce(&Places) -> T) -> Result<T, ServiceError> {
        let version = self.version();
        let mut slot = self.places.lock().map_err(|_| ServiceError::Poisoned)?;
        if slot.as_ref().is_none_or(|p| p.version != version) {
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
    fn lengths_give_numpy_quantiles_and_stated_bins() {
        // numpy.percentile([10, 20, 300, 4000, 20000], [10, 25, 50, 75, 90])
        //   = [14., 20., 300., 4000., 13600.]
        let lengths = LinkLengths::of(vec![4000.0, 10.0, 20000.0, 300.0, 20.0], 2);
        let q = lengths.quantiles_km.unwrap();
        let expected = [14.0, 20.0, 300.0, 4000.0, 13600.0, 20000.0];
        for (got, want) in [q.p10, q.p25, q.p50, q.p75, q.p90, q.max]
            .iter()
            .zip(expected)
        {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
        assert_eq!((lengths.pairs, lengths.unlocated), (5, 2));
        assert!((lengths.mean_km.unwrap() - 4866.0).abs() < 1e-9);
        let counts: Vec<usize> = lengths.histogram.iter().map(|b| b.pairs).collect();
        assert_eq!(counts, [2, 0, 1, 0, 0, 1, 0, 1]);
        assert_eq!(lengths.histogram[7].to_km, None);
        assert!(LinkLengths::of(Vec::new(), 0).quantiles_km.is_none());
    }

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
