//! SQLite's process-wide settings, made once before it opens a database
//! ([`configure`]): each takes work off the writer.
//!
//! **Its page cache, wrapped.** When a B-tree page splits and its new
//! siblings' numbers are out of order, SQLite swaps them through a spare
//! number, the lock-byte page's at 1 GiB (`balance_nonroot`). Its page
//! cache remembers the largest number it has seen, and at the end of every
//! transaction drops the pages past the end of the database. With that
//! number far past the end, it scans every slot of its hash table and every
//! page cached: thousands, at every commit that split an index page, which
//! under ingest is nearly every group (5 % of the CPU of single events on
//! 1M rows, all of it on the writer; docs/performance.md). So the cache
//! stays SQLite's, wrapped: the wrapper keeps its own bound on the pages'
//! numbers, which a page only passing through the spare number does not
//! raise, and passes a truncation on only when a page may be at or past
//! its limit. Every other call goes straight through.
//!
//! **A reserve in the caches' shared budget** ([`RESERVE_PAGES`]), so a
//! full cache keeps the pages it uses most.
//!
//! **No memory statistics.** SQLite counts every allocation under one
//! process-wide lock by default; nothing here reads the counts.

use rusqlite::ffi;
use std::ffi::{c_int, c_uint};
use std::sync::{Once, OnceLock};

/// The byte SQLite's file locks use (its default); the page holding it is
/// never used for data, so SQLite uses its number as the spare.
const PENDING_BYTE: u32 = 0x4000_0000;

/// SQLite's default cache, called by the wrapper.
struct Inner {
    create: unsafe extern "C" fn(c_int, c_int, c_int) -> *mut ffi::sqlite3_pcache,
    cachesize: unsafe extern "C" fn(*mut ffi::sqlite3_pcache, c_int),
    pagecount: unsafe extern "C" fn(*mut ffi::sqlite3_pcache) -> c_int,
    fetch: unsafe extern "C" fn(*mut ffi::sqlite3_pcache, c_uint, c_int) -> *mut ffi::sqlite3_pcache_page,
    unpin: unsafe extern "C" fn(*mut ffi::sqlite3_pcache, *mut ffi::sqlite3_pcache_page, c_int),
    rekey: unsafe extern "C" fn(*mut ffi::sqlite3_pcache, *mut ffi::sqlite3_pcache_page, c_uint, c_uint),
    truncate: unsafe extern "C" fn(*mut ffi::sqlite3_pcache, c_uint),
    destroy: unsafe extern "C" fn(*mut ffi::sqlite3_pcache),
    shrink: unsafe extern "C" fn(*mut ffi::sqlite3_pcache),
}

static INNER: OnceLock<Inner> = OnceLock::new();

/// One cache (one per connection and database): SQLite's, and the bound.
struct Cache {
    inner: *mut ffi::sqlite3_pcache,
    /// The spare page number for this cache's page size.
    spare: c_uint,
    /// No page in the cache has a larger number, except at `spare`.
    max: c_uint,
    /// Pages moved to `spare` and not yet away from it.
    at_spare: u32,
}

/// Makes the settings, once per process, before SQLite first opens a
/// database (they cannot be changed after). If something opened one
/// first, SQLite stays as it was.
pub(super) fn configure() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Err(rc) = set_up() {
            tracing::debug!(rc, "SQLite was already in use: its settings are left as they were.");
        }
    });
}

fn set_up() -> Result<(), c_int> {
    // SAFETY: an int option, set before SQLite is initialized (or refused).
    match unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int) } {
        ffi::SQLITE_OK => wrap_page_cache(),
        rc => Err(rc),
    }
}

