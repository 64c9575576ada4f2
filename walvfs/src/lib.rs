//! A SQLite VFS that writes each commit's WAL frames with one system call instead of two per
//! frame.
//!
//! SQLite writes a WAL frame as two `pwrite`s, its 24-byte header and then its page, so a commit
//! that changes 20 pages makes 40 system calls, and each touches two or three page-cache pages
//! of the file (a 4,120-byte frame straddles them). On the 2-vCPU VM of `docs/performance.md` a
//! frame costs 1.9 µs that way and 0.5 µs as part of one write. This VFS is the default `unix`
//! VFS with two changes:
//!
//! - the WAL file's writes go through [`buffer`], which holds the frames of a commit until its
//!   commit-marked frame header and writes them at once;
//! - the main database file's `xShmLock` settles that buffer before the connection releases the
//!   WAL's write lock (the end of every write transaction, committed or not), its `xUnlock`
//!   before its lock drops below `EXCLUSIVE` (how `locking_mode=EXCLUSIVE` ends), and its
//!   `xClose` unlinks it. Everything else of the database file, and every journal or temporary file, is
//!   the `unix` VFS's own.
//!
//! Nothing changes on disk or in how other connections and processes (with this VFS or any
//! other) see the database: a commit's bytes are all in the file before SQLite publishes it,
//! frames wait only while their writer holds the write lock, and a write that fails fails every
//! operation that needs it (the buffer module's invariants). A crash can only lose frames no
//! commit was published for. A WAL whose database file could not be hooked (another locking
//! style) is written straight through.
//!
//! [`name`] registers the VFS once and returns its name for `sqlite3_open_v2` (rusqlite:
//! `Connection::open_with_flags_and_vfs`). `unsafe` lives only here (the FFI), each block with
//! its reason.

mod buffer;

use std::ffi::{CStr, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rusqlite::ffi;

use buffer::Buffer;

/// The VFS's name.
const NAME: &CStr = c"deploygov-wal";

/// Registers the VFS (once per process) and returns its name; `None` when SQLite's default VFS
/// is not `unix` (the only one this wraps), off Linux (where it was checked: macOS's `unix` VFS
/// compares a file's methods with its own tables for its proxy locking styles, which the hooked
/// database file's copy would not match), or registration failed: open with the default then.
pub fn name() -> Option<&'static str> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    REGISTERED.get_or_init(|| cfg!(target_os = "linux") && register()).then_some("deploygov-wal")
}

/// See [`commit_frames_written`].
static COMMITS: AtomicU64 = AtomicU64::new(0);

/// How many commit-marked WAL frame headers connections of this process have written through
/// the VFS (one per commit; more when SQLite rewrites a commit frame's checksum or pads it): a
/// test's way to see that a connection uses the VFS.
pub fn commit_frames_written() -> u64 {
    COMMITS.load(Ordering::Relaxed)
}

/// Our part of an open WAL file; the `unix` VFS's file follows it at [`INNER`].
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    buffer: *mut Buffer,
    /// The main database file of the same connection, hooked ([`DbSlot`]); null when it could
    /// not be, and then nothing is buffered.
    db: *mut ffi::sqlite3_file,
}

/// What a hooked main database file keeps after the `unix` VFS's file, at [`SLOT_AT`].
#[repr(C)]
struct DbSlot {
    /// The connection's open WAL file (ours), or null.
    wal: *mut ffi::sqlite3_file,
    /// The `unix` file's own methods.
    methods: *const ffi::sqlite3_io_methods,
}

/// Where the wrapped file starts inside the memory SQLite gives [`open`] for a WAL file: after
/// [`WalFile`], rounded up to 16 bytes.
const INNER: usize = size_of::<WalFile>().next_multiple_of(16);

/// The database files' methods: the `unix` ones (their address first) with `xShmLock` and
/// `xClose` ours. Made from the first main database file opened.
static DB_METHODS: OnceLock<(usize, ffi::sqlite3_io_methods)> = OnceLock::new();

