//! The engine: every command runs as one store transaction and appends to the audit chain in
//! that same transaction.

mod admin;
mod artifacts;
mod cache;
mod config;
mod execute;
mod freeze;
mod gate;
mod governance;
mod guided;
mod health;
mod incidents;
mod lifecycle;
mod pipeline;
mod query;
mod records;
mod reports;

pub use gate::{Action, Blocker, DryRun};
pub use guided::ResumeDecision;
pub use health::{HEALTH_ACTOR, HealthCheck, HealthOutcome, HealthReport};
pub use lifecycle::{ApproveOptions, ExecuteOptions, RollbackOptions};
pub use pipeline::{Completion, LogPage, MAX_LOG_LINE_BYTES, MAX_LOG_LINES, MAX_STAGE_BYTES};

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{self, NewEntry};
use crate::clock::{Clock, SystemClock, now_micros};
use crate::error::{Error, Result};
use crate::events::{self, Event, NewEvent, Subscriber};
use crate::model::{AUTO_APPROVER, Actor, Deployment, DeploymentStatus, Environment, ItemStatus, Project};
use crate::store::{ChangePeople, Store, StoreTx};
use crate::validation::Validator;

type Validators = BTreeMap<String, Arc<dyn Validator>>;
type Subscribers = BTreeMap<String, Arc<dyn Subscriber>>;

/// The deployment-governance engine a host embeds. Cheap to share: `Send + Sync`; every method
/// takes `&self`.
pub struct Engine {
    store: Box<dyn Store>,
    clock: Arc<dyn Clock>,
    validators: RwLock<Validators>,
    subscribers: RwLock<Subscribers>,
    signing_key: RwLock<Option<Vec<u8>>>,
    /// The hot read cache of [`Engine::active_version`] (see `cache.rs`).
    cache: cache::ActiveCache,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens the embedded SQLite store at `path` (created if missing; `:memory:` for a private
    /// in-memory store), or the PostgreSQL store at a `postgres://` / `postgresql://` URL
    /// (migrated if needed), with the system clock.
    pub fn open(path: &str) -> Result<Self> {
        Ok(Self::with_store(crate::store::open(path)?, Arc::new(SystemClock)))
    }

    /// An in-memory engine (tests, demos).
    pub fn in_memory() -> Result<Self> {
        Self::open(":memory:")
    }

    /// An engine over any store and clock.
    pub fn with_store(store: Box<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            validators: RwLock::new(BTreeMap::new()),
            subscribers: RwLock::new(BTreeMap::new()),
            signing_key: RwLock::new(None),
            cache: cache::ActiveCache::new(),
        }
    }

    /// Registers (or replaces) a custom validator under `name`; it runs on every request and
    /// again before every execution.
    pub fn register_validator(&self, name: &str, validator: Arc<dyn Validator>) -> Result<()> {
        crate::model::check_id("validator name", name)?;
        self.validators.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.to_owned(), validator);
        Ok(())
    }

    /// Removes a custom validator; returns whether it existed.
    pub fn unregister_validator(&self, name: &str) -> bool {
        self.validators.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(name).is_some()
    }

    fn validators(&self) -> Validators {
        self.validators.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn now(&self) -> DateTime<Utc> {
        now_micros(self.clock.as_ref())
    }

    /// Runs `f` in one write transaction and returns its value. After the commit, the events
    /// the transaction wrote go to the subscribers (when there are any).
    fn write<T>(&self, mut f: impl FnMut(&dyn StoreTx) -> Result<T>) -> Result<T> {
        let subscribers = self.subscribers.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let mut out = None;
        let mut span = (0, 0);
        self.store.write(&mut |tx| {
            if !subscribers.is_empty() {
                span.0 = tx.last_event_seq()?;
            }
            out = Some(f(tx)?);
            if !subscribers.is_empty() {
                span.1 = tx.last_event_seq()?;
            }
            Ok(())
        })?;
        let out = out.ok_or_else(|| Error::storage("transaction returned no result"))?;
        if span.1 > span.0 {
            // INVARIANT: writers are serialized, so the events in (span.0, span.1] are this
            // transaction's. A failure to read them back does not undo the committed command.
            let limit = u32::try_from(span.1 - span.0).unwrap_or(u32::MAX);
            if let Ok(events) = self.read(|tx| tx.events_after(None, span.0, limit)) {
                for e in events.iter().filter(|e| e.seq <= span.1) {
                    let e = self.signed(e.clone());
                    subscribers.values().for_each(|s| events::deliver(s.as_ref(), &e));
                }
            }
        }
        Ok(out)
    }

    fn signed(&self, mut e: Event) -> Event {
        if let Some(key) = self.signing_key.read().unwrap_or_else(std::sync::PoisonError::into_inner).as_deref() {
            e.signature = events::sign(key, &e).ok();
        }
        e
    }

    /// Sets (or, with `None`, clears) the key events are signed with (HMAC-SHA256).
    pub fn set_event_signing_key(&self, key: Option<&[u8]>) -> Result<()> {
        if key.is_some_and(<[u8]>::is_empty) {
            return Err(Error::invalid_input("the signing key must not be empty"));
        }
        *self.signing_key.write().unwrap_or_else(std::sync::PoisonError::into_inner) = key.map(<[u8]>::to_vec);
        Ok(())
    }

    /// Registers (or replaces) an in-process subscriber under `name`: it receives every event
    /// after the transaction that wrote it commits. It must not block for long: it runs on the
    /// thread of the command.
    pub fn subscribe(&self, name: &str, subscriber: Arc<dyn Subscriber>) -> Result<()> {
        crate::model::check_id("subscriber name", name)?;
        self.subscribers.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.to_owned(), subscriber);
        Ok(())
    }

    /// Removes a subscriber; returns whether it existed.
    pub fn unsubscribe(&self, name: &str) -> bool {
        self.subscribers.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(name).is_some()
    }

    /// Events after position `after_seq` (of one project, or of every project with `None`), in
    /// order, at most `limit` (default 100, at most 1000); signed when a key is set. Publish them
    /// and keep the last `seq` as the cursor: delivery is at least once, `id` de-duplicates.
    pub fn events_after(&self, project: Option<&str>, after_seq: i64, limit: Option<u32>) -> Result<Vec<Event>> {
        let limit = limit.unwrap_or(100);
        if limit == 0 || limit > 1000 {
            return Err(Error::invalid_input(format!("limit must be between 1 and 1000, got `{limit}`")));
        }
        if after_seq < 0 {
            return Err(Error::invalid_input(format!("after_seq must not be negative, got `{after_seq}`")));
        }
        let events = self.read(|tx| tx.events_after(project, after_seq, limit))?;
        Ok(events.into_iter().map(|e| self.signed(e)).collect())
    }

    /// Runs `f` in one read transaction and returns its value.
    fn read<T>(&self, mut f: impl FnMut(&dyn StoreTx) -> Result<T>) -> Result<T> {
        let mut out = None;
        self.store.read(&mut |tx| {
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::storage("transaction returned no result"))
    }
}

