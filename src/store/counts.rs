//! Counts in the store: flush batches applied once each, the flush log's pruning,
//! and the detail rows read back (a small window, or the whole selection as a stream).

use super::aggregates::{self, Params, statement_chunks, upsert_sql};
use super::{Store, StoreError, StoreResult, now_secs};
use crate::counts::{CountRow, Kind};
use crate::verdict::Slug;
use futures_util::{Stream, StreamExt};
use sqlx::{AnyConnection, Row};
use std::borrow::Cow;
use std::time::Duration;
use time::Date;
use time::format_description::well_known::Iso8601;

/// Most rows per `INSERT` of a flush: one statement per row made a flush cost ~20–60 µs
/// a row in round trips; 128 rows (640 parameters) stay far below SQLite's and
/// PostgreSQL's parameter limits. A power of two (see [`statement_chunks`]).
const ROWS_PER_STATEMENT: usize = 128;

/// Adds `rows` (sorted, each key once) to the detail rows and to the aggregates that
/// sum them, inside the flush's transaction.
///
/// Rows for a day whose referrers were folded already move the fold mark back first,
/// so the next fold takes their hosts too (see [`super::fold`]).
pub(super) async fn add_counts(conn: &mut AnyConnection, rows: &[CountRow]) -> StoreResult<()> {
    if let Some(earliest) = rows.iter().map(|r| r.day).min() {
        super::fold::reopen(&mut *conn, earliest).await?;
    }
    let params = Params::of(conn);
    for chunk in statement_chunks(rows, ROWS_PER_STATEMENT) {
        let sql = upsert_sql(
            params,
            "counts (slug, day, kind, referrer, n)",
            5,
            chunk.len(),
            "(slug, day, kind, referrer) DO UPDATE SET n = counts.n + excluded.n",
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(row.slug.as_str())
                .bind(day_text(row.day))
                .bind(row.kind.as_str())
                .bind(row.referrer.as_str())
                .bind(count_value(row.n)?);
        }
        query.execute(&mut *conn).await?;
    }
    aggregates::add(conn, rows).await
}

/// Sorted rows with each key once, its counts summed: one statement may not update a
/// row twice (PostgreSQL refuses), so a batch that repeated a key would never apply.
///
/// Borrowed when no key repeats, as in every batch the tally drains: copying a batch
/// doubled what a flush held.
fn coalesce(rows: &[CountRow]) -> Cow<'_, [CountRow]> {
    if !rows.windows(2).any(|pair| pair[0].same_key(&pair[1])) {
        return Cow::Borrowed(rows);
    }
    let mut out: Vec<CountRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match out.last_mut() {
            Some(last) if last.same_key(row) => last.n += row.n,
            _ => out.push(row.clone()),
        }
    }
    Cow::Owned(out)
}

/// Whether a flush batch was applied now or had been applied before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The batch's counts were added.
    Now,
    /// The flush log already held this batch; nothing was added.
    Before,
}

impl Store {
    /// Adds one flush batch in one transaction, unless `(instance, seq)` was applied before:
    /// its detail rows and the aggregates that sum them, so both are exactly as durable
    /// and as idempotent as each other.
    ///
    /// Rows must be sorted by key: concurrent flushes from several instances then
    /// take row locks in the same order and cannot deadlock.
    pub async fn apply_counts(
        &self,
        instance: &str,
        seq: i64,
        rows: &[CountRow],
    ) -> StoreResult<Applied> {
        debug_assert!(rows.windows(2).all(|w| w[0] <= w[1]), "rows must be sorted");
        let mut tx = self.begin_write().await?;
        let logged = sqlx::query(
            "INSERT INTO flush_log (instance, seq, applied_at) VALUES ($1, $2, $3) \
             ON CONFLICT (instance, seq) DO NOTHING",
        )
        .bind(instance)
        .bind(seq)
        .bind(now_secs())
        .execute(&mut *tx)
        .await?;
        if logged.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(Applied::Before);
        }
        add_counts(&mut tx, &coalesce(rows)).await?;
        tx.commit().await?;
        Ok(Applied::Now)
    }

    /// Prunes the flush log: an entry older than `retry_window` goes once its instance
    /// has a newer one, and an instance's newest entry goes after `idle` without a newer
    /// one. Answers how many entries went.
    ///
    /// A flusher applies its batches strictly in turn and retries only the newest, so
    /// an entry with a newer one beside it can never be retried. The newest can be, for
    /// as long as its instance keeps failing to hear back from the store (it retries
    /// forever): it is kept until the instance says goodbye ([`Store::forget_instance`])
    /// or has been silent for `idle`.
    pub async fn prune_flush_log(
        &self,
        retry_window: Duration,
        idle: Duration,
    ) -> StoreResult<u64> {
        let now = now_secs();
        let done = sqlx::query(
            "DELETE FROM flush_log WHERE applied_at < $1 OR (applied_at < $2 AND seq < \
             (SELECT MAX(newer.seq) FROM flush_log AS newer WHERE newer.instance = flush_log.instance))",
        )
        .bind(now - secs(idle))
        .bind(now - secs(retry_window))
        .execute(&self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Forgets an instance's flush-log entries: it stopped and will retry nothing.
    pub async fn forget_instance(&self, instance: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM flush_log WHERE instance = $1")
            .bind(instance)
            .execute(&self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// How many entries the flush log holds.
    pub async fn flush_log_len(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM flush_log")
            .fetch_one(&self.pool())
            .await?;
        parse_count(n)
    }

    /// Every count row of one tool between two UTC days, inclusive, in memory: for
    /// tests and small windows. Stats read the aggregates; exports stream.
    pub async fn counts(&self, slug: &Slug, from: Date, to: Date) -> StoreResult<Vec<CountRow>> {
        let rows = sqlx::query(
            "SELECT slug, day, kind, referrer, n FROM counts \
             WHERE slug = $1 AND day >= $2 AND day <= $3 ORDER BY day, kind, referrer",
        )
        .bind(slug.as_str())
        .bind(day_text(from))
        .bind(day_text(to))
        .fetch_all(&self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CountRow {
                    slug: slug.clone(),
                    day: parse_day(r.get(1))?,
                    kind: parse_kind(r.get(2))?,
                    referrer: r.get(3),
                    n: parse_count(r.get(4))?,
                })
            })
            .collect()
    }
}

/// Which detail rows an export takes: one tool or all, from and to a day (inclusive).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only this tool.
    pub slug: Option<Slug>,
    /// First day.
    pub from: Option<Date>,
    /// Last day.
    pub to: Option<Date>,
}

