//! `GET /api/stats/{slug}`: a tool's counts, for the admin or that tool's stats key.

use super::errors::AppError;
use super::verdicts::parse_slug;
use crate::app::AppState;
use crate::auth;
use crate::stats::{self, Stats};
use crate::verdict::Slug;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

/// The stats handler; `{slug}.csv` answers the daily counts as CSV (see [`super::owners::api_csv`]).
pub async fn stats(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(slug) = slug.strip_suffix(".csv") {
        return super::owners::api_csv(&state, slug, query.as_deref(), &headers).await;
    }
    let slug = parse_slug(&slug)?;
    let days = days_param(query.as_deref())?;
    authorize(&state, &headers, &slug).await?;
    Ok(Json::<Stats>(stats::read(&state.store, &slug, days).await?).into_response())
}

fn days_param(query: Option<&str>) -> Result<u32, AppError> {
    let mut days = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if name == "days" {
            days = Some(value.into_owned());
        }
    }
    stats::parse_days(days.as_deref()).map_err(AppError::BadRequest)
}

/// Admin token, or a live stats key of this very tool: 401 without, 403 for another tool's key.
pub async fn authorize(state: &AppState, headers: &HeaderMap, slug: &Slug) -> Result<(), AppError> {
    let Some(token) = auth::bearer(headers) else {
        return Err(AppError::Unauthorized);
    };
    if state.admin.matches(token) {
        return Ok(());
    }
    if !auth::looks_like_stats_key(token) {
        return Err(AppError::Unauthorized);
    }
    // Keys are looked up by digest; the digest of a wrong key finds nothing.
    match state.store.stats_key_slug(&auth::digest_hex(token)).await? {
        Some(owner) if owner == slug.as_str() => Ok(()),
        Some(_) => Err(AppError::Forbidden("this key belongs to another tool")),
        None => Err(AppError::Unauthorized),
    }
}
