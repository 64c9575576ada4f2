//! Which writes to a WAL file wait in memory, and when they reach the file.
//!
//! SQLite appends a frame as two writes: its 24-byte header, then the page. This buffer keeps a
//! contiguous run of such frames and writes it with one call, at the latest when a frame header
//! with a commit mark arrives. A write is taken for a frame header or page only where one can be:
//! at a frame boundary of the WAL's geometry (its page size, from the WAL header) and with the
//! size of one. Every other write, and every other operation on the file (read, sync, size,
//! truncate), first writes out what waits.
//!
//! INVARIANT: when SQLite publishes a commit (it rewrites the WAL-index header that readers in
//! every process look at), nothing of that commit waits here. SQLite publishes after the last
//! write of the commit's frames, and the commit's frame header is written with the commit mark
//! (its "database size" field is not zero) before that: that header write returns only after
//! everything buffered, itself included, is written. What follows it before the publication is
//! the commit frame's page (the buffer is empty and a page is not a header, so it is written
//! straight through), sector padding under `synchronous=FULL` (more commit-marked frames, the
//! same rule; a pad page that SQLite splits at the sync point leaves pieces that are not at a
//! frame boundary, so none is taken for a header) and the checksum rewrite of frames this
//! transaction overwrote (headers only, each after a read that empties the buffer, and the last
//! one is the commit frame's, commit-marked again).
//!
//! INVARIANT: frames wait only while no other connection can write the WAL: while their
//! connection holds the WAL's write lock, or the database file's exclusive lock
//! (`locking_mode=EXCLUSIVE`, where SQLite takes no write lock). Frames that a transaction spills
//! before it commits wait until the next write elsewhere, read, sync or commit; when the
//! transaction ends without a commit, the VFS settles the buffer ([`Buffer::settle`]) before
//! SQLite releases either lock, so they never reach the file after another writer has taken the
//! lock and reused their place. Closing the file drops what still waits.
//!
//! INVARIANT: what waits is what SQLite was told is written. A write that fails leaves what it
//! could not write waiting, and every later operation that needs it written fails until it is,
//! as the write itself would have failed without the buffer.

use std::ffi::c_int;

/// Bytes of a WAL frame header (`WAL_FRAME_HDRSIZE`).
pub(crate) const FRAME_HEADER: usize = 24;

/// Frames wait until this many bytes do (a long transaction's frames do not pile up).
pub(crate) const LIMIT: usize = 1 << 18;

/// The most bytes one write of the `unix` VFS takes (`seekAndWriteFd` masks the length with
/// `0x1ffff`): a flush is cut into writes of at most this.
pub(crate) const MAX_WRITE: usize = 0x1ffff;

/// SQLite's `SQLITE_OK`.
pub(crate) const OK: c_int = 0;

/// The frames that wait, in file order from `start`.
#[derive(Debug, Default)]
pub(crate) struct Buffer {
    start: i64,
    data: Vec<u8>,
    /// The last write was a frame header: its page is expected right after it.
    expect_page: bool,
    /// The WAL's page size, from its header; frames are only recognised with it.
    page: Option<usize>,
}

/// Bytes of the WAL file's own header.
pub(crate) const WAL_HEADER: usize = 32;

/// Whether a frame header marks a commit: its second field, the database size after the
/// commit, is not zero.
fn commit_mark(header: &[u8]) -> bool {
    header.get(4..8).is_some_and(|size| size.iter().any(|&b| b != 0))
}

/// The page size a WAL header gives, if `header` is one (either magic number, a power of two
/// from 512 to 65536).
fn page_size(header: &[u8]) -> Option<usize> {
    let magic = header.get(0..4)?;
    if magic != [0x37, 0x7f, 0x06, 0x82] && magic != [0x37, 0x7f, 0x06, 0x83] {
        return None;
    }
    let size = usize::try_from(u32::from_be_bytes(header.get(8..12)?.try_into().ok()?)).ok()?;
    (size.is_power_of_two() && (512..=65_536).contains(&size)).then_some(size)
}

impl Buffer {
    /// Whether the WAL's page size is known (frames can be recognised).
    pub(crate) fn knows_page(&self) -> bool {
        self.page.is_some()
    }

    /// Takes the page size from the WAL's header (the file's first bytes, read or written).
    pub(crate) fn learn(&mut self, header: &[u8]) {
        self.page = page_size(header);
    }

    /// Whether a write of `data` at `offset` is a commit-marked frame header.
    pub(crate) fn is_commit_header(&self, data: &[u8], offset: i64) -> bool {
        data.len() == FRAME_HEADER && self.at_frame_start(offset) && commit_mark(data)
    }

