//! The hot path: what one counted badge load costs once the badge is rendered,
//! and what a flush costs.
//!
//! - `cache_hit/*`: [`BadgeCache::badge`] on a warm cache (SVG, PNG at scale 2).
//! - `router/*`: a whole request through `verdict_badges::http::service` (the router, with
//!   badges beside it, as the server runs it) in process
//!   (`tower::ServiceExt::oneshot`, every layer, body collected), for a cached SVG
//!   and PNG with counting on and off, and `/healthz` as the floor.
//! - `count/*`: [`Tally::record`], and [`Tally::observe`] with a browser User-Agent
//!   (with and without the per-client limiter).
//! - `flush/*`: [`Tally::take`] + [`Store::apply_counts`] on a temporary SQLite store
//!   (in /dev/shm when there is one), for N distinct keys reached by N requests and by
//!   100 × N requests: the two should cost the same, since a flush writes one row per
//!   distinct key. `take/*`: the in-memory half alone.

use axum::body::Body;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method, Request, header};
use std::hint::black_box;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tower::ServiceExt;
use verdict_badges::app::Application;
use verdict_badges::badge_cache::BadgeCache;
use verdict_badges::catalog::Entry;
use verdict_badges::config::Config;
use verdict_badges::http::service::Service;
use verdict_badges::metrics::Metrics;
use verdict_badges::render::{Format, Renderer, Scale, Variant};
use verdict_badges::store::Store;
use verdict_badges::tally::{Kind, RequestFacts, Tally};
use verdict_badges::verdict::{Slug, demo_verdicts};

/// What a counted reader sends.
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SLUG: &str = "smolvlm-3b";

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn entry() -> Arc<Entry> {
    let verdict = demo_verdicts()
        .into_iter()
        .find(|v| v.slug.as_str() == SLUG)
        .expect("the sample verdict");
    Arc::new(Entry::new(verdict))
}

fn cache_hit(c: &mut Criterion) {
    let rt = runtime();
    let cache = BadgeCache::new(
        Arc::new(Renderer::new()),
        64 << 20,
        Arc::new(Metrics::new()),
    );
    let entry = entry();
    let variant = Variant::default();
    let mut group = c.benchmark_group("cache_hit");
    for (name, format) in [
        ("svg", Format::Svg),
        (
            "png_scale2",
            Format::Png {
                scale: Scale::DEFAULT,
            },
        ),
    ] {
        // Warm: the first call renders, every later one is a hit.
        rt.block_on(cache.badge(&entry, variant, format))
            .expect("renders");
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                black_box(
                    cache
                        .badge(black_box(&entry), variant, format)
                        .await
                        .expect("cached"),
                )
            })
        });
    }
    group.finish();
}

/// The configuration `verdict-badges serve` runs with on `url`, on a free loopback port.
fn serve_config(url: &str) -> Config {
    use clap::Parser;
    use verdict_badges::cli::{Cli, Command};
    let cli = Cli::try_parse_from([
        "verdict-badges",
        "--database-url",
        url,
        "serve",
        "--listen",
        "127.0.0.1:0",
    ])
    .expect("the flags parse");
    let Command::Serve(args) = cli.command else {
        unreachable!("serve was asked for")
    };
    Config::from_args(*args, cli.database_url).expect("the flags are valid")
}

/// A served application's service, with the sample verdicts and no per-client limit.
fn app(rt: &Runtime, dir: &tempfile::TempDir, name: &str, counting: bool) -> Service {
    let url = format!("sqlite://{}/{name}.db", dir.path().display());
    let mut config = serve_config(&url);
    config.demo = true;
    config.count_limit_per_minute = 0;
    config.counting = counting;
    let app = rt
        .block_on(Application::build(config))
        .expect("the application builds");
    // Not run: no flusher, so counts stay in memory (one key for the whole bench).
    verdict_badges::http::service(app.state())
}

fn get(path: &str) -> Request<Body> {
    Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::USER_AGENT, FIREFOX)
        .body(Body::empty())
        .expect("a request")
}

async fn serve(router: &Service, path: &str) -> usize {
    let response = router.clone().oneshot(get(path)).await.expect("infallible");
    assert_eq!(response.status(), 200, "{path}");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    body.len()
}

