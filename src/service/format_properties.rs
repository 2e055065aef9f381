//! Property tests over every import parser and the writes behind them: no input makes
//! a parser panic, and records written in a format read back equal, whatever their text
//! holds.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::json;

use crate::io::export::Selection;
use crate::io::table::{self, Dialect};
use crate::io::{edgelist, node_link, xml};
use crate::model::{Link, LinkKind, Node};
use crate::service::documents::upserts;
use crate::service::{Item, Record};

fn drain<I: Iterator>(items: I) -> usize {
    items.count()
}

/// Fails the case with the error's text (instead of panicking on it).
fn fail<E: std::fmt::Display>(e: E) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// Arbitrary bytes shaped like a CSV file: a header from known and unknown columns,
/// then rows of arbitrary cells (commas, quotes, newlines, invalid UTF-8 included).
fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let column = prop::sample::select(vec![
        "id",
        "kind",
        "name",
        "name_ru",
        "country",
        "lat",
        "lon",
        "population",
        "tags",
        "attrs",
        "source",
        "target",
        "members",
        "signed",
        "ended",
        "status",
        "areas",
        "city_a",
        "city_b",
        "cc_a",
        "cc_b",
        "year",
        ":START_ID",
        ":END_ID",
        ":TYPE",
        "id:ID",
        "colour",
    ]);
    (
        prop::collection::vec(column, 1..6),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..30),
    )
        .prop_map(|(header, cells)| {
            let mut out = header.join(",").into_bytes();
            for (i, cell) in cells.into_iter().enumerate() {
                out.push(if i % 3 == 0 { b'\n' } else { b',' });
                out.extend(cell);
            }
            out
        })
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Zа-яё0-9 ,;\"'\\n\\t\\-\\.:()]{1,30}"
        .prop_filter("needs a visible character", |s| !s.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn csv_tables_never_panic(bytes in csv_like()) {
        if let Ok(items) = table::read(std::io::Cursor::new(bytes), LinkKind::Twinning) {
            drain(items);
        }
    }

    #[test]
    fn edge_lists_never_panic(bytes in csv_like()) {
        if let Ok(items) = edgelist::read(std::io::Cursor::new(bytes), LinkKind::Twinning) {
            drain(items);
        }
    }

    #[test]
    fn xml_readers_never_panic(cut in 0usize..2000, noise in prop::collection::vec(any::<u8>(), 0..20), at in 0usize..2000) {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
 <key id="n_name" for="node" attr.name="name" attr.type="string"/>
 <key id="n_lat" for="node" attr.name="lat" attr.type="double"/>
 <key id="n_lon" for="node" attr.name="lon" attr.type="double"/>
 <key id="e_kind" for="edge" attr.name="kind" attr.type="string"/>
 <graph edgedefault="undirected">
  <node id="a"><data key="n_name">A &amp; Co</data><data key="n_lat">1.5</data><data key="n_lon">2</data></node>
  <node id="b"><data key="n_name"><![CDATA[B]]></data></node>
  <edge source="a" target="b"><data key="e_kind">twinning</data></edge>
 </graph>
</graphml>
"#;
        let mut bytes = doc[..cut.min(doc.len())].to_vec();
        let at = at.min(bytes.len());
        bytes.splice(at..at, noise);
        for dialect in [xml::Dialect::Graphml, xml::Dialect::Gexf] {
            let _ = xml::read(std::io::Cursor::new(bytes.clone()), dialect);
        }
    }

    #[test]
    fn node_link_never_panics(nodes in prop::collection::vec(any::<Option<String>>(), 0..5), edges in prop::collection::vec((any::<u8>(), any::<u8>(), any::<Option<String>>()), 0..5)) {
        let doc = json!({
            "nodes": nodes.iter().enumerate().map(|(i, n)| json!({"id": i, "name": n, "lat": n, "kind": n})).collect::<Vec<_>>(),
            "edges": edges.iter().map(|(a, b, k)| json!({"source": a % 6, "target": b % 6, "kind": k, "key": k})).collect::<Vec<_>>(),
        });
        let _ = node_link::read(doc.to_string().as_bytes());
    }

    #[test]
    fn csv_tables_round_trip_any_text(
        name in text(),
        other in text(),
        region in prop::option::of(text()),
        quote in prop::option::of(text()),
        lat in -90.0f64..90.0,
        lon in -180.0f64..180.0,
        neo in any::<bool>(),
    ) {
        let a: Node = serde_json::from_value(json!({"id": "city:a", "kind": "city", "name": name,
            "names": {"ru": other}, "region": region, "location": {"lat": lat, "lon": lon},
            "attrs": {"note": name}})).map_err(fail)?;
        let b: Node = serde_json::from_value(json!({"id": "assoc:b", "kind": "association", "name": other})).map_err(fail)?;
        let source = quote.map(|q| json!({"quote": q}));
        let link: Link = serde_json::from_value(json!({"id": "m1", "kind": "membership",
            "members": ["city:a", "assoc:b"], "source": source, "signed": "2003-07"})).map_err(fail)?;
        let selection = Selection::of(vec![a.clone(), b.clone()], vec![link.clone()]);
        let dialect = if neo { Dialect::Neo4j } else { Dialect::Pobratim };
        let mut nodes_csv = Vec::new();
        table::write_nodes(&selection, dialect, &mut nodes_csv).map_err(fail)?;
        let mut links_csv = Vec::new();
        table::write_links(&selection, dialect, &mut links_csv).map_err(fail)?;
        let mut back = Vec::new();
        for bytes in [nodes_csv, links_csv] {
            for item in table::read(std::io::Cursor::new(bytes), LinkKind::Twinning).map_err(fail)? {
                back.push(item.map_err(fail)?);
            }
        }
        let records: Vec<Record> = back.into_iter().map(|Item { record, .. }| record).collect();
        match &records[..] {
            [Record::Node { node: x, .. }, Record::Node { node: y, .. }, Record::Link(l)] => {
                prop_assert_eq!(x, &a);
                prop_assert_eq!(y, &b);
                prop_assert_eq!(l, &link);
            }
            other => prop_assert!(false, "unexpected records: {other:?}"),
        }
    }
}

