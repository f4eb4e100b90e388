//! Chaos: real faults under load, against a real server and a real store. Each run
//! sends badge loads from several browsers while the fault happens and ends, stops the
//! server cleanly, then reads the store with a fresh connection: every load sent was
//! served, and every load served is stored once (sent = served = stored). Each run
//! prints its figures.

use crate::helpers::*;
use crate::proxy::{CommitCut, Proxy};
use sqlx::{Connection, Executor};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use verdict_badges::counts::Kind;
use verdict_badges::store::Store;
use verdict_badges::verdict::{Slug, demo_verdicts};

/// How long a fault may take to show in `/readyz`, or to clear, on a busy machine.
const PATIENCE: Duration = Duration::from_secs(30);

/// Browsers loading badges of every sample tool from many referring sites (new sites
/// keep the store growing, as a real one does), counting what they sent and were served.
struct Load {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    served: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// Loads every tool once (so each has a last-known verdict to serve through an
    /// outage, as a running service has), then starts the browsers.
    async fn start(app: &TestApp) -> Load {
        const BROWSERS: usize = 6;
        let stop = Arc::new(AtomicBool::new(false));
        let slugs: Vec<String> = demo_verdicts()
            .into_iter()
            .map(|v| v.slug.as_str().to_owned())
            .collect();
        for slug in &slugs {
            let r = app.get(&format!("/api/badge/{slug}")).await;
            assert!(r.status() == 200 && r.headers().get("x-verdict-error").is_none());
        }
        let sent = Arc::new(AtomicU64::new(slugs.len() as u64));
        let served = Arc::new(AtomicU64::new(slugs.len() as u64));
        let tasks = (0..BROWSERS)
            .map(|b| {
                let (client, stop) = (browser(), stop.clone());
                let (sent, served) = (sent.clone(), served.clone());
                let base = app.base.clone();
                let slugs = slugs.clone();
                tokio::spawn(async move {
                    let mut i = b;
                    while !stop.load(Ordering::SeqCst) {
                        i += BROWSERS;
                        let url = format!("{base}/api/badge/{}", slugs[i % slugs.len()]);
                        let referer = format!("https://site-{}.example/post", i % 7919);
                        sent.fetch_add(1, Ordering::SeqCst);
                        let r = client
                            .get(&url)
                            .header("referer", referer)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(r.status(), 200);
                        assert!(
                            r.headers().get("x-verdict-error").is_none(),
                            "a badge was served without its verdict: {:?}",
                            r.headers().get("x-verdict-error")
                        );
                        r.bytes().await.unwrap();
                        served.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        Load {
            stop,
            sent,
            served,
            tasks,
        }
    }

    fn served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }

    async fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.tasks {
            t.await.unwrap();
        }
        (
            self.sent.load(Ordering::SeqCst),
            self.served.load(Ordering::SeqCst),
        )
    }
}

/// A server on `url` that counts every load (no per-client limit).
async fn counting_app(url: &str, scratch: Option<Scratch>) -> TestApp {
    spawn_app_at(url, scratch, |c| c.count_limit_per_minute = 0).await
}

/// Every badge impression in the store at `url`, read by a fresh connection.
async fn stored_impressions(url: &str) -> u64 {
    let store = Store::connect(url).await.unwrap();
    let (from, to) = (
        time::macros::date!(2000 - 01 - 01),
        time::macros::date!(2999 - 01 - 01),
    );
    let mut total = 0;
    for v in demo_verdicts() {
        let slug = Slug::parse(v.slug.as_str()).unwrap();
        total += store
            .counts(&slug, from, to)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.kind == Kind::Badge)
            .map(|r| r.n)
            .sum::<u64>();
    }
    store.close().await;
    total
}

/// Polls `/readyz` until it answers `status`; answers its body.
async fn readyz_becomes(app: &TestApp, status: u16) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let r = app.get("/readyz").await;
        let (got, body) = (r.status().as_u16(), r.text().await.unwrap());
        if got == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz stayed {got} ({body:?}), not {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Loads sent, served and stored in one run, printed for the record and checked.
fn check_figures(fault: &str, (sent, served): (u64, u64), stored: u64) {
    eprintln!("chaos {fault}: sent {sent}, served {served}, stored {stored}");
    assert!(served > 100, "{fault}: the load ran ({served} served)");
    assert_eq!(sent, served, "{fault}: every load sent was served");
    assert_eq!(stored, served, "{fault}: every load served is stored once");
}

/// A counter's value from the metrics.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map(|n| n.trim().parse().unwrap())
        .unwrap_or(0)
}

/// Failed flushes so far.
async fn flush_failures(app: &TestApp) -> u64 {
    metric(app, "verdict_badges_flush_failures_total").await
}

/// A connection of the test's own to the server's database.
async fn connect(url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    if url.starts_with("sqlite:") {
        conn.execute("PRAGMA busy_timeout = 10000").await.unwrap();
    }
    conn
}

/// Faults planted in the database itself, switched on and off from outside:
/// `statement` makes the database end the transaction on its own at the flush's
/// first statement (as SQLite does on `SQLITE_FULL`); `commit` makes `COMMIT` fail.
struct Faults {
    conn: sqlx::AnyConnection,
}

impl Faults {
    async fn plant(url: &str, backend: TestBackend) -> Faults {
        let mut conn = connect(url).await;
        let ddl = match backend {
            TestBackend::Sqlite => {
                "CREATE TABLE chaos_switch (id INTEGER PRIMARY KEY, mode TEXT NOT NULL);
                 INSERT INTO chaos_switch VALUES (1, 'off');
                 CREATE TABLE chaos_parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE chaos_orphan (
                     parent INTEGER REFERENCES chaos_parent (id) DEFERRABLE INITIALLY DEFERRED);
                 CREATE TRIGGER chaos_commit AFTER INSERT ON flush_log
                 WHEN (SELECT mode FROM chaos_switch WHERE id = 1) = 'commit'
                 BEGIN INSERT INTO chaos_orphan VALUES (NEW.seq); END;
                 CREATE TRIGGER chaos_statement AFTER INSERT ON flush_log
                 WHEN (SELECT mode FROM chaos_switch WHERE id = 1) = 'statement'
                 BEGIN SELECT RAISE(ROLLBACK, 'injected: the transaction is rolled back'); END;"
            }
            TestBackend::Postgres => {
                "CREATE TABLE chaos_switch (id INT PRIMARY KEY, mode TEXT NOT NULL);
                 INSERT INTO chaos_switch VALUES (1, 'off');
                 CREATE FUNCTION chaos_fail() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF (SELECT mode FROM chaos_switch WHERE id = 1) = TG_ARGV[0] THEN
                         RAISE EXCEPTION 'injected: % fails', TG_ARGV[0];
                     END IF;
                     RETURN NULL;
                 END $$;
                 CREATE CONSTRAINT TRIGGER chaos_commit AFTER INSERT ON flush_log
                     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION chaos_fail('commit');
                 CREATE TRIGGER chaos_statement AFTER INSERT ON flush_log
                     FOR EACH ROW EXECUTE FUNCTION chaos_fail('statement');"
            }
        };
        conn.execute(ddl).await.unwrap();
        Faults { conn }
    }

    async fn switch(&mut self, mode: &str) {
        sqlx::query("UPDATE chaos_switch SET mode = $1 WHERE id = 1")
            .bind(mode)
            .execute(&mut self.conn)
            .await
            .unwrap();
    }
}

/// Runs `mode` under load until `/readyz` reports it, then lifts it.
async fn hold_fault(app: &TestApp, faults: &mut Faults, mode: &str) -> String {
    faults.switch(mode).await;
    let why = readyz_becomes(app, 503).await;
    faults.switch("off").await;
    readyz_becomes(app, 200).await;
    why
}

async fn a_failing_commit_loses_no_count(backend: TestBackend) {
    let db = scratch(backend).await;
    let url = db.url.clone();
    let mut app = counting_app(&url, Some(db)).await;
    let mut faults = Faults::plant(&url, backend).await;
    let load = Load::start(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let why = hold_fault(&app, &mut faults, "commit").await;
    assert!(why.contains("counts have not reached the store"), "{why}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let figures = load.finish().await;
    assert!(flush_failures(&app).await > 0);
    app.stop().await;
    check_figures(
        &format!("failing commit ({backend:?})"),
        figures,
        stored_impressions(&url).await,
    );
}

/// The sequence that once lost counts silently: the database ends a transaction on
/// its own (sqlx still believed it open), then a commit fails, then all is well again.
async fn a_transaction_the_database_ended_loses_no_count(backend: TestBackend) {
    let db = scratch(backend).await;
    let url = db.url.clone();
    let mut app = counting_app(&url, Some(db)).await;
    let mut faults = Faults::plant(&url, backend).await;
    let load = Load::start(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    hold_fault(&app, &mut faults, "statement").await;
    hold_fault(&app, &mut faults, "commit").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Counts reported written are visible to everyone at once, not just to the
    // connection that wrote them.
    let before = load.served();
    let reached = app
        .wait_for_impressions(before, Duration::from_secs(20))
        .await;
    assert!(reached >= before, "{reached} of {before} visible");
    let figures = load.finish().await;
    app.stop().await;
    check_figures(
        &format!("database-ended transaction then failing commit ({backend:?})"),
        figures,
        stored_impressions(&url).await,
    );
}

crate::on_both_backends!(
    a_failing_commit_loses_no_count,
    a_transaction_the_database_ended_loses_no_count
);

/// The database at its size cap: SQLite's `max_page_count` on every connection, and a
/// ballast table that takes every page up to it, dropped a moment later.
#[tokio::test]
async fn a_database_at_its_size_cap_loses_no_count() {
    let db = scratch(TestBackend::Sqlite).await;
    const CAP_PAGES: i64 = 2000;
    let url = db.url.clone();
    let capped = format!("{url}?max_page_count={CAP_PAGES}");
    let mut app = counting_app(&capped, Some(db)).await;
    let load = Load::start(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut own = connect(&url).await;
    own.execute("CREATE TABLE chaos_ballast (b BLOB)")
        .await
        .unwrap();
    let failures_before = flush_failures(&app).await;
    loop {
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut own)
            .await
            .unwrap();
        if pages >= CAP_PAGES {
            break;
        }
        sqlx::query("INSERT INTO chaos_ballast VALUES (zeroblob(65536))")
            .execute(&mut own)
            .await
            .unwrap();
    }
    let why = readyz_becomes(&app, 503).await;
    assert!(why.contains("the disk is full"), "{why}");
    own.execute("DELETE FROM chaos_ballast").await.unwrap();
    readyz_becomes(&app, 200).await;
    assert!(flush_failures(&app).await > failures_before);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let figures = load.finish().await;
    app.stop().await;
    check_figures(
        "database at its size cap",
        figures,
        stored_impressions(&url).await,
    );
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: u64) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("running mount");
        assert!(
            status.success(),
            "mount -t tmpfs failed: run as root with CAP_SYS_ADMIN, \
             or build with VERDICT_BADGES_TEST_MOUNT=0 to skip this test"
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Takes every free byte with a ballast file; answers its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path().join("ballast");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// A real full disk: the store on a 16 MiB tmpfs that a ballast file fills.
#[tokio::test]
#[cfg_attr(
    not(vb_mount),
    ignore = "mounts a tmpfs: needs root with CAP_SYS_ADMIN (or VERDICT_BADGES_TEST_MOUNT=1 at build time)"
)]
async fn a_full_disk_loses_no_count() {
    let disk = SmallDisk::mount(16 << 20);
    let url = format!("sqlite://{}/vb.db", disk.path().display());
    let mut app = counting_app(&url, None).await;
    let load = Load::start(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let failures_before = flush_failures(&app).await;
    let ballast = disk.fill();
    let why = readyz_becomes(&app, 503).await;
    assert!(why.contains("the disk is full"), "{why}");
    std::fs::remove_file(&ballast).unwrap();
    readyz_becomes(&app, 200).await;
    assert!(flush_failures(&app).await > failures_before);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let figures = load.finish().await;
    app.stop().await;
    check_figures("full disk", figures, stored_impressions(&url).await);
}

/// The database file, its WAL and its shared memory deleted under the running server;
/// the operator then restores the file from the handle the service still holds (the
/// command its log gives).
#[tokio::test]
async fn a_deleted_database_file_loses_no_count() {
    let db = scratch(TestBackend::Sqlite).await;
    let url = db.url.clone();
    let path = PathBuf::from(url.trim_start_matches("sqlite://"));
    let mut app = counting_app(&url, Some(db)).await;
    let load = Load::start(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let why = readyz_becomes(&app, 503).await;
    assert!(why.contains("the database file was deleted"), "{why}");
    let served_while_deleted = load.served();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        load.served() > served_while_deleted,
        "badges are still served"
    );
    assert!(
        !path.exists(),
        "nothing recreated the file behind the operator's back"
    );

    let handle = app
        .state
        .store
        .deleted_file_rescue()
        .await
        .expect("the deleted file is still open");
    std::fs::copy(&handle, &path).unwrap();
    readyz_becomes(&app, 200).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let figures = load.finish().await;
    app.stop().await;
    check_figures(
        "deleted database file",
        figures,
        stored_impressions(&url).await,
    );
}

/// A copy of the database moved onto its path while the server runs: the server
/// notices, switches to it, and writes every later count there.
#[tokio::test]
async fn a_replaced_database_file_is_adopted() {
    let db = scratch(TestBackend::Sqlite).await;
    let url = db.url.clone();
    let path = PathBuf::from(url.trim_start_matches("sqlite://"));
    let mut app = counting_app(&url, Some(db)).await;

    let first = Load::start(&app).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (sent_before, served_before) = first.finish().await;
    app.wait_for_impressions(served_before, PATIENCE).await;
    let copy = path.with_extension("copy");
    let mut own = connect(&url).await;
    sqlx::query("VACUUM INTO $1")
        .bind(copy.display().to_string())
        .execute(&mut own)
        .await
        .unwrap();
    own.close().await.unwrap();
    std::fs::rename(&copy, &path).unwrap();

    let second = Load::start(&app).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (sent_after, served_after) = second.finish().await;
    readyz_becomes(&app, 200).await;
    app.stop().await;
    check_figures(
        "replaced database file",
        (sent_before + sent_after, served_before + served_after),
        stored_impressions(&url).await,
    );
}

/// PostgreSQL's connection cut in the middle of six commits: in turn, one whose
/// `COMMIT` never arrives, and one whose answer is lost after the server committed.
#[tokio::test]
#[cfg_attr(
    not(vb_postgres),
    ignore = "set VERDICT_BADGES_TEST_POSTGRES=postgres://… to run on PostgreSQL"
)]
async fn a_postgres_connection_cut_mid_commit_loses_no_count() {
    let db = scratch(TestBackend::Postgres).await;
    let url = db.url.clone();
    let (proxy, via_proxy) = Proxy::in_front_of(&url).await;
    let mut app = counting_app(&via_proxy, Some(db)).await;
    let load = Load::start(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    use CommitCut::{AfterTheServer, BeforeTheServer};
    let cuts = [BeforeTheServer, AfterTheServer];
    for (i, when) in cuts.iter().cycle().take(6).enumerate() {
        proxy.cut_next_commits(1, *when);
        let deadline = Instant::now() + PATIENCE;
        while proxy.commits_cut() <= i as u32 {
            assert!(Instant::now() < deadline, "commit {i} was never cut");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The retry goes through before the next cut.
        let flushed = metric(&app, "verdict_badges_tally_flushed_total").await;
        while metric(&app, "verdict_badges_tally_flushed_total").await == flushed {
            assert!(Instant::now() < deadline, "no flush after cut {i}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    readyz_becomes(&app, 200).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let figures = load.finish().await;
    let failures = flush_failures(&app).await;
    assert!(failures >= 6, "{failures} flush failures");
    app.stop().await;
    check_figures(
        "PostgreSQL connection cut mid-commit",
        figures,
        stored_impressions(&url).await,
    );
}
