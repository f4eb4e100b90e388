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
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use proxies::ProxyRanges;
pub use rules::Referrer;
use rules::{Audience, BotReason, Referrers, Rules};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
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

/// Counts of one referrer host, one per [`Kind`] (in [`Kind::ALL`] order).
type PerKind = [u64; Kind::ALL.len()];

/// One tool's counters.
///
/// Today's counts sit beside the referrer hosts they belong to: counting a load is one
/// lookup of the tool and one of the host, then an add, with no key built, no string
/// allocated and no reference count touched. A host stays in the set when its counts are
/// drained (the cap is per day, not per flush) and the set is cleared when the day
/// changes; counts still pending from an earlier day move to `earlier` then.
struct ToolCounts {
    /// The day of `hosts` and `other`.
    day: Date,
    /// Today's hosts (at most [`MAX_HOSTS_PER_TOOL_DAY`]) with their pending counts.
    hosts: Hosts,
    /// Today's pending counts of hosts past the cap, counted as [`OTHER_HOST`].
    other: PerKind,
    /// Pending counts of earlier days: (day, kind, referrer, n).
    earlier: Vec<(Date, Kind, Arc<str>, u64)>,
}

impl ToolCounts {
    fn new(day: Date) -> ToolCounts {
        ToolCounts {
            day,
            hosts: Hosts::default(),
            other: PerKind::default(),
            earlier: Vec::new(),
        }
    }

    /// Moves today's pending counts to `earlier` and starts `day` with no hosts;
    /// answers how many hosts were forgotten.
    fn start_day(&mut self, day: Date) -> usize {
        let forgotten = self.hosts.len();
        let old = self.day;
        for (host, counts) in std::mem::take(&mut self.hosts).into_vec() {
            for (kind, n) in Kind::ALL.into_iter().zip(counts) {
                if n > 0 {
                    self.earlier.push((old, kind, host.clone(), n));
                }
            }
        }
        let other: Arc<str> = Arc::from(OTHER_HOST);
        for (kind, n) in Kind::ALL.into_iter().zip(std::mem::take(&mut self.other)) {
            if n > 0 {
                self.earlier.push((old, kind, other.clone(), n));
            }
        }
        self.day = day;
        forgotten
    }
}

/// Hosts up to which a tool's hosts are a list searched in order rather than a map.
const FEW_HOSTS: usize = 8;

/// One tool's hosts of today with their pending counts.
///
/// Most tools are embedded on a handful of sites, and every tool counted today keeps its
/// set until the day ends: as a list grown one host at a time, a tool with one host
/// holds 48 bytes where the smallest hash map held 212 (2 MB of the tally's 5 with
/// 10,000 tools, BENCHMARKS.md "Fourth pass"). A tool past [`FEW_HOSTS`] gets a map.
enum Hosts {
    /// At most [`FEW_HOSTS`], in the order first seen.
    Few(Vec<(Arc<str>, PerKind)>),
    /// More.
    Many(HashMap<Arc<str>, PerKind, Hasher>),
}

impl Default for Hosts {
    fn default() -> Hosts {
        Hosts::Few(Vec::new())
    }
}

impl Hosts {
    fn len(&self) -> usize {
        match self {
            Hosts::Few(few) => few.len(),
            Hosts::Many(many) => many.len(),
        }
    }

    fn get_mut(&mut self, host: &str) -> Option<&mut PerKind> {
        match self {
            Hosts::Few(few) => few
                .iter_mut()
                .find(|(known, _)| &**known == host)
                .map(|(_, counts)| counts),
            Hosts::Many(many) => many.get_mut(host),
        }
    }

    /// Adds `host` (not yet here) with no counts.
    fn insert(&mut self, host: Arc<str>) -> &mut PerKind {
        if let Hosts::Few(few) = self
            && few.len() == FEW_HOSTS
        {
            *self = Hosts::Many(few.drain(..).collect());
        }
        match self {
            Hosts::Few(few) => {
                // One slot at a time: most tools stop at one or two hosts.
                few.reserve_exact(1);
                few.push((host, PerKind::default()));
                &mut few.last_mut().expect("pushed above").1
            }
            Hosts::Many(many) => many.entry(host).or_default(),
        }
    }

