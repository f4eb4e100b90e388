//! Liveness, readiness and metrics.

use crate::state::AppState;
use crate::tally::health::Writes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use std::time::Duration;

/// `GET /healthz`: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The process answers", content_type = "text/plain", example = "ok\n")),
)]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: the store answers within two seconds, its file (SQLite) is still
/// the one at its path, and counts are reaching it. A 503 names what is wrong.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve and count", content_type = "text/plain"),
        (status = 503, description = "Not ready: says what is failing", content_type = "text/plain"),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let not_ready = |why: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, "no-store")],
            format!("not ready: {why}\n"),
        )
    };
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Err(_) => return not_ready("the store did not answer within 2 s".into()),
        Ok(Err(e)) => return not_ready(e.cause().to_string()),
        Ok(Ok(())) => {}
    }
    if let Writes::Stalled {
        waited,
        failures,
        cause,
    } = state.tally.write_health().writes()
    {
        return not_ready(format!(
            "counts have not reached the store for {} s ({failures} failed attempts): {cause}",
            waited.as_secs()
        ));
    }
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        "ready\n".to_owned(),
    )
}

/// `GET /metrics`: Prometheus text exposition.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain; version=0.0.4")),
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    state
        .metrics
        .render_cache_bytes
        .set(state.badges.weighed_bytes().try_into().unwrap_or(i64::MAX));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}
