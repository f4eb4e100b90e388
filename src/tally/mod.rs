//! Counting, off the request path.
//!
//! A handler calls [`Tally::observe`] once per badge, widget or click request.
//! It classifies the request ([`rules`]), applies the per-client limit, and adds
//! one to an in-memory counter keyed by tool, UTC day, kind and referrer host —
//! a few hash-map operations under a short, sharded lock, never an await.
//! The [`flusher`] drains the counters into the store in batches.

#[cfg(test)]
mod fixtures;
pub mod flusher;
pub mod health;
pub mod proxies;
pub mod rules;

pub use crate::counts::Kind;
use crate::counts::{CountRow, OTHER_HOST};
use crate::metrics::{Metrics, NameLabel};
use crate::verdict::Slug;
use http::{HeaderMap, Method};
use parking_lot::Mutex;
use proxies::ProxyRanges;
use rules::{Audience, Rules};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;
use time::{Date, OffsetDateTime};

/// The parts of a request that counting looks at.
pub struct RequestFacts<'a> {
    /// Request method.
    pub method: &'a Method,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// The client's address, for the per-client limit and the image-proxy check
    /// only; never stored.
    pub client_ip: IpAddr,
}

/// What [`Tally::observe`] did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Counted as the requested kind.
    Counted,
    /// Tallied as a bot request.
    Bot,
    /// Over the per-client limit: served, not counted.
    RateLimited,
    /// The in-memory buffer is full: served, not counted (see the `tally_dropped` metric).
    Dropped,
    /// Counting is switched off for this instance.
    Off,
}

/// Most distinct referrer hosts kept per tool and day; the rest count as `(other)`.
pub const MAX_HOSTS_PER_TOOL_DAY: usize = 1000;

const SHARDS: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CountKey {
    slug: Slug,
    day: Date,
    kind: Kind,
    referrer: Arc<str>,
}

#[derive(Default)]
struct Shard {
    counts: HashMap<CountKey, u64>,
    /// Hosts seen per tool on the current day, to cap how many distinct hosts are kept.
    hosts: HashMap<Slug, (Date, HashSet<Arc<str>>)>,
}

/// In-memory counters, sharded by tool so a hot tool never blocks the others.
pub struct Tally {
    shards: Box<[Mutex<Shard>]>,
    hasher: std::collections::hash_map::RandomState,
    keys: AtomicUsize,
    hosts: AtomicUsize,
    max_keys: usize,
    rules: Rules,
    limiter: Limiter,
    proxies: ProxyRanges,
    enabled: bool,
    health: Arc<health::WriteHealth>,
    metrics: Arc<Metrics>,
}

impl Tally {
    /// Counters holding at most `max_keys` distinct keys, with a per-client limit per minute (0 = none).
    pub fn new(max_keys: usize, limit_per_minute: u32, metrics: Arc<Metrics>) -> Tally {
        Tally {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: Default::default(),
            keys: AtomicUsize::new(0),
            hosts: AtomicUsize::new(0),
            max_keys,
            rules: Rules::new(),
            limiter: Limiter::new(limit_per_minute),
            proxies: ProxyRanges::default(),
            enabled: true,
            health: Arc::default(),
            metrics,
        }
    }

    /// Whether counts are reaching the store (kept by the flusher, read by `/readyz`).
    pub fn write_health(&self) -> Arc<health::WriteHealth> {
        self.health.clone()
    }

    /// The same counters, exempting image-proxy requests from `ranges` from the
    /// per-reader limit (see [`proxies`]).
    pub fn with_image_proxies(mut self, ranges: ProxyRanges) -> Tally {
        self.proxies = ranges;
        self
    }

    /// The same counters with counting switched off: [`Tally::observe`] then records nothing.
    pub fn disabled(mut self) -> Tally {
        self.enabled = false;
        self
    }

    /// Classifies a request for a known tool and counts it (the one place handlers call).
    pub fn observe(&self, facts: &RequestFacts<'_>, slug: &Slug, kind: Kind) -> Outcome {
        if !self.enabled {
            return Outcome::Off;
        }
        let referrer = rules::referrer_host(facts.headers);
        match self.rules.classify(facts.method, facts.headers) {
            Audience::Bot(reason) => {
                self.metrics
                    .bot_requests
                    .get_or_create(&NameLabel::of(reason.as_str()))
                    .inc();
                match self.record(slug, Kind::Bot, &referrer) {
                    Outcome::Counted => Outcome::Bot,
                    other => other,
                }
            }
            Audience::ImageProxy if self.proxies.contains(facts.client_ip) => {
                self.limited(facts, slug, kind, &referrer, Ceiling::ImageProxy)
            }
            // Claiming to be a proxy from elsewhere earns nothing: a reader like any other.
            Audience::ImageProxy | Audience::Reader => {
                self.limited(facts, slug, kind, &referrer, Ceiling::Reader)
            }
        }
    }

