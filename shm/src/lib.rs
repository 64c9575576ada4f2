//! A read-only, shared memory mapping of the first bytes of a file, read word by word with
//! volatile loads.
//!
//! The core's hot read cache asks "has anyone committed to this SQLite database since?" on every
//! read. SQLite answers that in the WAL-index header at the start of `<db>-shm`, a file every
//! connection of every process maps and rewrites on each commit. Reading it with `pread` costs a
//! system call (~0.4 µs); reading it from a mapping of our own costs a few memory loads. Mapping
//! needs `unsafe`, which the core forbids, so it lives here, in one small reviewed crate.
//!
//! # Why this is sound
//!
//! - The mapping is `PROT_READ` and `MAP_SHARED`: this process can never write through it, and
//!   it sees the same page-cache pages other processes write (SQLite's own mapping of the file
//!   is `MAP_SHARED` too).
//! - Other processes change the bytes at any time. They are therefore never exposed as `&[u8]`
//!   or `&u32` (a Rust reference promises the memory does not change); every read is a
//!   `read_volatile` of one aligned `u32` into a local value. A reader that needs several words
//!   to be consistent must check that itself (the WAL-index header is stored twice for exactly
//!   that; see the core's `store::shm`).
//! - The pointer stays valid from `mmap` until `munmap` in `Drop`; [`SharedPrefix`] owns it and
//!   hands out copies only.
//! - Only the first page is ever mapped, and only when the file is at least as long as the bytes
//!   asked for, so every byte read is inside the file when the mapping is made. A file truncated
//!   to zero bytes *afterwards* would make the next read fault (`SIGBUS`), as it would for every
//!   other process mapping it. SQLite truncates a `-shm` file only when it recovers the WAL-index
//!   with no connection open anywhere (it holds the "dead-man switch" lock exclusively), and then
//!   to 3 bytes, never to zero, which leaves the first page readable. The core maps a `-shm` only
//!   while its own connection to the database is open, so no other SQLite can do even that.

use std::fs::File;
use std::io;

/// The most bytes [`SharedPrefix::map`] maps: one page on every platform SQLite runs on.
pub const MAX_LEN: usize = 4096;

/// The first `len` bytes of a file, mapped read-only and shared. See the crate documentation.
pub struct SharedPrefix {
    #[cfg(unix)]
    ptr: std::ptr::NonNull<u32>,
    /// Mapped bytes / 4.
    words: usize,
}

// SAFETY: the mapping is read-only for this process and is only ever read by value through
// volatile loads of aligned words; nothing is shared between threads but the address, which does
// not change until `Drop` (which needs `&mut self`, so no other thread can be reading).
unsafe impl Send for SharedPrefix {}
// SAFETY: as for `Send`: `&self` only allows volatile loads of a read-only mapping.
unsafe impl Sync for SharedPrefix {}