fn register() -> bool {
    // SAFETY: `sqlite3_vfs_find(NULL)` initializes SQLite if needed and returns the default VFS,
    // which SQLite never frees; we only read it.
    let real = unsafe { ffi::sqlite3_vfs_find(ptr::null()) };
    // SAFETY: a non-null result points to a registered `sqlite3_vfs` that lives as long as the
    // process (VFSes are static), whose `zName` is a C string.
    let Some(r) = (unsafe { real.as_ref() }) else { return false };
    // SAFETY: as above, `zName` of a registered VFS is a valid C string.
    if r.zName.is_null() || unsafe { CStr::from_ptr(r.zName) } != c"unix" {
        return false;
    }
    let Ok(real_size) = usize::try_from(r.szOsFile) else { return false };
    let slot_at = real_size.next_multiple_of(16);
    let Ok(size) = c_int::try_from((INNER + real_size).max(slot_at + size_of::<DbSlot>())) else { return false };
    SLOT_AT.store(slot_at, Ordering::Relaxed);
    // The `unix` VFS's methods other than `xOpen` do not use their VFS argument's fields (checked
    // in SQLite 3.53's os_unix.c), so they are shared as they are; `xOpen` is ours and calls the
    // `unix` one with the `unix` VFS (kept in `pAppData`).
    let vfs = Box::new(ffi::sqlite3_vfs {
        iVersion: r.iVersion,
        szOsFile: size,
        mxPathname: r.mxPathname,
        pNext: ptr::null_mut(),
        zName: NAME.as_ptr(),
        pAppData: real.cast(),
        xOpen: Some(open),
        xDelete: r.xDelete,
        xAccess: r.xAccess,
        xFullPathname: r.xFullPathname,
        xDlOpen: r.xDlOpen,
        xDlError: r.xDlError,
        xDlSym: r.xDlSym,
        xDlClose: r.xDlClose,
        xRandomness: r.xRandomness,
        xSleep: r.xSleep,
        xCurrentTime: r.xCurrentTime,
        xGetLastError: r.xGetLastError,
        xCurrentTimeInt64: r.xCurrentTimeInt64,
        xSetSystemCall: r.xSetSystemCall,
        xGetSystemCall: r.xGetSystemCall,
        xNextSystemCall: r.xNextSystemCall,
    });
    // SAFETY: the VFS is leaked, so it lives as long as the process as SQLite
    // requires; its name is a static C string. Registered once (`OnceLock`), never unregistered.
    unsafe { ffi::sqlite3_vfs_register(Box::into_raw(vfs), 0) == ffi::SQLITE_OK }
}

/// The `unix` file inside one of our WAL files.
///
/// # Safety
/// `file` points to at least `szOsFile` bytes given to our `xOpen`.
unsafe fn inner(file: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    // SAFETY: `INNER` plus the `unix` size is at most `szOsFile`.
    unsafe { file.cast::<u8>().add(INNER).cast() }
}

/// The slot of a hooked main database file.
///
/// # Safety
/// `file` is a main database file our [`open`] hooked (its methods are [`DB_METHODS`]'s) and
/// SQLite has not closed.
unsafe fn slot(file: *mut ffi::sqlite3_file) -> *mut DbSlot {
    // SAFETY: files are only hooked after the VFS is registered, which set `SLOT_AT`; the slot is
    // inside the `szOsFile` bytes (`SLOT_AT` plus its size).
    unsafe { file.cast::<u8>().add(SLOT_AT.load(Ordering::Relaxed)).cast() }
}

