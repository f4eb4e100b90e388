//! The database: verdicts, counts, the flush log and stats keys.
//!
//! One SQL dialect serves both backends through sqlx's `Any` driver: every
//! statement uses `$N` placeholders, `BIGINT`/`TEXT` columns and
//! `ON CONFLICT`, which SQLite and PostgreSQL read alike. The backend is chosen
//! by the URL (`sqlite://…` or `postgres://…`); each has its own migrations
//! folder so their DDL can diverge when it must.

#[doc(hidden)]
pub mod testing;

use crate::verdict::{Slug, Verdict};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor, Row};
use std::time::Duration;
use time::OffsetDateTime;

/// Which database the store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file: one machine.
    Sqlite,
    /// PostgreSQL: shared by several instances.
    Postgres,
}

/// What the store failed at.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database answered with an error or could not be reached.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored verdict no longer passes validation.
    #[error("stored verdict {slug} is invalid: {reason}")]
    Corrupt {
        /// The record's slug.
        slug: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL names no supported database.
    #[error("unsupported database URL (use sqlite://PATH or postgres://…): {0}")]
    Url(String),
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// One counter row: a tool, a UTC day, a kind and a referrer host, and how many.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountRow {
    /// Tool slug.
    pub slug: String,
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// `badge`, `widget`, `click` or `bot`.
    pub kind: String,
    /// Referrer host, `(direct)` or `(other)`.
    pub referrer: String,
    /// How many.
    pub n: i64,
}

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
            Some(last)
                if (&last.slug, &last.day, &last.kind, &last.referrer)
                    == (&row.slug, &row.day, &row.kind, &row.referrer) =>
            {
                last.n += row.n;
            }
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

/// The store: a connection pool and the backend it speaks to.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl Store {
    /// Connects, creating an SQLite file (and its folder) when needed, and migrates.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        install_default_drivers();
        let (backend, url) = normalize_url(url)?;
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            .max_connections(match backend {
                // SQLite has one writer; more connections only contend for its lock.
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await?;
        let store = Store { pool, backend };
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&store.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&store.pool).await?,
        }
        Ok(store)
    }

    /// The backend behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; pending work is finished first.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Answers whether the database can be reached now.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// One verdict by slug.
    pub async fn verdict(&self, slug: &Slug) -> StoreResult<Option<Verdict>> {
        let row = sqlx::query("SELECT record FROM verdicts WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| decode_verdict(slug.as_str(), r.get(0)))
            .transpose()
    }

    /// Every verdict, by slug.
    pub async fn verdicts(&self) -> StoreResult<Vec<Verdict>> {
        let rows = sqlx::query("SELECT slug, record FROM verdicts ORDER BY slug")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| decode_verdict(r.get(0), r.get(1)))
            .collect()
    }

    /// How many verdicts the store holds.
    pub async fn verdict_count(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM verdicts")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    /// Inserts or replaces verdicts, all in one transaction: all are written, or none.
    pub async fn upsert_verdicts(&self, verdicts: &[Verdict]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
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
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    /// Removes a verdict; its counts stay. Answers whether it existed.
    pub async fn delete_verdict(&self, slug: &Slug) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM verdicts WHERE slug = $1")
            .bind(slug.as_str())
            .execute(&mut *tx)
            .await?;
        bump_catalog_version(&mut tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

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
        let mut tx = self.pool.begin().await?;
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
                    .bind(row.day.as_str())
                    .bind(row.kind.as_str())
                    .bind(row.referrer.as_str())
                    .bind(row.n);
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
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Every count row of one tool between two UTC days, inclusive.
    pub async fn counts(&self, slug: &Slug, from: &str, to: &str) -> StoreResult<Vec<CountRow>> {
        let rows = sqlx::query(
            "SELECT slug, day, kind, referrer, n FROM counts \
             WHERE slug = $1 AND day >= $2 AND day <= $3 ORDER BY day, kind, referrer",
        )
        .bind(slug.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| CountRow {
                slug: r.get(0),
                day: r.get(1),
                kind: r.get(2),
                referrer: r.get(3),
                n: r.get(4),
            })
            .collect())
    }

    /// Stores a new stats key's hash for one tool.
    pub async fn insert_stats_key(&self, key_hash: &str, slug: &Slug) -> StoreResult<()> {
        sqlx::query("INSERT INTO stats_keys (key_hash, slug, created_at) VALUES ($1, $2, $3)")
            .bind(key_hash)
            .bind(slug.as_str())
            .bind(now_secs())
            .execute(&self.pool)
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
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The tool a live key (by hash) belongs to.
    pub async fn stats_key_slug(&self, key_hash: &str) -> StoreResult<Option<String>> {
        let row =
            sqlx::query("SELECT slug FROM stats_keys WHERE key_hash = $1 AND revoked_at IS NULL")
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.get(0)))
    }
}

