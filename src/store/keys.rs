//! Per-tool stats keys, stored only as SHA-256 digests.

use super::{Store, StoreError, StoreResult, now_secs};
use crate::verdict::Slug;
use sqlx::Row;

impl Store {
    /// Stores a new stats key's hash for one tool.
    pub async fn insert_stats_key(&self, key_hash: &str, slug: &Slug) -> StoreResult<()> {
        sqlx::query("INSERT INTO stats_keys (key_hash, slug, created_at) VALUES ($1, $2, $3)")
            .bind(key_hash)
            .bind(slug.as_str())
            .bind(now_secs())
            .execute(&self.pool())
            .await?;
        Ok(())
    }

    /// Revokes a key by hash; answers whether a live key was revoked.
    pub async fn revoke_stats_key(&self, key_hash: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE stats_keys SET revoked_at = $1 WHERE key_hash = $2 AND revoked_at IS NULL",
        )
        .bind(now_secs())
        .bind(key_hash)
        .execute(&self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The tool a live key (by hash) belongs to.
    pub async fn stats_key_slug(&self, key_hash: &str) -> StoreResult<Option<Slug>> {
        let row =
            sqlx::query("SELECT slug FROM stats_keys WHERE key_hash = $1 AND revoked_at IS NULL")
                .bind(key_hash)
                .fetch_optional(&self.pool())
                .await?;
        row.map(|r| {
            let slug: String = r.get(0);
            Slug::parse(&slug).map_err(|reason| StoreError::Corrupt { slug, reason })
        })
        .transpose()
    }
}