/// Any JSON value, nested up to 40 deep (past what `attrs` may hold, so that refusals
/// are tried too).
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1e300f64..1e300).prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(40, 80, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::from),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..3)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A fresh service over a temporary store.
fn fresh() -> Result<crate::service::Service, TestCaseError> {
    crate::service::Service::from_store(crate::store::SledStore::temporary().map_err(fail)?)
        .map_err(fail)
}

/// Writes `changes` into a fresh service and reads `id` back.
fn loaded(changes: Vec<(String, crate::service::Change)>, id: &str) -> Result<Node, TestCaseError> {
    let service = fresh()?;
    service.write(changes).map_err(fail)?;
    service.get_node(id).map_err(fail)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// What the write path accepts reads back as it was written, and comes back equal
    /// from every export format that carries the whole record (pobratim JSON, CSV), and
    /// with its name and attributes from those that carry them (node-link, GraphML, GEXF).
    #[test]
    fn what_is_accepted_reads_back_exports_and_imports_again(
        id in "[a-z0-9:+.\\-]{1,16}|\\PC{1,16}",
        name in "[A-Za-zé' =@+-]{1,12}|\\PC{0,20}",
        region in prop::option::of("\\PC{0,12}"),
        tags in prop::collection::vec("\\PC{0,8}", 0..3),
        population in prop::option::of(any::<u64>()),
        attrs in prop::collection::btree_map("\\PC{1,6}", any_json(), 0..3),
    ) {
        use crate::service::Change;
        let raw = json!({"id": id, "kind": "city", "name": name, "region": region, "tags": tags,
            "population": population, "attrs": attrs});
        let serde_json::Value::Object(raw) = raw else { return Ok(()) };
        let Ok(node) = crate::service::node_from_json(raw) else { return Ok(()) };
        let service = fresh()?;
        if service.write(vec![(String::new(), Change::CreateNode(node.clone()))]).is_err() {
            return Ok(());
        }
        let id = node.id.as_str();
        let stored = service.get_node(id).map_err(fail)?;
        prop_assert_eq!(&stored, &node);

        let mut native = Vec::new();
        service.export(crate::io::ExportFormat::Pobratim, &Default::default(), &mut native).map_err(fail)?;
        let doc = crate::io::native::parse(&native).map_err(fail)?;
        prop_assert_eq!(&loaded(upserts(crate::io::native::records(doc).map_err(fail)?), id)?, &node);

        let selection = Selection::of(vec![node.clone()], vec![]);
        let mut csv = Vec::new();
        table::write_nodes(&selection, Dialect::Pobratim, &mut csv).map_err(fail)?;
        let rows = table::read(std::io::Cursor::new(csv), LinkKind::Twinning)
            .map_err(fail)?
            .map(|item| match item.map_err(fail)?.record {
                Record::Node { node, .. } => Ok((String::new(), Change::PutNode(node))),
                Record::Link(link) | Record::PartialLink(link) => {
                    Ok((String::new(), Change::PutLink(link)))
                }
            })
            .collect::<Result<Vec<_>, TestCaseError>>()?;
        prop_assert_eq!(&loaded(rows, id)?, &node);

        let mut node_link = Vec::new();
        crate::io::export::node_link(&selection, &mut node_link).map_err(fail)?;
        let back = loaded(upserts(crate::io::node_link::read(&node_link).map_err(fail)?), id)?;
        prop_assert_eq!((&back.name, &back.attrs), (&node.name, &node.attrs));
        for (dialect, write) in [
            (xml::Dialect::Graphml, crate::io::export::graphml as fn(&Selection, &mut Vec<u8>) -> _),
            (xml::Dialect::Gexf, crate::io::export::gexf),
        ] {
            let mut bytes = Vec::new();
            write(&selection, &mut bytes).map_err(fail)?;
            let changes = xml::read(std::io::Cursor::new(bytes), dialect).map_err(fail)?;
            let back = loaded(upserts(changes), id)?;
            prop_assert_eq!((&back.name, &back.attrs), (&node.name, &node.attrs), "{:?}", dialect);
        }
    }
}
