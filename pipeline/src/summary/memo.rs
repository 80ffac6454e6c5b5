//! Rollup reads over whole days, hours and ten-minute blocks, kept and used
//! again while their buckets are unchanged. A week's summary reads six
//! days, up to 46 hours and up to 118 minutes of rollups, most of its time
//! on a large store
//! (docs/performance.md); yet those buckets are past, and change only with
//! a late event, a reprice or retention.
//!
//! A kept read is used while its buckets' `(bucket, writes)` list
//! ([`Store::rollup_writes`](crate::store::Store::rollup_writes)) is the
//! one it was read with. The list is read before the sums, so a write
//! committed between the two is in the sums but not in the list they are
//! kept under: it costs one miss, never a stale answer. The list lives in
//! the database, so this holds for every replica's writes.
//!
//! Minutes are kept only as whole aligned blocks (ten minutes, see
//! `window`): a window's minute edges move every minute, but their whole
//! blocks stay the same for up to ten; a partial block would rarely be
//! asked for again, and would push out what is.

use crate::rollup::Grain;
use crate::store::Filters;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Rows kept in all, least recently used out first: a combination's row is
/// about 600 bytes, so at most about 12 MB. A week of the simulated
/// traffic at 10M events is 228 combinations.
const MAX_ROWS: usize = 20_000;

/// Which read of which buckets, filtered how.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// The kind of read ("marginals", "series", …): one value type per kind.
    pub part: &'static str,
    pub grain: Grain,
    pub from: i64,
    pub to: i64,
    pub filters: Filters,
}

/// `(bucket, writes)` of each bucket a read covered, when it was read.
pub type Writes = Arc<Vec<(i64, i64)>>;

/// How many rows a kept value counts for.
pub trait Rows {
    fn rows(&self) -> usize;
}

impl<T> Rows for Vec<T> {
    fn rows(&self) -> usize {
        self.len().max(1)
    }
}

impl Rows for i64 {
    fn rows(&self) -> usize {
        1
    }
}

struct Entry {
    writes: Writes,
    value: Arc<dyn Any + Send + Sync>,
    rows: usize,
    used: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    rows: usize,
    clock: u64,
    hits: u64,
    misses: u64,
}

/// Kept reads, shared by every summary of a process.
#[derive(Default)]
pub struct Memo {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Memo").field("entries", &inner.entries.len()).field("rows", &inner.rows).finish()
    }
}

/// Reads answered from what was kept, and reads that went to the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
}

impl Memo {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value kept for `key`, if its buckets were read with `writes`.
    pub fn get<T: Any + Send + Sync>(&self, key: &Key, writes: &[(i64, i64)]) -> Option<Arc<T>> {
        let mut inner = self.lock();
        inner.clock += 1;
        let clock = inner.clock;
        let found = match inner.entries.get_mut(key) {
            Some(e) if e.writes.as_slice() == writes => {
                e.used = clock;
                e.value.clone().downcast::<T>().ok()
            }
            _ => None,
        };
        match found {
            Some(_) => inner.hits += 1,
            None => inner.misses += 1,
        }
        found
    }

    /// Whether anything is kept for `key`, whatever its writes (not
    /// counted as a hit or a miss).
    pub fn holds(&self, key: &Key) -> bool {
        self.lock().entries.contains_key(key)
    }

    /// Keeps `value`, read after `writes` was, for `key`.
    pub fn put<T: Any + Send + Sync + Rows>(&self, key: Key, writes: Writes, value: Arc<T>) {
        let rows = value.rows();
        if rows > MAX_ROWS / 4 {
            return;
        }
        let mut inner = self.lock();
        inner.clock += 1;
        let used = inner.clock;
        if let Some(old) = inner.entries.insert(key, Entry { writes, value, rows, used }) {
            inner.rows -= old.rows;
        }
        inner.rows += rows;
        while inner.rows > MAX_ROWS {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else { break };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.rows -= e.rows;
            }
        }
    }

    pub fn stats(&self) -> Stats {
        let inner = self.lock();
        Stats { hits: inner.hits, misses: inner.misses }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(from: i64) -> Key {
        Key { part: "cost", grain: Grain::Hour, from, to: from + 1, filters: Filters::default() }
    }

    #[test]
    fn a_kept_read_is_used_only_with_the_writes_it_was_read_with() {
        let memo = Memo::default();
        let writes: Writes = Arc::new(vec![(0, 3)]);
        memo.put(key(0), writes.clone(), Arc::new(42_i64));
        assert_eq!(memo.get::<i64>(&key(0), &writes).as_deref(), Some(&42));
        assert_eq!(memo.get::<i64>(&key(0), &[(0, 4)]), None, "a bucket written since");
        assert_eq!(memo.get::<i64>(&key(0), &[]), None, "a bucket deleted since");
        assert_eq!(memo.get::<i64>(&key(0), &[(0, 3), (1, 1)]), None, "a bucket added since");
        assert_eq!(memo.get::<Vec<i64>>(&key(0), &writes), None, "another type");
        assert_eq!(memo.get::<i64>(&key(1), &writes), None, "another key");
        assert_eq!(memo.stats(), Stats { hits: 1, misses: 5 });
    }

    #[test]
    fn the_least_recently_used_go_first_beyond_the_bound() {
        let memo = Memo::default();
        let big = MAX_ROWS / 4;
        let writes: Writes = Arc::new(Vec::new());
        for i in 0..4 {
            memo.put(key(i), writes.clone(), Arc::new(vec![0u8; big]));
        }
        assert!(memo.get::<Vec<u8>>(&key(0), &writes).is_some(), "key 0 used again");
        memo.put(key(4), writes.clone(), Arc::new(vec![0u8; big]));
        assert!(memo.get::<Vec<u8>>(&key(1), &writes).is_none(), "the least recently used went");
        for i in [0, 2, 3, 4] {
            assert!(memo.get::<Vec<u8>>(&key(i), &writes).is_some(), "key {i} kept");
        }
        memo.put(key(9), writes.clone(), Arc::new(vec![0u8; big + 1]));
        assert!(memo.get::<Vec<u8>>(&key(9), &writes).is_none(), "a read over a quarter of the bound is not kept");
    }
}