    fn at_frame_start(&self, offset: i64) -> bool {
        let (Some(page), Ok(offset)) = (self.page, usize::try_from(offset)) else { return false };
        offset >= WAL_HEADER && (offset - WAL_HEADER).is_multiple_of(page + FRAME_HEADER)
    }

    /// Writes `data` at `offset`, now or later; `sink` writes to the file and returns SQLite's
    /// result code. An error is returned from the write that had to reach the file.
    pub(crate) fn write(&mut self, data: &[u8], offset: i64, sink: &mut dyn FnMut(&[u8], i64) -> c_int) -> c_int {
        if offset == 0 {
            // The WAL header, written when the WAL starts or restarts.
            self.learn(data);
        }
        let contiguous = self.data.is_empty() || Some(offset) == self.end();
        if contiguous && !self.expect_page && data.len() == FRAME_HEADER && self.at_frame_start(offset) {
            if self.data.is_empty() {
                self.start = offset;
            }
            self.data.extend_from_slice(data);
            if commit_mark(data) {
                return self.flush(sink);
            }
            self.expect_page = true;
            return OK;
        }
        if contiguous && self.expect_page && Some(data.len()) == self.page {
            self.data.extend_from_slice(data);
            self.expect_page = false;
            return if self.data.len() >= LIMIT { self.flush(sink) } else { OK };
        }
        match self.flush(sink) {
            OK => sink(data, offset),
            rc => rc,
        }
    }

    /// Writes what waits, in writes of at most [`MAX_WRITE`] bytes. What a failed write could
    /// not write stays waiting (the module's third invariant).
    pub(crate) fn flush(&mut self, sink: &mut dyn FnMut(&[u8], i64) -> c_int) -> c_int {
        self.expect_page = false;
        let mut written = 0;
        let mut rc = OK;
        for chunk in self.data.chunks(MAX_WRITE) {
            rc = sink(chunk, self.offset_of(written));
            if rc != OK {
                break;
            }
            written += chunk.len();
        }
        self.start = self.offset_of(written);
        self.data.drain(..written);
        rc
    }

    /// At the end of a write transaction (its connection is about to release the WAL's write
    /// lock): writes what waits, frames of a transaction that did not commit (a commit leaves
    /// nothing waiting), and drops them if that fails: no commit needs them, and once the lock
    /// is released their place in the file may be another writer's.
    pub(crate) fn settle(&mut self, sink: &mut dyn FnMut(&[u8], i64) -> c_int) {
        if self.flush(sink) != OK {
            self.data.clear();
        }
    }

