//! Badge routes: images, variants, error badges, caching headers, escaping.

use crate::helpers::*;
use serde_json::json;

const SLUGS: &[&str] = &[
    "mistral-8x22b-instruct-v2-open-source-apache",
    "mistral-8x22b-v2",
    "mistral-small-3-1",
    "smolvlm-3b",
    "smolvlm-2-5",
    "mistral-8x24b-moe",
    "example-prompt-wrapper",
];

#[tokio::test]
async fn every_sample_renders_in_every_variant() {
    let app = spawn_app().await;
    for slug in SLUGS {
        for style in ["card", "compact"] {
            for theme in ["light", "dark", "auto"] {
                let q = format!("?style={style}&theme={theme}");
                let svg = app.get(&format!("/api/badge/{slug}{q}")).await;
                assert_eq!(svg.status(), 200);
                assert!(svg.headers().get("x-verdict-error").is_none());
                assert_eq!(
                    svg.headers()["content-type"],
                    "image/svg+xml; charset=utf-8"
                );
                let text = svg.text().await.unwrap();
                roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");

                let png = app.get(&format!("/api/badge/{slug}.png{q}")).await;
                assert_eq!(png.status(), 200);
                assert_eq!(png.headers()["content-type"], "image/png");
                let (w, h) = png_size(&png.bytes().await.unwrap());
                if style == "card" {
                    assert_eq!((w, h), (720, 180), "{slug} {q}");
                } else {
                    assert_eq!(h, 40, "{slug} {q}");
                }
            }
        }
    }
}

#[tokio::test]
async fn svg_suffix_and_scale() {
    let app = spawn_app().await;
    let plain = app.get("/api/badge/smolvlm-3b").await.text().await.unwrap();
    let suffixed = app
        .get("/api/badge/smolvlm-3b.svg")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(plain, suffixed);
    let one = app
        .get("/api/badge/smolvlm-3b.png?scale=1")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(png_size(&one), (360, 90));
    let four = app
        .get("/api/badge/smolvlm-3b.png?scale=4")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(png_size(&four), (1440, 360));
}

#[tokio::test]
async fn problems_answer_with_an_error_image_that_is_not_counted() {
    let app = spawn_app().await;
    for (path, reason) in [
        ("/api/badge/no-such-tool", "unknown tool"),
        ("/api/badge/no-such-tool.png", "unknown tool"),
        ("/api/badge/Bad_Slug", "invalid slug"),
        ("/api/badge/smolvlm-3b?style=huge", "bad style"),
        ("/api/badge/smolvlm-3b?theme=neon", "bad theme"),
        ("/api/badge/smolvlm-3b.png?scale=9", "bad scale"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["x-verdict-error"], reason, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("image/"), "{path}: {ct}");
        let body = r.bytes().await.unwrap();
        if ct == "image/png" {
            png_size(&body);
        } else {
            roxmltree::Document::parse(std::str::from_utf8(&body).unwrap()).unwrap();
        }
    }
    // One good load, so that a flush happens and would carry any miscount with it.
    app.get("/api/badge/smolvlm-3b").await;
    let n = app
        .wait_for_total(
            "smolvlm-3b",
            "badge_impressions",
            1,
            std::time::Duration::from_secs(20),
        )
        .await;
    assert_eq!(n, 1, "only the good load counts");
}

/// What a counted response tells caches: keep a copy if you like, but ask before each reuse.
const REVALIDATE: &str = "no-cache, max-age=0, must-revalidate";

#[tokio::test]
async fn a_repeat_view_revalidates_to_a_304_and_is_still_counted() {
    let app = spawn_app().await;
    let r = app.get("/api/badge/smolvlm-3b").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], REVALIDATE);
    assert_eq!(r.headers()["expires"], "0");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        r.headers()["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    let etag = r.headers()["etag"].clone();
    assert!(!r.bytes().await.unwrap().is_empty());

    // The browser's repeat view: its copy is current, so no body, but a view all the same.
    let again = app
        .client
        .get(app.url("/api/badge/smolvlm-3b"))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag);
    assert_eq!(again.headers()["cache-control"], REVALIDATE);
    assert!(again.bytes().await.unwrap().is_empty());
    let n = app
        .wait_for_total(
            "smolvlm-3b",
            "badge_impressions",
            2,
            std::time::Duration::from_secs(20),
        )
        .await;
    assert_eq!(n, 2, "the 304 is counted like the first view");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(
            "verdict_badges_http_requests_total{route=\"/api/badge/{file}\",status=\"304\"} 1"
        ),
        "{metrics}"
    );

    // A stale validator gets the image again; each variant has its own validator.
    let stale = app
        .client
        .get(app.url("/api/badge/smolvlm-3b"))
        .header("if-none-match", "\"0000000000000000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    let dark = app.get("/api/badge/smolvlm-3b?theme=dark").await;
    assert_ne!(
        dark.headers()["etag"],
        etag,
        "each variant has its own ETag"
    );
}

