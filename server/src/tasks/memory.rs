//! Gives memory the server no longer uses back to the system: after each
//! burst of ingest, and whenever the heap holds too many free pages.
//!
//! glibc's allocator keeps the pages that parsed request bodies used,
//! spread over its per-thread arenas, so a server that has just ingested
//! millions of events stays at its peak (251 MiB after loading 10M events,
//! against 49 MiB for one started on the same store). When no batch has
//! been published for [`QUIET`], the SQLite writer drops its page cache
//! (64 MiB once full, see `Store::release_memory`) and `malloc_trim` hands
//! the free pages back, once per burst.
//!
//! Rendering pages and a steady live load leave free pages behind too, and
//! a steady load never goes quiet. So every [`CHECK_EVERY`] the task also
//! compares the resident heap with what is allocated, and trims when more
//! than [`KEEP_IDLE`] of it is free: the allocator keeps a working margin,
//! not the high-water mark of whatever ran last (jemalloc's decay, in the
//! small). With another C library there is nothing to hand back this way,
//! and the task only waits.

use pipeline::bus::Bus;
use pipeline::store::Store;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;

/// How long ingest must have been quiet before the trim.
pub const QUIET: Duration = Duration::from_secs(2);

/// How often the heap's free pages are counted.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Free resident heap the allocator may keep as its working margin.
pub const KEEP_IDLE: u64 = 24 << 20;

/// Releases memory after each burst of ingest, and whenever the heap holds
/// more than [`KEEP_IDLE`] of free pages, until the bus closes.
pub fn spawn(bus: &Bus, store: &Store) -> JoinHandle<()> {
    let (batches, store) = (bus.subscribe(), store.clone());
    let bursts = after_bursts(batches, QUIET, move || {
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.release_memory().await {
                tracing::warn!(error = %e, "Could not release the store's page cache.");
            }
            tokio::task::spawn_blocking(trim);
        });
    });
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(CHECK_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let checks = async {
            loop {
                ticks.tick().await;
                let _ = tokio::task::spawn_blocking(|| trim_when_idle_over(KEEP_IDLE)).await;
            }
        };
        tokio::select! {
            () = bursts => {}
            () = checks => {}
        }
    })
}

/// Calls `then` once after each burst of messages, when `quiet` has passed
/// without another; returns when the channel closes.
pub async fn after_bursts<T: Clone>(mut messages: broadcast::Receiver<T>, quiet: Duration, then: impl Fn()) {
    loop {
        // A burst starts (a receiver that fell behind is in one too).
        if let Err(RecvError::Closed) = messages.recv().await {
            return;
        }
        // It lasts while messages keep coming.
        loop {
            match tokio::time::timeout(quiet, messages.recv()).await {
                Ok(Err(RecvError::Closed)) => return,
                Ok(_) => continue,
                Err(_quiet) => break,
            }
        }
        then();
    }
}

/// Trims when the heap holds more than `keep` bytes of free resident
/// pages; returns whether it did.
pub fn trim_when_idle_over(keep: u64) -> bool {
    let over = idle_heap().is_some_and(|idle| idle > keep);
    if over {
        trim();
    }
    over
}

/// Bytes of heap that are resident but hold no allocation: the process's
/// anonymous resident memory less what the allocator has handed out. The
/// rest of anonymous memory (thread stacks, a few MiB) counts as idle too,
/// which only makes the check a little eager. `None` where it cannot be
/// read (not glibc on Linux).
pub fn idle_heap() -> Option<u64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let kib: u64 =
            status.lines().find_map(|l| l.strip_prefix("RssAnon:"))?.trim().strip_suffix("kB")?.trim().parse().ok()?;
        // SAFETY: `mallinfo2` only reads the allocator's counters, under
        // each arena's lock.
        let info = unsafe { libc::mallinfo2() };
        let allocated = (info.uordblks + info.hblkhd) as u64;
        Some((kib * 1024).saturating_sub(allocated))
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    None
}

/// Returns the allocator's free pages to the system (also after each
/// asset is compressed, see `http::assets`).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases memory no allocation holds; it
    // takes each arena's lock, so other threads may allocate meanwhile.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// One call per burst, not per message. With no quiet time, a burst is
    /// the messages already queued when the task looks: these are all sent
    /// before it runs (one thread: nothing runs between the sends).
    #[tokio::test]
    async fn one_call_after_each_burst() {
        let (tx, rx) = broadcast::channel(16);
        let calls = Arc::new(AtomicUsize::new(0));
        let count = calls.clone();
        for n in 0..3 {
            tx.send(n).unwrap();
        }
        let task = tokio::spawn(after_bursts(rx, Duration::ZERO, move || {
            count.fetch_add(1, Ordering::SeqCst);
        }));
        let called = |n: usize| {
            let calls = calls.clone();
            async move {
                while calls.load(Ordering::SeqCst) < n {
                    tokio::task::yield_now().await;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), called(1)).await.expect("a call after the first burst");
        tx.send(3).unwrap();
        tx.send(4).unwrap();
        tokio::time::timeout(Duration::from_secs(10), called(2)).await.expect("a call after the second burst");
        drop(tx);
        tokio::time::timeout(Duration::from_secs(10), task).await.expect("ends when the channel closes").unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    /// 64 MiB freed in the middle of the heap (a live block after it keeps
    /// `free` from handing it back itself) is counted as idle, and the
    /// check hands it back. Other tests of this binary may run meanwhile,
    /// so the margins are wide.
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn the_check_hands_back_freed_pages() {
        const MIB: u64 = 1 << 20;
        let pieces: Vec<Vec<u8>> = (0..65_536).map(|i| vec![i as u8 | 1; 1024]).collect();
        let fence = vec![1u8; 1024];
        drop(pieces);
        let idle = idle_heap().expect("readable on glibc");
        assert!(idle >= 48 * MIB, "64 MiB freed, but only {} MiB counted idle", idle / MIB);
        assert!(trim_when_idle_over(32 * MIB), "{} MiB idle, yet no trim", idle / MIB);
        let after = idle_heap().unwrap();
        assert!(after + 48 * MIB <= idle, "still {} MiB idle after the trim (was {})", after / MIB, idle / MIB);
        assert!(!trim_when_idle_over(after + 32 * MIB), "no trim under the margin");
        drop(fence);
    }
}
