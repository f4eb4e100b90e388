//! `GET /api/badge/{slug}[.svg|.png]`: the badge image, counted as an impression.
//!
//! A badge request always answers with an image. When something is wrong (an
//! unknown tool, a bad parameter) the image says what, with `X-Verdict-Error`
//! and `no-store`, and nothing is counted.

use super::client::{ClientIp, record_view};
use super::errors::{BadgeReason, ErrorImage, HttpError};
use super::extract::BadgeTarget;
use super::headers;
#[allow(unused_imports)] // named in the OpenAPI description
use super::openapi::Binary;
use crate::badge_cache::Rendered;
use crate::counts::Kind;
use crate::render::Format;
#[allow(unused_imports)]
use crate::render::{Style, Theme};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The badge handler.
#[utoipa::path(
    get,
    path = "/api/badge/{file}",
    tag = "badges",
    params(
        ("file" = String, Path, description = "`SLUG` or `SLUG.svg` for SVG, `SLUG.png` for PNG", example = "smolvlm-3b.png"),
        ("style" = Option<Style>, Query, description = "`card` (360×90, the default) or `compact` (20 px high)"),
        ("theme" = Option<Theme>, Query, description = "Colours; `light` by default"),
        ("scale" = Option<u8>, Query, minimum = 1, maximum = 4, description = "PNG only: device pixels per CSS pixel (default 2: a card is 720×180)"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag of a copy the client holds: a match answers 304, and is counted"),
    ),
    responses(
        (status = 200, description = "The badge, counted as one badge impression (unless the client is a bot, a prefetch or HEAD). \
            When something is wrong — an unknown tool, a bad parameter — the image says what, with `X-Verdict-Error`, `Cache-Control: no-store`, and is not counted.",
            headers(
                ("ETag" = String, description = "Validator of this badge: strong for SVG, weak for PNG"),
                ("Cache-Control" = String, description = "Counted badges must reach the service on every view"),
                ("X-Verdict-Error" = String, description = "On an error image only: `unknown tool`, `invalid slug`, `bad style`, `bad theme`, `bad scale`, `query too long`, `unavailable`, `render failed`"),
            ),
            content(
                (String = "image/svg+xml"),
                (Binary = "image/png"),
            )),
        (status = 304, description = "The client's copy is current (`If-None-Match`); counted like a 200"),
    ),
)]
pub async fn badge(
    State(state): State<AppState>,
    target: BadgeTarget,
    method: Method,
    ClientIp(client_ip): ClientIp,
    request_headers: HeaderMap,
) -> Result<Response, HttpError> {
    let BadgeTarget {
        slug,
        variant,
        format,
    } = target;
    let error = |reason| {
        HttpError::Image(ErrorImage {
            reason,
            variant,
            format,
            badges: state.badges.clone(),
        })
    };
    let entry = match state.catalog.get(&slug).await {
        Ok(Some(entry)) => entry,
        Ok(None) => return Err(error(BadgeReason::UnknownTool)),
        Err(e) => {
            tracing::warn!(error = %e, "verdict lookup failed");
            return Err(error(BadgeReason::Unavailable));
        }
    };
    let rendered = match state.badges.badge(&entry, variant, format).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, slug = %slug, "rendering a badge failed");
            return Err(error(BadgeReason::RenderFailed));
        }
    };
    record_view(
        &state,
        &method,
        &request_headers,
        client_ip,
        &slug,
        Kind::Badge,
    );
    Ok(counted_image(&request_headers, format, rendered))
}

/// Whether an `If-None-Match` list matches `etag`, by the weak comparison that RFC 9110
/// prescribes for it: `W/"x"` and `"x"` are the same validator.
fn if_none_match(list: &str, etag: &str) -> bool {
    fn opaque(tag: &str) -> &str {
        let tag = tag.trim();
        tag.strip_prefix("W/").unwrap_or(tag)
    }
    let ours = opaque(etag);
    list.split(',')
        .any(|t| t.trim() == "*" || opaque(t) == ours)
}

/// A counted image response: fresh on every load, with an ETag for revalidation.
fn counted_image(request_headers: &HeaderMap, format: Format, rendered: Rendered) -> Response {
    let etag = HeaderValue::from_str(&rendered.etag).expect("an etag is hex in quotes");
    let not_modified = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| if_none_match(v, &rendered.etag));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, format.content_type())],
            rendered.body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert(
        header::CACHE_CONTROL,
        headers::COUNTED_CACHE_CONTROL.clone(),
    );
    h.insert(header::EXPIRES, HeaderValue::from_static("0"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if format == Format::Svg {
        h.insert(header::CONTENT_SECURITY_POLICY, headers::SVG_CSP.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(if_none_match(r#""abc""#, r#""abc""#));
        assert!(if_none_match(r#"W/"abc""#, r#""abc""#));
        assert!(if_none_match(r#""x", W/"abc""#, r#"W/"abc""#));
        assert!(if_none_match("*", r#"W/"abc""#));
        assert!(!if_none_match(r#""abd""#, r#"W/"abc""#));
        assert!(!if_none_match("", r#""abc""#));
    }
}
