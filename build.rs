//! Marks which optional test groups this build runs, so that a group that is not set up
//! shows as `ignored` (with the reason) instead of passing silently.
//!
//! - `vb_postgres`: `VERDICT_BADGES_TEST_POSTGRES` names a PostgreSQL server; every store
//!   and counting test then runs on it as well as on SQLite.
//! - `vb_browser`: `VERDICT_BADGES_TEST_BROWSER=1`; the Chromium tests then run, and a
//!   missing Chromium or chromedriver fails them.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(vb_postgres)");
    println!("cargo::rustc-check-cfg=cfg(vb_browser)");
    println!("cargo::rerun-if-env-changed=VERDICT_BADGES_TEST_POSTGRES");
    println!("cargo::rerun-if-env-changed=VERDICT_BADGES_TEST_BROWSER");
    if std::env::var("VERDICT_BADGES_TEST_POSTGRES").is_ok_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=vb_postgres");
    }
    if std::env::var("VERDICT_BADGES_TEST_BROWSER").is_ok_and(|v| v == "1") {
        println!("cargo::rustc-cfg=vb_browser");
    }
}
