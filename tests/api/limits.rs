//! Limits: slow or oversized requests are cut off without starving anyone, and no
//! request of any shape gets a 5xx.

use crate::helpers::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use verdict_badges::http::REQUEST_TIMEOUT;
use verdict_badges::server::{HEADER_READ_TIMEOUT, IDLE_TIMEOUT};

/// Opens a connection to `app` and sends `bytes` on it, which need not be a whole request.
async fn send(app: &TestApp, bytes: &[u8]) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Sends raw bytes and reads until the server closes or `within` passes.
async fn raw(app: &TestApp, request: &[u8], within: Duration) -> String {
    let mut stream = send(app, request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(within, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn half_a_request_is_cut_off_and_starves_nobody() {
    let app = spawn_app().await;
    let mut slow = Vec::new();
    for _ in 0..50 {
        slow.push(send(&app, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await);
    }
    // Everyone else is served while those wait.
    for _ in 0..20 {
        assert_eq!(app.get("/api/badge/smolvlm-3b").await.status(), 200);
    }
    let started = Instant::now();
    for mut s in slow {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(HEADER_READ_TIMEOUT * 3, s.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "the half request was never cut off");
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    }
    assert!(
        started.elapsed() >= HEADER_READ_TIMEOUT / 2,
        "cut off by the timeout, not at once"
    );
}

/// A request whose body never finishes: it keeps its connection busy until the
/// request timeout.
async fn busy_request(app: &TestApp) -> TcpStream {
    let head = format!(
        "PUT /api/verdicts/slow-tool HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"slug\""
    );
    send(app, head.as_bytes()).await
}

#[tokio::test]
async fn connections_past_the_cap_wait_while_every_one_is_busy() {
    let app = spawn_app_with(|c| c.max_connections = 2).await;
    // Two clients hold both slots with requests in progress.
    let mut holders = Vec::new();
    for _ in 0..2 {
        holders.push(busy_request(&app).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let waiting = tokio::spawn({
        let client = app.client.clone();
        let url = app.url("/healthz");
        async move { client.get(url).send().await.map(|r| r.status()) }
    });
    // Well within the request timeout that would free the slots on its own.
    tokio::time::sleep(REQUEST_TIMEOUT / 10).await;
    assert!(!waiting.is_finished(), "served past the connection cap");
    drop(holders.pop());
    let status = tokio::time::timeout(REQUEST_TIMEOUT / 2, waiting)
        .await
        .expect("a freed slot serves the waiting client")
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
}

/// Reads until the server closes; answers how long that took from `since`.
async fn closed_after(mut stream: TcpStream, since: Instant, within: Duration) -> Duration {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "still open after {within:?}");
    since.elapsed()
}

/// A client past the cap while every connection sits idle is served at once: the
/// longest-idle connection is closed to admit it. The shape of 12,000 silent
/// connections against the default cap of 10,000 (`benches/silent_connections.sh`
/// runs that against a release build), at a tenth of the scale.
#[tokio::test]
async fn silent_connections_neither_lock_out_a_new_client_nor_stay_open() {
    const CAP: usize = 1000;
    const SILENT: usize = 1200;
    let app = spawn_app_with(|c| c.max_connections = CAP).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let opened = Instant::now();
    let mut silent = Vec::new();
    for _ in 0..SILENT {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    let asked = Instant::now();
    let fresh = browser().get(app.url("/healthz")).send().await.unwrap();
    let waited = asked.elapsed();
    assert_eq!(fresh.status(), 200);
    eprintln!("{SILENT} silent connections at a cap of {CAP}: /healthz answered in {waited:?}");
    assert!(
        waited < IDLE_TIMEOUT / 2,
        "the new client waited for the idle ones to time out ({waited:?})"
    );
    let closes = silent
        .into_iter()
        .map(|s| tokio::spawn(closed_after(s, opened, IDLE_TIMEOUT * 3)));
    let mut slowest = Duration::ZERO;
    for close in closes {
        slowest = slowest.max(close.await.unwrap());
    }
    eprintln!("every silent connection was closed within {slowest:?} of opening");
    assert!(
        slowest < IDLE_TIMEOUT + Duration::from_secs(5),
        "closed by the idle deadline"
    );
}

/// Everything a client can leave unfinished is closed by the idle deadline, not at once.
#[tokio::test]
async fn silent_half_open_and_idle_connections_are_closed_at_the_idle_deadline() {
    let app = spawn_app().await;
    let h2_preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let empty_settings = [0u8, 0, 0, 4, 0, 0, 0, 0, 0];
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("nothing sent", Vec::new()),
        ("half an HTTP/2 preface", h2_preface[..16].to_vec()),
        ("an idle HTTP/2 connection after SETTINGS", {
            let mut b = h2_preface.to_vec();
            b.extend_from_slice(&empty_settings);
            b
        }),
        (
            "an idle HTTP/1.1 keep-alive",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
    ];
    let started = Instant::now();
    let mut waits = Vec::new();
    for (what, bytes) in cases.drain(..) {
        let stream = send(&app, &bytes).await;
        waits.push((
            what,
            tokio::spawn(closed_after(stream, started, IDLE_TIMEOUT * 3)),
        ));
    }
    for (what, wait) in waits {
        let after = wait.await.unwrap();
        eprintln!("{what}: closed after {after:?}");
        assert!(
            after >= IDLE_TIMEOUT / 2,
            "{what}: closed by the deadline, not at once"
        );
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn a_body_sent_too_slowly_gets_408_and_stores_nothing() {
    let app = spawn_app().await;
    let head = format!(
        "PUT /api/verdicts/slow-tool HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"slug\""
    );
    let started = Instant::now();
    let answer = raw(&app, head.as_bytes(), REQUEST_TIMEOUT * 3).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() >= REQUEST_TIMEOUT / 2,
        "cut off by the timeout"
    );
    assert_eq!(app.get("/api/verdicts/slow-tool").await.status(), 404);
}

#[tokio::test]
async fn oversized_heads_are_refused() {
    let app = spawn_app().await;
    let huge_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let answer = raw(&app, huge_header.as_bytes(), Duration::from_secs(10)).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    let long_url = format!(
        "GET /api/badge/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let answer = raw(&app, long_url.as_bytes(), Duration::from_secs(10)).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn no_request_of_any_shape_gets_a_5xx() {
    let app = spawn_app().await;
    let paths = [
        "/",
        "/api/badge/",
        "/api/badge/%00",
        "/api/badge/%FF%FE.png",
        "/api/badge/a..b.svg",
        "/api/badge/smolvlm-3b.png.png",
        "/api/badge/smolvlm-3b.gif",
        "/api/badge/smolvlm-3b?scale=-1",
        "/api/badge/smolvlm-3b.png?scale=99999999999999999999",
        "/api/badge/smolvlm-3b?style=%00",
        "/api/badge/smolvlm-3b?style=card&style=compact&theme=",
        "/api/badge-click/",
        "/api/badge-click/%2e%2e",
        "/api/verdicts/%2F",
        "/api/stats/smolvlm-3b?days=99999999999",
        "/api/stats/../../etc/passwd",
        "/api/embed-code/%C0%AF",
        "/embed/smolvlm-3b?theme=%3Cscript%3E",
        "/stats/smolvlm-3b",
        "//api//badge//smolvlm-3b",
        "/metrics?x=1",
        "/readyz",
        "/favicon.ico",
    ];
    let methods = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE",
    ];
    let plain = reqwest::Client::new();
    for path in paths {
        for method in methods {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let r = plain
                .request(m, app.url(path))
                .header("user-agent", FIREFOX)
                .header("referer", "ht!tp://[bad")
                .header("if-none-match", "\"\t*,,")
                .header("authorization", "Bearer \t")
                .body("{\"x\":")
                .send()
                .await
                .unwrap();
            assert!(r.status().as_u16() < 500, "{method} {path}: {}", r.status());
        }
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/api/badge/smolvlm-3b").await.status(), 200);
}
