//! Moves counts from memory to the store.
//!
//! Every interval the flusher drains the [`Tally`] into one batch, numbers it,
//! and asks the store to apply it in one transaction together with a flush-log
//! entry `(instance, seq)`. If the store fails — even after it committed, when
//! only the acknowledgement was lost — the *same* batch is retried with the
//! *same* number, and the flush log makes the retry a no-op if it had landed.
//! New loads meanwhile accumulate in the tally, which is bounded.
//!
//! A batch counts as written only when the store says its transaction committed
//! (see `store::write`). While writes fail, [`WriteHealth`] tells `/readyz`, and the
//! log says plainly what is wrong and, later, that it is over.

use super::Tally;
use super::health::WriteHealth;
use crate::counts::CountRow;
use crate::metrics::Metrics;
use crate::store::{Applied, Store, StoreError, StoreResult};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Where flushed batches go; the [`Store`] in production, a fault-injecting wrapper in tests.
pub trait CountSink: Send + Sync + 'static {
    /// Applies one batch, idempotently per `(instance, seq)`.
    fn apply(
        &self,
        instance: &str,
        seq: i64,
        rows: &[CountRow],
    ) -> impl Future<Output = StoreResult<Applied>> + Send;

    /// Checks, while nothing waits to be written, that writing would work.
    fn check(&self) -> impl Future<Output = StoreResult<()>> + Send {
        async { Ok(()) }
    }

    /// What an operator can do about `error`, when there is more to say than its cause.
    fn advice(&self, _error: &StoreError) -> impl Future<Output = Option<String>> + Send {
        async { None }
    }
}

impl CountSink for Store {
    fn apply(
        &self,
        instance: &str,
        seq: i64,
        rows: &[CountRow],
    ) -> impl Future<Output = StoreResult<Applied>> + Send {
        self.apply_counts(instance, seq, rows)
    }

    fn check(&self) -> impl Future<Output = StoreResult<()>> + Send {
        self.check_file()
    }

    async fn advice(&self, error: &StoreError) -> Option<String> {
        if !matches!(error, StoreError::FileGone(_)) {
            return None;
        }
        let path = error.to_string();
        Some(match self.deleted_file_rescue().await {
            Some(handle) => format!(
                "{path}. The service still holds it open: `cp {} <the database path>` \
                 restores it with everything written so far (or put a backup there); \
                 writing resumes, waiting counts included, at the next flush. Do not \
                 restart the service first: counts waiting in memory would be lost",
                handle.display()
            ),
            None => format!(
                "{path}. Put the database back at its path (a backup); writing resumes, \
                 waiting counts included, at the next flush. Do not restart the service \
                 first: counts waiting in memory would be lost"
            ),
        })
    }
}

/// A numbered batch waiting to be applied.
struct Batch {
    seq: i64,
    rows: Vec<CountRow>,
}

impl Batch {
    fn loads(&self) -> u64 {
        self.rows.iter().map(|r| r.n).sum()
    }
}

/// Longest wait between retries while the store is failing.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long the final flush at shutdown keeps retrying a failing store.
const SHUTDOWN_PATIENCE: Duration = Duration::from_secs(10);

/// Drains a tally into a sink, batch by batch.
pub struct Flusher<S> {
    tally: Arc<Tally>,
    sink: S,
    instance: String,
    next_seq: i64,
    pending: Option<Batch>,
    failures: u32,
    retry_at: Option<Instant>,
    health: Arc<WriteHealth>,
    metrics: Arc<Metrics>,
}

impl<S: CountSink> Flusher<S> {
    /// A flusher for one process; `instance` must be unique among the store's writers.
    pub fn new(tally: Arc<Tally>, sink: S, instance: String, metrics: Arc<Metrics>) -> Self {
        Flusher {
            health: tally.write_health(),
            tally,
            sink,
            instance,
            next_seq: 1,
            pending: None,
            failures: 0,
            retry_at: None,
            metrics,
        }
    }

