//! The OpenAPI document as served and committed: what utoipa derives from the handlers
//! and views, with the rules the validators enforce that the derive cannot state
//! written into it, so that a request the document allows is one the server takes:
//!
//! - path ids: the characters an id may not hold, and its length (node ids 200
//!   characters, link ids 700);
//! - filter words (`kinds`, `status`, `node_kinds`, `evidence`): the allowed words,
//!   comma-separated, spaces around each allowed; `as_of`: a real calendar date;
//! - cursors: the hex text lists hand out (offset cursors: at most 8 bytes);
//! - request bodies: `POST /nodes` and `POST /links` take a record whose `id` may be
//!   left out (`NewNode`, `NewLink`, whose id may not be `.` or `..`, and a new node's
//!   may not hold `+`), and so do `PUT` and the batch's create and put operations;
//!   `PATCH` (and `patch_*` operations) take a merge patch of the record's own fields
//!   (`NodePatch`, `LinkPatch`);
//! - numbers: `u64` parameters span the whole range (`uint64`), `within_km` is positive;
//! - countries (the assigned ISO codes, either case), node fields, partner signals and
//!   weights, path costs, and the words `format` and `mode` take.
//!
//! Rules between fields or against the store (a link's members exist, `ended` is not
//! before `signed`, text without control characters) are stated in the field
//! descriptions and answered with 422.

use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use super::ApiDoc;
use crate::model::id::{MAX_LINK_ID_LEN, MAX_NODE_ID_LEN};

/// Characters no id may hold: whitespace (Unicode White_Space), control characters,
/// and `/ ? # % \ " < >`, as a regular expression class body.
const ID_FORBIDDEN: &str =
    r#"\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000/?#%\\"<>"#;

/// Whitespace a filter list may hold around each word (what `str::trim` removes).
const SPACE: &str = r"[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*";

/// The document, with the rules of the module documentation written in.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            refine_operations(path, item);
        }
    }
    add_request_schemas(&mut doc);
    doc
}

/// A pattern for an id of at most `max` characters; `new` also refuses `.`, `..` and
/// (for nodes) `+`.
fn id_pattern(max: usize, new: bool, node: bool) -> String {
    let plus = if new && node { "+" } else { "" };
    let dots = if new { r"(?!\.\.?$)" } else { "" };
    format!("^{dots}[^{ID_FORBIDDEN}{plus}]{{1,{max}}}$")
}

/// The partner finder's signals, by their wire names.
fn signal_names() -> Vec<&'static str> {
    crate::service::partners::Signal::ALL
        .iter()
        .map(|s| s.as_str())
        .collect()
}

/// A pattern for a comma-separated list of `words` where empty items are skipped.
fn optional_words_pattern(words: &[&str]) -> String {
    let one = format!("{SPACE}({})?{SPACE}", words.join("|"));
    format!("^{one}(,{one})*$")
}

/// An assigned ISO 3166-1 alpha-2 code, in either case (the server reads both).
fn country_pattern() -> String {
    let codes: Vec<String> = crate::model::CountryCode::all()
        .map(|code| {
            code.chars()
                .map(|c| format!("[{}{}]", c, c.to_ascii_lowercase()))
                .collect()
        })
        .collect();
    format!("^({})$", codes.join("|"))
}

/// A pattern for a comma-separated list of `words`, or `every` alone.
fn words_pattern(words: &[&str], every: &str) -> String {
    let one = format!("{SPACE}({}){SPACE}", words.join("|"));
    format!("^({every}|{one}(,{one})*)$")
}

/// A calendar date as `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (years 0001–9999, real days).
fn date_pattern() -> String {
    let year = "(?!0000)[0-9]{4}";
    let day = "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))";
    let leap = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29";
    format!("^({year}(-(0[1-9]|1[0-2]))?|{year}-{day}|{leap})$")
}

fn refine_operations(path: &str, item: &mut Value) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    for (method, operation) in item.iter_mut() {
        if let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        {
            for parameter in parameters {
                refine_parameter(parameter, path);
            }
        }
        let body = match (method.as_str(), path) {
            ("post", "/api/v1/nodes") => Some("NewNode"),
            ("post", "/api/v1/links") => Some("NewLink"),
            ("put", "/api/v1/nodes/{id}") => Some("NewNode"),
            ("put", "/api/v1/links/{id}") => Some("NewLink"),
            ("patch", "/api/v1/nodes/{id}") => Some("NodePatch"),
            ("patch", "/api/v1/links/{id}") => Some("LinkPatch"),
            _ => None,
        };
        if let Some(schema) = body {
            if let Some(content) = operation
                .pointer_mut("/requestBody/content")
                .and_then(Value::as_object_mut)
            {
                for media in content.values_mut() {
                    media["schema"] = json!({ "$ref": format!("#/components/schemas/{schema}") });
                }
            }
        }
    }
}

