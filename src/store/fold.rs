//! Folding old referrer detail: the hosts of a day past the keep horizon become one
//! `(other)` row per tool, day and kind, in the detail rows and in the referrer spans
//! alike, so every aggregate still equals the sums of the detail rows, every total and
//! day stays exact, and an export still carries every count.
//!
//! Folding goes forward one day a transaction from `referrer_fold.folded_before`, so
//! no day before that mark names a host. A flush or an import that writes an earlier
//! day (a batch that waited in memory past the horizon, imported history) moves the
//! mark back to that day in its own transaction, and the next pass folds it.

use super::counts::{day_text, parse_day};
use super::{Backend, Store, StoreResult};
use crate::counts::{DIRECT, OTHER_HOST};
use time::Date;

/// One day folded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FoldedDay {
    /// The day.
    pub day: Date,
    /// Detail rows folded into `(other)` rows.
    pub rows: u64,
}

/// Host rows of day `$1` of every tool that has counts that day: what folding takes.
/// (`(direct)` stays: it is one row a tool, day and kind, and says something a host
/// list cannot.)
const HOSTS_OF_DAY: &str = "FROM counts WHERE day = $1 \
     AND referrer <> '(other)' AND referrer <> '(direct)' \
     AND slug IN (SELECT slug FROM daily_counts WHERE day = $1)";

impl Store {
    /// Folds the referrer detail of the oldest day before `before` not yet folded;
    /// answers it, or `None` once every day before `before` is folded.
    ///
    /// Safe beside flushes and other instances folding: on SQLite the transaction writes
    /// first, so it holds the one write lock throughout; on PostgreSQL it runs at
    /// REPEATABLE READ behind a lock on the fold mark, so a row a flush changed meanwhile
    /// aborts it (to be tried again) rather than being folded from a stale value.
    pub async fn fold_referrers_step(&self, before: Date) -> StoreResult<Option<FoldedDay>> {
        debug_assert_eq!(OTHER_HOST, "(other)");
        debug_assert_eq!(DIRECT, "(direct)");
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE referrer_fold SET folded_before = folded_before WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        let mark: Option<String> =
            sqlx::query_scalar("SELECT folded_before FROM referrer_fold WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let next: Option<String> =
            sqlx::query_scalar("SELECT MIN(day) FROM daily_counts WHERE day >= $1 AND day < $2")
                .bind(mark.unwrap_or_else(|| "0000-01-01".into()))
                .bind(day_text(before))
                .fetch_one(&mut *tx)
                .await?;
        let Some(day) = next else {
            sqlx::query(
                "UPDATE referrer_fold SET folded_before = $1 \
                 WHERE id = 1 AND (folded_before IS NULL OR folded_before < $1)",
            )
            .bind(day_text(before))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(None);
        };
        let day = parse_day(day)?;
        let text = day_text(day);
        let spans = super::aggregates::SPANS;

        // The referrer spans holding the day: each host's sums move to "(other)".
        let levels: Vec<String> = (0..spans.len())
            .map(|i| format!("SELECT ${} AS span, ${} AS start", 2 + 2 * i, 3 + 2 * i))
            .collect();
        let levels = levels.join(" UNION ALL ");
        let hosts = format!(
            "SELECT slug, referrer, \
             SUM(CASE WHEN kind IN ('badge', 'widget') THEN n ELSE 0 END) AS imp, \
             SUM(CASE WHEN kind = 'click' THEN n ELSE 0 END) AS clk \
             {HOSTS_OF_DAY} AND kind <> 'bot' GROUP BY slug, referrer"
        );
        let sql = format!(
            "INSERT INTO referrer_spans (slug, span, start, referrer, impressions, clicks) \
             SELECT * FROM (\
               SELECT h.slug, l.span, l.start, h.referrer, -h.imp, -h.clk \
               FROM ({hosts}) AS h CROSS JOIN ({levels}) AS l \
               UNION ALL \
               SELECT h.slug, l.span, l.start, '(other)', SUM(h.imp), SUM(h.clk) \
               FROM ({hosts}) AS h CROSS JOIN ({levels}) AS l \
               GROUP BY h.slug, l.span, l.start\
             ) AS delta WHERE true \
             ON CONFLICT (slug, span, start, referrer) DO UPDATE SET \
             impressions = referrer_spans.impressions + excluded.impressions, \
             clicks = referrer_spans.clicks + excluded.clicks"
        );
        let mut query = sqlx::query(&sql).bind(text.clone());
        for span in spans {
            query = query
                .bind(span)
                .bind(super::aggregates::span_start(day, span));
        }
        query.execute(&mut *tx).await?;
        for span in spans {
            sqlx::query(
                "DELETE FROM referrer_spans \
                 WHERE slug IN (SELECT slug FROM daily_counts WHERE day = $1) \
                 AND span = $2 AND start = $3 AND impressions = 0 AND clicks = 0",
            )
            .bind(text.clone())
            .bind(span)
            .bind(super::aggregates::span_start(day, span))
            .execute(&mut *tx)
            .await?;
        }

        // The detail: one "(other)" row per tool and kind, the hosts' rows gone.
        sqlx::query(&format!(
            "INSERT INTO counts (slug, day, kind, referrer, n) \
             SELECT * FROM (SELECT slug, day, kind, '(other)' AS referrer, SUM(n) AS n \
             {HOSTS_OF_DAY} GROUP BY slug, day, kind) AS folded WHERE true \
             ON CONFLICT (slug, day, kind, referrer) DO UPDATE SET n = counts.n + excluded.n"
        ))
        .bind(text.clone())
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query(&format!("DELETE {HOSTS_OF_DAY}"))
            .bind(text.clone())
            .execute(&mut *tx)
            .await?;

        let after = day.next_day().unwrap_or(day);
        sqlx::query("UPDATE referrer_fold SET folded_before = $1 WHERE id = 1")
            .bind(day_text(after))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(FoldedDay {
            day,
            rows: gone.rows_affected(),
        }))
    }

    /// The day before which referrer detail has been folded, if any has been.
    pub async fn referrers_folded_before(&self) -> StoreResult<Option<Date>> {
        let mark: Option<String> =
            sqlx::query_scalar("SELECT folded_before FROM referrer_fold WHERE id = 1")
                .fetch_one(&self.pool())
                .await?;
        mark.map(parse_day).transpose()
    }
}

/// Moves the fold mark back to `earliest` when a write brings an older day, inside the
/// writer's transaction: the next pass folds it. Writers call it before their rows:
/// on PostgreSQL the mark's lock is then always taken before row locks, never after.
/// (When the mark is not past `earliest` — every ordinary flush — no row matches and
/// no lock is taken.)
pub(super) async fn reopen(conn: &mut sqlx::AnyConnection, earliest: Date) -> StoreResult<()> {
    sqlx::query("UPDATE referrer_fold SET folded_before = $1 WHERE id = 1 AND folded_before > $1")
        .bind(day_text(earliest))
        .execute(conn)
        .await?;
    Ok(())
}
