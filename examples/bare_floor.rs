//! The floor of the CPU-per-request comparison in `benches/load.sh`: a bare axum 0.8
//! server (`axum::serve`, no layers, no state) on the same tokio runtime as the service.
//!
//! ```text
//! cargo run --release --example bare_floor -- 127.0.0.1:8099 badge.svg
//! ```
//!
//! - `GET /healthz` answers `ok`, like the service's own `/healthz`;
//! - `GET /badge` answers the bytes of the file given as the second argument (the
//!   benchmark saves the service's own cached badge there) as a static SVG body.
//!
//! What the service spends beyond this server on the same request is the cost of its
//! limits, headers, metrics, lookups and counting.

use axum::Router;
use axum::http::header;
use axum::routing::get;
use axum::serve::ListenerExt;
use bytes::Bytes;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8099".to_owned());
    let body = match args.next() {
        Some(path) => Bytes::from(std::fs::read(&path)?),
        None => Bytes::from_static(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
    };
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/badge",
            get(move || {
                let body = body.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
                        body,
                    )
                }
            }),
        );
    // TCP_NODELAY like the service's own accept loop, so both write the same way.
    let listener = tokio::net::TcpListener::bind(&address)
        .await?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(listener, app).await
}
