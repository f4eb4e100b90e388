//! What each open connection is doing, so that none is held past its deadline.
//!
//! A [`Conn`] knows how many requests are in progress on it (from the service
//! wrapper [`track_requests`], until each response body is done), since when it has
//! been idle, and when a byte last moved (from the I/O wrapper [`Tracked`]).
//! [`drive`] serves one connection until it ends, closing it when idle or stalled
//! past its deadline, when evicted, or at shutdown. The [`Registry`] holds them all
//! and picks the longest-idle one to evict when the server is at its cap.

use super::{CLOSE_GRACE, IDLE_TIMEOUT, STALL_TIMEOUT};
use axum::body::Body;
use bytes::Bytes;
use hyper_util::server::graceful::GracefulConnection;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// One open connection's state.
pub(super) struct Conn {
    id: u64,
    /// The registry's clock: times below are milliseconds since it.
    epoch: Instant,
    in_flight: AtomicU32,
    idle_since_ms: AtomicU64,
    last_io_ms: AtomicU64,
    /// Asked to close (evicted, or removed): no longer counted as live.
    evicted: AtomicBool,
    close: Notify,
}

impl Conn {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// When this connection passes its deadline, as things stand: idle ones
    /// [`IDLE_TIMEOUT`] after they became idle, busy ones [`STALL_TIMEOUT`] after a
    /// byte last moved.
    fn deadline(&self) -> (Deadline, Instant) {
        let at = |ms: u64, plus: Duration| self.epoch + Duration::from_millis(ms) + plus;
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let since = self.idle_since_ms.load(Ordering::Acquire);
            (Deadline::Idle, at(since, IDLE_TIMEOUT))
        } else {
            let since = self.last_io_ms.load(Ordering::Relaxed);
            (Deadline::Stalled, at(since, STALL_TIMEOUT))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deadline {
    Idle,
    Stalled,
}

/// Every open connection.
pub(super) struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    /// Open connections not asked to close.
    live: AtomicUsize,
    next_id: AtomicU64,
    changed: Notify,
    epoch: Instant,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            conns: Mutex::default(),
            live: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            changed: Notify::new(),
            epoch: Instant::now(),
        }
    }
}

