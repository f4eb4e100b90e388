//! `spawn_app()`: a real server on a free loopback port, with its own store.

pub use crate::scratch::{Scratch, TestBackend, scratch};
use clap::Parser;
use reqwest::header::{HeaderMap, HeaderValue, USER_AGENT};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use verdict_badges::app::{AppError, Application};
use verdict_badges::auth::SecretString;
use verdict_badges::cli::{Cli, Command};
use verdict_badges::config::Config;
use verdict_badges::state::AppState;

/// Generates, for each named `async fn NAME(backend: TestBackend)`, a test module
/// `NAME` with the tests `sqlite` and `postgres` (ignored, with the reason, unless
/// `VERDICT_BADGES_TEST_POSTGRES` was set when the tests were built).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::TestBackend::Sqlite).await
            }
            #[tokio::test]
            #[cfg_attr(
                not(vb_postgres),
                ignore = "set VERDICT_BADGES_TEST_POSTGRES=postgres://… to run on PostgreSQL"
            )]
            async fn postgres() {
                super::$name($crate::helpers::TestBackend::Postgres).await
            }
        }
    )*};
}

/// The configuration `verdict-badges serve` would run with on `database_url`, on a free
/// loopback port, flushing every 50 ms: parsed by the real command line, so tests run
/// with the defaults operators get.
pub fn test_config(database_url: &str) -> Config {
    let cli = Cli::try_parse_from([
        "verdict-badges",
        "--database-url",
        database_url,
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--flush-interval-ms",
        "50",
        "--verdict-poll-ms",
        "200",
        "--render-cache-mb",
        "16",
    ])
    .expect("the test flags parse");
    let Command::Serve(args) = cli.command else {
        unreachable!("serve was asked for")
    };
    Config::from_args(*args, cli.database_url).expect("the test flags are valid")
}

/// Admin token the test servers run with.
pub const ADMIN: &str = "test-admin-token-0123456789";
/// A desktop browser's User-Agent: what a counted reader sends.
pub const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    /// A client that looks like a browser and does not follow redirects.
    pub client: reqwest::Client,
    pub state: AppState,
    pub database_url: String,
    /// Holds the scratch database for as long as the app lives.
    _scratch: Option<Scratch>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), AppError>>>,
}

/// A browser-like client with its own connection pool.
pub fn browser() -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(USER_AGENT, HeaderValue::from_static(FIREFOX));
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A server with the sample verdicts and defaults for everything else.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server on SQLite whose configuration `tweak` adjusts first.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(TestBackend::Sqlite, tweak).await
}

/// A server with its own fresh database on `backend`.
pub async fn spawn_app_on(backend: TestBackend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let scratch = scratch(backend).await;
    let url = scratch.url.clone();
    spawn_app_at(&url, Some(scratch), tweak).await
}

/// A server on an existing database (several instances may share one); `scratch`
/// is kept alive with it.
pub async fn spawn_app_at(
    database_url: &str,
    scratch: Option<Scratch>,
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let database_url = database_url.to_owned();
    let mut config = test_config(&database_url);
    config.demo = true;
    config.admin_token = Some(SecretString::from(ADMIN));
    tweak(&mut config);
    let app = Application::build(config).await.expect("the app builds");
    let addr = app.local_addr();
    let state = app.state();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        base: format!("http://{addr}"),
        client: browser(),
        state,
        database_url,
        _scratch: scratch,
        shutdown: Some(tx),
        handle: Some(handle),
    }
}

impl TestApp {
    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET with the browser client.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// The stats JSON of a tool, read with the admin token.
    pub async fn stats(&self, slug: &str) -> Value {
        let r = self
            .client
            .get(self.url(&format!("/api/stats/{slug}")))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Polls the stats until `field` of the totals reaches `want` or `within` passes; answers the last value.
    pub async fn wait_for_total(
        &self,
        slug: &str,
        field: &str,
        want: i64,
        within: Duration,
    ) -> i64 {
        let deadline = Instant::now() + within;
        loop {
            let got = self.stats(slug).await["totals"][field].as_i64().unwrap();
            if got >= want || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls the stats of every sample tool until their badge impressions add up to
    /// `want` or `within` passes; answers the last sum.
    pub async fn wait_for_impressions(&self, want: u64, within: Duration) -> u64 {
        let deadline = Instant::now() + within;
        loop {
            let mut sum = 0;
            for v in verdict_badges::verdict::demo_verdicts() {
                sum += self.stats(v.slug.as_str()).await["totals"]["badge_impressions"]
                    .as_u64()
                    .unwrap();
            }
            if sum >= want || Instant::now() > deadline {
                return sum;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signals shutdown and waits until the server has drained and flushed.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
    }
}

/// A response header as text, empty when absent.
pub fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The decoded pixels of a PNG, as RGBA.
pub fn png_pixels(bytes: &[u8]) -> Vec<u8> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    // As RGBA, so that two encodings of the same pixels (palette or not) compare equal.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    reader.next_frame(&mut buf).expect("frame");
    buf
}

/// Width and height from a PNG's header.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder.read_info().expect("a valid PNG");
    let info = reader.info();
    (info.width, info.height)
}

/// Mints a stats key for `slug` straight into the app's store.
pub async fn mint_key(app: &TestApp, slug: &str) -> String {
    let key = verdict_badges::auth::new_stats_key();
    app.state
        .store
        .insert_stats_key(
            &verdict_badges::auth::digest_hex(&key),
            &verdict_badges::verdict::Slug::parse(slug).unwrap(),
        )
        .await
        .unwrap();
    key
}
