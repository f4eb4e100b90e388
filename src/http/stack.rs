//! The one layer around every route: the limits, headers and metrics every answer gets.
//!
//! For each request it
//! - refuses a body declared larger than [`MAX_BODY_BYTES`] with 413 and bounds any other
//!   body as it is read (a request without a body is passed on untouched);
//! - answers 408 when the route takes longer than [`REQUEST_TIMEOUT`];
//! - turns a panic in a handler into a logged 500;
//! - adds `X-Content-Type-Options: nosniff` and `Referrer-Policy` where the route set none;
//! - counts the answer in `http_requests` by route pattern and status.
//!
//! It is one service rather than a stack of tower layers because each layer axum applies
//! to a route boxes that route once more, and a badge request would pay for each box. The
//! parts are also cheaper than the general-purpose layers they replace: the timeout's timer
//! is armed only once the route has to wait (a cached badge never does, so it never touches
//! the timer wheel), the counters are looked up in the metric family once per route and
//! status and then kept, and nothing here allocates for a request that completes at once.
//! The costs are measured in BENCHMARKS.md.

use super::errors::{HttpError, Problem};
use crate::metrics::RequestLabels;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Body as _;
use pin_project_lite::pin_project;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::time::Sleep;
use tower::{Layer, Service};

/// Largest request body accepted (the write API's verdict records).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest time any request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

static NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
static REFERRER_POLICY: HeaderValue = HeaderValue::from_static("strict-origin-when-cross-origin");

/// Statuses whose counters are kept at hand; any other status is looked up in the family.
const KEPT_STATUSES: [u16; 16] = [
    200, 201, 204, 302, 303, 304, 400, 401, 403, 404, 405, 408, 413, 415, 500, 503,
];

/// The `http_requests` counters, each taken from the family the first time its route and
/// status are answered (so the exposition lists exactly the pairs seen, as before) and
/// then kept: counting an answer is an index and an atomic add.
pub struct RequestCounters {
    family: Family<RequestLabels, Counter>,
    routes: &'static [&'static str],
    /// Each route's index in `routes`, by pattern: one fast hash instead of comparing the
    /// matched pattern with each route in turn.
    index: std::collections::HashMap<&'static str, usize, quick_cache::DefaultHashBuilder>,
    /// `(routes.len() + 1) × KEPT_STATUSES.len()` cells; the last row is `unmatched`.
    cells: Box<[OnceLock<Counter>]>,
}

impl RequestCounters {
    /// Counters over `family` for the route patterns `routes`.
    pub fn new(family: Family<RequestLabels, Counter>, routes: &'static [&'static str]) -> Self {
        let cells = (0..(routes.len() + 1) * KEPT_STATUSES.len())
            .map(|_| OnceLock::new())
            .collect();
        // In reverse, so that a pattern listed twice keeps its first index.
        let index = routes
            .iter()
            .enumerate()
            .rev()
            .map(|(i, r)| (*r, i))
            .collect();
        RequestCounters {
            family,
            routes,
            index,
            cells,
        }
    }

    /// The index of the route a request matched (`routes.len()` when none).
    fn route_of(&self, request: &Request) -> usize {
        request
            .extensions()
            .get::<MatchedPath>()
            .and_then(|p| self.index.get(p.as_str()).copied())
            .unwrap_or(self.routes.len())
    }

    fn label(&self, route: usize) -> &'static str {
        self.routes.get(route).copied().unwrap_or("unmatched")
    }

    /// Adds one answer with `status` to `route`.
    fn count(&self, route: usize, status: StatusCode) {
        let status = status.as_u16();
        let labels = || RequestLabels {
            route: self.label(route),
            status,
        };
        match KEPT_STATUSES.iter().position(|s| *s == status) {
            Some(slot) => self.cells[route * KEPT_STATUSES.len() + slot]
                .get_or_init(|| self.family.get_or_create(&labels()).clone())
                .inc(),
            None => self.family.get_or_create(&labels()).inc(),
        };
    }
}

/// Puts [`Guard`] around a route.
#[derive(Clone)]
pub struct GuardLayer {
    counters: Arc<RequestCounters>,
}

impl GuardLayer {
    /// A layer counting answers in `counters`.
    pub fn new(counters: Arc<RequestCounters>) -> GuardLayer {
        GuardLayer { counters }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            counters: self.counters.clone(),
            route: None,
        }
    }
}

/// Puts [`Guard`] around a service that answers one route, `pattern`, outside the router
/// (so no matched path tells the guard which): its answers are counted under `pattern`.
pub fn guard_route<S>(inner: S, counters: Arc<RequestCounters>, pattern: &str) -> Guard<S> {
    let route = counters.index.get(pattern).copied();
    debug_assert!(route.is_some(), "{pattern} is not a route");
    Guard {
        inner,
        route,
        counters,
    }
}

/// The service [`GuardLayer`] makes (see the module documentation).
#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    counters: Arc<RequestCounters>,
    /// The route answered, when it is fixed ([`guard_route`]); otherwise the request's
    /// matched path says.
    route: Option<usize>,
}

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = match self.route {
            Some(route) => route,
            None => self.counters.route_of(&request),
        };
        let state = match bounded(request) {
            Err(TooLarge) => State::Done {
                response: Some(
                    HttpError::Api(Problem::TooLarge("the request body is too large"))
                        .into_response(),
                ),
            },
            Ok(request) => match catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
                Ok(future) => State::Running { future },
                Err(panic) => State::Done {
                    response: Some(panicked(panic)),
                },
            },
        };
        GuardFuture {
            state,
            timer: None,
            route,
            counters: self.counters.clone(),
        }
    }
}

