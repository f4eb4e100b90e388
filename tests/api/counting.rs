//! What counts, exactly: impressions, clicks, bots, limits, referrers, shutdown.

use crate::helpers::*;
use std::time::Duration;
use verdict_badges::counts::Kind;
use verdict_badges::store::Store;
use verdict_badges::verdict::Slug;

const WAIT: Duration = Duration::from_secs(20);

async fn loads_with_a_referrer_show_as_impressions_from_that_host(backend: TestBackend) {
    let app = spawn_app_on(backend, |c| c.flush_interval = Duration::from_millis(200)).await;
    for _ in 0..25 {
        let r = app
            .client
            .get(app.url("/api/badge/smolvlm-3b"))
            .header("referer", "https://Blog.Example.com/posts/1?utm=x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // Expected within two flush intervals (400 ms); a busy machine gets more slack, and
    // the time it took is printed rather than asserted.
    let sent = std::time::Instant::now();
    app.wait_for_total("smolvlm-3b", "badge_impressions", 25, WAIT)
        .await;
    eprintln!("25 loads reached the stats after {:?}", sent.elapsed());
    let stats = app.stats("smolvlm-3b").await;
    assert_eq!(stats["totals"]["badge_impressions"], 25);
    assert_eq!(stats["referrers"][0]["host"], "blog.example.com");
    assert_eq!(stats["referrers"][0]["impressions"], 25);
    let today = stats["daily"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(today["badge_impressions"], 25);
    assert_eq!(today["date"], stats["to"]);
}

async fn a_click_redirects_to_the_review_and_counts(backend: TestBackend) {
    let app = spawn_app_on(backend, |_| {}).await;
    let r = app.get("/api/badge-click/smolvlm-3b").await;
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        "https://shiporskip.io/tool/smolvlm-3b"
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(app.wait_for_total("smolvlm-3b", "clicks", 1, WAIT).await, 1);

    let unknown = app.get("/api/badge-click/no-such-tool").await;
    assert_eq!(unknown.status(), 404);
    assert!(
        unknown.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn no_request_can_choose_where_a_reader_goes() {
    let app = spawn_app().await;
    for path in [
        "/api/badge-click/smolvlm-3b?url=https://evil.example/",
        "/api/badge-click/smolvlm-3b?next=//evil.example",
        "/api/badge-click/%2F%2Fevil.example",
        "/api/badge-click/smolvlm-3b%2F%2Fevil.example",
        "/api/badge-click/smolvlm-3b%0D%0ALocation:%20https://evil.example",
        "/api/badge-click/..%2F..%2Fevil",
        "/api/badge-click/https:%2F%2Fevil.example",
    ] {
        let r = app.get(path).await;
        match r.status().as_u16() {
            302 => assert_eq!(
                r.headers()["location"],
                "https://shiporskip.io/tool/smolvlm-3b",
                "{path}"
            ),
            404 => assert!(r.headers().get("location").is_none(), "{path}"),
            other => panic!("{path}: unexpected {other}"),
        }
        assert!(r.headers().get_all("location").iter().count() <= 1);
    }
}

async fn bots_head_and_prefetch_are_not_impressions(backend: TestBackend) {
    let app = spawn_app_on(backend, |_| {}).await;
    let url = app.url("/api/badge/smolvlm-3b");
    let plain = reqwest::Client::new();
    // One real load, to know when the flush has happened.
    app.get("/api/badge/smolvlm-3b").await;
    for agent in [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "facebookexternalhit/1.1",
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
    plain.get(&url).send().await.unwrap(); // no User-Agent at all
    app.client.head(&url).send().await.unwrap();
    app.client
        .get(&url)
        .header("sec-purpose", "prefetch")
        .send()
        .await
        .unwrap();
    app.client
        .get(&url)
        .header("purpose", "prefetch")
        .send()
        .await
        .unwrap();

    assert_eq!(
        app.wait_for_total("smolvlm-3b", "bot_requests", 8, WAIT)
            .await,
        8
    );
    assert_eq!(
        app.stats("smolvlm-3b").await["totals"]["badge_impressions"],
        1
    );
}

/// Waits for a fresh clock minute when the current one is nearly over: the limit
/// counts per clock minute, and a test straddling two would see two allowances.
async fn early_in_a_minute() {
    let second = time::OffsetDateTime::now_utc().second();
    if second >= 45 {
        tokio::time::sleep(Duration::from_secs(61 - u64::from(second))).await;
    }
}

/// The badge impressions of smolvlm-3b once `n` loads were counted (and no more came).
async fn settled_impressions(app: &TestApp, n: i64) -> i64 {
    app.wait_for_total("smolvlm-3b", "badge_impressions", n, WAIT)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.stats("smolvlm-3b").await["totals"]["badge_impressions"]
        .as_i64()
        .unwrap()
}

async fn rate_limited(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("verdict_badges_tally_dropped_total{name=\"rate_limited\"} "))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn one_address_rotating_user_agents_counts_at_most_the_limit() {
    let app = spawn_app_with(|c| c.count_limit_per_minute = 5).await;
    early_in_a_minute().await;
    let plain = reqwest::Client::new();
    for version in 80..130 {
        let agent = format!(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
             (KHTML, like Gecko) Chrome/{version}.0.0.0 Safari/537.36"
        );
        let r = plain
            .get(app.url("/api/badge/smolvlm-3b"))
            .header("user-agent", agent)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(settled_impressions(&app, 5).await, 5);
    assert_eq!(rate_limited(&app).await, 45);
}

#[tokio::test]
async fn claiming_to_be_an_image_proxy_from_elsewhere_counts_at_most_the_limit() {
    // Loopback is in no image-proxy range: a camo User-Agent from here is a forgery.
    let app = spawn_app_with(|c| c.count_limit_per_minute = 5).await;
    early_in_a_minute().await;
    let camo = reqwest::Client::new();
    for agent in [
        "github-camo (876de43e)",
        "Mozilla/5.0 (via ggpht.com GoogleImageProxy)",
    ] {
        for _ in 0..250 {
            camo.get(app.url("/api/badge/smolvlm-3b"))
                .header("user-agent", agent)
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(settled_impressions(&app, 5).await, 5);
    assert_eq!(rate_limited(&app).await, 495);
}

#[tokio::test]
async fn a_real_image_proxy_counts_for_many_readers_up_to_its_ceiling() {
    let limit = 5;
    let ceiling = limit * verdict_badges::tally::IMAGE_PROXY_FACTOR as i64;
    // Loopback plays the proxy's network.
    let app = spawn_app_with(|c| {
        c.count_limit_per_minute = limit as u32;
        c.image_proxy_ranges = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    early_in_a_minute().await;
    let camo = reqwest::Client::new();
    for _ in 0..ceiling + 20 {
        camo.get(app.url("/api/badge/smolvlm-3b"))
            .header("user-agent", "github-camo (876de43e)")
            .send()
            .await
            .unwrap();
    }
    assert_eq!(settled_impressions(&app, ceiling).await, ceiling);
    assert_eq!(rate_limited(&app).await, 20);
}

#[tokio::test]
async fn behind_a_trusted_proxy_camo_is_told_by_its_forwarded_address() {
    let app = spawn_app_with(|c| {
        c.count_limit_per_minute = 5;
        c.trust_forwarded_for = true;
    })
    .await;
    early_in_a_minute().await;
    let client = reqwest::Client::new();
    // 140.82.115.145 is in GitHub's published ranges (the defaults); 203.0.113.7 is not.
    for (forwarded, n) in [("140.82.115.145", 40), ("203.0.113.7", 40)] {
        for _ in 0..n {
            client
                .get(app.url("/api/badge/smolvlm-3b"))
                .header("user-agent", "github-camo (876de43e)")
                .header("x-forwarded-for", forwarded)
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(settled_impressions(&app, 45).await, 45);
    assert_eq!(rate_limited(&app).await, 35);
}

#[tokio::test]
async fn a_flood_of_fake_referrers_stays_bounded() {
    let app = spawn_app_with(|c| c.count_limit_per_minute = 0).await;
    let total = verdict_badges::tally::MAX_HOSTS_PER_TOOL_DAY + 200;
    for i in 0..total {
        app.client
            .get(app.url("/api/badge/smolvlm-3b"))
            .header("referer", format!("https://fake{i}.example/"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        app.wait_for_total("smolvlm-3b", "badge_impressions", total as i64, WAIT)
            .await,
        total as i64
    );
    // Every load is counted, but only the first hosts are kept by name.
    let store = Store::connect(&app.database_url).await.unwrap();
    let rows = store
        .counts(
            &Slug::parse("smolvlm-3b").unwrap(),
            time::macros::date!(2000 - 01 - 01),
            time::macros::date!(2999 - 12 - 31),
        )
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        verdict_badges::tally::MAX_HOSTS_PER_TOOL_DAY + 1
    );
    let other = rows.iter().find(|r| r.referrer == "(other)").unwrap();
    assert_eq!(other.n, 200);
}

async fn ten_thousand_loads_over_64_connections_count_exactly(backend: TestBackend) {
    let app = spawn_app_on(backend, |c| c.count_limit_per_minute = 0).await;
    let per_task = 10_000 / 64;
    let extra = 10_000 % 64;
    let mut tasks = Vec::new();
    for t in 0..64 {
        let client = browser(); // its own pool: its own connection
        let url = app.url("/api/badge/mistral-small-3-1");
        let n = per_task + usize::from(t < extra);
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                let r = client.get(&url).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let got = app
        .wait_for_total("mistral-small-3-1", "badge_impressions", 10_000, WAIT)
        .await;
    assert_eq!(got, 10_000);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        app.stats("mistral-small-3-1").await["totals"]["badge_impressions"],
        10_000
    );
}

async fn graceful_shutdown_flushes_everything(backend: TestBackend) {
    // A flush interval far longer than the test: only the shutdown flush can save the counts.
    let mut app = spawn_app_on(backend, |c| {
        c.flush_interval = Duration::from_secs(3600);
        c.count_limit_per_minute = 0;
    })
    .await;
    for _ in 0..300 {
        app.get("/api/badge/smolvlm-3b").await;
    }
    for _ in 0..7 {
        app.get("/api/badge-click/smolvlm-3b").await;
    }
    app.stop().await;
    let store = Store::connect(&app.database_url).await.unwrap();
    let rows = store
        .counts(
            &Slug::parse("smolvlm-3b").unwrap(),
            time::macros::date!(2000 - 01 - 01),
            time::macros::date!(2999 - 12 - 31),
        )
        .await
        .unwrap();
    let sum = |kind: Kind| {
        rows.iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.n)
            .sum::<u64>()
    };
    assert_eq!((sum(Kind::Badge), sum(Kind::Click)), (300, 7));
}

crate::on_both_backends!(
    loads_with_a_referrer_show_as_impressions_from_that_host,
    a_click_redirects_to_the_review_and_counts,
    bots_head_and_prefetch_are_not_impressions,
    ten_thousand_loads_over_64_connections_count_exactly,
    graceful_shutdown_flushes_everything,
);
