//! Property tests over the model's parsers and validators: no input panics them, and
//! what they accept prints back as it was read.

use proptest::prelude::*;
use serde_json::json;

use super::{CountryCode, Link, Node, NodeId, PartialDate};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn partial_dates_never_panic_and_accepted_ones_print_back(raw in "\\PC{0,12}|[0-9]{1,5}(-[0-9]{1,3}){0,3}") {
        if let Ok(date) = raw.parse::<PartialDate>() {
            prop_assert_eq!(date.to_string(), raw.clone());
            let (y, m, d) = date.earliest();
            prop_assert!((1..=12).contains(&m) && (1..=31).contains(&d), "{raw} → {y}-{m}-{d}");
            prop_assert!(date.earliest() <= date.latest());
        }
    }

    #[test]
    fn ids_never_panic_and_accepted_ones_are_safe_in_keys_and_urls(raw in "\\PC{0,40}") {
        if let Ok(id) = NodeId::new(raw.clone()) {
            prop_assert_eq!(id.as_str(), raw.as_str());
            prop_assert!(!raw.is_empty());
            prop_assert!(!raw.chars().any(|c| c.is_control() || c.is_whitespace() || "/?#%\\\"<>".contains(c)));
        }
    }

    #[test]
    fn derived_ids_are_valid_for_any_name(kind in "city|association|state", name in "\\PC{0,60}", country in prop::option::of("[A-Z]{2}")) {
        if let Some(id) = NodeId::derive(&kind, country.as_deref(), &name) {
            prop_assert!(NodeId::new(id.as_str()).is_ok());
        }
    }

    #[test]
    fn country_codes_never_panic(raw in "\\PC{0,4}") {
        if let Ok(code) = raw.parse::<CountryCode>() {
            prop_assert_eq!(code.as_str(), raw.to_ascii_uppercase());
        }
    }

    #[test]
    fn node_and_link_validation_never_panics(
        name in "\\PC{0,30}",
        lang in "\\PC{0,6}",
        tags in prop::collection::vec("\\PC{0,8}", 0..4),
        lat in proptest::num::f64::ANY,
        lon in proptest::num::f64::ANY,
        areas in prop::collection::vec("\\PC{0,8}", 0..4),
        signed in "[0-9]{4}(-[0-9]{2}){0,2}",
        ended in "[0-9]{4}(-[0-9]{2}){0,2}",
    ) {
        let node = json!({"id": "city:a", "kind": "city", "name": name, "names": {lang: name},
            "tags": tags, "location": {"lat": if lat.is_finite() { json!(lat) } else { json!(0.0) }, "lon": if lon.is_finite() { json!(lon) } else { json!(0.0) }}});
        if let Ok(node) = serde_json::from_value::<Node>(node) {
            let _ = node.validate();
        }
        let link = json!({"id": "l", "kind": "twinning", "members": ["a", "b"], "areas": areas,
            "signed": signed, "ended": ended});
        if let Ok(link) = serde_json::from_value::<Link>(link) {
            let _ = link.validate();
        }
    }
}
