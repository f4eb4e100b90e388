//! The binary as a real process: import, render, keys, stats, and SIGTERM.

use crate::helpers::FIREFOX;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_verdict-badges");
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample-verdicts.json");

fn run(db: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("VERDICT_BADGES_DATABASE_URL", db)
        .env_remove("VERDICT_BADGES_ADMIN_TOKEN")
        .output()
        .unwrap()
}

fn db_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/cli.db", dir.path().display())
}

#[test]
fn an_invalid_import_names_record_and_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    assert!(run(&db, &["import", SAMPLES]).status.success());

    let mut records: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(SAMPLES).unwrap()).unwrap();
    records[0]["name"] = "Changed".into();
    records[3]["panel"]["skip"] = 70.into();
    records[5]["reviews"][1]["verdict"] = "maybe".into();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_string(&records).unwrap()).unwrap();

    let out = run(&db, &["import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("record 3 (smolvlm-3b): panel.skip: must be a whole number 0–50, got 70"),
        "{err}"
    );
    assert!(
        err.contains("record 5 (mistral-8x24b-moe): reviews[1].verdict:"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");

    // Record 0 was valid, yet nothing of the file was written.
    let out = run(
        &db,
        &["render", "mistral-8x22b-instruct-v2-open-source-apache"],
    );
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Changed"));

    let out = run(&db, &["import", "/no/such/file.json"]);
    assert!(!out.status.success());
    let not_json = dir.path().join("x.json");
    std::fs::write(&not_json, "{\"slug\":").unwrap();
    let out = run(&db, &["import", not_json.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));
}

#[test]
fn render_writes_a_badge_offline() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    assert!(run(&db, &["import", SAMPLES]).status.success());
    let out_file = dir.path().join("b.png");
    let out = run(
        &db,
        &[
            "render",
            "smolvlm-3b",
            "--format",
            "png",
            "--theme",
            "dark",
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        crate::helpers::png_size(&std::fs::read(&out_file).unwrap()),
        (720, 180)
    );
    let out = run(&db, &["render", "no-such-tool"]);
    assert!(!out.status.success());
}

#[test]
fn keys_and_stats_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    assert!(run(&db, &["import", SAMPLES]).status.success());
    let out = run(&db, &["keys", "create", "smolvlm-3b"]);
    assert!(out.status.success());
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(verdict_badges::auth::looks_like_stats_key(&key), "{key}");
    assert!(
        !run(&db, &["keys", "create", "no-such-tool"])
            .status
            .success()
    );
    let out = run(
        &db,
        &["keys", "create", "origin-only-tool", "--allow-unknown"],
    );
    assert!(out.status.success());
    assert!(run(&db, &["keys", "revoke", &key]).status.success());
    assert!(
        !run(&db, &["keys", "revoke", &key]).status.success(),
        "already revoked"
    );

    let out = run(&db, &["stats", "smolvlm-3b", "--days", "3"]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.lines().any(|l| l.starts_with("total")), "{table}");
    assert_eq!(
        table.lines().filter(|l| l.starts_with("20")).count(),
        3,
        "{table}"
    );
    assert!(
        !run(&db, &["stats", "smolvlm-3b", "--days", "0"])
            .status
            .success()
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sigterm_right_after_a_burst_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let port = free_port();
    let mut server = Command::new(BIN)
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        // Nothing reaches the store before the signal but through the shutdown flush.
        .args([
            "--flush-interval-ms",
            "60000",
            "--count-limit-per-minute",
            "0",
        ])
        .env("VERDICT_BADGES_DATABASE_URL", &db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = crate::helpers::browser();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/readyz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = crate::helpers::browser();
        let url = format!("{base}/api/badge/smolvlm-3b");
        tasks.push(tokio::spawn(async move {
            for _ in 0..250 {
                let r = client
                    .get(&url)
                    .header("user-agent", FIREFOX)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "a clean exit after SIGTERM: {status}");

    let out = run(&db, &["stats", "smolvlm-3b", "--days", "1"]);
    let table = String::from_utf8(out.stdout).unwrap();
    let total = table.lines().find(|l| l.starts_with("total")).unwrap();
    let badge: i64 = total.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(badge, 2000, "{table}");
}
