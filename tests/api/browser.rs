//! Real-browser tests: headless Chromium driven through chromedriver (WebDriver).
//!
//! Three servers take part: the badge service on `127.0.0.1`, a "third-party site"
//! that embeds the service's snippets, reached as `localhost` (another origin, and a
//! referrer host of its own), and a stand-in review site that clicks land on.
//!
//! They run when the tests are built with `VERDICT_BADGES_TEST_BROWSER=1` (CI sets it),
//! and a missing Chromium or chromedriver then fails them; otherwise `cargo test` lists
//! them as ignored, with that reason. `VERDICT_BADGES_CHROMIUM` and
//! `VERDICT_BADGES_CHROMEDRIVER` override the binaries' paths (defaults
//! `/usr/bin/chromium`, `/usr/bin/chromedriver`). Screenshots go to the temporary
//! directory (`verdict-badges-*.png`); `VERDICT_BADGES_SAVE_SCREENSHOTS=1` writes the
//! third-party page's to `docs/browser-test.png` instead.

use crate::helpers::*;
use axum::Router;
use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use verdict_badges::config::ReviewUrl;
use verdict_badges::counts::{CountRow, Kind};
use verdict_badges::verdict::Slug;

const SLUG: &str = "smolvlm-3b";
/// An ordinary desktop Chrome: headless Chrome's own User-Agent says "HeadlessChrome",
/// which the counting rules treat as a crawler.
const DESKTOP_CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/// Share of pixels allowed to differ between Chromium's SVG and the service's PNG.
const MAX_DIFFERING_SHARE: f64 = 0.02;
/// A channel difference above this (of 255) makes a pixel count as differing.
const CHANNEL_TOLERANCE: u8 = 48;

