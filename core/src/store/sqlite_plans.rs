//! The query plans the engine's performance rests on, checked with `EXPLAIN QUERY PLAN` on a
//! connection set up like the store's (`tune`: plans independent of bound values). A plan that
//! falls back to a scan or a sort would still give right answers, only slowly; these tests say so.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use rusqlite::Connection;

use super::SqliteStore;
use super::sqlite::tune;
use super::sqlite_snapshots::{ACTIVE_AT, CHANGES_BETWEEN, COUNT_BETWEEN, ENTRIES, SNAPSHOT_AT};
use super::sqlite_tx::{IN_FLIGHT, INSERT_DEPLOYMENT, UPDATE_DEPLOYMENT, UPDATE_DEPLOYMENT_STATUS};

/// A connection, set up like the store's, to a migrated file in `dir`.
fn migrated(dir: &tempfile::TempDir) -> Connection {
    let path = dir.path().join("plans.db");
    drop(SqliteStore::open(path.to_str().unwrap()).unwrap());
    let conn = Connection::open(&path).unwrap();
    tune(&conn).unwrap();
    conn
}

/// The plan of `sql` (one line per step) on a migrated file.
fn plan(sql: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let conn = migrated(&dir);
    let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    // The plan does not depend on the values (`tune`); NULLs stand for them.
    let nulls = vec![rusqlite::types::Null; st.parameter_count()];
    st.query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn the_sweep_reads_the_in_flight_index() {
    let steps = plan(IN_FLIGHT);
    assert_eq!(steps, ["SEARCH deployments USING INDEX deployments_in_flight (status=? AND id>?)"], "{steps:?}");
}

/// The instructions (opcode names) of `sql` on `conn`.
fn ops(conn: &Connection, sql: &str) -> Vec<String> {
    let mut st = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
    let nulls = vec![rusqlite::types::Null; st.parameter_count()];
    st.query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(1)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

/// Writing a deployment evaluates the partial indexes' conditions for the old and the new row.
/// Migration 12 wrote `deployments_in_flight`'s as comparisons: an `IN` list of more than two
/// constants is evaluated through a temporary B-tree built on every run (`OpenEphemeral`). Checked
/// on a connection opened after the migration, and on the connection that ran it (a `:memory:`
/// store migrates from the start): it must read the edited schema too.
#[test]
fn writing_a_deployment_builds_no_temporary_b_tree() {
    let dir = tempfile::tempdir().unwrap();
    let reopened = migrated(&dir);
    let memory = SqliteStore::open(":memory:").unwrap();
    for (sql, writes_indexes) in [(INSERT_DEPLOYMENT, true), (UPDATE_DEPLOYMENT, false), (UPDATE_DEPLOYMENT_STATUS, true)] {
        for ops in [ops(&reopened, sql), memory.with_writer(|c| ops(c, sql))] {
            assert_eq!(ops.iter().any(|o| o == "IdxInsert"), writes_indexes, "{sql}: {ops:?}");
            assert!(!ops.iter().any(|o| o == "OpenEphemeral"), "{sql}: {ops:?}");
        }
    }
}

#[test]
fn the_state_at_an_instant_seeks_once_per_entity() {
    let steps = plan(ACTIVE_AT);
    assert!(steps.iter().all(|s| !s.starts_with("SCAN") && !s.contains("TEMP B-TREE")), "{steps:?}");
    assert!(steps.iter().any(|s| s.contains("SEARCH e USING PRIMARY KEY (project_id=? AND environment=?)")), "{steps:?}");
    assert!(steps.iter().any(|s| s.contains("USING COVERING INDEX history_by_env_at")), "{steps:?}");
}

#[test]
fn the_state_at_an_instant_reads_a_snapshot_and_one_range_of_changes() {
    let steps = plan(SNAPSHOT_AT);
    assert_eq!(steps, ["SEARCH state_snapshots USING PRIMARY KEY (project_id=? AND environment=? AND at<?)"], "{steps:?}");
    let steps = plan(ENTRIES);
    assert_eq!(steps, ["SEARCH snapshot_entries USING PRIMARY KEY (project_id=? AND environment=? AND snapshot_at=?)"], "{steps:?}");
    let steps = plan(CHANGES_BETWEEN);
    assert_eq!(
        steps,
        ["SEARCH activation_history USING INDEX history_by_env_time (project_id=? AND environment=? AND at>? AND at<?)"],
        "{steps:?}"
    );
    let steps = plan(COUNT_BETWEEN);
    assert!(steps.iter().all(|s| !s.starts_with("SCAN activation_history") && !s.contains("TEMP B-TREE")), "{steps:?}");
    assert!(
        steps.iter().any(|s| s.contains("USING COVERING INDEX history_by_env_time (project_id=? AND environment=? AND at>? AND at<?)")),
        "{steps:?}"
    );
}
