//! The SQLite store's transaction: every [`StoreTx`] operation as the statements it runs (the
//! store, its connections and migrations are in `sqlite.rs`).

use std::cell::Cell;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::de::DeserializeOwned;

use super::sqlite_memo::{DocMemo, Memoized};
use super::{
    ChangePeople, LogLine, Record, StoreTx, sqlite_audit as audit, sqlite_outbox as outbox, sqlite_records as rec, sqlite_snapshots as snap,
};
use crate::audit::{AuditEntry, StoredEntry};
use crate::error::{Error, Result};
use crate::events::{Event, NewEvent};
use crate::model::{ActiveEntry, Deployment, DeploymentFilter, DeploymentStatus, Environment, HistoryEntry, Project, Version};

/// A transaction: the connection, whether `apply_activation` ran in it, and the store's parsed
/// records.
pub(super) struct SqliteTx<'a>(pub(super) &'a Connection, pub(super) &'a Cell<bool>, pub(super) &'a DocMemo);

pub(super) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(super) fn from_micros(v: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| rusqlite::Error::IntegralValueOutOfRange(0, v))
}

fn to_doc<T: serde::Serialize>(v: &T) -> Result<String> {
    let doc = serde_json::to_string(v).map_err(|e| Error::storage(format!("cannot serialize record: {e}")))?;
    super::check_stored_text("a record", &doc)?;
    Ok(doc)
}

pub(super) fn from_doc<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::storage(format!("stored record is unreadable: {e}")))
}

/// Maps a uniqueness violation to `conflict` with `msg`.
pub(super) fn unique(e: rusqlite::Error, msg: impl FnOnce() -> String) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => Error::Conflict(msg()),
        _ => e.into(),
    }
}

fn docs<T: DeserializeOwned>(rows: Vec<String>) -> Result<Vec<T>> {
    rows.iter().map(|s| from_doc(s)).collect()
}

pub(super) fn history_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HistoryEntry> {
    Ok(HistoryEntry {
        seq: r.get(0)?,
        environment: r.get(1)?,
        entity_type: r.get(2)?,
        entity_id: r.get(3)?,
        version_tag: r.get(4)?,
        deployment_id: r.get(5)?,
        at: from_micros(r.get(6)?)?,
    })
}

/// Deployments in flight with one status, in id order after a cursor (see `deployments_with_status`).
/// The first condition is the partial index's, word for word (SQLite migration 12).
pub(super) const IN_FLIGHT: &str = "SELECT doc FROM deployments
     WHERE (status = 'pending' OR status = 'approved' OR status = 'deploying' OR status = 'paused')
       AND status = ?1 AND id > ?2 ORDER BY id LIMIT ?3";

/// Inserts a deployment.
pub(super) const INSERT_DEPLOYMENT: &str =
    "INSERT INTO deployments (id, project_id, environment, status, requested_by, requested_at, idempotency_key, revision, doc)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// Updates a deployment whose status did not change (no status index is touched).
pub(super) const UPDATE_DEPLOYMENT: &str =
    "UPDATE deployments SET revision = ?4, doc = ?5 WHERE project_id = ?1 AND id = ?2 AND revision = ?6 AND status = ?3";

/// Updates a deployment and its status.
pub(super) const UPDATE_DEPLOYMENT_STATUS: &str =
    "UPDATE deployments SET status = ?3, revision = ?4, doc = ?5 WHERE project_id = ?1 AND id = ?2 AND revision = ?6";

const HISTORY_COLS: &str = "seq, environment, entity_type, entity_id, version_tag, deployment_id, at";

