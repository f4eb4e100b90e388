//! The daily counts as CSV: `GET /api/stats/{slug}.csv` (bearer) and
//! `GET /stats/{slug}/export.csv` (the owners' page, by cookie or bearer).

use crate::http::errors::ErrorBody;
use crate::http::errors::{HttpError, OnSurface};
use crate::http::extract::{ApiSlug, OwnerCredential, Window};
use crate::state::AppState;
use crate::stats::{self, Series};
use crate::verdict::Slug;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Header line of the CSV export.
pub const CSV_HEADER: &str = "date,badge_impressions,widget_impressions,clicks";

/// The daily counts as CSV: the header line, then one row per day, oldest first.
pub fn to_csv(stats: &Series) -> String {
    let mut out = String::with_capacity(CSV_HEADER.len() + 1 + stats.daily.len() * 24);
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for d in &stats.daily {
        // Dates are YYYY-MM-DD and counts are integers: nothing needs quoting.
        out.push_str(&format!(
            "{},{},{},{}\r\n",
            d.date, d.badge_impressions, d.widget_impressions, d.clicks
        ));
    }
    out
}

/// The CSV download of one tool's window, once access is granted.
pub async fn csv_response(
    state: &AppState,
    slug: &Slug,
    window: Window,
) -> Result<Response, HttpError> {
    // Only the days: the referrers are not part of the file.
    let stats = stats::read_daily(&state.store, slug, window.0)
        .await
        .on_api()?;
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"{slug}-stats-{}-to-{}.csv\"",
        stats.from, stats.to
    ))
    .expect("slug and dates are header-safe");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        to_csv(&stats),
    )
        .into_response())
}

/// `GET /stats/{slug}/export.csv`: the CSV for the signed-in page (cookie) or a bearer.
#[utoipa::path(
    get,
    path = "/stats/{slug}/export.csv",
    tag = "stats",
    params(
        ("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b"),
        ("days" = Option<u32>, Query, minimum = 1, maximum = 366, description = "How many UTC days back, today included (default 30)"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The daily counts as CSV, for the signed-in page (cookie) or a bearer", content_type = "text/csv"),
        (status = 400, description = "A bad slug or `days`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Another tool's key", body = ErrorBody),
    ),
)]
pub async fn page_csv(
    State(state): State<AppState>,
    ApiSlug(slug): ApiSlug,
    window: Window,
    OwnerCredential(credential): OwnerCredential,
) -> Result<Response, HttpError> {
    let secret = credential.as_ref().map(|(secret, _)| secret);
    state.authorize(secret, &slug).await.on_api()?;
    csv_response(&state, &slug, window).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Day;

    #[test]
    fn csv_has_a_row_per_day() {
        let day = |date: &str, clicks| Day {
            date: date.into(),
            clicks,
            ..Day::default()
        };
        let s = Series {
            from: "2026-11-20".into(),
            to: "2026-11-22".into(),
            daily: vec![
                day("2026-11-20", 0),
                day("2026-11-21", 2),
                day("2026-11-22", 0),
            ],
        };
        assert_eq!(
            to_csv(&s),
            "date,badge_impressions,widget_impressions,clicks\r\n\
             2026-11-20,0,0,0\r\n2026-11-21,0,0,2\r\n2026-11-22,0,0,0\r\n"
        );
    }
}
