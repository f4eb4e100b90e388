//! The iframe widget, the tool pages with their embed code, and the owners' stats page and CSV.

use crate::helpers::*;
use std::time::Duration;
use verdict_badges::auth;

const SLUG: &str = "smolvlm-3b";

#[tokio::test]
async fn the_widget_shows_the_verdict_and_counts_one_impression() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url(&format!("/embed/{SLUG}")))
        .header("referer", "https://maker.example/launch")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("text/html"));
    let csp = header(&r, "content-security-policy");
    for part in [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "frame-ancestors *",
        "base-uri 'none'",
        "form-action 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(
        header(&r, "cache-control"),
        "no-cache, max-age=0, must-revalidate"
    );
    let etag = header(&r, "etag");
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag:?}");
    assert!(r.headers().get("set-cookie").is_none());
    assert!(r.headers().get("x-frame-options").is_none());
    let body = r.text().await.unwrap();
    assert!(!body.contains("<script"), "the widget runs no script");
    for text in [
        "SmolVLM-3B",
        "No community votes yet",
        "Read the full review",
        "Builder",
        "Skeptic",
        "target=\"_blank\" rel=\"noopener\"",
    ] {
        assert!(body.contains(text), "missing {text:?}");
    }
    assert!(body.contains(&format!("{}/api/badge-click/{SLUG}", app.base)));

    let n = app
        .wait_for_total(SLUG, "widget_impressions", 1, Duration::from_secs(20))
        .await;
    assert_eq!(n, 1);
    let stats = app.stats(SLUG).await;
    assert_eq!(stats["referrers"][0]["host"], "maker.example");
    assert_eq!(stats["totals"]["badge_impressions"], 0);
}

#[tokio::test]
async fn a_repeat_widget_view_revalidates_to_a_304_and_is_still_counted() {
    let app = spawn_app().await;
    let path = format!("/embed/{SLUG}");
    let first = app.get(&path).await;
    let etag = header(&first, "etag");
    let again = app
        .client
        .get(app.url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), etag);
    assert_eq!(
        header(&again, "cache-control"),
        "no-cache, max-age=0, must-revalidate"
    );
    assert!(header(&again, "content-security-policy").contains("frame-ancestors *"));
    let n = app
        .wait_for_total(SLUG, "widget_impressions", 2, Duration::from_secs(20))
        .await;
    assert_eq!(n, 2, "the 304 is counted like the first view");
    // Another theme is another page, with its own validator.
    let dark = app.get(&format!("{path}?theme=dark")).await;
    assert_ne!(header(&dark, "etag"), etag);
}