impl SharedPrefix {
    /// Maps the first `len` bytes of `file` read-only and shared.
    ///
    /// `len` must be a non-zero multiple of 4 and at most [`MAX_LEN`], and the file must be at
    /// least `len` bytes long now (`InvalidInput` otherwise).
    ///
    /// Map only a file that nobody shrinks to zero bytes while it is mapped: a read of a page past
    /// the end of the file raises `SIGBUS` (a crash, as for every other process mapping it, not
    /// undefined behaviour). SQLite's `-shm` file while a connection of this process has the
    /// database open is such a file (see the crate documentation); an arbitrary file may not be. `file` only needs to be open for
    /// reading; the mapping does not borrow it and outlives it if dropped first (the kernel keeps
    /// the file mapped).
    #[cfg(unix)]
    pub fn map(file: &File, len: usize) -> io::Result<Self> {
        use std::os::fd::AsRawFd;
        if len == 0 || !len.is_multiple_of(4) || len > MAX_LEN {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("cannot map `{len}` bytes")));
        }
        let size = file.metadata()?.len();
        if size < len as u64 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("file holds `{size}` bytes, fewer than `{len}`")));
        }
        // SAFETY: a fresh mapping (no address hint), read-only, of a descriptor we borrow for the
        // duration of the call; the kernel validates the descriptor and the length. The result is
        // checked against MAP_FAILED before any use.
        let ptr = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_SHARED, file.as_raw_fd(), 0) };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // INVARIANT: a successful mmap returns a page-aligned, non-null address, so every `u32`
        // word of the mapping is aligned.
        let ptr = std::ptr::NonNull::new(ptr.cast::<u32>()).ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(Self { ptr, words: len / 4 })
    }

    /// Not on this platform: always `Unsupported` (callers fall back to reading the file).
    #[cfg(not(unix))]
    pub fn map(_file: &File, _len: usize) -> io::Result<Self> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "shared mappings need unix"))
    }

    /// The number of mapped 32-bit words.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Copies `out.len()` words starting at word `first` into `out`, in ascending address order,
    /// one volatile load each. `None` (and `out` untouched) when the range is not mapped.
    ///
    /// The words are read at slightly different instants: the copy is not atomic as a whole.
    #[inline]
    pub fn read_words(&self, first: usize, out: &mut [u32]) -> Option<()> {
        let end = first.checked_add(out.len())?;
        if end > self.words {
            return None;
        }
        self.read_checked(first, out);
        Some(())
    }

    #[cfg(unix)]
    #[inline]
    fn read_checked(&self, first: usize, out: &mut [u32]) {
        for (i, slot) in out.iter_mut().enumerate() {
            // SAFETY: `first + i < first + out.len() <= self.words` (checked by the caller), so
            // the word is inside the mapping, which is valid until `Drop`; it is aligned (see
            // `map`). A volatile load by value never creates a reference to memory another
            // process changes.
            *slot = unsafe { self.ptr.as_ptr().add(first + i).read_volatile() };
        }
    }

    #[cfg(not(unix))]
    fn read_checked(&self, _first: usize, _out: &mut [u32]) {}
}

impl Drop for SharedPrefix {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: `ptr` and `words * 4` are exactly what `mmap` returned and was given, and this
        // is the only place that unmaps them; `&mut self` means no read is in progress.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.words * 4);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;
    use std::os::unix::fs::FileExt;

    fn file_of(len: usize) -> (tempfile::NamedTempFile, File) {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.as_file().write_all_at(&vec![0u8; len], 0).unwrap();
        let reader = File::open(tmp.path()).unwrap();
        (tmp, reader)
    }

    /// Writes through another descriptor (as another process would) show up in the next read.
    #[test]
    fn sees_every_write_of_another_descriptor() {
        let (tmp, reader) = file_of(MAX_LEN);
        let map = SharedPrefix::map(&reader, 96).unwrap();
        drop(reader);
        assert_eq!(map.words(), 24);
        let mut words = [1u32; 24];
        map.read_words(0, &mut words).unwrap();
        assert_eq!(words, [0; 24]);
        for i in 0..24u32 {
            tmp.as_file().write_all_at(&(i * 7 + 1).to_ne_bytes(), u64::from(i) * 4).unwrap();
            let mut one = [0u32; 1];
            map.read_words(i as usize, &mut one).unwrap();
            assert_eq!(one, [i * 7 + 1], "word {i}");
        }
        let mut tail = [0u32; 2];
        map.read_words(22, &mut tail).unwrap();
        assert_eq!(tail, [22 * 7 + 1, 23 * 7 + 1]);
    }

    #[test]
    fn refuses_reads_outside_the_mapping() {
        let (_tmp, reader) = file_of(128);
        let map = SharedPrefix::map(&reader, 96).unwrap();
        let mut out = [7u32; 4];
        assert_eq!(map.read_words(21, &mut out), None);
        assert_eq!(out, [7; 4], "untouched on refusal");
        assert_eq!(map.read_words(usize::MAX, &mut out), None);
        assert!(map.read_words(20, &mut out).is_some());
        assert!(map.read_words(24, &mut []).is_some());
    }

    #[test]
    fn refuses_bad_lengths_and_short_files() {
        let (_tmp, reader) = file_of(64);
        for len in [0, 3, 30, MAX_LEN + 4, 68] {
            let err = SharedPrefix::map(&reader, len).err().unwrap();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "len {len}");
        }
        assert!(SharedPrefix::map(&reader, 64).is_ok());
        let write_only = std::fs::OpenOptions::new().write(true).open(_tmp.path()).unwrap();
        assert!(SharedPrefix::map(&write_only, 64).is_err(), "a descriptor that cannot read cannot map");
    }
}
