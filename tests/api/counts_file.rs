//! `counts export` and `counts import` as an operator runs them: the binary as a real
//! process, on both stores.

use crate::helpers::*;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use time::{Date, OffsetDateTime};
use verdict_badges::stats::{self, Days};
use verdict_badges::store::Store;
use verdict_badges::verdict::Slug;

const BIN: &str = env!("CARGO_BIN_EXE_verdict-badges");
const HEADER: &str = "slug,date,kind,referrer,count\n";

fn run(db: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("VERDICT_BADGES_DATABASE_URL", db)
        .env("VERDICT_BADGES_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

fn days_ago(n: i64) -> Date {
    today() - time::Duration::days(n)
}

/// A production-shaped history: three tools over `days` days ending today, each day a
/// handful of hosts (some days past the per-day host cap, as `(other)`), direct loads,
/// clicks and bots.
fn history(days: i64) -> String {
    let mut csv = String::from(HEADER);
    for (t, slug) in ["smolvlm-3b", "mistral-small-3-1", "not-yet-reviewed"]
        .iter()
        .enumerate()
    {
        for d in (0..days).rev() {
            let day = days_ago(d);
            for h in 0..(3 + (d as usize + t) % 9) {
                let host = format!("site{h}.example.com");
                let n = 1 + (d as usize * 7 + h * 13 + t) % 50;
                writeln!(csv, "{slug},{day},badge,{host},{n}").unwrap();
                if h % 3 == 0 {
                    writeln!(csv, "{slug},{day},widget,{host},{}", n / 2 + 1).unwrap();
                    writeln!(csv, "{slug},{day},click,{host},{}", n % 7 + 1).unwrap();
                }
            }
            writeln!(csv, "{slug},{day},badge,(direct),{}", 5 + d % 11).unwrap();
            if d % 5 == 0 {
                writeln!(csv, "{slug},{day},badge,(other),{}", 40 + d).unwrap();
                writeln!(csv, "{slug},{day},bot,(direct),{}", 3 + d % 4).unwrap();
            }
        }
    }
    csv
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

/// Every stats answer the service gives for the tools, over every window it offers.
async fn every_answer(url: &str) -> Vec<stats::Stats> {
    let store = Store::connect(url).await.unwrap();
    let mut out = Vec::new();
    for slug in [
        "smolvlm-3b",
        "mistral-small-3-1",
        "not-yet-reviewed",
        "absent",
    ] {
        for days in [1, 2, 7, 30, 90, 365, 366] {
            out.push(
                stats::read(
                    &store,
                    &Slug::parse(slug).unwrap(),
                    Days::new(days).unwrap(),
                )
                .await
                .unwrap(),
            );
        }
    }
    store.close().await;
    out
}

async fn a_bad_counts_file_names_each_line_and_field_and_writes_nothing(backend: TestBackend) {
    let db = scratch(backend).await;
    Store::connect(&db.url).await.unwrap().close().await;
    let dir = tempfile::tempdir().unwrap();
    let day = today();
    let file = write(
        dir.path(),
        "bad.csv",
        &format!(
            "{HEADER}\
             smolvlm-3b,{day},badge,example.com,3\n\
             smolvlm-3b,{day},badge,example.com,0\n\
             smolvlm-3b,{day},click,(direct),1\n\
             Smol VLM,2026-02-30,view,Example.com,-4\n\
             smolvlm-3b,{day}\n\
             \"smolvlm-3b\",{day},widget,\"a.example\",2\n"
        ),
    );
    let out = run(&db.url, &["counts", "import", &file]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for want in [
        "line 3: count: must be a whole number from 1 to 1000000000000, got \"0\"",
        "line 5: slug:",
        "line 5: date: no such date: \"2026-02-30\"",
        "line 5: kind: must be badge, widget, click or bot, got \"view\"",
        "line 5: referrer: must be a lowercase host",
        "line 5: count:",
        "line 6: line: must have 5 fields",
        "3 bad line(s); nothing was imported",
    ] {
        assert!(err.contains(want), "{want:?} not in:\n{err}");
    }
    assert!(
        !err.contains("line 2:") && !err.contains("line 7:"),
        "{err}"
    );

    let header = write(dir.path(), "header.csv", "slug,day,kind,referrer,count\n");
    let out = run(&db.url, &["counts", "import", &header]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("line 1: the header must be exactly slug,date,kind,referrer,count"),
        "{}",
        text(&out.stderr)
    );

    // Nothing reached the store: the export is the header alone.
    let out = run(&db.url, &["counts", "export"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), HEADER);
}

async fn a_counts_file_is_imported_once(backend: TestBackend) {
    let db = scratch(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "history.csv", &history(40));
    let rows = history(40).lines().count() - 1;
    let out = run(&db.url, &["counts", "import", &file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("imported {rows} row(s)")),
        "{}",
        text(&out.stdout)
    );
    let before = every_answer(&db.url).await;
    assert!(
        before[4].totals.badge_impressions > 0,
        "{:?}",
        before[4].totals
    );

    // The same contents under another name: refused, and nothing doubles.
    let again = write(dir.path(), "copy.csv", &history(40));
    let out = run(&db.url, &["counts", "import", &again]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("was imported into") && err.contains(&format!("({rows} rows)")),
        "{err}"
    );
    assert_eq!(every_answer(&db.url).await, before);
}

/// A fault inside the import's transaction (a trigger that fails on one row near the
/// end, after tens of thousands of rows went in) leaves nothing behind, not even the
/// file's hash: the same file imports whole once the fault is gone.
async fn an_import_that_fails_midway_writes_nothing(backend: TestBackend) {
    let db = scratch(backend).await;
    let store = Store::connect(&db.url).await.unwrap();
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from(HEADER);
    for d in 0..60 {
        for h in 0..600 {
            writeln!(csv, "smolvlm-3b,{},badge,h{h}.example,1", days_ago(d)).unwrap();
        }
    }
    writeln!(csv, "zzz-fails,{},badge,(direct),1", today()).unwrap();
    let file = write(dir.path(), "big.csv", &csv);

    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    let (create, drop) = match backend {
        TestBackend::Sqlite => (
            vec![
                "CREATE TRIGGER fail_import BEFORE INSERT ON counts WHEN NEW.slug = 'zzz-fails' \
                 BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
            ],
            "DROP TRIGGER fail_import",
        ),
        TestBackend::Postgres => (
            vec![
                "CREATE FUNCTION fail_import() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$",
                "CREATE TRIGGER fail_import BEFORE INSERT ON counts FOR EACH ROW \
                 WHEN (NEW.slug = 'zzz-fails') EXECUTE FUNCTION fail_import()",
            ],
            "DROP TRIGGER fail_import ON counts",
        ),
    };
    for sql in create {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let out = run(&db.url, &["counts", "import", &file]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("injected fault") && err.contains("nothing was imported"),
        "{err}"
    );
    for table in ["counts", "daily_counts", "referrer_spans", "count_imports"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} kept rows of a failed import");
    }
    sqlx::query(drop).execute(&pool).await.unwrap();
    let out = run(&db.url, &["counts", "import", &file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stats = every_answer(&db.url).await;
    assert_eq!(
        stats[6].totals.badge_impressions,
        60 * 600,
        "a year of smolvlm-3b"
    );
    pool.close().await;
}

/// Export from SQLite — with history past the referrer horizon already folded, and
/// counts flushed by the service — then import into an empty store: every stats answer
/// is the same, and so is the export of the new store, byte for byte.
async fn an_export_imports_into_an_empty_store_with_the_same_answers(target: TestBackend) {
    let source = scratch(TestBackend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "history.csv", &history(500));
    let out = run(&source.url, &["counts", "import", &file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let store = Store::connect(&source.url).await.unwrap();
    let mut folded = 0;
    while store
        .fold_referrers_step(days_ago(400))
        .await
        .unwrap()
        .is_some()
    {
        folded += 1;
    }
    assert!(folded >= 99, "{folded} days folded");
    let mut app = spawn_app_at(&source.url, None, |c| c.count_limit_per_minute = 0).await;
    for path in [
        "/api/badge/smolvlm-3b",
        "/embed/smolvlm-3b",
        "/api/badge-click/smolvlm-3b",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .header("referer", "https://fresh.example/post")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success() || r.status().is_redirection());
    }
    app.wait_for_total(
        "smolvlm-3b",
        "clicks",
        1,
        std::time::Duration::from_secs(10),
    )
    .await;
    app.stop().await;
    store.close().await;

    let exported = dir.path().join("export.csv");
    let out = run(
        &source.url,
        &["counts", "export", "--out", exported.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(&exported).unwrap();
    assert!(
        csv.starts_with(HEADER) && csv.contains(",fresh.example,"),
        "{}",
        &csv[..200]
    );

    let dest = scratch(target).await;
    let out = run(&dest.url, &["counts", "import", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (want, got) = (
        every_answer(&source.url).await,
        every_answer(&dest.url).await,
    );
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{} over {} days", w.slug, w.daily.len());
    }
    assert!(want[6].referrers.iter().any(|r| r.host == "fresh.example"));
    let again = run(&dest.url, &["counts", "export"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(
        text(&again.stdout),
        csv,
        "the new store exports the same file"
    );

    // A selection: one tool, a range of days.
    let (from, to) = (days_ago(10).to_string(), days_ago(3).to_string());
    let part = run(
        &dest.url,
        &[
            "counts",
            "export",
            "--slug",
            "mistral-small-3-1",
            "--from",
            &from,
            "--to",
            &to,
        ],
    );
    assert!(part.status.success(), "{}", text(&part.stderr));
    let want: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[0] == "mistral-small-3-1" && f[1] >= from.as_str() && f[1] <= to.as_str()
        })
        .collect();
    let got: Vec<String> = text(&part.stdout)
        .lines()
        .skip(1)
        .map(String::from)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

crate::on_both_backends!(
    a_bad_counts_file_names_each_line_and_field_and_writes_nothing,
    a_counts_file_is_imported_once,
    an_import_that_fails_midway_writes_nothing,
    an_export_imports_into_an_empty_store_with_the_same_answers,
);
