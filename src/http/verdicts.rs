//! The verdict API: public reads, admin writes.

use super::errors::ErrorBody;
use super::errors::{HttpError, Problem};
use super::extract::{Admin, ApiSlug};
use crate::state::AppState;
use crate::verdict::{FieldError, Verdict};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// `GET /api/verdicts`: every verdict.
#[utoipa::path(
    get,
    path = "/api/verdicts",
    tag = "verdicts",
    responses(
        (status = 200, description = "Every verdict, by slug", body = Vec<Verdict>),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Value>>, HttpError> {
    let verdicts = state.catalog.all().await?;
    Ok(Json(verdicts.iter().map(Verdict::to_json).collect()))
}

/// `GET /api/verdicts/{slug}`: one verdict.
#[utoipa::path(
    get,
    path = "/api/verdicts/{slug}",
    tag = "verdicts",
    params(("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b")),
    responses(
        (status = 200, description = "The verdict", body = Verdict),
        (status = 400, description = "Not a valid slug", body = ErrorBody),
        (status = 404, description = "No verdict for this slug", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
)]
pub async fn one(
    State(state): State<AppState>,
    ApiSlug(slug): ApiSlug,
) -> Result<Json<Value>, HttpError> {
    match state.catalog.get(&slug).await? {
        Some(entry) => Ok(Json(entry.verdict.to_json())),
        None => Err(HttpError::Api(Problem::NotFound(
            "no verdict for this slug",
        ))),
    }
}

/// `PUT /api/verdicts/{slug}`: create or replace a verdict (admin).
///
/// The body's `slug` may be left out; when present it must match the path.
#[utoipa::path(
    put,
    path = "/api/verdicts/{slug}",
    tag = "verdicts",
    params(("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b")),
    request_body(content = Verdict, description = "A verdict record; `slug` may be left out, and must match the path when present. At most 64 KiB."),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = Verdict),
        (status = 201, description = "Created", body = Verdict),
        (status = 400, description = "Not JSON, or a record that breaks the rules: every broken rule is listed in `fields`, and nothing is written", body = ErrorBody),
        (status = 401, description = "No admin token, or a wrong one", body = ErrorBody),
        (status = 403, description = "The write API is off: no admin token is configured, or verdicts come from a verdict origin", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB"),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
)]
pub async fn put(
    State(state): State<AppState>,
    _: Admin,
    ApiSlug(slug): ApiSlug,
    body: Bytes,
) -> Result<Response, HttpError> {
    let mut record: Value = serde_json::from_slice(&body)
        .map_err(|e| Problem::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let Some(fields) = record.as_object_mut() else {
        return Err(Problem::BadRequest("the body must be a JSON object".into()).into());
    };
    match fields.get("slug") {
        None => {
            fields.insert("slug".into(), Value::from(slug.as_str()));
        }
        Some(Value::String(s)) if s == slug.as_str() => {}
        Some(_) => {
            return Err(HttpError::Api(Problem::Invalid(vec![FieldError {
                field: "slug".into(),
                message: format!("must match the slug in the URL, {slug}"),
            }])));
        }
    }
    let verdict = Verdict::from_json(&record).map_err(Problem::Invalid)?;
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
#[utoipa::path(
    delete,
    path = "/api/verdicts/{slug}",
    tag = "verdicts",
    params(("slug" = String, Path, description = "The tool's slug: lowercase letters and digits in words joined by single hyphens, 1–120 characters", example = "smolvlm-3b")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; the tool's counts stay"),
        (status = 400, description = "Not a valid slug", body = ErrorBody),
        (status = 401, description = "No admin token, or a wrong one", body = ErrorBody),
        (status = 403, description = "The write API is off", body = ErrorBody),
        (status = 404, description = "No verdict for this slug", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    _: Admin,
    ApiSlug(slug): ApiSlug,
) -> Result<StatusCode, HttpError> {
    if state.catalog.delete(&slug).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(HttpError::Api(Problem::NotFound(
            "no verdict for this slug",
        )))
    }
}
