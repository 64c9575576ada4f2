//! Tampering with the audit table of a SQLite file behind the engine's back is detected by
//! `verify_audit`, which names the first entry that does not verify.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::path::{Path, PathBuf};

use common::*;
use deploygov::*;
use rusqlite::{Connection, params};

/// A database file with a finished workflow (engine dropped), and its entry count.
struct Fixture {
    dir: tempfile::TempDir,
    entries: i64,
    head: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gov.db");
    let clock = clock();
    let e = file_engine(path.to_str().unwrap(), &clock);
    setup(&e);
    for t in ["1.0.0", "2.0.0"] {
        register(&e, "prompt_version", "chatbot", t);
    }
    let (alice, bob, carol) = (admin("alice"), admin("bob"), admin("carol"));
    let mut last = None;
    for t in ["1.0.0", "2.0.0"] {
        let d = e.request_deployment(P, &request("production", vec![item("prompt_version", "chatbot", t)]), &alice).unwrap();
        approve(&e, &d.id, &bob);
        approve(&e, &d.id, &carol);
        last = Some(execute(&e, &d.id, &bob));
        clock.advance(chrono::Duration::minutes(5));
    }
    e.rollback(P, &last.unwrap().id, &alice, &NoopExecutor, &rb("bad answers")).unwrap();
    let v = e.verify_audit().unwrap();
    assert!(v.entries > 20, "{v:?}");
    drop(e);
    Fixture { dir, entries: v.entries, head: v.head_hash }
}

impl Fixture {
    /// A fresh copy of the database (with its WAL files, if any) in its own directory.
    fn copy(&self) -> (tempfile::TempDir, PathBuf) {
        let to = tempfile::tempdir().unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let from = self.dir.path().join(format!("gov.db{suffix}"));
            if from.exists() {
                std::fs::copy(&from, to.path().join(format!("gov.db{suffix}"))).unwrap();
            }
        }
        let path = to.path().join("gov.db");
        (to, path)
    }

    /// Copies the database, runs `sql` on the copy with rusqlite, and returns the copy.
    fn tampered(&self, f: impl FnOnce(&Connection)) -> (tempfile::TempDir, PathBuf) {
        let (dir, path) = self.copy();
        let conn = Connection::open(&path).unwrap();
        f(&conn);
        drop(conn);
        (dir, path)
    }
}

fn exec(conn: &Connection, sql: &str, seq: i64) {
    assert_eq!(conn.execute(sql, params![seq]).unwrap(), 1, "{sql} @ {seq}");
}

/// Reopens the file with the engine and returns the `seq` verification names.
fn broken_at(path: &Path) -> i64 {
    let e = Engine::open(path.to_str().unwrap()).unwrap();
    match e.verify_audit() {
        Err(err @ Error::AuditCorrupt { .. }) => {
            assert_eq!(err.code(), ErrorCode::AuditCorrupt);
            let Error::AuditCorrupt { seq, .. } = err else { unreachable!() };
            seq
        }
        other => panic!("expected audit_corrupt, got {other:?}"),
    }
}

/// Sequence number of the first entry with `action`.
fn seq_of(path: &Path, action: &str) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row("SELECT MIN(seq) FROM audit_log WHERE action = ?1", params![action], |r| r.get(0)).unwrap()
}

#[test]
fn untampered_copy_verifies() {
    if skip_on_postgres("tampers with a SQLite file; the postgres store has its own tamper test in postgres_store.rs") {
        return;
    }
    let fx = fixture();
    let (_d, path) = fx.copy();
    let e = Engine::open(path.to_str().unwrap()).unwrap();
    let v = e.verify_audit().unwrap();
    assert_eq!((v.entries, v.head_hash), (fx.entries, fx.head.clone()));
    // The reopened engine keeps appending to the same chain.
    e.create_project("again", "acme", "Again", &admin("root")).unwrap();
    assert_eq!(e.verify_audit().unwrap().entries, fx.entries + 1);
}

