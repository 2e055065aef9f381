//! The seed network says what its documents say: every quote occurs in the document its
//! link cites, every signed date is in the quote or the note, and every document cited
//! is described in `fixtures/sources.json`. The documents are the project's shared seed
//! texts (`../shared/seeds/`, beside the repository for its tests and CI); where they
//! are absent, as in a bare clone, the text checks say so and pass.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The source records by key.
fn sources() -> BTreeMap<String, Value> {
    fixture("sources.json")["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

/// Text as compared: one space for any run of whitespace, straight quotes for «» and
/// curly ones, one hyphen for every dash, е for ё, lower case.
fn normalised(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| match c {
            '«' | '»' | '“' | '”' | '„' => '"',
            '–' | '—' | '‑' | '−' => '-',
            'ё' => 'е',
            'Ё' => 'Е',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `quote` occurs in `document`: its parts between elisions (`…`), in order.
fn quoted_in(quote: &str, document: &str) -> bool {
    let document = normalised(document);
    let mut from = 0;
    for part in quote.split('…').map(normalised) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        match document[from..].find(part) {
            Some(at) => from += at + part.len(),
            None => return false,
        }
    }
    true
}

/// Russian month stems, January first, as a date is written in a sentence.
const MONTHS: [&str; 12] = [
    "январ",
    "феврал",
    "март",
    "апрел",
    "ма",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
];

/// Whether `text` gives the date `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: its year, its
/// month's name and its day.
fn dated_in(date: &str, text: &str) -> bool {
    let text = normalised(text);
    let mut parts = date.split('-');
    let year = parts.next().unwrap_or_default();
    let month = parts.next().and_then(|m| m.parse::<usize>().ok());
    let day = parts.next().and_then(|d| d.parse::<u32>().ok());
    text.contains(year)
        && month.is_none_or(|m| text.contains(MONTHS[m - 1]))
        && day.is_none_or(|d| text.contains(&format!("{d} ")))
}

/// Every quote of `seed` not found in its document, as `link: quote`.
fn misquoted(
    seed: &Value,
    sources: &BTreeMap<String, Value>,
    texts: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for link in seed["links"].as_array().unwrap() {
        let Some(source) = link.get("source").filter(|s| !s.is_null()) else {
            continue;
        };
        let key = source["document"].as_str().unwrap_or_default();
        let file = sources[key]["file"].as_str().unwrap();
        let quote = source["quote"].as_str().unwrap_or_default();
        if !quoted_in(quote, &texts[file]) {
            wrong.push(format!("{}: {quote}", link["members"]));
        }
    }
    wrong
}

#[test]
fn every_link_cites_a_described_document_and_its_dates_are_in_its_words() {
    let seed = fixture("seed.json");
    let sources = sources();
    for source in sources.values() {
        for field in ["title", "issuer", "date", "language", "file"] {
            assert!(source[field].is_string(), "{source}: {field}");
        }
    }
    for link in seed["links"].as_array().unwrap() {
        let evidence = link["evidence"].as_str().unwrap_or_default();
        assert!(["stated", "inferred"].contains(&evidence), "{link}");
        let Some(source) = link.get("source").filter(|s| !s.is_null()) else {
            assert_eq!(
                link["kind"], "located_in",
                "only located_in links rest on no document"
            );
            continue;
        };
        let key = source["document"].as_str().unwrap_or_default();
        assert!(
            sources.contains_key(key),
            "{key} is not in fixtures/sources.json"
        );
        if let Some(signed) = link["signed"].as_str() {
            let words = format!(
                "{} {}",
                source["quote"].as_str().unwrap_or_default(),
                link["notes"].as_str().unwrap_or_default()
            );
            assert!(
                dated_in(signed, &words),
                "{signed} is not in the words of {link}"
            );
        }
        if evidence == "inferred" {
            assert!(
                link["notes"].is_string(),
                "an inferred link says why: {link}"
            );
        }
    }
}

#[test]
fn every_quote_occurs_in_its_document() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    if !dir.exists() {
        println!(
            "skipped: {} is absent: the quotes are not checked",
            dir.display()
        );
        return;
    }
    let sources = sources();
    let texts: BTreeMap<String, String> = sources
        .values()
        .map(|s| {
            let file = s["file"].as_str().unwrap().to_string();
            let text = std::fs::read_to_string(dir.join(&file)).unwrap();
            (file, text)
        })
        .collect();
    let seed = fixture("seed.json");
    let wrong = misquoted(&seed, &sources, &texts);
    assert!(
        wrong.is_empty(),
        "quotes not in their documents: {wrong:#?}"
    );

    // A quote altered by one word is found out.
    let mut altered = seed.clone();
    let quote = &mut altered["links"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|l| l["kind"] == "twinning")
        .unwrap()["source"]["quote"];
    *quote = Value::String(quote.as_str().unwrap().replacen("1991", "1992", 1));
    assert_eq!(misquoted(&altered, &sources, &texts).len(), 1);
}

#[test]
fn comparison_forgives_typography_not_words() {
    assert!(quoted_in(
        "«Благовещенск -Дзеэцу - Хэйхэ»",
        "городов \"Благовещенск —Дзеэцу – Хэйхэ\""
    ));
    assert!(quoted_in("…а также Ёлки…", "и а  также елки, и"));
    assert!(quoted_in("первое … третье", "первое второе третье"));
    assert!(!quoted_in("третье … первое", "первое второе третье"));
    assert!(dated_in("2003-07-17", "договор от 17 июля 2003 г."));
    assert!(dated_in("1991-02", "еще в феврале 1991 года"));
    assert!(!dated_in("2019-08-24", "с 20 по 25 августа 2019 г."));
}

/// Every link's evidence, by id, in a pobratim export.
fn evidence_by_link(export: &Value) -> BTreeMap<String, String> {
    export["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_string(),
                l["evidence"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn text(reply: &crate::common::Reply) -> String {
    match &reply.body {
        Value::String(text) => text.clone(),
        json => json.to_string(),
    }
}

#[test]
fn evidence_filters_listings_and_graph_questions_and_survives_every_format() {
    let server = crate::common::TestServer::start_seeded();
    let seed = evidence_by_link(&server.get("/api/v1/export").body);
    let count = |evidence: &str| {
        fixture("seed.json")["links"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["evidence"] == evidence)
            .count()
    };
    assert_eq!((count("stated"), count("inferred")), (63, 14));
    for evidence in ["stated", "inferred"] {
        let page = server
            .get(&format!("/api/v1/links?evidence={evidence}&limit=1000"))
            .body;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), count(evidence), "{evidence}");
        assert!(items.iter().all(|l| l["evidence"] == evidence));
    }
    let bad = server.get("/api/v1/links?evidence=rumoured");
    assert_eq!(bad.status, 400, "{}", bad.body);

    // Graph questions: the inferred memberships and ties drop out with evidence=stated.
    let all = server.get("/api/v1/stats?kinds=all&distances=false").body;
    let stated = server
        .get("/api/v1/stats?kinds=all&distances=false&evidence=stated")
        .body;
    assert_eq!(stated["filters"]["evidence"], serde_json::json!(["stated"]));
    assert_eq!(
        all["filters"]["evidence"],
        serde_json::json!(["stated", "inferred"])
    );
    assert_eq!(
        all["links_by_kind"]["membership"].as_u64().unwrap()
            - stated["links_by_kind"]["membership"].as_u64().unwrap(),
        6
    );
    let path = "/api/v1/nodes/association:jp-west-coast-mayors/neighbours?kinds=all";
    assert_eq!(
        server.get(path).body["partners"].as_array().unwrap().len(),
        5
    );
    // Stated: only Niigata, whose mayor chairs it (the friendship with the Russian
    // association is read from their meetings, the other memberships from attendance).
    let path = format!("{path}&evidence=stated");
    let stated = server.get(&path).body;
    assert_eq!(stated["partners"].as_array().unwrap().len(), 1, "{stated}");
    let garbled = server.get("/api/v1/components?evidence=maybe");
    assert_eq!(
        (garbled.status, garbled.body["field"].as_str()),
        (400, Some("evidence"))
    );

    // Every graph format carries it, and reads it back.
    for (formats, content_type) in [
        (&["node-link"][..], "application/json"),
        (&["graphml"][..], "application/xml"),
        (&["gexf"][..], "application/xml"),
        (&["csv-nodes", "csv-links"][..], "text/csv"),
    ] {
        let fresh = crate::common::TestServer::start();
        for format in formats {
            let written = text(&server.get(&format!("/api/v1/export?format={format}")));
            if *format != "csv-nodes" {
                assert!(written.contains("inferred"), "{format} writes the evidence");
            }
            let read_as = match *format {
                "csv-nodes" | "csv-links" => "csv",
                other => other,
            };
            let imported = fresh.send(
                "POST",
                &format!("/api/v1/import?format={read_as}"),
                Some((content_type, written)),
            );
            assert_eq!(imported.status, 200, "{format}: {}", imported.body);
        }
        let back = evidence_by_link(&fresh.get("/api/v1/export").body);
        assert_eq!(back, seed, "{formats:?}");
    }
}

#[test]
fn the_cited_documents_are_served_in_full() {
    let server = crate::common::TestServer::start_seeded();
    let list = server.get("/api/v1/sources").body;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), sources().len());
    let one = server.get("/api/v1/sources/mayors-meeting-communique-2019");
    assert_eq!(one.status, 200);
    assert_eq!(one.body["date"], "2019-08-24");
    assert!(one.body["title"].as_str().unwrap().starts_with("Коммюнике"));
    let link = server
        .get("/api/v1/links?node=city:jp:maizuru&kind=membership")
        .body;
    let cited = link["items"][0]["source"]["document"].as_str().unwrap();
    assert_eq!(server.get(&format!("/api/v1/sources/{cited}")).status, 200);
    let missing = server.get("/api/v1/sources/nowhere");
    assert_eq!(
        (missing.status, missing.body["code"].as_str()),
        (404, Some("not_found"))
    );
}
