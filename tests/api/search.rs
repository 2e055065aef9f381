use crate::common::{enc, ids, TestServer};

#[test]
fn any_script_and_case_finds_the_same_city() {
    let server = TestServer::start_seeded();
    for q in [
        "благовещенск",
        "БЛАГОВЕЩЕНСК",
        "Blagoveshchensk",
        "blagoveshchensk",
        "布拉戈维申斯克",
    ] {
        let reply = server.get(&format!("/api/v1/nodes?q={}", enc(q)));
        assert_eq!(reply.status, 200);
        assert_eq!(ids(&reply.body), ["city:ru:blagoveshchensk"], "{q}");
    }
}

#[test]
fn accents_are_ignored() {
    let server = TestServer::start_seeded();
    for q in ["Joetsu", "jōetsu", "ДЗЁЭЦУ", "上越"] {
        assert_eq!(
            ids(&server.get(&format!("/api/v1/nodes?q={}", enc(q))).body),
            ["city:jp:joetsu"],
            "{q}"
        );
    }
}

#[test]
fn prefix_matches_rank_after_exact_ones_and_filters_apply() {
    let server = TestServer::start_seeded();
    // "Heihe" is a whole name; no other name starts with it, so add one that does.
    let reply = server.post(
        "/api/v1/nodes",
        &serde_json::json!({"kind": "city", "name": "Heihe Port", "country": "CN"}),
    );
    assert_eq!(reply.status, 201);
    let hits = ids(&server.get("/api/v1/nodes?q=heihe").body);
    assert_eq!(hits, ["city:cn:heihe", "city:cn:heihe-port"]);
    let prefix = ids(&server.get("/api/v1/nodes?q=hei").body);
    assert_eq!(prefix, ["city:cn:heihe", "city:cn:heihe-port"]);
    // A word of a name matches exactly too, after whole names.
    let word = ids(&server.get("/api/v1/nodes?q=port").body);
    assert_eq!(word, ["city:cn:heihe-port"]);
    let cities_only = ids(&server
        .get(&format!("/api/v1/nodes?kind=state&q={}", enc("Япония")))
        .body);
    assert_eq!(cities_only, ["state:jp"]);
    assert!(ids(&server.get("/api/v1/nodes?country=RU&q=heihe").body).is_empty());
}

#[test]
fn search_results_page_with_a_cursor() {
    let server = TestServer::start_seeded();
    let all = ids(&server.get("/api/v1/nodes?q=a&limit=1000").body);
    assert!(all.len() > 5);
    let mut paged = Vec::new();
    let mut path = "/api/v1/nodes?q=a&limit=2".to_string();
    loop {
        let page = server.get(&path).body;
        paged.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/nodes?q=a&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, all);
}