/// A running chromedriver with one Chromium session; both end when it drops.
struct Browser {
    client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

fn binary(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// Fails a browser test that was asked for (`VERDICT_BADGES_TEST_BROWSER=1`) but cannot run.
fn skip(test: &str, why: &str) {
    panic!(
        "{test}: VERDICT_BADGES_TEST_BROWSER=1 but {why} \
         (install Debian's chromium and chromium-driver)"
    );
}

/// The screenshot the README shows; the others are for looking at while developing.
const DOCS_SCREENSHOT: &str = "browser-test.png";

/// Where a screenshot goes: `docs/browser-test.png` when asked to save it, else the temporary directory.
fn screenshot_path(name: &str) -> PathBuf {
    if name == DOCS_SCREENSHOT
        && std::env::var("VERDICT_BADGES_SAVE_SCREENSHOTS").is_ok_and(|v| v == "1")
    {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join(name)
    } else {
        std::env::temp_dir().join(format!("verdict-badges-{name}"))
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a `width`×`height` viewport,
    /// or `None` (after saying so) when they are not installed.
    async fn launch(test: &str, width: u32, height: u32) -> Option<Browser> {
        let chromium = binary("VERDICT_BADGES_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = binary("VERDICT_BADGES_CHROMEDRIVER", "/usr/bin/chromedriver");
        for (what, path) in [("Chromium", &chromium), ("chromedriver", &chromedriver)] {
            if !path.exists() {
                skip(test, &format!("{what} is not at {}", path.display()));
                return None;
            }
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--force-device-scale-factor=1".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--user-agent={DESKTOP_CHROME}"),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": args }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&webdriver)
                    .await;
            match attempt {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => {
                    skip(test, &format!("Chromium did not start: {e}"));
                    return None;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let browser = Browser {
            client,
            _driver: driver,
            _profile: profile,
        };
        browser.resize(width, height).await;
        Some(browser)
    }

    /// Sets the viewport (not the window) to `width`×`height` CSS pixels.
    async fn resize(&self, width: u32, height: u32) {
        for _ in 0..3 {
            let (w, h) = self.viewport().await;
            if (w, h) == (width, height) {
                return;
            }
            let (ww, wh) = self.client.get_window_size().await.unwrap();
            let ww = (ww as i64 + i64::from(width) - w as i64).max(1) as u32;
            let wh = (wh as i64 + i64::from(height) - h as i64).max(1) as u32;
            self.client.set_window_size(ww, wh).await.unwrap();
        }
        assert_eq!(self.viewport().await, (width, height), "viewport size");
    }

    async fn viewport(&self) -> (u32, u32) {
        let v = self
            .js("return [window.innerWidth, window.innerHeight]")
            .await;
        (v[0].as_u64().unwrap() as u32, v[1].as_u64().unwrap() as u32)
    }

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Polls `script` until it returns `true`.
    async fn wait_until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.js(script).await == json!(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Makes pages see `prefers-color-scheme: scheme` ("light" or "dark"), as if the
    /// reader's system were set so, through chromedriver's Chrome DevTools passthrough.
    async fn prefer_scheme(&self, scheme: &str) {
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setEmulatedMedia",
                params: json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
            })
            .await
            .unwrap();
        let matches = self
            .js(&format!(
                "return matchMedia('(prefers-color-scheme: {scheme})').matches"
            ))
            .await;
        assert_eq!(matches, json!(true), "emulating {scheme}");
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let path = screenshot_path(name);
        std::fs::write(&path, png).unwrap();
        path
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A Chrome DevTools Protocol command, sent through chromedriver's
/// `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or("")
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Serves `router` on a free loopback port.
async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// The stand-in review site: `/tool/{slug}` answers a page naming the tool.
async fn review_site() -> SocketAddr {
    serve(Router::new().route(
        "/tool/{slug}",
        get(|Path(slug): Path<String>| async move {
            let slug: String = slug
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            Html(format!(
                "<!doctype html><title>Review of {slug}</title><h1 id=\"review\">Full review: {slug}</h1>"
            ))
        }),
    ))
    .await
}

/// A tool maker's page, embedding the snippets as they are pasted.
fn maker_page(badge: &str, widget: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SmolVLM-3B: tiny vision-language model</title>
<style>
  body {{ margin: 0; font: 16px/1.5 "DejaVu Sans", sans-serif; color: #1f2328; background: #f6f8fa; }}
  header {{ padding: 18px 32px; background: #24292f; color: #fff; font-weight: 700; font-size: 18px; }}
  main {{ max-width: 880px; margin: 0 auto; padding: 28px 32px; }}
  h1 {{ margin: 0 0 6px; font-size: 28px; }}
  p {{ margin: 0 0 22px; color: #57606a; }}
  h2 {{ font-size: 15px; text-transform: uppercase; letter-spacing: .06em; color: #57606a; margin: 26px 0 10px; }}
</style></head>
<body><header>smolvlm.example · a third-party site</header>
<main>
<h1>SmolVLM-3B</h1>
<p>A small vision-language model for your laptop. Here is what the ShipOrSkip panel said:</p>
<h2>Badge</h2>
{badge}
<h2>Widget</h2>
{widget}
</main></body></html>"#
    )
}

#[tokio::test]
#[cfg_attr(
    not(vb_browser),
    ignore = "set VERDICT_BADGES_TEST_BROWSER=1 to run in Chromium (needs chromium and chromium-driver)"
)]
async fn a_third_party_page_embeds_the_badge_and_widget_and_counts_them() {
    let test = "browser::a_third_party_page_embeds_the_badge_and_widget_and_counts_them";
    let Some(browser) = Browser::launch(test, 1000, 700).await else {
        return;
    };
    let review = review_site().await;
    let mut app = spawn_app_with(|c| {
        c.review_url =
            ReviewUrl::parse(&format!("http://127.0.0.1:{}/tool/{{slug}}", review.port())).unwrap();
    })
    .await;
    assert!(app.base.starts_with("http://127.0.0.1:"));

    let code: Value = app
        .get(&format!("/api/embed-code/{SLUG}"))
        .await
        .json()
        .await
        .unwrap();
    let page = maker_page(
        code["html_badge"].as_str().unwrap(),
        code["html_widget"].as_str().unwrap(),
    );
    let maker = serve(Router::new().route("/", get(move || async move { Html(page) }))).await;
    // `localhost`, not 127.0.0.1: another origin than the badge service.
    let maker_url = format!("http://localhost:{}/", maker.port());

    browser.client.goto(&maker_url).await.unwrap();
    browser
        .wait_until(
            "the badge image",
            "const i = document.querySelector('a > img'); return i.complete && i.naturalWidth > 0",
        )
        .await;
    let natural = browser
        .js("return document.querySelector('a > img').naturalWidth")
        .await;
    assert_eq!(natural, json!(360), "the SVG badge loaded at its size");

    browser.client.enter_frame(0).await.unwrap();
    let name = browser
        .client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(name, "SmolVLM-3B");
    browser.client.enter_parent_frame().await.unwrap();
    let shot = browser.screenshot(DOCS_SCREENSHOT).await;
    eprintln!("screenshot of the third-party page: {}", shot.display());

    // A reader clicks the badge: a new tab, through the click route, to the review.
    let before = browser.client.windows().await.unwrap();
    browser
        .client
        .find(Locator::Css("a > img"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let tab = loop {
        let now = browser.client.windows().await.unwrap();
        if let Some(w) = now.into_iter().find(|w| !before.contains(w)) {
            break w;
        }
        assert!(Instant::now() < deadline, "the badge opened no tab");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    browser.client.switch_to_window(tab).await.unwrap();
    let review_page = format!("http://127.0.0.1:{}/tool/{SLUG}", review.port());
    browser
        .wait_until(
            "the review page",
            &format!(
                "return location.href === {} && document.readyState === 'complete'",
                json!(review_page)
            ),
        )
        .await;
    let heading = browser
        .client
        .find(Locator::Id("review"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(heading.contains(SLUG), "{heading}");
    browser.client.close_window().await.unwrap();
    browser
        .client
        .switch_to_window(before[0].clone())
        .await
        .unwrap();

    // One of each, all from the maker's site.
    for field in ["badge_impressions", "widget_impressions", "clicks"] {
        app.wait_for_total(SLUG, field, 1, Duration::from_secs(10))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = app.stats(SLUG).await;
    assert_eq!(stats["totals"]["badge_impressions"], 1, "{stats}");
    assert_eq!(stats["totals"]["widget_impressions"], 1, "{stats}");
    assert_eq!(stats["totals"]["clicks"], 1, "{stats}");
    assert_eq!(stats["totals"]["bot_requests"], 0, "{stats}");
    assert_eq!(
        stats["referrers"],
        json!([{ "host": "localhost", "impressions": 2, "clicks": 1 }]),
        "{stats}"
    );

    // The widget alone, at its size and narrower, light and dark: no scrollbar,
    // for the sample tool and for one with everything at its longest.
    let longest = json!({
        "name": "An Extraordinarily Long Tool Name That Goes On And On Past Any Sensible Width Whatsoever",
        "tagline": "W".repeat(200),
        "category": "Developer Tools And Much More Than That, Honestly",
        "verdict": "skip",
        "panel": { "ship": 50, "skip": 50 },
        "community": { "ship": 50, "skip": 49 },
        "pricing": "M".repeat(120),
        "reviews": (0..10).map(|i| json!({
            "role": format!("Reviewer{i}WithAVeryLongRole"),
            "verdict": if i % 2 == 0 { "ship" } else { "skip" },
            "score": 100,
        })).collect::<Vec<_>>(),
        "updated_at": "2026-11-20T09:00:00Z",
    });
    let r = app
        .client
        .put(app.url("/api/verdicts/longest-everything"))
        .bearer_auth(ADMIN)
        .json(&longest)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    // Names that must show whole, at every width: only the longest may be cut.
    let whole = ["SmolVLM-3B", "Example Prompt Wrapper"];
    for (width, slug, theme) in [
        (360, SLUG, "light"),
        (360, SLUG, "dark"),
        (360, "longest-everything", "light"),
        (360, "example-prompt-wrapper", "dark"),
        (280, SLUG, "light"),
        (280, SLUG, "dark"),
        (280, "example-prompt-wrapper", "light"),
        (280, "example-prompt-wrapper", "auto"),
        (280, "longest-everything", "dark"),
    ] {
        browser.resize(width, 260).await;
        browser
            .client
            .goto(&app.url(&format!("/embed/{slug}?theme={theme}")))
            .await
            .unwrap();
        let m = browser
            .js(r#"const e = document.scrollingElement, h = document.querySelector('h1'), b = document.querySelector('.brand').getBoundingClientRect();
                   return [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight, document.querySelector('.foot').getBoundingClientRect().bottom,
                           b.width, b.right, h.scrollHeight, h.clientHeight, h.scrollWidth, h.clientWidth, h.textContent]"#)
            .await;
        let n = |i: usize| m[i].as_f64().unwrap();
        eprintln!(
            "widget {slug} {width}px {theme}: scroll {}×{}, client {}×{}",
            n(0),
            n(2),
            n(1),
            n(3)
        );
        let case = format!("{slug} {theme} at {width}px");
        assert_eq!(n(1), f64::from(width), "{case}");
        assert!(n(0) <= n(1), "{case} scrolls sideways: {m}");
        assert!(n(2) <= n(3), "{case} scrolls down: {m}");
        assert!(n(4) <= 260.0, "{case}: the footer is cut off: {m}");
        assert!(
            n(5) > 60.0 && n(6) <= f64::from(width),
            "{case}: the \"Verdict by ShipOrSkip\" credit is hidden or cut: {m}"
        );
        if whole.contains(&m[11].as_str().unwrap()) {
            assert!(
                n(7) <= n(8) + 2.0 && n(9) <= n(10),
                "{case}: the name is cut: {m}"
            );
        }
        browser
            .screenshot(&format!("widget-{slug}-{theme}-{width}.png"))
            .await;
    }

    // Without a theme the widget follows the reader's colour scheme.
    browser.resize(360, 260).await;
    for (scheme, background) in [("dark", "rgb(22, 27, 34)"), ("light", "rgb(255, 255, 255)")] {
        browser.prefer_scheme(scheme).await;
        browser
            .client
            .goto(&app.url(&format!("/embed/{SLUG}")))
            .await
            .unwrap();
        let bg = browser
            .js("return getComputedStyle(document.body).backgroundColor")
            .await;
        assert_eq!(bg, json!(background), "the default widget under {scheme}");
        browser
            .screenshot(&format!("widget-{SLUG}-default-{scheme}.png"))
            .await;
    }
    browser.close().await;
    app.stop().await;
}

/// RGBA pixels of a PNG, composited over `background`.
fn decode_over(bytes: &[u8], background: [u8; 3]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| {
            let (rgb, a) = match channels {
                1 => ([p[0]; 3], 255),
                2 => ([p[0]; 3], p[1]),
                3 => ([p[0], p[1], p[2]], 255),
                _ => ([p[0], p[1], p[2]], p[3]),
            };
            let mix = |c: u8, b: u8| {
                ((u16::from(c) * u16::from(a) + u16::from(b) * (255 - u16::from(a)) + 127) / 255)
                    as u8
            };
            [
                mix(rgb[0], background[0]),
                mix(rgb[1], background[1]),
                mix(rgb[2], background[2]),
            ]
        })
        .collect();
    (info.width, info.height, pixels)
}

/// Names whose badges Chromium must draw like the PNG, with their verdicts. Add a name
/// here to hold its script to the same bound (its glyphs must be in the bundled fonts
/// and in a font the browser has).
const FIDELITY_NAMES: &[(&str, &str)] = &[
    ("SmolVLM-3B", "ship"),
    ("Example Prompt Wrapper", "skip"),
    (
        "Mistral 8x22B Instruct v2 Open Source (Apache 2.0 weights)",
        "ship",
    ),
];

/// The themes compared: (`theme` asked for, the reader's scheme, the PNG's theme).
/// `auto` must look like light for a reader in light mode and like dark in dark mode.
const FIDELITY_THEMES: [(&str, &str, &str); 4] = [
    ("light", "light", "light"),
    ("dark", "light", "dark"),
    ("auto", "light", "light"),
    ("auto", "dark", "dark"),
];

#[tokio::test]
#[cfg_attr(
    not(vb_browser),
    ignore = "set VERDICT_BADGES_TEST_BROWSER=1 to run in Chromium (needs chromium and chromium-driver)"
)]
async fn chromium_draws_the_svg_badge_like_the_png() {
    let test = "browser::chromium_draws_the_svg_badge_like_the_png";
    let Some(browser) = Browser::launch(test, 480, 240).await else {
        return;
    };
    let mut app = spawn_app().await;
    for (i, (name, verdict)) in FIDELITY_NAMES.iter().enumerate() {
        let (ship, skip) = if *verdict == "ship" { (3, 1) } else { (1, 3) };
        let record = json!({
            "name": name, "tagline": "", "category": "", "verdict": verdict,
            "panel": { "ship": ship, "skip": skip }, "pricing": "", "reviews": [],
            "updated_at": "2026-11-20T09:00:00Z",
        });
        let r = app
            .client
            .put(app.url(&format!("/api/verdicts/fidelity-{i}")))
            .bearer_auth(ADMIN)
            .json(&record)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    // A page with nothing but the badge, on a site of its own. The reader's scheme is
    // in the image URL too, so Chromium never reuses an image drawn under the other.
    let badges = app.url("/api/badge/");
    let site = serve(Router::new().route(
        "/{file}",
        get(move |Path(file): Path<String>, axum::extract::RawQuery(query): axum::extract::RawQuery| {
            let src = format!("{badges}{file}?{}", query.unwrap_or_default());
            async move {
                let src = askama::filters::escape(&src, askama::filters::Html).unwrap().to_string();
                Html(format!(
                    r#"<!doctype html><html><body style="margin:0;background:#ffffff"><img id="b" src="{src}" style="display:block"></body></html>"#
                ))
            }
        }),
    ))
    .await;
    let mut worst: f64 = 0.0;
    for (i, (name, _)) in FIDELITY_NAMES.iter().enumerate() {
        for style in ["card", "compact"] {
            for (theme, scheme, png_theme) in FIDELITY_THEMES {
                browser.prefer_scheme(scheme).await;
                let query = format!("style={style}&theme={theme}&reader={scheme}");
                let page = format!("http://localhost:{}/fidelity-{i}.svg?{query}", site.port());
                browser.client.goto(&page).await.unwrap();
                browser
                    .wait_until(
                        "the SVG badge",
                        "const i = document.getElementById('b'); return i.complete && i.naturalWidth > 0",
                    )
                    .await;
                let shot = browser
                    .client
                    .find(Locator::Id("b"))
                    .await
                    .unwrap()
                    .screenshot()
                    .await
                    .unwrap();
                let stem = format!("fidelity-{i}-{style}-{theme}-{scheme}");
                std::fs::write(screenshot_path(&format!("{stem}-svg.png")), &shot).unwrap();
                let png = app
                    .get(&format!(
                        "/api/badge/fidelity-{i}.png?scale=1&style={style}&theme={png_theme}"
                    ))
                    .await
                    .bytes()
                    .await
                    .unwrap();
                std::fs::write(screenshot_path(&format!("{stem}-png.png")), &png).unwrap();

                let white = [255, 255, 255];
                let (sw, sh, chromium) = decode_over(&shot, white);
                let (pw, ph, ours) = decode_over(&png, white);
                let case = format!("{name:?} {style} theme={theme} for a {scheme} reader");
                assert_eq!((sw, sh), (pw, ph), "{case}: Chromium's size vs the PNG's");
                if style == "card" {
                    assert_eq!((pw, ph), (360, 90), "{case}");
                }
                let differing = chromium
                    .iter()
                    .zip(&ours)
                    .filter(|(a, b)| (0..3).any(|c| a[c].abs_diff(b[c]) > CHANNEL_TOLERANCE))
                    .count();
                let share = differing as f64 / chromium.len() as f64;
                worst = worst.max(share);
                eprintln!(
                    "fidelity {case}: {differing} of {} pixels differ by more than {CHANNEL_TOLERANCE}/255 in a channel ({:.2}%)",
                    chromium.len(),
                    share * 100.0
                );
                assert!(
                    share < MAX_DIFFERING_SHARE,
                    "{case}: the PNG drifted from Chromium's SVG rendering: {:.2}% of pixels differ",
                    share * 100.0
                );
            }
        }
    }
    eprintln!("fidelity: at most {:.2}% of pixels differ", worst * 100.0);

    // A page that declares its own colour scheme decides for the auto badge, whatever
    // the reader's system prefers (Media Queries 5: an SVG image's prefers-color-scheme
    // is the used color-scheme of the element that embeds it).
    let auto = app.url("/api/badge/fidelity-0.svg?theme=auto");
    let declared = serve(Router::new().route(
        "/{scheme}",
        get(move |Path(scheme): Path<String>| {
            let auto = auto.clone();
            async move {
                let scheme = if scheme == "dark" { "dark" } else { "light" };
                Html(format!(
                    r#"<!doctype html><body style="margin:0"><div style="color-scheme: {scheme}"><img id="b" src="{auto}&amp;page={scheme}" style="display:block"></div></body>"#
                ))
            }
        }),
    ))
    .await;
    for (reader, page, card_bg) in [
        ("light", "dark", [0x16, 0x1b, 0x22]),
        ("dark", "light", [0xff, 0xff, 0xff]),
    ] {
        browser.prefer_scheme(reader).await;
        browser
            .client
            .goto(&format!("http://localhost:{}/{page}", declared.port()))
            .await
            .unwrap();
        browser
            .wait_until(
                "the auto badge",
                "const i = document.getElementById('b'); return i.complete && i.naturalWidth > 0",
            )
            .await;
        let shot = browser
            .client
            .find(Locator::Id("b"))
            .await
            .unwrap()
            .screenshot()
            .await
            .unwrap();
        let (w, _, pixels) = decode_over(&shot, [0, 0, 0]);
        // Inside the card, right of the stamp, above the text.
        let inside = pixels[(6 * w + 340) as usize];
        assert_eq!(inside, card_bg, "a {page} page for a {reader} reader");
    }
    browser.prefer_scheme("light").await;
    browser.close().await;
    app.stop().await;
}

/// Thirty days of made-up counts for `slug`, written as one flush would.
async fn seed_counts(app: &TestApp, slug: &str) {
    let today = time::OffsetDateTime::now_utc().date();
    let mut rows = Vec::new();
    for back in 0..30_u64 {
        let day = today - time::Duration::days(back as i64);
        let wave = (30 - back) * 3 + (back * 7919 % 13);
        for (kind, referrer, n) in [
            (Kind::Badge, "smolvlm.example", wave),
            (Kind::Badge, "github.com", wave / 2 + 3),
            (Kind::Widget, "smolvlm.example", wave / 3),
            (Kind::Widget, "news.example.org", back % 5),
            (
                Kind::Badge,
                "launch-partners.smolvlm-community.example.org",
                back % 4,
            ),
            (Kind::Click, "smolvlm.example", wave / 12 + 1),
            (Kind::Click, "github.com", back % 3),
            (Kind::Bot, "(direct)", 2),
        ] {
            if n > 0 {
                rows.push(CountRow {
                    slug: Slug::parse(slug).unwrap(),
                    day,
                    kind,
                    referrer: referrer.to_owned(),
                    n,
                });
            }
        }
    }
    rows.sort();
    app.state
        .store
        .apply_counts("browser-test-seed", 1, &rows)
        .await
        .unwrap();
}

#[tokio::test]
#[cfg_attr(
    not(vb_browser),
    ignore = "set VERDICT_BADGES_TEST_BROWSER=1 to run in Chromium (needs chromium and chromium-driver)"
)]
async fn owners_sign_in_through_the_form_and_see_their_chart() {
    let test = "browser::owners_sign_in_through_the_form_and_see_their_chart";
    let Some(browser) = Browser::launch(test, 1100, 2300).await else {
        return;
    };
    let mut app = spawn_app().await;
    let key = verdict_badges::auth::new_stats_key();
    app.state
        .store
        .insert_stats_key(
            &verdict_badges::auth::digest_hex(&key),
            &verdict_badges::verdict::Slug::parse(SLUG).unwrap(),
        )
        .await
        .unwrap();
    seed_counts(&app, SLUG).await;

    // The tool page: every variant loads, and its widget previews frame under its CSP.
    browser
        .client
        .goto(&app.url(&format!("/tools/{SLUG}")))
        .await
        .unwrap();
    browser
        .wait_until(
            "the badge previews",
            "const i = [...document.querySelectorAll('img[src*=\"/api/badge/\"]')]; return i.length === 8 && i.every(x => x.complete && x.naturalWidth > 0)",
        )
        .await;
    browser.client.enter_frame(1).await.unwrap();
    let name = browser
        .client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(name, "SmolVLM-3B");
    browser.client.enter_parent_frame().await.unwrap();
    browser.screenshot("tool-page.png").await;

    // The stats page asks for the key; the form signs in (a real same-origin post).
    browser.resize(1100, 1500).await;
    browser
        .client
        .goto(&app.url(&format!("/stats/{SLUG}")))
        .await
        .unwrap();
    browser.screenshot("stats-sign-in.png").await;
    let input = browser.client.find(Locator::Id("key")).await.unwrap();
    input.send_keys(&key).await.unwrap();
    browser
        .client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let chart = browser
        .client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(".chart rect.badge"))
        .await
        .unwrap();
    let bars = browser
        .js("return document.querySelectorAll('.chart rect.badge').length")
        .await;
    assert_eq!(bars, json!(30));
    let _ = chart;
    let cookie_visible = browser.js("return document.cookie").await;
    assert_eq!(cookie_visible, json!(""), "the key's cookie is HttpOnly");
    let text = browser
        .client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("smolvlm.example") && text.contains("Click-through rate"));
    browser.screenshot("stats-page.png").await;

    // On a phone, 360 to 500 px wide: nothing scrolls sideways, every chart label is
    // at least 11 px and none overlaps another, clicks stand tall on their own scale,
    // and hosts wrap only between their labels (after a dot) or after a hyphen in one.
    for width in [360, 420, 500] {
        browser.resize(width, 2400).await;
        let m = browser
            .js(r#"
                const e = document.scrollingElement;
                const labels = [...document.querySelectorAll('.chart .y span, .chart .x span')]
                    .filter(l => l.getClientRects().length > 0);
                const small = labels.filter(l => parseFloat(getComputedStyle(l).fontSize) < 11
                    || l.getBoundingClientRect().height < 11).map(l => l.textContent);
                const xs = [...document.querySelectorAll('.chart .x span')]
                    .filter(l => l.getClientRects().length > 0).map(l => l.getBoundingClientRect());
                const overlaps = xs.slice(1).filter((r, i) => r.left < xs[i].right + 4).length;
                const panel = document.querySelector('.chart .clicks .plot').getBoundingClientRect().height;
                const tallest = Math.max(...[...document.querySelectorAll('.chart rect.click')]
                    .map(r => r.getBoundingClientRect().height));
                const breaks = [], wrapped = [];
                for (const td of document.querySelectorAll('tbody td:first-child')) {
                    const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
                    let top = null, prev = null, lines = 1, n;
                    while ((n = walker.nextNode())) {
                        for (let i = 0; i < n.length; i++) {
                            const range = document.createRange();
                            range.setStart(n, i);
                            range.setEnd(n, i + 1);
                            const rect = range.getClientRects()[0];
                            if (!rect) continue;
                            if (top !== null && rect.top > top + 2) {
                                lines++;
                                if (prev !== '.' && prev !== '-') breaks.push(td.textContent + ' after ' + prev);
                            }
                            top = rect.top;
                            prev = n.data[i];
                        }
                    }
                    if (lines > 1) wrapped.push(td.textContent);
                }
                return [e.scrollWidth, e.clientWidth, small, overlaps, panel, tallest, breaks, wrapped, labels.length];
            "#)
            .await;
        eprintln!("stats page at {width}px: {m}");
        assert!(
            m[0].as_f64() <= m[1].as_f64(),
            "{width}px scrolls sideways: {m}"
        );
        assert_eq!(m[2], json!([]), "{width}px: labels under 11 px");
        assert_eq!(m[3], json!(0), "{width}px: date labels overlap");
        assert!(m[8].as_u64().unwrap() >= 8, "{width}px: labels shown: {m}");
        let (panel, tallest) = (m[4].as_f64().unwrap(), m[5].as_f64().unwrap());
        assert!(
            tallest >= panel * 0.5 && tallest >= 30.0,
            "{width}px: clicks are {tallest} of {panel} px"
        );
        assert_eq!(m[6], json!([]), "{width}px: hosts broken inside a label");
        if width == 360 {
            assert!(
                m[7].as_array().is_some_and(|w| !w.is_empty()),
                "a long host wraps at 360 px: {m}"
            );
        }
        browser.screenshot(&format!("stats-page-{width}.png")).await;
    }
    browser.resize(1100, 1500).await;

    // Signing out leads back to the form.
    browser
        .client
        .find(Locator::XPath("//button[normalize-space()='Sign out']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Id("key"))
        .await
        .unwrap();
    browser.close().await;
    app.stop().await;
}

/// Where a comparison screenshot goes: `docs/badges/` for the README's when
/// `VERDICT_BADGES_SAVE_SCREENSHOTS=1`, else the temporary directory.
fn compare_screenshot_path(name: &str, for_docs: bool) -> PathBuf {
    if for_docs && std::env::var("VERDICT_BADGES_SAVE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join("badges")
            .join(name)
    } else {
        screenshot_path(name)
    }
}

#[tokio::test]
#[cfg_attr(
    not(vb_browser),
    ignore = "set VERDICT_BADGES_TEST_BROWSER=1 to run in Chromium (needs chromium and chromium-driver)"
)]
async fn a_third_party_page_embeds_a_comparison_and_counts_both_tools() {
    let test = "browser::a_third_party_page_embeds_a_comparison_and_counts_both_tools";
    const OTHER: &str = "example-prompt-wrapper";
    let Some(browser) = Browser::launch(test, 1000, 700).await else {
        return;
    };
    let review = review_site().await;
    let mut app = spawn_app_with(|c| {
        c.review_url =
            ReviewUrl::parse(&format!("http://127.0.0.1:{}/tool/{{slug}}", review.port())).unwrap();
    })
    .await;

    let code: Value = app
        .get(&format!("/api/embed-code/compare/{SLUG}/{OTHER}"))
        .await
        .json()
        .await
        .unwrap();
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Small vision models, compared</title></head>
<body style="margin:0;padding:24px;font:16px sans-serif;background:#f6f8fa"><h1>Two tools, one verdict each</h1>{}</body></html>"#,
        code["html_widget"].as_str().unwrap()
    );
    let roundup = serve(Router::new().route("/", get(move || async move { Html(page) }))).await;
    // `localhost`, not 127.0.0.1: another origin than the badge service.
    browser
        .client
        .goto(&format!("http://localhost:{}/", roundup.port()))
        .await
        .unwrap();
    browser.client.enter_frame(0).await.unwrap();
    let names = browser
        .client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("a.name"))
        .await
        .unwrap();
    let _ = names;
    let texts = browser
        .js("return [...document.querySelectorAll('a.name')].map(a => a.textContent)")
        .await;
    assert_eq!(texts, json!(["SmolVLM-3B", "Example Prompt Wrapper"]));

    // The reader clicks the second tool's name: a new tab, through its click route, to its review.
    let before = browser.client.windows().await.unwrap();
    browser
        .client
        .find_all(Locator::Css("a.name"))
        .await
        .unwrap()
        .remove(1)
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let tab = loop {
        let now = browser.client.windows().await.unwrap();
        if let Some(w) = now.into_iter().find(|w| !before.contains(w)) {
            break w;
        }
        assert!(Instant::now() < deadline, "the name opened no tab");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    browser.client.switch_to_window(tab).await.unwrap();
    let review_page = format!("http://127.0.0.1:{}/tool/{OTHER}", review.port());
    browser
        .wait_until(
            "the review page",
            &format!(
                "return location.href === {} && document.readyState === 'complete'",
                json!(review_page)
            ),
        )
        .await;
    let heading = browser
        .client
        .find(Locator::Id("review"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(heading.contains(OTHER), "{heading}");
    browser.client.close_window().await.unwrap();
    browser
        .client
        .switch_to_window(before[0].clone())
        .await
        .unwrap();

    // One widget impression for each tool, from the roundup's host; one click, on the one clicked.
    app.wait_for_total(OTHER, "clicks", 1, Duration::from_secs(10))
        .await;
    for slug in [SLUG, OTHER] {
        app.wait_for_total(slug, "widget_impressions", 1, Duration::from_secs(10))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (slug, clicks) in [(SLUG, 0), (OTHER, 1)] {
        let stats = app.stats(slug).await;
        assert_eq!(stats["totals"]["widget_impressions"], 1, "{slug}: {stats}");
        assert_eq!(stats["totals"]["clicks"], clicks, "{slug}: {stats}");
        assert_eq!(stats["totals"]["badge_impressions"], 0, "{slug}: {stats}");
        assert_eq!(stats["totals"]["bot_requests"], 0, "{slug}: {stats}");
        let hosts: Vec<&str> = stats["referrers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["impressions"].as_i64() > Some(0))
            .map(|r| r["host"].as_str().unwrap())
            .collect();
        assert_eq!(hosts, ["localhost"], "{slug}: {stats}");
    }

    // The widget alone at 360 and 280 px, light, dark and following the reader: no
    // scrollbar, the credit whole, every reviewer row in view, and names whole.
    let longest = json!({
        "name": "An Extraordinarily Long Tool Name That Goes On And On Past Any Sensible Width Whatsoever",
        "tagline": "", "category": "", "verdict": "skip",
        "panel": { "ship": 50, "skip": 50 },
        "community": { "ship": 1_000_000_000, "skip": 999_999_999 },
        "pricing": "M".repeat(120),
        "reviews": (0..10).map(|i| json!({
            "role": format!("Reviewer{i}WithAVeryLongRole"),
            "verdict": if i % 2 == 0 { "ship" } else { "skip" },
            "score": 100,
        })).collect::<Vec<_>>(),
        "updated_at": "2026-11-20T09:00:00Z",
    });
    let r = app
        .client
        .put(app.url("/api/verdicts/longest-everything"))
        .bearer_auth(ADMIN)
        .json(&longest)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let pairs = [
        (SLUG, OTHER),
        // Five roles between them, a name of three lines at 280 px, two lines of pricing at 360.
        (OTHER, "mistral-small-3-1"),
        ("longest-everything", "mistral-small-3-1"),
    ];
    for (a, b) in pairs {
        for width in [360, 280] {
            for theme in ["light", "dark", "auto"] {
                browser.resize(width, 260).await;
                browser
                    .client
                    .goto(&app.url(&format!("/embed/compare/{a}/{b}?theme={theme}")))
                    .await
                    .unwrap();
                let m = browser
                    .js(r#"const e = document.scrollingElement, b = document.querySelector('.brand').getBoundingClientRect();
                           const body = document.querySelector('.body').getBoundingClientRect();
                           const rows = [...document.querySelectorAll('.roles tr')].map(r => r.getBoundingClientRect().bottom);
                           const names = [...document.querySelectorAll('a.name')].map(n => [n.textContent, n.scrollHeight <= n.clientHeight + 2]);
                           const cut = [...document.querySelectorAll('.roles td')].filter(td => td.scrollWidth > td.clientWidth).map(td => td.textContent);
                           return [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight, document.querySelector('.foot').getBoundingClientRect().bottom,
                                   b.width, b.right, Math.max(0, ...rows), body.bottom, names, cut]"#)
                    .await;
                let n = |i: usize| m[i].as_f64().unwrap();
                let case = format!("{a} vs {b}, {theme} at {width}px");
                eprintln!("compare {case}: {m}");
                assert_eq!(n(1), f64::from(width), "{case}");
                assert!(n(0) <= n(1), "{case} scrolls sideways: {m}");
                assert!(n(2) <= n(3), "{case} scrolls down: {m}");
                assert!(n(4) <= 260.0, "{case}: the footer is cut off: {m}");
                assert!(
                    n(5) > 60.0 && n(6) <= f64::from(width),
                    "{case}: the \"Verdict by ShipOrSkip\" credit is hidden or cut: {m}"
                );
                if a != "longest-everything" {
                    assert!(n(7) <= n(8) + 0.5, "{case}: a reviewer row is cut off: {m}");
                    for name in m[9].as_array().unwrap() {
                        assert_eq!(name[1], json!(true), "{case}: a name is cut: {m}");
                    }
                    assert_eq!(m[10], json!([]), "{case}: a score is cut: {m}");
                }
                // The README shows two: light at full width, dark at the narrowest.
                let docs = a == SLUG && matches!((theme, width), ("light", 360) | ("dark", 280));
                let name = if docs {
                    format!("compare-{theme}-{width}.png")
                } else {
                    format!("compare-{a}-{b}-{theme}-{width}.png")
                };
                // The README's images at twice the pixels, the same CSS layout.
                if docs {
                    browser
                        .client
                        .issue_cmd(Cdp {
                            cmd: "Emulation.setDeviceMetricsOverride",
                            params: json!({ "width": width, "height": 260, "deviceScaleFactor": 2, "mobile": false }),
                        })
                        .await
                        .unwrap();
                }
                let png = browser.client.screenshot().await.unwrap();
                if docs {
                    browser
                        .client
                        .issue_cmd(Cdp {
                            cmd: "Emulation.clearDeviceMetricsOverride",
                            params: json!({}),
                        })
                        .await
                        .unwrap();
                }
                std::fs::write(compare_screenshot_path(&name, docs), png).unwrap();
            }
        }
    }

    // Without a theme the comparison follows the reader's colour scheme.
    browser.resize(360, 260).await;
    for (scheme, background) in [("dark", "rgb(22, 27, 34)"), ("light", "rgb(255, 255, 255)")] {
        browser.prefer_scheme(scheme).await;
        browser
            .client
            .goto(&app.url(&format!("/embed/compare/{SLUG}/{OTHER}")))
            .await
            .unwrap();
        let bg = browser
            .js("return getComputedStyle(document.body).backgroundColor")
            .await;
        assert_eq!(
            bg,
            json!(background),
            "the default comparison under {scheme}"
        );
    }
    browser.close().await;
    app.stop().await;
}
