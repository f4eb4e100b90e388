//! The database: verdicts, counts, the flush log and stats keys.
//!
//! One SQL dialect serves both backends through sqlx's `Any` driver: every
//! statement uses `$N` placeholders, `BIGINT`/`TEXT` columns and
//! `ON CONFLICT`, which SQLite and PostgreSQL read alike. The backend is chosen
//! by the URL (`sqlite://…` or `postgres://…`); each has its own migrations
//! folder so their DDL can diverge when it must.
//!
//! Every write transaction goes through [`write`]: a failure never leaves a pooled
//! connection inside a transaction. An SQLite file deleted or replaced under the
//! running service is noticed at the next write ([`file`]).

mod aggregates;
mod cause;
mod counts;
mod file;
mod fold;
mod imports;
mod keys;
mod verdicts;
mod write;

pub use aggregates::{DayTotals, ReferrerTotals, SPANS, WindowCounts, day_number, window_spans};
pub use cause::Cause;
pub use counts::{Applied, Selection};
pub use file::FileState;
pub use fold::FoldedDay;
pub use imports::{CountsImport, PastImport};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::sync::Arc;
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
    /// The SQLite file was deleted while the service ran; writes wait until a file is back.
    #[error("the database file {0} was deleted while the service ran")]
    FileGone(String),
    /// Another file was put at the SQLite file's path during a write; it is used from the next one.
    #[error("the database file {0} was replaced while the service ran")]
    FileReplaced(String),
    /// The SQLite file's path cannot be checked.
    #[error("cannot check the database file {path}: {reason}")]
    FileUnreadable {
        /// The file's path.
        path: String,
        /// What the operating system said.
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
            StoreError::FileGone(_)
            | StoreError::FileReplaced(_)
            | StoreError::FileUnreadable { .. } => true,
            StoreError::Migrate(_)
            | StoreError::Corrupt { .. }
            | StoreError::Url(_)
            | StoreError::Missing(_) => false,
        }
    }
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// The store: a connection pool and the backend it speaks to. Clones share one pool.
#[derive(Clone, Debug)]
pub struct Store {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// How connections are opened.
    opening: Opening,
    /// Replaced only when an SQLite file replaced under the service is adopted.
    pool: parking_lot::RwLock<AnyPool>,
    /// The SQLite file in use; `None` on PostgreSQL.
    watch: Option<file::Watch>,
}

/// How the store's connections are opened.
#[derive(Debug, Clone)]
struct Opening {
    backend: Backend,
    /// The URL sqlx connects with.
    url: String,
    /// SQLite's `max_page_count` for every connection, from the URL's `max_page_count`
    /// parameter: a cap on the file's size, past which writes fail as on a full disk.
    max_page_count: Option<u64>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Opens a pool with the settings each backend needs. With `file`, an SQLite
/// connection that finds another file at the path (or none) is refused before it
/// reads anything, so two files never share the `-wal` and `-shm` named after it.
async fn open_pool(opening: &Opening, file: Option<file::Expect>) -> StoreResult<AnyPool> {
    let backend = opening.backend;
    let mut pragmas = String::from(
        // synchronous = FULL: a commit is on disk when it returns, even across a
        // power cut; it costs one fsync per flush (one a second by default).
        // cache_size: 1 MiB of pages per connection (SQLite's default is 2 MiB), 4 MiB for
        // the pool. The hot reads (a verdict by slug, a tool's days) touch a few pages;
        // the operating system's page cache holds the file behind it.
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA cache_size = -1024;",
    );
    if let Some(pages) = opening.max_page_count {
        pragmas.push_str(&format!(" PRAGMA max_page_count = {pages};"));
    }
    let pragmas: Arc<str> = pragmas.into();
    let file = file.map(Arc::new);
    let options = AnyPoolOptions::new()
        .acquire_timeout(Duration::from_secs(5))
        .max_connections(match backend {
            // SQLite has one writer; more connections only contend for its lock.
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        })
        .after_connect(move |conn, _meta| {
            let (pragmas, file) = (pragmas.clone(), file.clone());
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    if let Some(file) = file {
                        file.check()?;
                    }
                    conn.execute(&*pragmas).await?;
                }
                Ok(())
            })
        });
    Ok(options.connect(&opening.url).await?)
}

