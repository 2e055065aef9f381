//! The partner finder: link-prediction scores equal NetworkX's (values committed by
//! tests/reference/partners_reference.py), suggestions explain themselves on the seed
//! network, and over random graphs no existing partner is ever suggested and the
//! country, radius and kind filters hold.

use std::collections::{BTreeMap, HashSet};

use pobratim::graph::filter::Filter;
use pobratim::model::{CountryCode, LinkKind, NodeId};
use pobratim::service::partners::{self, PartnerQuery, Signal};
use pobratim::service::Service;
use pobratim::store::SledStore;

use crate::common::TestServer;
use proptest::prelude::*;
use serde_json::{json, Value};

fn service_of(doc: &str) -> Service {
    let service = Service::from_store(SledStore::temporary().unwrap()).unwrap();
    service.import_document("cli", doc.as_bytes()).unwrap();
    service
}

fn query(signal: Signal) -> PartnerQuery {
    PartnerQuery {
        weights: vec![(signal, 1.0)],
        country: None,
        exclude_country: None,
        within_km: None,
        limit: usize::MAX,
        learned: false,
        bins: None,
    }
}

#[test]
fn link_prediction_scores_equal_networkx() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference");
    for graph in ["seed", "gen-a", "gen-b"] {
        let doc = if graph == "seed" {
            pobratim::io::seed::SEED_JSON.to_string()
        } else {
            std::fs::read_to_string(format!("{root}/graphs/{graph}.json")).unwrap()
        };
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{root}/expected/partners-{graph}.json")).unwrap(),
        )
        .unwrap();
        let service = service_of(&doc);
        let scope = service.scope(&Filter::default());
        let data = service.partner_data(&scope.graph).unwrap();
        let history = service.partner_history(&scope, &data).unwrap();
        let sources = expected["sources"].as_object().unwrap();
        assert!(!sources.is_empty());
        for (source, pairs) in sources {
            let u = scope.graph.index_of(&NodeId::new(source).unwrap()).unwrap();
            for signal in [
                Signal::CommonNeighbours,
                Signal::AdamicAdar,
                Signal::Jaccard,
                Signal::ResourceAllocation,
                Signal::PreferentialAttachment,
            ] {
                let ours: BTreeMap<String, f64> =
                    partners::rank(&scope, &data, &history, u, &query(signal))
                        .into_iter()
                        .map(|s| (scope.graph.node_id(s.candidate).to_string(), s.score))
                        .collect();
                let name = signal.as_str();
                for (v, values) in pairs.as_object().unwrap() {
                    let theirs = values[name].as_f64().unwrap();
                    let shares = values["common_neighbours"].as_f64().unwrap() > 0.0;
                    match ours.get(v) {
                        Some(value) => assert!(
                            (value - theirs).abs() <= 1e-9 * theirs.abs().max(1e-3),
                            "{graph} {source}–{v} {name}: {value} != NetworkX {theirs}"
                        ),
                        None => assert!(
                            !shares && signal != Signal::PreferentialAttachment,
                            "{graph} {source}–{v} {name}: missing (NetworkX {theirs})"
                        ),
                    }
                }
                assert!(
                    ours.keys().all(|v| pairs.get(v).is_some()),
                    "{graph} {source} {name}: a candidate NetworkX does not have"
                );
            }
        }
    }
}

