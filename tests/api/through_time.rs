//! The histories over HTTP: JSON and CSV say the same, each step equals the as-of
//! answer of that year, and bad steps are refused naming the parameter.

use serde_json::json;

use crate::common::TestServer;

#[test]
fn a_node_history_step_is_the_centrality_as_of_that_year() {
    let server = TestServer::start_seeded();
    let id = "city:ru:blagoveshchensk";
    let history = server.get(&format!(
        "/api/v1/nodes/{id}/centrality/history?measure=pagerank&from=1995&to=2015&step=10"
    ));
    assert_eq!(history.status, 200, "{}", history.body);
    let steps = history.body["steps"].as_array().unwrap();
    assert_eq!(
        steps
            .iter()
            .map(|s| s["year"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1995, 2005, 2015]
    );
    for step in steps {
        let year = step["year"].as_u64().unwrap();
        let now = server.get(&format!("/api/v1/nodes/{id}/centrality?as_of={year}"));
        let pagerank = now.body["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["measure"] == json!("pagerank"))
            .unwrap()
            .clone();
        assert_eq!(step["value"], pagerank["value"], "{year}");
        assert_eq!(step["rank"], pagerank["rank"], "{year}");
        assert_eq!(step["nodes_in_graph"], now.body["nodes_in_graph"], "{year}");
    }
    // The same as CSV: a header and one row per step.
    let csv = server.get(&format!(
        "/api/v1/nodes/{id}/centrality/history?measure=pagerank&from=1995&to=2015&step=10&format=csv"
    ));
    assert_eq!(csv.status, 200);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    let text = csv.body.as_str().unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "year,value,rank,nodes_in_graph,edges,undefined,same_graph_as"
    );
    assert_eq!(rows.len(), 4);
    assert!(rows[1].starts_with(&format!("1995,{},", steps[0]["value"])));
}

#[test]
fn a_ranking_history_says_who_entered_and_who_left() {
    let server = TestServer::start_seeded();
    let history = server.get("/api/v1/centrality/degree/history?from=1990&to=2020&step=10&top=5&kinds=all&status=any&undated=false");
    assert_eq!(history.status, 200, "{}", history.body);
    let steps = history.body["steps"].as_array().unwrap();
    let listed = |i: usize| -> Vec<String> {
        steps[i]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["node"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    for (i, step) in steps.iter().enumerate().skip(1) {
        let (before, now) = (listed(i - 1), listed(i));
        let entered: Vec<String> = now
            .iter()
            .filter(|id| !before.contains(id))
            .cloned()
            .collect();
        assert_eq!(step["entered"], json!(entered), "{}", step["year"]);
        let mut left: Vec<String> = before
            .iter()
            .filter(|id| !now.contains(id))
            .cloned()
            .collect();
        left.sort();
        assert_eq!(step["left"], json!(left), "{}", step["year"]);
    }
    // Each step's list is the as-of ranking's first page.
    for step in steps {
        let year = step["year"].as_u64().unwrap();
        let ranking = server.get(&format!(
            "/api/v1/centrality/degree?as_of={year}&top=5&kinds=all&status=any&undated=false"
        ));
        assert_eq!(step["items"], ranking.body["items"], "{year}");
    }
    let csv = server.get("/api/v1/centrality/degree/history?from=1990&to=2020&step=10&top=5&kinds=all&status=any&undated=false&format=csv");
    let rows = csv.body.as_str().unwrap().lines().count();
    let items: usize = steps
        .iter()
        .map(|s| s["items"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows, 1 + items);
}

#[test]
fn the_shape_series_equals_the_stats_as_of_each_year() {
    let server = TestServer::start_seeded();
    let series = server.get("/api/v1/timeline/series?from=2000&to=2020&step=5");
    assert_eq!(series.status, 200, "{}", series.body);
    for step in series.body["steps"].as_array().unwrap() {
        let year = step["year"].as_u64().unwrap();
        let stats = server.get(&format!("/api/v1/stats?as_of={year}"));
        for field in [
            "nodes",
            "edges",
            "density",
            "components",
            "largest_component",
            "average_clustering",
            "transitivity",
            "degree_assortativity",
        ] {
            assert_eq!(step[field], stats.body[field], "{year} {field}");
        }
    }
    // A step whose graph repeats an earlier step's says which.
    let steps = series.body["steps"].as_array().unwrap();
    let repeats = steps.iter().filter(|s| s["same_graph_as"].is_u64()).count();
    assert_eq!(
        series.body["distinct_graphs"].as_u64().unwrap() as usize + repeats,
        steps.len()
    );
    let csv = server.get("/api/v1/timeline/series?from=2000&to=2020&step=5&format=csv");
    assert_eq!(csv.body.as_str().unwrap().lines().count(), 1 + steps.len());
}

#[test]
fn bad_steps_are_refused_naming_the_parameter() {
    let server = TestServer::start_seeded();
    for (query, status, field) in [
        ("from=2010&to=2000", 422, "to"),
        ("to=1", 422, "to"),
        ("from=1&to=9999&step=1", 422, "step"),
        ("step=0", 400, "step"),
        ("step=10000", 400, "step"),
        ("from=0", 400, "from"),
        ("as_of=2010", 422, "as_of"),
        ("top=0", 400, "top"),
        ("top=101", 400, "top"),
        ("k=5", 422, "k"),
    ] {
        let reply = server.get(&format!("/api/v1/centrality/pagerank/history?{query}"));
        assert_eq!(reply.status, status, "{query}: {}", reply.body);
        assert_eq!(reply.body["field"], json!(field), "{query}");
    }
    // One sampled source would leave that source's own value 0/0.
    let one = server.get("/api/v1/centrality/betweenness/history?k=1");
    assert_eq!(one.status, 400, "{}", one.body);
    assert_eq!(one.body["field"], json!("k"));
    let missing = server.get("/api/v1/nodes/city:xx:nowhere/centrality/history");
    assert_eq!(missing.status, 404, "{}", missing.body);
    let no_measure = server.get("/api/v1/centrality/fame/history");
    assert_eq!(no_measure.status, 404);
    // A graph with no dated link has no default span.
    let empty = TestServer::start();
    let none = empty.get("/api/v1/timeline/series");
    assert_eq!(none.status, 422, "{}", none.body);
    assert_eq!(none.body["field"], json!("from"));
    let given = empty.get("/api/v1/timeline/series?from=2000&to=2001");
    assert_eq!(given.status, 200, "{}", given.body);
}

#[test]
fn the_timeline_comes_as_csv_too() {
    let server = TestServer::start_seeded();
    let json = server.get("/api/v1/timeline?stats=true");
    let csv = server.get("/api/v1/timeline?stats=true&format=csv");
    assert_eq!(csv.status, 200, "{}", csv.body);
    let text = csv.body.as_str().unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    assert_eq!(&header[0], "year");
    assert!(header.iter().any(|h| h == "signed_twinning"));
    assert!(header.iter().any(|h| h == "largest_component"));
    let years = json.body["years"].as_array().unwrap();
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), years.len());
    for (row, year) in records.iter().zip(years) {
        assert_eq!(row[0], year["year"].to_string());
        let signed: u64 = year["signed"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(row[1], signed.to_string());
        let at = header.iter().position(|h| h == "components").unwrap();
        assert_eq!(row[at], year["stats"]["components"].to_string());
    }
}