/// Where a database file's [`DbSlot`] starts: after the `unix` file, rounded up to 16 (set once,
/// by `register`).
static SLOT_AT: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite calls `xOpen` with our VFS, whose `pAppData` is the `unix` VFS, which is
    // static.
    let (real, real_open) = unsafe {
        let real: *mut ffi::sqlite3_vfs = (*vfs).pAppData.cast();
        (real, (*real).xOpen)
    };
    let Some(real_open) = real_open else { return ffi::SQLITE_ERROR };
    if flags & ffi::SQLITE_OPEN_WAL == 0 {
        // Every other file is the `unix` VFS's, opened in place: its methods.
        // SAFETY: `file` has `szOsFile` bytes, more than the `unix` VFS needs.
        let rc = unsafe { real_open(real, name, file, flags, out_flags) };
        if rc == ffi::SQLITE_OK && flags & ffi::SQLITE_OPEN_MAIN_DB != 0 {
            // SAFETY: the `unix` VFS opened `file` with its methods; the slot after it is ours.
            unsafe { hook_database(file) };
        }
        return rc;
    }
    // SAFETY: `file` has room for `WalFile` and the `unix` file after it (`szOsFile`).
    let inner = unsafe { inner(file) };
    // SAFETY: as above; the `unix` VFS opens its file in its part of the memory.
    let rc = unsafe { real_open(real, name, inner, flags, out_flags) };
    if rc != ffi::SQLITE_OK {
        // SAFETY: `inner` was written by the `unix` xOpen (zeroed memory otherwise); a file it
        // left methods on is closed, and ours has none, so SQLite does not close it again.
        unsafe {
            if let Some(close) = (*inner).pMethods.as_ref().and_then(|m| m.xClose) {
                close(inner);
            }
            (*file).pMethods = ptr::null();
        }
        return rc;
    }
    // SAFETY: SQLite passes a WAL file's xOpen the name it made for it, for which
    // `sqlite3_database_file_object` returns the connection's open main database file.
    let db = unsafe { ffi::sqlite3_database_file_object(name) };
    // SAFETY: a non-null result is that open file; it is hooked when its methods are ours.
    let hooked = !db.is_null() && DB_METHODS.get().is_some_and(|(_, m)| unsafe { ptr::eq((*db).pMethods, m) });
    let db = if hooked { db } else { ptr::null_mut() };
    let wal = WalFile { base: ffi::sqlite3_file { pMethods: &WAL_METHODS }, buffer: Box::into_raw(Box::default()), db };
    // SAFETY: `file` is SQLite's memory for this file, large and aligned enough for `WalFile`
    // (SQLite allocates it with 8-byte alignment, the alignment of `WalFile`); a hooked `db`
    // has its slot, which now names this WAL file until either is closed.
    unsafe {
        file.cast::<WalFile>().write(wal);
        if hooked {
            (*slot(db)).wal = file;
        }
    }
    ffi::SQLITE_OK
}

/// Gives a main database file the methods of [`DB_METHODS`] when its own are the `unix` ones
/// that table was made from, and an empty slot.
///
/// # Safety
/// `file` was just opened in place by the `unix` VFS, inside our `szOsFile` bytes.
unsafe fn hook_database(file: *mut ffi::sqlite3_file) {
    // SAFETY: the `unix` VFS set `pMethods` to its static methods.
    let own = unsafe { (*file).pMethods };
    let (from, methods) = DB_METHODS.get_or_init(|| {
        // SAFETY: as above, `own` points to static methods; they are copied.
        let mut m = unsafe { *own };
        m.xShmLock = Some(db_shm_lock);
        m.xUnlock = Some(db_unlock);
        m.xClose = Some(db_close);
        (own as usize, m)
    });
    if *from != own as usize {
        return;
    }
    // SAFETY: the slot is inside the file's memory (see `slot`); the methods are static.
    unsafe {
        slot(file).write(DbSlot { wal: ptr::null_mut(), methods: own });
        (*file).pMethods = methods;
    }
}

/// The database file's `xShmLock`: before the WAL's write lock (lock 0) is released, the WAL's
/// buffer is settled (the buffer module's second invariant).
unsafe extern "C" fn db_shm_lock(file: *mut ffi::sqlite3_file, offset: c_int, n: c_int, flags: c_int) -> c_int {
    // SAFETY: SQLite calls with an open database file that `hook_database` hooked; its slot's
    // WAL, if any, is open (unlinked when closed).
    unsafe {
        let slot = &*slot(file);
        let releases_write_lock =
            flags == ffi::SQLITE_SHM_UNLOCK | ffi::SQLITE_SHM_EXCLUSIVE && offset <= 0 && offset.saturating_add(n) > 0;
        if releases_write_lock && !slot.wal.is_null() {
            settle(slot.wal);
        }
        (*slot.methods).xShmLock.map_or(ffi::SQLITE_IOERR, |f| f(file, offset, n, flags))
    }
}

/// The database file's `xUnlock`: before its lock drops below `EXCLUSIVE`, the WAL's buffer is
/// settled. In `locking_mode=EXCLUSIVE` SQLite takes no WAL write lock (the database file's
/// exclusive lock keeps every other connection out), so this is where such a connection's
/// transactions end for other writers; otherwise the buffer is already empty here.
unsafe extern "C" fn db_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    // SAFETY: as for `db_shm_lock`.
    unsafe {
        let slot = &*slot(file);
        if level < ffi::SQLITE_LOCK_EXCLUSIVE && !slot.wal.is_null() {
            settle(slot.wal);
        }
        (*slot.methods).xUnlock.map_or(ffi::SQLITE_IOERR, |f| f(file, level))
    }
}

