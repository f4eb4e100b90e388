//! Verdicts by slug: the store behind a bounded in-memory map.
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
use crate::verdict::{Slug, SlugRef, Verdict};
use std::collections::HashMap;
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
const CAPACITY: usize = 100_000;
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

/// One slug's last answer: the verdict (or `None`, no such tool), and until when it may
/// be served without asking the store again.
#[derive(Clone)]
struct Slot {
    entry: Option<Arc<Entry>>,
    /// Milliseconds since the catalog started.
    fresh_until_ms: u64,
    /// The [`Catalog::generation`] it was read in: dropping every cached verdict
    /// ([`Catalog::watch`]) moves the generation on, which makes every slot stale.
    generation: u64,
}

/// A read of one slug from the store in progress: concurrent misses wait for it and
/// share its answer (or its failure) instead of each reading the store.
#[derive(Default)]
struct Flight {
    done: tokio::sync::OnceCell<Result<Option<Arc<Entry>>, LookupError>>,
}

/// The verdict catalog.
///
/// A hit is a read of a quick_cache map (a fast hash and a shard's read lock) and a look
/// at the clock: no future, no per-read bookkeeping. The map keeps each slug's last answer
/// past its TTL, stale, so that one map serves both fresh reads and, while the store is
/// failing, the last-known copy.
pub struct Catalog {
    store: Store,
    /// Where misses are read from when not the store.
    origin: Option<Origin>,
    ttl_ms: u64,
    unknown_ttl_ms: u64,
    /// The last answer read or written for each slug, fresh or stale.
    known: quick_cache::sync::Cache<Slug, Slot>,
    /// Reads of the store in progress, by slug.
    flights: parking_lot::Mutex<HashMap<Slug, Arc<Flight>>>,
    /// Moves on when every cached verdict is dropped at once.
    generation: AtomicU64,
    /// Moves on at every write through this catalog and every drop of all verdicts: a read
    /// of the store that saw a write begin while it ran does not keep its (maybe older)
    /// answer in the map.
    writes: AtomicU64,
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
            ttl_ms: ttl.as_millis() as u64,
            unknown_ttl_ms: ttl.min(UNKNOWN_TTL).as_millis() as u64,
            known: quick_cache::sync::Cache::new(CAPACITY),
            flights: parking_lot::Mutex::default(),
            generation: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            skip_store_until: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A slot for `entry` read (or written) now, in `generation`.
    fn slot(&self, entry: Option<Arc<Entry>>, generation: u64) -> Slot {
        let ttl = match entry {
            Some(_) => self.ttl_ms,
            None => self.unknown_ttl_ms,
        };
        Slot {
            entry,
            fresh_until_ms: self.now_ms().saturating_add(ttl),
            generation,
        }
    }

    fn is_fresh(&self, slot: &Slot, now_ms: u64) -> bool {
        now_ms < slot.fresh_until_ms && slot.generation == self.generation.load(Ordering::Acquire)
    }

    /// The verdict for `slug`, or `None` when no such tool is known.
    ///
    /// When the store fails, the last answer read for this slug is served; the
    /// error surfaces only for a slug never read since start.
    ///
    /// Takes a borrowed slug so that a hit (the badge route's common case) allocates
    /// nothing; only a read from the store makes an owned [`Slug`].
    pub async fn get<'a>(
        &self,
        slug: impl Into<SlugRef<'a>>,
    ) -> Result<Option<Arc<Entry>>, LookupError> {
        let slug: SlugRef<'a> = slug.into();
        let now = self.now_ms();
        let last = self.known.get(slug.as_str());
        if let Some(slot) = &last
            && (self.is_fresh(slot, now) || now < self.skip_store_until.load(Ordering::Relaxed))
        {
            return Ok(slot.entry.clone());
        }
        match self.read(&slug.to_slug()).await {
            Err(e) => {
                let retry_at = self.started.elapsed() + STORE_RETRY_AFTER;
                self.skip_store_until
                    .store(retry_at.as_millis() as u64, Ordering::Relaxed);
                match self.known.get(slug.as_str()) {
                    Some(slot) => Ok(slot.entry),
                    None => Err(e),
                }
            }
            Ok(entry) => Ok(entry),
        }
    }

    /// Reads `slug` from the source, once for all who ask at the same time, and keeps
    /// the answer.
    async fn read(&self, slug: &Slug) -> Result<Option<Arc<Entry>>, LookupError> {
        let flight = self.flights.lock().entry(slug.clone()).or_default().clone();
        let answer = flight
            .done
            .get_or_init(|| async {
                // Whoever read it while this one waited for the flight has kept it.
                if let Some(slot) = self.known.get(slug.as_str())
                    && self.is_fresh(&slot, self.now_ms())
                {
                    return Ok(slot.entry);
                }
                let (writes, generation) = (
                    self.writes.load(Ordering::Acquire),
                    self.generation.load(Ordering::Acquire),
                );
                let verdict = match &self.origin {
                    Some(origin) => origin.fetch(slug).await.map_err(LookupFailure::from),
                    None => self.store.verdict(slug).await.map_err(LookupFailure::from),
                }
                .map_err(|e| LookupError(Arc::new(e)))?;
                let entry = verdict.map(|v| Arc::new(Entry::new(v)));
                // A write that began meanwhile holds the newer answer: keep that one.
                if self.writes.load(Ordering::Acquire) == writes {
                    self.known
                        .insert(slug.clone(), self.slot(entry.clone(), generation));
                }
                Ok(entry)
            })
            .await
            .clone();
        let mut flights = self.flights.lock();
        if flights.get(slug).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
            flights.remove(slug);
        }
        answer
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
                    self.invalidate_all();
                }
                seen = Some(version);
            }
        }
    }

    /// Makes every cached verdict stale: the next read of each asks the store (and the
    /// stale copies stay as last-known answers).
    fn invalidate_all(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Every verdict, read from the store.
    pub async fn all(&self) -> StoreResult<Vec<Verdict>> {
        self.store.verdicts().await
    }

    /// Writes verdicts (all or none) and keeps what was written as this instance's
    /// cached and last-known copies: the next badge shows it at once, and keeps
    /// showing it should the store fail right after.
    pub async fn put(&self, verdicts: &[Verdict]) -> StoreResult<()> {
        self.writes.fetch_add(1, Ordering::AcqRel);
        let written = self.store.upsert_verdicts(verdicts).await;
        self.writes.fetch_add(1, Ordering::AcqRel);
        written?;
        let generation = self.generation.load(Ordering::Acquire);
        for v in verdicts {
            let entry = Some(Arc::new(Entry::new(v.clone())));
            self.known
                .insert(v.slug.clone(), self.slot(entry, generation));
        }
        Ok(())
    }

    /// Deletes a verdict and remembers the tool as unknown; answers whether it existed.
    pub async fn delete(&self, slug: &Slug) -> StoreResult<bool> {
        self.writes.fetch_add(1, Ordering::AcqRel);
        let deleted = self.store.delete_verdict(slug).await;
        self.writes.fetch_add(1, Ordering::AcqRel);
        let existed = deleted?;
        let generation = self.generation.load(Ordering::Acquire);
        self.known.insert(slug.clone(), self.slot(None, generation));
        Ok(existed)
    }
}