fn shared_name(suggestion: &Value, id: &str) -> String {
    suggestion["shared_partners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .map(|p| p["name"].as_str().unwrap().to_string())
        .unwrap()
}

fn shared_ids(suggestion: &Value) -> Vec<&str> {
    suggestion["shared_partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect()
}

#[test]
fn blagoveshchensk_is_explained_by_its_real_partners() {
    let server = crate::common::TestServer::start_seeded();
    let neighbours = server.get("/api/v1/nodes/city:ru:blagoveshchensk/neighbours?status=any");
    let existing: HashSet<&str> = neighbours.body["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["node"]["id"].as_str().unwrap())
        .collect();
    assert!(existing.contains("city:cn:heihe"));
    let answer = server
        .get("/api/v1/nodes/city:ru:blagoveshchensk/partners?method=common_neighbours&limit=50");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let items = answer.body["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{}", answer.body);
    for s in items {
        assert!(
            !existing.contains(s["node"]["id"].as_str().unwrap()),
            "an existing partner: {s}"
        );
        for shared in shared_ids(s) {
            assert!(
                existing.contains(shared),
                "{shared} is not a partner of Blagoveshchensk"
            );
            let name = shared_name(s, shared);
            assert!(s["why"].as_str().unwrap().contains(&name), "{}", s["why"]);
        }
    }
    // Heihe's other partners are Blagoveshchensk's too (the trilateral agreements), so a
    // candidate sharing Heihe appears for the third members: Joetsu is offered Krasnoyarsk
    // and Neryungri, through Blagoveshchensk and Heihe.
    let joetsu = server.get("/api/v1/nodes/city:jp:joetsu/partners?method=common_neighbours");
    let via_heihe: Vec<&Value> = joetsu.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| shared_ids(s).contains(&"city:cn:heihe"))
        .collect();
    assert!(!via_heihe.is_empty(), "{}", joetsu.body);
    for s in via_heihe {
        assert!(s["why"].as_str().unwrap().contains("Heihe"), "{}", s["why"]);
        assert!(shared_ids(s).contains(&"city:ru:blagoveshchensk"), "{s}");
    }
    let default = server.get("/api/v1/nodes/city:ru:blagoveshchensk/partners");
    assert_eq!(default.status, 200, "{}", default.body);
    assert_eq!(default.body["weights"].as_array().unwrap().len(), 4);
    let union = server.get("/api/v1/associations/association:ru-far-east-siberia-mayors-japan-friendship/partners?mode=both&limit=3");
    assert_eq!(union.status, 200, "{}", union.body);
    assert_eq!(union.body["member_count"], 4);
    assert_eq!(union.body["members"].as_array().unwrap().len(), 4);
    assert!(union.body["pairs"].as_array().unwrap().len() <= 3);
    let bad = server.get("/api/v1/nodes/city:ru:blagoveshchensk/partners?weights=adamic_adar:x");
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (400, Some("weights"))
    );
    let not_city = server.get("/api/v1/nodes/association:union-of-russian-cities/partners");
    assert_eq!(
        (not_city.status, not_city.body["code"].as_str()),
        (422, Some("wrong_node_kind"))
    );
    let both = server
        .get("/api/v1/nodes/city:ru:blagoveshchensk/partners?method=adamic_adar&weights=jaccard:1");
    assert_eq!(
        (both.status, both.body["code"].as_str()),
        (422, Some("conflicting_parameters"))
    );
}

const COUNTRIES: [&str; 4] = ["RU", "JP", "CN", "KR"];
const KINDS: [&str; 3] = ["twinning", "friendship", "trilateral"];

fn random_doc(edges: &[(u8, u8, u8, bool)], homes: &[(u8, u8, u8)]) -> Value {
    let nodes: Vec<Value> = homes
        .iter()
        .enumerate()
        .map(|(i, (c, lat, lon))| {
            json!({"id": format!("c{i}"), "kind": "city", "name": format!("City {i}"),
                "country": COUNTRIES[*c as usize % 4],
                "location": {"lat": f64::from(*lat) / 3.0 - 40.0, "lon": f64::from(*lon) / 2.0 - 60.0}})
        })
        .collect();
    let n = homes.len();
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for (a, b, k, active) in edges {
        let (a, b) = (*a as usize % n, *b as usize % n);
        let kind = KINDS[*k as usize % 2];
        if a == b || !seen.insert((kind, a.min(b), a.max(b))) {
            continue;
        }
        links.push(
            json!({"kind": kind, "members": [format!("c{a}"), format!("c{b}")],
            "status": if *active { "active" } else { "suspended" }}),
        );
    }
    json!({"format": "pobratim", "version": 1, "nodes": nodes, "links": links})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_existing_partner_and_the_filters_hold(
        edges in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<bool>()), 10..80),
        homes in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 6..30),
        source in any::<u8>(),
        kinds in 1u8..4,
        signals in prop::collection::vec((0usize..10, -1.0f64..2.0), 1..4),
        country in prop::option::of(0usize..4),
        exclude in prop::option::of(0usize..4),
        within in prop::option::of(100.0f64..5000.0),
    ) {
        let doc = random_doc(&edges, &homes);
        let service = service_of(&doc.to_string());
        let chosen: Vec<LinkKind> = [LinkKind::Twinning, LinkKind::Friendship]
            .into_iter()
            .enumerate()
            .filter(|(i, _)| kinds & (1 << i) != 0)
            .map(|(_, k)| k)
            .collect();
        let filter = Filter { kinds: Filter::kind_bits(&chosen), ..Filter::default() };
        let scope = service.scope(&filter);
        let u = source as u32 % scope.graph.node_count() as u32;
        let query = PartnerQuery {
            weights: signals.iter().map(|(i, w)| (Signal::ALL[*i], *w)).collect(),
            country: country.map(|c| COUNTRIES[c].parse::<CountryCode>().unwrap()),
            exclude_country: exclude.map(|c| COUNTRIES[c].parse::<CountryCode>().unwrap()),
            within_km: within,
            limit: 1000,
            learned: false,
            bins: None,
        };
        let existing: HashSet<String> = doc["links"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| chosen.iter().any(|k| l["kind"] == k.as_str()))
            .filter_map(|l| {
                let m = l["members"].as_array().unwrap();
                let me = scope.graph.node_id(u);
                if m[0] == me { Some(m[1].as_str().unwrap().to_string()) }
                else if m[1] == me { Some(m[0].as_str().unwrap().to_string()) }
                else { None }
            })
            .collect();
        let suggestions = service.suggest_partners(&scope, u, &query).unwrap();
        let nodes = doc["nodes"].as_array().unwrap();
        let me = scope.graph.node_id(u);
        let home = nodes.iter().find(|n| n["id"] == me).unwrap();
        for s in suggestions {
            let id = scope.graph.node_id(s.candidate).to_string();
            prop_assert!(s.candidate != u);
            prop_assert!(!existing.contains(&id), "existing partner {id} suggested");
            let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
            if let Some(c) = country {
                prop_assert_eq!(node["country"].as_str(), Some(COUNTRIES[c]));
            }
            if let Some(c) = exclude {
                prop_assert!(node["country"].as_str() != Some(COUNTRIES[c]));
            }
            if let Some(km) = within {
                let at = |n: &Value| (n["location"]["lat"].as_f64().unwrap(), n["location"]["lon"].as_f64().unwrap());
                let d = partners::haversine_km(at(home), at(node));
                prop_assert!(d <= km + 1e-9, "{id} is {d} km away, past {km}");
            }
        }
    }
}