    fn for_each(&mut self, mut f: impl FnMut(&Arc<str>, &mut PerKind)) {
        match self {
            Hosts::Few(few) => few.iter_mut().for_each(|(host, counts)| f(host, counts)),
            Hosts::Many(many) => many.iter_mut().for_each(|(host, counts)| f(host, counts)),
        }
    }

    fn into_vec(self) -> Vec<(Arc<str>, PerKind)> {
        match self {
            Hosts::Few(few) => few,
            Hosts::Many(many) => many.into_iter().collect(),
        }
    }
}

/// The tally's hash maps use a fast seeded hasher (foldhash, as quick_cache does): keys
/// are slugs and referrer hosts, short strings hashed on every counted load.
type Hasher = quick_cache::DefaultHashBuilder;

#[derive(Default)]
struct Shard {
    tools: HashMap<Slug, ToolCounts, Hasher>,
}

/// Counters of the `tally_recorded`, `tally_dropped` and `bot_requests` families, each
/// taken from its family the first time it is used (so the exposition lists exactly the
/// labels seen) and then kept: counting is an atomic add, not a family lookup.
#[derive(Default)]
struct KeptCounters {
    recorded: [OnceLock<Counter>; Kind::ALL.len()],
    bots: [OnceLock<Counter>; BotReason::ALL.len()],
    rate_limited: OnceLock<Counter>,
    buffer_full: OnceLock<Counter>,
}

fn kept<'a>(
    cell: &'a OnceLock<Counter>,
    family: &Family<NameLabel, Counter>,
    name: &'static str,
) -> &'a Counter {
    cell.get_or_init(|| family.get_or_create(&NameLabel::of(name)).clone())
}

fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Badge => 0,
        Kind::Widget => 1,
        Kind::Click => 2,
        Kind::Bot => 3,
    }
}

