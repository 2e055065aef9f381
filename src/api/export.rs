//! `/api/v1/export` and `/api/v1/export/manifest`: the network as a file a paper can
//! cite, with the SHA-256 and manifest that let a reader check it.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::extract::ValidQuery;
use super::filters::graph_params;
use super::problem::{ApiError, Problem};
use super::version;
use crate::service::export::ExportFormat;
use crate::service::filters::{Filter, FilterWords};
use crate::service::manifest::ExportManifest;
use crate::service::Service;

graph_params! {
    /// Format and filters of an export.
    pub struct ExportParams {
        /// The format (default `pobratim`).
        pub format: Option<ExportFormat>,
    }
}

impl ExportParams {
    /// The format and the filter asked for; graph formats default to every link kind
    /// and status.
    fn parse(&self) -> Result<(ExportFormat, Filter), ApiError> {
        let filter = FilterWords {
            kinds: Some(self.kinds.as_deref().unwrap_or("all")),
            status: Some(self.status.as_deref().unwrap_or("any")),
            node_kinds: self.node_kinds.as_deref(),
            evidence: self.evidence.as_deref(),
            as_of: self.as_of.as_deref(),
            undated: self.undated,
        }
        .parse()?;
        Ok((self.format.unwrap_or(ExportFormat::Pobratim), filter))
    }
}

/// Base64 of a hexadecimal SHA-256, as the digest headers carry it.
fn base64_of_hex(hex: &str) -> String {
    use base64::Engine;
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Export the network
///
/// The network in `format`, filtered like graph questions (graph formats default to
/// every link kind and status here). The same graph version and filters give the same
/// bytes: records come in id order and nothing in the file varies between runs. The
/// response carries the file's SHA-256 (`Repr-Digest`, RFC 9530, and `Digest`,
/// RFC 3230), its size, the graph version it was read at (`X-Graph-Version`, and
/// `ETag` `"g<version>"`), and a `Link` to its manifest. The file is one graph version
/// even while others write.
#[utoipa::path(get, path = "/api/v1/export", tag = "transfer", params(ExportParams),
    responses(
        (status = 200, description = "The export, in the format's media type", content(
            (Object = "application/json"),
            (Object = "application/geo+json"),
            (String = "application/graphml+xml"),
            (String = "application/gexf+xml"),
            (String = "text/csv"),
        ), headers(
            ("Repr-Digest" = String, description = "`sha-256=:<base64>:` of the file (RFC 9530)"),
            ("Digest" = String, description = "`SHA-256=<base64>` of the file (RFC 3230)"),
            ("X-Graph-Version" = u64, description = "The graph version the records were read at"),
            ("Link" = String, description = "`</api/v1/export/manifest?…>; rel=\"describedby\"`: the manifest of this export"),
        )),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_export(
    service: web::Data<Service>,
    params: ValidQuery<ExportParams>,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (format, filter) = params.0.parse()?;
    let (file, manifest) =
        super::blocking(&service, move |svc| svc.export_spooled(format, &filter)).await?;
    let digest = base64_of_hex(&manifest.sha256);
    let manifest_at = match request.query_string() {
        "" => "/api/v1/export/manifest".to_string(),
        query => format!("/api/v1/export/manifest?{query}"),
    };
    let body = super::stream::written_off_thread("export", move |out| {
        std::io::copy(&mut std::io::BufReader::new(file), out).map(|_| ())
    });
    Ok(
        version::versioned(HttpResponse::Ok(), manifest.graph_version)
            .insert_header((header::CONTENT_TYPE, manifest.media_type))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", manifest.file),
            ))
            .insert_header(("repr-digest", format!("sha-256=:{digest}:")))
            .insert_header(("digest", format!("SHA-256={digest}")))
            .insert_header((
                header::LINK,
                format!("<{manifest_at}>; rel=\"describedby\""),
            ))
            .body(actix_web::body::SizedStream::new(manifest.bytes, body)),
    )
}

/// The manifest of an export
///
/// What `GET /api/v1/export` with the same parameters sends: the file's name, format,
/// size and SHA-256, the graph version and filters it was cut at, the pobratim release,
/// its node and link counts, and the documents its links cite with their licences.
/// `pobratim verify FILE MANIFEST` checks a file against it.
#[utoipa::path(get, path = "/api/v1/export/manifest", tag = "transfer", params(ExportParams),
    responses(
        (status = 200, description = "The manifest", body = ExportManifest),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_export_manifest(
    service: web::Data<Service>,
    params: ValidQuery<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let (format, filter) = params.0.parse()?;
    let manifest =
        super::blocking(&service, move |svc| svc.export_manifest(format, &filter)).await?;
    Ok(version::json(
        actix_web::http::StatusCode::OK,
        manifest.graph_version,
        &manifest,
    ))
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/export", super::get().to(get_export))
        .route("/export/manifest", super::get().to(get_export_manifest));
}

#[cfg(test)]
mod tests {
    #[test]
    fn digest_headers_carry_the_bytes_of_the_hex_digest() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1), in base64.
        assert_eq!(
            super::base64_of_hex(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }
}
