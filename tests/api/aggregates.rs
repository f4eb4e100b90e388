//! The aggregates against the detail rows they sum, on both stores: for random flush
//! batches (some retried, as after a lost acknowledgement) and referrer folds, every
//! aggregate row equals the sum of its detail rows, and every window's days and top
//! referrers equal what the detail rows say.

use crate::helpers::*;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use sqlx::Row;
use std::collections::BTreeMap;
use std::time::Duration;
use time::Date;
use time::macros::date;
use verdict_badges::counts::{CountRow, Kind};
use verdict_badges::store::{Applied, SPANS, Store, day_number};
use verdict_badges::verdict::Slug;

const SLUGS: [&str; 3] = ["a", "b-tool", "c"];
const REFERRERS: [&str; 6] = [
    "(direct)",
    "(other)",
    "x.example",
    "y.example",
    "z.example",
    "news.example",
];
/// First day of the random rows; they span 100 days from here, across span edges.
const DAY0: Date = date!(2026 - 01 - 01);

fn day(offset: u8) -> Date {
    DAY0 + time::Duration::days(i64::from(offset))
}

/// What a case does to the store, in turn.
#[derive(Clone, Debug)]
enum Op {
    /// Applies a batch; `retry` applies it again with the same number.
    Flush {
        rows: Vec<(usize, u8, usize, usize, u64)>,
        retry: bool,
    },
    /// Folds the referrers of every day before day `before`.
    Fold { before: u8 },
    /// Reads the window `from..=from + len`, with a top-N limit.
    Read { from: u8, len: u8, top: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (
            prop::collection::vec((0..3usize, 0..100u8, 0..4usize, 0..6usize, 1..1000u64), 1..40),
            any::<bool>()
        )
            .prop_map(|(rows, retry)| Op::Flush { rows, retry }),
        1 => (0..100u8).prop_map(|before| Op::Fold { before }),
        3 => (0..100u8, 0..100u8, 1..8usize).prop_map(|(from, len, top)| Op::Read { from, len, top }),
    ]
}

fn rows_of(spec: &[(usize, u8, usize, usize, u64)]) -> Vec<CountRow> {
    let mut rows: Vec<CountRow> = spec
        .iter()
        .map(|&(s, d, k, r, n)| CountRow {
            slug: Slug::parse(SLUGS[s]).unwrap(),
            day: day(d),
            kind: Kind::ALL[k],
            referrer: REFERRERS[r].into(),
            n,
        })
        .collect();
    rows.sort();
    rows
}

/// Every detail row of the store (the test's stores are small).
async fn detail(store: &Store) -> Vec<CountRow> {
    let mut all = Vec::new();
    for slug in SLUGS {
        all.extend(
            store
                .counts(
                    &Slug::parse(slug).unwrap(),
                    date!(2000 - 01 - 01),
                    date!(2100 - 01 - 01),
                )
                .await
                .unwrap(),
        );
    }
    all
}

/// The aggregate tables read raw, and the same sums made from the detail rows.
async fn check_invariants(pool: &sqlx::AnyPool, store: &Store) -> Result<(), TestCaseError> {
    let rows = detail(store).await;
    let mut want_daily: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    let mut want_spans: BTreeMap<(String, i64, i64, String), (i64, i64)> = BTreeMap::new();
    for r in &rows {
        prop_assert!(r.n > 0, "a detail row of 0: {r:?}");
        *want_daily
            .entry((
                r.slug.to_string(),
                r.day.to_string(),
                r.kind.as_str().into(),
            ))
            .or_default() += r.n as i64;
        let (imp, clk) = match r.kind {
            Kind::Badge | Kind::Widget => (r.n as i64, 0),
            Kind::Click => (0, r.n as i64),
            Kind::Bot => continue,
        };
        for span in SPANS {
            let n = day_number(r.day);
            let e = want_spans
                .entry((
                    r.slug.to_string(),
                    span,
                    n - n.rem_euclid(span),
                    r.referrer.clone(),
                ))
                .or_default();
            e.0 += imp;
            e.1 += clk;
        }
    }
    let got_daily: BTreeMap<(String, String, String), i64> =
        sqlx::query("SELECT slug, day, kind, n FROM daily_counts")
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
            .collect();
    prop_assert_eq!(got_daily, want_daily, "daily_counts = sums of counts");
    let got_spans: BTreeMap<(String, i64, i64, String), (i64, i64)> =
        sqlx::query("SELECT slug, span, start, referrer, impressions, clicks FROM referrer_spans")
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    (r.get(0), r.get(1), r.get(2), r.get(3)),
                    (r.get(4), r.get(5)),
                )
            })
            .collect();
    prop_assert_eq!(got_spans, want_spans, "referrer_spans = sums of counts");
    Ok(())
}