/// In-memory counters, sharded by tool so a hot tool never blocks the others.
pub struct Tally {
    shards: Box<[Mutex<Shard>]>,
    hasher: Hasher,
    /// Distinct non-zero counters (tool, day, kind, referrer) waiting to be flushed.
    keys: AtomicUsize,
    /// Today's hosts held across every tool.
    hosts: AtomicUsize,
    max_keys: usize,
    rules: Rules,
    /// `Referer` readings, kept like the User-Agent verdicts in `rules`.
    referrers: Referrers,
    limiter: Limiter,
    clock: Clock,
    proxies: ProxyRanges,
    enabled: bool,
    health: Arc<health::WriteHealth>,
    metrics: Arc<Metrics>,
    counters: KeptCounters,
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
            referrers: Referrers::default(),
            limiter: Limiter::new(limit_per_minute),
            clock: system_clock,
            proxies: ProxyRanges::default(),
            enabled: true,
            health: Arc::default(),
            metrics,
            counters: KeptCounters::default(),
        }
    }

    /// The same counters, telling pages of `origin` (the service's public URL) apart
    /// as its own ([`Tally::observe_view`]).
    pub fn with_own_origin(mut self, origin: url::Origin) -> Tally {
        self.referrers = self.referrers.own_origin(origin);
        self
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

    /// The same counters reading the time from `clock` (tests step it over minutes and days).
    #[cfg(test)]
    fn with_clock(mut self, clock: Clock) -> Tally {
        self.clock = clock;
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
        let referrer = self.referrers.read(facts.headers);
        self.count(facts, slug, kind, &referrer.host)
    }

    /// [`Tally::observe`] for a view (a badge or widget load), unless its `Referer` is a
    /// page of the service itself: previews there are nobody's impressions (`None`).
    /// The `Referer` is read once for both.
    pub fn observe_view(
        &self,
        facts: &RequestFacts<'_>,
        slug: &Slug,
        kind: Kind,
    ) -> Option<Outcome> {
        let referrer = self.referrers.read(facts.headers);
        if referrer.own_page {
            return None;
        }
        if !self.enabled {
            return Some(Outcome::Off);
        }
        Some(self.count(facts, slug, kind, &referrer.host))
    }

    /// Counts a request from `referrer` by what it is (bot, image proxy, reader).
    fn count(&self, facts: &RequestFacts<'_>, slug: &Slug, kind: Kind, referrer: &str) -> Outcome {
        match self.rules.classify(facts.method, facts.headers) {
            Audience::Bot(reason) => {
                kept(
                    &self.counters.bots[reason.index()],
                    &self.metrics.bot_requests,
                    reason.as_str(),
                )
                .inc();
                match self.record(slug, Kind::Bot, referrer) {
                    Outcome::Counted => Outcome::Bot,
                    other => other,
                }
            }
            Audience::ImageProxy if self.proxies.contains(facts.client_ip) => {
                self.limited(facts, slug, kind, referrer, Ceiling::ImageProxy)
            }
            // Claiming to be a proxy from elsewhere earns nothing: a reader like any other.
            Audience::ImageProxy | Audience::Reader => {
                self.limited(facts, slug, kind, referrer, Ceiling::Reader)
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
        if self
            .limiter
            .allow(&(address, slug, kind), ceiling, self.clock)
        {
            self.record(slug, kind, referrer)
        } else {
            kept(
                &self.counters.rate_limited,
                &self.metrics.tally_dropped,
                "rate_limited",
            )
            .inc();
            Outcome::RateLimited
        }
    }

    /// Adds one to the counter of `(slug, today, kind, referrer)`.
    pub fn record(&self, slug: &Slug, kind: Kind, referrer: &str) -> Outcome {
        let day = day_of((self.clock)());
        let shard = &self.shards[self.hasher.hash_one(slug.as_str()) as usize % SHARDS];
        let mut shard = shard.lock();
        // Looked up by reference first: a known tool costs no allocation here.
        let tool = match shard.tools.get_mut(slug.as_str()) {
            Some(tool) => tool,
            None => shard
                .tools
                .entry(slug.clone())
                .or_insert_with(|| ToolCounts::new(day)),
        };
        if tool.day < day {
            // A new day: every tool may name a fresh set of hosts.
            let forgotten = tool.start_day(day);
            self.hosts.fetch_sub(forgotten, Ordering::Relaxed);
        }
        let counts = self.capped_host(tool, referrer);
        let n = &mut counts[kind_index(kind)];
        if *n == 0 {
            if self.keys.load(Ordering::Relaxed) >= self.max_keys {
                drop(shard);
                kept(
                    &self.counters.buffer_full,
                    &self.metrics.tally_dropped,
                    "buffer_full",
                )
                .inc();
                return Outcome::Dropped;
            }
            *n = 1;
            drop(shard);
            let keys = self.keys.fetch_add(1, Ordering::Relaxed) + 1;
            self.metrics.pending_keys.set(keys as i64);
        } else {
            *n += 1;
            drop(shard);
        }
        kept(
            &self.counters.recorded[kind_index(kind)],
            &self.metrics.tally_recorded,
            kind.as_str(),
        )
        .inc();
        Outcome::Counted
    }

    /// The counts to add to: the host's own while the tool has fewer than the cap today,
    /// else [`OTHER_HOST`]'s.
    fn capped_host<'t>(&self, tool: &'t mut ToolCounts, host: &str) -> &'t mut PerKind {
        if host == OTHER_HOST {
            return &mut tool.other;
        }
        if tool.hosts.get_mut(host).is_none() {
            let room = tool.hosts.len() < MAX_HOSTS_PER_TOOL_DAY
                && self.hosts.load(Ordering::Relaxed) < self.max_keys;
            if !room {
                return &mut tool.other;
            }
            self.hosts.fetch_add(1, Ordering::Relaxed);
            return tool.hosts.insert(Arc::from(host));
        }
        tool.hosts.get_mut(host).expect("found above")
    }

    /// Drains every counter, sorted by key, and forgets host sets of past days.
    pub fn take(&self) -> Vec<CountRow> {
        let today = day_of((self.clock)());
        let mut rows = Vec::new();
        let other: Arc<str> = Arc::from(OTHER_HOST);
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            let mut forgotten = 0;
            let mut drained = 0;
            shard.tools.retain(|slug, tool| {
                let mut row = |day: Date, kind: Kind, referrer: &Arc<str>, n: u64| {
                    drained += 1;
                    rows.push(CountRow {
                        slug: slug.clone(),
                        day,
                        kind,
                        referrer: referrer.to_string(),
                        n,
                    });
                };
                for (day, kind, referrer, n) in tool.earlier.drain(..) {
                    row(day, kind, &referrer, n);
                }
                tool.earlier.shrink_to_fit();
                tool.hosts.for_each(|host, counts| {
                    for (kind, n) in Kind::ALL.into_iter().zip(std::mem::take(counts)) {
                        if n > 0 {
                            row(tool.day, kind, host, n);
                        }
                    }
                });
                for (kind, n) in Kind::ALL.into_iter().zip(std::mem::take(&mut tool.other)) {
                    if n > 0 {
                        row(tool.day, kind, &other, n);
                    }
                }
                // Forget the host sets of tools not seen today.
                let keep = tool.day >= today;
                if !keep {
                    forgotten += tool.hosts.len();
                }
                keep
            });
            drop(shard);
            self.hosts.fetch_sub(forgotten, Ordering::Relaxed);
            self.keys.fetch_sub(drained, Ordering::Relaxed);
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

/// Seconds since the Unix epoch: the one clock the tally reads, for days and for the
/// limiter's minutes (a field, so tests can step it instead of racing the wall clock).
type Clock = fn() -> u64;

/// The system clock, as a [`Clock`].
fn system_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.as_secs())
}

