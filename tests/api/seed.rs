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
        && month.map_or(true, |m| text.contains(MONTHS[m - 1]))
        && day.map_or(true, |d| text.contains(&format!("{d} ")))
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
    if !dir.is_dir() {
        eprintln!("{} is absent: the quotes are not checked", dir.display());
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
