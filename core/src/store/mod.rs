//! The storage abstraction. The engine runs every command as one closure inside [`Store::write`];
//! an implementation must make that closure atomic and serializable with respect to every other
//! writer (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `SERIALIZABLE` or row locks), and must enforce
//! the compare-and-set in [`StoreTx::update_deployment`] and [`StoreTx::update_environment`].

mod checkpoint;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
mod postgres_records;
#[cfg(feature = "postgres")]
mod postgres_tx;
mod shm;
mod sqlite;
mod sqlite_audit;
mod sqlite_memo;
mod sqlite_migrate;
mod sqlite_outbox;
#[cfg(test)]
mod sqlite_plans;
mod sqlite_records;
mod sqlite_snapshots;
mod sqlite_tx;

#[cfg(feature = "postgres")]
pub use self::postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Opens the store `path_or_url` names: a `postgres://` or `postgresql://` URL is a
/// [`PostgresStore`], anything else a SQLite file (or `:memory:`) for [`SqliteStore`].
pub fn open(path_or_url: &str) -> Result<Box<dyn Store>> {
    if path_or_url.starts_with("postgres://") || path_or_url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return Ok(Box::new(PostgresStore::open(path_or_url)?));
        #[cfg(not(feature = "postgres"))]
        return Err(crate::error::Error::invalid_input("this build of deploygov has no postgres store (cargo feature `postgres`)"));
    }
    Ok(Box::new(SqliteStore::open(path_or_url)?))
}

use crate::audit::AuditEntry;
use crate::error::Result;
use crate::events::Event;
use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

use crate::model::{ActiveEntry, Deployment, DeploymentFilter, DeploymentStatus, Environment, HistoryEntry, Project, Version};

