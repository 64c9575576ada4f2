//! Walking the whole chain, on two threads: the caller's thread reads the rows (in its one read
//! transaction) and checks the sequence and the links; a helper thread checks each entry's hash.
//! Hashing (SHA-256 of ~1 KB, and the JSON checks of the fast path) costs about as much as
//! reading a row, so on two cores the walk takes about half as long.
//!
//! A long chain (at least [`SPLIT_FROM`] entries) is read in two halves at once, the second on a
//! connection of its own ([`Store::read_apart`]): it is then read from the disk more than from
//! the page cache, and two readers read it about twice as fast as one (a 1M history, from a
//! dropped cache: 355,000 entries/s with one reader, 730,000 with two). The halves meet where the
//! second half's first link must equal the first half's last hash.
//!
//! INVARIANT: the verdict is the one of checking entry after entry, in `seq` order, the sequence,
//! then the link, then the hash: the reader checks the sequence and the link of an entry before
//! it hands the entry over, and stops at its first failure; the hasher checks the entries it is
//! handed in order and stops at its first failure. Every entry the hasher saw came before the
//! reader's failure (if any), so the earlier of the two failures is the first broken entry.

use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, channel, sync_channel};

use super::{AuditVerification, GENESIS_HASH, StoredEntry};
use crate::error::{Error, Result};
use crate::store::{Store, StoreTx};

/// Chains of at least this many entries are verified in two halves at once (module docs).
const SPLIT_FROM: i64 = 200_000;

/// Rows read per store call; memory stays flat in history size.
const PAGE: u32 = 1000;

/// Rows handed to the hasher at once.
const BATCH: usize = 256;

/// Batches in flight between the threads (bounds memory: `(IN_FLIGHT + 2) * BATCH` rows).
const IN_FLIGHT: usize = 4;

/// A stored row copied out of the store's row buffer, for the hasher thread.
#[derive(Default)]
struct OwnedRow {
    seq: i64,
    /// Every text field, one after the other.
    text: String,
    /// Where each field of [`FIELDS`] order ends in `text`.
    ends: [usize; FIELDS],
    project_id: bool,
    reason: bool,
}

/// at, actor_id, action, project_id, object_type, object_id, before, after, reason, prev_hash,
/// hash.
const FIELDS: usize = 11;

impl OwnedRow {
    fn fill(&mut self, e: &StoredEntry<'_>) {
        self.seq = e.seq;
        self.project_id = e.project_id.is_some();
        self.reason = e.reason.is_some();
        self.text.clear();
        let fields = [
            e.at,
            e.actor_id,
            e.action,
            e.project_id.unwrap_or_default(),
            e.object_type,
            e.object_id,
            e.before,
            e.after,
            e.reason.unwrap_or_default(),
            e.prev_hash,
            e.hash,
        ];
        for (end, field) in self.ends.iter_mut().zip(fields) {
            self.text.push_str(field);
            *end = self.text.len();
        }
    }

    fn view(&self) -> StoredEntry<'_> {
        let mut start = 0;
        let mut field = [""; FIELDS];
        for (f, end) in field.iter_mut().zip(self.ends) {
            *f = self.text.get(start..end).unwrap_or_default();
            start = end;
        }
        let [at, actor_id, action, project_id, object_type, object_id, before, after, reason, prev_hash, hash] = field;
        StoredEntry {
            seq: self.seq,
            at,
            actor_id,
            action,
            project_id: self.project_id.then_some(project_id),
            object_type,
            object_id,
            before,
            after,
            reason: self.reason.then_some(reason),
            prev_hash,
            hash,
        }
    }
}

/// Checks the hash of every entry it is handed, in order; the first that does not match (or
/// cannot be checked) ends it.
fn hasher(batches: Receiver<Vec<OwnedRow>>, spare: std::sync::mpsc::Sender<Vec<OwnedRow>>) -> Option<(i64, Error)> {
    let mut buf = Vec::with_capacity(4096);
    for batch in batches {
        for row in &batch {
            match row.view().hash_matches(&mut buf) {
                Ok(true) => {}
                Ok(false) => return Some((row.seq, edited(row.seq))),
                Err(e) => return Some((row.seq, e)),
            }
        }
        // The reader may be gone already; the batch is then simply dropped.
        let _ = spare.send(batch);
    }
    None
}

