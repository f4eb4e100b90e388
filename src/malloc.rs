//! How the C allocator (glibc malloc) behaves in this server.
//!
//! PNGs are rasterized on tokio's blocking pool, up to 16 threads. With glibc's defaults
//! each of those threads gets its own malloc arena (up to 8 per core), and a pixel buffer
//! (518 KB for a card at scale 2) comes from an arena rather than from `mmap` once glibc's
//! adaptive threshold has risen past it; freed, it stays in that arena. Memory measured
//! with 10,000 tools (BENCHMARKS.md, "Memory") grew by tens of megabytes that no live
//! object held. Two settings bound it:
//!
//! - at most two arenas: the two cores' worth of threads share them, and what one thread
//!   frees another reuses;
//! - a fixed `mmap` threshold of 128 KiB (fixing it turns the adaptive threshold off):
//!   every pixel buffer is mapped for its render and unmapped after, so it never lingers.
//!
//! An operator's own `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` wins: nothing is changed then.

/// Most malloc arenas.
pub const ARENA_MAX: i32 = 2;
/// Allocations at least this large are mapped and unmapped on their own.
pub const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Applies the settings above, unless the environment sets malloc's own. Call it first
/// thing in `main`, before any thread starts.
pub fn tune() {
    let operator_chose = [
        "MALLOC_ARENA_MAX",
        "MALLOC_MMAP_THRESHOLD_",
        "GLIBC_TUNABLES",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some());
    if operator_chose {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes allocator parameters; it is called before any other
    // thread exists, and with parameters and values glibc documents.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
