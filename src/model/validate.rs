//! Validation errors shared by the model types.

/// The rule a value broke; each maps to a stable problem code in the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A value is malformed or out of its allowed set.
    InvalidValue,
    /// An id is malformed.
    InvalidId,
    /// A date does not parse.
    InvalidDate,
    /// `ended` is before `signed`.
    DateOrder,
    /// A country code is not an ISO 3166-1 alpha-2 code.
    InvalidCountry,
    /// Coordinates are out of range.
    InvalidCoordinates,
    /// The number of members does not fit the link kind.
    MemberCount,
    /// A node appears more than once among a link's members.
    SelfLink,
    /// A member is of a node kind the link kind does not allow there.
    MemberKind,
    /// A member does not exist.
    UnknownMember,
    /// A kind is not one of the known kinds.
    UnknownKind,
    /// A required field is absent.
    MissingField,
}

/// A value that breaks a rule of the data model, naming the field at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    /// Path of the field at fault, e.g. `members[1]` or `location.lat`.
    pub field: String,
    /// Which rule was broken.
    pub violation: Violation,
    /// A sentence a person can act on.
    pub reason: String,
}

impl ValidationError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, violation: Violation, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            violation,
            reason: reason.into(),
        }
    }

    /// Prefixes the field path, e.g. `operations[3].link` + `members[1]`.
    pub fn within(mut self, prefix: &str) -> Self {
        if !prefix.is_empty() {
            self.field = if self.field.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}.{}", self.field)
            };
        }
        self
    }
}

/// Checks a one-line text field (a name, a region, a tag): not blank, at most `max`
/// characters, no control characters (line breaks and tabs included) and no
/// bidirectional overrides or isolates.
pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    check_any_text(field, value, max, false)
}

/// Checks a text that may run over lines (notes, a quoted passage): as [`check_text`],
/// but line breaks and tabs are allowed.
pub(crate) fn check_prose(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    check_any_text(field, value, max, true)
}

/// Whether `c` overrides or isolates the direction of the text around it (U+202A–U+202E,
/// U+2066–U+2069): a name holding one can display as another name ("Trojan source").
/// The marks U+200E and U+200F, which only mark a direction, are allowed.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn check_any_text(
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new(
            field,
            Violation::InvalidValue,
            "cannot be empty",
        ));
    }
    if value.chars().count() > max {
        return Err(ValidationError::new(
            field,
            Violation::InvalidValue,
            format!("is longer than {max} characters"),
        ));
    }
    let allowed_control = |c: char| multiline && (c == '\n' || c == '\t');
    if let Some(c) = value
        .chars()
        .find(|&c| (c.is_control() && !allowed_control(c)) || is_bidi_control(c))
    {
        let what = if is_bidi_control(c) {
            "a bidirectional override or isolate"
        } else {
            "a control character"
        };
        let allowed = if multiline {
            " (line breaks and tabs are allowed)"
        } else {
            " (it is one line of text)"
        };
        return Err(ValidationError::new(
            field,
            Violation::InvalidValue,
            format!("contains {what}, U+{:04X}{allowed}", u32::from(c)),
        ));
    }
    Ok(())
}

/// Deepest nesting of arrays and objects inside `attrs` (the record around it adds two
/// levels; a stored value may nest at most `store::codec::MAX_VALUE_DEPTH`, well above).
pub const MAX_ATTRS_DEPTH: usize = 32;

/// Checks free-form attributes: nested at most [`MAX_ATTRS_DEPTH`] arrays and objects
/// deep (counting `attrs` itself as one), so that every record written reads back.
pub(crate) fn check_attrs(
    attrs: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ValidationError> {
    for (key, value) in attrs {
        let depth = 1 + value_depth(value);
        if depth > MAX_ATTRS_DEPTH {
            return Err(ValidationError::new(
                format!("attrs.{key}"),
                Violation::InvalidValue,
                format!(
                    "`attrs` may nest arrays and objects at most {MAX_ATTRS_DEPTH} deep; this value nests {depth}"
                ),
            ));
        }
    }
    Ok(())
}

/// How many arrays and objects deep a JSON value nests (a scalar is 0). Iterative, so
/// no value can overflow the stack here.
pub fn value_depth(value: &serde_json::Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &serde_json::Value>> = match value {
            serde_json::Value::Array(items) => Box::new(items.iter()),
            serde_json::Value::Object(map) => Box::new(map.values()),
            _ => {
                deepest = deepest.max(depth);
                continue;
            }
        };
        deepest = deepest.max(depth + 1);
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    deepest
}

/// Deserialises a record from JSON, naming the field at fault and the rule it broke.
pub fn from_json<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ValidationError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        classify(if path == "." { String::new() } else { path }, message)
    })
}

/// Turns a serde message at `path` into a [`ValidationError`] with the right violation.
pub fn classify(path: String, message: String) -> ValidationError {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        return ValidationError::new(field, Violation::MissingField, "is required");
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = if path.is_empty() {
            name.to_string()
        } else {
            path
        };
        return ValidationError::new(field, Violation::InvalidValue, message);
    }
    let last = path.rsplit('.').next().unwrap_or_default();
    let violation = match last {
        "country" => Violation::InvalidCountry,
        "signed" | "ended" => Violation::InvalidDate,
        "kind" if message.starts_with("unknown variant") => Violation::UnknownKind,
        "id" => Violation::InvalidId,
        _ if last.starts_with("members[") => Violation::InvalidId,
        _ => Violation::InvalidValue,
    };
    ValidationError::new(path, violation, message)
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn one_rule_for_text() {
        assert!(check_text("name", "Jōetsu 上越市", 10).is_ok());
        for bad in ["a\nb", "a\tb", "a\u{202E}b", "a\u{2066}b", "a\u{7}b"] {
            let e = check_text("name", bad, 10).unwrap_err();
            assert_eq!(e.field, "name", "{bad:?}");
        }
        assert!(check_prose("notes", "line one\n\tline two", 100).is_ok());
        assert!(check_prose("notes", "a\u{202E}b", 100).is_err());
        assert!(check_prose("notes", "a\rb", 100).is_err());
        assert!(check_text("name", "שלום\u{200F}", 10).is_ok());
    }
}