/// The verdict on an entry whose content does not hash to its stored hash.
fn edited(seq: i64) -> Error {
    Error::AuditCorrupt { seq, problem: "content does not match its hash (edited)".into() }
}

/// The reader's side: fills batches, checks sequence and links, hands batches over.
struct Reader<'a> {
    to_hasher: SyncSender<Vec<OwnedRow>>,
    spare: &'a Receiver<Vec<OwnedRow>>,
    batch: Vec<OwnedRow>,
    /// Rows of `batch` in use (the rest are kept for their buffers).
    used: usize,
    expected_seq: i64,
    /// The last entry's sequence number this walk reads (`i64::MAX`: to the end).
    to: i64,
    prev: String,
    /// The first entry's link is not checked (the second half of a split walk, whose first link
    /// is checked against the first half's end) until this is false.
    first_unchecked: bool,
    /// The first entry's `prev_hash`, recorded when it was not checked.
    first_prev: Option<String>,
    /// The hasher stopped (it found a broken entry): stop reading.
    hasher_gone: bool,
    /// No hasher thread could be started: hashes are checked here, entry by entry (the scratch
    /// buffer of `hash_matches`).
    inline: Option<Vec<u8>>,
}

impl Reader<'_> {
    fn take(&mut self, e: &StoredEntry<'_>) -> Result<()> {
        if e.seq != self.expected_seq {
            let problem = format!("entry missing (next entry found is {})", e.seq);
            return Err(Error::AuditCorrupt { seq: self.expected_seq, problem });
        }
        if self.first_unchecked {
            self.first_unchecked = false;
            self.first_prev = Some(e.prev_hash.to_owned());
        } else if e.prev_hash != self.prev {
            return Err(Error::AuditCorrupt { seq: e.seq, problem: "previous-hash link does not match the entry before it".into() });
        }
        self.prev.clear();
        self.prev.push_str(e.hash);
        self.expected_seq += 1;
        if let Some(buf) = &mut self.inline {
            return if e.hash_matches(buf)? { Ok(()) } else { Err(edited(e.seq)) };
        }
        if self.used == self.batch.len() {
            self.batch.push(OwnedRow::default());
        }
        if let Some(row) = self.batch.get_mut(self.used) {
            row.fill(e);
        }
        self.used += 1;
        if self.used == BATCH {
            self.hand_over();
        }
        Ok(())
    }

    /// Sends the rows in use to the hasher and starts a new batch (a recycled one if any).
    fn hand_over(&mut self) {
        if self.used == 0 || self.hasher_gone {
            return;
        }
        let next = match self.spare.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(BATCH),
        };
        let mut full = std::mem::replace(&mut self.batch, next);
        full.truncate(self.used);
        self.used = 0;
        if self.to_hasher.send(full).is_err() {
            self.hasher_gone = true;
        }
    }
}

/// Walks the whole chain: gapless sequence, each `prev_hash` equal to the previous `hash`, each
/// `hash` equal to the recomputed one, and the last entry equal to the recorded head.
fn verify(tx: &dyn StoreTx) -> Result<AuditVerification> {
    verify_with(tx, true)
}

/// [`verify`] in a read of `store`, a long chain in two halves at once (module docs).
pub(crate) fn verify_store(store: &dyn Store) -> Result<AuditVerification> {
    verify_store_with(store, SPLIT_FROM)
}

fn verify_store_with(store: &dyn Store, split_from: i64) -> Result<AuditVerification> {
    let mut out = None;
    store.read(&mut |tx| {
        let intact = match tx.audit_head()? {
            Some((head, hash)) if head >= split_from.max(2) => split(store, tx, head, &hash),
            _ => None,
        };
        // INVARIANT: the split walk only ever says "intact". A failure in either half, at the
        // seam or at the head (or a second read that cannot run) is decided by the walk from the
        // start in this one snapshot, so that a verdict always names the first broken entry.
        out = Some(intact.map_or_else(|| verify(tx), Ok));
        Ok(())
    })?;
    out.unwrap_or_else(|| Err(Error::storage("audit verification returned no verdict")))
}

