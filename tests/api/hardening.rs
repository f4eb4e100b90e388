//! Smaller holes, each closed: hidden text controls on HTML pages, a path that is not
//! UTF-8, the admin token in a browser cookie, private counts in caches, the admin
//! token in debug output.

use crate::helpers::*;
use serde_json::Value;

/// Bidi embeddings, overrides and isolates, deprecated format controls, an
/// interlinear annotation and a tag character: each could make a tool's name read as
/// something else, or hide text from the person reading it. (Records with C0/C1
/// controls are refused when written.)
const HIDDEN: &[char] = &[
    '\u{202A}',
    '\u{202B}',
    '\u{202C}',
    '\u{202D}',
    '\u{202E}',
    '\u{2066}',
    '\u{2067}',
    '\u{2068}',
    '\u{2069}',
    '\u{206A}',
    '\u{206F}',
    '\u{FFF9}',
    '\u{E0041}',
];

fn with_hidden(text: &str) -> String {
    let mut out = String::from(text);
    for c in HIDDEN {
        out.push(*c);
        out.push('x');
    }
    out
}

#[tokio::test]
async fn no_html_page_or_embed_code_carries_hidden_text_controls() {
    let app = spawn_app().await;
    let slug = "smolvlm-3b";
    let mut record: Value = app
        .get(&format!("/api/verdicts/{slug}"))
        .await
        .json()
        .await
        .unwrap();
    record["name"] = with_hidden("Smol\u{202E}gnp.exe").into();
    record["tagline"] = with_hidden("tagline").into();
    record["category"] = with_hidden("cat").into();
    record["pricing"] = with_hidden("Free").into();
    let put = app
        .client
        .put(app.url(&format!("/api/verdicts/{slug}")))
        .bearer_auth(ADMIN)
        .json(&record)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    let key = mint_key(&app, slug).await;

    let mut pages = Vec::new();
    for path in [
        "/".to_owned(),
        format!("/tools/{slug}"),
        format!("/embed/{slug}"),
        format!("/embed/{slug}?theme=dark"),
        format!("/stats/{slug}"),
    ] {
        let r = app.get(&path).await;
        pages.push((path, r.text().await.unwrap()));
    }
    let owners = app
        .client
        .get(app.url(&format!("/stats/{slug}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(owners.status(), 200);
    pages.push(("owners' page".into(), owners.text().await.unwrap()));
    let embed: Value = app
        .get(&format!("/api/embed-code/{slug}"))
        .await
        .json()
        .await
        .unwrap();
    pages.push(("embed code".into(), embed.to_string()));

    for (what, body) in &pages {
        assert!(body.contains("Smol"), "{what} shows the name");
        for c in HIDDEN {
            assert!(
                !body.contains(*c) && !body.contains(&format!("&#{};", *c as u32)),
                "{what} carries U+{:04X}",
                *c as u32
            );
        }
    }
    // The record itself keeps what was written: only what is displayed is cleaned.
    let stored: Value = app
        .get(&format!("/api/verdicts/{slug}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["name"], record["name"]);
}

#[tokio::test]
async fn a_badge_path_that_is_not_utf8_answers_an_error_image() {
    let app = spawn_app().await;
    for (path, content_type) in [
        ("/api/badge/%ff", "image/svg+xml"),
        ("/api/badge/%ff.svg", "image/svg+xml"),
        ("/api/badge/%ff%fe.png", "image/png"),
    ] {
        let r = app.get(path).await;
        // 200, as every error image: an <img> (and GitHub's camo) shows only a 200.
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}: {:?}",
            r.headers()["content-type"]
        );
        assert!(r.headers().contains_key("x-verdict-error"), "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        assert!(!r.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_sign_in_form_refuses_the_admin_token_and_sets_no_cookie() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/stats/smolvlm-3b"))
        .header("origin", &app.base)
        .form(&[("key", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());
    assert!(r.text().await.unwrap().contains("That is the admin token"));
    // A stats key still signs in.
    let key = mint_key(&app, "smolvlm-3b").await;
    let ok = app
        .client
        .post(app.url("/stats/smolvlm-3b"))
        .header("origin", &app.base)
        .form(&[("key", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert!(ok.headers().get("set-cookie").is_some());
}

#[tokio::test]
async fn stats_json_and_csv_are_never_kept_by_caches() {
    let app = spawn_app().await;
    let json = app
        .client
        .get(app.url("/api/stats/smolvlm-3b"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 200);
    assert_eq!(json.headers()["cache-control"], "no-store");
    let key = mint_key(&app, "smolvlm-3b").await;
    let csv = app
        .client
        .get(app.url("/stats/smolvlm-3b/export.csv"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["cache-control"], "no-store");
    // Refusals too: a 401 with a body must not be cached either.
    let refused = app.get("/api/stats/smolvlm-3b").await;
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["cache-control"], "no-store");
}

#[test]
fn the_admin_token_never_shows_in_debug_output() {
    let mut config = test_config("sqlite:///tmp/never-opened.db");
    config.admin_token = Some(verdict_badges::auth::SecretString::from(ADMIN));
    let printed = format!("{config:?} {config:#?}");
    assert!(!printed.contains(ADMIN), "{printed}");
    assert!(printed.contains("admin_token"), "the field is still named");
}