/// Puts the wrapper in place of SQLite's page cache.
fn wrap_page_cache() -> Result<(), c_int> {
    let mut default = std::mem::MaybeUninit::<ffi::sqlite3_pcache_methods2>::zeroed();
    // SAFETY: GETPCACHE2 writes the current methods through the pointer,
    // which is valid and writable for that type.
    let rc = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_GETPCACHE2, default.as_mut_ptr()) };
    if rc != ffi::SQLITE_OK {
        return Err(rc);
    }
    // SAFETY: zeroed is a valid value of this plain C struct, and SQLite
    // filled it in.
    let default = unsafe { default.assume_init() };
    let inner = (|| {
        Some(Inner {
            create: default.xCreate?,
            cachesize: default.xCachesize?,
            pagecount: default.xPagecount?,
            fetch: default.xFetch?,
            unpin: default.xUnpin?,
            rekey: default.xRekey?,
            truncate: default.xTruncate?,
            destroy: default.xDestroy?,
            shrink: default.xShrink?,
        })
    })()
    .ok_or(ffi::SQLITE_MISUSE)?;
    if INNER.set(inner).is_err() {
        return Err(ffi::SQLITE_MISUSE);
    }
    let wrapped = ffi::sqlite3_pcache_methods2 {
        iVersion: default.iVersion,
        pArg: default.pArg,
        xInit: default.xInit,
        xShutdown: default.xShutdown,
        xCreate: Some(create),
        xCachesize: Some(cachesize),
        xPagecount: Some(pagecount),
        xFetch: Some(fetch),
        xUnpin: Some(unpin),
        xRekey: Some(rekey),
        xTruncate: Some(truncate),
        xDestroy: Some(destroy),
        xShrink: Some(shrink),
    };
    // SAFETY: SQLite copies the struct; its functions are below and live
    // for the process.
    match unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_PCACHE2, &wrapped as *const ffi::sqlite3_pcache_methods2) } {
        ffi::SQLITE_OK => Ok(()),
        rc => Err(rc),
    }
}

fn inner() -> &'static Inner {
    // Only SQLite calls the functions below, once `configure` set this.
    INNER.get().expect("installed before SQLite used the wrapper")
}

/// SAFETY (for the functions below): SQLite passes back the pointer
/// `create` returned, and uses each cache from one thread at a time (its
/// pager's).
unsafe fn cache<'a>(p: *mut ffi::sqlite3_pcache) -> &'a mut Cache {
    unsafe { &mut *p.cast::<Cache>() }
}

/// Pages of budget a reserve adds to the caches' shared budget, holding
/// none itself. SQLite as libsqlite3-sys builds it
/// (`SQLITE_ENABLE_MEMORY_MANAGEMENT`) gives every connection's cache one
/// budget, the sum of their sizes. A full cache (the writer's, on a large
/// store) takes another's least recently used page for each new one, so
/// it grows past its size; once the others refill theirs, the budget is
/// spent, and SQLite then drops every page as soon as it is let go of: on
/// 1M rows the writer read the same 37 root and inner pages again at
/// every group. 4 096 pages (16 MiB) stopped that where 1 024 did not
/// (docs/performance.md).
const RESERVE_PAGES: c_int = 4096;

unsafe extern "C" fn create(page_size: c_int, extra: c_int, purgeable: c_int) -> *mut ffi::sqlite3_pcache {
    // Made at the first cache, once SQLite has set its caches up; never
    // destroyed.
    static RESERVE: Once = Once::new();
    RESERVE.call_once(|| {
        let reserve = unsafe { (inner().create)(page_size, extra, 1) };
        if !reserve.is_null() {
            unsafe { (inner().cachesize)(reserve, RESERVE_PAGES) };
        }
    });
    let inner = unsafe { (inner().create)(page_size, extra, purgeable) };
    if inner.is_null() {
        return inner;
    }
    let spare = PENDING_BYTE / c_uint::try_from(page_size).unwrap_or(1).max(1) + 1;
    Box::into_raw(Box::new(Cache { inner, spare, max: 0, at_spare: 0 })).cast()
}

unsafe extern "C" fn fetch(p: *mut ffi::sqlite3_pcache, key: c_uint, create: c_int) -> *mut ffi::sqlite3_pcache_page {
    let c = unsafe { cache(p) };
    let page = unsafe { (inner().fetch)(c.inner, key, create) };
    if !page.is_null() {
        c.max = c.max.max(key);
    }
    page
}

unsafe extern "C" fn rekey(p: *mut ffi::sqlite3_pcache, page: *mut ffi::sqlite3_pcache_page, old: c_uint, new: c_uint) {
    let c = unsafe { cache(p) };
    unsafe { (inner().rekey)(c.inner, page, old, new) };
    if old == c.spare {
        c.at_spare = c.at_spare.saturating_sub(1);
    }
    if new == c.spare {
        c.at_spare += 1;
    } else {
        c.max = c.max.max(new);
    }
}