    /// Flushes every `interval` until `shutdown`, then flushes what is left.
    pub async fn run(mut self, interval: Duration, shutdown: CancellationToken) {
        self.health.set_flush_interval(interval);
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    if self.retry_at.is_none_or(|at| Instant::now() >= at) {
                        let _ = self.flush_once().await;
                    }
                }
                _ = shutdown.cancelled() => break,
            }
        }
        self.drain_for_shutdown().await;
    }

    /// Applies the waiting batch, or drains a new one and applies it; with nothing
    /// to write, checks that writing would work.
    ///
    /// Answers how many loads reached the store. On an error the batch is kept
    /// for the next call, and a retry time is set with exponential backoff.
    pub async fn flush_once(&mut self) -> StoreResult<u64> {
        let mut written = 0;
        // At most two batches a call: the one that waited for a retry, then a fresh one,
        // so a steady stream of loads cannot keep one call going forever.
        for _ in 0..2 {
            if self.pending.is_none() {
                let rows = self.tally.take();
                if rows.is_empty() {
                    break;
                }
                self.pending = Some(Batch {
                    seq: self.next_seq,
                    rows,
                });
                self.next_seq += 1;
            }
            let batch = self.pending.as_ref().expect("set above");
            let started = Instant::now();
            if let Err(e) = self
                .sink
                .apply(&self.instance, batch.seq, &batch.rows)
                .await
            {
                self.failed(&e).await;
                return Err(e);
            }
            let loads = batch.loads();
            self.metrics
                .flush_seconds
                .observe(started.elapsed().as_secs_f64());
            self.metrics.tally_flushed.inc_by(loads);
            self.pending = None;
            self.succeeded(loads);
            written += loads;
        }
        if written == 0 {
            if let Err(e) = self.sink.check().await {
                self.failed(&e).await;
                return Err(e);
            }
            self.succeeded(0);
        }
        Ok(written)
    }

    /// Ends a failing spell, saying so once.
    fn succeeded(&mut self, written: u64) {
        if let Some((waited, failures, cause)) = self.health.recovered() {
            tracing::info!(
                waited_ms = waited.as_millis() as u64,
                failures,
                written_loads = written,
                "counts are being written again: {cause} no more"
            );
        }
        self.failures = 0;
        self.retry_at = None;
    }

    /// Keeps the batch, schedules a retry, and says so once when trouble starts, then rarely.
    async fn failed(&mut self, e: &StoreError) {
        self.failures += 1;
        self.metrics.flush_failures.inc();
        let cause = e.cause();
        let waited = self.health.failed(cause);
        let backoff = backoff(self.failures);
        self.retry_at = Some(Instant::now() + backoff);
        if self.failures == 1 || self.failures.is_power_of_two() {
            let waiting_loads = self.pending.as_ref().map_or(0, Batch::loads);
            let advice = self.sink.advice(e).await;
            tracing::warn!(
                error = %e,
                failures = self.failures,
                failing_ms = waited.as_millis() as u64,
                retry_in_ms = backoff.as_millis() as u64,
                waiting_loads,
                more_keys = self.tally.pending_keys(),
                "counts are not being written: {cause}; they wait in memory and are retried"
            );
            if let Some(advice) = advice {
                tracing::error!("{advice}");
            }
        }
    }

    async fn drain_for_shutdown(&mut self) {
        let deadline = Instant::now() + SHUTDOWN_PATIENCE;
        loop {
            let result = self.flush_once().await;
            let nothing_waits = self.pending.is_none() && self.tally.pending_keys() == 0;
            match result {
                _ if nothing_waits => {
                    tracing::info!("all counts written");
                    return;
                }
                Ok(_) => continue,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => {
                    let lost = self.pending.as_ref().map_or(0, Batch::loads);
                    tracing::error!(error = %e, lost_loads = lost,
                        pending_keys = self.tally.pending_keys(),
                        "counts could not be written at shutdown ({}); these are lost",
                        e.cause());
                    return;
                }
            }
        }
    }
}

