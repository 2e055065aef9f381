//! What dashboards build on: CORS for the configured origin, `/metrics` in the
//! Prometheus text format, `fields=` to trim node payloads, compression.

use crate::common::TestServer;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().build()
}

#[test]
fn cors_admits_the_configured_origin_only() {
    let server = TestServer::start_seeded();
    let url = format!("{}/api/v1/nodes/city:ru:blagoveshchensk", server.base);
    let allowed = agent()
        .get(&url)
        .set("Origin", "http://dashboard.example")
        .call()
        .unwrap();
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("http://dashboard.example")
    );
    let exposed = allowed
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("x-graph-version"),
        "{exposed}"
    );
    let preflight = agent()
        .request("OPTIONS", &url)
        .set("Origin", "http://dashboard.example")
        .set("Access-Control-Request-Method", "PATCH")
        .set("Access-Control-Request-Headers", "content-type")
        .call()
        .unwrap();
    assert!(preflight.status() < 300);
    assert!(preflight
        .header("access-control-allow-methods")
        .unwrap_or_default()
        .contains("PATCH"));
    let other = agent()
        .get(&url)
        .set("Origin", "http://elsewhere.example")
        .call();
    match other {
        Ok(response) => assert_eq!(response.header("access-control-allow-origin"), None),
        Err(ureq::Error::Status(code, _)) => assert!(code >= 400),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn metrics_count_requests_by_route_and_describe_the_graph() {
    let server = TestServer::start_seeded();
    for _ in 0..3 {
        assert_eq!(
            server.get("/api/v1/nodes/city:ru:blagoveshchensk").status,
            200
        );
    }
    assert_eq!(server.get("/api/v1/nodes/city:xx:nowhere").status, 404);
    let partners = server.get("/api/v1/nodes/city:ru:blagoveshchensk/neighbours");
    // A trilateral link shows under both its other members: counted once.
    let mut shown = std::collections::HashSet::from([partners.body["node"]["id"].clone()]);
    for partner in partners.body["partners"].as_array().unwrap() {
        shown.insert(partner["node"]["id"].clone());
        for link in partner["links"].as_array().unwrap() {
            shown.insert(link["id"].clone());
        }
    }
    let shown = shown.len();
    let response = agent()
        .get(&format!("{}/metrics", server.base))
        .call()
        .unwrap();
    assert!(response.content_type().starts_with("text/plain"));
    let text = response.into_string().unwrap();
    assert!(
        text.contains("pobratim_http_requests_total{method=\"GET\",route=\"/api/v1/nodes/{id}\",status=\"200\"} 3"),
        "{text}"
    );
    assert!(text.contains("pobratim_http_requests_total{method=\"GET\",route=\"/api/v1/nodes/{id}\",status=\"404\"} 1"));
    assert!(text
        .contains("pobratim_http_request_duration_seconds_count{route=\"/api/v1/nodes/{id}\"} 4"));
    assert!(text.contains(
        "pobratim_http_request_duration_seconds_bucket{route=\"/api/v1/nodes/{id}\",le=\"+Inf\"} 4"
    ));
    let nodes = crate::common::seed_counts().nodes;
    assert!(
        text.contains(&format!("pobratim_graph_nodes {nodes}\n")),
        "{text}"
    );
    assert!(text.contains("# TYPE pobratim_query_cache_hits_total counter"));
    assert!(
        text.contains(&format!("pobratim_record_cache_entries {shown}\n")),
        "every node and link the partner list showed is kept rendered: {text}"
    );
}

#[test]
fn fields_trim_node_payloads_and_unknown_fields_are_named() {
    let server = TestServer::start_seeded();
    let page = server.get("/api/v1/nodes?kind=city&limit=5&fields=name,location");
    assert_eq!(page.status, 200, "{}", page.body);
    for item in page.body["items"].as_array().unwrap() {
        let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert!(
            keys.iter()
                .all(|k| ["id", "name", "location"].contains(&k.as_str())),
            "{keys:?}"
        );
        assert!(item.get("id").is_some() && item.get("name").is_some());
    }
    let one = server.get("/api/v1/nodes/city:ru:blagoveshchensk?fields=names");
    assert_eq!(one.body["names"]["ru"], "Благовещенск");
    assert!(one.body.get("kind").is_none());
    let bad = server.get("/api/v1/nodes?fields=name,colour");
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (400, Some("fields"))
    );
    assert!(bad.body["detail"].as_str().unwrap().contains("colour"));
}

#[test]
fn large_answers_are_compressed_when_asked() {
    use std::io::Read;
    let server = TestServer::start_seeded();
    let url = format!("{}/api/v1/export?format=node-link", server.base);
    let plain = agent()
        .get(&url)
        .set("Accept-Encoding", "identity")
        .call()
        .unwrap();
    assert_eq!(plain.header("content-encoding"), None);
    let plain = plain.into_string().unwrap();
    assert!(plain.len() > 10_000, "{} bytes", plain.len());
    for encoding in ["gzip", "br"] {
        let response = agent()
            .get(&url)
            .set("Accept-Encoding", encoding)
            .call()
            .unwrap();
        assert_eq!(response.header("content-encoding"), Some(encoding));
        let mut sent = Vec::new();
        response.into_reader().read_to_end(&mut sent).unwrap();
        assert!(
            sent.len() < plain.len() / 3,
            "{encoding}: {} bytes",
            sent.len()
        );
        let mut body = String::new();
        match encoding {
            "gzip" => flate2::read::GzDecoder::new(sent.as_slice())
                .read_to_string(&mut body)
                .unwrap(),
            _ => brotli::Decompressor::new(sent.as_slice(), 4096)
                .read_to_string(&mut body)
                .unwrap(),
        };
        assert_eq!(body, plain, "{encoding}: decompressed, the same document");
    }
}

