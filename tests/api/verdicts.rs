//! The verdict API: public reads, admin-only writes, field-level errors.

use crate::helpers::*;
use serde_json::{Value, json};

fn record() -> Value {
    json!({
        "name": "New Tool", "tagline": "does things", "category": "Developer Tools",
        "verdict": "ship", "panel": {"ship": 4, "skip": 1}, "pricing": "Free",
        "reviews": [{"role": "Builder", "verdict": "ship", "score": 90}],
        "updated_at": "2026-11-21T10:00:00Z"
    })
}

#[tokio::test]
async fn reads_are_public() {
    let app = spawn_app().await;
    let all: Vec<Value> = app.get("/api/verdicts").await.json().await.unwrap();
    assert_eq!(all.len(), 7);
    let one: Value = app
        .get("/api/verdicts/smolvlm-3b")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["name"], "SmolVLM-3B");
    assert_eq!(one["panel"], json!({"ship": 3, "skip": 1}));
    assert_eq!(app.get("/api/verdicts/no-such-tool").await.status(), 404);
    assert_eq!(app.get("/api/verdicts/Not_A_Slug").await.status(), 400);
}

#[tokio::test]
async fn writes_need_the_admin_token() {
    let app = spawn_app().await;
    let url = app.url("/api/verdicts/new-tool");
    let none = app.client.put(&url).json(&record()).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong = app
        .client
        .put(&url)
        .bearer_auth("nope")
        .json(&record())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let created = app
        .client
        .put(&url)
        .bearer_auth(ADMIN)
        .json(&record())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let replaced = app
        .client
        .put(&url)
        .bearer_auth(ADMIN)
        .json(&record())
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), 200);
    let deleted = app
        .client
        .delete(&url)
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.client
            .delete(&url)
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn without_a_configured_token_writes_are_forbidden() {
    let app = spawn_app_with(|c| c.admin_token = None).await;
    let r = app
        .client
        .put(app.url("/api/verdicts/new-tool"))
        .bearer_auth(ADMIN)
        .json(&record())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

async fn a_bad_record_gets_every_field_error_and_changes_nothing(backend: TestBackend) {
    let app = spawn_app_on(backend, |_| {}).await;
    let mut bad = record();
    bad["panel"]["ship"] = json!(99);
    bad["reviews"][0]["score"] = json!(101);
    bad["colour"] = json!("red");
    let r = app
        .client
        .put(app.url("/api/verdicts/smolvlm-3b"))
        .bearer_auth(ADMIN)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["colour", "panel.ship", "reviews[0].score"]);
    let still: Value = app
        .get("/api/verdicts/smolvlm-3b")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["name"], "SmolVLM-3B");

    let mut other = record();
    other["slug"] = json!("another-slug");
    let r = app
        .client
        .put(app.url("/api/verdicts/smolvlm-3b"))
        .bearer_auth(ADMIN)
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "the body's slug must match the URL");

    let r = app
        .client
        .put(app.url("/api/verdicts/smolvlm-3b"))
        .bearer_auth(ADMIN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let r = app
        .client
        .put(app.url("/api/verdicts/smolvlm-3b"))
        .bearer_auth(ADMIN)
        .body(vec![b' '; 65 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

async fn a_write_is_served_at_once_with_a_new_badge(backend: TestBackend) {
    let app = spawn_app_on(backend, |_| {}).await;
    let before = app.get("/api/badge/smolvlm-3b").await;
    let etag = before.headers()["etag"].clone();
    let mut changed = app
        .get("/api/verdicts/smolvlm-3b")
        .await
        .json::<Value>()
        .await
        .unwrap();
    changed["name"] = json!("SmolVLM-3B Renamed");
    let r = app
        .client
        .put(app.url("/api/verdicts/smolvlm-3b"))
        .bearer_auth(ADMIN)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after = app.get("/api/badge/smolvlm-3b").await;
    assert_ne!(after.headers()["etag"], etag);
    assert!(after.text().await.unwrap().contains("SmolVLM-3B Renamed"));
}

crate::on_both_backends!(
    a_write_is_served_at_once_with_a_new_badge,
    a_bad_record_gets_every_field_error_and_changes_nothing,
);