#[tokio::test]
async fn a_hot_png_is_re_encoded_smaller_with_the_same_pixels_and_etag() {
    let app = spawn_app().await;
    let path = "/api/badge/smolvlm-3b.png";
    let first = app.get(path).await;
    let etag = first.headers()["etag"].clone();
    assert!(etag.to_str().unwrap().starts_with("W/\""), "{etag:?}");
    let fast = first.bytes().await.unwrap();
    // The second load finds it cached and starts the background re-encoding.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let small = loop {
        let r = app.get(path).await;
        assert_eq!(
            r.headers()["etag"],
            etag,
            "the validator survives re-encoding"
        );
        let body = r.bytes().await.unwrap();
        if body.len() < fast.len() {
            break body;
        }
        assert!(std::time::Instant::now() < deadline, "never re-encoded");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        small.len() * 10 < fast.len() * 8,
        "{} vs {}",
        small.len(),
        fast.len()
    );
    assert!(
        png_pixels(&small) == png_pixels(&fast),
        "the pixels changed"
    );
    // A reader holding the first response's validator revalidates.
    let again = app
        .client
        .get(app.url(path))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn theme_auto_serves_both_palettes_as_svg_and_the_light_one_as_png() {
    let app = spawn_app().await;
    let r = app
        .get("/api/badge/example-prompt-wrapper?theme=auto")
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("x-verdict-error").is_none());
    // The SVG's style element is allowed by its own CSP, and nothing else is.
    assert_eq!(
        r.headers()["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    let auto_etag = r.headers()["etag"].clone();
    let svg = r.text().await.unwrap();
    roxmltree::Document::parse(&svg).expect("well-formed");
    assert!(
        svg.contains("<style>@media (prefers-color-scheme: dark){"),
        "{svg}"
    );
    // Light colours in the attributes, dark ones in the rule.
    assert!(svg.contains(r##"fill="#ffffff""##) && svg.contains("fill:#161b22"));
    let light = app
        .get("/api/badge/example-prompt-wrapper?theme=light")
        .await;
    assert_ne!(light.headers()["etag"], auto_etag, "auto has its own ETag");

    for style in ["card", "compact"] {
        let png = |theme: &'static str| {
            let app = &app;
            async move {
                app.get(&format!(
                    "/api/badge/example-prompt-wrapper.png?style={style}&theme={theme}&scale=1"
                ))
                .await
                .bytes()
                .await
                .unwrap()
            }
        };
        let (auto, light, dark) = (png("auto").await, png("light").await, png("dark").await);
        assert!(
            png_pixels(&auto) == png_pixels(&light),
            "{style}: auto PNG is light"
        );
        assert!(png_pixels(&auto) != png_pixels(&dark), "{style}");
    }
}

#[tokio::test]
async fn hostile_names_are_escaped() {
    let app = spawn_app().await;
    let hostile = r#"<script>alert(1)</script> & "q""#;
    let record = json!({
        "name": hostile, "tagline": "]]><!-- <img src=x onerror=alert(1)>", "category": "x",
        "verdict": "skip", "panel": {"ship": 1, "skip": 3}, "pricing": "'\"<>&",
        "reviews": [{"role": "<b>Builder</b>", "verdict": "skip", "score": 10}],
        "updated_at": "2026-11-20T09:00:00Z"
    });
    let put = app
        .client
        .put(app.url("/api/verdicts/hostile"))
        .bearer_auth(ADMIN)
        .json(&record)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    for q in ["", "?style=compact", "?theme=dark", "?theme=auto"] {
        let svg = app
            .get(&format!("/api/badge/hostile{q}"))
            .await
            .text()
            .await
            .unwrap();
        let doc = roxmltree::Document::parse(&svg).expect("well-formed");
        assert!(!svg.contains("<script"), "{svg}");
        assert!(doc.descendants().all(|n| n.tag_name().name() != "script"));
        assert!(
            doc.descendants()
                .all(|n| n.attributes().all(|a| !a.name().starts_with("on")))
        );
    }
    let png = app
        .get("/api/badge/hostile.png")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(png_size(&png), (720, 180));
    let landing = app.get("/").await.text().await.unwrap();
    assert!(
        !landing.contains("<script"),
        "the landing page escapes names"
    );
}

#[tokio::test]
async fn landing_page_lists_tools_and_previews_are_not_counted() {
    let app = spawn_app().await;
    let r = app.get("/").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("SmolVLM-3B"));
    assert!(page.contains("/api/badge/smolvlm-3b"));
    // The page's own previews send the page as Referer.
    app.client
        .get(app.url("/api/badge/smolvlm-3b"))
        .header("referer", app.url("/"))
        .send()
        .await
        .unwrap();
    app.get("/api/badge-click/smolvlm-3b").await;
    app.wait_for_total(
        "smolvlm-3b",
        "clicks",
        1,
        std::time::Duration::from_secs(20),
    )
    .await;
    assert_eq!(
        app.stats("smolvlm-3b").await["totals"]["badge_impressions"],
        0
    );
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.get("/api/badge/smolvlm-3b").await;
    app.get("/api/badge/smolvlm-3b").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for needle in [
        "verdict_badges_render_cache_total{name=\"hit\"}",
        "verdict_badges_render_cache_total{name=\"miss\"}",
        "verdict_badges_http_requests_total{route=\"/api/badge/{file}\",status=\"200\"} 2",
        "verdict_badges_tally_recorded_total{name=\"badge\"} 2",
    ] {
        assert!(metrics.contains(needle), "{needle} in\n{metrics}");
    }
    assert_eq!(app.get("/no/such/route").await.status(), 404);
}

/// The server answers badge requests beside the router (`http::service`); whatever the
/// path and method, it must answer exactly as the router's own badge route and fallback.
#[tokio::test]
async fn the_direct_badge_path_answers_as_the_router_does() {
    use axum::body::{Body, to_bytes};
    use tower::ServiceExt;
    let app = spawn_app().await;
    let router = verdict_badges::http::router(app.state.clone());
    let service = verdict_badges::http::service(app.state.clone());
    let paths = [
        "/api/badge/smolvlm-3b",
        "/api/badge/smolvlm-3b.svg?theme=dark&style=compact",
        "/api/badge/smolvlm-3b.png?scale=1",
        "/api/badge/smolvlm-3b.png?scale=9",
        "/api/badge/smolvlm-%33b",
        "/api/badge/%ff.png",
        "/api/badge/no-such-tool",
        "/api/badge/Bad_Slug",
        "/api/badge/",
        "/api/badge",
        "/api/badge/smolvlm-3b/",
        "/api/badge/a/b",
        "/api/badge//smolvlm-3b",
        "/api/badge/smolvlm-3b%2Fx",
    ];
    for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"] {
        for path in paths {
            let request = || {
                axum::http::Request::builder()
                    .method(method)
                    .uri(path)
                    .header(
                        "user-agent",
                        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                    )
                    .body(Body::empty())
                    .unwrap()
            };
            let by_router = router.clone().oneshot(request()).await.unwrap();
            let direct = service.clone().oneshot(request()).await.unwrap();
            let what = format!("{method} {path}");
            assert_eq!(by_router.status(), direct.status(), "{what}");
            assert_eq!(by_router.headers(), direct.headers(), "{what}");
            let by_router = to_bytes(by_router.into_body(), usize::MAX).await.unwrap();
            let direct = to_bytes(direct.into_body(), usize::MAX).await.unwrap();
            assert_eq!(by_router, direct, "{what}");
            if method == "HEAD" {
                assert!(direct.is_empty(), "{what}: a HEAD answer has no body");
            }
        }
    }
}
