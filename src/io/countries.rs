//! Country names as people write them in tables ("Russia", "Japan", "United States"),
//! read as ISO 3166-1 codes. The names are those of the world network the binary ships
//! (the English Wikipedia lists, each row giving a country's name beside its code), so
//! an edge list written by hand finds the same countries the world network has.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::text::normalize;
use crate::model::CountryCode;

/// The code of a country name (case, accents and spacing ignored), if the world network
/// names that country so, and names no other country so.
pub fn code_of_name(name: &str) -> Option<CountryCode> {
    static NAMES: OnceLock<HashMap<String, Option<CountryCode>>> = OnceLock::new();
    NAMES
        .get_or_init(names_in_world_network)
        .get(&normalize(name))
        .copied()
        .flatten()
}

/// Every country name of the shipped world network with its code; a name given to two
/// codes maps to `None`.
fn names_in_world_network() -> HashMap<String, Option<CountryCode>> {
    let mut names: HashMap<String, Option<CountryCode>> = HashMap::new();
    let input = flate2::read::GzDecoder::new(super::seed::WORLD_LINKS_GZ);
    let mut reader = csv::Reader::from_reader(input);
    let Ok(headers) = reader.headers().cloned() else {
        return names;
    };
    let column = |name: &str| headers.iter().position(|h| h == name);
    let pairs = [
        (column("country_a"), column("cc_a")),
        (column("country_b"), column("cc_b")),
    ];
    for row in reader.records().map_while(Result::ok) {
        for (name, code) in pairs {
            let (Some(name), Some(code)) =
                (name.and_then(|i| row.get(i)), code.and_then(|i| row.get(i)))
            else {
                continue;
            };
            let (Ok(code), key) = (code.parse::<CountryCode>(), normalize(name)) else {
                continue;
            };
            if key.is_empty() {
                continue;
            }
            let entry = names.entry(key).or_insert(Some(code));
            if *entry != Some(code) {
                *entry = None;
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_codes() {
        for (name, code) in [("Russia", "RU"), ("japan", "JP"), ("United States", "US")] {
            assert_eq!(
                code_of_name(name).map(|c| c.as_str().to_string()),
                Some(code.into()),
                "{name}"
            );
        }
        assert_eq!(code_of_name("Atlantis"), None);
    }
}
