//! Graph questions over HTTP on the seed network: the same values as NetworkX, the
//! filters, the limits and the errors.

use serde_json::{json, Value};

use crate::common::TestServer;

const B: &str = "city:ru:blagoveshchensk";

fn expected_seed() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/expected/seed.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn partner_ids(reply: &Value) -> Vec<String> {
    reply["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["node"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_shortest_path_names_its_links_and_their_sources() {
    let server = TestServer::start_seeded();
    let reply = server.get("/api/v1/paths/shortest?from=city:ru:krasnoyarsk&to=city:jp:takatsuki");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let path = &reply.body["paths"][0];
    assert_eq!(path["hops"], 2);
    let nodes: Vec<&str> = path["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["city:ru:krasnoyarsk", B, "city:jp:takatsuki"]);
    let first = &path["steps"][0]["links"][0];
    assert_eq!(first["kind"], "trilateral");
    assert!(first["source"]["quote"]
        .as_str()
        .unwrap()
        .contains("Благовещенск - Красноярск - Хэйхэ"));
    assert_eq!(
        reply.body["filters"]["kinds"],
        json!(["twinning", "friendship", "trilateral"])
    );
    assert_eq!(
        reply.graph_version,
        Some(reply.body["graph_version"].as_u64().unwrap())
    );
}

#[test]
fn path_errors_are_clear() {
    let server = TestServer::start_seeded();
    let missing = server.get("/api/v1/paths/shortest?from=city:xx:nowhere&to=city:jp:niigata");
    assert_eq!(
        (
            missing.status,
            missing.body["code"].as_str(),
            missing.body["field"].as_str()
        ),
        (422, Some("unknown_node"), Some("from"))
    );
    let apart = server.get("/api/v1/paths/shortest?from=city:ru:moscow&to=city:jp:niigata");
    assert_eq!(
        (apart.status, apart.body["code"].as_str()),
        (404, Some("no_path"))
    );
    let too_short = server
        .get("/api/v1/paths/shortest?from=city:ru:krasnoyarsk&to=city:jp:takatsuki&max_depth=1");
    assert_eq!(
        (too_short.status, too_short.body["code"].as_str()),
        (404, Some("no_path"))
    );
    let via_states =
        server.get("/api/v1/paths/shortest?from=city:ru:moscow&to=city:jp:niigata&kinds=all");
    assert_eq!(
        via_states.status, 200,
        "every city is located in a state, so kinds=all connects them"
    );
    let bad_kind =
        server.get("/api/v1/paths/shortest?from=city:ru:moscow&to=city:jp:niigata&kinds=twining");
    assert_eq!(
        (bad_kind.status, bad_kind.body["field"].as_str()),
        (400, Some("kinds"))
    );
    let bad_date =
        server.get("/api/v1/paths/shortest?from=city:ru:moscow&to=city:jp:niigata&as_of=2003-13");
    assert_eq!(
        (bad_date.status, bad_date.body["field"].as_str()),
        (400, Some("as_of"))
    );
}

#[test]
fn weighted_k_shortest_and_all_shortest_paths() {
    let server = TestServer::start_seeded();
    let k = server.get("/api/v1/paths/k-shortest?from=city:ru:krasnoyarsk&to=city:jp:takatsuki&k=3&weights=trilateral:3");
    assert_eq!(k.status, 200, "{}", k.body);
    let costs: Vec<f64> = k.body["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["cost"].as_f64().unwrap())
        .collect();
    assert_eq!(costs, [4.0, 5.0, 8.0]);
    let w = server.get(
        "/api/v1/paths/weighted?from=city:ru:krasnoyarsk&to=city:jp:takatsuki&weights=trilateral:3",
    );
    assert_eq!(w.body["paths"][0]["cost"], 4.0);
    let all = server.get("/api/v1/paths/all-shortest?from=city:ru:krasnoyarsk&to=city:jp:joetsu");
    assert_eq!(all.status, 200);
    assert_eq!(all.body["truncated"], false);
    assert_eq!(
        all.body["paths"].as_array().unwrap().len(),
        2,
        "via Blagoveshchensk or via Heihe: {}",
        all.body
    );
    let bad = server.get("/api/v1/paths/weighted?from=city:ru:krasnoyarsk&to=city:jp:takatsuki&weights=trilateral:-1");
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (400, Some("weights"))
    );
}

#[test]
fn as_of_makes_links_appear_when_signed() {
    let server = TestServer::start_seeded();
    let wudalianchi = "city:cn:wudalianchi".to_string();
    let before = server.get(&format!("/api/v1/nodes/{B}/neighbours?as_of=2002"));
    assert!(!partner_ids(&before.body).contains(&wudalianchi));
    for cut in ["2003", "2003-07", "2003-07-17", "2010"] {
        let after = server.get(&format!("/api/v1/nodes/{B}/neighbours?as_of={cut}"));
        assert!(
            partner_ids(&after.body).contains(&wudalianchi),
            "as of {cut}"
        );
    }
    let day_before = server.get(&format!("/api/v1/nodes/{B}/neighbours?as_of=2003-07-16"));
    assert!(!partner_ids(&day_before.body).contains(&wudalianchi));
    let dated_only = server.get(&format!(
        "/api/v1/nodes/{B}/neighbours?as_of=2010&undated=false"
    ));
    assert_eq!(partner_ids(&dated_only.body), [wudalianchi]);
}

#[test]
fn status_filters_show_planned_and_negotiating_links() {
    let server = TestServer::start_seeded();
    let active = partner_ids(&server.get(&format!("/api/v1/nodes/{B}/neighbours")).body);
    assert!(!active.contains(&"city:kp:pyongsong".to_string()));
    let negotiating = partner_ids(
        &server
            .get(&format!("/api/v1/nodes/{B}/neighbours?status=negotiating"))
            .body,
    );
    assert_eq!(negotiating, ["city:kp:pyongsong", "city:kr:dangjin"]);
    let any = partner_ids(
        &server
            .get(&format!(
                "/api/v1/nodes/{B}/neighbours?status=any&kinds=twinning"
            ))
            .body,
    );
    assert_eq!(any.len(), 6);
}

#[test]
fn centrality_over_http_equals_networkx() {
    let server = TestServer::start_seeded();
    let expected = expected_seed();
    for (filter, query) in [
        ("default", ""),
        ("all", "&kinds=all&status=any"),
        ("as_of_2005", "&as_of=2005"),
    ] {
        for measure in [
            "degree",
            "betweenness",
            "closeness",
            "harmonic",
            "pagerank",
            "eigenvector",
        ] {
            let reply = server.get(&format!("/api/v1/centrality/{measure}?limit=1000{query}"));
            assert_eq!(reply.status, 200, "{}", reply.body);
            let want = expected["results"][filter][measure].as_object().unwrap();
            let items = reply.body["items"].as_array().unwrap();
            assert_eq!(items.len(), want.len());
            let mut previous = f64::INFINITY;
            for item in items {
                let value = item["value"].as_f64().unwrap();
                let id = item["node"]["id"].as_str().unwrap();
                let target = want[id].as_f64().unwrap();
                assert!(
                    (value - target).abs() <= 1e-9 * target.abs().max(1e-3),
                    "{measure} {filter} {id}: {value} vs {target}"
                );
                assert!(value <= previous, "ranked best first");
                previous = value;
            }
            assert!(reply.body["normalization"]
                .as_str()
                .unwrap()
                .contains("networkx"));
        }
    }
}

#[test]
fn centrality_is_ranked_paged_restricted_and_invalidated_by_writes() {
    let server = TestServer::start_seeded();
    let top = server.get("/api/v1/centrality/degree?top=3&limit=2");
    assert_eq!(top.body["total"], 3);
    assert_eq!(top.body["items"][0]["node"]["id"], B);
    assert_eq!(top.body["items"][0]["rank"], 1);
    let cursor = top.body["next_cursor"].as_str().unwrap();
    let rest = server.get(&format!(
        "/api/v1/centrality/degree?top=3&limit=2&cursor={cursor}"
    ));
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    assert!(rest.body["next_cursor"].is_null());
    let japan = server.get("/api/v1/centrality/pagerank?country=JP&kind=city");
    assert!(japan.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["node"]["country"] == "JP"));
    let sampled = server.get("/api/v1/centrality/betweenness?k=10&seed=7");
    assert_eq!(sampled.body["sample"], 10);
    assert_eq!(
        server
            .get("/api/v1/centrality/betweenness?k=10&seed=7")
            .body,
        sampled.body,
        "reproducible"
    );
    assert_eq!(server.get("/api/v1/centrality/fame").status, 404);

    let moscow = |server: &TestServer| {
        let reply = server.get("/api/v1/nodes/city:ru:moscow/centrality");
        reply.body["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["measure"] == "degree")
            .unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    let before = moscow(&server);
    let added = server.post(
        "/api/v1/links",
        &json!({"kind": "twinning", "members": ["city:ru:moscow", "city:jp:niigata"]}),
    );
    assert_eq!(added.status, 201);
    let after = moscow(&server);
    assert!(
        (after - before - 1.0 / 61.0).abs() < 1e-12,
        "{before} → {after}"
    );
}

#[test]
fn structure_matches_networkx() {
    let server = TestServer::start_seeded();
    let expected = &expected_seed()["results"]["default"];
    let stats = server.get("/api/v1/stats").body;
    for key in [
        "density",
        "average_clustering",
        "transitivity",
        "degree_assortativity",
        "average_shortest_path_length",
    ] {
        let (got, want) = (
            stats[key].as_f64().unwrap(),
            expected[key].as_f64().unwrap(),
        );
        assert!((got - want).abs() < 1e-12, "{key}: {got} vs {want}");
    }
    assert_eq!(stats["diameter"], expected["diameter"]);
    assert_eq!(stats["degree_histogram"], expected["degree_histogram"]);
    assert_eq!(stats["nodes"], expected["nodes"]);
    assert_eq!(stats["edges"], expected["edges"]);
    assert_eq!(stats["links_by_kind"]["trilateral"], 3);

    let components = server
        .get("/api/v1/components?limit=1000&members=1000")
        .body;
    let mut got: Vec<Vec<String>> = components["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| serde_json::from_value(g["members"].clone()).unwrap())
        .collect();
    got.sort();
    let want: Vec<Vec<String>> = serde_json::from_value(expected["components"].clone()).unwrap();
    assert_eq!(got, want);

    let communities = server.get("/api/v1/communities?seed=1").body;
    assert!(
        communities["modularity"].as_f64().unwrap()
            >= expected["louvain_modularity"].as_f64().unwrap() * 0.97
    );
    assert_eq!(
        server.get("/api/v1/communities?seed=1").body,
        communities,
        "seeded, so reproducible"
    );
}

#[test]
fn neighbourhoods_are_bounded() {
    let server = TestServer::start_seeded();
    let ego = server.get(&format!("/api/v1/nodes/{B}/neighbourhood?depth=2"));
    assert_eq!(ego.status, 200);
    let distances: Vec<u64> = ego.body["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["distance"].as_u64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "closest first");
    assert_eq!(distances[0], 0);
    assert!(ego.body["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["kind"] == "trilateral"));
    let bare = server.get(&format!(
        "/api/v1/nodes/{B}/neighbourhood?depth=2&links=false"
    ));
    assert_eq!(bare.status, 200);
    assert_eq!(bare.body["nodes"], ego.body["nodes"], "the same nodes");
    assert_eq!(bare.body["links"], serde_json::json!([]), "without links");
    let capped = server.get(&format!("/api/v1/nodes/{B}/neighbourhood?depth=2&limit=3"));
    assert_eq!(
        (
            capped.body["nodes"].as_array().unwrap().len(),
            capped.body["truncated"].as_bool()
        ),
        (3, Some(true))
    );
    let deep = server.get(&format!("/api/v1/nodes/{B}/neighbourhood?depth=7"));
    assert_eq!(
        (deep.status, deep.body["field"].as_str()),
        (400, Some("depth"))
    );
    assert_eq!(
        server
            .get("/api/v1/nodes/city:xx:nowhere/neighbourhood")
            .status,
        404
    );
}

/// A star of stars: a centre, 15 partners, each with 20 partners of its own (316 nodes
/// within two hops: an answer large enough to be kept for its version).
fn star_of_stars(server: &TestServer) {
    let mut operations = vec![
        json!({"op": "create_node", "node": {"kind": "city", "name": "Centre", "country": "AQ"}}),
    ];
    for i in 0..15 {
        operations.push(json!({"op": "create_node", "node": {"kind": "city", "name": format!("Hub {i}"), "country": "AQ"}}));
        operations.push(
            json!({"op": "create_link", "link": {"kind": "twinning", "status": "active",
            "members": ["city:aq:centre", format!("city:aq:hub-{i}")]}}),
        );
        for j in 0..20 {
            operations.push(json!({"op": "create_node", "node": {"kind": "city", "name": format!("Leaf {i} {j}"), "country": "AQ"}}));
            operations.push(
                json!({"op": "create_link", "link": {"kind": "friendship", "status": "active",
                "members": [format!("city:aq:hub-{i}"), format!("city:aq:leaf-{i}-{j}")]}}),
            );
        }
    }
    // And a city with 80 partners: its 1-hop network is large enough to keep, small
    // enough to answer on the request thread.
    operations.push(
        json!({"op": "create_node", "node": {"kind": "city", "name": "Wide", "country": "AQ"}}),
    );
    for j in 0..80 {
        operations.push(
            json!({"op": "create_link", "link": {"kind": "friendship", "status": "active",
            "members": ["city:aq:wide", format!("city:aq:leaf-{}-{}", j / 20, j % 20)]}}),
        );
    }
    let batch = server.post("/api/v1/batch", &json!({ "operations": operations }));
    assert_eq!(batch.status, 200, "{}", batch.body);
}

#[test]
fn a_large_neighbourhood_is_answered_again_only_while_its_version_is_current() {
    let server = TestServer::start();
    star_of_stars(&server);
    let ask = || server.get("/api/v1/nodes/city:aq:centre/neighbourhood?depth=2");
    let first = ask();
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["nodes"].as_array().unwrap().len(), 316);
    assert_eq!(first.body["links"].as_array().unwrap().len(), 315);
    let kept = |server: &TestServer| {
        let metrics = ureq::get(&format!("{}/metrics", server.base))
            .call()
            .unwrap()
            .into_string()
            .unwrap();
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("pobratim_answer_cache_entries "))
            .map(str::to_string)
    };
    assert_eq!(kept(&server).as_deref(), Some("1"), "kept for its version");
    let again = ask();
    assert_eq!(
        (again.body.clone(), again.etag.clone()),
        (first.body.clone(), first.etag.clone())
    );
    // Other questions about the same node are other answers.
    let fewer = server.get("/api/v1/nodes/city:aq:centre/neighbourhood?depth=2&limit=200");
    assert_eq!(fewer.body["nodes"].as_array().unwrap().len(), 200);
    let bare = server.get("/api/v1/nodes/city:aq:centre/neighbourhood?depth=2&links=false");
    assert_eq!(bare.body["links"], json!([]));
    let all = server.get("/api/v1/nodes/city:aq:centre/neighbourhood?depth=2&status=any&kinds=all");
    assert_eq!(all.body["nodes"], first.body["nodes"]);
    let wide = server.get("/api/v1/nodes/city:aq:wide/neighbourhood");
    assert_eq!(wide.body["nodes"].as_array().unwrap().len(), 81);
    // The first answer, the three other questions, and this one.
    assert_eq!(
        kept(&server).as_deref(),
        Some("5"),
        "kept from the request thread too"
    );
    let small = server.get("/api/v1/nodes/city:aq:hub-0/neighbourhood");
    assert_eq!(small.body["nodes"].as_array().unwrap().len(), 22);
    assert_eq!(
        kept(&server).as_deref(),
        Some("5"),
        "a small one is not kept"
    );
    // A write makes a new version: the next answer shows it.
    let renamed = server.patch(
        "/api/v1/nodes/city:aq:leaf-3-7",
        &json!({"name": "Renamed"}),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    // Another question first, so that the new version's view is built when it is asked.
    let partners = server.get("/api/v1/nodes/city:aq:centre/neighbours");
    assert_eq!(partners.etag, renamed.etag);
    let after = ask();
    assert_ne!(after.etag, first.etag);
    let names: Vec<&str> = after.body["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["node"]["name"].as_str())
        .collect();
    assert!(names.contains(&"Renamed"), "the write is in the answer");
    assert!(!names.contains(&"Leaf 3 7"));
}

#[test]
fn the_timeline_counts_links_by_year() {
    let server = TestServer::start_seeded();
    let timeline = server.get("/api/v1/timeline?stats=true").body;
    let years: Vec<u64> = timeline["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_u64().unwrap())
        .collect();
    assert_eq!(years, [1991, 2003, 2011, 2018]);
    let y2003 = &timeline["years"][1];
    assert_eq!(y2003["signed"]["twinning"], 1);
    assert!(y2003["stats"]["edges"].as_u64().unwrap() > 0);
    assert!(timeline["undated"]["friendship"].as_u64().unwrap() > 10);
}

#[test]
fn a_query_past_its_budget_is_a_clear_problem_and_the_server_keeps_answering() {
    let server = TestServer::start_with_budget(std::time::Duration::from_nanos(1));
    let reply = server.get("/api/v1/centrality/betweenness");
    assert_eq!(
        (reply.status, reply.body["code"].as_str()),
        (422, Some("query_budget_exceeded"))
    );
    assert!(
        reply.body["detail"].as_str().unwrap().contains("k=256"),
        "says how to ask for less: {}",
        reply.body
    );
    assert_eq!(server.get("/api/v1/nodes/city:ru:moscow").status, 200);
    assert_eq!(
        server.get("/api/v1/centrality/degree").status,
        200,
        "cheap measures never check the clock"
    );
}

/// Every node and link an answer shows, beside the record as `GET` reads it now.
fn assert_answer_matches_records(server: &TestServer, path: &str) -> Value {
    let answer = server.get(path);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = &answer.body;
    let mut nodes: Vec<&Value> = Vec::new();
    let mut links: Vec<&Value> = Vec::new();
    if let Some(ego) = body["nodes"].as_array() {
        nodes.extend(ego.iter().map(|n| &n["node"]));
        links.extend(body["links"].as_array().unwrap());
        let distinct: std::collections::HashSet<&Value> = links.iter().map(|l| &l["id"]).collect();
        assert_eq!(distinct.len(), links.len(), "each link once: {body}");
    } else {
        nodes.push(&body["node"]);
        for partner in body["partners"].as_array().unwrap() {
            nodes.push(&partner["node"]);
            links.extend(partner["links"].as_array().unwrap());
        }
    }
    assert!(nodes.len() > 5 && !links.is_empty(), "{body}");
    for node in nodes {
        let id = node["id"].as_str().unwrap();
        let record = server
            .get(&format!("/api/v1/nodes/{}", crate::common::enc(id)))
            .body;
        for field in ["id", "kind", "name", "names", "country", "location"] {
            assert_eq!(node[field], record[field], "{path}: {id}'s {field}");
        }
    }
    for link in links {
        let id = link["id"].as_str().unwrap();
        let record = server
            .get(&format!("/api/v1/links/{}", crate::common::enc(id)))
            .body;
        assert_eq!(*link, record, "{path}: link {id}");
    }
    answer.body
}

#[test]
fn graph_answers_show_every_kind_of_write_at_once() {
    // Answers splice rendered copies of the records (kept while their change stamp
    // holds): each write below must show in the very next answer.
    let server = TestServer::start_seeded();
    let ego = format!("/api/v1/nodes/{B}/neighbourhood?depth=2&kinds=all&status=any");
    let partners = format!("/api/v1/nodes/{B}/neighbours?kinds=all&status=any");
    let check = || {
        assert_answer_matches_records(&server, &ego);
        assert_answer_matches_records(&server, &partners)
    };
    let first = check();
    let partner = first["partners"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let link = first["partners"][0]["links"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let renamed = server.patch(
        &format!("/api/v1/nodes/{partner}"),
        &json!({"name": "Renamed", "names": {"en": "Renamed"}}),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(check()["partners"][0]["node"]["name"], "Renamed");

    let patched = server.patch(
        &format!("/api/v1/links/{}", crate::common::enc(&link)),
        &json!({"status": "ended", "ended": "2020"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(check()["partners"][0]["links"][0]["ended"], "2020");

    let batch = server.post(
        "/api/v1/batch",
        &json!({"operations": [
            {"op": "patch_node", "id": partner, "patch": {"name": "Batched"}},
            {"op": "patch_link", "id": link, "patch": {"status": "active", "ended": null}},
        ]}),
    );
    assert_eq!(batch.status, 200, "{}", batch.body);
    let after_batch = check();
    assert_eq!(after_batch["partners"][0]["node"]["name"], "Batched");
    assert_eq!(after_batch["partners"][0]["links"][0]["status"], "active");

    // An import (a bulk load, not a group commit) updating the partner.
    let mut export = server.get("/api/v1/export?format=node-link").body;
    for node in export["nodes"].as_array_mut().unwrap() {
        if node["id"] == partner.as_str() {
            node["name"] = json!("Imported");
        }
    }
    let imported = server.send(
        "POST",
        "/api/v1/import?format=node-link",
        Some(("application/json", export.to_string())),
    );
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(imported.body["updated"], 1, "{}", imported.body);
    assert_eq!(check()["partners"][0]["node"]["name"], "Imported");
}

#[test]
fn the_whole_network_is_laid_out_once_per_version() {
    let server = TestServer::start_seeded();
    let layout = server.get("/api/v1/layout");
    assert_eq!(layout.status, 200, "{}", layout.body);
    let stats = server.get("/api/v1/stats?distances=false").body;
    let nodes = layout.body["nodes"].as_array().unwrap();
    let edges = layout.body["edges"].as_array().unwrap();
    assert_eq!(nodes.len() as u64, stats["nodes"].as_u64().unwrap());
    assert_eq!(edges.len() as u64, stats["edges"].as_u64().unwrap());
    // Each edge names two nodes, lower first; a node's degree counts its edges.
    let mut degree = vec![0u64; nodes.len()];
    let mut ends = Vec::new();
    for edge in edges {
        let (a, b) = (edge[0].as_u64().unwrap(), edge[1].as_u64().unwrap());
        assert!(a < b && (b as usize) < nodes.len(), "{edge}");
        degree[a as usize] += 1;
        degree[b as usize] += 1;
        ends.push((a as usize, b as usize));
    }
    let at = |i: usize| {
        (
            nodes[i]["x"].as_f64().unwrap(),
            nodes[i]["y"].as_f64().unwrap(),
        )
    };
    for (i, node) in nodes.iter().enumerate() {
        assert_eq!(node["degree"].as_u64(), Some(degree[i]), "{node}");
        assert!(at(i).0.is_finite() && at(i).1.is_finite());
    }
    // Linked cities are drawn closer together than cities in general.
    let distance = |a: usize, b: usize| (at(a).0 - at(b).0).hypot(at(a).1 - at(b).1);
    let linked = ends.iter().map(|&(a, b)| distance(a, b)).sum::<f64>() / ends.len() as f64;
    let (mut all, mut pairs) = (0.0, 0);
    for a in 0..nodes.len() {
        for b in a + 1..nodes.len() {
            all += distance(a, b);
            pairs += 1;
        }
    }
    let all = all / f64::from(pairs);
    assert!(linked * 3.0 < all, "linked {linked} against {all}");
    // A node's community is the index of its group in /communities.
    let groups = server.get("/api/v1/communities?members=10000").body;
    for node in nodes {
        let id = node["id"].as_str().unwrap();
        let group = groups["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["members"].as_array().unwrap().iter().any(|m| m == id))
            .unwrap();
        assert_eq!(node["community"], group["index"], "{id}");
    }
    assert_eq!(layout.body["modularity"], groups["modularity"]);
    // The same graph gives the same picture; a write gives a new one with the new edge.
    assert_eq!(server.get("/api/v1/layout").body, layout.body);
    let created = server.post(
        "/api/v1/links",
        &json!({"kind": "twinning", "members": [B, "city:ru:moscow"]}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let after = server.get("/api/v1/layout");
    assert!(after.graph_version > layout.graph_version);
    assert_eq!(
        after.body["edges"].as_array().unwrap().len(),
        edges.len() + 1
    );
    // The filters cut it as every graph question's.
    let early = server.get("/api/v1/layout?as_of=1995&undated=false").body;
    assert!(early["edges"].as_array().unwrap().len() < edges.len());
    assert_eq!(early["filters"]["as_of"], "1995");
    // A date keeps every node where the undated picture has it: the years line up.
    let place =
        |node: &serde_json::Value| (node["id"].clone(), node["x"].clone(), node["y"].clone());
    let now: Vec<_> = after.body["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(place)
        .collect();
    let then: Vec<_> = early["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(place)
        .collect();
    assert_eq!(then, now);
    assert_ne!(early["nodes"], after.body["nodes"], "degrees differ");
    let bad = server.get("/api/v1/layout?kinds=bogus");
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (400, Some("kinds"))
    );
}

#[test]
fn places_are_the_linked_located_nodes_most_linked_first_and_page_through() {
    let server = TestServer::start_seeded();
    let layout = server.get("/api/v1/layout").body;
    // What the layout says: located nodes with at least one edge, and their degree.
    let mut expected: Vec<(u64, String)> = layout["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["lat"].is_number() && n["degree"].as_u64().unwrap() > 0)
        .map(|n| {
            (
                n["degree"].as_u64().unwrap(),
                n["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    assert!(expected.len() > 5, "{expected:?}");
    let whole = server.get("/api/v1/places?limit=20000");
    assert_eq!(whole.status, 200, "{}", whole.body);
    assert_eq!(whole.body["total"].as_u64(), Some(expected.len() as u64));
    assert_eq!(whole.body["next_cursor"], serde_json::Value::Null);
    let listed: Vec<(u64, String)> = whole.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["degree"].as_u64().unwrap(),
                p["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed, expected);
    let first = &whole.body["items"][0];
    let node = server.get(&format!("/api/v1/nodes/{}", first["id"].as_str().unwrap()));
    assert_eq!(first["lat"], node.body["location"]["lat"]);
    assert_eq!(first["name"], node.body["name"]);
    // Pages of 4 follow one another to the same list.
    let (mut paged, mut cursor) = (Vec::new(), String::new());
    loop {
        let page = server.get(&format!("/api/v1/places?limit=4{cursor}")).body;
        for p in page["items"].as_array().unwrap() {
            paged.push(p["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(
        paged,
        expected.iter().map(|e| e.1.clone()).collect::<Vec<_>>()
    );
    // A past date lists only the cities linked by then.
    let early = server
        .get("/api/v1/places?limit=20000&as_of=1995&undated=false")
        .body;
    let early_layout = server.get("/api/v1/layout?as_of=1995&undated=false").body;
    let linked_then = early_layout["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["lat"].is_number() && n["degree"].as_u64().unwrap() > 0)
        .count();
    assert_eq!(early["total"].as_u64(), Some(linked_then as u64));
    assert!(linked_then < expected.len());
    for (query, field) in [
        ("limit=20001", "limit"),
        ("limit=0", "limit"),
        ("cursor=zz", "cursor"),
        ("as_of=yesterday", "as_of"),
    ] {
        let bad = server.get(&format!("/api/v1/places?{query}"));
        assert_eq!(
            (bad.status, bad.body["field"].as_str()),
            (400, Some(field)),
            "{query}: {}",
            bad.body
        );
    }
}