#[test]
fn edited_after_or_actor_is_detected_at_that_entry() {
    if skip_on_postgres("tampers with a SQLite file; the postgres store has its own tamper test in postgres_store.rs") {
        return;
    }
    let fx = fixture();
    let (_d, path) = fx.copy();
    let k = seq_of(&path, "deployment.approved");
    assert!(k > 1 && k < fx.entries);
    let (_d1, p1) = fx.tampered(|c| exec(c, r#"UPDATE audit_log SET after = '{"status":"deployed"}' WHERE seq = ?1"#, k));
    assert_eq!(broken_at(&p1), k);
    let (_d2, p2) = fx.tampered(|c| exec(c, "UPDATE audit_log SET actor_id = 'mallory' WHERE seq = ?1", k));
    assert_eq!(broken_at(&p2), k);
    let (_d3, p3) = fx.tampered(|c| exec(c, "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = ?1", k));
    assert_eq!(broken_at(&p3), k);
    let (_d4, p4) = fx.tampered(|c| exec(c, "UPDATE audit_log SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = ?1", k));
    assert_eq!(broken_at(&p4), k);
    // Unparsable JSON is reported at its entry too, not as a storage error.
    let (_d5, p5) = fx.tampered(|c| exec(c, "UPDATE audit_log SET before = '{not json' WHERE seq = ?1", k));
    assert_eq!(broken_at(&p5), k);
    // The first entry and the last one are covered as well.
    let (_d6, p6) = fx.tampered(|c| exec(c, "UPDATE audit_log SET actor_id = 'mallory' WHERE seq = ?1", 1));
    assert_eq!(broken_at(&p6), 1);
    let (_d7, p7) = fx.tampered(|c| exec(c, "UPDATE audit_log SET actor_id = 'mallory' WHERE seq = ?1", fx.entries));
    assert_eq!(broken_at(&p7), fx.entries);
}

#[test]
fn edited_and_rehashed_entry_breaks_the_next_link() {
    if skip_on_postgres("tampers with a SQLite file; the postgres store has its own tamper test in postgres_store.rs") {
        return;
    }
    let fx = fixture();
    let (_d, path) = fx.copy();
    let k = seq_of(&path, "deployment.started");
    let (_d1, p1) = fx.tampered(|c| {
        let e = Engine::open(path.to_str().unwrap()).unwrap();
        let mut entry = e.audit_log(P, None, k - 1, Some(1)).unwrap().remove(0);
        assert_eq!(entry.seq, k);
        entry.actor_id = "mallory".into();
        let forged = audit::entry_hash(&entry).unwrap();
        assert_eq!(c.execute("UPDATE audit_log SET actor_id = 'mallory', hash = ?2 WHERE seq = ?1", params![k, forged]).unwrap(), 1);
    });
    assert_eq!(broken_at(&p1), k + 1);
}

#[test]
fn deleted_middle_or_last_entry_is_detected() {
    if skip_on_postgres("tampers with a SQLite file; the postgres store has its own tamper test in postgres_store.rs") {
        return;
    }
    let fx = fixture();
    let k = fx.entries / 2;
    let (_d1, p1) = fx.tampered(|c| exec(c, "DELETE FROM audit_log WHERE seq = ?1", k));
    assert_eq!(broken_at(&p1), k);
    let (_d2, p2) = fx.tampered(|c| exec(c, "DELETE FROM audit_log WHERE seq = ?1", fx.entries));
    assert_eq!(broken_at(&p2), fx.entries);
    let (_d3, p3) = fx.tampered(|c| exec(c, "DELETE FROM audit_log WHERE seq = ?1", 1));
    assert_eq!(broken_at(&p3), 1);
}

#[test]
fn swapped_entries_are_detected_at_the_first_one() {
    if skip_on_postgres("tampers with a SQLite file; the postgres store has its own tamper test in postgres_store.rs") {
        return;
    }
    let fx = fixture();
    let swap = |c: &Connection, i: i64, j: i64| {
        // Park row i at seq 0, move j to i, then the parked row to j: contents swapped, seqs kept.
        exec(c, "UPDATE audit_log SET seq = 0 WHERE seq = ?1", i);
        assert_eq!(c.execute("UPDATE audit_log SET seq = ?2 WHERE seq = ?1", params![j, i]).unwrap(), 1);
        exec(c, "UPDATE audit_log SET seq = ?1 WHERE seq = 0", j);
    };
    for (i, j) in [(3, fx.entries - 2), (7, 8), (fx.entries - 1, fx.entries)] {
        let (_d, p) = fx.tampered(|c| swap(c, i, j));
        let conn = Connection::open(&p).unwrap();
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0)).unwrap();
        assert_eq!(n, fx.entries, "swap keeps every row");
        drop(conn);
        assert_eq!(broken_at(&p), i, "swap of {i} and {j}");
    }
}