impl Registry {
    /// A new connection, idle from now.
    pub(super) fn register(&self) -> Arc<Conn> {
        let now = self.epoch.elapsed().as_millis() as u64;
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            epoch: self.epoch,
            in_flight: AtomicU32::new(0),
            idle_since_ms: AtomicU64::new(now),
            last_io_ms: AtomicU64::new(now),
            evicted: AtomicBool::new(false),
            close: Notify::new(),
        });
        self.conns.lock().insert(conn.id, conn.clone());
        self.live.fetch_add(1, Ordering::AcqRel);
        conn
    }

    /// Forgets a connection that ended.
    pub(super) fn remove(&self, conn: &Conn) {
        self.conns.lock().remove(&conn.id);
        if !conn.evicted.swap(true, Ordering::AcqRel) {
            self.live.fetch_sub(1, Ordering::AcqRel);
        }
        self.changed.notify_waiters();
    }

    /// Open connections not asked to close.
    pub(super) fn live(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Asks up to `n` connections, those idle the longest, to close; answers how many
    /// (0 when every one is busy). One scan serves `n` new clients, so a flood at the cap
    /// costs one pass over the connections per `n` accepts, not one per accept.
    pub(super) fn evict_longest_idle(&self, n: usize) -> usize {
        let conns = self.conns.lock();
        let mut idle: Vec<(u64, &Arc<Conn>)> = conns
            .values()
            .filter(|c| {
                !c.evicted.load(Ordering::Acquire) && c.in_flight.load(Ordering::Acquire) == 0
            })
            .map(|c| (c.idle_since_ms.load(Ordering::Acquire), c))
            .collect();
        let n = n.min(idle.len());
        if n == 0 {
            return 0;
        }
        if n < idle.len() {
            idle.select_nth_unstable_by_key(n - 1, |(since, _)| *since);
        }
        let mut evicted = 0;
        for (_, conn) in &idle[..n] {
            if !conn.evicted.swap(true, Ordering::AcqRel) {
                self.live.fetch_sub(1, Ordering::AcqRel);
                conn.close.notify_one();
                evicted += 1;
            }
        }
        evicted
    }

    /// Completes when a connection ends (or at once, sometimes: callers re-check).
    pub(super) async fn changed(&self) {
        self.changed.notified().await;
    }

    /// Completes when no connection is open.
    pub(super) async fn emptied(&self) {
        loop {
            let changed = self.changed.notified();
            if self.conns.lock().is_empty() {
                return;
            }
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    }
}

/// Serves `connection` until it ends: asks it to close gracefully when it passes its
/// idle deadline, is evicted, or the server drains; drops it when it stalls, when a
/// close takes longer than its grace, or when the drain is over.
pub(super) async fn drive<C>(
    connection: C,
    conn: &Conn,
    draining: &CancellationToken,
    dropping: &CancellationToken,
) where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    tokio::pin!(connection);
    // Once asked to close: the moment it is dropped if still open (none while draining).
    let mut closing: Option<Option<tokio::time::Instant>> = None;
    loop {
        let (kind, deadline) = conn.deadline();
        let wake = match closing {
            Some(Some(by)) => by,
            Some(None) => tokio::time::Instant::now() + DRAIN_CHECK,
            None => deadline.into(),
        };
        tokio::select! {
            // The connection first: it is what wakes this task for every request.
            biased;
            ended = connection.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = dropping.cancelled() => return,
            _ = draining.cancelled(), if closing.is_none() => {
                connection.as_mut().graceful_shutdown();
                closing = Some(None);
            }
            _ = conn.close.notified(), if closing.is_none() => {
                connection.as_mut().graceful_shutdown();
                closing = Some(Some(tokio::time::Instant::now() + CLOSE_GRACE));
            }
            _ = tokio::time::sleep_until(wake) => {
                match closing {
                    Some(Some(by)) if tokio::time::Instant::now() >= by => return,
                    Some(_) => {}
                    // The deadline may have moved (a request came, a byte moved): re-check.
                    None if Instant::now() < conn.deadline().1 => {}
                    None if kind == Deadline::Stalled => {
                        tracing::debug!("closing a connection whose response stopped moving");
                        return;
                    }
                    None => {
                        connection.as_mut().graceful_shutdown();
                        closing = Some(Some(tokio::time::Instant::now() + CLOSE_GRACE));
                    }
                }
            }
        }
    }
}

/// How often a draining connection is looked at (it ends by itself, or is dropped).
const DRAIN_CHECK: Duration = Duration::from_secs(1);

/// An I/O stream that notes when a byte last moved either way.
pub(super) struct Tracked<S> {
    inner: S,
    conn: Arc<Conn>,
}

impl<S> Tracked<S> {
    /// Wraps `inner`, reporting to `conn`.
    pub(super) fn new(inner: S, conn: Arc<Conn>) -> Self {
        Tracked { inner, conn }
    }

