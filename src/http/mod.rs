//! The HTTP surface: routes, extractors, errors, and the layers around them.

pub mod badge;
pub mod click;
pub mod client;
pub mod compare;
pub mod errors;
pub mod extract;
pub mod headers;
pub mod openapi;
pub mod ops;
pub mod owners;
pub mod pages;
pub mod service;
pub mod share;
pub mod stack;
pub mod stats;
pub mod verdicts;
pub mod widget;

use crate::state::AppState;
use axum::Router;
use axum::http::Method;
use axum::routing::{get, post, put};
use std::sync::Arc;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

pub use stack::{MAX_BODY_BYTES, REQUEST_TIMEOUT};

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
    pub const COMPARE_WIDGET: &str = "/embed/compare/{a}/{b}";
    pub const COMPARE_EMBED_CODE: &str = "/api/embed-code/compare/{a}/{b}";
    pub const COMPARE_PAGE: &str = "/tools/{slug}/compare";
    pub const CARD: &str = "/api/card/{file}";
    pub const OEMBED: &str = "/oembed";
    pub const SHIELDS: &str = "/api/shields/{file}";

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
        COMPARE_WIDGET,
        COMPARE_EMBED_CODE,
        COMPARE_PAGE,
        CARD,
        OEMBED,
        SHIELDS,
    ];
}

/// The service the server runs: [`router`], with badge requests answered beside it
/// ([`service`]'s documentation says why).
pub fn service(state: AppState) -> service::Service {
    let counters = request_counters(&state);
    let router = router_counting(state.clone(), counters.clone());
    let badges = (!tracing_requests())
        .then(|| stack::guard_route(service::Badges(state), counters, routes::BADGE));
    service::Service::new(router, badges)
}

/// Every route of the service, with its layers.
pub fn router(state: AppState) -> Router {
    let counters = request_counters(&state);
    router_counting(state, counters)
}

/// The `http_requests` counters of every route.
fn request_counters(state: &AppState) -> Arc<stack::RequestCounters> {
    Arc::new(stack::RequestCounters::new(
        state.metrics.requests.clone(),
        routes::ALL,
    ))
}

/// Whether each request is traced: the trace layer costs ~2,100 instructions a request
/// even when the log filter drops its span and events (BENCHMARKS.md), so it is there only
/// when its output is wanted (`VERDICT_BADGES_LOG=tower_http=debug`).
fn tracing_requests() -> bool {
    tracing::enabled!(target: "tower_http::trace", tracing::Level::DEBUG)
}

/// [`router`], counting answers in `counters`.
fn router_counting(state: AppState, counters: Arc<stack::RequestCounters>) -> Router {
    use routes::*;
    // Public read-only JSON may be read from any origin; nothing else is shared cross-origin.
    let public_json = Router::new()
        .route(VERDICTS, get(verdicts::list))
        .route(VERDICT, get(verdicts::one))
        .route(EMBED_CODE, get(pages::embed_code))
        .route(OPENAPI, get(openapi::openapi_json))
        .route(COMPARE_EMBED_CODE, get(compare::compare_embed_code))
        .route(OEMBED, get(share::oembed))
        .route(SHIELDS, get(share::shields))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET]),
        );
    let router = Router::new()
        .merge(public_json)
        .route(LANDING, get(pages::landing))
        .route(BADGE, get(badge::badge))
        .route(CARD, get(share::card))
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
        .route(COMPARE_WIDGET, get(compare::compare_widget))
        .route(COMPARE_PAGE, get(compare::compare_page))
        .fallback(not_found)
        // One layer for everything every answer needs (see `stack`): each `.layer` call
        // boxes every route once more, and a badge request would pay for each box.
        .layer(stack::GuardLayer::new(counters));
    let router = if tracing_requests() {
        router.layer(TraceLayer::new_for_http())
    } else {
        router
    };
    router.with_state(state)
}

async fn not_found() -> errors::HttpError {
    errors::HttpError::Api(errors::Problem::NotFound("no such route"))
}
