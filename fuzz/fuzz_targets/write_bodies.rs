//! Write bodies as the API reads them: arbitrary bytes through the JSON extractor's
//! parser (depth limit, duplicate keys, field paths) and the node and link validators.
//! Refusals are fine; a panic is a bug, and so is a record the validators accept that
//! does not read back as it was written (the store keeps records as this JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pobratim::api::extract::parse_json;
use pobratim::model::{Link, Node};
use pobratim::service::{link_from_json, node_from_json};

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = parse_json::<serde_json::Map<String, serde_json::Value>>(data) {
        if let Ok(node) = node_from_json(map.clone()) {
            if node.validate().is_ok() {
                let text = serde_json::to_string(&node).expect("a node serialises");
                let back: Node = serde_json::from_str(&text).expect("an accepted node reads back");
                assert_eq!(back, node);
            }
        }
        if let Ok(link) = link_from_json(map) {
            if link.validate().is_ok() {
                let text = serde_json::to_string(&link).expect("a link serialises");
                let back: Link = serde_json::from_str(&text).expect("an accepted link reads back");
                assert_eq!(back, link);
            }
        }
    }
});