unsafe extern "C" fn truncate(p: *mut ffi::sqlite3_pcache, limit: c_uint) {
    let c = unsafe { cache(p) };
    if c.at_spare == 0 && c.max < limit {
        counts::skipped();
        return; // no page at or past `limit`
    }
    counts::passed();
    unsafe { (inner().truncate)(c.inner, limit) };
    if limit <= c.spare {
        c.at_spare = 0;
    }
    c.max = c.max.min(limit.saturating_sub(1));
}

unsafe extern "C" fn destroy(p: *mut ffi::sqlite3_pcache) {
    // SAFETY: `create` made it with `Box::into_raw`; SQLite destroys it once.
    let c = unsafe { Box::from_raw(p.cast::<Cache>()) };
    unsafe { (inner().destroy)(c.inner) };
}

unsafe extern "C" fn cachesize(p: *mut ffi::sqlite3_pcache, pages: c_int) {
    unsafe { (inner().cachesize)(cache(p).inner, pages) }
}

unsafe extern "C" fn pagecount(p: *mut ffi::sqlite3_pcache) -> c_int {
    unsafe { (inner().pagecount)(cache(p).inner) }
}

unsafe extern "C" fn unpin(p: *mut ffi::sqlite3_pcache, page: *mut ffi::sqlite3_pcache_page, discard: c_int) {
    unsafe { (inner().unpin)(cache(p).inner, page, discard) }
}

unsafe extern "C" fn shrink(p: *mut ffi::sqlite3_pcache) {
    unsafe { (inner().shrink)(cache(p).inner) }
}

/// Truncations skipped and passed on, on this thread (SQLite calls the
/// cache on the thread that runs the statement): what the tests watch.
#[cfg(test)]
mod counts {
    use std::cell::Cell;
    thread_local! {
        pub static SKIPPED: Cell<u64> = const { Cell::new(0) };
        pub static PASSED: Cell<u64> = const { Cell::new(0) };
    }
    pub fn skipped() {
        SKIPPED.with(|n| n.set(n.get() + 1));
    }
    pub fn passed() {
        PASSED.with(|n| n.set(n.get() + 1));
    }
}

#[cfg(not(test))]
mod counts {
    pub fn skipped() {}
    pub fn passed() {}
}

#[cfg(test)]
mod tests {
    use super::counts::{PASSED, SKIPPED};
    use super::*;

    fn counts() -> (u64, u64) {
        (SKIPPED.with(|n| n.get()), PASSED.with(|n| n.get()))
    }

    /// Index pages split out of order at every commit here (random keys):
    /// their end-of-transaction truncations are skipped, while a rollback
    /// that leaves pages past the end of the database has its truncation
    /// passed on, and the database stays whole.
    #[test]
    fn truncations_are_skipped_only_when_no_page_is_past_the_limit() {
        configure();
        let dir = tempfile::tempdir().unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT, v INTEGER); CREATE INDEX t_k ON t (k);")
            .unwrap();
        let insert = |n: u64, salt: u64| {
            conn.execute_batch("BEGIN").unwrap();
            for i in 0..n {
                // A multiplicative hash: keys all over the index.
                let k = format!("{:016x}", (i + salt).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                conn.execute("INSERT INTO t (k, v) VALUES (?1, ?2)", rusqlite::params![k, i as i64]).unwrap();
            }
        };

        let (skipped, passed) = counts();
        for group in 0..20 {
            insert(500, group * 1_000);
            conn.execute_batch("COMMIT").unwrap();
        }
        let (skipped_after, passed_after) = counts();
        assert!(skipped_after >= skipped + 20, "the commits' truncations were not skipped");
        assert_eq!(passed_after, passed, "a commit's truncation was passed on");

        let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        insert(5_000, 1_000_000);
        conn.execute_batch("ROLLBACK").unwrap();
        assert!(counts().1 > passed_after, "a rollback's truncation must be passed on");
        assert_eq!(conn.query_row("PRAGMA page_count", [], |r| r.get::<_, i64>(0)).unwrap(), pages);

        insert(2_000, 2_000_000);
        conn.execute_batch("COMMIT").unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        let rows: i64 = conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 20 * 500 + 2_000);
    }

    /// SQLite keeps no count of its memory, so takes no lock to keep it.
    #[test]
    fn sqlite_counts_no_memory() {
        configure();
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v); INSERT INTO t VALUES (randomblob(100000));").unwrap();
        // SAFETY: a plain read of SQLite's statistics.
        assert_eq!(unsafe { ffi::sqlite3_memory_used() }, 0);
    }
}
