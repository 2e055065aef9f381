//! The graph an import installs: projected from its chunks as they are written (into an
//! empty store), or read back from the store (when the import replaces records). Either
//! way it must be the graph the store rebuilds to.

use pobratim::service::{link_from_json, node_from_json, Change, ImportOptions, Item, Record};
use pobratim::service::{RowError, Service};
use serde_json::{json, Value};

use crate::snapshots::assert_same;

fn object(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn node(value: Value) -> Result<Item, RowError> {
    Ok(Item {
        line: 0,
        at: String::new(),
        record: Record::Node {
            node: node_from_json(object(value)).unwrap(),
            id_given: true,
            partial: false,
        },
    })
}

fn link(value: Value) -> Result<Item, RowError> {
    Ok(Item {
        line: 0,
        at: String::new(),
        record: Record::Link(link_from_json(object(value)).unwrap()),
    })
}

/// Cities, an association and a state, then links of every kind, some with chosen ids,
/// statuses and dates: over two chunks of nodes and more of links (20,000 records a
/// chunk), so links name nodes of earlier chunks and of their own.
fn network(cities: usize) -> Vec<Result<Item, RowError>> {
    let city = |i: usize| format!("city:ru:c{i}");
    let mut items = vec![
        node(json!({"id": "association:union", "kind": "association", "name": "Union"})),
        node(json!({"id": "state:ru", "kind": "state", "name": "Russia", "country": "RU"})),
    ];
    for i in 0..cities {
        items.push(node(
            json!({"id": city(i), "kind": "city", "name": format!("C{i}"), "country": "RU"}),
        ));
        // A link now and then whose members are in this very chunk.
        if i % 1000 == 999 {
            items.push(link(
                json!({"kind": "friendship", "members": [city(i), city(i - 1)]}),
            ));
        }
    }
    for i in 0..cities {
        let mut twinning = json!({"kind": "twinning", "members": [city(i), city((i + 1 + (i % 5) * 17) % cities)],
            "signed": format!("{}", 1950 + i % 70)});
        if i % 11 == 0 {
            twinning["id"] = json!(format!("chosen-{i}"));
        }
        if i % 13 == 0 {
            twinning["status"] = json!("suspended");
        }
        if (i + 1 + (i % 5) * 17) % cities != i {
            items.push(link(twinning));
        }
        if i % 97 == 0 {
            items.push(link(
                json!({"kind": "membership", "members": [city(i), "association:union"]}),
            ));
            items.push(link(
                json!({"kind": "located_in", "members": [city(i), "state:ru"]}),
            ));
        }
        if i % 89 == 0 && i + 2 < cities {
            items.push(link(
                json!({"kind": "trilateral", "members": [city(i), city(i + 1), city(i + 2)]}),
            ));
        }
    }
    items
}

fn import(service: &Service, items: Vec<Result<Item, RowError>>) {
    let report = service
        .import(items.into_iter(), ImportOptions::default(), &mut |_| {})
        .unwrap();
    assert!(report.written, "{:?}", report.errors);
    assert_eq!(report.refused, 0, "{:?}", report.errors);
}

#[test]
fn an_import_into_an_empty_store_installs_the_graph_the_store_rebuilds_to() {
    let dir = tempfile::TempDir::new().unwrap();
    let service = Service::open(dir.path()).unwrap();
    let items = network(21_000);
    let records = items.len();
    assert!(records > 40_000, "three chunks at least: {records}");
    import(&service, items);
    let graph = service.snapshot();
    assert_eq!(graph.node_count(), 21_002);
    let sources = ["city:ru:c0", "city:ru:c20999", "association:union"].map(String::from);
    assert_same(&service, &sources, "after the import");

    // The same file again changes nothing; a write then builds on the projected graph.
    let again = service
        .import(
            network(21_000).into_iter(),
            ImportOptions::default(),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!((again.created, again.updated), (0, 0));
    let created = link_from_json(object(
        json!({"kind": "twinning", "members": ["city:ru:c5", "city:ru:c100"]}),
    ))
    .unwrap();
    service
        .write(vec![(String::new(), Change::CreateLink(created))])
        .unwrap();
    assert_same(&service, &sources, "after a write on the imported graph");
}

#[test]
fn an_import_that_replaces_its_own_records_installs_the_graph_the_store_rebuilds_to() {
    let dir = tempfile::TempDir::new().unwrap();
    let service = Service::open(dir.path()).unwrap();
    let mut items = network(12_000);
    // A later chunk renames a city of the first and moves a link of the second.
    items.push(node(
        json!({"id": "city:ru:c1", "kind": "city", "name": "Renamed", "country": "RU"}),
    ));
    items.push(link(json!({"id": "chosen-0", "kind": "twinning",
        "members": ["city:ru:c0", "city:ru:c9"], "status": "ended"})));
    import(&service, items);
    let sources = ["city:ru:c0", "city:ru:c9"].map(String::from);
    assert_same(&service, &sources, "after an import with replacements");
    let graph = service.snapshot();
    let moved = graph.link_ix(&"chosen-0".parse().unwrap()).unwrap();
    let members: Vec<&str> = graph
        .link(moved)
        .members
        .iter()
        .map(|&m| graph.node_id(m))
        .collect();
    assert_eq!(members, ["city:ru:c0", "city:ru:c9"]);
}