    /// Records a load unless its address is past its ceiling for this tool, kind and minute.
    fn limited(
        &self,
        facts: &RequestFacts<'_>,
        slug: &Slug,
        kind: Kind,
        referrer: &str,
        ceiling: Ceiling,
    ) -> Outcome {
        let address = proxies::limit_key(facts.client_ip);
        if self.limiter.allow(&(address, slug, kind), ceiling) {
            self.record(slug, kind, referrer)
        } else {
            self.metrics
                .tally_dropped
                .get_or_create(&NameLabel::of("rate_limited"))
                .inc();
            Outcome::RateLimited
        }
    }

    /// Adds one to the counter of `(slug, today, kind, referrer)`.
    pub fn record(&self, slug: &Slug, kind: Kind, referrer: &str) -> Outcome {
        let day = OffsetDateTime::now_utc().date();
        let shard = &self.shards[self.hasher.hash_one(slug) as usize % SHARDS];
        let mut shard = shard.lock();
        let referrer = self.capped_host(&mut shard, slug, day, referrer);
        let key = CountKey {
            slug: slug.clone(),
            day,
            kind,
            referrer,
        };
        if let Some(n) = shard.counts.get_mut(&key) {
            *n += 1;
        } else if self.keys.load(Ordering::Relaxed) >= self.max_keys {
            drop(shard);
            self.metrics
                .tally_dropped
                .get_or_create(&NameLabel::of("buffer_full"))
                .inc();
            return Outcome::Dropped;
        } else {
            shard.counts.insert(key, 1);
            let keys = self.keys.fetch_add(1, Ordering::Relaxed) + 1;
            self.metrics.pending_keys.set(keys as i64);
        }
        drop(shard);
        self.metrics
            .tally_recorded
            .get_or_create(&NameLabel::of(kind.as_str()))
            .inc();
        Outcome::Counted
    }

    /// The host to count under: itself while the tool has fewer than the cap that day.
    fn capped_host(&self, shard: &mut Shard, slug: &Slug, day: Date, host: &str) -> Arc<str> {
        // Looked up by reference first: a known tool costs no allocation here.
        let (set_day, hosts) = match shard.hosts.get_mut(slug) {
            Some(entry) => entry,
            None => shard
                .hosts
                .entry(slug.clone())
                .or_insert_with(|| (day, HashSet::new())),
        };
        if *set_day < day {
            // A new day: every tool may name a fresh set of hosts.
            self.hosts.fetch_sub(hosts.len(), Ordering::Relaxed);
            hosts.clear();
            *set_day = day;
        }
        if let Some(known) = hosts.get(host) {
            return known.clone();
        }
        let room = hosts.len() < MAX_HOSTS_PER_TOOL_DAY
            && self.hosts.load(Ordering::Relaxed) < self.max_keys;
        if !room {
            return Arc::from(OTHER_HOST);
        }
        let host: Arc<str> = Arc::from(host);
        hosts.insert(host.clone());
        self.hosts.fetch_add(1, Ordering::Relaxed);
        host
    }

    /// Drains every counter, sorted by key, and forgets host sets of past days.
    pub fn take(&self) -> Vec<CountRow> {
        let today = OffsetDateTime::now_utc().date();
        let mut rows = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            let counts = std::mem::take(&mut shard.counts);
            // Forget the host sets of tools not seen today.
            let mut forgotten = 0;
            shard.hosts.retain(|_, (day, hosts)| {
                let keep = *day >= today;
                if !keep {
                    forgotten += hosts.len();
                }
                keep
            });
            drop(shard);
            self.hosts.fetch_sub(forgotten, Ordering::Relaxed);
            self.keys.fetch_sub(counts.len(), Ordering::Relaxed);
            rows.extend(counts.into_iter().map(|(k, n)| CountRow {
                slug: k.slug,
                day: k.day,
                kind: k.kind,
                referrer: k.referrer.to_string(),
                n,
            }));
        }
        self.metrics
            .pending_keys
            .set(self.keys.load(Ordering::Relaxed) as i64);
        rows.sort();
        rows
    }

    /// Distinct keys waiting in memory.
    pub fn pending_keys(&self) -> usize {
        self.keys.load(Ordering::Relaxed)
    }
}

/// Which ceiling a request is held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ceiling {
    /// N a minute per address, tool and kind.
    Reader,
    /// [`IMAGE_PROXY_FACTOR`] × N: a proxy address fetches for many readers.
    ImageProxy,
}

/// How many readers' worth an image-proxy address may count per tool, kind and minute.
pub const IMAGE_PROXY_FACTOR: u32 = 100;

/// Per-client limit: at most N counted loads per address, tool and kind in each clock
/// minute (image proxies: [`IMAGE_PROXY_FACTOR`] × N).
///
/// The address alone is the client: a User-Agent is the client's to choose, so one
/// that rotates it must not count again. Addresses are kept only as keyed hashes, in
/// a bounded cache whose entries expire after two minutes.
struct Limiter {
    per_minute: u32,
    windows: moka::sync::Cache<u64, Arc<AtomicU32>>,
    hasher: std::collections::hash_map::RandomState,
}

impl Limiter {
    fn new(per_minute: u32) -> Limiter {
        Limiter {
            per_minute,
            windows: moka::sync::Cache::builder()
                .max_capacity(200_000)
                .time_to_live(Duration::from_secs(120))
                .build(),
            hasher: Default::default(),
        }
    }

