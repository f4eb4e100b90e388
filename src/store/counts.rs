//! Counts in the store: flush batches applied once each, and reads by tool and window.

use super::{Store, StoreError, StoreResult, now_secs};
use crate::counts::{CountRow, Kind};
use crate::verdict::Slug;
use sqlx::Row;
use std::time::Duration;
use time::Date;
use time::format_description::well_known::Iso8601;

/// Rows per `INSERT` of a flush: one statement per row made a flush cost ~20–60 µs a
/// row in round trips; 100 rows (500 parameters) stay far below SQLite's and
/// PostgreSQL's parameter limits.
const ROWS_PER_STATEMENT: usize = 100;

/// The additive upsert of `rows` count rows in one statement.
fn upsert_counts_sql(rows: usize) -> String {
    let mut sql = String::from("INSERT INTO counts (slug, day, kind, referrer, n) VALUES ");
    for i in 0..rows {
        let p = i * 5;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${})",
            p + 1,
            p + 2,
            p + 3,
            p + 4,
            p + 5
        ));
    }
    sql.push_str(
        " ON CONFLICT (slug, day, kind, referrer) DO UPDATE SET n = counts.n + excluded.n",
    );
    sql
}

/// Sorted rows with each key once, its counts summed: one statement may not update a
/// row twice (PostgreSQL refuses), so a batch that repeated a key would never apply.
fn coalesce(rows: &[CountRow]) -> Vec<CountRow> {
    let mut out: Vec<CountRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match out.last_mut() {
            Some(last) if last.same_key(row) => last.n += row.n,
            _ => out.push(row.clone()),
        }
    }
    out
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
    /// Adds one flush batch in one transaction, unless `(instance, seq)` was applied before.
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
        for chunk in coalesce(rows).chunks(ROWS_PER_STATEMENT) {
            let sql = upsert_counts_sql(chunk.len());
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(row.slug.as_str())
                    .bind(day_text(row.day))
                    .bind(row.kind.as_str())
                    .bind(row.referrer.as_str())
                    .bind(count_value(row.n)?);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Applied::Now)
    }

    /// Forgets flush-log entries older than `age`; a retry never waits that long.
    pub async fn prune_flush_log(&self, age: Duration) -> StoreResult<u64> {
        let cutoff = now_secs() - age.as_secs() as i64;
        let done = sqlx::query("DELETE FROM flush_log WHERE applied_at < $1")
            .bind(cutoff)
            .execute(&self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Every count row of one tool between two UTC days, inclusive.
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