/// The database file's `xClose`: unlinks the WAL (SQLite closes it first; this is the guard).
unsafe extern "C" fn db_close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: as for `db_shm_lock`; after this the file is the `unix` VFS's to close.
    unsafe {
        let slot = &mut *slot(file);
        if !slot.wal.is_null() {
            (*slot.wal.cast::<WalFile>()).db = ptr::null_mut();
            slot.wal = ptr::null_mut();
        }
        (*slot.methods).xClose.map_or(ffi::SQLITE_OK, |f| f(file))
    }
}

/// The WAL file's methods: version 1 (a WAL file is never memory-mapped nor used for `-shm`).
static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(wal_close),
    xRead: Some(wal_read),
    xWrite: Some(wal_write),
    xTruncate: Some(wal_truncate),
    xSync: Some(wal_sync),
    xFileSize: Some(wal_file_size),
    xLock: Some(wal_lock),
    xUnlock: Some(wal_unlock),
    xCheckReservedLock: Some(wal_check_reserved_lock),
    xFileControl: Some(wal_file_control),
    xSectorSize: Some(wal_sector_size),
    xDeviceCharacteristics: Some(wal_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// The buffer and the `unix` file and methods of one of our WAL files.
///
/// # Safety
/// `file` is a WAL file our [`open`] opened and SQLite has not closed; SQLite uses a file (and
/// its connection's database file) from one thread at a time, so the `&mut Buffer` is unique.
unsafe fn parts<'a>(file: *mut ffi::sqlite3_file) -> (&'a mut Buffer, *mut ffi::sqlite3_file, &'a ffi::sqlite3_io_methods) {
    // SAFETY: see the function's contract: `open` wrote a `WalFile` with a live buffer, and the
    // `unix` file (with its static methods) after it.
    unsafe {
        let inner = inner(file);
        (&mut *(*file.cast::<WalFile>()).buffer, inner, &*(*inner).pMethods)
    }
}

/// Writes `data` at `offset` through the `unix` file.
///
/// # Safety
/// `inner` is the open `unix` file whose methods are `m`.
unsafe fn write_through(m: &ffi::sqlite3_io_methods, inner: *mut ffi::sqlite3_file, data: &[u8], offset: i64) -> c_int {
    let (Some(write), Ok(n)) = (m.xWrite, c_int::try_from(data.len())) else { return ffi::SQLITE_IOERR_WRITE };
    // SAFETY: `data` is valid for `n` bytes; `inner` is open (the function's contract).
    unsafe { write(inner, data.as_ptr().cast(), n, offset) }
}

/// Settles `file`'s buffer at the end of a write transaction ([`Buffer::settle`]).
///
/// # Safety
/// As for [`parts`].
unsafe fn settle(file: *mut ffi::sqlite3_file) {
    // SAFETY: the caller's contract.
    let (buffer, inner, m) = unsafe { parts(file) };
    // SAFETY: `inner` is open with methods `m`.
    buffer.settle(&mut |data, at| unsafe { write_through(m, inner, data, at) });
}

/// Writes out what waits in `file`'s buffer.
///
/// # Safety
/// As for [`parts`].
unsafe fn flush(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: the caller's contract.
    let (buffer, inner, m) = unsafe { parts(file) };
    // SAFETY: `inner` is open with methods `m`.
    buffer.flush(&mut |data, offset| unsafe { write_through(m, inner, data, offset) })
}

unsafe extern "C" fn wal_write(file: *mut ffi::sqlite3_file, data: *const c_void, amount: c_int, offset: i64) -> c_int {
    let Ok(len) = usize::try_from(amount) else { return ffi::SQLITE_IOERR_WRITE };
    // SAFETY: SQLite calls with a file `open` opened and `amount` readable bytes at `data`.
    let (buffer, inner, m, bytes, linked) = unsafe {
        let (b, i, m) = parts(file);
        (b, i, m, std::slice::from_raw_parts(data.cast::<u8>(), len), !(*file.cast::<WalFile>()).db.is_null())
    };
    if !linked {
        // SAFETY: `inner` is open with methods `m`.
        return unsafe { write_through(m, inner, bytes, offset) };
    }
    if !buffer.knows_page() && offset != 0 {
        // A WAL that existed before this connection opened it: its page size from its header.
        let mut header = [0u8; buffer::WAL_HEADER];
        // SAFETY: `inner` is open; `header` has room for the bytes asked for.
        let read = m.xRead.map(|read| unsafe { read(inner, header.as_mut_ptr().cast(), 32, 0) });
        if read == Some(ffi::SQLITE_OK) {
            buffer.learn(&header);
        }
    }
    let commit = buffer.is_commit_header(bytes, offset);
    // SAFETY: `inner` is open with methods `m`.
    let rc = buffer.write(bytes, offset, &mut |d, o| unsafe { write_through(m, inner, d, o) });
    if commit && rc == ffi::SQLITE_OK {
        COMMITS.fetch_add(1, Ordering::Relaxed);
    }
    rc
}

