//! A WAL write that fails (the disk full) while frames wait: the statement that needed them
//! written fails, and what the connection commits afterwards is consistent. Before the fix, the
//! frames that could not be written were dropped and the transaction committed without them
//! (a malformed database). One test in its own binary: it swaps the `unix` VFS's `pwrite` for
//! the whole process.
#![cfg(target_os = "linux")] // the VFS is registered on Linux only
#![allow(clippy::unwrap_used, reason = "test code fails loudly")]

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rusqlite::{Connection, OpenFlags, ffi};

/// Set to fail the next write to a `-wal` file with `ENOSPC`.
static ARMED: AtomicBool = AtomicBool::new(false);
/// The `unix` VFS's own `pwrite` (the system call it writes with on Linux).
static REAL_PWRITE: AtomicUsize = AtomicUsize::new(0);

type Pwrite = unsafe extern "C" fn(c_int, *const c_void, usize, i64) -> isize;

unsafe extern "C" fn failing_pwrite(fd: c_int, data: *const c_void, n: usize, offset: i64) -> isize {
    let wal = std::fs::read_link(format!("/proc/self/fd/{fd}")).is_ok_and(|p| p.to_string_lossy().ends_with("-wal"));
    if wal && ARMED.swap(false, Ordering::SeqCst) {
        // SAFETY: `__errno_location` returns this thread's errno, valid to write.
        unsafe { *libc::__errno_location() = libc::ENOSPC };
        return -1;
    }
    // SAFETY: the stored value is the `unix` VFS's `pwrite`, stored by `swap_pwrite` before
    // this function was installed; the arguments go on unchanged.
    unsafe { std::mem::transmute::<usize, Pwrite>(REAL_PWRITE.load(Ordering::SeqCst))(fd, data, n, offset) }
}

fn swap_pwrite() {
    // SAFETY: the `unix` VFS is static; `xGetSystemCall`/`xSetSystemCall` read and replace its
    // system call table entry for `pwrite` (SQLite's documented test hook), and the function
    // installed has `pwrite`'s signature (a 64-bit `off_t` on this platform).
    unsafe {
        let unix = ffi::sqlite3_vfs_find(c"unix".as_ptr());
        let real = ((*unix).xGetSystemCall.unwrap())(unix, c"pwrite".as_ptr()).unwrap();
        REAL_PWRITE.store(real as usize, Ordering::SeqCst);
        let ours: unsafe extern "C" fn() = std::mem::transmute::<Pwrite, unsafe extern "C" fn()>(failing_pwrite);
        assert_eq!(((*unix).xSetSystemCall.unwrap())(unix, c"pwrite".as_ptr(), Some(ours)), ffi::SQLITE_OK);
    }
}

#[test]
fn a_failed_write_of_waiting_frames_fails_the_statement_and_the_commit_stays_consistent() {
    swap_pwrite();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let a = Connection::open_with_flags_and_vfs(&path, OpenFlags::default(), deploygov_walvfs::name().unwrap()).unwrap();
    a.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;
         CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB NOT NULL);
         WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 400)
         INSERT INTO t SELECT i, 'k' || i, randomblob(500) FROM c;
         UPDATE t SET v = randomblob(500);
         PRAGMA wal_checkpoint(RESTART);",
    )
    .unwrap();
    // A tiny cache: the update spills frames, which wait in the buffer.
    a.execute_batch("PRAGMA cache_size = 10; BEGIN; UPDATE t SET v = zeroblob(500) WHERE id <= 200;").unwrap();
    ARMED.store(true, Ordering::SeqCst);
    // This statement reads the spilled pages back (the read writes what waits first, and that
    // write fails) and has a statement journal (the UNIQUE column).
    let failed = a.execute("UPDATE t SET k = k || 'x' WHERE id <= 200", []);
    assert!(!ARMED.load(Ordering::SeqCst), "the injected failure was used");
    assert!(failed.is_err(), "the statement whose frames could not be written fails: {failed:?}");
    let committed = a.execute_batch("COMMIT").is_ok();

    let other = Connection::open(&path).unwrap();
    let ok: String = other.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let state: (i64, i64, i64) = other
        .query_row("SELECT count(*), sum(v = zeroblob(500)), sum(k LIKE '%x') FROM t", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    // The failed statement left nothing; the transaction committed the update before it, or
    // (had SQLite rolled it back whole) nothing.
    assert_eq!(state, if committed { (400, 200, 0) } else { (400, 0, 0) }, "committed: {committed}");
}
