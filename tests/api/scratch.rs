//! Scratch databases: a fresh SQLite file, or a fresh PostgreSQL schema.
//!
//! PostgreSQL tests run when `VERDICT_BADGES_TEST_POSTGRES` names a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`) at build time; each gets a schema
//! of its own. Without it they are compiled as `#[ignore]`d, so `cargo test` lists them
//! as ignored with the reason. With it, an unreachable server fails the test.

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
    /// Keeps a temporary SQLite folder alive (removed when dropped).
    _dir: Option<tempfile::TempDir>,
}

/// A fresh database on `backend`.
pub async fn scratch(backend: TestBackend) -> Scratch {
    match backend {
        TestBackend::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            Scratch {
                url: format!("sqlite://{}/test.db", dir.path().display()),
                _dir: Some(dir),
            }
        }
        TestBackend::Postgres => {
            let base = std::env::var(POSTGRES_ENV)
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| panic!("set {POSTGRES_ENV} to run the PostgreSQL tests"));
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
            Scratch {
                url: format!("{base}{sep}options%5Bsearch_path%5D={schema}"),
                _dir: None,
            }
        }
    }
}