impl Store {
    /// Connects, creating an SQLite file (and its folder) when needed, and migrates.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        install_default_drivers();
        let (url, max_page_count) = take_max_page_count(url)?;
        let (backend, url) = normalize_url(&url)?;
        let opening = Opening {
            backend,
            url,
            max_page_count,
        };
        let watch = match backend {
            Backend::Sqlite => sqlite_path(&opening.url)
                .map(|p| file::Watch::new(p.into()))
                .transpose()?,
            Backend::Postgres => None,
        };
        let pool = open_pool(&opening, watch.as_ref().map(file::Watch::expect)).await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Store {
            shared: Arc::new(Shared {
                opening,
                pool: parking_lot::RwLock::new(pool),
                watch,
            }),
        })
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
        self.shared.opening.backend
    }

    /// The pool in use now (a cheap handle).
    fn pool(&self) -> AnyPool {
        self.shared.pool.read().clone()
    }

    fn replace_pool(&self, pool: AnyPool) {
        *self.shared.pool.write() = pool;
    }

    fn opening(&self) -> &Opening {
        &self.shared.opening
    }

    fn watch(&self) -> Option<&file::Watch> {
        self.shared.watch.as_ref()
    }

    /// Closes every connection; pending work is finished first.
    pub async fn close(&self) {
        self.pool().close().await;
    }

    /// Answers whether the database can be reached now and, for SQLite, whether its
    /// file is still the one at its path.
    pub async fn ping(&self) -> StoreResult<()> {
        // The file first: with it deleted, a new connection would fail to open, and
        // the answer must name the cause, not the symptom.
        match (self.file_state()?, self.watch()) {
            (FileState::Same, _) | (_, None) => {}
            (FileState::Deleted, Some(w)) => {
                return Err(StoreError::FileGone(w.path().display().to_string()));
            }
            (FileState::Replaced, Some(w)) => {
                return Err(StoreError::FileReplaced(w.path().display().to_string()));
            }
        }
        sqlx::query("SELECT 1").execute(&self.pool()).await?;
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

/// The URL without its `max_page_count` parameter (SQLite only), and the parameter's value.
fn take_max_page_count(url: &str) -> StoreResult<(String, Option<u64>)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None));
    };
    let mut pages = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.strip_prefix("max_page_count=") {
            Some(n) if url.starts_with("sqlite:") => {
                pages = Some(n.parse().map_err(|_| {
                    StoreError::Url(format!(
                        "{}: max_page_count must be a number",
                        describe(url)
                    ))
                })?);
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, pages))
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
    } else {
        // The file is created here, once: the pool opens it read-write without
        // creating, so a file deleted under the service is not silently recreated empty.
        if let Err(e) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            return Err(StoreError::Url(format!("{url}: cannot create {path}: {e}")));
        }
        let sep = if rest.contains('?') { '&' } else { '?' };
        format!("sqlite://{rest}{sep}mode=rw")
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
            (Backend::Sqlite, "sqlite:///tmp/vb-test/x.db?mode=rw")
        );
    }

    #[test]
    fn max_page_count_is_taken_from_sqlite_urls_only() {
        assert_eq!(
            take_max_page_count("sqlite:///x.db?max_page_count=900&mode=rw").unwrap(),
            ("sqlite:///x.db?mode=rw".to_owned(), Some(900))
        );
        assert_eq!(
            take_max_page_count("sqlite:///x.db?max_page_count=9").unwrap(),
            ("sqlite:///x.db".to_owned(), Some(9))
        );
        assert!(take_max_page_count("sqlite:///x.db?max_page_count=lots").is_err());
        assert_eq!(
            take_max_page_count("postgres://h/db?max_page_count=9")
                .unwrap()
                .1,
            None
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
