//! Sharing: the share card, Open Graph tags, oEmbed and the shields.io endpoint.

use crate::helpers::*;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
/// The public URL the share tests run with: a path prefix, and a host that is not the
/// test server's, so every absolute URL must come from `--public-url`.
const PUBLIC: &str = "https://badges.example/sub/";

async fn spawn_public() -> TestApp {
    spawn_app_with(|c| c.public_url = Some(url::Url::parse(PUBLIC).unwrap())).await
}

#[tokio::test]
async fn the_card_is_a_1200_by_630_png_with_a_validator() {
    let app = spawn_app().await;
    let r = app.get("/api/card/smolvlm-3b.png").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "image/png");
    assert_eq!(header(&r, "cache-control"), "public, max-age=300");
    assert_eq!(header(&r, "x-verdict-error"), "");
    let etag = header(&r, "etag");
    assert!(etag.starts_with("W/\""), "{etag}");
    let light = r.bytes().await.unwrap();
    assert_eq!(png_size(&light), (1200, 630));

    // A copy that is current: 304, no body, same validator.
    let again = app
        .client
        .get(app.url("/api/card/smolvlm-3b.png"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), etag);
    assert_eq!(header(&again, "cache-control"), "public, max-age=300");
    assert!(again.bytes().await.unwrap().is_empty());

    // The dark card differs, in pixels and in validator; `auto` is the light one.
    let dark = app.get("/api/card/smolvlm-3b.png?theme=dark").await;
    assert_ne!(header(&dark, "etag"), etag);
    let dark = dark.bytes().await.unwrap();
    assert_eq!(png_size(&dark), (1200, 630));
    assert_ne!(png_pixels(&dark), png_pixels(&light));
    let auto = app.get("/api/card/smolvlm-3b.png?theme=auto").await;
    assert_eq!(header(&auto, "etag"), etag);
    // The bare slug names the same card.
    assert_eq!(header(&app.get("/api/card/smolvlm-3b").await, "etag"), etag);
    // Another tool, another card.
    let other = app.get("/api/card/example-prompt-wrapper.png").await;
    assert_ne!(header(&other, "etag"), etag);
}

#[tokio::test]
async fn a_card_that_cannot_be_drawn_is_an_error_card_of_the_same_size() {
    let app = spawn_app().await;
    for (path, reason) in [
        ("/api/card/no-such-tool.png", "unknown tool"),
        ("/api/card/Not_A_Slug.png", "invalid slug"),
        ("/api/card/smolvlm-3b.png?theme=neon", "bad theme"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), "image/png", "{path}");
        assert_eq!(header(&r, "x-verdict-error"), reason, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&r, "etag"), "", "{path}");
        let png = r.bytes().await.unwrap();
        assert_eq!(png_size(&png), (1200, 630), "{path}");
    }
    let long = format!("/api/card/smolvlm-3b.png?v={}", "x".repeat(600));
    assert_eq!(
        header(&app.get(&long).await, "x-verdict-error"),
        "query too long"
    );
    // A dark error card for a dark request.
    let light = app.get("/api/card/no-such-tool.png").await.bytes().await;
    let dark = app
        .get("/api/card/no-such-tool.png?theme=dark")
        .await
        .bytes()
        .await;
    assert_ne!(png_pixels(&light.unwrap()), png_pixels(&dark.unwrap()));
}

/// Every total of a tool's stats.
async fn totals(app: &TestApp, slug: &str) -> Value {
    app.stats(slug).await["totals"].clone()
}

#[tokio::test]
async fn neither_link_preview_bots_nor_browsers_fetching_the_card_are_counted() {
    let app = spawn_app().await;
    let plain = reqwest::Client::new();
    let card = app.url("/api/card/smolvlm-3b.png");
    for agent in [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Twitterbot/1.0",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        FIREFOX,
    ] {
        for theme in ["", "?theme=dark"] {
            let r = plain
                .get(format!("{card}{theme}"))
                .header("user-agent", agent)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{agent}");
        }
    }
    // Error cards of a known tool.
    plain
        .get(format!("{card}?theme=neon"))
        .header("user-agent", FIREFOX)
        .send()
        .await
        .unwrap();
    // A browser, with a referrer, more than once, and revalidating.
    for _ in 0..3 {
        let r = app
            .client
            .get(&card)
            .header("referer", "https://blog.example/post")
            .send()
            .await
            .unwrap();
        let etag = header(&r, "etag");
        app.client
            .get(&card)
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
    }
    // The shields endpoint and oEmbed are not counted either.
    app.get("/api/shields/smolvlm-3b.json").await;
    let page = format!("{}/tools/smolvlm-3b", app.base);
    app.client
        .get(app.url("/oembed"))
        .query(&[("url", page.as_str())])
        .send()
        .await
        .unwrap();

    // One counted load of another tool, to know when the flush has happened.
    app.get("/api/badge/example-prompt-wrapper").await;
    assert_eq!(
        app.wait_for_total("example-prompt-wrapper", "badge_impressions", 1, WAIT)
            .await,
        1
    );
    let t = totals(&app, "smolvlm-3b").await;
    let counts = t.as_object().unwrap();
    assert!(!counts.is_empty());
    for (field, value) in counts {
        if let Some(n) = value.as_i64() {
            assert_eq!(n, 0, "{field} of {t}");
        }
    }
}

