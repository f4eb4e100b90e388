//! `GET /api/badge-click/{slug}`: count a click, then send the reader to the review.
//!
//! The `Location` is built only from the configured review URL template and a
//! validated slug: nothing in the request can choose where a reader goes.

use super::client::ClientIp;
use super::errors::{HttpError, Problem};
use super::extract::PageSlug;
use crate::counts::Kind;
use crate::state::AppState;
use crate::tally::RequestFacts;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The click handler.
#[utoipa::path(
    get,
    path = "/api/badge-click/{slug}",
    tag = "badges",
    params(("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b")),
    responses(
        (status = 302, description = "Counted as one click; `Location` is the review page, built only from `--review-url-template` and the slug",
            headers(("Location" = String, description = "The tool's review page"))),
        (status = 404, description = "No such tool (an HTML page)", content_type = "text/html"),
    ),
)]
pub async fn click(
    State(state): State<AppState>,
    PageSlug(slug): PageSlug,
    method: Method,
    ClientIp(client_ip): ClientIp,
    request_headers: HeaderMap,
) -> Result<Response, HttpError> {
    match state.catalog.get(&slug).await {
        Ok(Some(_)) => {
            let facts = RequestFacts {
                method: &method,
                headers: &request_headers,
                client_ip,
            };
            state.tally.observe(&facts, &slug, Kind::Click);
        }
        Ok(None) => return Err(HttpError::Page(Problem::NotFound("No such tool"))),
        // The store is down: the reader still reaches the review site, uncounted,
        // since an unknown slug must never reach the counters.
        Err(e) => tracing::warn!(error = %e, "verdict lookup failed; redirecting uncounted"),
    }
    let location = state.config.review_url.for_slug(&slug);
    let location = HeaderValue::from_str(&location).expect("template and slug are header-safe");
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}
