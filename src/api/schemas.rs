//! OpenAPI schemas of types the lower layers define: the document describes them here,
//! so that only the HTTP adapter knows about OpenAPI.

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

use crate::service::export::{ExportFormat, ImportFormat};
use crate::service::upkeep::Scope;

/// A string schema listing the names a value may take.
fn names(description: &str, names: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(names))
        .into()
}

impl utoipa::PartialSchema for ExportFormat {
    fn schema() -> RefOr<Schema> {
        names(
            "Export formats.",
            ExportFormat::ALL.map(ExportFormat::as_str),
        )
    }
}

impl utoipa::ToSchema for ExportFormat {}

impl utoipa::PartialSchema for ImportFormat {
    fn schema() -> RefOr<Schema> {
        names(
            "The formats an import reads.",
            ImportFormat::ALL.map(ImportFormat::as_str),
        )
    }
}

impl utoipa::ToSchema for ImportFormat {}

impl utoipa::PartialSchema for Scope {
    fn schema() -> RefOr<Schema> {
        names(
            "What a token allows. Each scope includes the ones before it.",
            [Scope::Read, Scope::Write, Scope::Admin].map(Scope::as_str),
        )
    }
}

impl utoipa::ToSchema for Scope {}

#[cfg(test)]
mod tests {
    use crate::service::export::{ExportFormat, ImportFormat};

    #[test]
    fn format_names_are_their_wire_names() {
        for format in ExportFormat::ALL {
            let wire = serde_json::to_value(format).unwrap();
            assert_eq!(wire, format.as_str());
            assert_eq!(format.as_str().parse::<ExportFormat>(), Ok(format));
        }
        for format in ImportFormat::ALL {
            assert_eq!(serde_json::to_value(format).unwrap(), format.as_str());
        }
    }
}
