//! The database: verdicts, counts, the flush log and stats keys.
//!
//! One SQL dialect serves both backends through sqlx's `Any` driver: every
//! statement uses `$N` placeholders, `BIGINT`/`TEXT` columns and
//! `ON CONFLICT`, which SQLite and PostgreSQL read alike. The backend is chosen
//! by the URL (`sqlite://…` or `postgres://…`); each has its own migrations
//! folder so their DDL can diverge when it must.

mod aggregates;
mod counts;
mod fold;
mod imports;
mod keys;
mod verdicts;

pub use aggregates::{DayTotals, ReferrerTotals, SPANS, WindowCounts, day_number, window_spans};
pub use counts::{Applied, Selection};
pub use fold::FoldedDay;
pub use imports::{CountsImport, PastImport};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
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
    /// A command that only reads the store was pointed at an SQLite file that does not exist.
    #[error(
        "there is no store at {0}: pass --database-url (or VERDICT_BADGES_DATABASE_URL), \
         or run the command where the service runs"
    )]
    Missing(String),
}

impl StoreError {
    /// Whether the failure is the database being out of reach or out of service for
    /// now (worth retrying, and a 503 to a client), rather than a fault in the data or
    /// the setup (a 500, and a bug to fix).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Db(e) => !matches!(
                e,
                sqlx::Error::ColumnDecode { .. }
                    | sqlx::Error::ColumnNotFound(_)
                    | sqlx::Error::ColumnIndexOutOfBounds { .. }
                    | sqlx::Error::TypeNotFound { .. }
                    | sqlx::Error::Decode(_)
                    | sqlx::Error::Configuration(_)
            ),
            StoreError::Migrate(_)
            | StoreError::Corrupt { .. }
            | StoreError::Url(_)
            | StoreError::Missing(_) => false,
        }
    }
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// The store: a connection pool and the backend it speaks to.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

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

    /// Connects to a store that must exist already: an SQLite file that is missing is
    /// an error naming its absolute path, not a new empty store.
    pub async fn connect_existing(url: &str) -> StoreResult<Store> {
        if let (Backend::Sqlite, _) = normalize_url(url)?
            && let Some(path) = sqlite_path(url)
            && !std::path::Path::new(path).exists()
        {
            return Err(StoreError::Missing(describe(url)));
        }
        Store::connect(url).await
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
}

pub(crate) fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The file path of an `sqlite://` URL.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    rest.split('?').next().filter(|p| !p.is_empty())
}

/// How a store is named in messages and logs: an SQLite file by its absolute path (a
/// relative default resolves against the working directory, which is easy to get
/// wrong), a server URL without its password.
pub fn describe(url: &str) -> String {
    if let Some(path) = sqlite_path(url) {
        let absolute = std::path::absolute(path)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.to_owned());
        return format!("sqlite://{absolute}");
    }
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
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
        return Err(StoreError::Url(describe(url)));
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

    #[test]
    fn stores_are_named_absolutely_and_without_passwords() {
        assert_eq!(describe("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        let here = std::env::current_dir().unwrap();
        assert_eq!(
            describe("sqlite://data/x.db?mode=rwc"),
            format!("sqlite://{}/data/x.db", here.display())
        );
        assert_eq!(
            describe("postgres://u:secret@db.example/vb"),
            "postgres://u:***@db.example/vb"
        );
    }
}
