//! Whether counts are reaching the store: what `/readyz` reports beside reads.

use crate::store::Cause;
use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// The flusher's health, shared with `/readyz`.
#[derive(Debug)]
pub struct WriteHealth {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When the oldest count not yet written first failed to be written.
    failing_since: Option<Instant>,
    failures: u32,
    cause: Option<Cause>,
    /// How long writes may fail before the instance reports itself not ready.
    patience: Duration,
}

/// What `/readyz` needs to know about writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writes {
    /// Counts reach the store (or failed only moments ago).
    Flowing,
    /// Counts have not reached the store for `waited`.
    Stalled {
        /// Since the first failed attempt.
        waited: Duration,
        /// Failed attempts since.
        failures: u32,
        /// The latest failure's kind.
        cause: Cause,
    },
}

/// Shortest patience: a single failed flush (a lock held a moment too long) is no
/// reason for a load balancer to take the instance out.
const MIN_PATIENCE: Duration = Duration::from_secs(2);

impl Default for WriteHealth {
    fn default() -> Self {
        WriteHealth {
            state: Mutex::new(State {
                patience: MIN_PATIENCE,
                ..State::default()
            }),
        }
    }
}

impl WriteHealth {
    /// Reports writes as stalled once they have failed for two flush intervals
    /// (at least two seconds).
    pub fn set_flush_interval(&self, interval: Duration) {
        self.state.lock().patience = (interval * 2).max(MIN_PATIENCE);
    }

    /// A write attempt failed; answers how long writes have been failing.
    pub fn failed(&self, cause: Cause) -> Duration {
        let mut s = self.state.lock();
        let since = *s.failing_since.get_or_insert_with(Instant::now);
        s.failures += 1;
        s.cause = Some(cause);
        since.elapsed()
    }

    /// Everything waiting was written; answers how long writes had failed, if they had.
    pub fn recovered(&self) -> Option<(Duration, u32, Cause)> {
        let mut s = self.state.lock();
        let since = s.failing_since.take()?;
        let failures = std::mem::take(&mut s.failures);
        let cause = s.cause.take().unwrap_or(Cause::Other);
        Some((since.elapsed(), failures, cause))
    }

    /// Whether counts are reaching the store.
    pub fn writes(&self) -> Writes {
        let s = self.state.lock();
        match (s.failing_since, s.cause) {
            (Some(since), Some(cause)) if since.elapsed() >= s.patience => Writes::Stalled {
                waited: since.elapsed(),
                failures: s.failures,
                cause,
            },
            _ => Writes::Flowing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalls_only_after_the_patience_and_recovers() {
        let h = WriteHealth::default();
        h.set_flush_interval(Duration::from_millis(10));
        assert_eq!(h.writes(), Writes::Flowing);
        h.failed(Cause::DiskFull);
        assert_eq!(
            h.writes(),
            Writes::Flowing,
            "one failure is not yet a stall"
        );
        h.state.lock().failing_since = Some(Instant::now() - Duration::from_secs(3));
        h.failed(Cause::DiskFull);
        assert!(matches!(
            h.writes(),
            Writes::Stalled {
                failures: 2,
                cause: Cause::DiskFull,
                ..
            }
        ));
        let (_, failures, cause) = h.recovered().unwrap();
        assert_eq!((failures, cause), (2, Cause::DiskFull));
        assert_eq!(h.writes(), Writes::Flowing);
        assert!(h.recovered().is_none());
    }
}
