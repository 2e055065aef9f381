//! `/docs`: interactive API documentation (Swagger UI, vendored from the npm package
//! `swagger-ui-dist`, see `assets/swagger-ui/VENDORED.md`), served from the binary.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::problem::{ApiError, ProblemCode};

/// The files of `/docs/`: name, media type, bytes.
const FILES: [(&str, &str, &[u8]); 5] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../assets/docs.html"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/docs-init.js"),
    ),
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    ),
    (
        "favicon-32x32.png",
        "image/png",
        include_bytes!("../../assets/swagger-ui/favicon-32x32.png"),
    ),
];

fn file(name: &str) -> Result<HttpResponse, ApiError> {
    let (_, media, bytes) = FILES.iter().find(|(n, _, _)| *n == name).ok_or_else(|| {
        ApiError::new(ProblemCode::NotFound, format!("no file /docs/{name}"), None)
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, *media))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(*bytes))
}

/// The documentation page.
pub async fn index() -> Result<HttpResponse, ApiError> {
    file("index.html")
}

/// One of its assets.
pub async fn asset(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    file(&name)
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/docs", web::get().to(index))
        .route("/docs/", web::get().to(index))
        .route("/docs/{name}", web::get().to(asset));
}
