//! Security headers everywhere, and CORS only where it is meant to be.

use crate::helpers::*;

#[tokio::test]
async fn cors_only_on_public_json() {
    let app = spawn_app().await;
    let from = |path: &'static str| {
        app.client
            .get(app.url(path))
            .header("origin", "https://elsewhere.example")
            .bearer_auth(ADMIN)
            .send()
    };
    for path in [
        "/api/verdicts",
        "/api/verdicts/smolvlm-3b",
        "/api/embed-code/smolvlm-3b",
        "/api/openapi.json",
    ] {
        let r = from(path).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["access-control-allow-origin"], "*", "{path}");
    }
    for path in [
        "/api/stats/smolvlm-3b",
        "/api/badge/smolvlm-3b",
        "/",
        "/metrics",
    ] {
        let r = from(path).await.unwrap();
        assert!(
            r.headers().get("access-control-allow-origin").is_none(),
            "{path}"
        );
    }
    // A cross-origin write is never preflighted through.
    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            app.url("/api/verdicts/smolvlm-3b"),
        )
        .header("origin", "https://elsewhere.example")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    let allowed = preflight
        .headers()
        .get("access-control-allow-methods")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(!allowed.contains("PUT"), "{allowed}");
}

#[tokio::test]
async fn every_response_carries_the_safety_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/tools/smolvlm-3b",
        "/embed/smolvlm-3b",
        "/stats/smolvlm-3b",
        "/api/badge/smolvlm-3b",
        "/api/badge/smolvlm-3b.png",
        "/api/badge/nope",
        "/api/badge-click/nope",
        "/api/verdicts",
        "/no/such/page",
        "/healthz",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert!(r.headers().get("referrer-policy").is_some(), "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        let csp = r
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_owned());
        if ct.starts_with("text/html") {
            let page_csp = csp
                .as_deref()
                .unwrap_or_else(|| panic!("{path}: an HTML page without a CSP"));
            assert!(
                page_csp.contains("default-src 'none'"),
                "{path}: {page_csp}"
            );
        }
        if ct.starts_with("image/svg+xml") {
            assert_eq!(
                csp.as_deref(),
                Some("default-src 'none'; style-src 'unsafe-inline'"),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn the_api_describes_itself_as_the_repository_does() {
    let app = spawn_app().await;
    let r = app.get("/api/openapi.json").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/json");
    let served: serde_json::Value = r.json().await.unwrap();
    let committed: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/openapi.json"
    )))
    .unwrap();
    assert_eq!(served, committed);
    assert_eq!(served["openapi"], "3.1.0");
}
