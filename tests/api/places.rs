//! Questions of place: nodes ranked by great-circle distance from a point, from the
//! spatial index, checked against a haversine over every located node of the world
//! network, and followed through writes.

use pobratim::graph::filter::Filter;
use pobratim::model::{Location, NodeKind};
use pobratim::service::documents::Dataset;
use pobratim::service::export::ExportFormat;
use pobratim::service::partners::haversine_km;
use pobratim::service::{node_from_json, Change, Near, NodeFilter, NodeQuery, Service};
use serde_json::{json, Value};

use crate::common::TestServer;

/// Every located node of the store: id, kind, location.
fn located(service: &Service) -> Vec<(String, NodeKind, Location)> {
    let mut out = Vec::new();
    service
        .export(ExportFormat::Pobratim, &Filter::default(), &mut out)
        .unwrap();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["location"].is_object())
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_string(),
                serde_json::from_value(n["kind"].clone()).unwrap(),
                Location {
                    lat: n["location"]["lat"].as_f64().unwrap(),
                    lon: n["location"]["lon"].as_f64().unwrap(),
                },
            )
        })
        .collect()
}

fn near(
    service: &Service,
    from: Location,
    within_km: Option<f64>,
    nearest: Option<usize>,
) -> Vec<(String, f64)> {
    let query = NodeQuery {
        filter: NodeFilter::default(),
        text: None,
        after: None,
        limit: 1000,
        near: Some(Near {
            from,
            within_km,
            nearest,
        }),
    };
    let page = service.list_nodes(&query).unwrap();
    let distances = page.distances_km.unwrap();
    page.items
        .iter()
        .map(|n| n.id.as_str().to_string())
        .zip(distances)
        .collect()
}

fn next(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn distance_rankings_equal_a_haversine_over_every_located_node() {
    let dir = tempfile::TempDir::new().unwrap();
    let service = Service::open(dir.path()).unwrap();
    service.seed_if_new(Dataset::World).unwrap();
    let all = located(&service);
    assert!(all.len() > 17_000, "{}", all.len());
    let mut state = 7;
    for _ in 0..100 {
        let from = Location {
            lat: next(&mut state) * 180.0 - 90.0,
            lon: next(&mut state) * 360.0 - 180.0,
        };
        let mut brute: Vec<(f64, &str)> = all
            .iter()
            .map(|(id, _, at)| {
                (
                    haversine_km((from.lat, from.lon), (at.lat, at.lon)),
                    id.as_str(),
                )
            })
            .collect();
        brute.sort_by(|a, b| a.0.total_cmp(&b.0));
        // The ten nearest: the same distances in the same order (ties may swap ids).
        let ten = near(&service, from, None, Some(10));
        assert_eq!(ten.len(), 10);
        for ((_, km), (expected, _)) in ten.iter().zip(&brute) {
            assert!((km - expected).abs() < 1e-6, "{from:?}: {km} vs {expected}");
        }
        // Within 500 km: the same set, away from the boundary's rounding.
        let radius = 500.0;
        let within: std::collections::BTreeSet<String> = near(&service, from, Some(radius), None)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        for (km, id) in &brute {
            if (km - radius).abs() < 1e-6 {
                continue;
            }
            assert_eq!(
                within.contains(*id),
                *km <= radius,
                "{from:?}: {id} at {km} km"
            );
        }
    }
}

#[test]
fn the_index_follows_creations_moves_and_deletions() {
    let dir = tempfile::TempDir::new().unwrap();
    let service = Service::open(dir.path()).unwrap();
    service.seed_if_new(Dataset::Seed).unwrap();
    let point = Location {
        lat: -40.0,
        lon: -120.0,
    };
    // Asked once, so that the index exists and must then follow the writes.
    let before = near(&service, point, Some(100.0), None);
    assert!(before.is_empty(), "{before:?}");
    let put = |lat: f64, lon: f64| {
        let node = json!({"id": "city:xx:buoy", "kind": "city", "name": "Buoy",
            "location": {"lat": lat, "lon": lon}});
        let Value::Object(map) = node else {
            unreachable!()
        };
        service
            .write(vec![(
                String::new(),
                Change::PutNode(node_from_json(map).unwrap()),
            )])
            .unwrap();
    };
    put(-40.1, -120.1);
    let found = near(&service, point, Some(100.0), None);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "city:xx:buoy");
    put(10.0, 10.0);
    assert!(near(&service, point, Some(100.0), None).is_empty());
    let moved_to = Location {
        lat: 10.0,
        lon: 10.0,
    };
    let nearest_there = || near(&service, moved_to, None, Some(1))[0].0.clone();
    assert_eq!(nearest_there(), "city:xx:buoy");
    let gone = Change::DeleteNode {
        id: pobratim::model::NodeId::new("city:xx:buoy").unwrap(),
        cascade: false,
    };
    service.write(vec![(String::new(), gone)]).unwrap();
    assert_ne!(nearest_there(), "city:xx:buoy");
    // Followed through three writes, never rebuilt.
    assert_eq!(service.places_built(), 1);
}