/// A storage backend.
pub trait Store: Send + Sync {
    /// Runs `f` in a read-only snapshot.
    fn read(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<()>;
    /// Runs `f` in a write transaction: committed when `f` returns `Ok`, rolled back otherwise.
    fn write(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<()>;
    /// Runs `f` in a read-only snapshot on a connection of its own, which can run at the same
    /// time as [`Store::read`]s, including one in progress on the calling thread (verification
    /// reads the two halves of a long audit chain at once this way). `Ok(false)` when the store
    /// has no such connection (the default, and a `:memory:` SQLite store): `f` was not called.
    fn read_apart(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<bool> {
        let _ = f;
        Ok(false)
    }
    /// A stamp that is equal between two calls only if no transaction that may have changed the
    /// active state committed in between, by this store or by anyone else (another connection,
    /// another process). `None` when the store cannot tell right now: the engine then reads from
    /// the store instead of its cache. The default never tells (no caching).
    ///
    /// INVARIANT: it must be cheap (it runs on every cached read) and must be taken *before* the
    /// read it vouches for: the engine fills its cache with data read after the stamp was taken,
    /// and serves it only while the stamp is unchanged.
    fn change_stamp(&self) -> Option<ChangeStamp> {
        None
    }
}

/// See [`Store::change_stamp`]: opaque, compared for equality only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeStamp {
    own: u64,
    other: [u8; shm::STAMP_LEN],
}

impl ChangeStamp {
    /// A stamp from a store's own change counter (for stores whose every writer is in-process).
    pub fn new(counter: u64) -> Self {
        Self { own: counter, other: [0; shm::STAMP_LEN] }
    }
}

/// Operations available inside a transaction. Every lookup is scoped to a project.
pub trait StoreTx {
    /// A project by id.
    fn project(&self, id: &str) -> Result<Option<Project>>;
    /// Inserts a project (`conflict` if the id exists).
    fn insert_project(&self, p: &Project) -> Result<()>;

    /// One environment.
    fn environment(&self, project: &str, name: &str) -> Result<Option<Environment>>;
    /// All environments of a project, in order.
    fn environments(&self, project: &str) -> Result<Vec<Environment>>;
    /// Inserts an environment (`conflict` if the name exists).
    fn insert_environment(&self, e: &Environment) -> Result<()>;
    /// Replaces an environment whose stored revision is `expected_revision` (`conflict` otherwise).
    fn update_environment(&self, e: &Environment, expected_revision: i64) -> Result<()>;

    /// One catalog version.
    fn version(&self, project: &str, entity_type: &str, entity_id: &str, tag: &str) -> Result<Option<Version>>;
    /// Every version of one entity, newest registration first.
    fn versions(&self, project: &str, entity_type: &str, entity_id: &str) -> Result<Vec<Version>>;
    /// Inserts a catalog version.
    fn insert_version(&self, v: &Version) -> Result<()>;

    /// One deployment.
    fn deployment(&self, project: &str, id: &str) -> Result<Option<Deployment>>;
    /// The deployment created with an idempotency key.
    fn deployment_by_key(&self, project: &str, key: &str) -> Result<Option<Deployment>>;
    /// Inserts a deployment.
    fn insert_deployment(&self, d: &Deployment) -> Result<()>;
    /// Replaces a deployment whose stored revision is `expected_revision` (`conflict` otherwise).
    fn update_deployment(&self, d: &Deployment, expected_revision: i64) -> Result<()>;
    /// Deployments matching `filter`, newest first, at most `limit`.
    fn list_deployments(&self, project: &str, filter: &DeploymentFilter, limit: u32) -> Result<Vec<Deployment>>;
    /// The id of the deployment holding an environment (`deploying` or `paused`), if any.
    fn deploying_in(&self, project: &str, environment: &str) -> Result<Option<String>>;

    /// The live version of one entity (the hot path: an indexed point lookup).
    fn active(&self, project: &str, environment: &str, entity_type: &str, entity_id: &str) -> Result<Option<ActiveEntry>>;
    /// Everything live in an environment.
    fn active_state(&self, project: &str, environment: &str) -> Result<Vec<ActiveEntry>>;
    /// Sets (`Some`) or removes (`None` version) one entity's live version and appends the change
    /// to the activation history, with who made it; returns the history sequence number.
    fn apply_activation(&self, project: &str, change: &HistoryEntry, people: &ChangePeople) -> Result<i64>;
    /// How many entities `deployment_id` still has live.
    fn live_count(&self, project: &str, deployment_id: &str) -> Result<i64>;
    /// The last change of one entity at or before history position `max_seq`.
    fn history_at(
        &self,
        project: &str,
        environment: &str,
        entity_type: &str,
        entity_id: &str,
        max_seq: i64,
    ) -> Result<Option<HistoryEntry>>;
    /// Changes of one entity across environments, newest first.
    fn entity_history(&self, project: &str, entity_type: &str, entity_id: &str, limit: u32) -> Result<Vec<HistoryEntry>>;

    /// Sequence and hash of the last audit entry.
    fn audit_head(&self) -> Result<Option<(i64, String)>>;
    /// Appends an audit entry (every field as its stored text) and moves the head.
    fn insert_audit(&self, e: &crate::audit::StoredEntry<'_>) -> Result<()>;
    /// Entries with `seq > after`, in order, at most `limit`.
    fn audit_page(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>>;
    /// The same entries as [`StoreTx::audit_page`], as stored (text, unparsed), each passed to
    /// `f` in order; stops at the first error. Returns how many were passed.
    fn audit_scan(&self, after: i64, limit: u32, f: &mut dyn FnMut(&crate::audit::StoredEntry<'_>) -> Result<()>) -> Result<u32> {
        let mut n = 0;
        for e in self.audit_page(after, limit)? {
            let (at, before, after) = (
                e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                serde_json::to_string(&e.before).unwrap_or_default(),
                serde_json::to_string(&e.after).unwrap_or_default(),
            );
            f(&e.with_text(&at, &before, &after))?;
            n += 1;
        }
        Ok(n)
    }
    /// Entries of a project (optionally one object), with `seq > after`, in order.
    fn audit_for(&self, project: &str, object_id: Option<&str>, after: i64, limit: u32) -> Result<Vec<AuditEntry>>;

    /// Appends an event to the outbox; returns its sequence number.
    fn insert_event(&self, e: &crate::events::NewEvent<'_>) -> Result<i64>;
    /// Events with `seq > after` (of one project, or all), in order, at most `limit`.
    fn events_after(&self, project: Option<&str>, after: i64, limit: u32) -> Result<Vec<Event>>;
    /// The sequence number of the last event (0 when there is none).
    fn last_event_seq(&self) -> Result<i64>;

    /// For each entity of an environment, its last change at or before `at`, when that change
    /// set a version (point-in-time active state), with who made it (`None` for a change stored
    /// before the history kept its people: SQLite migration 7, PostgreSQL 3).
    fn active_at(&self, project: &str, environment: &str, at: DateTime<Utc>) -> Result<Vec<(HistoryEntry, Option<ChangePeople>)>>;
    /// Deployments of every project in `status` with an id after `after_id`, in id order.
    fn deployments_with_status(&self, status: DeploymentStatus, after_id: &str, limit: u32) -> Result<Vec<Deployment>>;
    /// Replaces a catalog version's record (its quarantine).
    fn update_version(&self, v: &Version) -> Result<()>;

    /// Inserts or replaces a record (keyed by project, kind and id).
    fn put_record(&self, r: &Record) -> Result<()>;
    /// One record.
    fn get_record(&self, project: &str, kind: &str, id: &str) -> Result<Option<Record>>;
    /// Deletes a record; whether it existed.
    fn delete_record(&self, project: &str, kind: &str, id: &str) -> Result<bool>;
    /// Records of one kind (and scope, when given) with an id after `after_id`, in id order.
    fn list_records(&self, project: &str, kind: &str, scope: Option<&str>, after_id: Option<&str>, limit: u32) -> Result<Vec<Record>>;

    /// Appends one stage log line of a deployment; returns its sequence number (the cursor).
    fn append_log(&self, project: &str, deployment_id: &str, at: DateTime<Utc>, stage: &str, line: &str) -> Result<i64>;
    /// Log lines of a deployment with `seq > after_seq`, in order, at most `limit`.
    fn logs(&self, project: &str, deployment_id: &str, after_seq: i64, limit: u32) -> Result<Vec<LogLine>>;
    /// Deletes the oldest `count` lines of a deployment; returns how many.
    fn trim_logs(&self, project: &str, deployment_id: &str, count: u32) -> Result<u64>;
}

/// A small governed document (freeze window, artifact, deployment error, health check) stored
/// by kind. `doc` is the JSON of the engine's typed record; `scope` is what it is listed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Project.
    pub project_id: String,
    /// Kind of record (`freeze`, `artifact`, `deployment_error`, `health_check`).
    pub kind: String,
    /// Id, unique per project and kind; UUIDv7 so that id order is creation order.
    pub id: String,
    /// What the record is listed by (an environment, a deployment, a version key).
    pub scope: String,
    /// JSON document.
    pub doc: String,
}

/// Who is behind one change of the active state: the people of the deployment that made it, as
/// they were when it went live. Stored with the change (JSON), so that the point-in-time state
/// names them without reading each deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePeople {
    /// Who requested the deployment.
    pub requested_by: String,
    /// Who approved it (empty for automatic approval).
    pub approved_by: Vec<String>,
    /// Who executed it.
    pub executed_by: Option<String>,
}

/// One line of a deployment's stage log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Position in the store's log, increasing; the cursor of `deployment_logs`.
    pub seq: i64,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Pipeline stage (`build`, `upload`, `deploy`, `verify`, ...).
    pub stage: String,
    /// The text.
    pub line: String,
}

/// Largest record (deployment, environment, version document, audit before/after, governed
/// record) a store accepts: 1 MiB of JSON. Larger input is `invalid_input`, never half-stored.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Refuses text no store may hold: a NUL character (PostgreSQL text cannot hold it, and an id or
/// message with one is truncated by C consumers), and more than [`MAX_RECORD_BYTES`]. `doc` is
/// plain text or JSON (where a NUL appears as the escape `\u0000`). Both stores call this on
/// everything they write, so they accept and refuse exactly the same input.
pub fn check_stored_text(what: &str, doc: &str) -> crate::error::Result<()> {
    if doc.len() > MAX_RECORD_BYTES {
        return Err(crate::error::Error::invalid_input(format!("{what} is too large: {} bytes, at most {MAX_RECORD_BYTES}", doc.len())));
    }
    // An escape needs a backslash: most documents have none, and two `memchr`s settle them.
    if doc.contains('\0') || (doc.contains('\\') && has_nul_escape(doc)) {
        return Err(crate::error::Error::invalid_input(format!("{what} contains a NUL character")));
    }
    Ok(())
}

/// Whether JSON text holds the escape `\u0000` (an odd run of backslashes before `u0000`; an even
/// run is an escaped backslash followed by the letters `u0000`).
fn has_nul_escape(json: &str) -> bool {
    let bytes = json.as_bytes();
    let mut from = 0;
    while let Some(pos) = json.get(from..).and_then(|rest| rest.find("u0000")) {
        let at = from + pos;
        let slashes = bytes.get(..at).map_or(0, |head| head.iter().rev().take_while(|b| **b == b'\\').count());
        if slashes % 2 == 1 {
            return true;
        }
        from = at + 5;
    }
    false
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(has_nul_escape(r#"{"a":"x\u0000y"}"#));
        assert!(has_nul_escape(r#"{"a":"\\\u0000"}"#));
        assert!(!has_nul_escape(r#"{"a":"\\u0000"}"#), "a backslash, then the letters u0000");
        assert!(!has_nul_escape(r#"{"a":"u0000"}"#));
        assert!(check_stored_text("t", "a\0b").is_err());
        assert!(check_stored_text("t", &"x".repeat(MAX_RECORD_BYTES + 1)).is_err());
        assert!(check_stored_text("t", "fine").is_ok());
        assert!(check_stored_text("t", r#"{"a":"x\u0000y"}"#).is_err(), "the escape, through the backslash check");
        assert!(check_stored_text("t", r#"{"a":"\\u0000"}"#).is_ok());
    }
}
