//! Verdicts by slug: the store behind a bounded moka cache.
//!
//! A lookup is served from memory for `verdict_ttl`; concurrent misses for one
//! slug are coalesced into one store read. Unknown slugs are cached too, so a
//! flood of requests for a missing tool costs one read per TTL. Writes through
//! this catalog invalidate at once; writes through another instance are seen
//! after the next poll of the store's catalog version ([`Catalog::watch`]).
//!
//! When the store fails, the last verdict read for a slug is served instead:
//! badges keep working through a database outage.

use crate::origin::{Origin, OriginError};
use crate::store::{Store, StoreError, StoreResult};
use crate::verdict::{Slug, Verdict};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A verdict with the fingerprint that keys its rendered badges and ETags.
#[derive(Debug)]
pub struct Entry {
    /// The verdict.
    pub verdict: Verdict,
    /// Hash of the verdict's content: changes whenever anything shown could change.
    pub fingerprint: u64,
}

impl Entry {
    /// Wraps a verdict with its fingerprint.
    pub fn new(verdict: Verdict) -> Entry {
        // SipHash with fixed keys: the same verdict has the same fingerprint in every
        // instance of one build, so ETags agree behind a load balancer.
        let mut h = std::hash::DefaultHasher::new();
        verdict.hash(&mut h);
        Entry {
            fingerprint: h.finish(),
            verdict,
        }
    }
}

/// Most verdicts held in memory.
const CAPACITY: u64 = 100_000;
/// How long an unknown slug is remembered as unknown: briefly, so a new tool shows up fast.
const UNKNOWN_TTL: Duration = Duration::from_secs(10);

/// Why a verdict could not be read from its source.
#[derive(Debug, thiserror::Error)]
pub enum LookupFailure {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The verdict origin failed.
    #[error(transparent)]
    Origin(#[from] OriginError),
}

/// Why a verdict could not be looked up (and no earlier copy was at hand). Shared:
/// concurrent lookups of one slug wait for one read and all receive its failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct LookupError(Arc<LookupFailure>);

impl LookupError {
    /// Whether the source is out of reach for now (rather than holding bad data).
    pub fn is_transient(&self) -> bool {
        match &*self.0 {
            LookupFailure::Store(e) => e.is_transient(),
            LookupFailure::Origin(_) => true,
        }
    }
}

/// Known verdicts live for the TTL; unknown slugs for [`UNKNOWN_TTL`] at most.
struct Expiry {
    ttl: Duration,
}

impl moka::Expiry<Slug, Option<Arc<Entry>>> for Expiry {
    fn expire_after_create(
        &self,
        _slug: &Slug,
        value: &Option<Arc<Entry>>,
        _now: std::time::Instant,
    ) -> Option<Duration> {
        Some(match value {
            Some(_) => self.ttl,
            None => self.ttl.min(UNKNOWN_TTL),
        })
    }
}

/// The verdict catalog.
pub struct Catalog {
    store: Store,
    /// Where misses are read from when not the store.
    origin: Option<Origin>,
    cache: moka::future::Cache<Slug, Option<Arc<Entry>>>,
    /// The last answer read for each slug, without expiry, for when the store is down.
    last_known: moka::sync::Cache<Slug, Option<Arc<Entry>>>,
    /// Until when (ms since start) reads skip a store that just failed, so that
    /// readers are not each kept waiting for its timeout.
    skip_store_until: AtomicU64,
    started: Instant,
}

/// How long the catalog trusts its last-known copies after a store failure.
const STORE_RETRY_AFTER: Duration = Duration::from_secs(1);

impl Catalog {
    /// A catalog over `store` (or over `origin`, when given), trusting cached verdicts for `ttl`.
    pub fn new(store: Store, origin: Option<Origin>, ttl: Duration) -> Catalog {
        Catalog {
            store,
            origin,
            cache: moka::future::Cache::builder()
                .max_capacity(CAPACITY)
                .expire_after(Expiry { ttl })
                .build(),
            last_known: moka::sync::Cache::new(CAPACITY),
            skip_store_until: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// The verdict for `slug`, or `None` when no such tool is known.
    ///
    /// When the store fails, the last answer read for this slug is served; the
    /// error surfaces only for a slug never read since start.
    pub async fn get(&self, slug: &Slug) -> Result<Option<Arc<Entry>>, LookupError> {
        let now = self.started.elapsed().as_millis() as u64;
        if now < self.skip_store_until.load(Ordering::Relaxed)
            && let Some(known) = self.last_known.get(slug)
            && self.cache.get(slug).await.is_none()
        {
            return Ok(known);
        }
        let fresh = self
            .cache
            .try_get_with_by_ref(slug, async {
                let verdict = match &self.origin {
                    Some(origin) => origin.fetch(slug).await?,
                    None => self.store.verdict(slug).await?,
                };
                let entry = verdict.map(|v| Arc::new(Entry::new(v)));
                self.last_known.insert(slug.clone(), entry.clone());
                Ok::<_, LookupFailure>(entry)
            })
            .await;
        match fresh {
            Err(e) => {
                let retry_at = self.started.elapsed() + STORE_RETRY_AFTER;
                self.skip_store_until
                    .store(retry_at.as_millis() as u64, Ordering::Relaxed);
                self.last_known.get(slug).ok_or(LookupError(e))
            }
            Ok(entry) => Ok(entry),
        }
    }

    /// Polls the store's catalog version every `every` until `stop`, dropping
    /// cached verdicts when another instance has written one.
    pub async fn watch(&self, every: Duration, stop: tokio_util::sync::CancellationToken) {
        let mut seen = self.store.catalog_version().await.ok();
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.cancelled() => return,
            }
            // A failing store is reported by /readyz and the flusher; stale reads are fine here.
            if let Ok(version) = self.store.catalog_version().await
                && seen != Some(version)
            {
                if seen.is_some() {
                    self.cache.invalidate_all();
                }
                seen = Some(version);
            }
        }
    }

    /// Every verdict, read from the store.
    pub async fn all(&self) -> StoreResult<Vec<Verdict>> {
        self.store.verdicts().await
    }

    /// Writes verdicts (all or none) and keeps what was written as this instance's
    /// cached and last-known copies: the next badge shows it at once, and keeps
    /// showing it should the store fail right after.
    pub async fn put(&self, verdicts: &[Verdict]) -> StoreResult<()> {
        self.store.upsert_verdicts(verdicts).await?;
        for v in verdicts {
            let entry = Some(Arc::new(Entry::new(v.clone())));
            self.cache.insert(v.slug.clone(), entry.clone()).await;
            self.last_known.insert(v.slug.clone(), entry);
        }
        Ok(())
    }

    /// Deletes a verdict and remembers the tool as unknown; answers whether it existed.
    pub async fn delete(&self, slug: &Slug) -> StoreResult<bool> {
        let existed = self.store.delete_verdict(slug).await?;
        self.cache.insert(slug.clone(), None).await;
        self.last_known.insert(slug.clone(), None);
        Ok(existed)
    }
}