#[test]
fn nodes_near_a_point_over_http() {
    let server = TestServer::start_seeded();
    let reply = server.get("/api/v1/nodes?near=43.115,131.885&nearest=3&kind=city");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let items = reply.body["items"].as_array().unwrap();
    let distances: Vec<f64> = reply.body["distances_km"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect();
    assert_eq!((items.len(), distances.len()), (3, 3));
    assert_eq!(items[0]["id"], "city:ru:vladivostok");
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    // Paged by an offset cursor.
    let first = server.get("/api/v1/nodes?near=43.115,131.885&limit=2");
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let second = server.get(&format!(
        "/api/v1/nodes?near=43.115,131.885&limit=2&cursor={cursor}"
    ));
    assert_ne!(first.body["items"][0]["id"], second.body["items"][0]["id"]);
    // Rules.
    let both = server.get("/api/v1/nodes?near=43.115,131.885&q=niigata");
    assert_eq!(
        (both.status, both.body["code"].as_str()),
        (422, Some("conflicting_parameters"))
    );
    let alone = server.get("/api/v1/nodes?within_km=100");
    assert_eq!(
        (alone.status, alone.body["field"].as_str()),
        (422, Some("within_km"))
    );
    let far = server.get("/api/v1/nodes?near=91,0");
    assert_eq!(
        (far.status, far.body["field"].as_str()),
        (400, Some("near"))
    );
}

/// `/stats` gives the great-circle lengths of the linked pairs: on the world network,
/// the same as a haversine and NumPy-style percentiles computed here from the shipped
/// file.
#[test]
fn link_lengths_of_the_world_network_match_the_file() {
    use std::collections::BTreeMap;
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(pobratim::io::seed::WORLD_LINKS_GZ)
        .read_to_string(&mut text)
        .unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (ia, ib) = (at("id_a"), at("id_b"));
    let coords = |row: &csv::StringRecord, side: &str| -> Option<(f64, f64)> {
        Some((
            row[at(&format!("lat_{side}"))].parse().ok()?,
            row[at(&format!("lon_{side}"))].parse().ok()?,
        ))
    };
    let mut pairs: BTreeMap<(String, String), Option<f64>> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let (a, b) = (row[ia].to_string(), row[ib].to_string());
        let key = if a < b { (a, b) } else { (b, a) };
        let km = match (coords(&row, "a"), coords(&row, "b")) {
            (Some(p), Some(q)) => Some(haversine_km(p, q)),
            _ => None,
        };
        pairs.insert(key, km);
    }
    let mut lengths: Vec<f64> = pairs.values().flatten().copied().collect();
    lengths.sort_by(f64::total_cmp);
    let percentile = |q: f64| {
        let position = q * (lengths.len() - 1) as f64;
        let (low, high) = (position.floor() as usize, position.ceil() as usize);
        lengths[low] + (lengths[high] - lengths[low]) * (position - low as f64)
    };
    let server = TestServer::start_seeded_with(|c| c.dataset = Some(Dataset::World));
    let stats = server.get("/api/v1/stats?kinds=twinning&distances=false");
    assert_eq!(stats.status, 200, "{}", stats.body);
    let found = &stats.body["link_lengths"];
    assert_eq!(found["pairs"].as_u64().unwrap() as usize, lengths.len());
    assert_eq!(
        found["unlocated"].as_u64().unwrap() as usize,
        pairs.values().filter(|k| k.is_none()).count()
    );
    for (name, q) in [
        ("p10", 0.1),
        ("p25", 0.25),
        ("p50", 0.5),
        ("p75", 0.75),
        ("p90", 0.9),
    ] {
        let got = found["quantiles_km"][name].as_f64().unwrap();
        assert!(
            (got - percentile(q)).abs() < 1e-6,
            "{name}: {got} vs {}",
            percentile(q)
        );
    }
    let binned: u64 = found["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["pairs"].as_u64().unwrap())
        .sum();
    assert_eq!(binned as usize, lengths.len());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Creations, moves and deletions in any order: after each write, the distance
    /// ranking equals a haversine over the nodes the store then holds, and the index
    /// was never rebuilt (it followed every write).
    #[test]
    fn the_index_stays_right_through_any_writes(
        ops in proptest::collection::vec((0u8..3, 0usize..6, -80.0f64..80.0, -170.0f64..170.0), 1..25)
    ) {
        let dir = tempfile::TempDir::new().unwrap();
        let service = Service::open(dir.path()).unwrap();
        let from = Location { lat: 0.0, lon: 0.0 };
        let _ = near(&service, from, None, None);
        let mut held: std::collections::BTreeMap<String, Location> = Default::default();
        for (op, slot, lat, lon) in ops {
            let id = format!("city:xx:p{slot}");
            let change = if op == 2 {
                if !held.contains_key(&id) {
                    continue;
                }
                held.remove(&id);
                Change::DeleteNode { id: pobratim::model::NodeId::new(id.as_str()).unwrap(), cascade: false }
            } else {
                let at = Location { lat, lon };
                held.insert(id.clone(), at);
                let node = json!({"id": id, "kind": "city", "name": format!("P{slot}"),
                    "location": {"lat": lat, "lon": lon}});
                let Value::Object(map) = node else { unreachable!() };
                Change::PutNode(node_from_json(map).unwrap())
            };
            service.write(vec![(String::new(), change)]).unwrap();
            let found = near(&service, from, None, None);
            let mut expected: Vec<(f64, String)> = held
                .iter()
                .map(|(id, at)| (haversine_km((0.0, 0.0), (at.lat, at.lon)), id.clone()))
                .collect();
            expected.sort_by(|a, b| a.0.total_cmp(&b.0));
            proptest::prop_assert_eq!(found.len(), expected.len());
            for ((id, km), (want, _)) in found.iter().zip(&expected) {
                proptest::prop_assert!((km - want).abs() < 1e-6, "{} at {} vs {}", id, km, want);
            }
            let ids: std::collections::BTreeSet<&String> = found.iter().map(|(id, _)| id).collect();
            proptest::prop_assert_eq!(ids, held.keys().collect());
        }
        proptest::prop_assert_eq!(service.places_built(), 1);
    }
}

#[test]
fn a_nodes_partners_come_with_their_distances() {
    let server = TestServer::start_seeded();
    let id = "city:ru:blagoveshchensk";
    let answer = server.get(&format!("/api/v1/nodes/{id}/neighbours"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let at = |node: &Value| {
        node["location"].is_object().then(|| {
            (
                node["location"]["lat"].as_f64().unwrap(),
                node["location"]["lon"].as_f64().unwrap(),
            )
        })
    };
    let centre = at(&answer.body["node"]).unwrap();
    let partners = answer.body["partners"].as_array().unwrap();
    let mut lengths = Vec::new();
    for partner in partners {
        match at(&partner["node"]) {
            Some(there) => {
                let km = haversine_km(centre, there);
                assert!(
                    (partner["distance_km"].as_f64().unwrap() - km).abs() < 1e-9,
                    "{partner}"
                );
                lengths.push(km);
            }
            None => assert!(partner["distance_km"].is_null(), "{partner}"),
        }
    }
    assert!(!lengths.is_empty());
    let summary = &answer.body["partner_distances"];
    assert_eq!(summary["pairs"], json!(lengths.len()));
    assert_eq!(summary["unlocated"], json!(partners.len() - lengths.len()));
    let mean = lengths.iter().sum::<f64>() / lengths.len() as f64;
    assert!((summary["mean_km"].as_f64().unwrap() - mean).abs() < 1e-6);
    let binned: u64 = summary["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["pairs"].as_u64().unwrap())
        .sum();
    assert_eq!(binned as usize, lengths.len());
}
