//! The comparison widget, its embed code, and the page that picks the second tool.

use crate::helpers::*;
use serde_json::{Value, json};
use std::time::Duration;

const A: &str = "smolvlm-3b";
const B: &str = "example-prompt-wrapper";
const WAIT: Duration = Duration::from_secs(20);

fn path(a: &str, b: &str) -> String {
    format!("/embed/compare/{a}/{b}")
}

/// Widget impressions of `slug` once `want` have arrived, after a pause in which more would show.
async fn settled_widget_impressions(app: &TestApp, slug: &str, want: i64) -> i64 {
    app.wait_for_total(slug, "widget_impressions", want, WAIT)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.stats(slug).await["totals"]["widget_impressions"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn the_comparison_shows_both_tools_and_counts_one_impression_each() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url(&path(A, B)))
        .header(
            "referer",
            "https://review-roundup.example/best-vision-models",
        )
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
    assert!(header(&r, "etag").starts_with('"'));
    assert!(r.headers().get("set-cookie").is_none());
    let body = r.text().await.unwrap();
    assert!(!body.contains("<script"), "the widget runs no script");
    for text in [
        "SmolVLM-3B",
        "Example Prompt Wrapper",
        // Stamps, with the shares in the badges' words, and the panel splits.
        "SHIP</b>",
        "SKIP</b>",
        "<span>75% ship</span>",
        "<span>25% ship</span>",
        "3 ships · 1 skip",
        "1 ship · 3 skips",
        // Community and pricing.
        "No votes yet",
        "18% ship · 11\u{a0}votes",
        "Free (Apache 2.0 open weights)",
        "$19/month",
        "Verdict by",
    ] {
        assert!(body.contains(text), "missing {text:?}");
    }
    // Each reviewer's score for both tools, role by role.
    for (role, a, b) in [
        ("Builder", "85", "38"),
        ("Skeptic", "78", "30"),
        ("Futurist", "82", "61"),
        ("Founder", "52", "41"),
    ] {
        let row = body
            .split(&format!(r#"<th scope="row" title="{role}">{role}</th>"#))
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .unwrap_or_else(|| panic!("no {role} row"));
        let scores: Vec<&str> = row
            .split(r#"<span class="score">"#)
            .skip(1)
            .map(|s| s.split('<').next().unwrap())
            .collect();
        assert_eq!(scores, [a, b], "{role}");
    }
    // Each name links through its own click route, in a new tab.
    for slug in [A, B] {
        assert!(
            body.contains(&format!(
                r#"href="{}/api/badge-click/{slug}" target="_blank" rel="noopener""#,
                app.base
            )),
            "{slug}"
        );
    }

    for slug in [A, B] {
        assert_eq!(settled_widget_impressions(&app, slug, 1).await, 1, "{slug}");
        let stats = app.stats(slug).await;
        assert_eq!(
            stats["referrers"],
            json!([{ "host": "review-roundup.example", "impressions": 1, "clicks": 0 }]),
            "{slug}: {stats}"
        );
        assert_eq!(stats["totals"]["badge_impressions"], 0);
    }
}

#[tokio::test]
async fn a_missing_score_shows_a_dash_with_the_reviewers_call() {
    let app = spawn_app().await;
    // SmolVLM 2.5's reviewers gave no scores; Mistral Small 3.1 has a Creator, SmolVLM-3B none.
    let body = app
        .get(&path("smolvlm-2-5", "mistral-small-3-1"))
        .await
        .text()
        .await
        .unwrap();
    let builder = body
        .split(r#"<th scope="row" title="Builder">Builder</th>"#)
        .nth(1)
        .unwrap();
    assert!(
        builder
            .trim_start()
            .starts_with(r#"<td title="Builder: —, Ship"><span class="score">—</span>"#),
        "{builder}"
    );
    let founder = body
        .split(r#"<th scope="row" title="Founder">Founder</th>"#)
        .nth(1)
        .unwrap();
    let founder = founder.split("</tr>").next().unwrap();
    assert!(
        founder.contains(r#"<td class="absent">no review</td>"#),
        "{founder}"
    );
    assert!(body.contains(r#"<th scope="row" title="Creator">Creator</th>"#));
}

#[tokio::test]
async fn a_hostile_name_is_escaped_everywhere() {
    let app = spawn_app().await;
    let record = json!({
        "name": "<img src=x onerror=alert(1)>\"'&",
        "tagline": "", "category": "", "verdict": "ship",
        "panel": { "ship": 2, "skip": 0 }, "pricing": "<b>free</b>",
        "reviews": [{ "role": "Builder<script>", "verdict": "ship", "score": 90 }],
        "updated_at": "2026-11-20T09:00:00Z",
    });
    let r = app
        .client
        .put(app.url("/api/verdicts/hostile"))
        .bearer_auth(ADMIN)
        .json(&record)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let body = app.get(&path("hostile", A)).await.text().await.unwrap();
    for raw in ["<img", "<script", "<b>free"] {
        assert!(!body.contains(raw), "{raw} unescaped: {body}");
    }
    assert!(body.contains("&#60;img src=x onerror=alert(1)&#62;&#34;&#39;&#38;"));
    assert!(body.contains("&#60;b&#62;free&#60;/b&#62;"));
    assert!(body.contains("Builder&#60;script&#62;"));

    let code: Value = app
        .get(&format!("/api/embed-code/compare/hostile/{A}"))
        .await
        .json()
        .await
        .unwrap();
    let iframe = code["html_widget"].as_str().unwrap();
    assert!(!iframe.contains("<img"), "{iframe}");
    assert!(iframe.contains(r#"title="&#60;img src=x onerror=alert(1)&#62;&#34;&#39;&#38; vs SmolVLM-3B: ShipOrSkip verdicts""#), "{iframe}");
}

#[tokio::test]
async fn bots_head_and_prefetch_are_not_impressions_of_either_tool() {
    let app = spawn_app().await;
    let url = app.url(&path(A, B));
    let plain = reqwest::Client::new();
    for agent in [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "curl/8.5.0",
    ] {
        let r = plain
            .get(&url)
            .header("user-agent", agent)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "bots are still served");
    }
    let head = app.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    for (name, value) in [("sec-purpose", "prefetch"), ("purpose", "prefetch")] {
        app.client
            .get(&url)
            .header(name, value)
            .send()
            .await
            .unwrap();
    }
    for slug in [A, B] {
        assert_eq!(
            app.wait_for_total(slug, "bot_requests", 6, WAIT).await,
            6,
            "{slug}"
        );
        assert_eq!(
            app.stats(slug).await["totals"]["widget_impressions"],
            0,
            "{slug}"
        );
    }
}

#[tokio::test]
async fn a_repeat_view_revalidates_to_a_304_counted_for_both() {
    let app = spawn_app().await;
    let first = app.get(&path(A, B)).await;
    let etag = header(&first, "etag");
    let again = app
        .client
        .get(app.url(&path(A, B)))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), etag);
    assert!(header(&again, "content-security-policy").contains("frame-ancestors *"));
    for slug in [A, B] {
        assert_eq!(settled_widget_impressions(&app, slug, 2).await, 2, "{slug}");
    }
    // The other order is another page.
    assert_ne!(header(&app.get(&path(B, A)).await, "etag"), etag);
}

#[tokio::test]
async fn the_same_tool_twice_or_an_unknown_one_is_an_error_page_and_not_counted() {
    let app = spawn_app().await;
    for (path, status, says) in [
        (path(A, A), 400, "Pick two different tools"),
        (
            path(A, "no-such-tool"),
            404,
            "no verdict for “no-such-tool”",
        ),
        (
            path("no-such-tool", B),
            404,
            "no verdict for “no-such-tool”",
        ),
        (path(A, "Not_A_Slug"), 404, "“Not_A_Slug” is not a tool"),
        (format!("{}?theme=neon", path(A, B)), 400, "theme=neon"),
    ] {
        let r = app
            .client
            .get(app.url(&path))
            .header("referer", "https://maker.example/")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert!(
            header(&r, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert!(header(&r, "content-security-policy").contains("frame-ancestors *"));
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        let text = r.text().await.unwrap();
        assert!(text.contains(says), "{path}: {text}");
    }
    // A segment's text is escaped on the error page.
    let r = app.get(&path(A, "%3Cb%3Ex")).await;
    assert_eq!(r.status(), 404);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("“&#60;b&#62;x”") && !text.contains("<b>x"),
        "{text}"
    );

    // Only the good load after them is counted.
    app.get(&path(A, B)).await;
    for slug in [A, B] {
        assert_eq!(settled_widget_impressions(&app, slug, 1).await, 1, "{slug}");
        assert_eq!(app.stats(slug).await["totals"]["bot_requests"], 0);
    }
}

#[tokio::test]
async fn the_theme_is_asked_for_or_follows_the_reader() {
    let app = spawn_app().await;
    let html = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("{}{q}", path(A, B)))
                .await
                .text()
                .await
                .unwrap()
        }
    };
    assert!(html("").await.contains(r#"<html lang="en" class="auto">"#));
    let auto = html("?theme=auto").await;
    assert!(auto.contains(r#"<html lang="en" class="auto">"#));
    assert!(auto.contains("@media (prefers-color-scheme: dark)"));
    assert!(
        html("?theme=dark&v=2")
            .await
            .contains(r#"<html lang="en" class="dark">"#)
    );
    assert!(
        html("?theme=light")
            .await
            .contains(r#"<html lang="en" class="light">"#)
    );
}

#[tokio::test]
async fn embed_code_for_a_comparison() {
    let app = spawn_app().await;
    let r = app.get(&format!("/api/embed-code/compare/{A}/{B}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), "*");
    let code: Value = r.json().await.unwrap();
    let iframe = code["html_widget"].as_str().unwrap();
    assert_eq!(
        iframe,
        format!(
            r#"<iframe src="{}/embed/compare/{A}/{B}" title="SmolVLM-3B vs Example Prompt Wrapper: ShipOrSkip verdicts" width="360" height="260" style="border:0;border-radius:16px;max-width:100%;" loading="lazy"></iframe>"#,
            app.base
        )
    );
    // The badges as a pair, for places without iframes, each through its own click route.
    for field in ["html_badge", "markdown", "html_picture"] {
        let text = code[field].as_str().unwrap();
        for slug in [A, B] {
            assert!(
                text.contains(&format!("{}/api/badge-click/{slug}", app.base)),
                "{field}: {text}"
            );
        }
    }

    for (path, status) in [
        (format!("/api/embed-code/compare/{A}/{A}"), 400),
        (format!("/api/embed-code/compare/{A}/Bad_Slug"), 400),
        (format!("/api/embed-code/compare/{A}/no-such-tool"), 404),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), status, "{path}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"].is_string(), "{path}");
    }
    let r: Value = app
        .get(&format!("/api/embed-code/compare/{A}/no-such-tool"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"], "no verdict for no-such-tool");
}

#[tokio::test]
async fn tool_pages_offer_a_comparison_with_every_other_tool() {
    let app = spawn_app().await;
    let page = app.get(&format!("/tools/{A}")).await.text().await.unwrap();
    assert!(page.contains(&format!(
        r#"<form class="chooser" method="get" action="/tools/{A}/compare">"#
    )));
    let options = page.matches("<option value=").count();
    assert_eq!(options, verdict_badges::verdict::demo_verdicts().len() - 1);
    assert!(!page.contains(&format!(r#"<option value="{A}""#)));
    assert!(page.contains(&format!(
        r#"<option value="{B}">Example Prompt Wrapper</option>"#
    )));

    // The form leads to the comparison: previews (not counted) and the snippet.
    let r = app.get(&format!("/tools/{A}/compare?with={B}")).await;
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-security-policy").contains("frame-src 'self'"));
    let page = r.text().await.unwrap();
    assert!(page.contains("SmolVLM-3B vs Example Prompt Wrapper"));
    assert!(page.contains(&format!(
        r#"<iframe src="/embed/compare/{A}/{B}?theme=dark""#
    )));
    assert!(page.contains(&format!(r#"<option value="{B}" selected>"#)));
    assert!(page.contains("&#60;iframe src=&#34;"));
    assert!(page.contains(&format!(r#"href="/api/embed-code/compare/{A}/{B}""#)));

    // Without a choice: the chooser alone.
    let r = app.get(&format!("/tools/{A}/compare")).await;
    assert_eq!(r.status(), 200);
    assert!(!r.text().await.unwrap().contains("<iframe"));

    for (query, status) in [
        (format!("with={A}"), 400),
        ("with=Bad_Slug".to_owned(), 400),
        ("with=no-such-tool".to_owned(), 404),
    ] {
        let r = app.get(&format!("/tools/{A}/compare?{query}")).await;
        assert_eq!(r.status(), status, "{query}");
        assert!(header(&r, "content-type").starts_with("text/html"));
    }
    assert_eq!(
        app.get(&format!("/tools/no-such-tool/compare?with={A}"))
            .await
            .status(),
        404
    );

    // A preview framed by the service's own page is nobody's impression.
    app.client
        .get(app.url(&path(A, B)))
        .header("referer", app.url(&format!("/tools/{A}/compare?with={B}")))
        .send()
        .await
        .unwrap();
    app.get(&path(A, B)).await;
    assert_eq!(settled_widget_impressions(&app, A, 1).await, 1);
}

#[tokio::test]
async fn the_chooser_stays_bounded_with_many_tools() {
    let app = spawn_app().await;
    let template = |i: usize| {
        json!({
            "name": format!("Bulk {i:03}"), "tagline": "",
            "category": "", "verdict": "ship", "panel": { "ship": 1, "skip": 0 },
            "pricing": "", "reviews": [], "updated_at": "2026-11-20T09:00:00Z",
        })
    };
    for i in 0..210 {
        let r = app
            .client
            .put(app.url(&format!("/api/verdicts/bulk-{i:03}")))
            .bearer_auth(ADMIN)
            .json(&template(i))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    let page = app.get(&format!("/tools/{A}")).await.text().await.unwrap();
    assert_eq!(page.matches("<option value=").count(), 200);
    // By name: the bulk tools come first, the sample tools past the cut.
    assert!(page.contains(r#"<option value="bulk-000">"#));
    assert!(!page.contains(&format!(r#"<option value="{B}">"#)));
    let others = 210 + verdict_badges::verdict::demo_verdicts().len() - 1;
    assert!(
        page.contains(&format!(
            "the first 200 of the {others} other tools by name"
        )),
        "{page}"
    );
}