/// A referrer's host, impressions and clicks.
type Ranked = (String, u64, u64);

/// A window's days and referrers as the detail rows say, ranked as the contract says.
fn expected_window(
    rows: &[CountRow],
    slug: &str,
    from: Date,
    to: Date,
    top: usize,
) -> (Vec<(Date, [u64; 4])>, Vec<Ranked>) {
    let mut days: BTreeMap<Date, [u64; 4]> = BTreeMap::new();
    let mut refs: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.slug.as_str() == slug && r.day >= from && r.day <= to)
    {
        let k = Kind::ALL.iter().position(|k| *k == r.kind).unwrap();
        days.entry(r.day).or_default()[k] += r.n;
        let e = refs.entry(r.referrer.clone()).or_default();
        match r.kind {
            Kind::Badge | Kind::Widget => e.0 += r.n,
            Kind::Click => e.1 += r.n,
            Kind::Bot => {}
        }
    }
    let mut refs: Vec<Ranked> = refs
        .into_iter()
        .filter(|(_, (i, c))| i + c > 0)
        .map(|(h, (i, c))| (h, i, c))
        .collect();
    refs.sort_by(|a, b| (b.1, b.2).cmp(&(a.1, a.2)).then_with(|| a.0.cmp(&b.0)));
    refs.truncate(top);
    (days.into_iter().collect(), refs)
}

async fn run_case(
    pool: &sqlx::AnyPool,
    store: &Store,
    case: u64,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let instance = format!("case-{case}");
    for (seq, op) in ops.iter().enumerate() {
        match op {
            Op::Flush { rows, retry } => {
                let rows = rows_of(rows);
                let seq = seq as i64 + 1;
                prop_assert_eq!(
                    store.apply_counts(&instance, seq, &rows).await.unwrap(),
                    Applied::Now
                );
                if *retry {
                    prop_assert_eq!(
                        store.apply_counts(&instance, seq, &rows).await.unwrap(),
                        Applied::Before
                    );
                }
            }
            Op::Fold { before } => {
                let before = day(*before);
                while let Some(folded) = store.fold_referrers_step(before).await.unwrap() {
                    prop_assert!(folded.day < before);
                }
                // Nothing before the mark names a host any more.
                let rows = detail(store).await;
                let mark = store.referrers_folded_before().await.unwrap().unwrap();
                for r in rows.iter().filter(|r| r.day < mark) {
                    prop_assert!(
                        r.referrer == "(other)" || r.referrer == "(direct)",
                        "{r:?} before {mark}"
                    );
                }
            }
            Op::Read { from, len, top } => {
                let from = day(*from);
                let to = from + time::Duration::days(i64::from(*len));
                let rows = detail(store).await;
                for slug in SLUGS {
                    let got = store
                        .window_counts(&Slug::parse(slug).unwrap(), from, to, *top)
                        .await
                        .unwrap();
                    let (days, refs) = expected_window(&rows, slug, from, to, *top);
                    let got_days: Vec<(Date, [u64; 4])> = got
                        .days
                        .iter()
                        .map(|d| (d.day, [d.badge, d.widget, d.click, d.bot]))
                        .collect();
                    prop_assert_eq!(got_days, days);
                    let got_refs: Vec<Ranked> = got
                        .referrers
                        .into_iter()
                        .map(|r| (r.referrer, r.impressions, r.clicks))
                        .collect();
                    prop_assert_eq!(got_refs, refs, "{} {}..{} top {}", slug, from, to, top);
                }
            }
        }
        check_invariants(pool, store).await?;
    }
    Ok(())
}

/// Runs the property on one store for every case; proptest drives it from a thread
/// of its own with its own runtime, and shrinks a failing case to a minimal one.
fn aggregates_property(backend: TestBackend, cases: u32) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (db, store, pool) = rt.block_on(async {
        let db = scratch(backend).await;
        let store = Store::connect(&db.url).await.unwrap();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&db.url)
            .await
            .unwrap();
        (db, store, pool)
    });
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let case = std::cell::Cell::new(0u64);
    let result = runner.run(&prop::collection::vec(op(), 1..10), |ops| {
        case.set(case.get() + 1);
        rt.block_on(run_case(&pool, &store, case.get(), &ops))
    });
    rt.block_on(async {
        store.close().await;
        pool.close().await;
    });
    drop(db);
    if let Err(e) = result {
        panic!("{e}");
    }
}

