//! Prometheus metrics, one registry per application (so tests never share counters).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of the request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched route pattern, e.g. `/api/badge/{file}`, or `unmatched`.
    pub route: &'static str,
    /// The HTTP status code.
    pub status: u16,
}

/// A single `result`, `kind` or `reason` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NameLabel {
    /// The label value.
    pub name: &'static str,
}

impl NameLabel {
    /// A label with the given value.
    pub fn of(name: &'static str) -> Self {
        NameLabel { name }
    }
}

/// Every metric the service exports.
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Render cache lookups, by `hit` or `miss`.
    pub render_cache: Family<NameLabel, Counter>,
    /// Loads recorded into memory, by kind (`badge`, `widget`, `click`, `bot`).
    pub tally_recorded: Family<NameLabel, Counter>,
    /// Loads not counted, by reason (`rate_limited`, `buffer_full`).
    pub tally_dropped: Family<NameLabel, Counter>,
    /// Loads written to the store.
    pub tally_flushed: Counter,
    /// Flush batches that failed and wait for a retry.
    pub flush_failures: Counter,
    /// Duration of successful flushes, in seconds.
    pub flush_seconds: Histogram,
    /// Distinct count keys waiting in memory.
    pub pending_keys: Gauge,
    /// Requests tallied as bots, by reason (`head`, `prefetch`, `empty_agent`, `crawler`).
    pub bot_requests: Family<NameLabel, Counter>,
    /// Bytes the render cache weighs, as of the last scrape.
    pub render_cache_bytes: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("verdict_badges");
        let m = Metrics {
            requests: Family::default(),
            render_cache: Family::default(),
            tally_recorded: Family::default(),
            tally_dropped: Family::default(),
            tally_flushed: Counter::default(),
            flush_failures: Counter::default(),
            flush_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            pending_keys: Gauge::default(),
            bot_requests: Family::default(),
            render_cache_bytes: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "Requests answered, by route and status",
            m.requests.clone(),
        );
        registry.register(
            "render_cache",
            "Render cache lookups by result",
            m.render_cache.clone(),
        );
        registry.register(
            "tally_recorded",
            "Loads recorded in memory, by kind",
            m.tally_recorded.clone(),
        );
        registry.register(
            "tally_dropped",
            "Loads not counted, by reason",
            m.tally_dropped.clone(),
        );
        registry.register(
            "tally_flushed",
            "Loads written to the store",
            m.tally_flushed.clone(),
        );
        registry.register(
            "flush_failures",
            "Flush attempts that failed and will be retried",
            m.flush_failures.clone(),
        );
        registry.register(
            "flush_duration_seconds",
            "Duration of successful flushes",
            m.flush_seconds.clone(),
        );
        registry.register(
            "tally_pending_keys",
            "Distinct count keys waiting in memory",
            m.pending_keys.clone(),
        );
        registry.register(
            "bot_requests",
            "Requests tallied as bots, by reason",
            m.bot_requests.clone(),
        );
        registry.register(
            "render_cache_bytes",
            "Bytes held by the render cache, by its weigher",
            m.render_cache_bytes.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}
