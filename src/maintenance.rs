//! Keeps the store's growth bounded, beside the flusher: every interval it prunes the
//! flush log and folds the referrer hosts of days past `--keep-referrer-days` into
//! `(other)` (daily totals are kept forever).
//!
//! Every instance runs it; on a shared PostgreSQL the passes take turns on the fold
//! mark, and a pass that finds the work done does nothing.

use crate::store::{Store, StoreError};
use std::time::Duration;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// What the maintenance task does, and how often.
#[derive(Clone, Debug)]
pub struct Maintenance {
    /// The store to keep.
    pub store: Store,
    /// Time between passes.
    pub interval: Duration,
    /// Flush-log entries older than this go once their instance has a newer one.
    pub flush_log_retention: Duration,
    /// An instance's newest flush-log entry goes after this long without a newer one.
    pub flush_log_idle_instance: Duration,
    /// Days of referrer detail kept; `None` keeps every host forever.
    pub keep_referrer_days: Option<u32>,
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Flush-log entries pruned.
    pub flush_log_pruned: u64,
    /// Days whose referrer hosts were folded.
    pub days_folded: u64,
    /// Detail rows folded into `(other)` rows.
    pub rows_folded: u64,
}

impl Maintenance {
    /// Runs a pass now and then every interval until `stop`; a failing store is logged
    /// and tried again at the next pass.
    pub async fn run(self, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.cancelled() => return,
            }
            match self.pass(&stop).await {
                Ok(pass) => {
                    if failing {
                        tracing::info!("store maintenance works again");
                    }
                    failing = false;
                    if pass != Pass::default() {
                        tracing::info!(
                            flush_log_pruned = pass.flush_log_pruned,
                            days_folded = pass.days_folded,
                            rows_folded = pass.rows_folded,
                            "store maintenance"
                        );
                    }
                }
                Err(e) if !failing || !e.is_transient() => {
                    failing = true;
                    tracing::warn!(error = %e, "store maintenance failed; it will be tried again");
                }
                Err(_) => {}
            }
        }
    }

    /// One pass: prune the flush log, then fold day after day until caught up or `stop`.
    pub async fn pass(&self, stop: &CancellationToken) -> Result<Pass, StoreError> {
        let mut pass = Pass {
            flush_log_pruned: self
                .store
                .prune_flush_log(self.flush_log_retention, self.flush_log_idle_instance)
                .await?,
            ..Pass::default()
        };
        let Some(before) = self.fold_before(OffsetDateTime::now_utc().date()) else {
            return Ok(pass);
        };
        while !stop.is_cancelled() {
            match self.store.fold_referrers_step(before).await? {
                Some(day) => {
                    pass.days_folded += 1;
                    pass.rows_folded += day.rows;
                }
                None => break,
            }
        }
        Ok(pass)
    }

    /// The first day whose referrer detail is kept, given today: days before it fold.
    pub fn fold_before(&self, today: time::Date) -> Option<time::Date> {
        let keep = self.keep_referrer_days?;
        Some(today - time::Duration::days(i64::from(keep)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[tokio::test]
    async fn the_horizon_follows_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/m.db", dir.path().display()))
            .await
            .unwrap();
        let mut m = Maintenance {
            store,
            interval: Duration::from_secs(1),
            flush_log_retention: Duration::from_secs(1),
            flush_log_idle_instance: Duration::from_secs(1),
            keep_referrer_days: Some(400),
        };
        assert_eq!(
            m.fold_before(date!(2026 - 11 - 28)),
            Some(date!(2025 - 10 - 24))
        );
        m.keep_referrer_days = None;
        assert_eq!(m.fold_before(date!(2026 - 11 - 28)), None);
        assert_eq!(
            m.pass(&CancellationToken::new()).await.unwrap(),
            Pass::default()
        );
    }
}
