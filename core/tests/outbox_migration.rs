//! SQLite migration 11 (`schema_11_outbox.sql`): events written before it stay in `events`, new
//! ones go to `outbox`, and the outbox reads as one sequence across both, in which no seq is ever
//! handed out twice. A commit that appends an event writes neither `sqlite_sequence` nor a unique
//! index on the event's id.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use common::*;
use deploygov::*;

/// A SQLite file at migration 10 (what deploygov wrote before `outbox`) with three events: seqs 1
/// to 3, of projects `a`, `b` and `a`.
fn sqlite_at_version_10(path: &std::path::Path) -> rusqlite::Connection {
    let files = [
        include_str!("../src/store/schema.sql"),
        include_str!("../src/store/schema_2_events.sql"),
        include_str!("../src/store/schema_3_time.sql"),
        include_str!("../src/store/schema_4_records.sql"),
        include_str!("../src/store/schema_5_history_at.sql"),
        include_str!("../src/store/schema_6_status_sweep.sql"),
        include_str!("../src/store/schema_7_history_people.sql"),
        include_str!("../src/store/schema_8_history_entities.sql"),
        include_str!("../src/store/schema_9_snapshots.sql"),
        include_str!("../src/store/schema_10_snapshot_edits.sql"),
    ];
    let migrations = rusqlite_migration::Migrations::new(files.into_iter().map(rusqlite_migration::M::up).collect());
    let mut conn = rusqlite::Connection::open(path).unwrap();
    migrations.to_latest(&mut conn).unwrap();
    for (k, project) in ["a", "b", "a"].into_iter().enumerate() {
        conn.execute(
            "INSERT INTO events (id, at, kind, project_id, object_type, object_id, actor_id, payload)
             VALUES (?1, 1700000000000000, 'project.created', ?2, 'project', ?2, 'ci', ?3)",
            rusqlite::params![format!("old-{k}"), project, format!("{{\"n\":{k}}}")],
        )
        .unwrap();
    }
    conn
}

fn seqs(events: &[Event]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

fn names(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    conn.prepare(sql).unwrap().query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn events_before_migration_11_read_first_and_new_ones_continue_the_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    drop(sqlite_at_version_10(&path));
    let e = Engine::open(path.to_str().unwrap()).unwrap();

    let conn = rusqlite::Connection::open(&path).unwrap();
    // Migrated to the latest (12 rebuilt the in-flight index, `in_flight_migration.rs`).
    assert_eq!(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), 12);
    // Nothing was copied: the old events stay where they are.
    assert_eq!(names(&conn, "SELECT id FROM events ORDER BY seq"), ["old-0", "old-1", "old-2"]);
    assert_eq!(names(&conn, "SELECT id FROM outbox ORDER BY seq"), Vec::<String>::new());
    assert_eq!(
        names(&conn, "SELECT name FROM sqlite_master WHERE tbl_name = 'outbox' ORDER BY name"),
        ["outbox", "outbox_by_project", "outbox_keeps_newest"]
    );

    let old = e.events_after(None, 0, None).unwrap();
    assert_eq!(seqs(&old), [1, 2, 3]);
    assert_eq!(old.iter().map(|ev| ev.payload["n"].as_i64().unwrap()).collect::<Vec<_>>(), [0, 1, 2]);

    e.create_project("c", "acme", "C", &admin("ci")).unwrap();
    let all = e.events_after(None, 0, None).unwrap();
    assert_eq!(seqs(&all), [1, 2, 3, 4]);
    assert_eq!(all[3].project_id.as_deref(), Some("c"));
    assert_eq!(all[3].kind, "project.created");

    // Pages across the two tables: a limit met in `events`, one spanning both, a cursor past
    // `events`, and a project's events.
    assert_eq!(seqs(&e.events_after(None, 0, Some(2)).unwrap()), [1, 2]);
    assert_eq!(seqs(&e.events_after(None, 1, Some(2)).unwrap()), [2, 3]);
    assert_eq!(seqs(&e.events_after(None, 2, Some(5)).unwrap()), [3, 4]);
    assert_eq!(seqs(&e.events_after(None, 4, Some(5)).unwrap()), Vec::<i64>::new());
    assert_eq!(seqs(&e.events_after(Some("a"), 0, None).unwrap()), [1, 3]);
    assert_eq!(seqs(&e.events_after(Some("a"), 1, Some(1)).unwrap()), [3]);
    assert_eq!(seqs(&e.events_after(Some("b"), 0, None).unwrap()), [2]);
    assert_eq!(seqs(&e.events_after(Some("c"), 0, None).unwrap()), [4]);

    // An appended event wrote no `sqlite_sequence` row and is not in `events`.
    assert_eq!(names(&conn, "SELECT name FROM sqlite_sequence WHERE name IN ('events', 'outbox') ORDER BY name"), ["events"]);
    assert_eq!(conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0)).unwrap(), 3);

    // An engine from before the migration (here its statement) can no longer append to `events`.
    let err = conn
        .execute(
            "INSERT INTO events (id, at, kind, project_id, object_type, object_id, actor_id, payload)
             VALUES ('late', 1700000000000000, 'project.created', 'a', 'project', 'a', 'ci', '{}')",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("read-only since migration 11"), "{err}");
    assert_eq!(seqs(&e.events_after(None, 0, None).unwrap()), [1, 2, 3, 4]);

    // Opening again finds nothing to do and moves nothing.
    drop(e);
    let e = Engine::open(path.to_str().unwrap()).unwrap();
    assert_eq!(seqs(&e.events_after(None, 0, None).unwrap()), [1, 2, 3, 4]);
}

