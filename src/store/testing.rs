//! Scratch databases for tests: a fresh SQLite file, or a fresh PostgreSQL schema.
//!
//! PostgreSQL tests run when `VERDICT_BADGES_TEST_POSTGRES` names a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`); each gets a schema of its
//! own. Without the variable they are skipped, and say so on standard error.
//! With it, an unreachable server fails the test.

use sqlx::Connection;
use sqlx::Executor;

/// The variable naming the PostgreSQL server tests may use.
pub const POSTGRES_ENV: &str = "VERDICT_BADGES_TEST_POSTGRES";

/// Which backend a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh schema on the server named by [`POSTGRES_ENV`].
    Postgres,
}

/// A scratch database: its URL, and what must live as long as it is used.
pub struct Scratch {
    /// The database URL to connect to.
    pub url: String,
    /// Keeps a temporary SQLite folder alive.
    pub dir: Option<tempfile::TempDir>,
}

/// A fresh database on `backend`, or `None` (with a note naming `test`) when PostgreSQL is not configured.
pub async fn scratch(backend: TestBackend, test: &str) -> Option<Scratch> {
    match backend {
        TestBackend::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            Some(Scratch {
                url: format!("sqlite://{}/test.db", dir.path().display()),
                dir: Some(dir),
            })
        }
        TestBackend::Postgres => {
            let Some(base) = std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty()) else {
                eprintln!("SKIPPED {test} on PostgreSQL: set {POSTGRES_ENV} to run it");
                return None;
            };
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&base)
                .await
                .unwrap_or_else(|e| panic!("{POSTGRES_ENV}={base} is unreachable: {e}"));
            let schema = format!("vbt_{:016x}", rand::random::<u64>());
            conn.execute(format!("CREATE SCHEMA {schema}").as_str())
                .await
                .expect("creating a scratch schema");
            let _ = conn.close().await;
            let sep = if base.contains('?') { '&' } else { '?' };
            Some(Scratch {
                url: format!("{base}{sep}options%5Bsearch_path%5D={schema}"),
                dir: None,
            })
        }
    }
}
