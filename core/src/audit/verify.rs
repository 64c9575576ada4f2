//! Walking the whole chain, on two threads: the caller's thread reads the rows (in its one read
//! transaction) and checks the sequence and the links; a helper thread checks each entry's hash.
//! Hashing (SHA-256 of ~1 KB, and the JSON checks of the fast path) costs about as much as
//! reading a row, so on two cores the walk takes about half as long.
//!
//! INVARIANT: the verdict is the one of checking entry after entry, in `seq` order, the sequence,
//! then the link, then the hash: the reader checks the sequence and the link of an entry before
//! it hands the entry over, and stops at its first failure; the hasher checks the entries it is
//! handed in order and stops at its first failure. Every entry the hasher saw came before the
//! reader's failure (if any), so the earlier of the two failures is the first broken entry.

use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, channel, sync_channel};

use super::{AuditVerification, GENESIS_HASH, StoredEntry};
use crate::error::{Error, Result};
use crate::store::StoreTx;

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
    prev: String,
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
        if e.prev_hash != self.prev {
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
pub(crate) fn verify(tx: &dyn StoreTx) -> Result<AuditVerification> {
    verify_with(tx, true)
}

/// [`verify`], hashing on a second thread when `threaded` (and one can be started).
fn verify_with(tx: &dyn StoreTx, threaded: bool) -> Result<AuditVerification> {
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
            expected_seq: 1,
            prev: GENESIS_HASH.to_owned(),
            hasher_gone: false,
            inline: hashing.is_err().then(|| Vec::with_capacity(4096)),
        };
        let read = read_all(tx, &mut r);
        r.hand_over();
        let Reader { to_hasher, expected_seq, prev, .. } = r;
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
            (None, Ok(())) => finish(tx, expected_seq - 1, prev),
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
        let seen = tx.audit_scan(r.expected_seq - 1, PAGE, &mut |e| {
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
            Ok(n) if n < PAGE => return Ok(()),
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

    use super::*;
    use crate::store::{SqliteStore, Store};
    use crate::{Actor, Engine, EnvironmentSpec, VersionSpec};

    /// The walk without a hasher thread (where none can be started) gives the threaded verdicts.
    #[test]
    fn inline_hashing_gives_the_same_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db").to_str().unwrap().to_owned();
        let e = Engine::open(&path).unwrap();
        let admin = Actor { id: "ann".into(), roles: vec!["admin".into()] };
        e.create_project("p", "t", "P", &admin).unwrap();
        e.create_environment("p", &EnvironmentSpec { name: "development".into(), ..Default::default() }, &admin).unwrap();
        for i in 0..600 {
            let spec =
                VersionSpec { entity_type: "prompt".into(), entity_id: "x".into(), version_tag: format!("1.0.{i}"), ..Default::default() };
            e.register_version("p", &spec, &admin).unwrap();
        }
        drop(e);
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
