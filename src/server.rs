//! The accept loop: HTTP/1 and HTTP/2 with the limits a public service needs.
//!
//! `axum::serve` sets no header-read timeout and no connection cap, so a client
//! sending half a request could hold a connection forever. This loop serves
//! [`crate::http::service`] (the router, with badges answered beside it) through hyper
//! with those bounds, and shuts down gracefully: stop accepting, let in-flight requests
//! finish, close idle connections.
//!
//! Every connection has a deadline from the moment it is accepted ([`connections`]):
//!
//! - with no request in progress — nothing sent yet, half an HTTP/2 preface, an idle
//!   HTTP/2 connection after its SETTINGS, an HTTP/1 keep-alive between requests — it
//!   is closed after [`IDLE_TIMEOUT`]. hyper's own header timeout starts only at the
//!   first byte of a request, so it cannot see a client that sends nothing;
//! - with a request in progress, it is closed when no byte has moved either way for
//!   [`STALL_TIMEOUT`] (a client that stopped reading its response).
//!
//! At the connection cap a new client is not left waiting behind idle ones: the
//! connections idle the longest are closed to admit it (1% of the cap at a time, so a
//! flood of new connections costs one scan per hundred accepts). Only when every connection is
//! busy with a request does the loop wait, and the client with it in the backlog.

mod connections;

use connections::{Registry, Tracked};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use connections::peer_address;

/// A client must send its request head within this time, or the connection is closed.
///
/// Enforced by the idle deadline ([`IDLE_TIMEOUT`], the same length), which runs from the
/// accept or the end of the previous response, so it covers the head's first byte too.
/// hyper's own header-read timer is left off: it would arm and cancel a timer for every
/// request on a kept-alive connection, to enforce a deadline already kept.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection with no request in progress is closed after this long, counted from
/// its accept or the end of its last response.
pub const IDLE_TIMEOUT: Duration = HEADER_READ_TIMEOUT;
/// A connection with a request in progress is closed when no byte moved for this long.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head (request line and headers) accepted, in bytes.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Longest wait for in-flight requests at shutdown.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection asked to close (idle, or evicted at the cap) may take to say
/// goodbye (an HTTP/2 GOAWAY) before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// Connections the kernel may hold completed for the accept loop (capped by the
/// system's `somaxconn`): a burst of connects beyond it is dropped by the kernel before
/// the server sees it, so it is kept well above tokio's default of 1,024.
pub const LISTEN_BACKLOG: u32 = 4096;
/// How often the log repeats that the server is at its connection cap.
const AT_CAP_LOG_EVERY: Duration = Duration::from_secs(60);

/// Binds `address` with [`LISTEN_BACKLOG`] (port 0 picks a free port).
pub fn bind(address: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match address {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind` does: a restart need not wait for old connections' TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves `service` on `listener`, at most `max_connections` connections at once, until
/// `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    service: crate::http::service::Service,
    max_connections: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .header_read_timeout(None)
        .max_buf_size(MAX_HEAD_BYTES.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEAD_BYTES as u32)
        .max_concurrent_streams(256);
    let builder = Arc::new(builder);
    let registry = Arc::new(Registry::default());
    let draining = CancellationToken::new();
    let dropping = CancellationToken::new();
    tokio::pin!(shutdown);
    let mut warned_at_cap: Option<Instant> = None;

    'accepting: loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // At the cap: close the longest-idle connections (1% of the cap at a time), or
        // wait until one ends or idles.
        while registry.live() >= max_connections {
            if registry.evict_longest_idle(max_connections.div_ceil(100)) > 0 {
                if warned_at_cap.is_none_or(|at| at.elapsed() >= AT_CAP_LOG_EVERY) {
                    tracing::warn!(
                        max_connections,
                        "at the connection cap: closing the longest-idle connections to admit new clients"
                    );
                    warned_at_cap = Some(Instant::now());
                }
                break;
            }
            tokio::select! {
                _ = registry.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = &mut shutdown => break 'accepting,
            }
        }
        let _ = stream.set_nodelay(true);
        let conn = registry.register();
        let service = connections::track_requests(service.clone(), conn.clone(), peer);
        let (builder, registry) = (builder.clone(), registry.clone());
        let (draining, dropping) = (draining.clone(), dropping.clone());
        tokio::spawn(async move {
            let io = TokioIo::new(Tracked::new(stream, conn.clone()));
            let connection =
                builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
            connections::drive(connection, &conn, &draining, &dropping).await;
            registry.remove(&conn);
        });
    }

    drop(listener);
    draining.cancel();
    if tokio::time::timeout(DRAIN_TIMEOUT, registry.emptied())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still busy after {DRAIN_TIMEOUT:?}; closing them");
        dropping.cancel();
    }
    Ok(())
}
