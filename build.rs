//! Marks which optional test groups this build runs, so that a group that is not set up
//! shows as `ignored` (with the reason) instead of passing silently.
//!
//! - `vb_postgres`: `VERDICT_BADGES_TEST_POSTGRES` names a PostgreSQL server; every store
//!   and counting test then runs on it as well as on SQLite.
//! - `vb_browser`: `VERDICT_BADGES_TEST_BROWSER=1`; the Chromium tests then run, and a
//!   missing Chromium or chromedriver fails them.
//! - `vb_mount`: the tests may mount a small tmpfs (a real full disk): set when the build
//!   runs as root with `CAP_SYS_ADMIN` on Linux, or forced with `VERDICT_BADGES_TEST_MOUNT=1`
//!   (`=0` turns it off).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(vb_postgres)");
    println!("cargo::rustc-check-cfg=cfg(vb_browser)");
    println!("cargo::rustc-check-cfg=cfg(vb_mount)");
    println!("cargo::rerun-if-env-changed=VERDICT_BADGES_TEST_MOUNT");
    println!("cargo::rerun-if-env-changed=VERDICT_BADGES_TEST_POSTGRES");
    println!("cargo::rerun-if-env-changed=VERDICT_BADGES_TEST_BROWSER");
    if std::env::var("VERDICT_BADGES_TEST_POSTGRES").is_ok_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=vb_postgres");
    }
    if std::env::var("VERDICT_BADGES_TEST_BROWSER").is_ok_and(|v| v == "1") {
        println!("cargo::rustc-cfg=vb_browser");
    }
    let may_mount = match std::env::var("VERDICT_BADGES_TEST_MOUNT").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => root_with_sys_admin(),
    };
    if may_mount {
        println!("cargo::rustc-cfg=vb_mount");
    }
}

/// Whether this process runs as root with `CAP_SYS_ADMIN` (bit 21 of `CapEff`), as `mount` needs.
fn root_with_sys_admin() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().next().unwrap_or("").to_owned())
    };
    let root = field("Uid:").is_some_and(|uid| uid == "0");
    let sys_admin = field("CapEff:")
        .and_then(|caps| u64::from_str_radix(&caps, 16).ok())
        .is_some_and(|caps| caps & (1 << 21) != 0);
    root && sys_admin && std::path::Path::new("/proc/filesystems").exists()
}
