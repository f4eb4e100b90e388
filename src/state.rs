//! The shared application state every handler receives.
//!
//! Kept apart from the router ([`crate::http`]) and from the server's life cycle
//! ([`crate::app`]), so that handlers depend on the state and the router depends on
//! the handlers, and nothing depends back.

use crate::auth::{AdminToken, Denied, Grant, SecretString};
use crate::badge_cache::BadgeCache;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::tally::Tally;
use crate::verdict::Slug;
use std::ops::Deref;
use std::sync::Arc;
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
    pub badges: Arc<BadgeCache>,
    /// In-memory counters.
    pub tally: Arc<Tally>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The admin token for the write API and all stats.
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

impl App {
    /// Whether `secret` may read the counts of `slug` (see [`crate::auth::authorize`]).
    pub async fn authorize(
        &self,
        secret: Option<&SecretString>,
        slug: &Slug,
    ) -> Result<Grant, Denied> {
        crate::auth::authorize(&self.store, &self.admin, secret, slug).await
    }

    /// The absolute URL of one of the service's own paths (`api/badge/x`), keeping any
    /// path prefix of the public URL (`https://example.com/badges/`).
    pub fn public_link(&self, path: &str) -> String {
        link(&self.public_url, path)
    }
}

/// `path` joined onto `base`, keeping `base`'s own path prefix.
pub fn link(base: &Url, path: &str) -> String {
    base.join(path.trim_start_matches('/'))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| format!("{base}{path}"))
}
