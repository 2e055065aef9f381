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

/// Checks a free-text field: not blank, at most `max` characters, no control characters.
pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
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
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ValidationError::new(
            field,
            Violation::InvalidValue,
            "contains control characters",
        ));
    }
    Ok(())
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