/// Two problems in one page: an edit at `k` and unreadable JSON at a later entry. The first
/// broken entry is `k`.
#[test]
fn first_broken_entry_is_named_when_a_later_one_is_unreadable() {
    if skip_on_postgres("tampers with a SQLite file; the postgres store has its own tamper test in postgres_store.rs") {
        return;
    }
    let fx = fixture();
    let k = 3;
    let (_d, p) = fx.tampered(|c| {
        exec(c, "UPDATE audit_log SET actor_id = 'mallory' WHERE seq = ?1", k);
        exec(c, "UPDATE audit_log SET after = 'not json' WHERE seq = ?1", fx.entries - 1);
    });
    assert_eq!(broken_at(&p), k);
}

/// A column rewritten with another type (a number where text was) is named at its entry.
#[test]
fn retyped_column_is_detected_at_that_entry() {
    if skip_on_postgres("tampers with a SQLite file; the postgres store has its own tamper test in postgres_store.rs") {
        return;
    }
    let fx = fixture();
    let k = fx.entries / 2;
    for column in ["project_id", "reason", "actor_id", "before", "hash"] {
        let (_d, p) = fx.tampered(|c| exec(c, &format!("UPDATE audit_log SET {column} = 5 WHERE seq = ?1"), k));
        assert_eq!(broken_at(&p), k, "{column}");
    }
}

/// Verification reads on one thread and hashes on another, in batches of 256 and pages of 1,000:
/// over a chain of several pages, the first broken entry is still the one named, whichever
/// thread finds it and wherever it falls in a batch.
#[test]
fn first_broken_entry_is_named_across_pages_and_batches() {
    if skip_on_postgres("tampers with a SQLite file; the postgres store has its own tamper test in postgres_store.rs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gov.db");
    let clock = clock();
    let e = file_engine(path.to_str().unwrap(), &clock);
    setup(&e);
    for i in 0..2100 {
        register(&e, "prompt_version", "chatbot", &format!("1.0.{i}"));
    }
    let v = e.verify_audit().unwrap();
    assert!(v.entries > 2100, "{v:?}");
    drop(e);
    let fx = Fixture { dir, entries: v.entries, head: v.head_hash };
    let edit = "UPDATE audit_log SET after = '{\"x\":1}' WHERE seq = ?1";
    let delete = "DELETE FROM audit_log WHERE seq = ?1";
    let cases: [(&[(&str, i64)], i64); 7] = [
        (&[(edit, 700)], 700),
        (&[(edit, 300), (delete, 900)], 300),
        (&[(delete, 300), (edit, 900)], 300),
        (&[(edit, 1000), (edit, 1001)], 1000),
        (&[(edit, 257), (edit, 256)], 256),
        (&[(edit, 2048), (delete, 2049)], 2048),
        (&[(edit, fx.entries)], fx.entries),
    ];
    for (edits, first) in cases {
        let (_d, p) = fx.tampered(|c| edits.iter().for_each(|(sql, seq)| exec(c, sql, *seq)));
        assert_eq!(broken_at(&p), first, "{edits:?}");
    }
    let (_d, untouched) = fx.copy();
    let again = Engine::open(untouched.to_str().unwrap()).unwrap().verify_audit().unwrap();
    assert_eq!((again.entries, again.head_hash), (fx.entries, fx.head.clone()));
}
