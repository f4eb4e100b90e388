//! `GET /api/badge/{slug}[.svg|.png]`: the badge image, counted as an impression.
//!
//! A badge request always answers with an image. When something is wrong (an
//! unknown tool, a bad parameter) the image says what, with `X-Verdict-Error`
//! and `no-store`, and nothing is counted.

use super::client::{ClientIp, record_view};
use super::headers;
use crate::app::AppState;
use crate::badge_cache::{Format, Rendered};
use crate::render::{Style, Theme, Variant};
use crate::tally::Kind;
use crate::verdict::Slug;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Default PNG scale: 720×180 for a card, sharp on high-density screens.
pub const DEFAULT_SCALE: u8 = 2;
/// Longest query string read; badge parameters are short.
const MAX_QUERY_LEN: usize = 512;

/// What a badge request asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct BadgeRequest<'a> {
    /// The slug part of the path, not yet validated.
    pub slug: &'a str,
    /// Style and theme.
    pub variant: Variant,
    /// SVG or PNG at a scale.
    pub format: Format,
}

/// Parses the path's file name and the query; the error is the reason shown on the badge.
///
/// Unknown parameters are ignored (readers' cache-busters like `?v=2` are common);
/// known ones must be valid.
pub fn parse_request<'a>(
    file: &'a str,
    query: Option<&str>,
) -> Result<BadgeRequest<'a>, (&'static str, BadgeRequest<'a>)> {
    let (slug, png) = if let Some(s) = file.strip_suffix(".png") {
        (s, true)
    } else {
        (file.strip_suffix(".svg").unwrap_or(file), false)
    };
    let mut request = BadgeRequest {
        slug,
        variant: Variant::default(),
        format: if png {
            Format::Png {
                scale: DEFAULT_SCALE,
            }
        } else {
            Format::Svg
        },
    };
    let query = query.unwrap_or("");
    if query.len() > MAX_QUERY_LEN {
        return Err(("query too long", request));
    }
    let mut error = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "style" => match Style::parse(&value) {
                Ok(style) => request.variant.style = style,
                Err(_) => error = error.or(Some("bad style")),
            },
            "theme" => match Theme::parse(&value) {
                Ok(theme) => request.variant.theme = theme,
                Err(_) => error = error.or(Some("bad theme")),
            },
            "scale" if png => match value.parse::<u8>() {
                Ok(scale @ 1..=4) => request.format = Format::Png { scale },
                _ => error = error.or(Some("bad scale")),
            },
            _ => {}
        }
    }
    match error {
        Some(reason) => Err((reason, request)),
        None => Ok(request),
    }
}

/// The badge handler.
pub async fn badge(
    state: axum::extract::State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    method: Method,
    ClientIp(client_ip): ClientIp,
    request_headers: HeaderMap,
) -> Response {
    let request = match parse_request(&file, query.as_deref()) {
        Ok(r) => r,
        Err((reason, r)) => return error_badge(&state, reason, r.variant, r.format).await,
    };
    let Ok(slug) = Slug::parse(request.slug) else {
        return error_badge(&state, "invalid slug", request.variant, request.format).await;
    };
    let entry = match state.catalog.get(&slug).await {
        Ok(Some(entry)) => entry,
        Ok(None) => {
            return error_badge(&state, "unknown tool", request.variant, request.format).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "verdict lookup failed");
            return error_badge(&state, "unavailable", request.variant, request.format).await;
        }
    };
    let rendered = match state
        .badges
        .badge(&entry, request.variant, request.format)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, slug = %slug, "rendering a badge failed");
            return error_badge(&state, "render failed", request.variant, request.format).await;
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
    counted_image(&request_headers, request.format, rendered)
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

/// An image that says what is wrong; never counted, never cached downstream.
async fn error_badge(
    state: &AppState,
    reason: &'static str,
    variant: Variant,
    format: Format,
) -> Response {
    let mut response = match state.badges.error(reason, variant, format).await {
        Ok(r) => ([(header::CONTENT_TYPE, format.content_type())], r.body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, reason, "rendering an error badge failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    let h = response.headers_mut();
    h.insert("x-verdict-error", HeaderValue::from_static(reason));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if format == Format::Svg {
        h.insert(header::CONTENT_SECURITY_POLICY, headers::SVG_CSP.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_parameters() {
        let r = parse_request("smolvlm-3b", None).unwrap();
        assert_eq!((r.slug, r.format), ("smolvlm-3b", Format::Svg));
        let r = parse_request("smolvlm-3b.svg", Some("style=compact&theme=dark&v=3")).unwrap();
        assert_eq!(r.slug, "smolvlm-3b");
        assert_eq!(
            r.variant,
            Variant {
                style: Style::Compact,
                theme: Theme::Dark
            }
        );
        let r = parse_request("a.png", None).unwrap();
        assert_eq!(r.format, Format::Png { scale: 2 });
        let r = parse_request("a.png", Some("scale=1")).unwrap();
        assert_eq!(r.format, Format::Png { scale: 1 });
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let reason = |file, q| parse_request(file, Some(q)).unwrap_err().0;
        assert_eq!(reason("a", "style=huge"), "bad style");
        assert_eq!(reason("a", "theme=neon"), "bad theme");
        assert_eq!(reason("a.png", "scale=5"), "bad scale");
        assert_eq!(reason("a.png", "scale=0"), "bad scale");
        assert_eq!(reason("a", &"x".repeat(600)), "query too long");
        // The error badge keeps the valid parts of the request.
        let (_, r) = parse_request("a.png", Some("style=compact&scale=9")).unwrap_err();
        assert_eq!(r.variant.style, Style::Compact);
    }

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
