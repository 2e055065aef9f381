//! Write bodies as the API reads them: arbitrary bytes through the JSON extractor's
//! parser (depth limit, field paths) and the node and link validators. Refusals are
//! fine; a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pobratim::api::extract::parse_json;
use pobratim::service::{link_from_json, node_from_json};

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = parse_json::<serde_json::Map<String, serde_json::Value>>(data) {
        let _ = node_from_json(map.clone());
        let _ = link_from_json(map);
    }
});
