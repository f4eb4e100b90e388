//! The service the server runs: the router, with badge requests answered directly.
//!
//! A badge is the request that comes in by the hundreds of thousands, and the router's
//! general machinery was the largest part of what one cost beyond `/healthz`: matching the
//! path, putting the matched pattern and the `{file}` parameter into the request's
//! extensions (three allocations and a map), choosing the method, and cloning and boxing
//! the route's service (BENCHMARKS.md, "Third pass"). A `GET` or `HEAD` of
//! `/api/badge/{file}` therefore goes straight to [`badge::respond`], through the same
//! [`Guard`] every route has and counted under the same route label. Everything else goes
//! through the router, which keeps the badge route too: other methods on it get the
//! router's 405 with `Allow`, and the OpenAPI description is built from it.
//!
//! What "the badge route" matches here is exactly what the router's pattern matches: one
//! non-empty path segment after `/api/badge/` (a test holds the two to the same answers).

use super::badge;
use super::stack::{Guard, GuardFuture};
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::response::Response;
use axum::routing::future::RouteFuture;
use bytes::Bytes;
use http_body::Body as _;
use pin_project_lite::pin_project;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The path every badge is under.
const BADGE_PREFIX: &str = "/api/badge/";

/// The router, and the badge route served beside it (see the module documentation).
#[derive(Clone)]
pub struct Service {
    router: Router,
    /// `None` when every request must go through the router (its trace layer is on).
    badges: Option<Guard<Badges>>,
}

impl Service {
    /// Serves badge requests with `badges` (when given) and everything else with `router`.
    pub(super) fn new(router: Router, badges: Option<Guard<Badges>>) -> Service {
        Service { router, badges }
    }
}

/// Whether the router would send `request` to the badge route's `GET` handler.
fn is_badge_request<B>(request: &http::Request<B>) -> bool {
    let method = request.method();
    (method == Method::GET || method == Method::HEAD)
        && request
            .uri()
            .path()
            .strip_prefix(BADGE_PREFIX)
            .is_some_and(|file| !file.is_empty() && !file.contains('/'))
}

impl<B> tower::Service<http::Request<B>> for Service
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both sides are always ready: the router says so, and the guard asks `Badges`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> ServiceFuture {
        let side = match &mut self.badges {
            Some(badges) if is_badge_request(&request) => Side::Badge {
                future: tower::Service::call(badges, request.map(Body::new)),
            },
            _ => Side::Router {
                future: tower::Service::call(&mut self.router, request),
            },
        };
        ServiceFuture { side }
    }
}

pin_project! {
    /// The answer of [`Service`], from whichever side took the request.
    pub struct ServiceFuture {
        #[pin]
        side: Side,
    }
}

pin_project! {
    #[project = SideProj]
    enum Side {
        Badge { #[pin] future: GuardFuture<BadgeFuture> },
        Router { #[pin] future: RouteFuture<Infallible> },
    }
}

impl Future for ServiceFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().side.project() {
            SideProj::Badge { future } => future.poll(cx),
            SideProj::Router { future } => future.poll(cx),
        }
    }
}

/// The badge route as a service of its own.
#[derive(Clone)]
pub struct Badges(pub(super) AppState);

/// The future of one badge answer.
pub type BadgeFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl tower::Service<Request> for Badges {
    type Response = Response;
    type Error = Infallible;
    type Future = BadgeFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> BadgeFuture {
        let state = self.0.clone();
        // The parts alone: the future must be `Send`, and a body is not `Sync`.
        let (request, _) = request.into_parts();
        Box::pin(async move {
            let mut response = badge::respond(&state, &request).await;
            // As the router does: a `Content-Length` from the body where the answer set
            // none (a cached badge sets its own), and for `HEAD` the headers of a `GET`
            // without the body.
            if !response.headers().contains_key(header::CONTENT_LENGTH)
                && let Some(length) = response.body().size_hint().exact()
            {
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            }
            if request.method == Method::HEAD {
                *response.body_mut() = Body::empty();
            }
            Ok(response)
        })
    }
}