async fn aggregates_equal_the_sums_of_detail_rows(backend: TestBackend) {
    let cases = match backend {
        TestBackend::Sqlite => 48,
        TestBackend::Postgres => 32,
    };
    tokio::task::spawn_blocking(move || aggregates_property(backend, cases))
        .await
        .unwrap();
}

/// The flush log keeps what a retry needs and nothing else: an entry with a newer one
/// of its instance goes once older than the retry window; the newest stays, so a retry
/// of it is still recognised.
async fn the_flush_log_keeps_only_what_a_retry_needs(backend: TestBackend) {
    let db = scratch(backend).await;
    let store = Store::connect(&db.url).await.unwrap();
    let rows = rows_of(&[(0, 1, 0, 2, 5)]);
    for seq in 1..=3 {
        store.apply_counts("i", seq, &rows).await.unwrap();
    }
    store.apply_counts("j", 1, &rows).await.unwrap();
    // Entries are stamped in whole seconds: let this one pass.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let day = Duration::from_secs(86_400);
    assert_eq!(store.prune_flush_log(Duration::ZERO, day).await.unwrap(), 2);
    assert_eq!(store.flush_log_len().await.unwrap(), 2, "each newest stays");
    assert_eq!(
        store.apply_counts("i", 3, &rows).await.unwrap(),
        Applied::Before,
        "a retry of the newest batch is still recognised"
    );
    assert_eq!(
        store.apply_counts("j", 1, &rows).await.unwrap(),
        Applied::Before
    );
    // An instance silent for longer than `idle` is gone; a clean stop forgets at once.
    assert_eq!(
        store
            .prune_flush_log(Duration::ZERO, Duration::ZERO)
            .await
            .unwrap(),
        2
    );
    store.apply_counts("k", 1, &rows).await.unwrap();
    assert_eq!(store.forget_instance("k").await.unwrap(), 1);
    assert_eq!(store.flush_log_len().await.unwrap(), 0);
    let a = store
        .counts(&Slug::parse("a").unwrap(), DAY0, day_after(DAY0, 10))
        .await
        .unwrap();
    assert_eq!(a.iter().map(|r| r.n).sum::<u64>(), 5 * 5);
}

fn day_after(d: Date, n: i64) -> Date {
    d + time::Duration::days(n)
}

/// Under continuous traffic, with a short retention, the flush log stays bounded by
/// what the retention allows, while many more batches are applied; once traffic stops
/// only the newest entry is left, and a clean stop removes that too.
async fn the_flush_log_stays_bounded_under_traffic(backend: TestBackend) {
    let flush = Duration::from_millis(20);
    let mut app = spawn_app_on(backend, |c| {
        c.count_limit_per_minute = 0;
        c.flush_interval = flush;
        c.maintenance_interval = Duration::from_millis(100);
        c.flush_log_retention = Duration::ZERO;
    })
    .await;
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&app.database_url)
        .await
        .unwrap();
    // Entries younger than a second (whole-second stamps) plus a maintenance interval.
    let bound = (Duration::from_millis(1100).as_millis() / flush.as_millis()) as i64 + 1;
    let (mut longest, mut batches) = (0i64, 0i64);
    let started = std::time::Instant::now();
    while batches < 4 * bound {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "only {batches} batches were applied"
        );
        for _ in 0..20 {
            let r = app.get("/api/badge/smolvlm-3b").await;
            assert_eq!(r.status(), 200);
        }
        let (len, seq): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(seq) FROM flush_log")
                .fetch_one(&pool)
                .await
                .unwrap();
        longest = longest.max(len);
        batches = batches.max(seq.unwrap_or(0));
    }
    assert!(
        longest <= 2 * bound,
        "the flush log held {longest} entries (bound {bound}) over {batches} batches"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.state.store.flush_log_len().await.unwrap() > 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "older entries were never pruned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM flush_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "a clean stop forgets the instance's entries");
}

crate::on_both_backends!(
    aggregates_equal_the_sums_of_detail_rows,
    the_flush_log_keeps_only_what_a_retry_needs,
    the_flush_log_stays_bounded_under_traffic,
);
