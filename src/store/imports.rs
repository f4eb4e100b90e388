//! Importing count rows: one transaction for a whole file, remembered by its SHA-256
//! so that the same file is never added twice.
//!
//! Rows go first into a temporary table, as plain inserts, then into the detail rows
//! and both aggregates in one set-based statement each, summed and sorted by the
//! database. Upserting each row (and its four referrer spans) from the client was
//! measured at a tenth of the speed: the work per row is then the database's, not a
//! round of parameters per aggregate.

use super::aggregates::{Params, SPANS, day_number, insert_sql};
use super::counts::{day_text, parse_count};
use super::write::WriteTx;
use super::{Store, StoreResult, fold, now_secs};
use crate::counts::CountRow;
use time::OffsetDateTime;

/// Rows per `INSERT` into the import's table: 500 rows (3,000 parameters) a statement;
/// more saves little, and each distinct size is one more prepared statement.
const ROWS_PER_STATEMENT: usize = 500;

/// The import's staging table: the file's rows as they come, with the day's number.
const STAGING: &str = "CREATE TEMPORARY TABLE import_rows (\
     slug TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL, referrer TEXT NOT NULL, \
     n BIGINT NOT NULL, dn BIGINT NOT NULL)";

/// A file imported before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastImport {
    /// When (UTC).
    pub at: OffsetDateTime,
    /// How many rows it had.
    pub rows: u64,
}

/// An import under way: rows are added in its one transaction until [`CountsImport::commit`].
pub struct CountsImport {
    tx: WriteTx,
}

impl Store {
    /// Whether a file with this SHA-256 (hex) was imported, and when.
    pub async fn past_import(&self, sha256: &str) -> StoreResult<Option<PastImport>> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT imported_at, rows FROM count_imports WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(&self.pool())
                .await?;
        row.map(|(at, rows)| {
            Ok(PastImport {
                at: OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH),
                rows: parse_count(rows)?,
            })
        })
        .transpose()
    }

    /// Starts importing a file of `rows` rows, recording its SHA-256 in the same
    /// transaction; a file recorded before is refused with its past import.
    pub async fn begin_counts_import(
        &self,
        sha256: &str,
        rows: u64,
    ) -> StoreResult<Result<CountsImport, PastImport>> {
        let mut tx = self.begin_write().await?;
        let recorded = sqlx::query(
            "INSERT INTO count_imports (sha256, rows, imported_at) VALUES ($1, $2, $3) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(i64::try_from(rows).unwrap_or(i64::MAX))
        .bind(now_secs())
        .execute(&mut *tx)
        .await?;
        if recorded.rows_affected() == 0 {
            tx.rollback().await?;
            let past = self.past_import(sha256).await?.unwrap_or(PastImport {
                at: OffsetDateTime::UNIX_EPOCH,
                rows,
            });
            return Ok(Err(past));
        }
        // Created inside the transaction: a failed import takes it away with the rest.
        sqlx::query(STAGING).execute(&mut *tx).await?;
        Ok(Ok(CountsImport { tx }))
    }
}

impl CountsImport {
    /// Adds a chunk of rows (any order, keys may repeat).
    pub async fn add(&mut self, rows: &[CountRow]) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = insert_sql(
                Params::of(&self.tx),
                "import_rows (slug, day, kind, referrer, n, dn)",
                6,
                chunk.len(),
            );
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(row.slug.as_str())
                    .bind(day_text(row.day))
                    .bind(row.kind.as_str())
                    .bind(row.referrer.as_str())
                    .bind(super::counts::count_value(row.n)?)
                    .bind(day_number(row.day));
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Adds every staged row to the detail rows and the aggregates, and makes the
    /// import visible at once.
    pub async fn commit(mut self) -> StoreResult<()> {
        let earliest: Option<String> = sqlx::query_scalar("SELECT MIN(day) FROM import_rows")
            .fetch_one(&mut *self.tx)
            .await?;
        if let Some(day) = earliest {
            fold::reopen(&mut self.tx, super::counts::parse_day(day)?).await?;
        }
        // (`WHERE true`: SQLite's grammar needs it before an upsert's ON CONFLICT.)
        sqlx::query(
            "INSERT INTO counts (slug, day, kind, referrer, n) \
             SELECT slug, day, kind, referrer, SUM(n) FROM import_rows WHERE true \
             GROUP BY slug, day, kind, referrer \
             ON CONFLICT (slug, day, kind, referrer) DO UPDATE SET n = counts.n + excluded.n",
        )
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT INTO daily_counts (slug, day, kind, n) \
             SELECT slug, day, kind, SUM(n) FROM import_rows WHERE true \
             GROUP BY slug, day, kind \
             ON CONFLICT (slug, day, kind) DO UPDATE SET n = daily_counts.n + excluded.n",
        )
        .execute(&mut *self.tx)
        .await?;
        // Each referrer's sums a day, once; every span length adds those up.
        sqlx::query(
            "CREATE TEMPORARY TABLE import_days AS \
             SELECT slug, dn, referrer, \
             SUM(CASE WHEN kind IN ('badge', 'widget') THEN n ELSE 0 END) AS imp, \
             SUM(CASE WHEN kind = 'click' THEN n ELSE 0 END) AS clk \
             FROM import_rows WHERE kind <> 'bot' GROUP BY slug, dn, referrer",
        )
        .execute(&mut *self.tx)
        .await?;
        for span in SPANS {
            // The span's first day, also right for days before 1970 (`%` truncates).
            let start = format!("dn - ((dn % {span}) + {span}) % {span}");
            sqlx::query(&format!(
                "INSERT INTO referrer_spans (slug, span, start, referrer, impressions, clicks) \
                 SELECT slug, {span}, {start}, referrer, SUM(imp), SUM(clk) \
                 FROM import_days WHERE true GROUP BY slug, {start}, referrer \
                 ON CONFLICT (slug, span, start, referrer) DO UPDATE SET \
                 impressions = referrer_spans.impressions + excluded.impressions, \
                 clicks = referrer_spans.clicks + excluded.clicks"
            ))
            .execute(&mut *self.tx)
            .await?;
        }
        sqlx::query("DROP TABLE import_days")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DROP TABLE import_rows")
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Abandons the import: nothing of it is written, and its file is not recorded.
    pub async fn rollback(self) -> StoreResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}