    /// Notes that a byte moved. Only a connection with a request in progress is held to
    /// the stall deadline, so only then is the clock read ([`Busy::start`] notes the start).
    fn moved(&self) {
        if self.conn.in_flight.load(Ordering::Relaxed) > 0 {
            self.conn
                .last_io_ms
                .store(self.conn.now_ms(), Ordering::Relaxed);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.moved();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request in progress on a connection, from the service call until its response
/// body is sent or dropped.
struct Busy(Arc<Conn>);

impl Busy {
    fn start(conn: Arc<Conn>) -> Busy {
        // Its head just arrived: the stall deadline runs from now.
        conn.last_io_ms.store(conn.now_ms(), Ordering::Relaxed);
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy(conn)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        // The idle time is set before the count reaches zero, so a reader that sees
        // zero also sees when the connection went idle.
        let now = self.0.now_ms();
        self.0.idle_since_ms.store(now, Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

tokio::task_local! {
    /// The peer of the connection whose request is being answered.
    static PEER: SocketAddr;
}

/// The address of the peer whose request the current task is answering; `None` outside
/// a request served by [`super::serve`] (a router driven in process, in tests).
///
/// Each request's future runs with its connection's peer set, so a handler reads it
/// without the request carrying it: putting a `ConnectInfo` into every request's
/// extensions allocated their map for every request.
pub fn peer_address() -> Option<SocketAddr> {
    PEER.try_with(|peer| *peer).ok()
}

/// Wraps a service so each request keeps its connection busy until its response is sent,
/// and runs with its connection's `peer` address at hand ([`peer_address`]).
pub(super) fn track_requests<S>(inner: S, conn: Arc<Conn>, peer: SocketAddr) -> TrackRequests<S> {
    TrackRequests { inner, conn, peer }
}

/// See [`track_requests`].
#[derive(Clone)]
pub(super) struct TrackRequests<S> {
    inner: S,
    conn: Arc<Conn>,
    peer: SocketAddr,
}

impl<S, R> tower::Service<R> for TrackRequests<S>
where
    S: tower::Service<R, Response = http::Response<Body>>,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = TrackedResponse<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let busy = Busy::start(self.conn.clone());
        // The router matches the route in `call`; extractors run when the future is polled.
        let inner = PEER.sync_scope(self.peer, || self.inner.call(request));
        TrackedResponse {
            inner,
            peer: self.peer,
            busy: Some(busy),
        }
    }
}

pin_project_lite::pin_project! {
    /// A response on its way, keeping its connection busy; its body then does.
    pub(super) struct TrackedResponse<F> {
        #[pin]
        inner: F,
        peer: SocketAddr,
        busy: Option<Busy>,
    }
}

impl<F, E> Future for TrackedResponse<F>
where
    F: Future<Output = Result<http::Response<Body>, E>>,
{
    type Output = Result<http::Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        let response = std::task::ready!(PEER.sync_scope(*this.peer, || inner.poll(cx)))?;
        let busy = this.busy.take().expect("polled after completion");
        Poll::Ready(Ok(
            response.map(|body| Body::new(BusyBody { body, _busy: busy }))
        ))
    }
}

pin_project_lite::pin_project! {
    /// A response body that keeps its connection busy until it is sent or dropped.
    struct BusyBody {
        #[pin]
        body: Body,
        _busy: Busy,
    }
}

impl http_body::Body for BusyBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_idle_connections_are_evicted_and_busy_ones_never() {
        let registry = Registry::default();
        let old = registry.register();
        std::thread::sleep(Duration::from_millis(5));
        let older_than_young = registry.register();
        std::thread::sleep(Duration::from_millis(5));
        let young = registry.register();
        let busy = registry.register();
        let _request = Busy::start(busy.clone());
        assert_eq!(registry.live(), 4);
        assert_eq!(registry.evict_longest_idle(2), 2);
        assert!(old.evicted.load(Ordering::Acquire));
        assert!(older_than_young.evicted.load(Ordering::Acquire));
        assert!(!young.evicted.load(Ordering::Acquire));
        assert_eq!(registry.live(), 2);
        assert_eq!(registry.evict_longest_idle(5), 1);
        assert!(young.evicted.load(Ordering::Acquire));
        assert_eq!(
            registry.evict_longest_idle(1),
            0,
            "a busy connection is never evicted"
        );
        registry.remove(&old);
        assert_eq!(
            registry.live(),
            1,
            "an evicted connection is not counted twice"
        );
    }

    #[test]
    fn a_connection_is_idle_from_accept_and_after_its_last_response() {
        let registry = Registry::default();
        let conn = registry.register();
        let (kind, at) = conn.deadline();
        assert_eq!(kind, Deadline::Idle);
        assert!(at <= Instant::now() + IDLE_TIMEOUT);
        let request = Busy::start(conn.clone());
        assert_eq!(conn.deadline().0, Deadline::Stalled);
        drop(request);
        assert_eq!(conn.deadline().0, Deadline::Idle);
    }
}
