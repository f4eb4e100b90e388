//! The HTTP surface: routes, extractors, errors, and the layers around them.

pub mod badge;
pub mod click;
pub mod client;
pub mod errors;
pub mod extract;
pub mod headers;
pub mod openapi;
pub mod ops;
pub mod owners;
pub mod pages;
pub mod stats;
pub mod verdicts;
pub mod widget;

use crate::metrics::RequestLabels;
use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (the write API's verdict records).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest time any request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Route patterns, named once: the router and the request metrics both use them.
mod routes {
    pub const LANDING: &str = "/";
    pub const BADGE: &str = "/api/badge/{file}";
    pub const CLICK: &str = "/api/badge-click/{slug}";
    pub const VERDICTS: &str = "/api/verdicts";
    pub const VERDICT: &str = "/api/verdicts/{slug}";
    pub const STATS: &str = "/api/stats/{slug}";
    pub const EMBED_CODE: &str = "/api/embed-code/{slug}";
    pub const WIDGET: &str = "/embed/{slug}";
    pub const TOOL_PAGE: &str = "/tools/{slug}";
    pub const OWNERS: &str = "/stats/{slug}";
    pub const OWNERS_SIGN_OUT: &str = "/stats/{slug}/sign-out";
    pub const OWNERS_CSV: &str = "/stats/{slug}/export.csv";
    pub const HEALTHZ: &str = "/healthz";
    pub const READYZ: &str = "/readyz";
    pub const METRICS: &str = "/metrics";
    pub const OPENAPI: &str = "/api/openapi.json";

    pub const ALL: &[&str] = &[
        LANDING,
        BADGE,
        CLICK,
        VERDICTS,
        VERDICT,
        STATS,
        EMBED_CODE,
        WIDGET,
        TOOL_PAGE,
        OWNERS,
        OWNERS_SIGN_OUT,
        OWNERS_CSV,
        HEALTHZ,
        READYZ,
        METRICS,
        OPENAPI,
    ];
}

/// Every route of the service, with its layers.
pub fn router(state: AppState) -> Router {
    use routes::*;
    // Public read-only JSON may be read from any origin; nothing else is shared cross-origin.
    let public_json = Router::new()
        .route(VERDICTS, get(verdicts::list))
        .route(VERDICT, get(verdicts::one))
        .route(EMBED_CODE, get(pages::embed_code))
        .route(OPENAPI, get(openapi::openapi_json))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET]),
        );
    Router::new()
        .merge(public_json)
        .route(LANDING, get(pages::landing))
        .route(BADGE, get(badge::badge))
        .route(CLICK, get(click::click))
        .route(VERDICT, put(verdicts::put).delete(verdicts::delete))
        .route(STATS, get(stats::stats))
        .route(WIDGET, get(widget::widget))
        .route(TOOL_PAGE, get(pages::tool_page))
        .route(OWNERS, get(owners::page).post(owners::session::sign_in))
        .route(OWNERS_SIGN_OUT, post(owners::session::sign_out))
        .route(OWNERS_CSV, get(owners::export::page_csv))
        .route(HEALTHZ, get(ops::healthz))
        .route(READYZ, get(ops::readyz))
        .route(METRICS, get(ops::metrics))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

async fn not_found() -> errors::HttpError {
    errors::HttpError::Api(errors::Problem::NotFound("no such route"))
}

/// Counts every answered request by matched route and status.
async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Labels are the static route patterns: no allocation per request.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| routes::ALL.iter().find(|r| **r == p.as_str()).copied())
        .unwrap_or("unmatched");
    let response = next.run(request).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}
