//! The access rules in the OpenAPI document: the bearer scheme, which operations need
//! a token, and the 401/403/429 answers they can give (added here once rather than
//! on every handler, so the document and [`super::auth`] cannot drift apart).

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::Modify;

/// Adds the bearer scheme and the access answers to every operation.
pub struct Security;

fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        super::problem::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
            .build(),
    )
}

fn text_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String))
        .description(Some(description))
        .build()
}

fn add(operation: &mut Operation, status: &str, response: ResponseBuilder) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::T(response.build()));
}

fn guarded(operation: &mut Operation, write: bool) {
    if operation.security.is_none() {
        operation.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
    add(
        operation,
        "401",
        problem("No bearer token, or an unknown or revoked one").header(
            "WWW-Authenticate",
            text_header("`Bearer realm=\"pobratim\"`"),
        ),
    );
    add(operation, "403", problem("The token's scope is too small"));
    if write {
        add(
            operation,
            "429",
            problem("The token is over its write rate").header(
                "Retry-After",
                text_header("Seconds to wait before retrying"),
            ),
        );
    }
}

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pbt_<id>_<secret>")
                    .description(Some(
                        "A token from `pobratim token create` or `POST /api/v1/admin/tokens`. Writes need scope `write`, the change log `write`, `/api/v1/admin/` `admin`; reads need `read` only on a server run with `--private`.",
                    ))
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/") || path == "/metrics";
            if !api {
                continue;
            }
            for operation in [
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                guarded(operation, true);
            }
            if let Some(get) = item.get.as_mut() {
                if get.security.is_some() {
                    guarded(get, false);
                } else {
                    add(
                        get,
                        "401",
                        problem("Only on a server run with `--private`: no bearer token, or an unknown or revoked one").header(
                            "WWW-Authenticate",
                            text_header("`Bearer realm=\"pobratim\"`"),
                        ),
                    );
                }
            }
        }
    }
}