/// The learned ranking: fitted on the seed's own links, each suggestion's components
/// add up to its score, the country-pair history is named, and the fixed default stays
/// available by name.
#[test]
fn the_learned_ranking_explains_every_part_of_its_score() {
    let server = TestServer::start_seeded();
    let reply = server.get("/api/v1/nodes/city:ru:blagoveshchensk/partners?method=learned&limit=5");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let items = reply.body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        let parts: f64 = item["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["contribution"].as_f64().unwrap())
            .sum();
        let score = item["score"].as_f64().unwrap();
        assert!((parts - score).abs() < 1e-9, "{parts} vs {score}");
        let signals: Vec<&str> = item["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["signal"].as_str().unwrap())
            .collect();
        assert!(signals.contains(&"country_affinity"), "{signals:?}");
        // Each signal adds the log-odds of its value's bin: its weight is what it adds.
        for c in item["components"].as_array().unwrap() {
            assert_eq!(c["weight"], c["contribution"], "{c}");
        }
    }
    let scores: Vec<f64> = items.iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let fixed = server.get("/api/v1/nodes/city:ru:blagoveshchensk/partners?method=fixed&limit=5");
    let default = server.get("/api/v1/nodes/city:ru:blagoveshchensk/partners?limit=5");
    assert_eq!(fixed.body["items"], default.body["items"]);
}
