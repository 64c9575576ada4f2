//! SQLite migration 12 (`schema_12_in_flight_or.sql`, `sqlite_migrate.rs`): the partial index of
//! deployments in flight gets its condition as comparisons. The index migration 6 made is edited in
//! the schema, not built again (unit test in `sqlite_migrate.rs`); any other is built again.
//! Either way it must hold the same entries as before, follow the statuses after, and pass
//! SQLite's integrity check.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use common::*;
use deploygov::*;

/// The in-flight index as migration 6 made it.
const MIGRATION_6_INDEX: &str =
    "CREATE INDEX deployments_in_flight ON deployments(status, id) WHERE status IN ('pending', 'approved', 'deploying', 'paused')";

const IN_FLIGHT: &str = "status = 'pending' OR status = 'approved' OR status = 'deploying' OR status = 'paused'";

/// The ids the in-flight index holds, read through it.
fn indexed(conn: &rusqlite::Connection) -> Vec<String> {
    let sql = format!("SELECT id FROM deployments INDEXED BY deployments_in_flight WHERE ({IN_FLIGHT}) ORDER BY id");
    conn.prepare(&sql).unwrap().query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

/// The index's text in the schema.
fn schema_sql(conn: &rusqlite::Connection) -> String {
    conn.query_row("SELECT sql FROM sqlite_schema WHERE name = 'deployments_in_flight'", [], |r| r.get(0)).unwrap()
}

/// A store at migration 11 whose in-flight index was created by `create`, holding pending,
/// approved and deployed deployments; returns the ids in flight.
fn store_at_11(path: &str, create: &str) -> Vec<String> {
    let e = file_engine(path, &clock());
    setup(&e);
    let mut want = Vec::new();
    for i in 0..6 {
        register(&e, "prompt", &format!("p{i}"), "1.0.0");
        let d = e.request_deployment(P, &request("staging", vec![item("prompt", &format!("p{i}"), "1.0.0")]), &developer("dave")).unwrap();
        match i % 3 {
            0 => want.push(d.id),
            1 => want.push(approve(&e, &d.id, &lead("lena")).id),
            _ => {
                approve(&e, &d.id, &lead("lena"));
                execute(&e, &d.id, &lead("lena"));
            }
        }
    }
    want.sort();
    drop(e);
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!("DROP INDEX deployments_in_flight; {create}; PRAGMA user_version = 11;")).unwrap();
    want
}

/// Opens the store (migrating it) and checks the index.
fn migrate_and_check(path: &str, want: &[String]) {
    let e = file_engine(path, &clock());
    let conn = rusqlite::Connection::open(path).unwrap();
    assert_eq!(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), 12);
    let sql = schema_sql(&conn);
    assert!(sql.ends_with(&format!("WHERE {IN_FLIGHT}")), "{sql}");
    assert_eq!(indexed(&conn), want);
    assert_eq!(conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    // The index follows the statuses after the migration: the first one goes live and leaves it.
    let first = &want[0];
    if e.get_deployment(P, first).unwrap().status == DeploymentStatus::Pending {
        approve(&e, first, &lead("lena"));
    }
    execute(&e, first, &lead("lena"));
    assert_eq!(indexed(&conn), want[1..]);
    assert_eq!(conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
}

#[test]
fn migration_6_s_index_keeps_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gov.db");
    let path = path.to_str().unwrap();
    let want = store_at_11(path, MIGRATION_6_INDEX);
    migrate_and_check(path, &want);
}

#[test]
fn another_index_of_that_name_is_built_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gov.db");
    let path = path.to_str().unwrap();
    // The same index created with other spacing: not migration 6's text, so not edited.
    let create =
        "CREATE INDEX deployments_in_flight ON deployments (status, id) WHERE status IN ('pending','approved','deploying','paused')";
    let want = store_at_11(path, create);
    migrate_and_check(path, &want);
}

/// Opening an old file while another process writes waits for the write to end (the busy
/// timeout), and migrates then. Each migration's transaction takes the write lock first: a
/// transaction that reads first and then meets the lock fails at once, and the open gave up after
/// its retries (about a second).
#[test]
fn opening_while_another_process_writes_waits_and_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gov.db");
    let path = path.to_str().unwrap().to_owned();
    let want = store_at_11(&path, MIGRATION_6_INDEX);
    let writer = rusqlite::Connection::open(&path).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let holder = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1_500));
        writer.execute_batch("COMMIT").unwrap();
    });
    let started = std::time::Instant::now();
    migrate_and_check(&path, &want);
    assert!(started.elapsed() >= std::time::Duration::from_millis(1_000), "it waited for the writer: {:?}", started.elapsed());
    holder.join().unwrap();
}
