//! The SQLite file under a running server: deleted or replaced, and what then.
//!
//! A process that has an SQLite file open keeps writing to it after it is deleted or
//! replaced at its path: every write succeeds, and everything written since is gone
//! when the process ends. So the store remembers which file it opened (device and
//! inode) and compares it with whatever is at the path before and after every write:
//!
//! - **deleted**: writes are refused ([`StoreError::FileGone`]), so counts wait in
//!   memory and `/readyz` says why. Putting a database back at the path (a backup, or
//!   the deleted file itself, which stays readable as `/proc/PID/fd/N` while the
//!   service runs) ends it: the store treats it as a replacement.
//! - **replaced** (a file moved onto the path): the store closes every connection to
//!   the old file, opens the new one, brings its schema up to date and writes there
//!   from then on; counts waiting in memory go to the new file.
//!
//! Every connection to the old file is closed before the new one is opened, because
//! both would share the `-wal` and `-shm` files named after the path.

use super::{SQLITE_MIGRATIONS, Store, StoreError, StoreResult, open_pool};
use std::path::{Path, PathBuf};

/// Which file a path names: device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of the file at `path` now; `None` when there is none.
    pub(super) fn of(path: &Path) -> std::io::Result<Option<FileId>> {
        match std::fs::metadata(path) {
            Ok(meta) => Ok(Some(FileId::from_metadata(&meta))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    #[cfg(unix)]
    fn from_metadata(meta: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    #[cfg(not(unix))]
    fn from_metadata(_meta: &std::fs::Metadata) -> FileId {
        // Without inodes, only deletion is detected.
        FileId { dev: 0, ino: 0 }
    }
}

/// The file a new connection must find at the path.
#[derive(Debug)]
pub(super) struct Expect {
    path: PathBuf,
    id: FileId,
}

impl Expect {
    /// Refuses a connection that opened another file than the pool's (or none).
    pub(super) fn check(&self) -> Result<(), sqlx::Error> {
        match FileId::of(&self.path) {
            Ok(Some(id)) if id == self.id => Ok(()),
            // An I/O error: transient, so readers fall back to their last-known copies.
            _ => Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "{} is no longer the database file this pool opened",
                    self.path.display()
                ),
            ))),
        }
    }
}

/// The SQLite file the store has open, and the lock that serializes switching files.
#[derive(Debug)]
pub(super) struct Watch {
    path: PathBuf,
    opened: parking_lot::Mutex<FileId>,
    switching: tokio::sync::Mutex<()>,
}

/// The file at the path compared with the one the store has open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    /// The same file.
    Same,
    /// Nothing is at the path.
    Deleted,
    /// Another file is at the path.
    Replaced,
}

impl Watch {
    /// Watches `path`, whose file the store has just opened.
    pub(super) fn new(path: PathBuf) -> StoreResult<Watch> {
        let id = FileId::of(&path)
            .map_err(|e| StoreError::Url(format!("{}: {e}", path.display())))?
            .ok_or_else(|| StoreError::FileGone(path.display().to_string()))?;
        Ok(Watch {
            path,
            opened: parking_lot::Mutex::new(id),
            switching: tokio::sync::Mutex::new(()),
        })
    }

    /// What connections of the store's current pool must find at the path.
    pub(super) fn expect(&self) -> Expect {
        Expect {
            path: self.path.clone(),
            id: *self.opened.lock(),
        }
    }

    /// The file's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    fn state(&self) -> StoreResult<(FileState, Option<FileId>)> {
        let now = FileId::of(&self.path).map_err(|e| StoreError::FileUnreadable {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        let state = match now {
            None => FileState::Deleted,
            Some(id) if id == *self.opened.lock() => FileState::Same,
            Some(_) => FileState::Replaced,
        };
        Ok((state, now))
    }

    fn error(&self, state: FileState) -> StoreError {
        let path = self.path.display().to_string();
        match state {
            FileState::Deleted => StoreError::FileGone(path),
            _ => StoreError::FileReplaced(path),
        }
    }
}

impl Store {
    /// How the SQLite file at the store's path compares with the one it has open
    /// (always [`FileState::Same`] on PostgreSQL).
    pub fn file_state(&self) -> StoreResult<FileState> {
        match self.watch() {
            Some(watch) => Ok(watch.state()?.0),
            None => Ok(FileState::Same),
        }
    }

