//! `/docs/problems`: the page every problem's `type` points at (`/docs/problems#<code>`),
//! one section per code with its status, title and what to do about it, written from
//! the same table the responses use.

use actix_web::http::header;
use actix_web::HttpResponse;

use super::problem::ProblemCode;

/// Text made safe inside HTML.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `code` spans for the back-quoted words of an explanation.
fn with_code(text: &str) -> String {
    escaped(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_string()
            }
        })
        .collect()
}

/// The page's HTML.
pub fn html() -> String {
    let mut sections = String::new();
    for code in ProblemCode::ALL {
        let status = code.status();
        sections.push_str(&format!(
            "<section id=\"{id}\"><h2><code>{id}</code> — {title}</h2><p class=\"status\">HTTP {number} {reason}</p><p>{explanation}</p></section>\n",
            id = code.as_str(),
            title = escaped(code.title()),
            number = status.as_u16(),
            reason = status.canonical_reason().unwrap_or_default(),
            explanation = with_code(code.explanation()),
        ));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>pobratim: problems</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b2430}}\
section{{border-top:1px solid #d6dde6;padding:.4rem 0}}section:target{{background:#fff6d6}}h2{{font-size:1.05rem;margin:.3rem 0}}.status{{color:#5a6775;margin:0}}</style></head>\
<body><h1>Problems</h1><p>Every error the API answers is an <code>application/problem+json</code> document (RFC 9457) whose <code>type</code> links here, \
with a stable <code>code</code>, the <code>field</code> at fault where there is one, and a <code>detail</code> for this request. \
The <a href=\"/docs\">API documentation</a> lists which operation answers which.</p>\n{sections}</body></html>\n"
    )
}

/// Serves the page.
pub async fn problems() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .body(html())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_code_has_its_section_and_text_is_escaped() {
        let page = super::html();
        for code in super::ProblemCode::ALL {
            assert!(
                page.contains(&format!("<section id=\"{}\">", code.as_str())),
                "{code:?}"
            );
            assert!(!code.explanation().is_empty(), "{code:?}");
        }
        assert!(page.contains("Bearer &lt;token&gt;"));
        assert!(page.contains("<code>cascade=true</code>"));
    }
}
