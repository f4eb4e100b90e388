//! Verdicts in the store, and the catalog version that tells other instances a verdict changed.

use super::write::WriteTx;
use super::{Store, StoreError, StoreResult, now_secs};
use crate::verdict::{Slug, Verdict};
use sqlx::Row;

impl Store {
    /// One verdict by slug.
    pub async fn verdict(&self, slug: &Slug) -> StoreResult<Option<Verdict>> {
        let row = sqlx::query("SELECT record FROM verdicts WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_optional(&self.pool())
            .await?;
        row.map(|r| decode_verdict(slug.as_str(), r.get(0)))
            .transpose()
    }

    /// Every verdict, by slug.
    pub async fn verdicts(&self) -> StoreResult<Vec<Verdict>> {
        let rows = sqlx::query("SELECT slug, record FROM verdicts ORDER BY slug")
            .fetch_all(&self.pool())
            .await?;
        rows.iter()
            .map(|r| decode_verdict(r.get(0), r.get(1)))
            .collect()
    }

    /// How many verdicts the store holds.
    pub async fn verdict_count(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM verdicts")
            .fetch_one(&self.pool())
            .await?;
        Ok(row.get(0))
    }

    /// Inserts or replaces verdicts, all in one transaction: all are written, or none.
    pub async fn upsert_verdicts(&self, verdicts: &[Verdict]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let now = now_secs();
        for v in verdicts {
            sqlx::query(
                "INSERT INTO verdicts (slug, record, written_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (slug) DO UPDATE SET record = excluded.record, written_at = excluded.written_at",
            )
            .bind(v.slug.as_str())
            .bind(v.to_json().to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        bump_catalog_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The catalog version: it moves whenever any verdict is written or deleted.
    pub async fn catalog_version(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT version FROM catalog_version WHERE id = 1")
            .fetch_one(&self.pool())
            .await?;
        Ok(row.get(0))
    }

    /// Removes a verdict; its counts stay. Answers whether it existed.
    pub async fn delete_verdict(&self, slug: &Slug) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM verdicts WHERE slug = $1")
            .bind(slug.as_str())
            .execute(&mut *tx)
            .await?;
        bump_catalog_version(&mut tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}

async fn bump_catalog_version(tx: &mut WriteTx) -> StoreResult<()> {
    sqlx::query("UPDATE catalog_version SET version = version + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn decode_verdict(slug: &str, record: String) -> StoreResult<Verdict> {
    let corrupt = |reason: String| StoreError::Corrupt {
        slug: slug.to_owned(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(&record).map_err(|e| corrupt(e.to_string()))?;
    Verdict::from_json(&value).map_err(|errors| {
        corrupt(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}
