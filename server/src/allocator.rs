//! The allocator: jemalloc, for every build that links the server (the
//! binary, `bench/`, the tests), so what is measured is what runs.
//!
//! With glibc's malloc, a request's events were allocated on one runtime
//! worker and freed by the writer on another, and each such `free` waited
//! for the lock of the arena that owned the memory. In an off-CPU profile
//! of batch ingest the writer blocked on those locks about 700 times in
//! 2 s, against 1,000 times for its commits' fsync. jemalloc frees across
//! threads without taking another thread's lock: batches of 100 went 1.17
//! times as fast, single events 1.43 times (docs/performance.md).
//!
//! mimalloc was tried too: as fast, but it kept what brotli used to
//! compress the site's assets, 160–370 MiB at idle against glibc's 62 MiB,
//! however it was set. Here a background
//! thread hands pages freed for a second back to the system (`dirty_decay_ms`),
//! without waiting for a later allocation to do it. SQLite's own memory
//! stays with glibc (`tasks::memory` trims it after a burst).

use std::ptr::null_mut;
use tikv_jemallocator::Jemalloc;

#[global_allocator]
static ALLOCATOR: Jemalloc = Jemalloc;

/// jemalloc's options, read at its first allocation (before `main`), so a
/// constant: `MALLOC_CONF`-style, NUL-terminated. Operators can still
/// override them with `_RJEM_MALLOC_CONF`.
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: &[u8; 60] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// Hands the pages every arena holds free back to the system now, rather
/// than a second later: after a burst of ingest, after each asset is
/// compressed (`tasks::memory::trim`).
pub fn purge() {
    // `MALLCTL_ARENAS_ALL` (4096) names every arena.
    const PURGE_ALL: &[u8] = b"arena.4096.purge\0";
    // SAFETY: a NUL-terminated name of a command that reads and writes no
    // value, so every pointer may be null.
    let rc = unsafe { tikv_jemalloc_sys::mallctl(PURGE_ALL.as_ptr().cast(), null_mut(), null_mut(), null_mut(), 0) };
    debug_assert_eq!(rc, 0, "jemalloc refused to purge");
}

#[cfg(test)]
mod tests {
    use std::ptr::null_mut;

    /// jemalloc's value for option `name` (NUL-terminated).
    fn option<T: Default>(name: &[u8]) -> T {
        let mut value = T::default();
        let mut len = std::mem::size_of::<T>();
        // SAFETY: `value` has room for the `len` bytes jemalloc writes, and
        // `name` ends with NUL.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(name.as_ptr().cast(), (&raw mut value).cast(), &mut len, null_mut(), 0)
        };
        assert_eq!(rc, 0, "mallctl {}", String::from_utf8_lossy(name));
        value
    }

    /// The options above are the ones in force: without them (the symbol
    /// not linked), jemalloc runs with no background thread and 10 s decay.
    #[test]
    fn jemalloc_runs_with_the_options_set_here() {
        assert!(option::<bool>(b"opt.background_thread\0"));
        assert_eq!(option::<isize>(b"opt.dirty_decay_ms\0"), 1000);
        assert_eq!(option::<isize>(b"opt.muzzy_decay_ms\0"), 0);
        super::purge();
    }
}