#[test]
fn a_new_store_appends_to_outbox_from_seq_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let e = Engine::open(path.to_str().unwrap()).unwrap();
    assert!(e.events_after(None, 0, None).unwrap().is_empty());
    e.create_project("p", "acme", "P", &admin("ci")).unwrap();
    e.create_project("q", "acme", "Q", &admin("ci")).unwrap();
    assert_eq!(seqs(&e.events_after(None, 0, None).unwrap()), [1, 2]);
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
    assert_eq!(names(&conn, "SELECT name FROM sqlite_sequence WHERE name IN ('events', 'outbox')"), Vec::<String>::new());
}

/// An operator may have trimmed the newest events before the migration: AUTOINCREMENT never
/// handed their seqs out again, and neither does `outbox`.
#[test]
fn seqs_of_events_deleted_before_migration_11_are_not_handed_out_again() {
    for keep in ["seq < 2", "0"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let conn = sqlite_at_version_10(&path);
        conn.execute(&format!("DELETE FROM events WHERE NOT ({keep})"), []).unwrap();
        drop(conn);
        let e = Engine::open(path.to_str().unwrap()).unwrap();
        e.create_project("c", "acme", "C", &admin("ci")).unwrap();
        let all = e.events_after(None, 0, None).unwrap();
        assert_eq!(all.last().map(|ev| (ev.seq, ev.kind.as_str())), Some((4, "project.created")), "kept {keep}");
        assert!(e.events_after(None, 3, None).unwrap().iter().all(|ev| ev.seq == 4));
    }
}

/// The newest event carries the sequence, so it cannot be deleted; older ones can (trimming what
/// was delivered), and the next event still gets the next seq.
#[test]
fn the_newest_event_cannot_be_deleted_and_older_ones_can() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let e = Engine::open(path.to_str().unwrap()).unwrap();
    for p in ["p", "q", "r"] {
        e.create_project(p, "acme", "P", &admin("ci")).unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let err = conn.execute("DELETE FROM outbox", []).unwrap_err();
    assert!(err.to_string().contains("the newest event carries the outbox's sequence"), "{err}");
    assert_eq!(seqs(&e.events_after(None, 0, None).unwrap()), [1, 2, 3]);
    assert_eq!(conn.execute("DELETE FROM outbox WHERE seq < 3", []).unwrap(), 2);
    e.create_project("s", "acme", "S", &admin("ci")).unwrap();
    assert_eq!(seqs(&e.events_after(None, 0, None).unwrap()), [3, 4]);
}