#[tokio::test]
async fn widget_themes_and_mistakes() {
    let app = spawn_app().await;
    let dark = app
        .get(&format!("/embed/{SLUG}?theme=dark&v=3"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dark.contains(r#"class="dark""#));
    // Without a theme the widget follows the reader's colour scheme.
    let auto = app
        .get(&format!("/embed/{SLUG}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(auto.contains(r#"<html lang="en" class="auto">"#));
    assert!(auto.contains("@media (prefers-color-scheme: dark)"));
    let light = app
        .get(&format!("/embed/{SLUG}?theme=light"))
        .await
        .text()
        .await
        .unwrap();
    assert!(light.contains(r#"<html lang="en" class="light">"#));

    let bad = app.get(&format!("/embed/{SLUG}?theme=neon")).await;
    assert_eq!(bad.status(), 400);
    assert!(header(&bad, "content-type").starts_with("text/html"));
    assert_eq!(header(&bad, "cache-control"), "no-store");
    let text = bad.text().await.unwrap();
    assert!(
        text.contains("theme=neon") && text.contains("light, dark or auto"),
        "{text}"
    );

    for path in ["/embed/no-such-tool", "/embed/Not_A_Slug"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(header(&r, "content-type").starts_with("text/html"));
        assert!(header(&r, "content-security-policy").contains("frame-ancestors *"));
    }
    // Three good loads counted; the bad theme and the unknown tools were not.
    let n = app
        .wait_for_total(SLUG, "widget_impressions", 3, Duration::from_secs(20))
        .await;
    assert_eq!(n, 3);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.stats(SLUG).await["totals"]["widget_impressions"], 3);
}

#[tokio::test]
async fn widget_previews_on_the_tool_page_are_not_counted() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url(&format!("/embed/{SLUG}")))
        .header("referer", app.url(&format!("/tools/{SLUG}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A reader's load after it is the only one counted.
    app.get(&format!("/embed/{SLUG}")).await;
    let n = app
        .wait_for_total(SLUG, "widget_impressions", 1, Duration::from_secs(20))
        .await;
    assert_eq!(n, 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.stats(SLUG).await["totals"]["widget_impressions"], 1);
}

#[tokio::test]
async fn embed_code_has_a_picture_that_follows_the_colour_scheme() {
    let app = spawn_app().await;
    let code: serde_json::Value = app
        .get(&format!("/api/embed-code/{SLUG}"))
        .await
        .json()
        .await
        .unwrap();
    for field in ["html_badge", "html_widget", "markdown", "html_picture"] {
        assert!(code[field].is_string(), "{field}");
    }
    let picture = code["html_picture"].as_str().unwrap();
    let badge = format!("{}/api/badge/{SLUG}", app.base);
    assert!(picture.contains(&format!(
        r#"<source media="(prefers-color-scheme: dark)" srcset="{badge}?theme=dark" />"#
    )));
    assert!(picture.contains(&format!(r#"<img src="{badge}" "#)));
    assert!(picture.contains(&format!("{}/api/badge-click/{SLUG}", app.base)));
    // The plain snippets use the SVG that switches by itself.
    let html = code["html_badge"].as_str().unwrap();
    assert!(
        html.contains(&format!(r#"<img src="{badge}?theme=auto" "#)),
        "{html}"
    );
    let markdown = code["markdown"].as_str().unwrap();
    assert!(
        markdown.contains(&format!("({badge}?theme=auto)")),
        "{markdown}"
    );
}

#[tokio::test]
async fn the_widget_says_the_share_one_way_and_marks_the_verdict_by_shape() {
    let app = spawn_app().await;
    for (slug, share, strokes) in [
        ("smolvlm-3b", "75% ship", 1),
        ("example-prompt-wrapper", "25% ship", 2),
    ] {
        let html = app
            .get(&format!("/embed/{slug}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!("<span>{share}</span>")),
            "{slug}: {html}"
        );
        // The stamp's ✓ is one stroke, the ✗ two: the same paths as the card badge.
        let seal = html.split(r#"<svg class="seal""#).nth(1).expect("a seal");
        let d = seal
            .split(r#"<path d=""#)
            .nth(1)
            .and_then(|p| p.split('"').next())
            .unwrap();
        assert_eq!(d.matches('M').count(), strokes, "{slug}: {d}");
        // The credit keeps its place at every width: no rule hides it.
        assert!(html.contains(r#"<span class="brand">Verdict by <svg class="logo""#));
        assert!(!html.contains(".brand { display: none"));
    }
}

#[tokio::test]
async fn tool_pages_show_every_variant_and_snippet() {
    let app = spawn_app().await;
    let index = app.get("/").await.text().await.unwrap();
    assert!(index.contains(&format!(r#"href="/tools/{SLUG}""#)));

    let r = app.get(&format!("/tools/{SLUG}")).await;
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-security-policy").contains("frame-src 'self'"));
    let page = r.text().await.unwrap();
    for query in [
        "",
        "?theme=dark",
        "?style=compact",
        "?style=compact&#38;theme=dark",
    ] {
        for ext in ["", ".png"] {
            let preview = format!(r#"src="/api/badge/{SLUG}{ext}{query}""#);
            assert!(page.contains(&preview), "missing {preview}");
        }
    }
    assert!(page.contains(&format!(r#"<iframe src="/embed/{SLUG}?theme=dark""#)));
    // Snippets are shown as text, escaped once.
    assert!(
        page.contains("&#60;picture&#62;&#60;source media=&#34;(prefers-color-scheme: dark)&#34;")
    );
    assert!(page.contains("&#60;iframe src=&#34;"));
    assert!(page.contains(&format!(
        "[![SmolVLM-3B Ship verdict on ShipOrSkip]({}",
        app.base
    )));
    assert!(page.contains(&format!(r#"href="/stats/{SLUG}""#)));

    let missing = app.get("/tools/no-such-tool").await;
    assert_eq!(missing.status(), 404);
}

fn cookie_of(r: &reqwest::Response) -> String {
    let set = header(r, "set-cookie");
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn owners_sign_in_with_their_key_and_read_their_stats() {
    let app = spawn_app().await;
    let key = mint_key(&app, SLUG).await;
    let other = mint_key(&app, "mistral-small-3-1").await;
    let page = app.url(&format!("/stats/{SLUG}"));

    let r = app.get(&format!("/stats/{SLUG}")).await;
    assert_eq!(r.status(), 401);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let form = r.text().await.unwrap();
    assert!(form.contains(&format!(r#"action="/stats/{SLUG}""#)) && form.contains(r#"name="key""#));

    // Counts to show: one widget load from a maker's site.
    app.client
        .get(app.url(&format!("/embed/{SLUG}")))
        .header("referer", "https://maker.example/")
        .send()
        .await
        .unwrap();
    app.wait_for_total(SLUG, "widget_impressions", 1, Duration::from_secs(20))
        .await;

    let post = |key: String, origin: &'static str| {
        app.client
            .post(&page)
            .header(
                "origin",
                if origin.is_empty() {
                    app.base.as_str()
                } else {
                    origin
                },
            )
            .header(
                "sec-fetch-site",
                if origin.is_empty() {
                    "same-origin"
                } else {
                    "cross-site"
                },
            )
            .form(&[("key", key)])
            .send()
    };
    // Another tool's key: 403; a wrong key: 401; a cross-site post: refused, no cookie.
    let r = post(other.clone(), "").await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());
    let r = post(auth::new_stats_key(), "").await.unwrap();
    assert_eq!(r.status(), 401);
    let r = post(key.clone(), "https://evil.example").await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());
    let r = app
        .client
        .post(&page)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("key={}", "x".repeat(10_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    let r = post(key.clone(), "").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(header(&r, "location"), format!("/stats/{SLUG}"));
    let set = header(&r, "set-cookie");
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        &format!("Path=/stats/{SLUG}"),
    ] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    let cookie = cookie_of(&r);

    let r = app
        .client
        .get(&page)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let html = r.text().await.unwrap();
    assert!(html.contains("<figure class=\"chart\""), "an inline chart");
    assert!(!html.contains("<script"));
    // Hosts may wrap only at their dots.
    assert!(html.contains("maker.<wbr>example"), "{html}");
    assert!(html.contains("Click-through rate"));
    assert!(html.contains("Sign out"));

    // The bearer header works too; another tool's key is 403 there as well.
    let r = app
        .client
        .get(&page)
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .get(&page)
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The page's CSV export rides on the cookie.
    let r = app
        .client
        .get(app.url(&format!("/stats/{SLUG}/export.csv?days=3")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap().lines().count(), 4);

    // Signing out clears the cookie.
    let r = app
        .client
        .post(app.url(&format!("/stats/{SLUG}/sign-out")))
        .header("cookie", &cookie)
        .header("origin", app.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(header(&r, "set-cookie").contains("Max-Age=0"));
}

#[tokio::test]
async fn stats_export_as_csv_with_the_same_rules() {
    let app = spawn_app().await;
    let key = mint_key(&app, SLUG).await;
    app.get(&format!("/embed/{SLUG}")).await;
    app.wait_for_total(SLUG, "widget_impressions", 1, Duration::from_secs(20))
        .await;

    let path = app.url(&format!("/api/stats/{SLUG}.csv?days=7"));
    assert_eq!(app.client.get(&path).send().await.unwrap().status(), 401);
    let other = mint_key(&app, "mistral-small-3-1").await;
    let r = app
        .client
        .get(&path)
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let r = app
        .client
        .get(&path)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("text/csv"));
    let disposition = header(&r, "content-disposition");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,badge_impressions,widget_impressions,clicks");
    assert_eq!(lines.len(), 8, "{csv}");
    let today = lines.last().unwrap();
    assert!(today.ends_with(",0,1,0"), "{today}");

    // The JSON route is unchanged.
    let json = app.stats(SLUG).await;
    assert_eq!(json["slug"], SLUG);
    assert_eq!(json["totals"]["widget_impressions"], 1);
    let r = app
        .client
        .get(app.url(&format!("/api/stats/{SLUG}.csv?days=0")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
