//! Stats access: the admin token or the tool's own key.

use crate::helpers::*;
use serde_json::Value;
use verdict_badges::auth;

async fn status(app: &TestApp, path: &str, token: Option<&str>) -> u16 {
    let mut r = app.client.get(app.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap().status().as_u16()
}

async fn stats_need_the_right_token(backend: TestBackend) {
    let app = spawn_app_on(backend, |_| {}).await;
    let key = mint_key(&app, "smolvlm-3b").await;
    let other = mint_key(&app, "mistral-small-3-1").await;
    let path = "/api/stats/smolvlm-3b";
    assert_eq!(status(&app, path, None).await, 401);
    assert_eq!(status(&app, path, Some("garbage")).await, 401);
    assert_eq!(status(&app, path, Some(&auth::new_stats_key())).await, 401);
    assert_eq!(status(&app, path, Some(&other)).await, 403);
    assert_eq!(status(&app, path, Some(&key)).await, 200);
    assert_eq!(status(&app, path, Some(ADMIN)).await, 200);

    assert!(
        app.state
            .store
            .revoke_stats_key(&auth::digest_hex(&key))
            .await
            .unwrap()
    );
    assert_eq!(
        status(&app, path, Some(&key)).await,
        401,
        "a revoked key opens nothing"
    );
}

#[tokio::test]
async fn stats_follow_the_contract_shape() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/stats/smolvlm-3b?days=7"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["slug"], "smolvlm-3b");
    assert_eq!(s["daily"].as_array().unwrap().len(), 7);
    for field in [
        "badge_impressions",
        "widget_impressions",
        "clicks",
        "bot_requests",
    ] {
        assert_eq!(s["totals"][field], 0, "{field}");
    }
    assert!(s["referrers"].as_array().unwrap().is_empty());
    for bad in ["0", "367", "abc"] {
        assert_eq!(
            status(
                &app,
                &format!("/api/stats/smolvlm-3b?days={bad}"),
                Some(ADMIN)
            )
            .await,
            400
        );
    }
}

crate::on_both_backends!(stats_need_the_right_token);