/// The chain up to the head `head` (read in `tx`, whose snapshot the second half's, taken
/// later, includes: entries are only ever appended) walked in two halves at once: entries
/// `1..=head/2` in `tx`, the rest on a connection of their own. `None` unless every check passed.
fn split(store: &dyn Store, tx: &dyn StoreTx, head: i64, head_hash: &str) -> Option<AuditVerification> {
    let mid = head / 2;
    let (started_tx, started) = sync_channel::<()>(1);
    std::thread::scope(|s| {
        let second = std::thread::Builder::new()
            .name("deploygov-audit-half".into())
            .spawn_scoped(s, move || {
                let mut out = None;
                let ran = store.read_apart(&mut |tx2| {
                    // `try_send`: a store that calls `f` more than once never blocks here.
                    let _ = started_tx.try_send(());
                    out = Some(walk(tx2, mid + 1, head, None, true));
                    Ok(())
                });
                match ran {
                    Ok(true) => out.and_then(Result::ok),
                    _ => None,
                }
            })
            .ok()?;
        // No second connection (the sender is dropped unused): no split, nothing read twice.
        if started.recv().is_err() {
            let _ = second.join();
            return None;
        }
        let first = walk(tx, 1, mid, Some(GENESIS_HASH), true);
        let second = second.join().ok().flatten()?;
        let first = first.ok()?;
        let nothing_after_head = tx.audit_scan(head, 1, &mut |_| Ok(())).ok()? == 0;
        (nothing_after_head && second.first_prev.as_deref() == Some(first.last.as_str()) && second.last == head_hash)
            .then(|| AuditVerification { entries: head, head_hash: head_hash.to_owned() })
    })
}

/// [`verify`], hashing on a second thread when `threaded` (and one can be started).
fn verify_with(tx: &dyn StoreTx, threaded: bool) -> Result<AuditVerification> {
    let w = walk(tx, 1, i64::MAX, Some(GENESIS_HASH), threaded)?;
    finish(tx, w.next_seq - 1, w.last)
}

/// What a walk over a range of the chain saw.
struct Walked {
    /// The first entry's `prev_hash`, when the walk was not given the link to check it against.
    first_prev: Option<String>,
    /// The last entry's hash (the link given when the range was empty).
    last: String,
    /// The sequence number after the last entry read.
    next_seq: i64,
}

/// Walks entries `from..=to` (`to = i64::MAX`: to the end of the chain): the sequence, the links
/// (the first against `prev`; with `None` the first link is recorded instead) and the hashes, on
/// a second thread when `threaded` (and one can be started). A bounded walk must find every
/// entry of its range.
fn walk(tx: &dyn StoreTx, from: i64, to: i64, prev: Option<&str>, threaded: bool) -> Result<Walked> {
    let (to_hasher, batches) = sync_channel(IN_FLIGHT);
    let (to_reader, spare) = channel();
    std::thread::scope(|s| {
        // Where no thread can be started (a thread limit), the same walk hashes inline.
        let hashing = if threaded {
            std::thread::Builder::new().name("deploygov-audit-hash".into()).spawn_scoped(s, move || hasher(batches, to_reader))
        } else {
            Err(std::io::Error::other("one thread asked for"))
        };
        let mut r = Reader {
            to_hasher,
            spare: &spare,
            batch: Vec::with_capacity(BATCH),
            used: 0,
            expected_seq: from,
            to,
            prev: prev.unwrap_or_default().to_owned(),
            first_unchecked: prev.is_none(),
            first_prev: None,
            hasher_gone: false,
            inline: hashing.is_err().then(|| Vec::with_capacity(4096)),
        };
        let read = read_all(tx, &mut r);
        r.hand_over();
        let Reader { to_hasher, expected_seq, prev, first_prev, .. } = r;
        // Closing the channel lets the hasher finish what it was handed.
        drop(to_hasher);
        let hashed = match hashing {
            Ok(h) => h.join().map_err(|_| Error::storage("audit verification thread failed"))?,
            Err(_) => None,
        };
        match (hashed, read) {
            (Some((seq, e)), Err(ReadStop::Failed(read_seq, _))) if seq < read_seq => Err(e),
            (_, Err(ReadStop::Failed(_, e))) => Err(e),
            (Some((_, e)), _) => Err(e),
            (None, Err(ReadStop::HasherGone)) => Err(Error::storage("audit verification stopped without a verdict")),
            (None, Ok(())) if to != i64::MAX && expected_seq <= to => {
                Err(Error::AuditCorrupt { seq: expected_seq, problem: format!("entry missing (the chain's head is entry {to})") })
            }
            (None, Ok(())) => Ok(Walked { first_prev, last: prev, next_seq: expected_seq }),
        }
    })
}