async fn bump_catalog_version(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> StoreResult<()> {
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

/// Picks the backend and, for SQLite, makes sure the file can be created.
fn normalize_url(url: &str) -> StoreResult<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))
    else {
        return Err(StoreError::Url(url.to_owned()));
    };
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        // Each pooled connection would get its own empty database.
        return Err(StoreError::Url(format!(
            "{url}: in-memory SQLite is not supported; give a file path"
        )));
    }
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Url(format!("{url}: cannot create {}: {e}", dir.display())))?;
    }
    let url = if rest.contains("mode=") {
        format!("sqlite://{rest}")
    } else if rest.contains('?') {
        format!("sqlite://{rest}&mode=rwc")
    } else {
        format!("sqlite://{rest}?mode=rwc")
    };
    Ok((Backend::Sqlite, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    use testing::{Scratch, TestBackend, scratch};

    /// A store on each backend the machine offers.
    async fn stores(test: &str) -> Vec<(Scratch, Store)> {
        let mut out = Vec::new();
        for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
            if let Some(s) = scratch(backend, test).await {
                let store = Store::connect(&s.url).await.unwrap();
                out.push((s, store));
            }
        }
        out
    }

    fn row(slug: &str, referrer: &str, n: i64) -> CountRow {
        CountRow {
            slug: slug.into(),
            day: "2026-11-22".into(),
            kind: "badge".into(),
            referrer: referrer.into(),
            n,
        }
    }

    #[tokio::test]
    async fn a_batch_applied_twice_counts_once() {
        for (_scratch, store) in stores("a_batch_applied_twice_counts_once").await {
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
            let counts = store
                .counts(&slug, "2026-11-01", "2026-11-30")
                .await
                .unwrap();
            assert_eq!(counts, vec![row("a", "x.example", 6)]);
        }
    }

    #[tokio::test]
    async fn a_batch_spanning_several_statements_adds_every_row_once() {
        for (_scratch, store) in stores("a_batch_spanning_several_statements").await {
            // 2.5 statements' worth of keys, each key repeated once: the repeats are
            // summed, not refused.
            let keys = ROWS_PER_STATEMENT * 5 / 2;
            let mut rows: Vec<CountRow> = (0..keys)
                .flat_map(|i| {
                    let host = format!("h{i:04}.example");
                    [row("a", &host, 1), row("a", &host, i as i64)]
                })
                .collect();
            rows.sort();
            store.apply_counts("i", 1, &rows).await.unwrap();
            store.apply_counts("i", 2, &rows[..2]).await.unwrap();
            let counts = store
                .counts(&Slug::parse("a").unwrap(), "2026-11-01", "2026-11-30")
                .await
                .unwrap();
            assert_eq!(counts.len(), keys);
            for (i, c) in counts.iter().enumerate() {
                let again = if i == 0 { 1 } else { 0 };
                assert_eq!(c.n, 1 + i as i64 + again, "{c:?}");
            }
        }
    }

    #[tokio::test]
    async fn upserts_replace_and_delete_removes() {
        for (_scratch, store) in stores("upserts_replace_and_delete_removes").await {
            let version = store.catalog_version().await.unwrap();
            let mut v = crate::verdict::demo_verdicts().remove(0);
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
    }

    #[tokio::test]
    async fn stats_keys_and_counts_by_window() {
        for (_scratch, store) in stores("stats_keys_and_counts_by_window").await {
            let a = Slug::parse("a").unwrap();
            store.insert_stats_key("h1", &a).await.unwrap();
            assert_eq!(
                store.stats_key_slug("h1").await.unwrap().as_deref(),
                Some("a")
            );
            assert!(store.revoke_stats_key("h1").await.unwrap());
            assert!(!store.revoke_stats_key("h1").await.unwrap());
            assert_eq!(store.stats_key_slug("h1").await.unwrap(), None);

            let mut rows = vec![row("a", "x", 1), row("a", "y", 2)];
            rows[0].day = "2026-10-01".into();
            store.apply_counts("i", 1, &rows).await.unwrap();
            let inside = store.counts(&a, "2026-11-01", "2026-11-30").await.unwrap();
            assert_eq!(inside, vec![row("a", "y", 2)]);
            assert_eq!(
                store
                    .prune_flush_log(Duration::from_secs(3600))
                    .await
                    .unwrap(),
                0
            );
        }
    }

    #[test]
    fn urls() {
        assert!(normalize_url("mysql://x").is_err());
        assert!(normalize_url("sqlite::memory:").is_err());
        let (b, u) = normalize_url("sqlite:///tmp/vb-test/x.db").unwrap();
        assert_eq!(
            (b, u.as_str()),
            (Backend::Sqlite, "sqlite:///tmp/vb-test/x.db?mode=rwc")
        );
    }
}
