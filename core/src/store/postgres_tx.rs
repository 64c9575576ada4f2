//! [`StoreTx`] on PostgreSQL: the same statements and results as `sqlite_tx.rs`, with `$n`
//! placeholders, `ON CONFLICT` for SQLite's `OR IGNORE`/`OR REPLACE`, and sequence numbers from
//! `seq_counters` (see `pg_schema_1.sql`). Isolation and locks are described in `postgres.rs`.

use std::cell::RefCell;

use ::postgres::Row;
use ::postgres::types::ToSql;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::postgres::{Conn, unique};
use super::postgres_records as rec;
use super::{ChangePeople, LogLine, Record, StoreTx};
use crate::audit::{AuditEntry, StoredEntry};
use crate::error::{Error, Result};
use crate::events::{Event, NewEvent};
use crate::model::{ActiveEntry, Deployment, DeploymentFilter, DeploymentStatus, Environment, HistoryEntry, Project, Version};

pub(super) type Param<'a> = &'a (dyn ToSql + Sync);
pub(super) type PgResult<T> = std::result::Result<T, ::postgres::Error>;

/// A transaction on one pooled connection (`BEGIN` already sent).
pub(super) struct PgTx<'a> {
    conn: RefCell<&'a mut Conn>,
    /// Whether this is a write transaction (row locks are taken only there).
    write: bool,
}

pub(super) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(super) fn from_micros(v: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| Error::storage(format!("stored timestamp `{v}` is out of range")))
}

fn to_doc<T: serde::Serialize>(v: &T) -> Result<String> {
    let doc = serde_json::to_string(v).map_err(|e| Error::storage(format!("cannot serialize record: {e}")))?;
    super::check_stored_text("a record", &doc)?;
    Ok(doc)
}

fn from_doc<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::storage(format!("stored record is unreadable: {e}")))
}

/// A `LIMIT` value.
pub(super) fn lim(limit: u32) -> i64 {
    i64::from(limit)
}

fn history_row(r: &Row) -> Result<HistoryEntry> {
    Ok(HistoryEntry {
        seq: r.try_get(0)?,
        environment: r.try_get(1)?,
        entity_type: r.try_get(2)?,
        entity_id: r.try_get(3)?,
        version_tag: r.try_get(4)?,
        deployment_id: r.try_get(5)?,
        at: from_micros(r.try_get(6)?)?,
    })
}

const HISTORY_COLS: &str = "seq, environment, entity_type, entity_id, version_tag, deployment_id, at";

const AUDIT_COLS: &str = "seq, at, actor_id, action, project_id, object_type, object_id, before, after, reason, prev_hash, hash";

/// Reads `f` over each audit row as stored text.
fn stored(r: &Row) -> Result<StoredEntry<'_>> {
    Ok(StoredEntry {
        seq: r.try_get(0)?,
        at: r.try_get(1)?,
        actor_id: r.try_get(2)?,
        action: r.try_get(3)?,
        project_id: r.try_get(4)?,
        object_type: r.try_get(5)?,
        object_id: r.try_get(6)?,
        before: r.try_get(7)?,
        after: r.try_get(8)?,
        reason: r.try_get(9)?,
        prev_hash: r.try_get(10)?,
        hash: r.try_get(11)?,
    })
}

impl<'a> PgTx<'a> {
    pub(super) fn new(conn: &'a mut Conn, write: bool) -> Self {
        Self { conn: RefCell::new(conn), write }
    }

