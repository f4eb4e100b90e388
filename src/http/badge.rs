//! `GET /api/badge/{slug}[.svg|.png]`: the badge image, counted as an impression.
//!
//! A badge request always answers with an image. When something is wrong (an
//! unknown tool, a bad parameter) the image says what, with `X-Verdict-Error`
//! and `no-store`, and nothing is counted.
//!
//! A counted badge may be kept by the reader's browser but is revalidated on every view
//! (see [`headers::COUNTED_CACHE_CONTROL`]): a repeat view is a 304, still counted.
//!
//! This is the service's hottest route, so it avoids work a cached badge does not need:
//! the request's headers are read in place (not cloned), and the cached badge carries its
//! ETag as a ready `HeaderValue` and its body as shared `Bytes`.

use super::client::{client_ip, record_view};
use super::errors::{BadgeReason, ErrorImage, HttpError};
use super::extract::{BadgeTarget, parse_badge, path_file};
use super::headers;
#[allow(unused_imports)] // named in the OpenAPI description
use super::openapi::Binary;
use super::stack;
use crate::badge_cache::Rendered;
use crate::counts::Kind;
use crate::render::{Format, Scale};
#[allow(unused_imports)] // named in the OpenAPI description
use crate::render::{Style, Theme};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

/// The headers of a counted image, built once per format and status; a response clones
/// its template and sets the ETag and `Content-Length` in place (the template holds
/// placeholders), which is a fraction of the cost of inserting each header into an empty
/// map, and leaves the clone (allocated to its exact length) nothing to grow for.
struct Templates {
    svg: HeaderMap,
    svg_not_modified: HeaderMap,
    png: HeaderMap,
    png_not_modified: HeaderMap,
}

/// Any PNG: every scale has the same content type.
const PNG: Format = Format::Png {
    scale: Scale::DEFAULT,
};

static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    let template = |content_type: Option<&'static str>, svg: bool| {
        let mut h = HeaderMap::with_capacity(10);
        if let Some(content_type) = content_type {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            // A body's length, set per response (axum then adds none of its own).
            h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        headers::revalidate_every_view(&mut h, HeaderValue::from_static(""));
        if svg {
            h.insert(header::CONTENT_SECURITY_POLICY, headers::SVG_CSP.clone());
        }
        // The guard would add these to every answer; here they cost nothing more.
        stack::add_safety_headers(&mut h);
        h
    };
    Templates {
        svg: template(Some(Format::Svg.content_type()), true),
        svg_not_modified: template(None, true),
        png: template(Some(PNG.content_type()), false),
        png_not_modified: template(None, false),
    }
});

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
pub async fn badge(State(state): State<AppState>, request: Request) -> Response {
    let (request, _) = request.into_parts();
    respond(&state, &request).await
}

/// The answer to a badge request, whichever way it came: through the router's route above
/// or straight from [`super::service`], which serves badges without the router.
pub async fn respond(state: &AppState, request: &Parts) -> Response {
    // The route is `/api/badge/{file}`, so the file is the path's last segment.
    let path = request.uri.path();
    let file = path_file(path);
    let error = |reason, variant, format| {
        HttpError::Image(ErrorImage {
            reason,
            variant,
            format,
            badges: state.badges.clone(),
        })
        .into_response()
    };
    let BadgeTarget {
        slug,
        variant,
        format,
    } = match parse_badge(file.as_deref(), request.uri.query(), path) {
        Ok(target) => target,
        Err((reason, variant, format)) => return error(reason, variant, format),
    };
    let entry = match state.catalog.get(slug).await {
        Ok(Some(entry)) => entry,
        Ok(None) => return error(BadgeReason::UnknownTool, variant, format),
        Err(e) => {
            tracing::warn!(error = %e, "verdict lookup failed");
            return error(BadgeReason::Unavailable, variant, format);
        }
    };
    let rendered = match state.badges.badge(&entry, variant, format).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, slug = %entry.verdict.slug, "rendering a badge failed");
            return error(BadgeReason::RenderFailed, variant, format);
        }
    };
    let client_ip = client_ip(state, &request.headers, &request.extensions);
    record_view(
        state,
        &request.method,
        &request.headers,
        client_ip,
        // The verdict's own slug: counting holds a clone of it, not a new allocation.
        &entry.verdict.slug,
        Kind::Badge,
    );
    counted_image(&request.headers, format, rendered)
}

/// A counted image response: the image, or a 304 when the reader's copy is current.
fn counted_image(request: &HeaderMap, format: Format, rendered: Rendered) -> Response {
    let not_modified = headers::is_current(request, &rendered.etag);
    let t = &*TEMPLATES;
    let (mut response, template) = match (format, not_modified) {
        (Format::Svg, false) => (Response::new(Body::from(rendered.body)), &t.svg),
        (Format::Png { .. }, false) => (Response::new(Body::from(rendered.body)), &t.png),
        (Format::Svg, true) => (Response::new(Body::empty()), &t.svg_not_modified),
        (Format::Png { .. }, true) => (Response::new(Body::empty()), &t.png_not_modified),
    };
    if not_modified {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
    }
    let h = response.headers_mut();
    *h = template.clone();
    h.insert(header::ETAG, rendered.etag);
    if !not_modified {
        h.insert(header::CONTENT_LENGTH, rendered.length);
    }
    response
}
