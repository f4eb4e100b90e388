//! Importing count rows: one transaction for a whole file, remembered by its SHA-256
//! so that the same file is never added twice.

use super::counts::{add_counts, coalesce, parse_count};
use super::{Store, StoreResult, now_secs};
use crate::counts::CountRow;
use sqlx::{Any, Transaction};
use time::OffsetDateTime;

/// Rows per `INSERT` of an import: 500 rows (2,500 parameters) a statement; more
/// saves little and each distinct size is one more prepared statement.
const ROWS_PER_STATEMENT: usize = 500;

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
    tx: Transaction<'static, Any>,
}

impl Store {
    /// Whether a file with this SHA-256 (hex) was imported, and when.
    pub async fn past_import(&self, sha256: &str) -> StoreResult<Option<PastImport>> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT imported_at, rows FROM count_imports WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(&self.pool)
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
        let mut tx = self.pool.begin().await?;
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
        Ok(Ok(CountsImport { tx }))
    }
}

impl CountsImport {
    /// Adds a chunk of rows (any order, keys may repeat) to the detail rows and the
    /// aggregates.
    pub async fn add(&mut self, rows: &mut [CountRow]) -> StoreResult<()> {
        rows.sort_unstable();
        add_counts(&mut self.tx, &coalesce(rows), ROWS_PER_STATEMENT).await
    }

    /// Makes every row added visible at once.
    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Abandons the import: nothing of it is written, and its file is not recorded.
    pub async fn rollback(self) -> StoreResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}
