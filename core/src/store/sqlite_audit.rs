//! SQLite statements for the audit trail (`audit_log` and its head, `audit_head`), called by
//! the transaction's `StoreTx` methods in `sqlite_tx.rs`.

use std::cell::Cell;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::sqlite_tx::unique;
use crate::audit::{AuditEntry, StoredEntry};
use crate::error::Result;

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(AuditEntry, String, String, String)> {
    let e = AuditEntry {
        seq: r.get(0)?,
        at: DateTime::<Utc>::UNIX_EPOCH,
        actor_id: r.get(2)?,
        action: r.get(3)?,
        project_id: r.get(4)?,
        object_type: r.get(5)?,
        object_id: r.get(6)?,
        before: serde_json::Value::Null,
        after: serde_json::Value::Null,
        reason: r.get(9)?,
        prev_hash: r.get(10)?,
        hash: r.get(11)?,
    };
    Ok((e, r.get(1)?, r.get(7)?, r.get(8)?))
}

const AUDIT_COLS: &str = "seq, at, actor_id, action, project_id, object_type, object_id, before, after, reason, prev_hash, hash";

/// Appends an audit row (the columns of [`AUDIT_COLS`]).
const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (seq, at, actor_id, action, project_id, object_type, object_id, before, after, reason, prev_hash, hash)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

/// Finishes rows read by [`audit_row`]: parses the timestamp and the before/after JSON.
///
/// INVARIANT: an unreadable field is kept as its raw text (timestamp: the epoch), which can never
/// hash to the stored value, so verification reports the row at its own position in the chain.
fn audit_finish(rows: Vec<(AuditEntry, String, String, String)>) -> Result<Vec<AuditEntry>> {
    Ok(rows
        .into_iter()
        .map(|(mut e, at, before, after)| {
            e.at = DateTime::parse_from_rfc3339(&at).map(|t| t.with_timezone(&Utc)).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
            e.before = serde_json::from_str(&before).unwrap_or(serde_json::Value::String(before));
            e.after = serde_json::from_str(&after).unwrap_or(serde_json::Value::String(after));
            e
        })
        .collect())
}

/// The chain's head: the last entry's seq and hash.
pub(super) fn head(c: &Connection) -> Result<Option<(i64, String)>> {
    let mut st = c.prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?;
    Ok(st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
}

/// Appends an entry (as its stored text) and moves the head to it.
pub(super) fn insert(c: &Connection, e: &StoredEntry<'_>) -> Result<()> {
    e.check_text()?;
    c.prepare_cached(INSERT_AUDIT)?
        .execute(params![
            e.seq,
            e.at,
            e.actor_id,
            e.action,
            e.project_id,
            e.object_type,
            e.object_id,
            e.before,
            e.after,
            e.reason,
            e.prev_hash,
            e.hash
        ])
        .map_err(|err| unique(err, || format!("audit entry {} was written concurrently", e.seq)))?;
    c.prepare_cached(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![e.seq, e.hash])?;
    Ok(())
}

/// Entries after `after`, in order, at most `limit`, parsed.
pub(super) fn page(c: &Connection, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
    let mut st = c.prepare_cached(&format!("SELECT {AUDIT_COLS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"))?;
    let rows = st.query_map(params![after, limit], audit_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    audit_finish(rows)
}

/// The same entries as [`page`], as stored (borrowed text), each passed to `f`.
pub(super) fn scan(c: &Connection, after: i64, limit: u32, f: &mut dyn FnMut(&StoredEntry<'_>) -> Result<()>) -> Result<u32> {
    let mut st = c.prepare_cached(&format!("SELECT {AUDIT_COLS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"))?;
    let mut rows = st.query(params![after, limit])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        // Borrowed text. A column of another type (tampering) reads as empty or null and
        // blanks the stored hash, which no entry hashes to, so verification names this row.
        let typed = Cell::new(true);
        let text = |i: usize| {
            r.get_ref(i).ok().and_then(|v| v.as_str().ok()).unwrap_or_else(|| {
                typed.set(false);
                ""
            })
        };
        let opt = |i: usize| {
            r.get_ref(i).ok().and_then(|v| v.as_str_or_null().ok()).unwrap_or_else(|| {
                typed.set(false);
                None
            })
        };
        let mut e = StoredEntry {
            seq: r.get(0)?,
            at: text(1),
            actor_id: text(2),
            action: text(3),
            project_id: opt(4),
            object_type: text(5),
            object_id: text(6),
            before: text(7),
            after: text(8),
            reason: opt(9),
            prev_hash: text(10),
            hash: text(11),
        };
        if !typed.get() {
            e.hash = "";
        }
        f(&e)?;
        n += 1;
    }
    Ok(n)
}

/// Entries of a project (optionally one object) after `after`, in order, parsed.
pub(super) fn for_object(c: &Connection, project: &str, object_id: Option<&str>, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {AUDIT_COLS} FROM audit_log WHERE project_id = ?1 AND (?2 IS NULL OR object_id = ?2) AND seq > ?3 ORDER BY seq LIMIT ?4"
    ))?;
    let rows = st.query_map(params![project, object_id, after, limit], audit_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    audit_finish(rows)
}
