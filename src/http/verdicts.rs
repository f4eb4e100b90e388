//! The verdict API: public reads, admin writes.

use super::errors::AppError;
use crate::app::AppState;
use crate::auth;
use crate::verdict::{FieldError, Slug, Verdict};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// `GET /api/verdicts`: every verdict.
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Value>>, AppError> {
    let verdicts = state.catalog.all().await?;
    Ok(Json(verdicts.iter().map(Verdict::to_json).collect()))
}

/// `GET /api/verdicts/{slug}`: one verdict.
pub async fn one(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Value>, AppError> {
    let slug = parse_slug(&slug)?;
    match state.catalog.get(&slug).await? {
        Some(entry) => Ok(Json(entry.verdict.to_json())),
        None => Err(AppError::NotFound("no verdict for this slug")),
    }
}

/// `PUT /api/verdicts/{slug}`: create or replace a verdict (admin).
///
/// The body's `slug` may be left out; when present it must match the path.
pub async fn put(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    require_admin(&state, &headers)?;
    let slug = parse_slug(&slug)?;
    let mut record: Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let Some(fields) = record.as_object_mut() else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    match fields.get("slug") {
        None => {
            fields.insert("slug".into(), Value::from(slug.as_str()));
        }
        Some(Value::String(s)) if s == slug.as_str() => {}
        Some(_) => {
            return Err(AppError::Invalid(vec![FieldError {
                field: "slug".into(),
                message: format!("must match the slug in the URL, {slug}"),
            }]));
        }
    }
    let verdict = Verdict::from_json(&record).map_err(AppError::Invalid)?;
    let existed = state.catalog.get(&slug).await.ok().flatten().is_some();
    state.catalog.put(std::slice::from_ref(&verdict)).await?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(verdict.to_json())).into_response())
}

/// `DELETE /api/verdicts/{slug}`: remove a verdict (admin); its counts stay.
pub async fn delete(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    require_admin(&state, &headers)?;
    let slug = parse_slug(&slug)?;
    if state.catalog.delete(&slug).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound("no verdict for this slug"))
    }
}

/// A slug from the path, or a 400 that says why not.
pub fn parse_slug(raw: &str) -> Result<Slug, AppError> {
    Slug::parse(raw).map_err(|m| AppError::BadRequest(format!("slug {m}")))
}

/// Passes only requests carrying the admin token, when this instance owns its verdicts.
pub fn require_admin(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    if state.config.verdict_origin.is_some() {
        return Err(AppError::Forbidden(
            "verdicts come from the verdict origin; write them there",
        ));
    }
    if !state.admin.is_set() {
        return Err(AppError::Forbidden(
            "the write API is disabled: no admin token is configured",
        ));
    }
    match auth::bearer(headers) {
        Some(token) if state.admin.matches(token) => Ok(()),
        _ => Err(AppError::Unauthorized),
    }
}