    /// Bytes waiting.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.data.len()
    }

    /// The file offset of the byte `at` bytes into what waits (never past `i64::MAX`: what waits
    /// is at most [`LIMIT`] plus a frame).
    fn offset_of(&self, at: usize) -> i64 {
        self.start.saturating_add(i64::try_from(at).unwrap_or(i64::MAX))
    }

    fn end(&self) -> Option<i64> {
        i64::try_from(self.data.len()).ok().and_then(|n| self.start.checked_add(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 4096;
    const FRAME: i64 = (FRAME_HEADER + PAGE) as i64;

    fn wal_header(page: u32) -> Vec<u8> {
        let mut h = vec![0; WAL_HEADER];
        h[0..4].copy_from_slice(&[0x37, 0x7f, 0x06, 0x82]);
        h[8..12].copy_from_slice(&page.to_be_bytes());
        h
    }

    /// A buffer of a WAL of 4 KiB pages.
    fn buffer() -> Buffer {
        let mut b = Buffer::default();
        b.learn(&wal_header(4096));
        b
    }

    fn header(commit: bool, fill: u8) -> Vec<u8> {
        let mut h = vec![fill; FRAME_HEADER];
        h[4..8].copy_from_slice(&(if commit { 7u32 } else { 0 }).to_be_bytes());
        h
    }

    /// A file in memory that records each write call.
    #[derive(Default)]
    struct File {
        bytes: Vec<u8>,
        calls: Vec<(i64, usize)>,
    }

    impl File {
        fn sink(&mut self) -> impl FnMut(&[u8], i64) -> c_int + '_ {
            |data, offset| {
                let at = usize::try_from(offset).unwrap();
                if self.bytes.len() < at + data.len() {
                    self.bytes.resize(at + data.len(), 0);
                }
                self.bytes[at..at + data.len()].copy_from_slice(data);
                self.calls.push((offset, data.len()));
                OK
            }
        }
    }

    /// Appends frame `i` (header then page) as SQLite does.
    fn frame(b: &mut Buffer, f: &mut File, i: i64, commit: bool) -> c_int {
        let at = 32 + i * FRAME;
        let fill = u8::try_from(i % 200).unwrap() + 1;
        let rc = b.write(&header(commit, fill), at, &mut f.sink());
        assert_eq!(rc, OK);
        b.write(&vec![fill; PAGE], at + FRAME_HEADER as i64, &mut f.sink())
    }

    #[test]
    fn a_commit_reaches_the_file_in_two_writes_and_nothing_waits_after_it() {
        let (mut b, mut f) = (buffer(), File::default());
        for i in 0..5 {
            assert_eq!(frame(&mut b, &mut f, i, false), OK);
        }
        assert!(f.calls.is_empty(), "frames without a commit mark wait");
        assert!(b.is_commit_header(&header(true, 1), 32 + 5 * FRAME));
        assert_eq!(frame(&mut b, &mut f, 5, true), OK);
        // The five frames and the commit frame's header in one write, its page straight after.
        assert_eq!(f.calls, [(32, 5 * FRAME as usize + FRAME_HEADER), (32 + 5 * FRAME + FRAME_HEADER as i64, PAGE)]);
        assert_eq!(b.waiting(), 0);
        // Byte for byte what the unbuffered writes would have left.
        let mut direct = File::default();
        for i in 0..6 {
            let at = 32 + i * FRAME;
            let fill = u8::try_from(i % 200).unwrap() + 1;
            direct.sink()(&header(i == 5, fill), at);
            direct.sink()(&vec![fill; PAGE], at + FRAME_HEADER as i64);
        }
        assert_eq!(f.bytes, direct.bytes);
    }

    #[test]
    fn a_one_frame_commit_is_written_at_once() {
        let (mut b, mut f) = (buffer(), File::default());
        assert_eq!(frame(&mut b, &mut f, 0, true), OK);
        assert_eq!(f.calls, [(32, FRAME_HEADER), (32 + FRAME_HEADER as i64, PAGE)]);
        assert_eq!(b.waiting(), 0);
    }

    #[test]
    fn any_other_write_goes_after_what_waits() {
        let (mut b, mut f) = (buffer(), File::default());
        frame(&mut b, &mut f, 0, false);
        frame(&mut b, &mut f, 1, false);
        // A page overwritten in place (a frame this transaction already wrote).
        assert_eq!(b.write(&[9; PAGE], 32 + FRAME_HEADER as i64, &mut f.sink()), OK);
        assert_eq!(f.calls, [(32, 2 * FRAME as usize), (32 + FRAME_HEADER as i64, PAGE)]);
        assert_eq!(f.bytes[32 + FRAME_HEADER], 9, "the later write wins");
        // The WAL header at offset 0 after a restart.
        frame(&mut b, &mut f, 2, false);
        assert_eq!(b.write(&wal_header(4096), 0, &mut f.sink()), OK);
        assert_eq!(f.calls[2..], [(32 + 2 * FRAME, FRAME as usize), (0, WAL_HEADER)]);
    }

    #[test]
    fn a_commit_marked_header_alone_is_written_at_once() {
        // The checksum rewrite: headers only, each after a read; the commit frame's is last.
        let (mut b, mut f) = (buffer(), File::default());
        assert_eq!(b.write(&header(false, 3), 32, &mut f.sink()), OK);
        assert!(f.calls.is_empty());
        assert_eq!(b.flush(&mut f.sink()), OK, "a read writes it");
        assert_eq!(b.write(&header(true, 4), 32 + FRAME, &mut f.sink()), OK);
        assert_eq!(f.calls, [(32, FRAME_HEADER), (32 + FRAME, FRAME_HEADER)]);
        assert_eq!(b.waiting(), 0);
        // A header that is not at the end of what waits does not join it.
        frame(&mut b, &mut f, 5, false);
        assert_eq!(b.write(&header(false, 8), 32, &mut f.sink()), OK);
        assert_eq!(f.calls[2..], [(32 + 5 * FRAME, FRAME as usize), (32, FRAME_HEADER)]);
    }

    #[test]
    fn only_a_write_at_a_frame_boundary_of_the_known_geometry_is_a_frame() {
        // synchronous=FULL pads a commit with copies of its last frame and may split a pad page
        // at the sector boundary: with 1 KiB pages, a 24-byte tail of a page is not a header.
        let mut b = Buffer::default();
        let mut f = File::default();
        assert!(!b.knows_page());
        assert_eq!(b.write(&header(false, 1), 32, &mut f.sink()), OK);
        assert_eq!(f.calls, [(32, FRAME_HEADER)], "without the WAL's page size nothing waits");
        b.learn(&wal_header(1024));
        assert!(b.knows_page());
        let frame = 24 + 1024;
        let pad = 32 + 3 * frame;
        assert_eq!(b.write(&header(true, 2), pad, &mut f.sink()), OK);
        assert_eq!(b.write(&[0; 1000], pad + 24, &mut f.sink()), OK);
        assert_eq!(b.write(&[0; FRAME_HEADER], pad + 24 + 1000, &mut f.sink()), OK);
        assert_eq!(b.waiting(), 0, "the tail of the split page was written at once");
        assert_eq!(f.calls[1..], [(pad, 24), (pad + 24, 1000), (pad + 1024, 24)]);
        assert!(!b.is_commit_header(&header(true, 1), pad + 1024));
        // A page of another size after a header is not its page.
        assert_eq!(b.write(&header(false, 3), 32, &mut f.sink()), OK);
        assert_eq!(b.write(&[5; 512], 56, &mut f.sink()), OK);
        assert_eq!(f.calls[4..], [(32, 24), (56, 512)]);
        // Not a WAL header: the geometry is forgotten.
        b.learn(&[1; 32]);
        assert!(!b.knows_page());
    }

    #[test]
    fn a_long_run_of_frames_is_written_every_limit_bytes() {
        let (mut b, mut f) = (buffer(), File::default());
        let per_flush = LIMIT.div_ceil(FRAME as usize);
        for i in 0..3 * per_flush {
            frame(&mut b, &mut f, i64::try_from(i).unwrap(), false);
        }
        // Flushed each time LIMIT bytes wait, in writes of at most MAX_WRITE bytes, in order.
        assert_eq!(f.calls.len(), 3 * (per_flush * FRAME as usize).div_ceil(MAX_WRITE));
        assert!(f.calls.iter().all(|&(_, n)| n <= MAX_WRITE));
        assert!(f.calls.windows(2).all(|w| w[1].0 == w[0].0 + i64::try_from(w[0].1).unwrap()));
        assert_eq!(f.calls.iter().map(|c| c.1).sum::<usize>(), 3 * per_flush * FRAME as usize);
        assert_eq!(b.waiting(), 0);
    }

    #[test]
    fn a_commit_larger_than_one_write_is_cut_into_writes_the_unix_vfs_takes() {
        let (mut b, mut f) = (buffer(), File::default());
        for i in 0..40 {
            assert_eq!(frame(&mut b, &mut f, i, i == 39), OK);
        }
        // 39 frames and the commit header: 160,704 bytes in two writes, then the last page.
        assert_eq!(
            f.calls,
            [
                (32, MAX_WRITE),
                (32 + MAX_WRITE as i64, 39 * FRAME as usize + FRAME_HEADER - MAX_WRITE),
                (32 + 39 * FRAME + FRAME_HEADER as i64, PAGE)
            ]
        );
    }

    #[test]
    fn a_failed_write_keeps_what_it_could_not_write_until_it_is_written_or_settled() {
        let mut b = buffer();
        let mut ok = |_: &[u8], _: i64| OK;
        for i in 0..40_i64 {
            b.write(&header(false, 1), 32 + i * FRAME, &mut ok);
            b.write(&[1; PAGE], 32 + i * FRAME + FRAME_HEADER as i64, &mut ok);
        }
        let all = 40 * FRAME as usize;
        // The first write of the flush goes through, the second fails (SQLITE_FULL).
        let mut calls = Vec::new();
        let mut second_fails = |d: &[u8], at: i64| {
            calls.push((at, d.len()));
            if calls.len() == 2 { 13 } else { OK }
        };
        assert_eq!(b.write(&header(true, 2), 32 + 40 * FRAME, &mut second_fails), 13);
        assert_eq!(b.waiting(), all + FRAME_HEADER - MAX_WRITE, "what was written is not kept");
        // A read, sync or other write must get it written first: failing again, it fails too.
        let mut full = |_: &[u8], _: i64| 13;
        assert_eq!(b.flush(&mut full), 13);
        assert_eq!(b.write(&[0; 10], 5, &mut full), 13);
        let mut f = File::default();
        assert_eq!(b.flush(&mut f.sink()), OK);
        assert_eq!(f.calls[0].0, 32 + MAX_WRITE as i64, "the rest, from where the first write ended");
        assert_eq!(f.calls.iter().map(|c| c.1).sum::<usize>(), all + FRAME_HEADER - MAX_WRITE);
        // At the end of a transaction that did not commit, frames that cannot be written are
        // dropped; written ones are written.
        b.write(&header(false, 1), 32, &mut ok);
        b.write(&[1; PAGE], 32 + FRAME_HEADER as i64, &mut ok);
        b.settle(&mut full);
        assert_eq!(b.waiting(), 0);
        let mut g = File::default();
        b.write(&header(false, 1), 32, &mut ok);
        b.settle(&mut g.sink());
        assert_eq!((g.calls.as_slice(), b.waiting()), (&[(32, FRAME_HEADER)][..], 0));
    }
}
