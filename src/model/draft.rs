//! Turns request JSON into records: fills in derived ids, then parses with field paths.

use serde_json::{Map, Value};

use crate::model::validate::from_json;
use crate::model::{Link, LinkId, LinkKind, Node, NodeId, ValidationError, Violation};

/// Parses a node, deriving `id` from kind, country and name when it is absent.
pub fn node_from_json(mut map: Map<String, Value>) -> Result<Node, ValidationError> {
    if !map.contains_key("id") {
        require(&map, &["kind", "name"])?;
        let kind = map
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let name = map
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let country = map
            .get("country")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(id) = NodeId::derive(&kind, country.as_deref(), &name) {
            map.insert("id".into(), Value::String(id.to_string()));
        } else if name.chars().any(char::is_alphanumeric) || !map["name"].is_string() {
            // Let the typed parse name the field at fault (kind or name).
        } else {
            return Err(ValidationError::new(
                "name",
                Violation::InvalidValue,
                "needs a letter or digit to derive an id from; or give an `id`",
            ));
        }
    }
    from_json(Value::Object(map))
}

/// Parses a link, deriving `id` from kind and members when it is absent.
pub fn link_from_json(mut map: Map<String, Value>) -> Result<Link, ValidationError> {
    if !map.contains_key("id") {
        require(&map, &["kind", "members"])?;
        let kind: Option<LinkKind> = map
            .get("kind")
            .cloned()
            .and_then(|k| serde_json::from_value(k).ok());
        let members: Option<Vec<NodeId>> = map
            .get("members")
            .cloned()
            .and_then(|m| serde_json::from_value(m).ok());
        if let (Some(kind), Some(members)) = (kind, members) {
            if let Ok(id) = LinkId::derive(kind.as_str(), &Link::canonical_members(kind, &members))
            {
                map.insert("id".into(), Value::String(id.to_string()));
            }
        }
        if !map.contains_key("id") {
            // Parse without an id so the error names kind or members, not the id.
            map.insert("id".into(), Value::String("pending".into()));
            let parsed: Result<Link, _> = from_json(Value::Object(map));
            return Err(parsed.err().unwrap_or_else(|| {
                ValidationError::new(
                    "members",
                    Violation::InvalidId,
                    "cannot derive a link id from these members; give an `id`",
                )
            }));
        }
    }
    from_json(Value::Object(map))
}

fn require(map: &Map<String, Value>, fields: &[&str]) -> Result<(), ValidationError> {
    match fields.iter().find(|f| !map.contains_key(**f)) {
        Some(f) => Err(ValidationError::new(
            *f,
            Violation::MissingField,
            "is required",
        )),
        None => Ok(()),
    }
}

/// Applies a JSON merge patch (RFC 7396) to `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (key, value) in p {
                if value.is_null() {
                    t.remove(key);
                } else {
                    merge_patch(t.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => {
            if let Value::Object(p) = patch {
                let mut fresh = Value::Object(Map::new());
                merge_patch(&mut fresh, &Value::Object(p.clone()));
                *target = fresh;
            } else {
                *target = patch.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn derives_node_and_link_ids() {
        let node = node_from_json(obj(
            json!({"kind": "city", "name": "Niigata", "country": "JP"}),
        ))
        .unwrap();
        assert_eq!(node.id.as_str(), "city:jp:niigata");
        let link = link_from_json(obj(
            json!({"kind": "twinning", "members": ["city:jp:niigata", "city:ru:vladivostok"]}),
        ))
        .unwrap();
        assert_eq!(
            link.id.as_str(),
            "twinning:city:jp:niigata+city:ru:vladivostok"
        );
    }

    #[test]
    fn errors_name_the_real_field() {
        let err = node_from_json(obj(json!({"kind": "city"}))).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.violation),
            ("name", Violation::MissingField)
        );
        let err =
            link_from_json(obj(json!({"kind": "twining", "members": ["a", "b"]}))).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.violation),
            ("kind", Violation::UnknownKind)
        );
        let err =
            link_from_json(obj(json!({"kind": "twinning", "members": ["a", 3]}))).unwrap_err();
        assert_eq!(err.field, "members[1]");
        let err =
            node_from_json(obj(json!({"kind": "city", "name": "X", "country": "XX"}))).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.violation),
            ("country", Violation::InvalidCountry)
        );
        let err = link_from_json(obj(
            json!({"id": "l", "kind": "twinning", "members": ["a", "b"], "signed": "2003-13"}),
        ))
        .unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.violation),
            ("signed", Violation::InvalidDate)
        );
        let err =
            node_from_json(obj(json!({"kind": "city", "name": "X", "colour": "red"}))).unwrap_err();
        assert_eq!(err.violation, Violation::InvalidValue);
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
        merge_patch(&mut doc, &json!({"c": [1]}));
        assert_eq!(doc, json!({"a": "z", "c": [1]}));
    }
}
