//! The VFS under SQLite itself: what a connection through it commits is in the files at once,
//! for other connections and for a copy of the files taken at any moment after the commit (what
//! a crash leaves), including transactions that spill frames, overwrite them and roll back.
#![cfg(target_os = "linux")] // the VFS is registered on Linux only
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test helpers fail loudly")]

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

fn open_through_vfs(path: &Path) -> Connection {
    let vfs = deploygov_walvfs::name().unwrap();
    let c = Connection::open_with_flags_and_vfs(path, OpenFlags::default(), vfs).unwrap();
    let mode: String = c.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    c.pragma_update(None, "synchronous", "NORMAL").unwrap();
    // No checkpoint into the database file: the WAL holds every commit of the test.
    c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v BLOB NOT NULL);
         CREATE INDEX IF NOT EXISTS t_by_v ON t (v);
         CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);",
    )
    .unwrap();
    c
}

/// (rows in t, sum of u.n, total bytes of t.v): what every check compares.
fn state(c: &Connection) -> (i64, i64, i64) {
    c.query_row(
        "SELECT (SELECT count(*) FROM t), (SELECT coalesce(sum(n), 0) FROM u), (SELECT coalesce(sum(length(v)), 0) FROM t)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

fn integrity(c: &Connection) {
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
}

/// A copy of the database and its WAL as they are in the file system now, without the `-shm`:
/// opening it recovers the WAL from its frames, as after a crash.
fn crash_copy(from: &Path, to: &Path) -> Connection {
    std::fs::copy(from, to).unwrap();
    std::fs::copy(format!("{}-wal", from.display()), format!("{}-wal", to.display())).unwrap();
    let c = Connection::open(to).unwrap();
    integrity(&c);
    c
}

#[test]
fn each_commit_is_seen_by_another_connection_right_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let w = open_through_vfs(&path);
    let r = Connection::open(&path).unwrap();
    let mut expect = (0, 0, 0);
    for i in 0..400_i64 {
        // Commits of 1 to 40 rows: from a few pages to more than one write of the unix VFS.
        let rows = 1 + (i * 7) % 40;
        let tx = w.unchecked_transaction().unwrap();
        for j in 0..rows {
            let v = vec![u8::try_from((i + j) % 251).unwrap(); 200 + usize::try_from((i * j) % 3000).unwrap()];
            tx.execute("INSERT INTO t (k, v) VALUES (?1, ?2)", params![format!("{i}-{j}"), v]).unwrap();
            expect.2 += i64::try_from(v.len()).unwrap();
        }
        tx.execute("INSERT INTO u (n) VALUES (?1)", [i]).unwrap();
        tx.commit().unwrap();
        expect.0 += rows;
        expect.1 += i;
        assert_eq!(state(&r), expect, "after commit {i}");
    }
    integrity(&r);
    drop(w);
    assert_eq!(state(&Connection::open(&path).unwrap()), expect);
}

#[test]
fn a_copy_of_the_files_after_each_commit_holds_it_even_when_frames_spilled_and_were_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let w = open_through_vfs(&path);
    // A tiny page cache: a transaction larger than it spills frames to the WAL before it
    // commits, and pages it changes again after that are overwritten in place, which makes
    // SQLite rewrite the frame headers' checksums at commit.
    w.pragma_update(None, "cache_size", 8).unwrap();
    let mut expect = (0, 0, 0);
    for round in 0..6_i64 {
        let tx = w.unchecked_transaction().unwrap();
        for j in 0..300_i64 {
            tx.execute("INSERT INTO t (k, v) VALUES (?1, ?2)", params![format!("{round}-{j}"), vec![7u8; 900]]).unwrap();
        }
        // Touch the same pages again, after they spilled.
        tx.execute("UPDATE t SET v = zeroblob(800) WHERE k LIKE ?1", [format!("{round}-%")]).unwrap();
        tx.execute("INSERT INTO u (n) VALUES (?1)", [round]).unwrap();
        tx.commit().unwrap();
        expect = (expect.0 + 300, expect.1 + round, expect.2 + 300 * 800);
        // Right after the commit, before anything else touches the WAL.
        let copy = crash_copy(&path, &dir.path().join(format!("commit{round}")));
        assert_eq!(state(&copy), expect, "the copy after the commit of round {round}");

        // A transaction that spills, then rolls back: nothing of it may show.
        let tx = w.unchecked_transaction().unwrap();
        for j in 0..200_i64 {
            tx.execute("INSERT INTO t (k, v) VALUES (?1, ?2)", params![format!("gone-{round}-{j}"), vec![1u8; 900]]).unwrap();
        }
        tx.rollback().unwrap();

        let copy = crash_copy(&path, &dir.path().join(format!("rollback{round}")));
        assert_eq!(state(&copy), expect, "the copy after the rollback of round {round}");
        assert_eq!(state(&w), expect);
    }
}

#[test]
fn many_small_commits_then_a_crash_copy_and_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let w = open_through_vfs(&path);
    for i in 0..1_000_i64 {
        w.execute("INSERT INTO u (n) VALUES (?1)", [i]).unwrap();
    }
    let expect = (0, (0..1_000).sum(), 0);
    assert_eq!(state(&crash_copy(&path, &dir.path().join("copy"))), expect);
    // A checkpoint that restarts the WAL, then more commits from its start.
    let _: (i64, i64, i64) = w.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    for i in 0..50_i64 {
        w.execute("INSERT INTO u (n) VALUES (?1)", [i]).unwrap();
    }
    let expect = (0, expect.1 + (0..50).sum::<i64>(), 0);
    assert_eq!(state(&crash_copy(&path, &dir.path().join("copy2"))), expect);
    assert_eq!(state(&Connection::open(&path).unwrap()), expect);
}

