//! Nodes: cities, associations and states.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::country::CountryCode;
use super::id::NodeId;
use super::text::normalize;
use super::validate::{check_attrs, check_text, ValidationError, Violation};

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A city, town or municipal district.
    City,
    /// An association of cities or local authorities.
    Association,
    /// A sovereign state.
    State,
}

impl NodeKind {
    /// Every kind, in a stable order.
    pub const ALL: [NodeKind; 3] = [NodeKind::City, NodeKind::Association, NodeKind::State];

    /// The wire and key name (`city`).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::City => "city",
            NodeKind::Association => "association",
            NodeKind::State => "state",
        }
    }

    /// The kind with its indefinite article, for sentences (`an association`).
    pub fn with_article(self) -> &'static str {
        match self {
            NodeKind::City => "a city",
            NodeKind::Association => "an association",
            NodeKind::State => "a state",
        }
    }
}

/// A point on the globe, WGS 84 degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude, −90 to 90.
    pub lat: f64,
    /// Longitude, −180 to 180.
    pub lon: f64,
}

/// A city, association or state, as stored and as returned by the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Stable id, e.g. `city:ru:blagoveshchensk`.
    pub id: NodeId,
    /// City, association or state.
    pub kind: NodeKind,
    /// Primary name, any script.
    pub name: String,
    /// Names by language tag.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    /// ISO 3166-1 alpha-2 country code; associations may have none.
    #[serde(default)]
    pub country: Option<CountryCode>,
    /// Region, province or prefecture.
    #[serde(default)]
    pub region: Option<String>,
    /// Coordinates.
    #[serde(default)]
    pub location: Option<Location>,
    /// Population, where known: 0 to 9223372036854775807 (int64).
    #[serde(default)]
    pub population: Option<u64>,
    /// Ids in other databases, e.g. `{"wikidata": "Q959"}`.
    #[serde(default)]
    pub external_ids: BTreeMap<String, String>,
    /// Free-form tags: one line each, at most 100 characters, without `;` (tables
    /// separate tags with it) and without spaces at either end.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Free-form attributes for what the schema does not know yet: any JSON object,
    /// nested at most 32 arrays and objects deep.
    #[serde(default)]
    pub attrs: serde_json::Map<String, serde_json::Value>,
}

impl Node {
    /// Every name of the node (primary first), for search.
    pub fn all_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.names.values().map(String::as_str))
    }

    /// Search terms with whether each is a whole name (`true`) or one word of a name.
    pub fn search_terms(&self) -> BTreeMap<String, bool> {
        let mut terms = BTreeMap::new();
        for name in self.all_names() {
            let full = normalize(name);
            for token in super::text::tokens(&full) {
                terms.entry(token.to_string()).or_insert(false);
            }
            if !full.is_empty() {
                terms.insert(full, true);
            }
        }
        terms
    }

    /// Checks every field; the error names the first field at fault.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_text("name", &self.name, 500)?;
        for (lang, name) in &self.names {
            if !is_language_tag(lang) {
                return Err(ValidationError::new(
                    format!("names.{lang}"),
                    Violation::InvalidValue,
                    "keys of `names` must be language tags such as `ru`, `en`, `zh-Hant`",
                ));
            }
            check_text(&format!("names.{lang}"), name, 500)?;
        }
        if let Some(region) = &self.region {
            check_text("region", region, 500)?;
        }
        if let Some(loc) = &self.location {
            check_location(loc)?;
        }
        for (key, value) in &self.external_ids {
            check_text(&format!("external_ids.{key}"), value, 500)?;
            if key.trim().is_empty() {
                return Err(ValidationError::new(
                    "external_ids",
                    Violation::InvalidValue,
                    "keys cannot be empty",
                ));
            }
        }
        for (i, tag) in self.tags.iter().enumerate() {
            check_text(&format!("tags[{i}]"), tag, 100)?;
            if tag.contains(';') || tag.trim() != tag {
                return Err(ValidationError::new(
                    format!("tags[{i}]"),
                    Violation::InvalidValue,
                    "a tag cannot hold `;` (CSV tables separate tags with it) nor begin or end with a space",
                ));
            }
        }
        if self.population.is_some_and(|p| i64::try_from(p).is_err()) {
            return Err(ValidationError::new(
                "population",
                Violation::InvalidValue,
                format!("is larger than {} (an int64)", i64::MAX),
            ));
        }
        check_attrs(&self.attrs)
    }
}

fn check_location(loc: &Location) -> Result<(), ValidationError> {
    if !loc.lat.is_finite() || !(-90.0..=90.0).contains(&loc.lat) {
        return Err(ValidationError::new(
            "location.lat",
            Violation::InvalidCoordinates,
            format!("latitude {} is outside −90..90", loc.lat),
        ));
    }
    if !loc.lon.is_finite() || !(-180.0..=180.0).contains(&loc.lon) {
        return Err(ValidationError::new(
            "location.lon",
            Violation::InvalidCoordinates,
            format!("longitude {} is outside −180..180", loc.lon),
        ));
    }
    Ok(())
}

/// A BCP 47-like tag: a 2–3 letter language, then optional `-` subtags of 1–8 letters or digits.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    lang_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city() -> Node {
        serde_json::from_value(serde_json::json!({
            "id": "city:jp:joetsu", "kind": "city", "name": "Jōetsu",
            "names": {"ja": "上越市", "ru": "Дзёэцу"}, "country": "JP",
            "location": {"lat": 37.1479, "lon": 138.236}
        }))
        .unwrap()
    }

    #[test]
    fn a_valid_city_passes() {
        city().validate().unwrap();
    }

    #[test]
    fn coordinates_out_of_range_name_the_field() {
        let mut node = city();
        node.location = Some(Location {
            lat: 91.0,
            lon: 0.0,
        });
        assert_eq!(node.validate().unwrap_err().field, "location.lat");
        node.location = Some(Location {
            lat: 0.0,
            lon: -180.5,
        });
        assert_eq!(node.validate().unwrap_err().field, "location.lon");
    }

    #[test]
    fn bad_language_tags_and_empty_names_are_refused() {
        let mut node = city();
        node.names.insert("Japanese".into(), "x".into());
        assert_eq!(node.validate().unwrap_err().field, "names.Japanese");
        let mut node = city();
        node.name = "  ".into();
        assert_eq!(node.validate().unwrap_err().field, "name");
    }

    #[test]
    fn a_tag_reads_back_from_a_table() {
        for bad in ["a;b", ";", " amur", "amur "] {
            let mut node = city();
            node.tags = vec!["border".into(), bad.into()];
            let err = node.validate().unwrap_err();
            assert_eq!(err.field, "tags[1]", "{bad:?}");
        }
        let mut node = city();
        node.tags = vec!["border town".into(), "Амур".into()];
        node.validate().unwrap();
    }

    #[test]
    fn search_terms_cover_every_name_and_word() {
        let terms = city().search_terms();
        assert_eq!(terms.get("joetsu"), Some(&true));
        assert_eq!(terms.get("上越市"), Some(&true));
        assert_eq!(terms.get("дзеэцу"), Some(&true));
    }
}
