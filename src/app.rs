//! The server's life cycle: [`Application::build`] wires the parts together and binds,
//! [`Application::run_until`] serves until a shutdown future completes, then drains.

use crate::auth::AdminToken;
use crate::badge_cache::BadgeCache;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::maintenance::Maintenance;
use crate::metrics::Metrics;
use crate::render::Renderer;
use crate::state::{App, AppState};
use crate::store::{Store, StoreError};
use crate::tally::Tally;
use crate::tally::flusher::Flusher;
use crate::tally::proxies::ProxyRanges;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use url::Url;

/// Why the service could not start or stopped with a fault.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store could not be opened or migrated.
    #[error("opening the store at {url}: {source}")]
    Store {
        /// The database URL, without its password.
        url: String,
        /// What failed.
        source: StoreError,
    },
    /// Loading the demo verdicts failed.
    #[error("loading the sample verdicts: {0}")]
    Demo(StoreError),
    /// The listen address could not be bound.
    #[error("binding {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// What failed.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("serving: {0}")]
    Serve(std::io::Error),
    /// The flusher task died instead of finishing its last flush.
    #[error("the flusher crashed: {0}")]
    Flusher(tokio::task::JoinError),
    /// The maintenance task died instead of stopping.
    #[error("the store maintenance task crashed: {0}")]
    Maintenance(tokio::task::JoinError),
}

/// A built, bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    flusher: Flusher<Store>,
    /// The flusher's name in the flush log, forgotten there after the last flush.
    instance: String,
    maintenance: Maintenance,
}

impl Application {
    /// Connects the store, loads demo data if asked, and binds the listener (port 0 picks one).
    pub async fn build(config: Config) -> Result<Application, AppError> {
        let store = Store::connect(&config.database_url)
            .await
            .map_err(|source| AppError::Store {
                url: crate::store::describe(&config.database_url),
                source,
            })?;
        if config.demo && store.verdict_count().await.map_err(AppError::Demo)? == 0 {
            let demo = crate::verdict::demo_verdicts();
            store.upsert_verdicts(&demo).await.map_err(AppError::Demo)?;
            tracing::info!(verdicts = demo.len(), "loaded the sample verdicts");
        }
        let bind = |source| AppError::Bind {
            address: config.listen,
            source,
        };
        let listener = crate::server::bind(config.listen).map_err(bind)?;
        let bound = listener.local_addr().map_err(bind)?;
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{bound}/")).expect("a socket address is a host"),
        };

        let metrics = Arc::new(Metrics::new());
        let tally = Tally::new(
            config.max_pending_keys,
            config.count_limit_per_minute,
            metrics.clone(),
        )
        .with_image_proxies(ProxyRanges::new(config.image_proxy_ranges.clone()))
        .with_own_origin(public_url.origin());
        let tally = Arc::new(if config.counting {
            tally
        } else {
            tally.disabled()
        });
        let instance = format!("{:016x}", rand::random::<u64>());
        let flusher = Flusher::new(
            tally.clone(),
            store.clone(),
            instance.clone(),
            metrics.clone(),
        );
        let maintenance = Maintenance {
            store: store.clone(),
            interval: config.maintenance_interval,
            flush_log_retention: config.flush_log_retention,
            flush_log_idle_instance: config.flush_log_idle_instance,
            keep_referrer_days: config.keep_referrer_days,
        };
        let app = App {
            public_url,
            catalog: Catalog::new(
                store.clone(),
                config.verdict_origin.clone(),
                config.verdict_ttl,
            ),
            badges: Arc::new(BadgeCache::new(
                Arc::new(Renderer::new()),
                config.render_cache_bytes,
                metrics.clone(),
            )),
            admin: AdminToken::new(config.admin_token.as_ref()),
            store,
            tally,
            metrics,
            config,
        };
        Ok(Application {
            listener,
            state: AppState(Arc::new(app)),
            flusher,
            instance,
            maintenance,
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
    /// flushes every count and closes the store. Store maintenance runs beside the
    /// flusher meanwhile.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AppError> {
        let Application {
            listener,
            state,
            flusher,
            instance,
            maintenance,
        } = self;
        let stop_flusher = CancellationToken::new();
        let flushing = tokio::spawn(flusher.run(state.config.flush_interval, stop_flusher.clone()));
        let stop_maintenance = CancellationToken::new();
        let maintaining = tokio::spawn(maintenance.run(stop_maintenance.clone()));
        let stop_watch = CancellationToken::new();
        let watching = {
            let state = state.clone();
            let stop = stop_watch.clone();
            tokio::spawn(async move { state.catalog.watch(state.config.verdict_poll, stop).await })
        };
        tracing::info!(address = ?listener.local_addr(), public_url = %state.public_url, "serving");

        let service = crate::http::service(state.clone());
        let served =
            crate::server::serve(listener, service, state.config.max_connections, shutdown).await;

        // Requests are done: nothing can be recorded any more, so this flush is the last.
        stop_watch.cancel();
        let _ = watching.await;
        stop_maintenance.cancel();
        maintaining.await.map_err(AppError::Maintenance)?;
        stop_flusher.cancel();
        flushing.await.map_err(AppError::Flusher)?;
        // This instance will retry nothing now: its flush-log entries can go.
        if let Err(e) = state.store.forget_instance(&instance).await {
            tracing::warn!(error = %e, "could not remove this instance's flush-log entries; maintenance prunes them later");
        }
        state.store.close().await;
        served.map_err(AppError::Serve)
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
