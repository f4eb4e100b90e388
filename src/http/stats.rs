//! `GET /api/stats/{slug}` (JSON) and `GET /api/stats/{slug}.csv`: a tool's counts, for
//! the admin or that tool's stats key.

use super::errors::ErrorBody;
use super::errors::HttpError;
use super::extract::{Bearer, StatsPath, Window};
use super::owners::export;
use crate::state::AppState;
use crate::stats;
#[allow(unused_imports)]
use crate::stats::Stats;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The stats handler: JSON, or CSV for a path ending in `.csv`.
#[utoipa::path(
    get,
    path = "/api/stats/{slug}",
    tag = "stats",
    params(
        ("slug" = String, Path, description = "The tool's slug; `SLUG.csv` answers the daily counts as CSV", example = "smolvlm-3b"),
        ("days" = Option<u32>, Query, minimum = 1, maximum = 366, description = "How many UTC days back, today included (default 30)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tool's counts over the window (`Cache-Control: no-store`)",
            content(
                (Stats = "application/json"),
                (String = "text/csv", example = "date,badge_impressions,widget_impressions,clicks\r\n2026-11-28,12,3,1\r\n"),
            )),
        (status = 400, description = "A bad slug or `days`", body = ErrorBody),
        (status = 401, description = "No bearer token, or one that opens nothing", body = ErrorBody),
        (status = 403, description = "A stats key of another tool", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
)]
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
