//! What each tower layer costs a request: the bare axum 0.8 server of `bare_floor` with
//! the layers named on the command line added, one `.layer` call each, as the service's
//! router used to stack them. `benches/callgrind.sh` counts the instructions per request
//! of each combination (see BENCHMARKS.md, "What each layer costs").
//!
//! ```text
//! cargo run --release --example layer_costs -- 127.0.0.1:8098 trace,timeout
//! ```
//!
//! Layers: `trace` (tower-http `TraceLayer::new_for_http`, with the service's log filter),
//! `timeout` (tower-http `TimeoutLayer`, 408 after 10 s), `body_limit`
//! (`RequestBodyLimitLayer`, 64 KiB), `catch_panic` (`CatchPanicLayer`), `set_header`
//! (one `SetResponseHeaderLayer::if_not_present`; name it twice for two), `metrics` (an
//! `axum::middleware::from_fn` counting by matched route and status in a
//! prometheus-client family, looked up per request), `connect_info` (the peer address in
//! every request's extensions, as the accept loop inserts it), `guard` (the service's own
//! single layer, `verdict_badges::http::stack::GuardLayer`, which does the work of
//! timeout, body_limit, catch_panic, set_header ×2 and metrics together).

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use verdict_badges::http::stack::{GuardLayer, RequestCounters};
use verdict_badges::metrics::RequestLabels;

const ROUTES: &[&str] = &["/healthz"];

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8098".to_owned());
    let layers = args.next().unwrap_or_default();
    // The service's own default log filter: spans and events below WARN are off.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,tower_http=warn,sqlx=warn",
        ))
        .with_writer(std::io::stderr)
        .init();

    let family = Family::<RequestLabels, Counter>::default();
    let mut app = Router::new().route("/healthz", get(|| async { "ok\n" }));
    let mut connect_info = false;
    for layer in layers.split(',').filter(|l| !l.is_empty()) {
        app = match layer {
            "trace" => app.layer(TraceLayer::new_for_http()),
            "timeout" => app.layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_secs(10),
            )),
            "body_limit" => app.layer(RequestBodyLimitLayer::new(64 * 1024)),
            "catch_panic" => app.layer(CatchPanicLayer::new()),
            "set_header" => app.layer(SetResponseHeaderLayer::if_not_present(
                HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            )),
            "metrics" => app.layer(middleware::from_fn_with_state(
                family.clone(),
                count_requests,
            )),
            "guard" => app.layer(GuardLayer::new(Arc::new(RequestCounters::new(
                family.clone(),
                ROUTES,
            )))),
            "connect_info" => {
                connect_info = true;
                app
            }
            other => panic!("unknown layer {other:?}"),
        };
    }
    let listener = tokio::net::TcpListener::bind(&address)
        .await?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    if connect_info {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    } else {
        axum::serve(listener, app).await
    }
}

/// The request-metrics middleware as the service had it: a family lookup per request.
async fn count_requests(
    axum::extract::State(family): axum::extract::State<Family<RequestLabels, Counter>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| ROUTES.iter().find(|r| **r == p.as_str()).copied())
        .unwrap_or("unmatched");
    let response = next.run(request).await;
    family
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}