/// Serializes a record for the audit trail.
fn snapshot<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// What an audit entry's `before` or `after` is made from.
pub(super) trait AuditJson {
    /// Its canonical JSON text (compact, object keys in byte order: `audit::canonical_json`).
    fn into_canonical(self) -> Result<String>;
}

impl AuditJson for serde_json::Value {
    fn into_canonical(self) -> Result<String> {
        audit::canonical_json(&self)
    }
}

/// Appends an audit entry for `actor` inside `tx`.
#[expect(clippy::too_many_arguments, reason = "one audit entry has this many parts")]
fn record(
    tx: &dyn StoreTx,
    at: DateTime<Utc>,
    actor: &str,
    action: &'static str,
    project: &str,
    object: (&'static str, &str),
    before: impl AuditJson,
    after: impl AuditJson,
    reason: Option<&str>,
) -> Result<()> {
    let entry = NewEntry {
        actor_id: actor,
        action,
        project_id: Some(project),
        object_type: object.0,
        object_id: object.1,
        before: before.into_canonical()?,
        after: after.into_canonical()?,
        reason,
    };
    audit::append(tx, at, &entry)?;
    // INVARIANT: one event per audit entry, in the same transaction (the outbox). Its payload is
    // `{ after, before, reason }` spliced from the entry's stored text (keys in byte order, as
    // the entry's canonical JSON), not serialized again.
    let reason = serde_json::to_string(&reason).map_err(|e| Error::storage(format!("cannot serialize event: {e}")))?;
    let payload = format!(r#"{{"after":{},"before":{},"reason":{reason}}}"#, entry.after, entry.before);
    let id = uuid::Uuid::now_v7().to_string();
    tx.insert_event(&NewEvent {
        id: &id,
        at,
        kind: events::kind_for(action),
        project_id: Some(project),
        object_type: object.0,
        object_id: object.1,
        actor_id: actor,
        payload: &payload,
    })
    .map(|_| ())
}

/// The audit view of a deployment (secrets are already redacted in its snapshot).
///
/// INVARIANT: the fields here and in [`ItemAudit`] are declared in the byte order of their
/// names, so serde_json writes this struct as canonical JSON: the text `audit::canonical_json`
/// gives for the same object built as a JSON value (test `deployment_audit_is_canonical`).
#[derive(Debug, Clone, Serialize)]
pub(super) struct DeploymentAudit {
    content_hash: String,
    items: Vec<ItemAudit>,
    revision: i64,
    status: DeploymentStatus,
}

/// One item in [`DeploymentAudit`] (fields in byte order of their names).
#[derive(Debug, Clone, Serialize)]
struct ItemAudit {
    entity_id: String,
    entity_type: String,
    error_message: Option<String>,
    previous_version: Option<String>,
    status: ItemStatus,
    version_tag: Option<String>,
}

impl AuditJson for DeploymentAudit {
    fn into_canonical(self) -> Result<String> {
        serde_json::to_string(&self).map_err(|e| Error::storage(format!("cannot serialize audit entry: {e}")))
    }
}

/// The audit view of `d`.
fn deployment_audit(d: &Deployment) -> DeploymentAudit {
    DeploymentAudit {
        content_hash: d.content_hash.clone(),
        items: d
            .items
            .iter()
            .map(|i| ItemAudit {
                entity_id: i.entity_id.clone(),
                entity_type: i.entity_type.clone(),
                error_message: i.error_message.clone(),
                previous_version: i.previous_version.clone(),
                status: i.status,
                version_tag: i.version_tag.clone(),
            })
            .collect(),
        revision: d.revision,
        status: d.status,
    }
}

/// SHA-256 over the items (with their catalog digests) and the environment's configuration.
/// Secret values enter only as their own SHA-256.
fn content_hash(tx: &dyn StoreTx, env: &Environment, items: &[(String, String, Option<String>)]) -> Result<String> {
    let mut parts = Vec::with_capacity(items.len());
    for (et, eid, tag) in items {
        let digest = match tag {
            Some(t) => tx.version(&env.project_id, et, eid, t)?.and_then(|v| v.spec.digest),
            None => None,
        };
        parts.push(serde_json::json!([et, eid, tag, digest]));
    }
    let config: Vec<serde_json::Value> = env
        .variables
        .iter()
        .map(|v| {
            let value = if v.secret { hex::encode(Sha256::digest(v.value.as_bytes())) } else { v.value.clone() };
            serde_json::json!([v.key, value, v.secret])
        })
        .collect();
    let canonical = serde_json::to_vec(&serde_json::json!({ "items": parts, "config": config }))
        .map_err(|e| Error::storage(format!("cannot hash content: {e}")))?;
    Ok(hex::encode(Sha256::digest(canonical)))
}

/// Loads a project or fails with `not_found`.
fn need_project(tx: &dyn StoreTx, id: &str) -> Result<Project> {
    tx.project(id)?.ok_or_else(|| Error::not_found(format!("project `{id}` does not exist")))
}

/// Loads an environment or fails with `not_found`.
fn need_env(tx: &dyn StoreTx, project: &str, name: &str) -> Result<Environment> {
    tx.environment(project, name)?.ok_or_else(|| Error::not_found(format!("environment `{name}` does not exist in project `{project}`")))
}

/// Who is behind `d`: its requester, its approvers (automatic approval names nobody) and its
/// executor, as stored with each change it makes to the active state.
fn people_of(d: &Deployment) -> ChangePeople {
    ChangePeople {
        requested_by: d.requested_by.clone(),
        approved_by: d.approvals.iter().filter(|a| a.actor_id != AUTO_APPROVER).map(|a| a.actor_id.clone()).collect(),
        executed_by: d.executed_by.clone(),
    }
}

/// Loads a deployment of a project or fails with `not_found`.
fn need_deployment(tx: &dyn StoreTx, project: &str, id: &str) -> Result<Deployment> {
    tx.deployment(project, id)?.ok_or_else(|| Error::not_found(format!("deployment `{id}` does not exist in project `{project}`")))
}

/// Refuses an actor without any of `roles` (empty = anyone) for `what`.
fn require_role(actor: &Actor, roles: &[String], what: &str) -> Result<()> {
    if actor.has_any_role(roles) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!("actor `{}` may not {what}: needs one of the roles {}", actor.id, crate::policy::quoted(roles))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit view written from its struct is the canonical JSON of the same object built as
    /// a JSON value (what the trail held before the struct), for every shape of item.
    #[test]
    fn deployment_audit_is_canonical() {
        let mut d: Deployment = serde_json::from_str(include_str!("../../tests/fixtures/deployment.json")).unwrap();
        let as_value = |d: &Deployment| {
            serde_json::json!({
                "status": d.status,
                "revision": d.revision,
                "content_hash": d.content_hash,
                "items": d.items.iter().map(|i| serde_json::json!({
                    "entity_type": i.entity_type, "entity_id": i.entity_id, "version_tag": i.version_tag,
                    "status": i.status, "error_message": i.error_message, "previous_version": i.previous_version,
                })).collect::<Vec<_>>(),
            })
        };
        let mut second = d.items[0].clone();
        second.entity_id = "q\"uo\\te\u{1}é".into();
        second.version_tag = None;
        second.previous_version = None;
        second.error_message = Some("failed: `x`\n".into());
        second.status = ItemStatus::Failed;
        d.items.push(second);
        for (status, revision, items) in
            [(DeploymentStatus::Pending, 1, 2), (DeploymentStatus::Failed, -3, 1), (DeploymentStatus::Deployed, i64::MAX, 0)]
        {
            d.status = status;
            d.revision = revision;
            let mut d = d.clone();
            d.items.truncate(items);
            let want = audit::canonical_json(&as_value(&d)).unwrap();
            assert_eq!(deployment_audit(&d).into_canonical().unwrap(), want);
            // Nested in a JSON value (guided executions), it is the same object.
            assert_eq!(serde_json::to_value(deployment_audit(&d)).unwrap(), as_value(&d));
        }
    }
}