    pub(super) fn rows(&self, sql: &str, p: &[Param<'_>]) -> PgResult<Vec<Row>> {
        let mut c = self.conn.borrow_mut();
        let st = c.prepare(sql)?;
        c.client.query(&st, p)
    }

    pub(super) fn row(&self, sql: &str, p: &[Param<'_>]) -> PgResult<Option<Row>> {
        let mut c = self.conn.borrow_mut();
        let st = c.prepare(sql)?;
        c.client.query_opt(&st, p)
    }

    pub(super) fn exec(&self, sql: &str, p: &[Param<'_>]) -> PgResult<u64> {
        let mut c = self.conn.borrow_mut();
        let st = c.prepare(sql)?;
        c.client.execute(&st, p)
    }

    fn docs<T: DeserializeOwned>(&self, sql: &str, p: &[Param<'_>]) -> Result<Vec<T>> {
        self.rows(sql, p)?.iter().map(|r| from_doc(r.try_get::<_, &str>(0)?)).collect()
    }

    fn one_doc<T: DeserializeOwned>(&self, sql: &str, p: &[Param<'_>]) -> Result<Option<T>> {
        self.row(sql, p)?.map(|r| from_doc(r.try_get::<_, &str>(0)?)).transpose()
    }

    fn histories(&self, sql: &str, p: &[Param<'_>]) -> Result<Vec<HistoryEntry>> {
        self.rows(sql, p)?.iter().map(history_row).collect()
    }

    fn audits(&self, sql: &str, p: &[Param<'_>]) -> Result<Vec<AuditEntry>> {
        self.rows(sql, p)?.iter().map(|r| Ok(stored(r)?.parsed())).collect()
    }

    /// Inserts a row whose `seq` is the next value of counter `name` (the first parameter
    /// placeholder of `insert` is `$1`), in one statement; returns the `seq`.
    pub(super) fn insert_seq(&self, name: &str, insert: &str, p: &[Param<'_>]) -> Result<i64> {
        // INVARIANT: the counter row is updated in this transaction (row-locked until it ends),
        // so seq values are gapless, never reused and, writers being serialized, in commit order.
        let sql = format!("WITH s AS (UPDATE seq_counters SET value = value + 1 WHERE name = '{name}' RETURNING value) {insert}");
        let row = self.row(&sql, p)?.ok_or_else(|| Error::storage(format!("sequence counter `{name}` is missing")))?;
        Ok(row.try_get(0)?)
    }
}

impl StoreTx for PgTx<'_> {
    fn project(&self, id: &str) -> Result<Option<Project>> {
        self.one_doc("SELECT doc FROM projects WHERE id = $1", &[&id])
    }

    fn insert_project(&self, p: &Project) -> Result<()> {
        self.exec("INSERT INTO projects (id, tenant, doc) VALUES ($1, $2, $3)", &[&p.id, &p.tenant, &to_doc(p)?])
            .map_err(|e| unique(e, || format!("project `{}` already exists", p.id)))?;
        Ok(())
    }

    fn environment(&self, project: &str, name: &str) -> Result<Option<Environment>> {
        self.one_doc("SELECT doc FROM environments WHERE project_id = $1 AND name = $2", &[&project, &name])
    }

    fn environments(&self, project: &str) -> Result<Vec<Environment>> {
        self.docs("SELECT doc FROM environments WHERE project_id = $1 ORDER BY position, name", &[&project])
    }

    fn insert_environment(&self, e: &Environment) -> Result<()> {
        self.exec(
            "INSERT INTO environments (project_id, name, position, revision, doc) VALUES ($1, $2, $3, $4, $5)",
            &[&e.project_id, &e.name, &e.position, &e.revision, &to_doc(e)?],
        )
        .map_err(|err| unique(err, || format!("environment `{}` already exists in project `{}`", e.name, e.project_id)))?;
        Ok(())
    }

    fn update_environment(&self, e: &Environment, expected_revision: i64) -> Result<()> {
        // Compare-and-set: the row lock the UPDATE takes, and its re-check of `revision` after
        // waiting for a concurrent writer (READ COMMITTED), make a stale revision match nothing.
        let n = self.exec(
            "UPDATE environments SET position = $3, revision = $4, doc = $5 WHERE project_id = $1 AND name = $2 AND revision = $6",
            &[&e.project_id, &e.name, &e.position, &e.revision, &to_doc(e)?, &expected_revision],
        )?;
        if n == 0 {
            return Err(Error::Conflict(format!(
                "environment `{}` was changed concurrently (expected revision {expected_revision})",
                e.name
            )));
        }
        Ok(())
    }

    fn version(&self, project: &str, entity_type: &str, entity_id: &str, tag: &str) -> Result<Option<Version>> {
        self.one_doc(
            "SELECT doc FROM versions WHERE project_id = $1 AND entity_type = $2 AND entity_id = $3 AND version_tag = $4",
            &[&project, &entity_type, &entity_id, &tag],
        )
    }

    fn versions(&self, project: &str, entity_type: &str, entity_id: &str) -> Result<Vec<Version>> {
        self.docs(
            "SELECT doc FROM versions WHERE project_id = $1 AND entity_type = $2 AND entity_id = $3 ORDER BY registered_at DESC, version_tag DESC",
            &[&project, &entity_type, &entity_id],
        )
    }

    fn insert_version(&self, v: &Version) -> Result<()> {
        let s = &v.spec;
        self.exec(
            "INSERT INTO versions (project_id, entity_type, entity_id, version_tag, registered_at, doc) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&v.project_id, &s.entity_type, &s.entity_id, &s.version_tag, &micros(v.registered_at), &to_doc(v)?],
        )
        .map_err(|e| unique(e, || format!("version `{}` of `{}` `{}` is already registered", s.version_tag, s.entity_type, s.entity_id)))?;
        Ok(())
    }

    fn deployment(&self, project: &str, id: &str) -> Result<Option<Deployment>> {
        self.one_doc("SELECT doc FROM deployments WHERE project_id = $1 AND id = $2", &[&project, &id])
    }

    fn deployment_by_key(&self, project: &str, key: &str) -> Result<Option<Deployment>> {
        self.one_doc("SELECT doc FROM deployments WHERE project_id = $1 AND idempotency_key = $2", &[&project, &key])
    }

    fn insert_deployment(&self, d: &Deployment) -> Result<()> {
        self.exec(
            "INSERT INTO deployments (id, project_id, environment, status, requested_by, requested_at, idempotency_key, revision, doc)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &d.id,
                &d.project_id,
                &d.environment,
                &d.status.as_str(),
                &d.requested_by,
                &micros(d.requested_at),
                &d.idempotency_key,
                &d.revision,
                &to_doc(d)?,
            ],
        )
        .map_err(|e| unique(e, || format!("deployment `{}` conflicts with an existing one", d.id)))?;
        for item in &d.items {
            self.exec(
                "INSERT INTO deployment_entities (project_id, entity_type, entity_id, deployment_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&d.project_id, &item.entity_type, &item.entity_id, &d.id],
            )?;
        }
        Ok(())
    }

    fn update_deployment(&self, d: &Deployment, expected_revision: i64) -> Result<()> {
        // Compare-and-set on `revision` (see `update_environment`); moving to `deploying` or
        // `paused` while another deployment holds the environment violates the partial unique
        // index `deployments_one_running`: the database, not process memory, holds the lease.
        let n = self
            .exec(
                "UPDATE deployments SET status = $3, revision = $4, doc = $5 WHERE project_id = $1 AND id = $2 AND revision = $6",
                &[&d.project_id, &d.id, &d.status.as_str(), &d.revision, &to_doc(d)?, &expected_revision],
            )
            .map_err(|e| unique(e, || format!("another deployment is already deploying in `{}`", d.environment)))?;
        if n == 0 {
            return Err(Error::Conflict(format!("deployment `{}` was changed concurrently (expected revision {expected_revision})", d.id)));
        }
        Ok(())
    }

    fn list_deployments(&self, project: &str, f: &DeploymentFilter, limit: u32) -> Result<Vec<Deployment>> {
        let mut sql = String::from("SELECT doc FROM deployments WHERE project_id = $1");
        let mut args: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(project.to_owned())];
        let mut push = |clause: &str, v: Box<dyn ToSql + Sync>| {
            args.push(v);
            // Only the clause's own placeholder `$#` is numbered; literal `$1` stays the project.
            sql.push_str(&clause.replace("$#", &format!("${}", args.len())));
        };
        if let Some(e) = &f.environment {
            push(" AND environment = $#", Box::new(e.clone()));
        }
        if let Some(s) = f.status {
            push(" AND status = $#", Box::new(s.as_str()));
        }
        if let Some(r) = &f.requested_by {
            push(" AND requested_by = $#", Box::new(r.clone()));
        }
        if let Some(t) = f.requested_after {
            push(" AND requested_at >= $#", Box::new(micros(t)));
        }
        if let Some(t) = f.requested_before {
            push(" AND requested_at < $#", Box::new(micros(t)));
        }
        if let Some(c) = &f.cursor {
            push(" AND id < $#", Box::new(c.clone()));
        }
        if let Some(t) = &f.entity_type {
            push(
                " AND id IN (SELECT deployment_id FROM deployment_entities WHERE project_id = $1 AND entity_type = $#",
                Box::new(t.clone()),
            );
            match &f.entity_id {
                Some(i) => push(" AND entity_id = $#)", Box::new(i.clone())),
                None => sql.push(')'),
            }
        }
        args.push(Box::new(lim(limit)));
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", args.len()));
        let refs: Vec<Param<'_>> = args.iter().map(|b| b.as_ref() as Param<'_>).collect();
        self.docs(&sql, &refs)
    }

    fn deploying_in(&self, project: &str, environment: &str) -> Result<Option<String>> {
        let row = self.row(
            "SELECT id FROM deployments WHERE project_id = $1 AND environment = $2 AND status IN ('deploying', 'paused')",
            &[&project, &environment],
        )?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn active(&self, project: &str, environment: &str, entity_type: &str, entity_id: &str) -> Result<Option<ActiveEntry>> {
        let row = self.row(
            "SELECT version_tag, deployment_id, since FROM active_state
             WHERE project_id = $1 AND environment = $2 AND entity_type = $3 AND entity_id = $4",
            &[&project, &environment, &entity_type, &entity_id],
        )?;
        row.map(|r| {
            Ok(ActiveEntry {
                environment: environment.to_owned(),
                entity_type: entity_type.to_owned(),
                entity_id: entity_id.to_owned(),
                version_tag: r.try_get(0)?,
                deployment_id: r.try_get(1)?,
                since: from_micros(r.try_get(2)?)?,
            })
        })
        .transpose()
    }

    fn active_state(&self, project: &str, environment: &str) -> Result<Vec<ActiveEntry>> {
        let rows = self.rows(
            "SELECT entity_type, entity_id, version_tag, deployment_id, since FROM active_state
             WHERE project_id = $1 AND environment = $2 ORDER BY entity_type, entity_id",
            &[&project, &environment],
        )?;
        rows.iter()
            .map(|r| {
                Ok(ActiveEntry {
                    environment: environment.to_owned(),
                    entity_type: r.try_get(0)?,
                    entity_id: r.try_get(1)?,
                    version_tag: r.try_get(2)?,
                    deployment_id: r.try_get(3)?,
                    since: from_micros(r.try_get(4)?)?,
                })
            })
            .collect()
    }

    fn apply_activation(&self, project: &str, c: &HistoryEntry, people: &ChangePeople) -> Result<i64> {
        match &c.version_tag {
            Some(tag) => self.exec(
                "INSERT INTO active_state (project_id, environment, entity_type, entity_id, version_tag, deployment_id, since)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (project_id, environment, entity_type, entity_id)
                 DO UPDATE SET version_tag = excluded.version_tag, deployment_id = excluded.deployment_id, since = excluded.since",
                &[&project, &c.environment, &c.entity_type, &c.entity_id, tag, &c.deployment_id, &micros(c.at)],
            )?,
            None => self.exec(
                "DELETE FROM active_state WHERE project_id = $1 AND environment = $2 AND entity_type = $3 AND entity_id = $4",
                &[&project, &c.environment, &c.entity_type, &c.entity_id],
            )?,
        };
        self.insert_seq(
            "activation_history",
            "INSERT INTO activation_history (seq, project_id, environment, entity_type, entity_id, version_tag, deployment_id, at, people)
             SELECT s.value, $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::text FROM s RETURNING seq",
            &[&project, &c.environment, &c.entity_type, &c.entity_id, &c.version_tag, &c.deployment_id, &micros(c.at), &to_doc(people)?],
        )
    }

    fn live_count(&self, project: &str, deployment_id: &str) -> Result<i64> {
        let row =
            self.row("SELECT COUNT(*) FROM active_state WHERE project_id = $1 AND deployment_id = $2", &[&project, &deployment_id])?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
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
             WHERE project_id = $1 AND entity_type = $2 AND entity_id = $3 AND environment = $4 AND seq <= $5
             ORDER BY seq DESC LIMIT 1"
        );
        Ok(self.histories(&sql, &[&project, &entity_type, &entity_id, &environment, &max_seq])?.into_iter().next())
    }

    fn entity_history(&self, project: &str, entity_type: &str, entity_id: &str, limit: u32) -> Result<Vec<HistoryEntry>> {
        let sql = format!(
            "SELECT {HISTORY_COLS} FROM activation_history
             WHERE project_id = $1 AND entity_type = $2 AND entity_id = $3 ORDER BY seq DESC LIMIT $4"
        );
        self.histories(&sql, &[&project, &entity_type, &entity_id, &lim(limit)])
    }

    fn audit_head(&self) -> Result<Option<(i64, String)>> {
        // In a write, the head row is locked until commit: appends are serialized on it even
        // without the store-wide write lock. (A read-only snapshot cannot lock rows.)
        let sql = if self.write {
            "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
        } else {
            "SELECT seq, hash FROM audit_head WHERE id = 1"
        };
        let row = self.row(sql, &[])?;
        Ok(row.map(|r| Ok::<_, ::postgres::Error>((r.try_get(0)?, r.try_get(1)?))).transpose()?)
    }

    fn insert_audit(&self, e: &StoredEntry<'_>) -> Result<()> {
        e.check_text()?;
        self.exec(
            &format!("INSERT INTO audit_log ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
            &[
                &e.seq,
                &e.at,
                &e.actor_id,
                &e.action,
                &e.project_id,
                &e.object_type,
                &e.object_id,
                &e.before,
                &e.after,
                &e.reason,
                &e.prev_hash,
                &e.hash,
            ],
        )
        .map_err(|err| unique(err, || format!("audit entry {} was written concurrently", e.seq)))?;
        // INVARIANT: the head moves only from the entry before this one (compare-and-set).
        let moved = self.exec(
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash WHERE audit_head.seq = excluded.seq - 1",
            &[&e.seq, &e.hash],
        )?;
        if moved == 0 {
            return Err(Error::Conflict(format!("audit entry {} was written concurrently", e.seq)));
        }
        Ok(())
    }

    fn audit_page(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        self.audits(&format!("SELECT {AUDIT_COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"), &[&after, &lim(limit)])
    }

    fn audit_scan(&self, after: i64, limit: u32, f: &mut dyn FnMut(&StoredEntry<'_>) -> Result<()>) -> Result<u32> {
        let rows =
            self.rows(&format!("SELECT {AUDIT_COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"), &[&after, &lim(limit)])?;
        let mut n = 0;
        for r in &rows {
            f(&stored(r)?)?;
            n += 1;
        }
        Ok(n)
    }

    fn audit_for(&self, project: &str, object_id: Option<&str>, after: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        self.audits(
            &format!(
                "SELECT {AUDIT_COLS} FROM audit_log WHERE project_id = $1 AND ($2::text IS NULL OR object_id = $2) AND seq > $3 ORDER BY seq LIMIT $4"
            ),
            &[&project, &object_id, &after, &lim(limit)],
        )
    }

    fn insert_event(&self, e: &NewEvent<'_>) -> Result<i64> {
        super::check_stored_text("a record", e.payload)?;
        self.insert_seq(
            "events",
            "INSERT INTO events (seq, id, at, kind, project_id, object_type, object_id, actor_id, payload)
             SELECT s.value, $1::text, $2::bigint, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text FROM s RETURNING seq",
            &[&e.id, &micros(e.at), &e.kind, &e.project_id, &e.object_type, &e.object_id, &e.actor_id, &e.payload],
        )
    }

    fn events_after(&self, project: Option<&str>, after: i64, limit: u32) -> Result<Vec<Event>> {
        let rows = self.rows(
            "SELECT seq, id, at, kind, project_id, object_type, object_id, actor_id, payload FROM events
             WHERE ($1::text IS NULL OR project_id = $1) AND seq > $2 ORDER BY seq LIMIT $3",
            &[&project, &after, &lim(limit)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    seq: r.try_get(0)?,
                    id: r.try_get(1)?,
                    at: from_micros(r.try_get(2)?)?,
                    kind: r.try_get(3)?,
                    project_id: r.try_get(4)?,
                    object_type: r.try_get(5)?,
                    object_id: r.try_get(6)?,
                    actor_id: r.try_get(7)?,
                    payload: from_doc(r.try_get::<_, &str>(8)?)?,
                    signature: None,
                })
            })
            .collect()
    }

    fn last_event_seq(&self) -> Result<i64> {
        let row = self.row("SELECT COALESCE(MAX(seq), 0)::bigint FROM events", &[])?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
    }

    /// One pass over the environment's history up to `at` in `history_by_env_at` order (migration
    /// 2), keeping each entity's last change (`DISTINCT ON`).
    ///
    /// INVARIANT: an entity's state at `at` is its last change by time, ties by `seq` (the greatest
    /// `(at, seq)` with `at <= $3`), as in `sqlite_tx.rs`: its last change by `seq` as long as `at`
    /// does not go back along `seq` for an entity (unless the clocks stamping the changes do).
    ///
    /// Not the per-entity seeks of the SQLite store: measured on PostgreSQL 15, a `LATERAL` seek
    /// per entity cost 12–25 µs, so skip-scanning was slower than this single index pass up to a
    /// million changes in the environment (100 per entity): 100 ms against 13 ms at 10,000
    /// changes, 250 ms against 230 ms at 1,000,000 (docs/performance.md).
    fn active_at(&self, project: &str, environment: &str, at: DateTime<Utc>) -> Result<Vec<(HistoryEntry, Option<ChangePeople>)>> {
        let sql = format!(
            "SELECT * FROM (
                SELECT DISTINCT ON (entity_type, entity_id) {HISTORY_COLS}, people FROM activation_history
                WHERE project_id = $1 AND environment = $2 AND at <= $3
                ORDER BY entity_type, entity_id, at DESC, seq DESC
             ) AS last WHERE version_tag IS NOT NULL ORDER BY entity_type, entity_id"
        );
        self.rows(&sql, &[&project, &environment, &micros(at)])?
            .iter()
            .map(|r| Ok((history_row(r)?, r.try_get::<_, Option<String>>(7)?.as_deref().map(from_doc).transpose()?)))
            .collect()
    }

    fn deployments_with_status(&self, status: DeploymentStatus, after_id: &str, limit: u32) -> Result<Vec<Deployment>> {
        self.docs(
            "SELECT doc FROM deployments WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3",
            &[&status.as_str(), &after_id, &lim(limit)],
        )
    }

    fn update_version(&self, v: &Version) -> Result<()> {
        let s = &v.spec;
        let n = self.exec(
            "UPDATE versions SET doc = $5 WHERE project_id = $1 AND entity_type = $2 AND entity_id = $3 AND version_tag = $4",
            &[&v.project_id, &s.entity_type, &s.entity_id, &s.version_tag, &to_doc(v)?],
        )?;
        if n == 0 {
            return Err(Error::not_found(format!(
                "version `{}` of `{}` `{}` is not in the catalog",
                s.version_tag, s.entity_type, s.entity_id
            )));
        }
        Ok(())
    }

    fn put_record(&self, r: &Record) -> Result<()> {
        rec::put(self, r)
    }

    fn get_record(&self, project: &str, kind: &str, id: &str) -> Result<Option<Record>> {
        rec::get(self, project, kind, id)
    }

    fn delete_record(&self, project: &str, kind: &str, id: &str) -> Result<bool> {
        rec::delete(self, project, kind, id)
    }

    fn list_records(&self, project: &str, kind: &str, scope: Option<&str>, after_id: Option<&str>, limit: u32) -> Result<Vec<Record>> {
        rec::list(self, project, kind, scope, after_id, limit)
    }

    fn append_log(&self, project: &str, deployment_id: &str, at: DateTime<Utc>, stage: &str, line: &str) -> Result<i64> {
        rec::append_log(self, project, deployment_id, micros(at), stage, line)
    }

    fn logs(&self, project: &str, deployment_id: &str, after_seq: i64, limit: u32) -> Result<Vec<LogLine>> {
        rec::logs(self, project, deployment_id, after_seq, limit)
    }

    fn trim_logs(&self, project: &str, deployment_id: &str, count: u32) -> Result<u64> {
        rec::trim_logs(self, project, deployment_id, count)
    }
}