unsafe extern "C" fn wal_close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes a file `open` opened, once; the database file's slot is unlinked,
    // the buffer freed and the methods cleared so nothing reaches it again. What still waits is
    // dropped, not written: a commit leaves nothing waiting, and the connection no longer holds
    // the write lock, so the place of those frames may be another writer's.
    unsafe {
        let (_, inner, m) = parts(file);
        let closed = m.xClose.map_or(ffi::SQLITE_OK, |close| close(inner));
        let wal = file.cast::<WalFile>();
        if !(*wal).db.is_null() {
            (*slot((*wal).db)).wal = ptr::null_mut();
        }
        drop(Box::from_raw((*wal).buffer));
        (*wal).buffer = ptr::null_mut();
        (*file).pMethods = ptr::null();
        closed
    }
}
/// Defines a method that writes out what waits, then calls the `unix` one.
macro_rules! flushing {
    ($name:ident, $method:ident, ($($arg:ident: $ty:ty),*)) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> c_int {
            // SAFETY: SQLite calls with a file `open` opened; the arguments go on unchanged.
            unsafe {
                let rc = flush(file);
                if rc != ffi::SQLITE_OK {
                    return rc;
                }
                let (_, inner, m) = parts(file);
                m.$method.map_or(ffi::SQLITE_ERROR, |f| f(inner $(, $arg)*))
            }
        }
    };
}

/// Defines a method that calls the `unix` one (nothing of the file's content is involved).
macro_rules! forwarding {
    ($name:ident, $method:ident, ($($arg:ident: $ty:ty),*), $none:expr) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> c_int {
            // SAFETY: SQLite calls with a file `open` opened; the arguments go on unchanged.
            unsafe {
                let (_, inner, m) = parts(file);
                m.$method.map_or($none, |f| f(inner $(, $arg)*))
            }
        }
    };
}

flushing!(wal_read, xRead, (data: *mut c_void, amount: c_int, offset: i64));
flushing!(wal_truncate, xTruncate, (size: i64));
flushing!(wal_sync, xSync, (flags: c_int));
flushing!(wal_file_size, xFileSize, (size: *mut i64));
flushing!(wal_file_control, xFileControl, (op: c_int, arg: *mut c_void));
forwarding!(wal_lock, xLock, (level: c_int), ffi::SQLITE_OK);
forwarding!(wal_unlock, xUnlock, (level: c_int), ffi::SQLITE_OK);
forwarding!(wal_check_reserved_lock, xCheckReservedLock, (out: *mut c_int), ffi::SQLITE_OK);
forwarding!(wal_sector_size, xSectorSize, (), 4096);
forwarding!(wal_device_characteristics, xDeviceCharacteristics, (), 0);

#[cfg(test)]
mod tests {
    #[test]
    fn registers_once_under_one_name() {
        assert_eq!(super::name(), Some("deploygov-wal"));
        assert_eq!(super::name(), Some("deploygov-wal"));
    }

    #[test]
    fn counts_the_commit_frames_written_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let plain = rusqlite::Connection::open(&path).unwrap();
        plain.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (x)").unwrap();
        let before = super::commit_frames_written();
        plain.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let through = rusqlite::Connection::open_with_flags_and_vfs(&path, rusqlite::OpenFlags::default(), super::name().unwrap()).unwrap();
        for i in 0..3 {
            through.execute("INSERT INTO t VALUES (?1)", [i]).unwrap();
        }
        // Other tests of this binary may commit meanwhile: at least these three.
        assert!(super::commit_frames_written() >= before + 3);
    }
}