fn backoff(failures: u32) -> Duration {
    let ms = 100u64.saturating_mul(1 << failures.min(12));
    Duration::from_millis(ms).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::Kind;
    use crate::verdict::Slug;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Commits through to the real store, then reports a failure the first `lose` times:
    /// the case where the commit landed but its acknowledgement was lost.
    struct LostAcks {
        store: Store,
        lose: AtomicU32,
    }

    impl CountSink for LostAcks {
        async fn apply(&self, instance: &str, seq: i64, rows: &[CountRow]) -> StoreResult<Applied> {
            let applied = self.store.apply_counts(instance, seq, rows).await?;
            if self.lose.load(Ordering::SeqCst) > 0 {
                self.lose.fetch_sub(1, Ordering::SeqCst);
                return Err(StoreError::Db(sqlx::Error::PoolTimedOut));
            }
            Ok(applied)
        }
    }

    #[tokio::test]
    async fn a_lost_acknowledgement_is_not_counted_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        let metrics = Arc::new(Metrics::new());
        let tally = Arc::new(Tally::new(1000, 0, metrics.clone()));
        let sink = LostAcks {
            store: store.clone(),
            lose: AtomicU32::new(2),
        };
        let mut flusher = Flusher::new(tally.clone(), sink, "test".into(), metrics);
        let slug = Slug::parse("a").unwrap();
        for _ in 0..7 {
            tally.record(&slug, Kind::Badge, "x.example");
        }
        assert!(flusher.flush_once().await.is_err());
        // More loads arrive while the batch waits for its retry.
        tally.record(&slug, Kind::Badge, "x.example");
        assert!(flusher.flush_once().await.is_err());
        assert_eq!(flusher.flush_once().await.unwrap(), 8);
        let rows = store
            .counts(
                &slug,
                time::macros::date!(2000 - 01 - 01),
                time::macros::date!(2999 - 01 - 01),
            )
            .await
            .unwrap();
        assert_eq!(rows.iter().map(|r| r.n).sum::<u64>(), 8);
    }

    /// Fails the calls whose (1-based) number is in `fail`.
    struct FailsOn {
        store: Store,
        calls: AtomicU32,
        fail: &'static [u32],
    }

    impl CountSink for FailsOn {
        async fn apply(&self, instance: &str, seq: i64, rows: &[CountRow]) -> StoreResult<Applied> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if self.fail.contains(&call) {
                return Err(StoreError::Db(sqlx::Error::PoolTimedOut));
            }
            self.store.apply_counts(instance, seq, rows).await
        }
    }

    #[tokio::test]
    async fn a_write_that_lands_ends_the_failing_spell_even_if_the_next_fails() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        let metrics = Arc::new(Metrics::new());
        let tally = Arc::new(Tally::new(1000, 0, metrics.clone()));
        let sink = FailsOn {
            store,
            calls: AtomicU32::new(0),
            fail: &[1, 3],
        };
        let mut flusher = Flusher::new(tally.clone(), sink, "test".into(), metrics);
        let slug = Slug::parse("a").unwrap();
        tally.record(&slug, Kind::Badge, "x.example");
        assert!(flusher.flush_once().await.is_err());
        assert_eq!(flusher.failures, 1);
        // The waiting batch lands (call 2), then a fresh one fails (call 3): one failure
        // in a row, not two, and the health shows the new spell only.
        tally.record(&slug, Kind::Badge, "y.example");
        assert!(flusher.flush_once().await.is_err());
        assert_eq!(flusher.failures, 1);
        assert_eq!(flusher.flush_once().await.unwrap(), 1);
        assert_eq!(flusher.failures, 0);
        assert!(flusher.health.recovered().is_none(), "the spell was closed");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert!(backoff(3) > backoff(2));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
