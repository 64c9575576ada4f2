//! Change detection for the hot read cache: the WAL-index header at the start of `<db>-shm`.
//!
//! In WAL mode every connection of every process that commits rewrites the WAL-index header
//! (SQLite's `walIndexWriteHdr`): its change counter, `mxFrame`, frame checksums and, after a
//! checkpoint restarts the WAL, its salts. The header is 48 bytes, stored twice (bytes 0..48 and
//! 48..96); a writer updates the second copy, then the first, and a reader that finds them unequal
//! knows it raced a writer. One `pread` of those 96 bytes is therefore a cheap "has anyone
//! committed since?" check. It is read from a shared read-only mapping of the file's first page
//! (`deploygov-shm`, the one crate with the `unsafe` a mapping needs): a few memory loads, no
//! system call. Where the mapping cannot be made, one `pread` of those 96 bytes (about 0.4 µs);
//! both are far cheaper than `PRAGMA data_version` (2.5 µs, it opens a read transaction).
//!
//! Any doubt (a short read, the copies unequal, an unexpected version) is reported as `None`,
//! which the caller treats as "changed".

use std::fs::File;
use std::sync::atomic::{Ordering, fence};
use std::sync::{Arc, Mutex};

use deploygov_shm::SharedPrefix;

/// The two copies of the 48-byte WAL-index header.
const HEADER_LEN: usize = 96;

/// One copy of the header: what a change stamp keeps once both copies agree.
pub(crate) const STAMP_LEN: usize = HEADER_LEN / 2;

/// `WALINDEX_MAX_VERSION` in SQLite's `wal.c`: the header format this module understands.
const WALINDEX_VERSION: u32 = 3_007_000;

/// A read-only handle on a database's `-shm` file.
///
/// INVARIANT: a `ShmWatch` lives inside the `SqliteStore` whose connections opened the database,
/// and is declared (so dropped) after them; it is not `Clone`. The mapping is therefore only ever
/// read while this process has a connection open, which holds SQLite's shared "dead-man switch"
/// lock on the `-shm`: no other process can then truncate the file under the mapping (see the
/// `deploygov-shm` crate documentation for why that is the one way a read could fault).
pub(crate) struct ShmWatch {
    file: Arc<File>,
    /// The first bytes of the file mapped shared and read-only; `None` where that failed (then
    /// every check is a `pread`).
    map: Option<SharedPrefix>,
}

/// Every `-shm` file this process has opened, by (device, inode).
///
/// INVARIANT: a descriptor on a `-shm` file, once opened, is never closed while the process
/// lives. SQLite holds POSIX advisory (`fcntl`) locks on that file (the "dead-man switch" that
/// tells other processes the WAL-index is in use, the read marks, the writer lock), and POSIX
/// releases *all* of a process's locks on a file when *any* descriptor of that file is closed.
/// Closing our descriptor while one of this process's connections is open would silently drop
/// its locks, so another process could reinitialize the WAL-index under it or checkpoint over
/// pages it is reading. Keeping one descriptor per file for the life of the process costs one
/// descriptor per database file ever opened, and never opening a second one for the same file
/// (we `stat` before we `open`) means no descriptor is ever dropped.
static OPEN: Mutex<Vec<(FileId, Arc<File>)>> = Mutex::new(Vec::new());

/// Device and inode.
type FileId = (u64, u64);