#[test]
fn docs_are_served_from_the_binary() {
    let server = TestServer::start();
    let page = agent()
        .get(&format!("{}/docs", server.base))
        .call()
        .unwrap();
    assert!(page.content_type().starts_with("text/html"));
    let html = page.into_string().unwrap();
    assert!(
        html.contains("/docs/swagger-ui-bundle.js") && !html.contains("https://"),
        "{html}"
    );
    let bundle = agent()
        .get(&format!("{}/docs/swagger-ui-bundle.js", server.base))
        .call()
        .unwrap();
    assert!(bundle.content_type().contains("javascript"));
    assert!(bundle.into_string().unwrap().len() > 1_000_000);
    let init = agent()
        .get(&format!("{}/docs/init.js", server.base))
        .call()
        .unwrap();
    assert!(init.into_string().unwrap().contains("/openapi.json"));
    assert_eq!(server.get("/docs/nothing.js").status, 404);
}

#[test]
fn an_undeclared_method_is_a_405_with_allow() {
    let server = TestServer::start();
    for (path, allow) in [
        ("/healthz", "GET, HEAD"),
        ("/api/v1/batch", "POST"),
        ("/api/v1/nodes/x", "GET, HEAD, PUT, DELETE, PATCH"),
    ] {
        let answer = agent()
            .request("TRACE", &format!("{}{path}", server.base))
            .call();
        match answer {
            Err(ureq::Error::Status(405, response)) => {
                assert_eq!(response.header("allow"), Some(allow), "{path}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn head_answers_what_get_would_without_the_body() {
    let server = TestServer::start_seeded();
    for path in [
        "/api/v1/nodes/city:ru:blagoveshchensk",
        "/api/v1/places?limit=5",
        "/explorer/icon.svg",
        "/healthz",
    ] {
        let url = format!("{}{path}", server.base);
        let got = agent().get(&url).call().unwrap();
        let head = agent().head(&url).call().unwrap();
        assert_eq!(head.status(), 200, "{path}");
        for name in ["content-type", "etag", "x-graph-version"] {
            assert_eq!(head.header(name), got.header(name), "{path}: {name}");
        }
        assert_eq!(head.into_string().unwrap(), "", "{path}: no body");
        assert!(!got.into_string().unwrap().is_empty(), "{path}");
    }
    // On the wire: the headers end the answer, and the connection, kept alive, carries
    // no body bytes before the next answer.
    use std::io::{Read, Write};
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    // A body sent after the headers would leave the loop below waiting: fail instead.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "HEAD /api/v1/places?limit=5 HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    let mut wire = Vec::new();
    let mut buffer = [0u8; 4096];
    while !wire.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the connection closed");
        wire.extend_from_slice(&buffer[..n]);
    }
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut next = String::new();
    stream.read_to_string(&mut next).unwrap();
    assert!(String::from_utf8_lossy(&wire).starts_with("HTTP/1.1 200"));
    assert!(
        next.starts_with("HTTP/1.1 200"),
        "no body before the next answer: {next}"
    );
    // HEAD is a read: a route that only writes does not answer it.
    match agent()
        .head(&format!("{}/api/v1/batch", server.base))
        .call()
    {
        Err(ureq::Error::Status(405, response)) => {
            assert_eq!(response.header("allow"), Some("POST"));
        }
        other => panic!("{other:?}"),
    }
    // An unknown node is the same 404 as a GET's, without its problem document.
    match agent()
        .head(&format!("{}/api/v1/nodes/city:xx:nowhere", server.base))
        .call()
    {
        Err(ureq::Error::Status(404, response)) => {
            assert_eq!(response.into_string().unwrap(), "");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_ego_network_comes_as_geojson_for_a_map() {
    let server = TestServer::start_seeded();
    let response = agent()
        .get(&format!(
            "{}/api/v1/nodes/city:ru:blagoveshchensk/neighbourhood?format=geojson",
            server.base
        ))
        .call()
        .unwrap();
    assert_eq!(response.content_type(), "application/geo+json");
    let body: serde_json::Value = response.into_json().unwrap();
    assert_eq!(body["type"], "FeatureCollection");
    let features = body["features"].as_array().unwrap();
    let centre = features
        .iter()
        .find(|f| f["properties"]["centre"] == true)
        .unwrap();
    assert_eq!(centre["geometry"]["type"], "Point");
    let [lon, lat] = [0, 1].map(|i| centre["geometry"]["coordinates"][i].as_f64().unwrap());
    assert!(
        (lon - 127.5272).abs() < 1e-6 && (lat - 50.2907).abs() < 1e-6,
        "[lon, lat] order"
    );
    assert!(features.iter().any(
        |f| f["geometry"]["type"] == "LineString" && f["properties"]["signed"] == "2003-07-17"
    ));
    let bad = server.get("/api/v1/nodes/city:ru:blagoveshchensk/neighbourhood?format=kml");
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (400, Some("format"))
    );
}
