//! `GET /api/stats/{slug}` (JSON) and `GET /api/stats/{slug}.csv`: a tool's counts, for
//! the admin or that tool's stats key.

use super::errors::HttpError;
use super::extract::{Bearer, StatsPath, Window};
use super::owners::export;
use crate::state::AppState;
use crate::stats;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The stats handler: JSON, or CSV for a path ending in `.csv`.
pub async fn stats(
    State(state): State<AppState>,
    StatsPath { slug, csv }: StatsPath,
    window: Window,
    Bearer(token): Bearer,
) -> Result<Response, HttpError> {
    state.authorize(token.as_ref(), &slug).await?;
    if csv {
        return export::csv_response(&state, &slug, window).await;
    }
    let stats = stats::read(&state.store, &slug, window.0).await?;
    let mut response = Json(stats).into_response();
    // Counts are private to their owners: no cache along the way may keep them.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