/// Why reading stopped early.
enum ReadStop {
    /// A broken entry or a store error, at this sequence number.
    Failed(i64, Error),
    /// The hasher found a broken entry: its verdict decides.
    HasherGone,
}

fn read_all(tx: &dyn StoreTx, r: &mut Reader<'_>) -> std::result::Result<(), ReadStop> {
    loop {
        let left = r.to.saturating_sub(r.expected_seq - 1);
        if left <= 0 {
            return Ok(());
        }
        let limit = u32::try_from(left).map_or(PAGE, |n| n.min(PAGE));
        let seen = tx.audit_scan(r.expected_seq - 1, limit, &mut |e| {
            if r.hasher_gone {
                // Any error stops the scan; it is replaced by the hasher's verdict below.
                return Err(Error::storage("stopped"));
            }
            r.take(e)
        });
        if r.hasher_gone {
            return Err(ReadStop::HasherGone);
        }
        match seen {
            Ok(n) if n < limit => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                let seq = match &e {
                    Error::AuditCorrupt { seq, .. } => *seq,
                    _ => r.expected_seq,
                };
                return Err(ReadStop::Failed(seq, e));
            }
        }
    }
}

/// The chain read `entries` entries ending in `head_hash`: it must be what the head records.
fn finish(tx: &dyn StoreTx, entries: i64, head_hash: String) -> Result<AuditVerification> {
    match tx.audit_head()? {
        None if entries == 0 => {}
        Some((seq, hash)) if seq == entries && hash == head_hash => {}
        Some((seq, _)) => {
            return Err(Error::AuditCorrupt {
                seq: seq.min(entries + 1),
                problem: format!("chain ends at entry {entries} but the head records entry {seq}"),
            });
        }
        None => return Err(Error::AuditCorrupt { seq: 1, problem: "chain head is missing".into() }),
    }
    Ok(AuditVerification { entries, head_hash })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::audit::entry_hash;
    use crate::store::{SqliteStore, Store};
    use crate::{Actor, Engine, EnvironmentSpec, VersionSpec};

    /// A file store with a project, an environment and `versions` registered versions (one audit
    /// entry each, after the project's and the environment's); returns the directory and the file.
    fn chain(versions: usize) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db").to_str().unwrap().to_owned();
        let e = Engine::open(&path).unwrap();
        let admin = Actor { id: "ann".into(), roles: vec!["admin".into()] };
        e.create_project("p", "t", "P", &admin).unwrap();
        e.create_environment("p", &EnvironmentSpec { name: "development".into(), ..Default::default() }, &admin).unwrap();
        for i in 0..versions {
            let spec =
                VersionSpec { entity_type: "prompt".into(), entity_id: "x".into(), version_tag: format!("1.0.{i}"), ..Default::default() };
            e.register_version("p", &spec, &admin).unwrap();
        }
        (dir, path)
    }

    /// A SQLite store that counts the reads on a connection of their own.
    struct Spy {
        inner: SqliteStore,
        apart: AtomicUsize,
    }

    impl Store for Spy {
        fn read(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<()> {
            self.inner.read(f)
        }
        fn write(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<()> {
            self.inner.write(f)
        }
        fn read_apart(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<bool> {
            self.apart.fetch_add(1, Ordering::SeqCst);
            self.inner.read_apart(f)
        }
    }

    /// The verdicts of the split walk (which must have read the second half apart) and of the
    /// walk from the start, as comparable strings.
    fn verdicts(path: &str) -> (String, String) {
        let spy = Spy { inner: SqliteStore::open(path).unwrap(), apart: AtomicUsize::new(0) };
        let split = format!("{:?}", verify_store_with(&spy, 2));
        assert_eq!(spy.apart.load(Ordering::SeqCst), 1, "the second half is read apart");
        let whole = format!("{:?}", verify_store_with(&spy, i64::MAX));
        assert_eq!(spy.apart.load(Ordering::SeqCst), 1, "no split under the threshold");
        (split, whole)
    }

    /// Entry `seq` as stored, with its content changed and its hash recomputed: the entry itself
    /// checks, only its links to its neighbours can tell.
    fn rehash(conn: &rusqlite::Connection, store: &SqliteStore, seq: i64) -> String {
        relink(conn, store, seq, None)
    }

    /// [`rehash`], with its link set to `prev` when given.
    fn relink(conn: &rusqlite::Connection, store: &SqliteStore, seq: i64, prev: Option<&str>) -> String {
        let mut entry = None;
        store
            .read(&mut |tx| {
                entry = tx.audit_page(seq - 1, 1)?.pop();
                Ok(())
            })
            .unwrap();
        let mut entry = entry.unwrap();
        assert_eq!(entry.seq, seq);
        entry.reason = Some("rewritten".into());
        if let Some(p) = prev {
            entry.prev_hash = p.to_owned();
        }
        let hash = entry_hash(&entry).unwrap();
        conn.execute(
            "UPDATE audit_log SET reason = 'rewritten', prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![seq, entry.prev_hash, hash],
        )
        .unwrap();
        hash
    }

    /// Whether the split walk alone finds the chain intact (no fallback).
    fn split_alone(path: &str) -> bool {
        let store = SqliteStore::open(path).unwrap();
        let mut intact = false;
        store
            .read(&mut |tx| {
                let (head, hash) = tx.audit_head()?.unwrap();
                intact = split(&store, tx, head, &hash).is_some();
                Ok(())
            })
            .unwrap();
        intact
    }

    #[test]
    fn a_split_walk_gives_the_verdicts_of_the_walk_from_the_start() {
        let (_dir, path) = chain(700);
        let (split, whole) = verdicts(&path);
        assert!(split.starts_with("Ok(AuditVerification { entries: 702"), "{split}");
        assert_eq!(split, whole);
        assert!(split_alone(&path), "an intact chain is found intact by the split walk itself");
        let store = SqliteStore::open(&path).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let (head, mid) = (702, 351);
        // Each case is checked, then undone from a copy of the file's rows.
        conn.execute_batch("CREATE TABLE saved AS SELECT * FROM audit_log; CREATE TABLE saved_head AS SELECT * FROM audit_head").unwrap();
        let restore = || {
            conn.execute_batch(
                "DELETE FROM audit_log; INSERT INTO audit_log SELECT * FROM saved;
                 DELETE FROM audit_head; INSERT INTO audit_head SELECT * FROM saved_head",
            )
            .unwrap();
        };
        type Break<'a> = Box<dyn Fn() + 'a>;
        let cases: Vec<(&str, Break<'_>)> = vec![
            ("edited in the first half", Box::new(|| drop(conn.execute("UPDATE audit_log SET after = '{}' WHERE seq = 100", [])))),
            ("edited in the second half", Box::new(|| drop(conn.execute("UPDATE audit_log SET after = '{}' WHERE seq = 600", [])))),
            ("missing at the end of the first half", Box::new(|| drop(conn.execute("DELETE FROM audit_log WHERE seq = ?1", [mid])))),
            ("missing at the start of the second half", Box::new(|| drop(conn.execute("DELETE FROM audit_log WHERE seq = ?1", [mid + 1])))),
            ("the last entry missing", Box::new(|| drop(conn.execute("DELETE FROM audit_log WHERE seq = ?1", [head])))),
            // Both halves check on their own; only the seam tells.
            ("the first half's last entry rewritten", Box::new(|| drop(rehash(&conn, &store, mid)))),
            // The chain checks; only the head tells.
            ("the last entry rewritten", Box::new(|| drop(rehash(&conn, &store, head)))),
            // The second half's first link emptied, and the rest of the chain rewritten from the
            // next entry on, linked to the first half's end: only the empty link tells.
            (
                "an empty link at the start of the second half",
                Box::new(|| {
                    let first_end = conn.query_row("SELECT hash FROM audit_log WHERE seq = ?1", [mid], |r| r.get::<_, String>(0)).unwrap();
                    relink(&conn, &store, mid + 1, Some(""));
                    let mut prev = first_end;
                    for seq in mid + 2..=head {
                        prev = relink(&conn, &store, seq, Some(&prev));
                    }
                    conn.execute("UPDATE audit_head SET hash = ?1", [&prev]).unwrap();
                }),
            ),
            // An entry appended without moving the head, correctly linked and hashed.
            (
                "an entry after the head",
                Box::new(|| {
                    conn.execute_batch(&format!(
                        "INSERT INTO audit_log SELECT {next}, at, actor_id, action, project_id, object_type, object_id, before, after,
                         reason, hash, hash FROM audit_log WHERE seq = {head}",
                        next = head + 1
                    ))
                    .unwrap();
                    rehash(&conn, &store, head + 1);
                }),
            ),
        ];
        for (name, break_it) in &cases {
            break_it();
            let (split, whole) = verdicts(&path);
            assert!(split.starts_with("Err(AuditCorrupt"), "{name}: {split}");
            assert_eq!(split, whole, "{name}");
            assert!(!split_alone(&path), "{name}: the split walk alone");
            restore();
            assert!(split_alone(&path), "{name}: restored");
        }
    }

    /// A store that cannot read apart (`:memory:`) is walked from the start, once.
    #[test]
    fn a_store_without_a_second_connection_is_walked_once() {
        let spy = Spy { inner: SqliteStore::open(":memory:").unwrap(), apart: AtomicUsize::new(0) };
        for i in 0..5 {
            let object_id = format!("x@{i}");
            let entry = super::super::NewEntry {
                actor_id: "ann",
                action: "version.registered",
                project_id: Some("p"),
                object_type: "version",
                object_id: &object_id,
                before: "null".into(),
                after: format!(r#"{{"i":{i}}}"#),
                reason: None,
            };
            spy.write(&mut |tx| super::super::append(tx, chrono::Utc::now(), &entry)).unwrap();
        }
        assert!(!spy.inner.read_apart(&mut |_| Ok(())).unwrap());
        let v = verify_store_with(&spy, 2).unwrap();
        assert_eq!(v.entries, 5);
        assert_eq!(spy.apart.load(Ordering::SeqCst), 1, "the split was tried, found no second connection, and did not read");
        // A sixth entry linked to the fourth: found by the walk from the start.
        spy.inner
            .write(&mut |tx| {
                let e = tx.audit_page(4, 1)?.remove(0);
                let (at, before, after) =
                    (e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), e.before.to_string(), e.after.to_string());
                tx.insert_audit(&StoredEntry { seq: 6, ..e.with_text(&at, &before, &after) })
            })
            .unwrap();
        match verify_store_with(&spy, 2) {
            Err(Error::AuditCorrupt { seq: 6, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    /// The walk without a hasher thread (where none can be started) gives the threaded verdicts.
    #[test]
    fn inline_hashing_gives_the_same_verdicts() {
        let (_dir, path) = chain(600);
        let verdict = |threaded: bool| {
            let store = SqliteStore::open(&path).unwrap();
            let mut out = None;
            store
                .read(&mut |tx| {
                    out = Some(verify_with(tx, threaded));
                    Ok(())
                })
                .unwrap();
            out.unwrap()
        };
        let whole = verdict(false).unwrap();
        assert!(whole.entries > 600);
        assert_eq!(verdict(true).unwrap(), whole);
        let conn = rusqlite::Connection::open(&path).unwrap();
        for (sql, first) in
            [("UPDATE audit_log SET after = '{}' WHERE seq IN (300, 450)", 300), ("DELETE FROM audit_log WHERE seq = 200", 200)]
        {
            conn.execute(sql, []).unwrap();
            for threaded in [false, true] {
                match verdict(threaded) {
                    Err(Error::AuditCorrupt { seq, .. }) => assert_eq!(seq, first, "{sql}, threaded: {threaded}"),
                    other => panic!("{sql}, threaded: {threaded}: {other:?}"),
                }
            }
        }
    }
}