/// The UTC date of `secs` since the Unix epoch, from the seconds alone (no time of day is built).
fn day_of(secs: u64) -> Date {
    const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
    let day = UNIX_EPOCH_JULIAN_DAY + (secs / 86_400) as i64;
    i32::try_from(day)
        .ok()
        .and_then(|day| Date::from_julian_day(day).ok())
        .unwrap_or_else(|| OffsetDateTime::now_utc().date())
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
/// sharded maps of the current minute's counts, emptied when the minute turns; each
/// shard holds at most [`LIMITER_KEYS`] / [`SHARDS`] clients, and a client past that
/// is not limited (as one evicted from a full cache would not be).
struct Limiter {
    per_minute: u32,
    windows: Box<[Mutex<Window>]>,
    hasher: Hasher,
}

/// The counts of one clock minute, by keyed hash of (address, tool, kind).
#[derive(Default)]
struct Window {
    minute: u64,
    seen: HashMap<u64, u32, BuildKeyHash>,
}

/// Most (address, tool, kind) triples the limiter tracks in one minute.
const LIMITER_KEYS: usize = 200_000;

/// The limiter's keys are already hashes (keyed by a random seed): used as they are.
#[derive(Clone, Copy, Default)]
struct BuildKeyHash;

impl BuildHasher for BuildKeyHash {
    type Hasher = KeyHash;
    fn build_hasher(&self) -> KeyHash {
        KeyHash(0)
    }
}

#[derive(Default)]
struct KeyHash(u64);

impl std::hash::Hasher for KeyHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Limiter {
    fn new(per_minute: u32) -> Limiter {
        Limiter {
            per_minute,
            windows: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: Default::default(),
        }
    }

    /// Whether `client` may count once more in `clock`'s current minute (the clock is
    /// read only when there is a limit).
    fn allow(&self, client: &impl Hash, ceiling: Ceiling, clock: Clock) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let minute = clock() / 60;
        let limit = match ceiling {
            Ceiling::Reader => self.per_minute,
            Ceiling::ImageProxy => self.per_minute.saturating_mul(IMAGE_PROXY_FACTOR),
        };
        let key = self.hasher.hash_one(client);
        let mut window = self.windows[(key >> 32) as usize % SHARDS].lock();
        if window.minute != minute {
            // A new minute: every client starts again. A map grown by a burst is let go.
            let grown = window.seen.capacity() > 4 * window.seen.len().max(1024);
            if grown {
                window.seen = HashMap::default();
            } else {
                window.seen.clear();
            }
            window.minute = minute;
        }
        let full = window.seen.len() >= LIMITER_KEYS / SHARDS;
        match window.seen.get_mut(&key) {
            Some(seen) => {
                *seen = seen.saturating_add(1);
                *seen <= limit
            }
            None if full => true,
            None => {
                window.seen.insert(key, 1);
                1 <= limit
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, header};
    use std::cell::Cell;

    fn slug(s: &str) -> Slug {
        Slug::parse(s).unwrap()
    }

    thread_local! {
        /// Each test's own clock (a test runs on its own thread): noon UTC of a fixed day,
        /// stepped by [`advance`], so no test depends on when it runs.
        static NOW: Cell<u64> = const { Cell::new(20_400 * 86_400 + 43_200) };
    }

    fn test_clock() -> u64 {
        NOW.with(Cell::get)
    }

    fn advance(secs: u64) {
        NOW.with(|now| now.set(now.get() + secs));
    }

    fn tally(max_keys: usize, limit: u32) -> Tally {
        Tally::new(max_keys, limit, Arc::new(Metrics::new())).with_clock(test_clock)
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
    fn a_tools_hosts_count_alike_as_a_list_and_as_a_map() {
        let t = tally(1_000, 0);
        // Each round adds a host, so the set passes from a list to a map midway, and
        // every host seen before is counted again.
        let hosts: Vec<String> = (0..3 * FEW_HOSTS)
            .map(|i| format!("h{i:02}.example"))
            .collect();
        for round in 0..hosts.len() {
            for host in &hosts[..=round] {
                t.record(&slug("a"), Kind::Badge, host);
            }
            t.record(&slug("a"), Kind::Click, &hosts[round]);
        }
        let rows = t.take();
        assert_eq!(rows.len(), 2 * hosts.len());
        for (i, host) in hosts.iter().enumerate() {
            let n = |kind| {
                rows.iter()
                    .find(|r| r.referrer == *host && r.kind == kind)
                    .map(|r| r.n)
            };
            assert_eq!(n(Kind::Badge), Some((hosts.len() - i) as u64), "{host}");
            assert_eq!(n(Kind::Click), Some(1), "{host}");
        }
        // Drained counts leave the hosts known for the day: counted again, no new host.
        t.record(&slug("a"), Kind::Badge, &hosts[0]);
        assert_eq!(t.hosts.load(Ordering::Relaxed), hosts.len());
        assert_eq!(t.take()[0].n, 1);
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
    fn counts_of_an_earlier_day_survive_the_day_change_and_the_host_cap_starts_again() {
        let t = tally(1_000_000, 0);
        let yesterday = day_of(test_clock());
        for i in 0..MAX_HOSTS_PER_TOOL_DAY + 2 {
            t.record(&slug("a"), Kind::Badge, &format!("h{i}.example"));
        }
        t.record(&slug("a"), Kind::Click, "h0.example");
        // The clock passes midnight.
        advance(86_400);
        t.record(&slug("a"), Kind::Badge, "h0.example");
        t.record(&slug("a"), Kind::Badge, "new.example");
        assert_eq!(t.hosts.load(Ordering::Relaxed), 2, "today's hosts only");
        let rows = t.take();
        let of = |day: Date| rows.iter().filter(|r| r.day == day).collect::<Vec<_>>();
        let earlier = of(yesterday);
        assert_eq!(earlier.len(), MAX_HOSTS_PER_TOOL_DAY + 2);
        assert_eq!(
            earlier.iter().map(|r| r.n).sum::<u64>(),
            MAX_HOSTS_PER_TOOL_DAY as u64 + 3
        );
        let other = earlier.iter().find(|r| r.referrer == OTHER_HOST).unwrap();
        assert_eq!((other.kind, other.n), (Kind::Badge, 2));
        let now = of(day_of(test_clock()));
        assert_eq!(now.len(), 2);
        assert!(now.iter().all(|r| r.n == 1 && r.kind == Kind::Badge));
        assert_eq!(t.pending_keys(), 0);
        assert!(t.take().is_empty());
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
        // The minute turns: the client starts again.
        advance(60);
        assert_eq!(t.observe(&facts, &slug("a"), Kind::Badge), Outcome::Counted);
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
