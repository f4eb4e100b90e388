//! Header values shared by several routes, and the revalidation rules of counted responses.

use axum::http::{HeaderMap, HeaderValue, header};

/// On counted responses (badges and the widget): any cache may keep a copy, but must ask
/// the service before each reuse (`no-cache`, `max-age=0`, `must-revalidate`). Every view
/// therefore still reaches the service and is counted, while a reader whose copy is
/// current gets a 304 instead of the whole body again.
pub static COUNTED_CACHE_CONTROL: HeaderValue =
    HeaderValue::from_static("no-cache, max-age=0, must-revalidate");

/// `Expires: 0`: already stale, for HTTP/1.0 caches that ignore `Cache-Control`.
static EXPIRED: HeaderValue = HeaderValue::from_static("0");
/// `Pragma: no-cache`, for the same HTTP/1.0 caches.
static PRAGMA_NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

/// On SVG responses: an SVG opened directly runs nothing and loads nothing.
pub static SVG_CSP: HeaderValue =
    HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'");

/// On HTML pages of the service itself (not the widget).
pub static PAGE_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
);

/// Adds the headers of a counted response with validator `etag`.
pub fn revalidate_every_view(headers: &mut HeaderMap, etag: HeaderValue) {
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, COUNTED_CACHE_CONTROL.clone());
    headers.insert(header::EXPIRES, EXPIRED.clone());
    headers.insert(header::PRAGMA, PRAGMA_NO_CACHE.clone());
}

/// Whether the request's `If-None-Match` names `etag`, by the weak comparison that RFC 9110
/// prescribes for it: `W/"x"` and `"x"` are the same validator, and `*` matches any.
pub fn is_current(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let (Some(list), Ok(etag)) = (request.get(header::IF_NONE_MATCH), etag.to_str()) else {
        return false;
    };
    list.to_str().is_ok_and(|list| if_none_match(list, etag))
}

/// Whether the `If-None-Match` list `list` matches `etag` (weak comparison).
fn if_none_match(list: &str, etag: &str) -> bool {
    fn opaque(tag: &str) -> &str {
        let tag = tag.trim();
        tag.strip_prefix("W/").unwrap_or(tag)
    }
    let ours = opaque(etag);
    list.split(',')
        .any(|t| t.trim() == "*" || opaque(t) == ours)
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

    #[test]
    fn a_request_is_current_only_with_a_matching_validator() {
        let etag = HeaderValue::from_static(r#""abc""#);
        let mut request = HeaderMap::new();
        assert!(!is_current(&request, &etag));
        request.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static(r#"W/"abc""#),
        );
        assert!(is_current(&request, &etag));
        request.insert(header::IF_NONE_MATCH, HeaderValue::from_static(r#""abd""#));
        assert!(!is_current(&request, &etag));
    }
}
