//! Wiring: the shared application state and the server's life cycle.

use crate::auth::AdminToken;
use crate::badge_cache::BadgeCache;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::render::Renderer;
use crate::store::Store;
use crate::tally::Tally;
use crate::tally::flusher::Flusher;
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use url::Url;

/// Everything a request handler may use, built once at start.
pub struct App {
    /// The configuration the service runs with.
    pub config: Config,
    /// Base URL embed code points at.
    pub public_url: Url,
    /// The database.
    pub store: Store,
    /// Verdicts by slug, cached.
    pub catalog: Catalog,
    /// Rendered badges, cached.
    pub badges: BadgeCache,
    /// In-memory counters.
    pub tally: Arc<Tally>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The admin token for the write API.
    pub admin: AdminToken,
}

/// The state handed to every handler: a cheap clone of one shared [`App`].
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

/// A built, bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    flusher: Flusher<Store>,
}

impl Application {
    /// Connects the store, loads demo data if asked, and binds the listener (port 0 picks one).
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let store = Store::connect(&config.database_url)
            .await
            .with_context(|| format!("opening the store at {}", redact(&config.database_url)))?;
        if config.demo && store.verdict_count().await? == 0 {
            let demo = crate::verdict::demo_verdicts();
            store.upsert_verdicts(&demo).await?;
            tracing::info!(verdicts = demo.len(), "loaded the sample verdicts");
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let bound = listener.local_addr()?;
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{bound}/"))?,
        };

        let metrics = Arc::new(Metrics::new());
        let tally = Tally::new(
            config.max_pending_keys,
            config.count_limit_per_minute,
            metrics.clone(),
        );
        let tally = Arc::new(if config.counting {
            tally
        } else {
            tally.disabled()
        });
        let instance = format!("{:016x}", rand::random::<u64>());
        let flusher = Flusher::new(tally.clone(), store.clone(), instance, metrics.clone());
        let app = App {
            public_url,
            catalog: Catalog::new(
                store.clone(),
                config.verdict_origin.clone(),
                config.verdict_ttl,
            ),
            badges: BadgeCache::new(
                Arc::new(Renderer::new()),
                config.render_cache_bytes,
                metrics.clone(),
            ),
            admin: AdminToken::new(config.admin_token.as_deref()),
            store,
            tally,
            metrics,
            config,
        };
        Ok(Application {
            listener,
            state: AppState(Arc::new(app)),
            flusher,
        })
    }

    /// The address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The shared state, for tests and tools.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests,
    /// flushes every count and closes the store.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            state,
            flusher,
        } = self;
        let stop_flusher = CancellationToken::new();
        let flushing = tokio::spawn(flusher.run(state.config.flush_interval, stop_flusher.clone()));
        let stop_watch = CancellationToken::new();
        let watching = {
            let state = state.clone();
            let stop = stop_watch.clone();
            tokio::spawn(async move { state.catalog.watch(state.config.verdict_poll, stop).await })
        };
        tracing::info!(address = %listener.local_addr()?, public_url = %state.public_url, "serving");

        let router = crate::http::router(state.clone());
        let served =
            crate::server::serve(listener, router, state.config.max_connections, shutdown).await;

        // Requests are done: nothing can be recorded any more, so this flush is the last.
        stop_watch.cancel();
        let _ = watching.await;
        stop_flusher.cancel();
        flushing.await.context("the flusher crashed")?;
        state.store.close().await;
        served.context("serving")
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests, then flushing counts");
}

/// A database URL without its password, for logs and errors.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
