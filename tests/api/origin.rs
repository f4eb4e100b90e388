//! Verdict origin mode: fetch on miss, coalesce, cache, serve stale, remember unknowns.

use crate::helpers::*;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::time::Duration;
use verdict_badges::origin::Origin;

/// How the stand-in review site answers.
const OK: u8 = 0;
const FAILING: u8 = 1;
const SLOW: u8 = 2;
const HUGE: u8 = 3;
const INVALID: u8 = 4;

#[derive(Clone, Default)]
struct Site {
    hits: Arc<AtomicU32>,
    mode: Arc<AtomicU8>,
}

async fn record(State(site): State<Site>, Path(file): Path<String>) -> Response {
    site.hits.fetch_add(1, Ordering::SeqCst);
    let slug = file.trim_end_matches(".json").to_owned();
    // Every fetch is slow enough for concurrent misses to pile up behind it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    match site.mode.load(Ordering::SeqCst) {
        FAILING => return StatusCode::BAD_GATEWAY.into_response(),
        SLOW => tokio::time::sleep(Duration::from_secs(10)).await,
        HUGE => return "x".repeat(100_000).into_response(),
        INVALID => return r#"{"slug": "smolvlm-3b", "name": ""}"#.into_response(),
        _ => {}
    }
    let samples: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../data/sample-verdicts.json")).unwrap();
    match samples.into_iter().find(|r| r["slug"] == slug.as_str()) {
        Some(r) => axum::Json(r).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn stand_in_site() -> (Site, String) {
    let site = Site::default();
    let router = Router::new()
        .route("/api/verdicts/{file}", get(record))
        .with_state(site.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (site, format!("http://{addr}/api/verdicts/{{slug}}.json"))
}

async fn app_on(template: &str, ttl: Duration) -> TestApp {
    let origin = Origin::parse(template).unwrap();
    spawn_app_with(|c| {
        c.demo = false; // the store is empty: every verdict comes from the origin
        c.verdict_origin = Some(origin);
        c.verdict_ttl = ttl;
    })
    .await
}

fn error_of(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("x-verdict-error")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn concurrent_misses_make_one_fetch_and_the_copy_is_cached() {
    let (site, template) = stand_in_site().await;
    let app = app_on(&template, Duration::from_secs(60)).await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (client, url) = (browser(), app.url("/api/badge/smolvlm-3b"));
        tasks.push(tokio::spawn(async move {
            let r = client.get(&url).send().await.unwrap();
            assert_eq!(error_of(&r), None);
            r.text().await.unwrap()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().contains("SmolVLM-3B"));
    }
    assert_eq!(
        site.hits.load(Ordering::SeqCst),
        1,
        "one fetch for 40 concurrent misses"
    );
    app.get("/api/badge/smolvlm-3b.png").await;
    assert_eq!(site.hits.load(Ordering::SeqCst), 1, "served from cache");
}

#[tokio::test]
async fn a_failing_origin_serves_the_stale_copy() {
    let (site, template) = stand_in_site().await;
    let app = app_on(&template, Duration::from_millis(100)).await;
    assert_eq!(error_of(&app.get("/api/badge/smolvlm-3b").await), None);
    for mode in [FAILING, INVALID, HUGE] {
        site.mode.store(mode, Ordering::SeqCst);
        // Past the TTL, and past the second the catalog rests a source that just failed.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let before = site.hits.load(Ordering::SeqCst);
        let r = app.get("/api/badge/smolvlm-3b").await;
        assert_eq!(error_of(&r), None, "mode {mode}: the stale copy is served");
        assert!(r.text().await.unwrap().contains("SmolVLM-3B"));
        assert!(
            site.hits.load(Ordering::SeqCst) > before,
            "mode {mode}: the origin was asked"
        );
    }
    // A slug never fetched has no stale copy: the badge says so, and nothing is counted.
    let r = app.get("/api/badge/mistral-small-3-1").await;
    assert_eq!(error_of(&r).as_deref(), Some("unavailable"));
    // Recovery: the origin is read again once it answers.
    site.mode.store(OK, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = site.hits.load(Ordering::SeqCst);
    assert_eq!(error_of(&app.get("/api/badge/smolvlm-3b").await), None);
    assert_eq!(site.hits.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn unknown_slugs_are_remembered_briefly() {
    let (site, template) = stand_in_site().await;
    let app = app_on(&template, Duration::from_secs(60)).await;
    for _ in 0..5 {
        let r = app.get("/api/badge/no-such-tool").await;
        assert_eq!(error_of(&r).as_deref(), Some("unknown tool"));
    }
    assert_eq!(site.hits.load(Ordering::SeqCst), 1);
    assert_eq!(app.get("/api/badge-click/no-such-tool").await.status(), 404);
}

#[tokio::test]
async fn a_slow_origin_times_out_and_writes_are_refused() {
    let (site, template) = stand_in_site().await;
    let app = app_on(&template, Duration::from_secs(60)).await;
    site.mode.store(SLOW, Ordering::SeqCst);
    let r = app.get("/api/badge/smolvlm-3b").await;
    assert_eq!(error_of(&r).as_deref(), Some("unavailable"));
    let put = app
        .client
        .put(app.url("/api/verdicts/smolvlm-3b"))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 403, "verdicts are owned by the origin");
}

#[test]
fn origin_templates_are_checked() {
    assert!(Origin::parse("https://r.example/api/verdicts/{slug}.json").is_ok());
    assert!(Origin::parse("https://r.example/api/verdicts/").is_err());
    assert!(Origin::parse("file:///etc/{slug}").is_err());
}