    fn allow(&self, client: &impl Hash, ceiling: Ceiling) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let limit = match ceiling {
            Ceiling::Reader => self.per_minute,
            Ceiling::ImageProxy => self.per_minute.saturating_mul(IMAGE_PROXY_FACTOR),
        };
        let minute = OffsetDateTime::now_utc().unix_timestamp() / 60;
        let key = self.hasher.hash_one((client, minute));
        let seen = self.windows.get_with(key, || Arc::new(AtomicU32::new(0)));
        seen.fetch_add(1, Ordering::Relaxed) < limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, header};

    fn slug(s: &str) -> Slug {
        Slug::parse(s).unwrap()
    }

    fn tally(max_keys: usize, limit: u32) -> Tally {
        Tally::new(max_keys, limit, Arc::new(Metrics::new()))
    }

    #[test]
    fn counts_add_up_per_key_and_drain_sorted() {
        let t = tally(100, 0);
        for _ in 0..3 {
            t.record(&slug("b"), Kind::Badge, "x.example");
        }
        t.record(&slug("a"), Kind::Click, "(direct)");
        let rows = t.take();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].slug.as_str(), rows[0].n), ("a", 1));
        assert_eq!((rows[1].slug.as_str(), rows[1].n), ("b", 3));
        assert!(t.take().is_empty());
        assert_eq!(t.pending_keys(), 0);
    }

    #[test]
    fn hosts_past_the_cap_become_other() {
        let t = tally(1_000_000, 0);
        for i in 0..MAX_HOSTS_PER_TOOL_DAY + 500 {
            t.record(&slug("a"), Kind::Badge, &format!("h{i}.example"));
        }
        let rows = t.take();
        assert_eq!(rows.len(), MAX_HOSTS_PER_TOOL_DAY + 1);
        let other = rows.iter().find(|r| r.referrer == OTHER_HOST).unwrap();
        assert_eq!(other.n, 500);
        assert_eq!(rows.iter().map(|r| r.n).sum::<u64>(), 1500);
    }

    #[test]
    fn a_full_buffer_drops_and_says_so() {
        let t = tally(2, 0);
        assert_eq!(t.record(&slug("a"), Kind::Badge, "h1"), Outcome::Counted);
        assert_eq!(t.record(&slug("a"), Kind::Badge, "h2"), Outcome::Counted);
        assert_eq!(t.record(&slug("a"), Kind::Badge, "h3"), Outcome::Dropped);
        // An existing key still counts.
        assert_eq!(t.record(&slug("a"), Kind::Badge, "h1"), Outcome::Counted);
        assert!(
            t.metrics
                .encode()
                .contains("verdict_badges_tally_dropped_total{name=\"buffer_full\"} 1")
        );
    }

    #[test]
    fn one_client_is_limited_per_tool_and_minute() {
        let t = tally(100, 3);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            ),
        );
        let facts = RequestFacts {
            method: &Method::GET,
            headers: &headers,
            client_ip: [10, 0, 0, 1].into(),
        };
        let outcomes: Vec<_> = (0..5)
            .map(|_| t.observe(&facts, &slug("a"), Kind::Badge))
            .collect();
        assert_eq!(
            outcomes.iter().filter(|o| **o == Outcome::Counted).count(),
            3
        );
        assert_eq!(outcomes[4], Outcome::RateLimited);
        // Another tool has its own allowance.
        assert_eq!(t.observe(&facts, &slug("b"), Kind::Badge), Outcome::Counted);
    }

    fn observe_as(t: &Tally, agent: &str, ip: [u8; 4]) -> Outcome {
        let mut headers = HeaderMap::new();
        headers.insert(header::USER_AGENT, HeaderValue::from_str(agent).unwrap());
        let facts = RequestFacts {
            method: &Method::GET,
            headers: &headers,
            client_ip: ip.into(),
        };
        t.observe(&facts, &slug("a"), Kind::Badge)
    }

    #[test]
    fn neither_a_new_user_agent_nor_a_proxy_claim_lifts_the_limit() {
        let t = tally(1000, 3).with_image_proxies(ProxyRanges::defaults());
        let counted = (0..20)
            .map(|i| {
                let agent = format!(
                    "Mozilla/5.0 (X11; Linux x86_64; rv:{i}.0) Gecko/20100101 Firefox/{i}.0"
                );
                assert_eq!(
                    observe_as(&tally(10, 0), &agent, [10, 0, 0, 9]),
                    Outcome::Counted
                );
                observe_as(&t, &agent, [10, 0, 0, 1])
            })
            .chain((0..20).map(|_| observe_as(&t, "github-camo (1)", [10, 0, 0, 1])))
            .filter(|o| *o == Outcome::Counted)
            .count();
        assert_eq!(counted, 3);
        // From GitHub's network the same claim counts, up to the proxy ceiling.
        let camo = (0..400)
            .map(|_| observe_as(&t, "github-camo (1)", [140, 82, 115, 145]))
            .filter(|o| *o == Outcome::Counted)
            .count();
        assert_eq!(camo, 3 * IMAGE_PROXY_FACTOR as usize);
    }
}