    /// Makes sure writes go to the file at the store's path: refuses while it is
    /// deleted, and switches to a file that replaced it.
    pub async fn check_file(&self) -> StoreResult<()> {
        let Some(watch) = self.watch() else {
            return Ok(());
        };
        match watch.state()?.0 {
            FileState::Same => Ok(()),
            FileState::Deleted => Err(watch.error(FileState::Deleted)),
            FileState::Replaced => self.switch_file(watch).await,
        }
    }

    /// After a commit: an error if the file at the path is no longer the one written to.
    pub(super) fn check_file_unchanged(&self) -> StoreResult<()> {
        match self.watch() {
            Some(watch) => match watch.state()?.0 {
                FileState::Same => Ok(()),
                other => Err(watch.error(other)),
            },
            None => Ok(()),
        }
    }

    /// Closes every connection to the old file, then opens, migrates and adopts the new one.
    async fn switch_file(&self, watch: &Watch) -> StoreResult<()> {
        let _only_one = watch.switching.lock().await;
        let (state, now) = watch.state()?;
        let new_id = match (state, now) {
            (FileState::Same, _) => return Ok(()),
            (FileState::Replaced, Some(id)) => id,
            (other, _) => return Err(watch.error(other)),
        };
        tracing::warn!(
            path = %watch.path.display(),
            "the database file was replaced while the service ran: closing the old file \
             and writing to the new one (counts already written are in the old file)"
        );
        self.pool().close().await;
        remove_stale_log(&watch.path);
        let expect = Expect {
            path: watch.path.clone(),
            id: new_id,
        };
        let pool = open_pool(self.opening(), Some(expect)).await?;
        if let Err(e) = SQLITE_MIGRATIONS.run(&pool).await {
            pool.close().await;
            tracing::error!(path = %watch.path.display(), error = %e,
                "the file that replaced the database is not a usable store; \
                 counts wait in memory until a good one is at the path");
            return Err(e.into());
        }
        self.replace_pool(pool);
        *watch.opened.lock() = new_id;
        tracing::info!(path = %watch.path.display(), "now writing to the new database file");
        Ok(())
    }
}

/// Removes the write-ahead log and its index left at `path` by the file that was
/// replaced. They are named after the path, not the file: the new file would read the
/// old file's pages from them as its own (and be corrupt). Everything in them belongs
/// to the replaced file, whose connections are all closed by now; SQLite does not
/// always remove them when the last one closes.
fn remove_stale_log(path: &Path) {
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => tracing::info!(file = %Path::new(&name).display(),
                "removed the replaced database file's write-ahead log"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(file = %Path::new(&name).display(), error = %e,
                "could not remove the replaced database file's write-ahead log"),
        }
    }
}

impl Store {
    /// While the database file is deleted but still open: writes everything into the
    /// main file (a WAL checkpoint) and answers the `/proc` path it can be copied back
    /// from, so that an operator restores it with nothing lost.
    pub async fn deleted_file_rescue(&self) -> Option<PathBuf> {
        let watch = self.watch()?;
        if watch.state().ok()?.0 != FileState::Deleted {
            return None;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool())
            .await
        {
            tracing::warn!(error = %e, "could not checkpoint the deleted database file");
        }
        open_handle_of_deleted(watch.path())
    }
}

/// The `/proc/PID/fd/N` link through which this process still holds the deleted `path`.
fn open_handle_of_deleted(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let deleted = format!("{} (deleted)", absolute.display());
    let fds = std::fs::read_dir("/proc/self/fd").ok()?;
    for fd in fds.flatten() {
        if std::fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == deleted.as_str())
        {
            return Some(
                Path::new("/proc")
                    .join(std::process::id().to_string())
                    .join("fd")
                    .join(fd.file_name()),
            );
        }
    }
    None
}