/// Lists whose cursor is an offset into a ranking (at most 8 bytes).
const OFFSET_LISTS: [&str; 4] = [
    "/api/v1/centrality/{measure}",
    "/api/v1/nodes/{id}/centrality",
    "/api/v1/components",
    "/api/v1/communities",
];

fn refine_parameter(parameter: &mut Value, path: &str) {
    refine_schema(parameter, path);
    // An optional parameter may be empty, as one left out (see `extract::parse_query`):
    // a text one's pattern says so; any other kind (numbers, booleans, enums) also
    // takes the empty text.
    let required = parameter["required"].as_bool().unwrap_or(false);
    let place = parameter["in"].as_str().unwrap_or_default().to_string();
    if let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut) {
        let text = schema.get("type").and_then(Value::as_str) == Some("string");
        if !required && place == "query" && !text {
            let given = Value::Object(std::mem::take(schema));
            schema.insert("anyOf".into(), json!([given, { "const": "" }]));
        }
    }
}

fn refine_schema(parameter: &mut Value, path: &str) {
    let link_path = path.starts_with("/api/v1/links/");
    let name = parameter["name"].as_str().unwrap_or_default().to_string();
    let place = parameter["in"].as_str().unwrap_or_default().to_string();
    let required = parameter["required"].as_bool().unwrap_or(false);
    let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut) else {
        return;
    };
    let plain_string = schema.get("type").and_then(Value::as_str) == Some("string");
    match (name.as_str(), path) {
        ("k", "/api/v1/paths/k-shortest") => {
            schema.insert("minimum".into(), json!(1));
            schema.insert("maximum".into(), json!(50));
        }
        ("k", "/api/v1/paths/all-shortest") => {
            schema.insert("minimum".into(), json!(1));
            schema.insert("maximum".into(), json!(1000));
        }
        _ => {}
    }
    if name == "within_km" {
        schema.insert("exclusiveMinimum".into(), json!(0));
    }
    // A usize without a stated maximum takes what 64 bits hold.
    if schema.get("type").and_then(Value::as_str) == Some("integer")
        && schema.get("format").is_none()
        && !schema.contains_key("maximum")
    {
        schema.insert("maximum".into(), json!(u64::MAX));
    }
    // utoipa writes a u64 as int64 from 0; the server takes the whole u64 range.
    if schema.get("format").and_then(Value::as_str) == Some("int64")
        && schema.get("minimum").and_then(Value::as_u64) == Some(0)
    {
        schema.insert("format".into(), json!("uint64"));
        schema.insert("maximum".into(), json!(u64::MAX));
    }
    let pattern = match (place.as_str(), name.as_str()) {
        ("path", "id") if link_path => id_pattern(MAX_LINK_ID_LEN, false, false),
        ("path", "id") => id_pattern(MAX_NODE_ID_LEN, false, true),
        ("query", "from" | "to" | "node") => id_pattern(MAX_NODE_ID_LEN, false, true),
        ("query", "kinds") if plain_string => words_pattern(
            &[
                "twinning",
                "friendship",
                "trilateral",
                "membership",
                "located_in",
            ],
            "all",
        ),
        ("query", "status") if plain_string => words_pattern(
            &["active", "planned", "negotiating", "suspended", "ended"],
            "any",
        ),
        ("query", "node_kinds") if plain_string => {
            words_pattern(&["city", "association", "state"], "all")
        }
        ("query", "evidence") if plain_string => words_pattern(&["stated", "inferred"], "any"),
        ("query", "as_of") => date_pattern(),
        ("query", "country" | "exclude_country") => country_pattern(),
        ("query", "fields") => optional_words_pattern(&super::nodes::NODE_FIELDS),
        ("query", "format") if path.ends_with("/neighbourhood") => "^(json|geojson)$".into(),
        ("query", "mode") => "^(members|pairs|both)$".into(),
        ("query", "near") => concat!(
            r"^-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?),",
            r"-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?)$"
        )
        .into(),
        ("query", "method") => format!(
            "^{SPACE}(learned|fixed|{}){SPACE}$",
            signal_names().join("|")
        ),
        ("query", "weights") if path.starts_with("/api/v1/paths/") => {
            let kind =
                format!("{SPACE}(twinning|friendship|trilateral|membership|located_in){SPACE}");
            // A cost from 0.000001 to 999999.9…: the server takes 1e-6 to 1e6.
            let cost =
                format!(r"{SPACE}([1-9][0-9]{{0,5}}(\.[0-9]*)?|0?\.0{{0,5}}[1-9][0-9]*){SPACE}");
            format!("^{kind}:{cost}(,{kind}:{cost})*$")
        }
        ("query", "weights") => {
            let signal = format!("{SPACE}({}){SPACE}", signal_names().join("|"));
            // A weight within ±999999.9…: the server takes ±1e6.
            let weight = format!(r"{SPACE}-?[0-9]{{1,6}}(\.[0-9]*)?{SPACE}");
            format!("^{signal}(:{weight})?(,{signal}(:{weight})?)*$")
        }
        ("query", "cursor") => {
            if OFFSET_LISTS.contains(&path) {
                "^([0-9a-fA-F]{2}){1,8}$".to_string()
            } else {
                "^([0-9a-fA-F]{2}){1,2048}$".to_string()
            }
        }
        _ => return,
    };
    // An empty optional parameter is one left out (see `extract::parse_query`).
    let pattern = if required {
        pattern
    } else {
        format!("^$|{pattern}")
    };
    schema.insert("pattern".into(), Value::String(pattern));
}

