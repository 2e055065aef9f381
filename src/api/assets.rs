//! Web pages served from the binary: the network explorer at `/` and the interactive
//! API documentation at `/docs` (Swagger UI). Their libraries are vendored from npm
//! (`package-lock.json`; `assets/explorer/vendor/update.sh`, `assets/swagger-ui/update.sh`),
//! so the pages work offline and nothing is fetched at build or run time.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::problem::{ApiError, ProblemCode};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JSON: &str = "application/json";

/// Every asset: path, media type, bytes.
const FILES: [(&str, &str, &[u8]); 15] = [
    (
        "/",
        HTML,
        include_bytes!("../../assets/explorer/index.html"),
    ),
    (
        "/explorer/explorer.js",
        JS,
        include_bytes!("../../assets/explorer/explorer.js"),
    ),
    (
        "/explorer/explorer.css",
        CSS,
        include_bytes!("../../assets/explorer/explorer.css"),
    ),
    (
        "/explorer/icon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/explorer/icon.svg"),
    ),
    (
        "/explorer/vendor/cytoscape.min.js",
        JS,
        include_bytes!("../../assets/explorer/vendor/cytoscape.min.js"),
    ),
    (
        "/explorer/vendor/topojson-client.min.js",
        JS,
        include_bytes!("../../assets/explorer/vendor/topojson-client.min.js"),
    ),
    (
        "/explorer/vendor/graphology.umd.min.js",
        JS,
        include_bytes!("../../assets/explorer/vendor/graphology.umd.min.js"),
    ),
    (
        "/explorer/vendor/sigma.min.js",
        JS,
        include_bytes!("../../assets/explorer/vendor/sigma.min.js"),
    ),
    (
        "/explorer/vendor/countries-110m.json",
        JSON,
        include_bytes!("../../assets/explorer/vendor/countries-110m.json"),
    ),
    ("/docs", HTML, include_bytes!("../../assets/docs.html")),
    ("/docs/", HTML, include_bytes!("../../assets/docs.html")),
    (
        "/docs/init.js",
        JS,
        include_bytes!("../../assets/docs-init.js"),
    ),
    (
        "/docs/swagger-ui-bundle.js",
        JS,
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "/docs/swagger-ui.css",
        CSS,
        include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    ),
    (
        "/docs/favicon-32x32.png",
        "image/png",
        include_bytes!("../../assets/swagger-ui/favicon-32x32.png"),
    ),
];

/// Serves the asset at the request's path.
pub async fn asset(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    let (_, media, bytes) = FILES.iter().find(|(p, _, _)| *p == path).ok_or_else(|| {
        ApiError::new(
            ProblemCode::NotFound,
            format!("no page or file at {path}"),
            None,
        )
    })?;
    let cache = if *media == HTML {
        "no-cache"
    } else {
        "public, max-age=3600"
    };
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, *media))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if *media == HTML {
        let policy = if path.starts_with("/docs") {
            DOCS_POLICY
        } else {
            EXPLORER_POLICY
        };
        response
            .insert_header((header::CONTENT_SECURITY_POLICY, policy))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    }
    Ok(response.body(*bytes))
}

/// The explorer's content security policy: everything from this server (the page's
/// scripts, styles, the map's outlines and the API), no inline script, not framed.
/// Styles may be inline: the graph library sets them.
const EXPLORER_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The API documentation's policy: as the explorer's, but Swagger UI's bundle builds
/// a function from text, and its page holds one inline style.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", super::get().to(asset))
        .route("/docs", super::get().to(asset))
        .route(
            "/docs/problems",
            super::get().to(super::problem_page::problems),
        )
        .route("/docs/{name}", super::get().to(asset))
        .route("/explorer/{name}", super::get().to(asset))
        .route("/explorer/vendor/{name}", super::get().to(asset));
}