/// The export's query, without and with a tool (`$3`).
const EXPORT_SQL: [&str; 2] = [
    "SELECT slug, day, kind, referrer, n FROM counts WHERE day >= $1 AND day <= $2 \
     ORDER BY slug, day, kind, referrer",
    "SELECT slug, day, kind, referrer, n FROM counts WHERE day >= $1 AND day <= $2 \
     AND slug = $3 ORDER BY slug, day, kind, referrer",
];

impl Store {
    /// Every detail row of the selection, ordered by tool, day, kind and referrer (the
    /// key's order, so no sort), as a stream: rows are read as they are written out,
    /// in constant memory.
    pub fn export_counts(
        &self,
        selection: &Selection,
    ) -> impl Stream<Item = StoreResult<CountRow>> + Send + '_ {
        let from = selection.from.map_or_else(|| "0000-01-01".into(), day_text);
        let to = selection.to.map_or_else(|| "9999-12-31".into(), day_text);
        let query = match &selection.slug {
            None => sqlx::query(EXPORT_SQL[0]).bind(from).bind(to),
            Some(slug) => sqlx::query(EXPORT_SQL[1])
                .bind(from)
                .bind(to)
                .bind(slug.as_str().to_owned()),
        };
        query.fetch(&self.pool()).map(|row| {
            let row = row?;
            let slug: String = row.get(0);
            Ok(CountRow {
                slug: Slug::parse(&slug).map_err(|why| StoreError::Corrupt {
                    slug: slug.clone(),
                    reason: format!("count row with a bad slug: {why}"),
                })?,
                day: parse_day(row.get(1))?,
                kind: parse_kind(row.get(2))?,
                referrer: row.get(3),
                n: parse_count(row.get(4))?,
            })
        })
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// A day as the `day` column holds it: `YYYY-MM-DD`, which sorts as it reads.
pub(super) fn day_text(day: Date) -> String {
    day.to_string()
}

/// A `day` column value back as a date.
pub(super) fn parse_day(text: String) -> StoreResult<Date> {
    Date::parse(&text, &Iso8601::DATE).map_err(|e| StoreError::Corrupt {
        slug: String::new(),
        reason: format!("count row with day {text:?}: {e}"),
    })
}

/// A `kind` column value back as a [`Kind`].
pub(super) fn parse_kind(text: String) -> StoreResult<Kind> {
    Kind::parse(&text).ok_or_else(|| StoreError::Corrupt {
        slug: String::new(),
        reason: format!("count row with unknown kind {text:?}"),
    })
}

/// A count as the `BIGINT` column holds it.
pub(super) fn count_value(n: u64) -> StoreResult<i64> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt {
        slug: String::new(),
        reason: format!("count {n} is past the column's range"),
    })
}

/// A `BIGINT` count back, refusing the negative numbers no flush can write.
pub(super) fn parse_count(n: i64) -> StoreResult<u64> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt {
        slug: String::new(),
        reason: format!("negative count {n}"),
    })
}