/// `NewNode`, `NewLink`, `NodePatch` and `LinkPatch`, from the `Node` and `Link` schemas.
fn add_request_schemas(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (record, max, node) in [
        ("Node", MAX_NODE_ID_LEN, true),
        ("Link", MAX_LINK_ID_LEN, false),
    ] {
        let Some(stored) = schemas.get(record).cloned() else {
            continue;
        };
        let mut new = stored.clone();
        if let Some(required) = new.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|field| field != "id");
        }
        if let Some(id) = new
            .pointer_mut("/properties/id")
            .and_then(Value::as_object_mut)
        {
            id.insert("pattern".into(), Value::String(id_pattern(max, true, node)));
            id.insert(
                "description".into(),
                Value::String(format!(
                    "Stable id; derived when left out (`{}`).",
                    if node {
                        "kind:country:name"
                    } else {
                        "kind:member+member"
                    }
                )),
            );
        }
        let example = if node {
            json!({"kind": "city", "name": "Sapporo", "country": "JP", "names": {"ja": "札幌", "ru": "Саппоро"}})
        } else {
            json!({"kind": "twinning", "members": ["city:jp:niigata", "city:ru:khabarovsk"], "signed": "1965"})
        };
        if let Some(object) = new.as_object_mut() {
            object.insert("example".into(), example);
            object.insert(
                "description".into(),
                Value::String(format!(
                    "A new {}: its id may be left out.",
                    record.to_lowercase()
                )),
            );
        }
        schemas.insert(format!("New{record}"), new);
        schemas.insert(format!("{record}Patch"), patch_of(&stored, record));
    }
    if let Some(variants) = schemas
        .get_mut("BatchOperation")
        .and_then(|op| op.get_mut("oneOf"))
        .and_then(Value::as_array_mut)
    {
        for variant in variants {
            refine_batch_variant(variant);
        }
    }
}

/// One kind of batch operation: its record as a new record or a patch, its id with the
/// id rules, and no other member (the server refuses unknown ones).
fn refine_batch_variant(variant: &mut Value) {
    let op = variant
        .pointer("/properties/op/enum/0")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let link = op.ends_with("_link");
    let Some(object) = variant.as_object_mut() else {
        return;
    };
    object.insert("additionalProperties".into(), Value::Bool(false));
    let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    let record = if link { "Link" } else { "Node" };
    for (field, schema) in properties.iter_mut() {
        match field.as_str() {
            "node" | "link" => {
                schema["$ref"] = json!(format!("#/components/schemas/New{record}"));
            }
            "patch" => {
                *schema = json!({ "$ref": format!("#/components/schemas/{record}Patch") });
            }
            "id" => {
                let max = if link {
                    MAX_LINK_ID_LEN
                } else {
                    MAX_NODE_ID_LEN
                };
                schema["pattern"] = json!(id_pattern(max, false, !link));
            }
            _ => {}
        }
    }
}

/// A JSON merge patch (RFC 7396) of a record: any of its fields, each a value of its
/// schema or `null` to remove it, and nothing else.
fn patch_of(stored: &Value, record: &str) -> Value {
    let mut properties = Map::new();
    if let Some(fields) = stored.get("properties").and_then(Value::as_object) {
        for (name, schema) in fields {
            properties.insert(
                name.clone(),
                json!({ "anyOf": [schema.clone(), { "type": "null" }] }),
            );
        }
    }
    json!({
        "type": "object",
        "description": format!("A JSON merge patch of a {}: the fields it names replace the stored ones, `null` removes one.", record.to_lowercase()),
        "properties": properties,
        "additionalProperties": false,
    })
}
