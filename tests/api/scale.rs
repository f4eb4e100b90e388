//! Several instances on one store, and surviving a store outage.

use crate::helpers::*;
use crate::proxy::Proxy;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

async fn three_instances_count_every_load_exactly(backend: TestBackend) {
    let db = scratch(backend).await;
    let url = db.url.clone();
    let first = spawn_app_at(&url, Some(db), |c| c.count_limit_per_minute = 0).await;
    let others = [
        spawn_app_at(&url, None, |c| c.count_limit_per_minute = 0).await,
        spawn_app_at(&url, None, |c| c.count_limit_per_minute = 0).await,
    ];
    let bases: Vec<String> = std::iter::once(&first)
        .chain(others.iter())
        .map(|a| a.base.clone())
        .collect();

    const LOADS: usize = 30_000;
    const CONNECTIONS: usize = 60;
    let mut tasks = Vec::new();
    for t in 0..CONNECTIONS {
        let client = browser();
        // Each connection talks to one instance, as behind a load balancer.
        let url = format!("{}/api/badge/smolvlm-3b", bases[t % bases.len()]);
        tasks.push(tokio::spawn(async move {
            for _ in 0..LOADS / CONNECTIONS {
                let r = client.get(&url).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for app in std::iter::once(&first).chain(others.iter()) {
        let got = app
            .wait_for_total(
                "smolvlm-3b",
                "badge_impressions",
                LOADS as i64,
                Duration::from_secs(20),
            )
            .await;
        assert_eq!(got, LOADS as i64, "every instance reads the one truth");
    }
}

async fn a_write_reaches_every_instance(backend: TestBackend) {
    let db = scratch(backend).await;
    let url = db.url.clone();
    let writer = spawn_app_at(&url, Some(db), |_| {}).await;
    let readers = [
        spawn_app_at(&url, None, |_| {}).await,
        spawn_app_at(&url, None, |_| {}).await,
    ];
    // Every reader has the old verdict cached.
    for r in &readers {
        assert!(
            r.get("/api/badge/smolvlm-3b")
                .await
                .text()
                .await
                .unwrap()
                .contains(">SmolVLM-3B<")
        );
    }
    let mut changed: serde_json::Value = writer
        .get("/api/verdicts/smolvlm-3b")
        .await
        .json()
        .await
        .unwrap();
    changed["name"] = "SmolVLM-3B Next".into();
    let put = writer
        .client
        .put(writer.url("/api/verdicts/smolvlm-3b"))
        .bearer_auth(ADMIN)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let written = Instant::now();
    for r in &readers {
        // The bound is one poll interval (200 ms in tests); allow far more on a busy machine.
        loop {
            let svg = r.get("/api/badge/smolvlm-3b").await.text().await.unwrap();
            if svg.contains("SmolVLM-3B Next") {
                break;
            }
            assert!(
                written.elapsed() < Duration::from_secs(10),
                "the write never arrived"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eprintln!(
        "a write reached both other instances after {:?}",
        written.elapsed()
    );
}

crate::on_both_backends!(
    three_instances_count_every_load_exactly,
    a_write_reaches_every_instance
);

#[tokio::test]
#[cfg_attr(
    not(vb_postgres),
    ignore = "set VERDICT_BADGES_TEST_POSTGRES=postgres://… to run on PostgreSQL"
)]
async fn a_store_outage_under_load_loses_nothing() {
    let db = scratch(TestBackend::Postgres).await;
    let (proxy, via_proxy) = Proxy::in_front_of(&db.url).await;
    let app = spawn_app_at(&via_proxy, Some(db), |c| c.count_limit_per_minute = 0).await;
    let slugs = ["smolvlm-3b", "mistral-small-3-1"];
    for slug in slugs {
        assert_eq!(app.get(&format!("/api/badge/{slug}")).await.status(), 200);
    }
    let warm: i64 = 2;

    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for t in 0..8 {
        let (client, stop, served) = (browser(), stop.clone(), served.clone());
        let url = app.url(&format!("/api/badge/{}", slugs[t % 2]));
        load.push(tokio::spawn(async move {
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
                let r = client.get(&url).send().await.unwrap();
                assert_eq!(r.status(), 200);
                assert!(
                    r.headers().get("x-verdict-error").is_none(),
                    "served from cache"
                );
                r.bytes().await.unwrap();
                served.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.get("/readyz").await.status(),
        503,
        "not ready while the store is away"
    );
    tokio::time::sleep(Duration::from_millis(4500)).await;
    proxy.restore();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    for t in load {
        t.await.unwrap();
    }
    let loads = served.load(Ordering::SeqCst) as i64;
    assert!(loads > 100, "the load ran through the outage: {loads}");
    let mut counted = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let r = app
            .client
            .get(app.url("/api/stats/smolvlm-3b"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        let s = app
            .client
            .get(app.url("/api/stats/mistral-small-3-1"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        if r.status() == 200 && s.status() == 200 {
            let a: serde_json::Value = r.json().await.unwrap();
            let b: serde_json::Value = s.json().await.unwrap();
            counted = a["totals"]["badge_impressions"].as_i64().unwrap()
                + b["totals"]["badge_impressions"].as_i64().unwrap();
            if counted >= loads + warm {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        counted,
        loads + warm,
        "every load of the outage reached the store afterwards"
    );
    assert_eq!(app.get("/readyz").await.status(), 200);
}
