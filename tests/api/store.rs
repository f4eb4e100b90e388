//! The store on both backends: flush batches applied once, verdict writes, stats keys.

use crate::helpers::*;
use std::time::Duration;
use time::Date;
use time::macros::date;
use verdict_badges::counts::{CountRow, Kind};
use verdict_badges::store::{Applied, Store};
use verdict_badges::verdict::Slug;

/// A fresh store on `backend`, and what keeps its database alive.
async fn store(backend: TestBackend) -> (Scratch, Store) {
    let db = scratch(backend).await;
    let store = Store::connect(&db.url).await.unwrap();
    (db, store)
}

fn row(slug: &str, referrer: &str, n: u64) -> CountRow {
    CountRow {
        slug: Slug::parse(slug).unwrap(),
        day: date!(2026 - 11 - 22),
        kind: Kind::Badge,
        referrer: referrer.into(),
        n,
    }
}

const NOVEMBER: (Date, Date) = (date!(2026 - 11 - 01), date!(2026 - 11 - 30));

async fn a_batch_applied_twice_counts_once(backend: TestBackend) {
    let (_db, store) = store(backend).await;
    let slug = Slug::parse("a").unwrap();
    let rows = vec![row("a", "x.example", 3)];
    assert_eq!(
        store.apply_counts("i1", 1, &rows).await.unwrap(),
        Applied::Now
    );
    assert_eq!(
        store.apply_counts("i1", 1, &rows).await.unwrap(),
        Applied::Before
    );
    assert_eq!(
        store.apply_counts("i1", 2, &rows).await.unwrap(),
        Applied::Now
    );
    let counts = store.counts(&slug, NOVEMBER.0, NOVEMBER.1).await.unwrap();
    assert_eq!(counts, vec![row("a", "x.example", 6)]);
}

async fn a_batch_spanning_several_statements_adds_every_row_once(backend: TestBackend) {
    let (_db, store) = store(backend).await;
    // 2.5 statements' worth of keys, each key repeated once: the repeats are
    // summed, not refused.
    // (Flushes write 100 rows a statement.)
    let keys = 250;
    let mut rows: Vec<CountRow> = (0..keys)
        .flat_map(|i| {
            let host = format!("h{i:04}.example");
            [row("a", &host, 1), row("a", &host, i as u64)]
        })
        .collect();
    rows.sort();
    store.apply_counts("i", 1, &rows).await.unwrap();
    store.apply_counts("i", 2, &rows[..2]).await.unwrap();
    let counts = store
        .counts(&Slug::parse("a").unwrap(), NOVEMBER.0, NOVEMBER.1)
        .await
        .unwrap();
    assert_eq!(counts.len(), keys);
    for (i, c) in counts.iter().enumerate() {
        let again = if i == 0 { 1 } else { 0 };
        assert_eq!(c.n, 1 + i as u64 + again, "{c:?}");
    }
}

async fn upserts_replace_and_delete_removes(backend: TestBackend) {
    let (_db, store) = store(backend).await;
    let version = store.catalog_version().await.unwrap();
    let mut v = verdict_badges::verdict::demo_verdicts().remove(0);
    store
        .upsert_verdicts(std::slice::from_ref(&v))
        .await
        .unwrap();
    v.name = "Renamed".into();
    store
        .upsert_verdicts(std::slice::from_ref(&v))
        .await
        .unwrap();
    assert_eq!(
        store.verdict(&v.slug).await.unwrap().unwrap().name,
        "Renamed"
    );
    assert_eq!(store.verdict_count().await.unwrap(), 1);
    assert!(store.delete_verdict(&v.slug).await.unwrap());
    assert!(store.verdict(&v.slug).await.unwrap().is_none());
    assert_eq!(store.catalog_version().await.unwrap(), version + 3);
}

async fn stats_keys_and_counts_by_window(backend: TestBackend) {
    let (_db, store) = store(backend).await;
    let a = Slug::parse("a").unwrap();
    store.insert_stats_key("h1", &a).await.unwrap();
    assert_eq!(store.stats_key_slug("h1").await.unwrap(), Some(a.clone()));
    assert!(store.revoke_stats_key("h1").await.unwrap());
    assert!(!store.revoke_stats_key("h1").await.unwrap());
    assert_eq!(store.stats_key_slug("h1").await.unwrap(), None);

    let mut rows = vec![row("a", "x", 1), row("a", "y", 2)];
    rows[0].day = date!(2026 - 10 - 01);
    store.apply_counts("i", 1, &rows).await.unwrap();
    let inside = store.counts(&a, NOVEMBER.0, NOVEMBER.1).await.unwrap();
    assert_eq!(inside, vec![row("a", "y", 2)]);
    assert_eq!(
        store
            .prune_flush_log(Duration::from_secs(3600), Duration::from_secs(86_400))
            .await
            .unwrap(),
        0
    );
}

crate::on_both_backends!(
    a_batch_applied_twice_counts_once,
    a_batch_spanning_several_statements_adds_every_row_once,
    upserts_replace_and_delete_removes,
    stats_keys_and_counts_by_window,
);
