//! Write transactions: begun, committed and cleaned up after failure in one place.
//!
//! sqlx counts transaction depth per connection and trusts that count when a
//! connection goes back to its pool. A failure can leave that count out of step with
//! the database: SQLite rolls a whole transaction back by itself on `SQLITE_FULL` or
//! an I/O error, so the rollback sqlx queues on drop fails and the count stays at 1;
//! the next `begin()` on that connection then issues a `SAVEPOINT`, a later failure
//! rolls back *to* it without ending the transaction, and from then on every
//! "commit" is a `RELEASE` inside a transaction that is never committed: flushes
//! report success while their counts are invisible to every other connection, and
//! are lost when the connection closes.
//!
//! So write transactions here do not use sqlx's transaction bookkeeping at all. A
//! [`WriteTx`] issues `BEGIN`/`COMMIT` itself, and a transaction that does not end
//! in a successful `COMMIT` or `ROLLBACK` — a failed statement, a failed commit, a
//! cancelled future — closes its connection instead of returning it to the pool.
//! Closing rolls back whatever the database still holds open, and no connection
//! with unknown state is ever reused.

use super::{Backend, Store, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Executor};
use std::ops::{Deref, DerefMut};

/// One write transaction on a connection of its own; statements run on `&mut *tx`.
///
/// End it with [`WriteTx::commit`] or [`WriteTx::rollback`]. Dropped any other way,
/// or after either of those fails, its connection is closed, not pooled.
pub(super) struct WriteTx {
    conn: PoolConnection<Any>,
    store: Store,
    ended: bool,
}

impl Store {
    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so it waits for the busy timeout instead of failing
    /// later when a read would have to be upgraded; and it first makes sure the
    /// database file is still the one at its path (see [`Store::check_file`]).
    pub(super) async fn begin_write(&self) -> StoreResult<WriteTx> {
        self.check_file().await?;
        let mut conn = self.pool().acquire().await?;
        let begin = match self.backend() {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        if let Err(e) = conn.execute(begin).await {
            conn.close_on_drop();
            return Err(e.into());
        }
        Ok(WriteTx {
            conn,
            store: self.clone(),
            ended: false,
        })
    }
}

impl WriteTx {
    /// Commits. `Ok` means the writes are durably in the store that serves this
    /// path now; on any error they must be taken as not written (the caller
    /// retries; what was committed after all is recognised by its own keys).
    pub(super) async fn commit(mut self) -> StoreResult<()> {
        self.conn.execute("COMMIT").await?;
        self.ended = true;
        // A file deleted or replaced during the transaction took this commit with
        // it: report it as not written, so it is written again to the file in use.
        self.store.check_file_unchanged()
    }

    /// Rolls back and returns the connection to the pool.
    pub(super) async fn rollback(mut self) -> StoreResult<()> {
        self.conn.execute("ROLLBACK").await?;
        self.ended = true;
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if !self.ended {
            // The database's transaction state is unknown: closing the connection
            // rolls back whatever is still open, and nobody reuses it.
            self.conn.close_on_drop();
        }
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}
