//! SQLite statements for the outbox (`events_after` and friends): since migration 11 two tables,
//! `events` (what was written before it, read-only) and `outbox` (every event since), read as one
//! sequence (schema_11_outbox.sql).

use rusqlite::{Connection, params};

use super::sqlite_tx::{from_doc, from_micros, micros};
use crate::error::Result;
use crate::events::{Event, NewEvent};

/// A page of the outbox from each of its tables, in `seq` order: `events` holds what was written
/// before SQLite migration 11 and takes no more rows; `outbox` holds every event since, each
/// `seq` above all of `events`' (schema_11_outbox.sql).
const PAGES: [&str; 2] = [
    "SELECT seq, id, at, kind, project_id, object_type, object_id, actor_id, payload FROM events
     WHERE (?1 IS NULL OR project_id = ?1) AND seq > ?2 ORDER BY seq LIMIT ?3",
    "SELECT seq, id, at, kind, project_id, object_type, object_id, actor_id, payload FROM outbox
     WHERE (?1 IS NULL OR project_id = ?1) AND seq > ?2 ORDER BY seq LIMIT ?3",
];

/// Appends an event. Its seq is one more than the larger of the newest in `outbox` and the last
/// `events` handed out (the migration's INVARIANT).
const INSERT: &str = "INSERT INTO outbox (seq, id, at, kind, project_id, object_type, object_id, actor_id, payload)
     VALUES (MAX(COALESCE((SELECT MAX(seq) FROM outbox), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)) + 1,
             ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Appends `e` (see [`INSERT`]); returns its seq.
pub(super) fn insert(c: &Connection, e: &NewEvent<'_>) -> Result<i64> {
    super::check_stored_text("a record", e.payload)?;
    c.prepare_cached(INSERT)?.execute(params![
        e.id,
        micros(e.at),
        e.kind,
        e.project_id,
        e.object_type,
        e.object_id,
        e.actor_id,
        e.payload
    ])?;
    Ok(c.last_insert_rowid())
}

/// Up to `limit` events after `after` (of `project`, or all), in `seq` order.
pub(super) fn after(c: &Connection, project: Option<&str>, after: i64, limit: u32) -> Result<Vec<Event>> {
    let mut rows = Vec::new();
    for sql in PAGES {
        let left = u32::try_from(rows.len()).map_or(0, |n| limit.saturating_sub(n));
        if left == 0 {
            break;
        }
        let mut st = c.prepare_cached(sql)?;
        let found = st.query_map(params![project, after, left], |r| {
            Ok((
                Event {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    at: from_micros(r.get(2)?)?,
                    kind: r.get(3)?,
                    project_id: r.get(4)?,
                    object_type: r.get(5)?,
                    object_id: r.get(6)?,
                    actor_id: r.get(7)?,
                    payload: serde_json::Value::Null,
                    signature: None,
                },
                r.get::<_, String>(8)?,
            ))
        })?;
        rows.extend(found.collect::<rusqlite::Result<Vec<_>>>()?);
    }
    rows.into_iter()
        .map(|(mut e, payload)| {
            e.payload = from_doc(&payload)?;
            Ok(e)
        })
        .collect()
}

/// The newest event's seq, 0 when there is none.
pub(super) fn last_seq(c: &Connection) -> Result<i64> {
    let mut st = c.prepare_cached("SELECT MAX(COALESCE((SELECT MAX(seq) FROM outbox), 0), COALESCE((SELECT MAX(seq) FROM events), 0))")?;
    Ok(st.query_row([], |r| r.get(0))?)
}
