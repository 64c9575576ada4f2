//! PostgreSQL statements for governed records and stage logs (as `sqlite_records.rs`).

use ::postgres::Row;

use super::postgres_tx::{PgTx, from_micros, lim};
use super::{LogLine, Record};
use crate::error::Result;

fn record_row(r: &Row) -> Result<Record> {
    Ok(Record { project_id: r.try_get(0)?, kind: r.try_get(1)?, id: r.try_get(2)?, scope: r.try_get(3)?, doc: r.try_get(4)? })
}

pub(super) fn put(tx: &PgTx<'_>, r: &Record) -> Result<()> {
    // SQLite's `INSERT OR REPLACE`.
    tx.exec(
        "INSERT INTO records (project_id, kind, id, scope, doc) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (project_id, kind, id) DO UPDATE SET scope = excluded.scope, doc = excluded.doc",
        &[&r.project_id, &r.kind, &r.id, &r.scope, &r.doc],
    )?;
    Ok(())
}

pub(super) fn get(tx: &PgTx<'_>, project: &str, kind: &str, id: &str) -> Result<Option<Record>> {
    let row = tx.row(
        "SELECT project_id, kind, id, scope, doc FROM records WHERE project_id = $1 AND kind = $2 AND id = $3",
        &[&project, &kind, &id],
    )?;
    row.as_ref().map(record_row).transpose()
}

pub(super) fn delete(tx: &PgTx<'_>, project: &str, kind: &str, id: &str) -> Result<bool> {
    Ok(tx.exec("DELETE FROM records WHERE project_id = $1 AND kind = $2 AND id = $3", &[&project, &kind, &id])? > 0)
}

pub(super) fn list(
    tx: &PgTx<'_>,
    project: &str,
    kind: &str,
    scope: Option<&str>,
    after_id: Option<&str>,
    limit: u32,
) -> Result<Vec<Record>> {
    let after = after_id.unwrap_or("");
    let rows = match scope {
        Some(scope) => tx.rows(
            "SELECT project_id, kind, id, scope, doc FROM records
             WHERE project_id = $1 AND kind = $2 AND scope = $3 AND id > $4 ORDER BY id LIMIT $5",
            &[&project, &kind, &scope, &after, &lim(limit)],
        )?,
        None => tx.rows(
            "SELECT project_id, kind, id, scope, doc FROM records
             WHERE project_id = $1 AND kind = $2 AND id > $3 ORDER BY id LIMIT $4",
            &[&project, &kind, &after, &lim(limit)],
        )?,
    };
    rows.iter().map(record_row).collect()
}

pub(super) fn append_log(tx: &PgTx<'_>, project: &str, deployment_id: &str, at: i64, stage: &str, line: &str) -> Result<i64> {
    tx.insert_seq(
        "deployment_logs",
        "INSERT INTO deployment_logs (seq, project_id, deployment_id, at, stage, line)
         SELECT s.value, $1::text, $2::text, $3::bigint, $4::text, $5::text FROM s RETURNING seq",
        &[&project, &deployment_id, &at, &stage, &line],
    )
}

pub(super) fn logs(tx: &PgTx<'_>, project: &str, deployment_id: &str, after_seq: i64, limit: u32) -> Result<Vec<LogLine>> {
    let rows = tx.rows(
        "SELECT seq, at, stage, line FROM deployment_logs
         WHERE project_id = $1 AND deployment_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
        &[&project, &deployment_id, &after_seq, &lim(limit)],
    )?;
    rows.iter()
        .map(|r| Ok(LogLine { seq: r.try_get(0)?, at: from_micros(r.try_get(1)?)?, stage: r.try_get(2)?, line: r.try_get(3)? }))
        .collect()
}

pub(super) fn trim_logs(tx: &PgTx<'_>, project: &str, deployment_id: &str, count: u32) -> Result<u64> {
    // The oldest `count` lines go: a range at the start of (project, deployment, seq).
    Ok(tx.exec(
        "DELETE FROM deployment_logs WHERE seq IN (
            SELECT seq FROM deployment_logs WHERE project_id = $1 AND deployment_id = $2 ORDER BY seq LIMIT $3)",
        &[&project, &deployment_id, &lim(count)],
    )?)
}
