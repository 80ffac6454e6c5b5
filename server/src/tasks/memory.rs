//! Gives the memory of an ingest burst back to the system once it is over.
//!
//! A server that has just ingested millions of events used to stay at its
//! peak (251 MiB after loading 10M events, against 49 MiB for one started
//! on the same store). The Rust side's memory is jemalloc's now, whose
//! background thread hands back what has been free for a second
//! (`crate::allocator`), and [`trim`] at once. The rest is SQLite's: when
//! no batch has been published for [`QUIET`], the SQLite writer drops its
//! page cache (48 MiB once full, see `Store::release_memory`) and
//! `malloc_trim` hands glibc's free pages back: once per burst, never
//! while events are arriving. With another C library there is nothing of
//! SQLite's to hand back this way.

use pipeline::bus::Bus;
use pipeline::store::Store;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;

/// How long ingest must have been quiet before the trim.
pub const QUIET: Duration = Duration::from_secs(2);

/// Releases memory after each burst of ingest, until the bus closes.
pub fn spawn(bus: &Bus, store: &Store) -> JoinHandle<()> {
    let (batches, store) = (bus.subscribe(), store.clone());
    tokio::spawn(after_bursts(batches, QUIET, move || {
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.release_memory().await {
                tracing::warn!(error = %e, "Could not release the store's page cache.");
            }
            tokio::task::spawn_blocking(trim);
        });
    }))
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

/// Returns both allocators' free pages to the system (also after each
/// asset is compressed, see `http::assets`).
pub fn trim() {
    crate::allocator::purge();
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
}
