//! What a store failure means, in the words an operator acts on.

use super::StoreError;

/// The kind of trouble behind a [`StoreError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// No room left: the disk (or PostgreSQL's disk) is full.
    DiskFull,
    /// The disk failed to read or write.
    DiskError,
    /// The database file or server accepts no writes.
    ReadOnly,
    /// Another writer holds the lock for longer than the busy timeout.
    Locked,
    /// The SQLite file was deleted under the running service.
    FileDeleted,
    /// Another file was put at the SQLite file's path and is not yet in use.
    FileReplaced,
    /// The database file cannot be opened (missing folder, permissions).
    CannotOpen,
    /// The database file is damaged or is not a database.
    Corrupt,
    /// The database server cannot be reached or dropped the connection.
    Unreachable,
    /// No connection came free in time: the database is slow or overloaded.
    Timeout,
    /// The database refused the write (a constraint).
    Refused,
    /// Stored data or the schema does not match this version of the service.
    Schema,
    /// Anything else the database reported.
    Other,
}

impl Cause {
    /// A short sentence naming the trouble.
    pub fn describe(self) -> &'static str {
        match self {
            Cause::DiskFull => "the disk is full",
            Cause::DiskError => "the disk failed to read or write the database",
            Cause::ReadOnly => "the database is read-only",
            Cause::Locked => "the database is locked by another writer",
            Cause::FileDeleted => "the database file was deleted",
            Cause::FileReplaced => "the database file was replaced",
            Cause::CannotOpen => "the database file cannot be opened",
            Cause::Corrupt => "the database file is damaged or not a database",
            Cause::Unreachable => "the database server is unreachable",
            Cause::Timeout => "no database connection came free in time",
            Cause::Refused => "the database refused the write",
            Cause::Schema => "the stored data does not match this version",
            Cause::Other => "the database failed",
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

impl StoreError {
    /// What kind of trouble this is.
    pub fn cause(&self) -> Cause {
        match self {
            StoreError::Db(e) => of_sqlx(e),
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => of_sqlx(e),
            StoreError::Migrate(_) | StoreError::Corrupt { .. } => Cause::Schema,
            StoreError::Url(_) | StoreError::Missing(_) => Cause::CannotOpen,
            StoreError::FileGone(_) => Cause::FileDeleted,
            StoreError::FileReplaced(_) => Cause::FileReplaced,
            StoreError::FileUnreadable { .. } => Cause::CannotOpen,
        }
    }
}

fn of_sqlx(e: &sqlx::Error) -> Cause {
    match e {
        sqlx::Error::Database(db) => match db.code() {
            // PostgreSQL reports a five-character SQLSTATE; SQLite a (extended) result code.
            Some(code) if code.len() == 5 => of_sqlstate(&code),
            Some(code) => code.parse().map(of_sqlite_code).unwrap_or(Cause::Other),
            None => Cause::Other,
        },
        sqlx::Error::Io(io) if io.raw_os_error() == Some(28) => Cause::DiskFull,
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => Cause::CannotOpen,
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => Cause::Unreachable,
        sqlx::Error::PoolTimedOut => Cause::Timeout,
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => Cause::Unreachable,
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::Decode(_) => Cause::Schema,
        sqlx::Error::Configuration(_) => Cause::CannotOpen,
        _ => Cause::Other,
    }
}

/// SQLite's primary result codes (the low byte of an extended code).
fn of_sqlite_code(code: i64) -> Cause {
    match code & 0xff {
        5 | 6 => Cause::Locked,
        8 => Cause::ReadOnly,
        10 => Cause::DiskError,
        11 | 26 => Cause::Corrupt,
        13 => Cause::DiskFull,
        14 => Cause::CannotOpen,
        19 => Cause::Refused,
        _ => Cause::Other,
    }
}

/// PostgreSQL's SQLSTATE classes and the codes that matter here.
fn of_sqlstate(code: &str) -> Cause {
    match code {
        "53100" => Cause::DiskFull,
        "58030" => Cause::DiskError,
        "25006" => Cause::ReadOnly,
        "55P03" | "40P01" => Cause::Locked,
        "XX001" | "XX002" => Cause::Corrupt,
        _ => match &code[..2] {
            "08" | "57" | "53" => Cause::Unreachable,
            "23" => Cause::Refused,
            "42" => Cause::Schema,
            _ => Cause::Other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_postgres_codes_are_told_apart() {
        assert_eq!(of_sqlite_code(13), Cause::DiskFull);
        assert_eq!(of_sqlite_code(778), Cause::DiskError); // SQLITE_IOERR_WRITE
        assert_eq!(of_sqlite_code(517), Cause::Locked); // SQLITE_BUSY_SNAPSHOT
        assert_eq!(of_sqlite_code(787), Cause::Refused); // SQLITE_CONSTRAINT_FOREIGNKEY
        assert_eq!(of_sqlstate("53100"), Cause::DiskFull);
        assert_eq!(of_sqlstate("57P01"), Cause::Unreachable);
        assert_eq!(of_sqlstate("08006"), Cause::Unreachable);
        assert_eq!(of_sqlstate("23503"), Cause::Refused);
        assert_eq!(
            StoreError::FileGone("/x.db".into()).cause().describe(),
            "the database file was deleted"
        );
        assert_eq!(
            StoreError::Db(sqlx::Error::PoolTimedOut).cause(),
            Cause::Timeout
        );
    }
}