fn router(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let counted = app(&rt, &dir, "on", true);
    let uncounted = app(&rt, &dir, "off", false);
    let svg = format!("/api/badge/{SLUG}");
    let png = format!("/api/badge/{SLUG}.png");
    let mut group = c.benchmark_group("router");
    for (name, router, path) in [
        ("healthz", &counted, "/healthz"),
        ("svg_counting_on", &counted, svg.as_str()),
        ("svg_counting_off", &uncounted, svg.as_str()),
        ("png_counting_on", &counted, png.as_str()),
        ("png_counting_off", &uncounted, png.as_str()),
    ] {
        // Warm the catalog and the render cache.
        rt.block_on(serve(router, path));
        group.bench_function(name, |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(serve(router, path).await) })
        });
    }
    group.finish();
}

fn count(c: &mut Criterion) {
    let slug = Slug::parse(SLUG).expect("a slug");
    let mut headers = HeaderMap::new();
    headers.insert(header::USER_AGENT, HeaderValue::from_static(FIREFOX));
    headers.insert(
        header::REFERER,
        HeaderValue::from_static("https://blog.example.com/post"),
    );
    let facts = RequestFacts {
        method: &Method::GET,
        headers: &headers,
        client_ip: IpAddr::from([192, 0, 2, 7]),
    };
    let mut group = c.benchmark_group("count");
    let tally = Tally::new(200_000, 0, Arc::new(Metrics::new()));
    group.bench_function("record", |b| {
        b.iter(|| tally.record(black_box(&slug), Kind::Badge, black_box("blog.example.com")))
    });
    let tally = Tally::new(200_000, 0, Arc::new(Metrics::new()));
    group.bench_function("observe_browser_no_limit", |b| {
        b.iter(|| tally.observe(black_box(&facts), black_box(&slug), Kind::Badge))
    });
    // The per-client limiter on (as in production: 120 a minute by default); set high
    // enough here that every call is still counted, so the whole path is measured.
    let tally = Tally::new(200_000, u32::MAX, Arc::new(Metrics::new()));
    group.bench_function("observe_browser_limiter_on", |b| {
        b.iter(|| tally.observe(black_box(&facts), black_box(&slug), Kind::Badge))
    });
    group.finish();
}

/// Fills `tally` with `keys` distinct keys (a tenth as many tools, ten referrer
/// hosts each), reached by `per_key` requests each.
fn fill(tally: &Tally, slugs: &[Slug], hosts: &[String], per_key: usize) {
    for _ in 0..per_key {
        for slug in slugs {
            for host in hosts {
                tally.record(slug, Kind::Badge, host);
            }
        }
    }
}

/// A temporary folder in memory when the system has one (/dev/shm), so that the flush
/// figures are the service's own work, not the disk's (shared and noisy here).
fn scratch_dir() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .expect("a temporary folder")
}

fn flush(c: &mut Criterion) {
    let rt = runtime();
    let dir = scratch_dir();
    let url = format!("sqlite://{}/flush.db", dir.path().display());
    let store = rt.block_on(Store::connect(&url)).expect("a store");
    let hosts: Vec<String> = (0..10).map(|i| format!("site{i}.example")).collect();
    let tally = Tally::new(1_000_000, 0, Arc::new(Metrics::new()));
    let mut seq = 0_i64;
    let mut group = c.benchmark_group("flush");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for keys in [100_usize, 1000] {
        let slugs: Vec<Slug> = (0..keys / hosts.len())
            .map(|i| Slug::parse(&format!("tool-{i}")).expect("a slug"))
            .collect();
        for per_key in [1_usize, 100] {
            let id = BenchmarkId::new(
                format!("keys_{keys}"),
                format!("requests_{}", keys * per_key),
            );
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iters {
                        // Counting is not timed; only the flush is.
                        fill(&tally, &slugs, &hosts, per_key);
                        seq += 1;
                        let start = Instant::now();
                        let rows = tally.take();
                        assert_eq!(rows.len(), keys);
                        rt.block_on(store.apply_counts("bench", seq, &rows))
                            .expect("applied");
                        spent += start.elapsed();
                    }
                    spent
                })
            });
        }
    }
    group.finish();

    // The in-memory half alone (no store): draining and sorting the counters.
    let mut group = c.benchmark_group("take");
    for keys in [100_usize, 1000] {
        let slugs: Vec<Slug> = (0..keys / hosts.len())
            .map(|i| Slug::parse(&format!("tool-{i}")).expect("a slug"))
            .collect();
        for per_key in [1_usize, 100] {
            let id = BenchmarkId::new(
                format!("keys_{keys}"),
                format!("requests_{}", keys * per_key),
            );
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iters {
                        fill(&tally, &slugs, &hosts, per_key);
                        let start = Instant::now();
                        black_box(tally.take());
                        spent += start.elapsed();
                    }
                    spent
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, cache_hit, router, count, flush);
criterion_main!(benches);