/// The `content` of the `<meta>` whose `property` or `name` is `key`.
fn meta<'a>(html: &'a str, key: &str) -> Option<&'a str> {
    for attr in ["property", "name"] {
        let tag = format!(r#"<meta {attr}="{key}" content=""#);
        if let Some(at) = html.find(&tag) {
            let rest = &html[at + tag.len()..];
            return rest.find('"').map(|end| &rest[..end]);
        }
    }
    None
}

/// Adds a verdict whose name and tagline hold every HTML-special character.
async fn put_hostile(app: &TestApp) {
    let r = app
        .client
        .put(app.url("/api/verdicts/hostile-tool"))
        .bearer_auth(ADMIN)
        .json(&json!({
            "name": r#"A "<b>&</b>" tool"#, "tagline": r#"Says "hi" <script>x</script> & more"#,
            "category": "Developer Tools", "verdict": "skip", "panel": {"ship": 1, "skip": 3},
            "pricing": "Free",
            "reviews": [{"role": "Builder", "verdict": "skip", "score": 40}],
            "updated_at": "2026-11-21T10:00:00Z"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn tool_pages_and_widgets_carry_open_graph_tags_with_absolute_escaped_content() {
    let app = spawn_public().await;
    put_hostile(&app).await;
    for (path, url, image) in [
        (
            "/tools/hostile-tool",
            "https://badges.example/sub/tools/hostile-tool",
            "https://badges.example/sub/api/card/hostile-tool.png",
        ),
        (
            "/embed/hostile-tool",
            "https://badges.example/sub/embed/hostile-tool",
            "https://badges.example/sub/api/card/hostile-tool.png",
        ),
        (
            "/embed/hostile-tool?theme=dark",
            "https://badges.example/sub/embed/hostile-tool",
            "https://badges.example/sub/api/card/hostile-tool.png?theme=dark",
        ),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        let title = meta(&html, "og:title").expect("og:title");
        assert_eq!(
            title, "A &#34;&#60;b&#62;&#38;&#60;/b&#62;&#34; tool: Skip — ShipOrSkip verdict",
            "{path}"
        );
        let description = meta(&html, "og:description").expect("og:description");
        assert!(
            description.starts_with("Says &#34;hi&#34; &#60;script&#62;x&#60;/script&#62; &#38; more — Expert panel verdict: Skip, 25% ship (1 ship · 3 skips)."),
            "{path}: {description}"
        );
        assert_eq!(meta(&html, "og:url"), Some(url), "{path}");
        assert_eq!(meta(&html, "og:image"), Some(image), "{path}");
        assert_eq!(meta(&html, "og:image:width"), Some("1200"), "{path}");
        assert_eq!(meta(&html, "og:image:height"), Some("630"), "{path}");
        assert_eq!(
            meta(&html, "twitter:card"),
            Some("summary_large_image"),
            "{path}"
        );
        assert!(!html.contains("<script>"), "{path}");
        assert!(!html.contains(r#""<b>"#), "{path}");
    }
    // The named image is the card, and it is served.
    let r = app.get("/api/card/hostile-tool.png").await;
    assert_eq!(png_size(&r.bytes().await.unwrap()), (1200, 630));
}

#[tokio::test]
async fn the_tool_page_names_its_oembed_endpoint() {
    let app = spawn_public().await;
    let html = app.get("/tools/smolvlm-3b").await.text().await.unwrap();
    let tag = r#"<link rel="alternate" type="application/json+oembed" href=""#;
    let at = html.find(tag).expect("the discovery link") + tag.len();
    let href = &html[at..at + html[at..].find('"').unwrap()];
    assert_eq!(
        href,
        "https://badges.example/sub/oembed?url=https%3A%2F%2Fbadges.example%2Fsub%2Ftools%2Fsmolvlm-3b"
    );
    assert!(html[at..].contains(r#" title="SmolVLM-3B: Ship — ShipOrSkip verdict">"#));
    // The same request against the test server answers.
    let query = href.split_once('?').unwrap().1;
    let r = app.get(&format!("/oembed?{query}")).await;
    assert_eq!(r.status(), 200);
}

/// `GET /oembed` with these query pairs.
async fn oembed(app: &TestApp, pairs: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .get(app.url("/oembed"))
        .query(pairs)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn oembed_answers_the_widget_for_every_url_of_a_tool() {
    let app = spawn_public().await;
    for url in [
        "https://badges.example/sub/tools/smolvlm-3b",
        "https://badges.example/sub/embed/smolvlm-3b",
        "https://badges.example/sub/embed/smolvlm-3b?theme=light",
        "https://badges.example/sub/api/badge/smolvlm-3b",
        "https://badges.example/sub/api/badge/smolvlm-3b.svg?theme=auto",
        "https://badges.example/sub/api/badge/smolvlm-3b.png?scale=2&style=compact",
    ] {
        for format in [None, Some("json")] {
            let mut pairs = vec![("url", url)];
            pairs.extend(format.map(|f| ("format", f)));
            let r = oembed(&app, &pairs).await;
            assert_eq!(r.status(), 200, "{url}");
            assert!(header(&r, "content-type").starts_with("application/json"));
            assert_eq!(header(&r, "cache-control"), "public, max-age=300");
            let o: Value = r.json().await.unwrap();
            assert_eq!(o["version"], "1.0", "{url}");
            assert_eq!(o["type"], "rich");
            assert_eq!(o["provider_name"], "ShipOrSkip");
            assert_eq!(o["provider_url"], PUBLIC);
            assert_eq!(o["title"], "SmolVLM-3B: Ship — ShipOrSkip verdict");
            assert_eq!(
                (o["width"].as_u64(), o["height"].as_u64()),
                (Some(360), Some(260))
            );
            assert_eq!(o["cache_age"], 300);
            assert_eq!(
                o["thumbnail_url"],
                "https://badges.example/sub/api/card/smolvlm-3b.png"
            );
            assert_eq!(o["thumbnail_width"], 1200);
            assert_eq!(o["thumbnail_height"], 630);
            let html = o["html"].as_str().unwrap();
            assert!(
                html.starts_with(r#"<iframe src="https://badges.example/sub/embed/smolvlm-3b"#),
                "{html}"
            );
            assert!(html.contains(r#" width="360" height="260""#), "{html}");
            assert!(html.ends_with("></iframe>"), "{html}");
        }
    }
    // A widget URL's theme carries into the iframe and the thumbnail.
    let o: Value = oembed(
        &app,
        &[(
            "url",
            "https://badges.example/sub/embed/smolvlm-3b?theme=dark",
        )],
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        o["html"]
            .as_str()
            .unwrap()
            .contains(r#"src="https://badges.example/sub/embed/smolvlm-3b?theme=dark""#)
    );
    assert_eq!(
        o["thumbnail_url"],
        "https://badges.example/sub/api/card/smolvlm-3b.png?theme=dark"
    );
}

#[tokio::test]
async fn oembed_follows_the_spec_for_sizes_formats_and_foreign_urls() {
    let app = spawn_public().await;
    put_hostile(&app).await;
    let tool = "https://badges.example/sub/tools/smolvlm-3b";
    let status = |pairs: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move { oembed(app, &pairs).await.status().as_u16() }
    };
    let size = |pairs: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let o: Value = oembed(app, &pairs).await.json().await.unwrap();
            let html = o["html"].as_str().unwrap().to_owned();
            (
                o["width"].as_u64().unwrap(),
                o["height"].as_u64().unwrap(),
                html,
            )
        }
    };

    // maxwidth: the widget shrinks down to 280 px; below that, no representation.
    let (w, h, html) = size(vec![("url", tool), ("maxwidth", "300")]).await;
    assert_eq!((w, h), (300, 260));
    assert!(html.contains(r#" width="300" height="260""#), "{html}");
    assert_eq!(size(vec![("url", tool), ("maxwidth", "280")]).await.0, 280);
    assert_eq!(size(vec![("url", tool), ("maxwidth", "1000")]).await.0, 360);
    assert_eq!(status(vec![("url", tool), ("maxwidth", "200")]).await, 404);
    assert_eq!(status(vec![("url", tool), ("maxwidth", "279")]).await, 404);
    // maxheight: down to the widget's least, 240 px.
    let (w, h, html) = size(vec![("url", tool), ("maxheight", "250")]).await;
    assert_eq!((w, h), (360, 250));
    assert!(html.contains(r#" height="250""#), "{html}");
    assert_eq!(size(vec![("url", tool), ("maxheight", "900")]).await.1, 260);
    assert_eq!(status(vec![("url", tool), ("maxheight", "239")]).await, 404);
    assert_eq!(
        status(vec![
            ("url", tool),
            ("maxwidth", "300"),
            ("maxheight", "100")
        ])
        .await,
        404
    );
    assert_eq!(status(vec![("url", tool), ("maxwidth", "wide")]).await, 400);

    // Formats: json only.
    let r = oembed(&app, &[("url", tool), ("format", "xml")]).await;
    assert_eq!(r.status(), 501);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("xml"), "{body}");

    // The url: required, absolute, ours, a tool that exists.
    let r = oembed(&app, &[]).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("url"), "{body}");
    assert_eq!(status(vec![("url", "")]).await, 400);
    assert_eq!(status(vec![("url", "not a url")]).await, 400);
    assert_eq!(status(vec![("url", "/tools/smolvlm-3b")]).await, 400);
    for foreign in [
        "https://evil.example/sub/tools/smolvlm-3b",
        "http://badges.example/sub/tools/smolvlm-3b",
        "https://badges.example/tools/smolvlm-3b",
        "https://badges.example/sub/stats/smolvlm-3b",
        "https://badges.example/sub/api/verdicts/smolvlm-3b",
    ] {
        assert_eq!(status(vec![("url", foreign)]).await, 404, "{foreign}");
    }
    let r = oembed(
        &app,
        &[("url", "https://badges.example/sub/tools/no-such-tool")],
    )
    .await;
    assert_eq!(r.status(), 404);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());

    // Everything in the answer is escaped.
    let o: Value = oembed(
        &app,
        &[("url", "https://badges.example/sub/tools/hostile-tool")],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        o["title"],
        r#"A "<b>&</b>" tool: Skip — ShipOrSkip verdict"#
    );
    let html = o["html"].as_str().unwrap();
    assert!(
        html.contains(
            r#"title="A &#34;&#60;b&#62;&#38;&#60;/b&#62;&#34; tool ShipOrSkip verdict""#
        ),
        "{html}"
    );
}

#[tokio::test]
async fn oembed_and_shields_may_be_read_from_any_origin() {
    let app = spawn_public().await;
    for path in [
        "/oembed?url=https%3A%2F%2Fbadges.example%2Fsub%2Ftools%2Fsmolvlm-3b",
        "/api/shields/smolvlm-3b.json",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .header("origin", "https://someone.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "access-control-allow-origin"), "*", "{path}");
    }
}

/// Checks `v` against shields.io's endpoint-badge schema (its rules, as shields.io
/// validates an endpoint's answer): an object of known keys; `schemaVersion` 1; `label`
/// and `message` strings, `message` not empty; `color`, `labelColor` and `namedLogo`
/// non-empty strings; `isError` a boolean; `cacheSeconds` a whole number of at least 300.
fn shields_schema_errors(v: &Value) -> Vec<String> {
    const KNOWN: &[&str] = &[
        "schemaVersion",
        "label",
        "message",
        "color",
        "labelColor",
        "isError",
        "namedLogo",
        "logoSvg",
        "logoColor",
        "logoWidth",
        "style",
        "cacheSeconds",
    ];
    let mut errors = Vec::new();
    let Some(object) = v.as_object() else {
        return vec!["not an object".into()];
    };
    for key in object.keys() {
        if !KNOWN.contains(&key.as_str()) {
            errors.push(format!("unknown key {key}"));
        }
    }
    for required in ["schemaVersion", "label", "message"] {
        if !object.contains_key(required) {
            errors.push(format!("{required} is required"));
        }
    }
    if object.get("schemaVersion").is_some_and(|s| s != 1) {
        errors.push("schemaVersion must be 1".into());
    }
    if object.get("label").is_some_and(|l| !l.is_string()) {
        errors.push("label must be a string".into());
    }
    match object.get("message") {
        Some(Value::String(m)) if !m.is_empty() => {}
        Some(_) => errors.push("message must be a non-empty string".into()),
        None => {}
    }
    for key in ["color", "labelColor", "namedLogo", "logoSvg", "style"] {
        match object.get(key) {
            None => {}
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            Some(_) => errors.push(format!("{key} must be a non-empty string")),
        }
    }
    if object.get("isError").is_some_and(|e| !e.is_boolean()) {
        errors.push("isError must be a boolean".into());
    }
    if let Some(seconds) = object.get("cacheSeconds") {
        match seconds.as_u64() {
            Some(s) if s >= 300 => {}
            _ => errors.push("cacheSeconds must be a whole number ≥ 300".into()),
        }
    }
    errors
}

#[test]
fn the_schema_check_catches_what_shields_io_rejects() {
    assert!(
        shields_schema_errors(&json!({"schemaVersion": 1, "label": "a", "message": "b"}))
            .is_empty()
    );
    for bad in [
        json!([]),
        json!({"schemaVersion": 2, "label": "a", "message": "b"}),
        json!({"schemaVersion": 1, "message": "b"}),
        json!({"schemaVersion": 1, "label": "a", "message": ""}),
        json!({"schemaVersion": 1, "label": "a", "message": "b", "color": ""}),
        json!({"schemaVersion": 1, "label": "a", "message": "b", "cacheSeconds": 60}),
        json!({"schemaVersion": 1, "label": "a", "message": "b", "cacheSeconds": 300.5}),
        json!({"schemaVersion": 1, "label": "a", "message": "b", "isError": "yes"}),
        json!({"schemaVersion": 1, "label": "a", "message": "b", "colour": "red"}),
    ] {
        assert!(!shields_schema_errors(&bad).is_empty(), "{bad}");
    }
}

#[tokio::test]
async fn the_shields_endpoint_answers_shields_schema_for_every_tool_and_error() {
    let app = spawn_public().await;
    for (slug, message, color) in [
        ("smolvlm-3b", "Ship · 75% ship", "1a7f37"),
        ("example-prompt-wrapper", "Skip · 25% ship", "c8232c"),
    ] {
        let r = app.get(&format!("/api/shields/{slug}.json")).await;
        assert_eq!(r.status(), 200);
        assert!(header(&r, "content-type").starts_with("application/json"));
        assert_eq!(header(&r, "cache-control"), "public, max-age=300");
        let v: Value = r.json().await.unwrap();
        assert_eq!(shields_schema_errors(&v), Vec::<String>::new(), "{v}");
        assert_eq!(v["label"], "ShipOrSkip");
        assert_eq!(v["message"], message);
        assert_eq!(v["color"], color);
        assert_eq!(v["cacheSeconds"], 300);
        assert!(v.get("isError").is_none(), "{v}");
        // The bare slug answers the same.
        let bare: Value = app
            .get(&format!("/api/shields/{slug}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(bare, v);
    }
    // Errors are shields answers too (shields.io shows only 200s), flagged as errors.
    for (path, reason) in [
        ("/api/shields/no-such-tool.json", "unknown tool"),
        ("/api/shields/Not_A_Slug.json", "invalid slug"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "x-verdict-error"), reason);
        assert_eq!(header(&r, "cache-control"), "no-store");
        let v: Value = r.json().await.unwrap();
        assert_eq!(shields_schema_errors(&v), Vec::<String>::new(), "{v}");
        assert_eq!(v["isError"], true);
        assert_eq!(v["message"], reason);
    }

    // The embed code names the endpoint and the shields.io badge that reads it.
    let code: Value = app
        .get("/api/embed-code/smolvlm-3b")
        .await
        .json()
        .await
        .unwrap();
    let endpoint = "https://badges.example/sub/api/shields/smolvlm-3b.json";
    let shields = "https://img.shields.io/endpoint?url=https%3A%2F%2Fbadges.example%2Fsub%2Fapi%2Fshields%2Fsmolvlm-3b.json";
    assert_eq!(code["shields_endpoint"], endpoint);
    assert_eq!(code["shields_url"], shields);
    assert_eq!(
        code["shields_markdown"],
        format!(
            "[![SmolVLM-3B Ship verdict on ShipOrSkip]({shields})](https://badges.example/sub/api/badge-click/smolvlm-3b)"
        )
    );
    assert_eq!(
        code["card_url"],
        "https://badges.example/sub/api/card/smolvlm-3b.png"
    );
    // And the tool page shows them.
    let html = app.get("/tools/smolvlm-3b").await.text().await.unwrap();
    assert!(html.contains(shields), "{html}");
    assert!(
        html.contains(r#"<img src="/api/card/smolvlm-3b.png""#),
        "{html}"
    );
}