impl SqliteTx<'_> {
    fn strings(&self, sql: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<String>> {
        let mut st = self.0.prepare_cached(sql)?;
        let rows = st.query_map(p, |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn one_doc<T: DeserializeOwned>(&self, sql: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Option<T>> {
        let mut st = self.0.prepare_cached(sql)?;
        let s: Option<String> = st.query_row(p, |r| r.get(0)).optional()?;
        s.map(|s| from_doc(&s)).transpose()
    }

    /// [`Self::one_doc`] for a record the memo holds (see `sqlite_memo.rs`).
    fn one_memo<T: Memoized>(&self, sql: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Option<T>> {
        let mut st = self.0.prepare_cached(sql)?;
        let mut rows = st.query(p)?;
        let Some(row) = rows.next()? else { return Ok(None) };
        // The text borrowed from the row: a hit copies nothing but the clone.
        let text = row.get_ref(0)?.as_str().map_err(|e| Error::storage(format!("stored record is unreadable: {e}")))?;
        T::slots(self.2).parse(text).map(Some)
    }
}

impl StoreTx for SqliteTx<'_> {
    fn project(&self, id: &str) -> Result<Option<Project>> {
        self.one_memo("SELECT doc FROM projects WHERE id = ?1", &[&id])
    }

    fn insert_project(&self, p: &Project) -> Result<()> {
        self.0
            .prepare_cached("INSERT INTO projects (id, tenant, doc) VALUES (?1, ?2, ?3)")?
            .execute(params![p.id, p.tenant, to_doc(p)?])
            .map_err(|e| unique(e, || format!("project `{}` already exists", p.id)))?;
        Ok(())
    }

    fn environment(&self, project: &str, name: &str) -> Result<Option<Environment>> {
        self.one_memo("SELECT doc FROM environments WHERE project_id = ?1 AND name = ?2", &[&project, &name])
    }

    fn environments(&self, project: &str) -> Result<Vec<Environment>> {
        docs(self.strings("SELECT doc FROM environments WHERE project_id = ?1 ORDER BY position, name", &[&project])?)
    }

    fn insert_environment(&self, e: &Environment) -> Result<()> {
        self.0
            .prepare_cached("INSERT INTO environments (project_id, name, position, revision, doc) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![e.project_id, e.name, e.position, e.revision, to_doc(e)?])
            .map_err(|err| unique(err, || format!("environment `{}` already exists in project `{}`", e.name, e.project_id)))?;
        Ok(())
    }

    fn update_environment(&self, e: &Environment, expected_revision: i64) -> Result<()> {
        let n = self
            .0
            .prepare_cached(
                "UPDATE environments SET position = ?3, revision = ?4, doc = ?5 WHERE project_id = ?1 AND name = ?2 AND revision = ?6",
            )?
            .execute(params![e.project_id, e.name, e.position, e.revision, to_doc(e)?, expected_revision])?;
        if n == 0 {
            return Err(Error::Conflict(format!(
                "environment `{}` was changed concurrently (expected revision {expected_revision})",
                e.name
            )));
        }
        Ok(())
    }

    fn version(&self, project: &str, entity_type: &str, entity_id: &str, tag: &str) -> Result<Option<Version>> {
        self.one_memo(
            "SELECT doc FROM versions WHERE project_id = ?1 AND entity_type = ?2 AND entity_id = ?3 AND version_tag = ?4",
            &[&project, &entity_type, &entity_id, &tag],
        )
    }

    fn versions(&self, project: &str, entity_type: &str, entity_id: &str) -> Result<Vec<Version>> {
        docs(self.strings(
            "SELECT doc FROM versions WHERE project_id = ?1 AND entity_type = ?2 AND entity_id = ?3 ORDER BY registered_at DESC, version_tag DESC",
            &[&project, &entity_type, &entity_id],
        )?)
    }

    fn insert_version(&self, v: &Version) -> Result<()> {
        let s = &v.spec;
        self.0
            .prepare_cached(
                "INSERT INTO versions (project_id, entity_type, entity_id, version_tag, registered_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![v.project_id, s.entity_type, s.entity_id, s.version_tag, micros(v.registered_at), to_doc(v)?])
            .map_err(|e| unique(e, || format!("version `{}` of `{}` `{}` is already registered", s.version_tag, s.entity_type, s.entity_id)))?;
        Ok(())
    }

    fn deployment(&self, project: &str, id: &str) -> Result<Option<Deployment>> {
        self.one_doc("SELECT doc FROM deployments WHERE project_id = ?1 AND id = ?2", &[&project, &id])
    }

    fn deployment_by_key(&self, project: &str, key: &str) -> Result<Option<Deployment>> {
        self.one_doc("SELECT doc FROM deployments WHERE project_id = ?1 AND idempotency_key = ?2", &[&project, &key])
    }

    fn insert_deployment(&self, d: &Deployment) -> Result<()> {
        self.0
            .prepare_cached(INSERT_DEPLOYMENT)?
            .execute(params![
                d.id,
                d.project_id,
                d.environment,
                d.status.as_str(),
                d.requested_by,
                micros(d.requested_at),
                d.idempotency_key,
                d.revision,
                to_doc(d)?
            ])
            .map_err(|e| unique(e, || format!("deployment `{}` conflicts with an existing one", d.id)))?;
        let mut st = self.0.prepare_cached(
            "INSERT OR IGNORE INTO deployment_entities (project_id, entity_type, entity_id, deployment_id) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for item in &d.items {
            st.execute(params![d.project_id, item.entity_type, item.entity_id, d.id])?;
        }
        Ok(())
    }

    fn update_deployment(&self, d: &Deployment, expected_revision: i64) -> Result<()> {
        let doc = to_doc(d)?;
        let n = self.0.prepare_cached(UPDATE_DEPLOYMENT)?.execute(params![
            d.project_id,
            d.id,
            d.status.as_str(),
            d.revision,
            doc,
            expected_revision
        ])?;
        // A change of status also moves the deployment in the status indexes; a change without
        // one (an approval recorded, a heartbeat) leaves them untouched, as SQLite maintains only
        // the indexes over the columns an UPDATE sets.
        let n = if n == 0 {
            self.0
                .prepare_cached(UPDATE_DEPLOYMENT_STATUS)?
                .execute(params![d.project_id, d.id, d.status.as_str(), d.revision, doc, expected_revision])
                .map_err(|e| unique(e, || format!("another deployment is already deploying in `{}`", d.environment)))?
        } else {
            n
        };
        if n == 0 {
            return Err(Error::Conflict(format!("deployment `{}` was changed concurrently (expected revision {expected_revision})", d.id)));
        }
        Ok(())
    }

    fn list_deployments(&self, project: &str, f: &DeploymentFilter, limit: u32) -> Result<Vec<Deployment>> {
        let mut sql = String::from("SELECT doc FROM deployments WHERE project_id = ?1");
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(project.to_owned())];
        let mut push = |clause: &str, v: Box<dyn rusqlite::ToSql>| {
            args.push(v);
            // Only the clause's own placeholder `?#` is numbered; literal `?1` stays the project.
            sql.push_str(&clause.replace("?#", &format!("?{}", args.len())));
        };
        if let Some(e) = &f.environment {
            push(" AND environment = ?#", Box::new(e.clone()));
        }
        if let Some(s) = f.status {
            push(" AND status = ?#", Box::new(s.as_str()));
        }
        if let Some(r) = &f.requested_by {
            push(" AND requested_by = ?#", Box::new(r.clone()));
        }
        if let Some(t) = f.requested_after {
            push(" AND requested_at >= ?#", Box::new(micros(t)));
        }
        if let Some(t) = f.requested_before {
            push(" AND requested_at < ?#", Box::new(micros(t)));
        }
        if let Some(c) = &f.cursor {
            push(" AND id < ?#", Box::new(c.clone()));
        }
        if let Some(t) = &f.entity_type {
            push(
                " AND id IN (SELECT deployment_id FROM deployment_entities WHERE project_id = ?1 AND entity_type = ?",
                Box::new(t.clone()),
            );
            match &f.entity_id {
                Some(i) => push(" AND entity_id = ?#)", Box::new(i.clone())),
                None => sql.push(')'),
            }
        }
        args.push(Box::new(i64::from(limit)));
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ?{}", args.len()));
        let refs: Vec<&dyn rusqlite::ToSql> = args.iter().map(|b| b.as_ref()).collect();
        docs(self.strings(&sql, &refs)?)
    }

    fn deploying_in(&self, project: &str, environment: &str) -> Result<Option<String>> {
        let mut st = self.0.prepare_cached(
            "SELECT id FROM deployments WHERE project_id = ?1 AND environment = ?2 AND status IN ('deploying', 'paused')",
        )?;
        Ok(st.query_row(params![project, environment], |r| r.get(0)).optional()?)
    }

    fn active(&self, project: &str, environment: &str, entity_type: &str, entity_id: &str) -> Result<Option<ActiveEntry>> {
        let mut st = self.0.prepare_cached(
            "SELECT version_tag, deployment_id, since FROM active_state
             WHERE project_id = ?1 AND environment = ?2 AND entity_type = ?3 AND entity_id = ?4",
        )?;
        Ok(st
            .query_row(params![project, environment, entity_type, entity_id], |r| {
                Ok(ActiveEntry {
                    environment: environment.to_owned(),
                    entity_type: entity_type.to_owned(),
                    entity_id: entity_id.to_owned(),
                    version_tag: r.get(0)?,
                    deployment_id: r.get(1)?,
                    since: from_micros(r.get(2)?)?,
                })
            })
            .optional()?)
    }

    fn active_state(&self, project: &str, environment: &str) -> Result<Vec<ActiveEntry>> {
        let mut st = self.0.prepare_cached(
            "SELECT entity_type, entity_id, version_tag, deployment_id, since FROM active_state
             WHERE project_id = ?1 AND environment = ?2 ORDER BY entity_type, entity_id",
        )?;
        let rows = st.query_map(params![project, environment], |r| {
            Ok(ActiveEntry {
                environment: environment.to_owned(),
                entity_type: r.get(0)?,
                entity_id: r.get(1)?,
                version_tag: r.get(2)?,
                deployment_id: r.get(3)?,
                since: from_micros(r.get(4)?)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn apply_activation(&self, project: &str, c: &HistoryEntry, people: &ChangePeople) -> Result<i64> {
        self.1.set(true);
        match &c.version_tag {
            Some(tag) => self
                .0
                .prepare_cached(
                    "INSERT INTO active_state (project_id, environment, entity_type, entity_id, version_tag, deployment_id, since)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (project_id, environment, entity_type, entity_id)
                     DO UPDATE SET version_tag = excluded.version_tag, deployment_id = excluded.deployment_id, since = excluded.since",
                )?
                .execute(params![project, c.environment, c.entity_type, c.entity_id, tag, c.deployment_id, micros(c.at)])?,
            None => self
                .0
                .prepare_cached(
                    "DELETE FROM active_state WHERE project_id = ?1 AND environment = ?2 AND entity_type = ?3 AND entity_id = ?4",
                )?
                .execute(params![project, c.environment, c.entity_type, c.entity_id])?,
        };
        // The entity's row in `history_entities` (what `active_at` enumerates) is written by the
        // trigger of migration 8.
        self.0
            .prepare_cached(
                "INSERT INTO activation_history (project_id, environment, entity_type, entity_id, version_tag, deployment_id, at, people)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                project,
                c.environment,
                c.entity_type,
                c.entity_id,
                c.version_tag,
                c.deployment_id,
                micros(c.at),
                to_doc(people)?
            ])?;
        let seq = self.0.last_insert_rowid();
        snap::after_activation(self.0, project, &c.environment, seq)?;
        Ok(seq)
    }

    fn live_count(&self, project: &str, deployment_id: &str) -> Result<i64> {
        let mut st = self.0.prepare_cached("SELECT COUNT(*) FROM active_state WHERE project_id = ?1 AND deployment_id = ?2")?;
        Ok(st.query_row(params![project, deployment_id], |r| r.get(0))?)
    }

    fn history_at(
        &self,
        project: &str,
        environment: &str,
        entity_type: &str,
        entity_id: &str,
        max_seq: i64,
    ) -> Result<Option<HistoryEntry>> {
        let sql = format!(
            "SELECT {HISTORY_COLS} FROM activation_history
             WHERE project_id = ?1 AND entity_type = ?2 AND entity_id = ?3 AND environment = ?4 AND seq <= ?5
             ORDER BY seq DESC LIMIT 1"
        );
        let mut st = self.0.prepare_cached(&sql)?;
        Ok(st.query_row(params![project, entity_type, entity_id, environment, max_seq], history_row).optional()?)
    }

    fn entity_history(&self, project: &str, entity_type: &str, entity_id: &str, limit: u32) -> Result<Vec<HistoryEntry>> {
        let sql = format!(
            "SELECT {HISTORY_COLS} FROM activation_history
             WHERE project_id = ?1 AND entity_type = ?2 AND entity_id = ?3 ORDER BY seq DESC LIMIT ?4"
        );
        let mut st = self.0.prepare_cached(&sql)?;
        let rows = st.query_map(params![project, entity_type, entity_id, limit], history_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn audit_head(&self) -> Result<Option<(i64, String)>> {
        audit::head(self.0)
    }

    fn insert_audit(&self, e: &StoredEntry<'_>) -> Result<()> {
        audit::insert(self.0, e)
    }

    fn audit_page(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        audit::page(self.0, after, limit)
    }

    fn audit_scan(&self, after: i64, limit: u32, f: &mut dyn FnMut(&StoredEntry<'_>) -> Result<()>) -> Result<u32> {
        audit::scan(self.0, after, limit, f)
    }

    fn audit_for(&self, project: &str, object_id: Option<&str>, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        audit::for_object(self.0, project, object_id, after, limit)
    }

    fn insert_event(&self, e: &NewEvent<'_>) -> Result<i64> {
        outbox::insert(self.0, e)
    }

    fn events_after(&self, project: Option<&str>, after: i64, limit: u32) -> Result<Vec<Event>> {
        outbox::after(self.0, project, after, limit)
    }

    fn last_event_seq(&self) -> Result<i64> {
        outbox::last_seq(self.0)
    }

    /// From the environment's last snapshot at or before `at` and the changes since, in key
    /// order (migration 9, `sqlite_snapshots.rs`), or where there is none by one seek per entity:
    /// its entities from `history_entities` (migration 8), for each its last change at or before
    /// `at` on `history_by_env_at` (migration 5), then that row.
    ///
    /// INVARIANT: an entity's state at `at` is its last change by time, ties by `seq` (the greatest
    /// `(at, seq)` with `at <= ?3`). That is its last change by `seq` as long as `at` does not go
    /// back along `seq` for an entity: the engine stamps activations never before the entity's
    /// previous change (`execute`), so it holds even when the clocks of engines sharing a store
    /// are skewed.
    fn active_at(&self, project: &str, environment: &str, at: DateTime<Utc>) -> Result<Vec<(HistoryEntry, Option<ChangePeople>)>> {
        let rows = snap::state_at(self.0, project, environment, micros(at))?;
        rows.into_iter().map(|(h, people)| Ok((h, people.as_deref().map(from_doc).transpose()?))).collect()
    }

    /// The sweeps read the statuses of deployments in flight: one range of the partial index
    /// `deployments_in_flight` (migrations 6 and 12), whose condition the statement repeats word for word
    /// so that SQLite may use it (with plans independent of bound values, a bound status could
    /// not show that). Other statuses, which the engine does not sweep, seek each project's
    /// `deployments_by_status` and sort what they find.
    fn deployments_with_status(&self, status: DeploymentStatus, after_id: &str, limit: u32) -> Result<Vec<Deployment>> {
        let sql = if matches!(
            status,
            DeploymentStatus::Pending | DeploymentStatus::Approved | DeploymentStatus::Deploying | DeploymentStatus::Paused
        ) {
            IN_FLIGHT
        } else {
            "SELECT doc FROM deployments WHERE project_id IN (SELECT id FROM projects) AND status = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        };
        docs(self.strings(sql, &[&status.as_str(), &after_id, &limit])?)
    }

    fn update_version(&self, v: &Version) -> Result<()> {
        let s = &v.spec;
        let n = self
            .0
            .prepare_cached(
                "UPDATE versions SET doc = ?5 WHERE project_id = ?1 AND entity_type = ?2 AND entity_id = ?3 AND version_tag = ?4",
            )?
            .execute(params![v.project_id, s.entity_type, s.entity_id, s.version_tag, to_doc(v)?])?;
        if n == 0 {
            return Err(Error::not_found(format!(
                "version `{}` of `{}` `{}` is not in the catalog",
                s.version_tag, s.entity_type, s.entity_id
            )));
        }
        Ok(())
    }

    fn put_record(&self, r: &Record) -> Result<()> {
        rec::put(self.0, r)
    }

    fn get_record(&self, project: &str, kind: &str, id: &str) -> Result<Option<Record>> {
        rec::get(self.0, project, kind, id)
    }

    fn delete_record(&self, project: &str, kind: &str, id: &str) -> Result<bool> {
        rec::delete(self.0, project, kind, id)
    }

    fn list_records(&self, project: &str, kind: &str, scope: Option<&str>, after_id: Option<&str>, limit: u32) -> Result<Vec<Record>> {
        rec::list(self.0, project, kind, scope, after_id, limit)
    }

    fn append_log(&self, project: &str, deployment_id: &str, at: DateTime<Utc>, stage: &str, line: &str) -> Result<i64> {
        rec::append_log(self.0, project, deployment_id, micros(at), stage, line)
    }

    fn logs(&self, project: &str, deployment_id: &str, after_seq: i64, limit: u32) -> Result<Vec<LogLine>> {
        rec::logs(self.0, project, deployment_id, after_seq, limit)
    }

    fn trim_logs(&self, project: &str, deployment_id: &str, count: u32) -> Result<u64> {
        rec::trim_logs(self.0, project, deployment_id, count)
    }
}