impl ShmWatch {
    /// The `-shm` file of the database at `db_path` (the path SQLite resolved), if it exists and
    /// holds a WAL-index header this module understands.
    #[cfg(unix)]
    pub(crate) fn open(db_path: &str) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let path = format!("{db_path}-shm");
        let mut open = OPEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let meta = std::fs::metadata(&path).ok()?;
        let key = (meta.dev(), meta.ino());
        let file = match open.iter().find(|(k, _)| *k == key) {
            Some((_, f)) => f.clone(),
            None => {
                let f = Arc::new(File::open(&path).ok()?);
                // Whatever inode we actually opened is registered under its own key, so the
                // descriptor is kept even if the file was replaced between `stat` and `open`.
                let m = f.metadata().ok()?;
                open.push(((m.dev(), m.ino()), f.clone()));
                if (m.dev(), m.ino()) != key {
                    return None;
                }
                f
            }
        };
        drop(open);
        let map = SharedPrefix::map(&file, HEADER_LEN).ok();
        let watch = Self { file, map };
        let header = watch.header()?;
        let version = header.get(0..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_ne_bytes)?;
        // `isInit` (byte 12) is set once the WAL-index is built.
        (version == WALINDEX_VERSION && header.get(12) == Some(&1)).then_some(watch)
    }

    /// Not on this platform: the caller falls back to `PRAGMA data_version`.
    #[cfg(not(unix))]
    pub(crate) fn open(_db_path: &str) -> Option<Self> {
        None
    }

    /// The current header (one copy, once both agree), or `None` when it cannot be read
    /// consistently.
    #[cfg(unix)]
    pub(crate) fn header(&self) -> Option<[u8; STAMP_LEN]> {
        let Some(map) = &self.map else { return self.header_pread() };
        // SQLite writes the second copy, then (after a memory barrier) the first; reading the
        // first, then the second, as its own readers do (`walIndexTryHdr`), can see a new first
        // copy only with the new second one. Unequal copies mean a writer is mid-way: `None`.
        let mut words = [0u32; HEADER_LEN / 4];
        let (a, b) = words.split_at_mut(HEADER_LEN / 8);
        map.read_words(0, a)?;
        fence(Ordering::Acquire);
        map.read_words(HEADER_LEN / 8, b)?;
        if a != b {
            return None;
        }
        let mut buf = [0u8; STAMP_LEN];
        for (dst, w) in buf.chunks_exact_mut(4).zip(a.iter()) {
            dst.copy_from_slice(&w.to_ne_bytes());
        }
        Some(buf)
    }

    /// The WAL's length in frames (`mxFrame`, bytes 16..20 of the header), when readable.
    pub(crate) fn wal_frames(&self) -> Option<u32> {
        let h = self.header()?;
        Some(u32::from_ne_bytes(h.get(16..20)?.try_into().ok()?))
    }

    /// [`Self::header`] by a `pread`, where the file could not be mapped.
    #[cfg(unix)]
    fn header_pread(&self) -> Option<[u8; STAMP_LEN]> {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; HEADER_LEN];
        let n = self.file.read_at(&mut buf, 0).ok()?;
        let (a, b) = buf.split_at(STAMP_LEN);
        (n == HEADER_LEN && a == b).then_some(a.try_into().ok()?)
    }

    #[cfg(not(unix))]
    pub(crate) fn header(&self) -> Option<[u8; STAMP_LEN]> {
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;
    use crate::store::{SqliteStore, Store};

    /// The header is readable once a store has the file open, stays put while nobody writes, and
    /// moves with every commit of any connection.
    #[test]
    fn header_moves_with_every_commit_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shm.db").to_str().unwrap().to_owned();
        let store = SqliteStore::open(&path).unwrap();
        let resolved = std::fs::canonicalize(&path).unwrap();
        let watch = ShmWatch::open(resolved.to_str().unwrap()).unwrap();
        let again = ShmWatch::open(resolved.to_str().unwrap()).unwrap();
        assert!(Arc::ptr_eq(&watch.file, &again.file), "one descriptor per file");
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
        assert!(watch.map.is_some(), "the header is read from a mapping");
        let mut last = watch.header().unwrap();
        assert_eq!(Some(last), watch.header_pread(), "the mapping and the file agree");
        let stamp = store.change_stamp().unwrap();
        for i in 0..20 {
            let _: i64 = other.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap();
            store.read(&mut |_| Ok(())).unwrap();
            assert_eq!(watch.header().unwrap(), last, "a read changed the header");
            other.execute("INSERT INTO t VALUES (?1)", [i]).unwrap();
            let now = watch.header().unwrap();
            assert_ne!(now, last, "commit {i} left the header unchanged");
            assert_eq!(Some(now), watch.header_pread(), "the mapping and the file agree after commit {i}");
            last = now;
        }
        assert_ne!(store.change_stamp().unwrap(), stamp);
    }
}
