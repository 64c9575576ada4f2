//! Migrations of the SQLite store that are more than a SQL script.

use rusqlite::Transaction;
use rusqlite_migration::HookResult;

/// `deployments_in_flight` as migration 6 made it (its text in `sqlite_schema`).
const IN_FLIGHT_6: &str =
    "CREATE INDEX deployments_in_flight ON deployments(status, id) WHERE status IN ('pending', 'approved', 'deploying', 'paused')";

/// `deployments_in_flight` since migration 12: the same rows, selected by comparisons.
const IN_FLIGHT_12: &str = "CREATE INDEX deployments_in_flight ON deployments(status, id)
    WHERE status = 'pending' OR status = 'approved' OR status = 'deploying' OR status = 'paused'";

/// Migration 12 (`schema_12_in_flight_or.sql` says why): the in-flight index's condition is
/// rewritten in the schema, and the index is not built again.
///
/// INVARIANT: both conditions hold for exactly the same rows (`status` is `TEXT NOT NULL`, both
/// compare with the binary collation), so every entry of the index stays right. This is SQLite's
/// documented procedure for a schema change that does not change what is stored
/// (<https://www.sqlite.org/lang_altertable.html#otheralter>): `writable_schema`, the new text,
/// then a new `schema_version`, so that every other connection reads the schema again, and
/// `writable_schema = RESET`, so that this one does too (setting `schema_version` also sets its
/// own cached copy). `writable_schema` is reset on every path: it belongs to the connection, and a
/// rollback would not undo it. When the index is not exactly migration 6's, nothing is edited and
/// the script builds it again instead, unless another process already migrated it (it read the
/// schema version before this one committed).
pub(super) fn in_flight_as_comparisons(tx: &Transaction<'_>) -> HookResult {
    let stored: Option<String> =
        tx.query_row("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'deployments_in_flight'", [], |r| r.get(0)).ok();
    match stored.as_deref() {
        Some(IN_FLIGHT_12) => return Ok(()),
        Some(IN_FLIGHT_6) => {}
        _ => {
            tx.execute_batch(include_str!("schema_12_in_flight_or.sql"))?;
            return Ok(());
        }
    }
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.pragma_update(None, "writable_schema", true)?;
    let edited = (|| -> HookResult {
        let n = tx.execute(
            "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'index' AND name = 'deployments_in_flight' AND sql = ?2",
            [IN_FLIGHT_12, IN_FLIGHT_6],
        )?;
        if n != 1 {
            return Err(rusqlite_migration::HookError::Hook("the in-flight index changed while it was migrated".into()));
        }
        tx.pragma_update(None, "schema_version", version + 1)?;
        Ok(())
    })();
    let reset = tx.pragma_update(None, "writable_schema", "RESET");
    edited?;
    reset?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    /// A table of two deployments (one in flight) whose `deployments_in_flight` has the text
    /// `sql` but no entry at all: an index only an edit of its text leaves empty, and that a
    /// rebuild fills.
    fn with_empty_index(sql: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE deployments (id TEXT PRIMARY KEY, status TEXT NOT NULL);
             INSERT INTO deployments VALUES ('a', 'pending'), ('b', 'deployed');
             CREATE INDEX deployments_in_flight ON deployments(status, id) WHERE status = 'none';",
        )
        .unwrap();
        let version: i64 = conn.query_row("PRAGMA schema_version", [], |r| r.get(0)).unwrap();
        conn.pragma_update(None, "writable_schema", true).unwrap();
        conn.execute("UPDATE sqlite_schema SET sql = ?1 WHERE name = 'deployments_in_flight'", [sql]).unwrap();
        conn.pragma_update(None, "schema_version", version + 1).unwrap();
        conn.pragma_update(None, "writable_schema", false).unwrap();
        conn
    }

    /// (the index's text, its entries) after the migration.
    fn migrated(mut conn: Connection) -> (String, i64) {
        let tx = conn.transaction().unwrap();
        in_flight_as_comparisons(&tx).unwrap();
        tx.commit().unwrap();
        let sql = conn.query_row("SELECT sql FROM sqlite_schema WHERE name = 'deployments_in_flight'", [], |r| r.get(0)).unwrap();
        let entries = conn
            .query_row(
                "SELECT COUNT(*) FROM deployments INDEXED BY deployments_in_flight
                 WHERE status = 'pending' OR status = 'approved' OR status = 'deploying' OR status = 'paused'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (sql, entries)
    }

    #[test]
    fn migration_6_s_index_is_edited_not_built_again() {
        assert_eq!(migrated(with_empty_index(IN_FLIGHT_6)), (IN_FLIGHT_12.to_owned(), 0));
    }

    #[test]
    fn an_index_another_process_migrated_is_left_as_it_is() {
        // Edited to migration 12's text, still without entries: a rebuild would fill it.
        assert_eq!(migrated(with_empty_index(IN_FLIGHT_12)), (IN_FLIGHT_12.to_owned(), 0));
    }

    #[test]
    fn another_index_of_that_name_is_built_again() {
        let other = IN_FLIGHT_6.replace("(status, id)", "(status,id)");
        assert_eq!(migrated(with_empty_index(&other)), (IN_FLIGHT_12.to_owned(), 1));
    }

    /// The fallback script creates the index with the text the edit writes, so a store gets the
    /// same schema either way.
    #[test]
    fn the_edit_and_the_fallback_give_the_same_index() {
        let script = include_str!("schema_12_in_flight_or.sql");
        let created = script.lines().skip_while(|l| !l.starts_with("CREATE INDEX")).collect::<Vec<_>>().join("\n");
        assert_eq!(created.trim_end_matches(';'), IN_FLIGHT_12);
        assert!(include_str!("schema_6_status_sweep.sql").contains(&format!("{IN_FLIGHT_6};")));
    }
}