/// A body declared larger than [`MAX_BODY_BYTES`].
struct TooLarge;

/// The request with its body bounded by [`MAX_BODY_BYTES`], or why it is refused.
fn bounded(request: Request) -> Result<Request, TooLarge> {
    // Most requests (every badge) have no body: nothing to bound, nothing to allocate.
    if request.body().is_end_stream() {
        return Ok(request);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(TooLarge);
    }
    // A body without a declared length (or lying about it) fails once it passes the
    // limit; the extractors answer that with 413.
    Ok(request.map(|body| Body::new(http_body_util::Limited::new(body, MAX_BODY_BYTES))))
}

/// Adds `X-Content-Type-Options: nosniff` and the `Referrer-Policy` where `headers` has none.
pub fn add_safety_headers(headers: &mut HeaderMap) {
    if !headers.contains_key(header::X_CONTENT_TYPE_OPTIONS) {
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF.clone());
    }
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(header::REFERRER_POLICY, REFERRER_POLICY.clone());
    }
}

/// The 500 for a panic in a handler, logged with what the panic said.
fn panicked(panic: Box<dyn Any + Send>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    HttpError::Api(Problem::Internal(
        format!("a request handler panicked: {message}").into(),
    ))
    .into_response()
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Running { #[pin] future: F },
        Done { response: Option<Response> },
    }
}

pin_project! {
    /// The future of a [`Guard`]ed request.
    pub struct GuardFuture<F> {
        #[pin]
        state: State<F>,
        // Armed at the first `Pending`: a route that answers at once never needs it.
        timer: Option<Pin<Box<Sleep>>>,
        route: usize,
        counters: Arc<RequestCounters>,
    }
}

impl<F> Future for GuardFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match this.state.project() {
            StateProj::Done { response } => response.take().expect("polled after completion"),
            StateProj::Running { future } => {
                match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                    Ok(Poll::Ready(Ok(response))) => response,
                    Ok(Poll::Ready(Err(never))) => match never {},
                    Err(panic) => panicked(panic),
                    Ok(Poll::Pending) => {
                        let timer = this
                            .timer
                            .get_or_insert_with(|| Box::pin(tokio::time::sleep(REQUEST_TIMEOUT)));
                        ready!(timer.as_mut().poll(cx));
                        StatusCode::REQUEST_TIMEOUT.into_response()
                    }
                }
            }
        };
        add_safety_headers(response.headers_mut());
        this.counters.count(*this.route, response.status());
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    const ROUTES: &[&str] = &["/ok", "/panics", "/echo", "/own-headers"];

    fn app(family: &Family<RequestLabels, Counter>) -> Router {
        Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route(
                "/panics",
                get(|| async {
                    let n: u8 = "not a number".parse().expect("a handler bug");
                    n.to_string()
                }),
            )
            .route("/echo", post(|body: String| async move { body }))
            .route(
                "/own-headers",
                get(|| async { ([(header::REFERRER_POLICY, "no-referrer")], "x") }),
            )
            .layer(GuardLayer::new(Arc::new(RequestCounters::new(
                family.clone(),
                ROUTES,
            ))))
    }

    fn count(family: &Family<RequestLabels, Counter>, route: &'static str, status: u16) -> u64 {
        family.get_or_create(&RequestLabels { route, status }).get()
    }

    async fn send(app: &Router, request: axum::http::Request<Body>) -> Response {
        app.clone().oneshot(request).await.expect("infallible")
    }

    fn get_request(path: &str) -> axum::http::Request<Body> {
        axum::http::Request::get(path).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn every_answer_gets_the_safety_headers_and_is_counted() {
        let family = Family::default();
        let app = app(&family);
        let ok = send(&app, get_request("/ok")).await;
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(
            ok.headers()[header::REFERRER_POLICY],
            "strict-origin-when-cross-origin"
        );
        send(&app, get_request("/ok")).await;
        let own = send(&app, get_request("/own-headers")).await;
        assert_eq!(own.headers()[header::REFERRER_POLICY], "no-referrer");
        let missing = send(&app, get_request("/nowhere")).await;
        assert_eq!(missing.status(), 404);
        assert_eq!(missing.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(count(&family, "/ok", 200), 2);
        assert_eq!(count(&family, "/own-headers", 200), 1);
        assert_eq!(count(&family, "unmatched", 404), 1);
    }

    #[tokio::test]
    async fn a_panic_is_a_counted_500() {
        let family = Family::default();
        let app = app(&family);
        let r = send(&app, get_request("/panics")).await;
        assert_eq!(r.status(), 500);
        assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(count(&family, "/panics", 500), 1);
        // The service goes on answering.
        assert_eq!(send(&app, get_request("/ok")).await.status(), 200);
    }

    #[tokio::test]
    async fn bodies_are_bounded() {
        let family = Family::default();
        let app = app(&family);
        let post = |body: Vec<u8>, declared: Option<usize>| {
            let mut request = axum::http::Request::post("/echo");
            if let Some(n) = declared {
                request = request.header(header::CONTENT_LENGTH, n);
            }
            request.body(Body::from(body)).unwrap()
        };
        let small = send(&app, post(b"hello".to_vec(), Some(5))).await;
        assert_eq!(small.status(), 200);
        // Declared too large: refused before the route reads anything.
        let declared = send(&app, post(vec![b'x'; 10], Some(MAX_BODY_BYTES + 1))).await;
        assert_eq!(declared.status(), 413);
        // Not declared, and larger than the limit once read.
        let streamed = send(&app, post(vec![b'x'; MAX_BODY_BYTES + 1], None)).await;
        assert_eq!(streamed.status(), 413);
        assert_eq!(count(&family, "/echo", 413), 2);
    }
}