/// `(rows, rows whose v is zeroed)` of the review's table.
fn zeroed(c: &Connection) -> (i64, i64) {
    c.query_row("SELECT count(*), coalesce(sum(v = zeroblob(500)), 0) FROM r", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap()
}

/// A transaction spills frames through the VFS and rolls back; another writer (SQLite's own
/// VFS) then commits at the same places in the WAL; the first connection reads, or closes.
/// The rolled-back frames must not reach the file after the other writer's commit. With
/// `exclusive`, the first connection is in `locking_mode=EXCLUSIVE`, where SQLite takes no WAL
/// write lock: `locking_mode=NORMAL` and a read release the database file's exclusive lock
/// before the other writer commits.
fn rolled_back_spill_then_another_writer(exclusive: bool, close_first: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let a = open_through_vfs(&path);
    a.execute_batch(
        "CREATE TABLE r (id INTEGER PRIMARY KEY, v BLOB NOT NULL);
         WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 400)
         INSERT INTO r SELECT i, randomblob(500) FROM c;
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .unwrap();
    let locking = |mode: &str| {
        let now: String = a.query_row(&format!("PRAGMA locking_mode = {mode}"), [], |r| r.get(0)).unwrap();
        assert_eq!(now, mode.to_lowercase());
    };
    if exclusive {
        locking("EXCLUSIVE");
    }
    // A tiny page cache: the update spills its pages to the WAL before the rollback.
    a.execute_batch("PRAGMA cache_size = 5; BEGIN; UPDATE r SET v = randomblob(500); ROLLBACK; PRAGMA cache_size = -2000;").unwrap();
    if exclusive {
        locking("NORMAL");
        let _: i64 = a.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).unwrap();
    }
    let b = Connection::open(&path).unwrap();
    b.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    b.execute_batch("UPDATE r SET v = zeroblob(500) WHERE id <= 200").unwrap();
    assert_eq!(zeroed(&b), (400, 200));
    if close_first {
        drop(a);
    } else {
        assert_eq!(zeroed(&a), (400, 200));
    }
    drop(b);
    let fresh = Connection::open(&path).unwrap();
    integrity(&fresh);
    assert_eq!(zeroed(&fresh), (400, 200), "the other writer's commit is intact");
}

#[test]
fn a_rolled_back_spill_never_overwrites_a_later_commit_of_another_writer_when_read_after() {
    rolled_back_spill_then_another_writer(false, false);
}

#[test]
fn a_rolled_back_spill_never_overwrites_a_later_commit_of_another_writer_when_closed_after() {
    rolled_back_spill_then_another_writer(false, true);
}

#[test]
fn in_exclusive_locking_mode_a_rolled_back_spill_never_overwrites_a_later_commit_when_read_after() {
    rolled_back_spill_then_another_writer(true, false);
}

#[test]
fn in_exclusive_locking_mode_a_rolled_back_spill_never_overwrites_a_later_commit_when_closed_after() {
    rolled_back_spill_then_another_writer(true, true);
}

#[test]
fn sector_padding_under_synchronous_full_is_written_before_each_commit_is_seen() {
    // `psow=0` makes SQLite pad each commit to the sector boundary with copies of its last
    // frame, and split the last pad page at the sync point: with pages smaller than the sector,
    // a split can leave a 24-byte piece of a page that looks like a frame header.
    for page in [512, 1024, 2048] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let uri = format!("file:{}?psow=0", path.display());
        let flags = OpenFlags::default() | OpenFlags::SQLITE_OPEN_URI;
        let a = Connection::open_with_flags_and_vfs(&uri, flags, deploygov_walvfs::name().unwrap()).unwrap();
        a.execute_batch(&format!(
            "PRAGMA page_size = {page}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE u (id INTEGER PRIMARY KEY, n INTEGER); CREATE TABLE u2 (n); CREATE TABLE u3 (n);
             INSERT INTO u2 VALUES (0); INSERT INTO u3 VALUES (0);"
        ))
        .unwrap();
        let reader = Connection::open(&path).unwrap();
        let frame = u64::try_from(page + 24).unwrap();
        for i in 0..400_i64 {
            let tx = a.unchecked_transaction().unwrap();
            tx.execute("INSERT INTO u (n) VALUES (?1)", [i]).unwrap();
            if i % 3 >= 1 {
                tx.execute("UPDATE u2 SET n = n + 1", []).unwrap();
            }
            if i % 3 >= 2 {
                tx.execute("UPDATE u3 SET n = n + 1", []).unwrap();
            }
            tx.commit().unwrap();
            let wal = std::fs::metadata(format!("{}-wal", path.display())).unwrap().len();
            assert_eq!((wal - 32) % frame, 0, "page {page}, commit {i}: the WAL ends inside a frame ({wal} bytes)");
            let seen: (i64, i64) = reader.query_row("SELECT count(*), sum(n) FROM u", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            assert_eq!(seen, (i + 1, i * (i + 1) / 2), "page {page}, commit {i}");
        }
        integrity(&reader);
    }
}
