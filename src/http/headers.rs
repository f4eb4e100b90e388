//! Header values shared by several routes.

use axum::http::HeaderValue;

/// On counted responses: no cache between us and the reader may swallow a load.
pub static COUNTED_CACHE_CONTROL: HeaderValue =
    HeaderValue::from_static("no-cache, no-store, must-revalidate, max-age=0");

/// On SVG responses: an SVG opened directly runs nothing and loads nothing.
pub static SVG_CSP: HeaderValue =
    HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'");

/// On HTML pages of the service itself (not the widget).
pub static PAGE_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
);
