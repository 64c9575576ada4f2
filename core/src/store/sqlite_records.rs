//! SQLite statements for governed records and stage logs (migration 4).

use rusqlite::{Connection, OptionalExtension, params};

use super::sqlite_tx::from_micros;
use super::{LogLine, Record};
use crate::error::Result;

fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record { project_id: r.get(0)?, kind: r.get(1)?, id: r.get(2)?, scope: r.get(3)?, doc: r.get(4)? })
}

pub(super) fn put(c: &Connection, r: &Record) -> Result<()> {
    c.prepare_cached("INSERT OR REPLACE INTO records (project_id, kind, id, scope, doc) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![
        r.project_id,
        r.kind,
        r.id,
        r.scope,
        r.doc
    ])?;
    Ok(())
}

pub(super) fn get(c: &Connection, project: &str, kind: &str, id: &str) -> Result<Option<Record>> {
    let mut st =
        c.prepare_cached("SELECT project_id, kind, id, scope, doc FROM records WHERE project_id = ?1 AND kind = ?2 AND id = ?3")?;
    Ok(st.query_row(params![project, kind, id], record_row).optional()?)
}

pub(super) fn delete(c: &Connection, project: &str, kind: &str, id: &str) -> Result<bool> {
    let n = c.prepare_cached("DELETE FROM records WHERE project_id = ?1 AND kind = ?2 AND id = ?3")?.execute(params![project, kind, id])?;
    Ok(n > 0)
}

pub(super) fn list(
    c: &Connection,
    project: &str,
    kind: &str,
    scope: Option<&str>,
    after_id: Option<&str>,
    limit: u32,
) -> Result<Vec<Record>> {
    let after = after_id.unwrap_or("");
    let rows = match scope {
        Some(scope) => {
            let mut st = c.prepare_cached(
                "SELECT project_id, kind, id, scope, doc FROM records
                 WHERE project_id = ?1 AND kind = ?2 AND scope = ?3 AND id > ?4 ORDER BY id LIMIT ?5",
            )?;
            st.query_map(params![project, kind, scope, after, limit], record_row)?.collect::<rusqlite::Result<Vec<_>>>()?
        }
        None => {
            let mut st = c.prepare_cached(
                "SELECT project_id, kind, id, scope, doc FROM records
                 WHERE project_id = ?1 AND kind = ?2 AND id > ?3 ORDER BY id LIMIT ?4",
            )?;
            st.query_map(params![project, kind, after, limit], record_row)?.collect::<rusqlite::Result<Vec<_>>>()?
        }
    };
    Ok(rows)
}

pub(super) fn append_log(c: &Connection, project: &str, deployment_id: &str, at: i64, stage: &str, line: &str) -> Result<i64> {
    c.prepare_cached("INSERT INTO deployment_logs (project_id, deployment_id, at, stage, line) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![project, deployment_id, at, stage, line])?;
    Ok(c.last_insert_rowid())
}

pub(super) fn logs(c: &Connection, project: &str, deployment_id: &str, after_seq: i64, limit: u32) -> Result<Vec<LogLine>> {
    let mut st = c.prepare_cached(
        "SELECT seq, at, stage, line FROM deployment_logs
         WHERE project_id = ?1 AND deployment_id = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
    )?;
    let rows = st.query_map(params![project, deployment_id, after_seq, limit], |r| {
        Ok(LogLine { seq: r.get(0)?, at: from_micros(r.get(1)?)?, stage: r.get(2)?, line: r.get(3)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn trim_logs(c: &Connection, project: &str, deployment_id: &str, count: u32) -> Result<u64> {
    // The oldest `count` lines go: a range at the start of (project, deployment, seq).
    let n = c
        .prepare_cached(
            "DELETE FROM deployment_logs WHERE seq IN (
                SELECT seq FROM deployment_logs WHERE project_id = ?1 AND deployment_id = ?2 ORDER BY seq LIMIT ?3)",
        )?
        .execute(params![project, deployment_id, count])?;
    Ok(u64::try_from(n).unwrap_or(u64::MAX))
}
