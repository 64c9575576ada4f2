//! Shared by the robustness tests (`many_writers`, `crash`, `hostile`, `authz`): the stores each
//! test runs on, and the invariants checked after every race and every crash.
//!
//! Stores: a SQLite file always; PostgreSQL when `DEPLOYGOV_TEST_POSTGRES_URL` is set and
//! `Engine::open` accepts the URL (each test then works in a schema of its own, selected through
//! the URL's `search_path`). Otherwise the PostgreSQL variant prints why it is skipped. Every
//! test also works in its own project (a unique id), and counts are taken per project, never
//! store-wide.
#![allow(dead_code, reason = "each test file uses a different subset")]
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{TimeZone, Utc};
use deploygov::*;

/// The variable naming the PostgreSQL database the tests may use.
pub const PG_URL_VAR: &str = "DEPLOYGOV_TEST_POSTGRES_URL";

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// The PostgreSQL database of `DEPLOYGOV_TEST_POSTGRES_URL`.
    Postgres,
}

/// One store under test: what `Engine::open` is given.
#[derive(Debug)]
pub struct TestStore {
    /// Which store.
    pub kind: Kind,
    /// The path or URL.
    pub url: String,
    /// Keeps the SQLite file's directory alive.
    dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// A fresh SQLite file.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("gov.db").to_str().unwrap().to_owned();
        Self { kind: Kind::Sqlite, url, dir: Some(dir) }
    }

    /// The PostgreSQL store, or `None` (with the reason printed) when it cannot be used.
    pub fn postgres(test: &str) -> Option<Self> {
        let Ok(url) = std::env::var(PG_URL_VAR) else {
            println!("{test}: skipping postgres: {PG_URL_VAR} is not set");
            return None;
        };
        match Engine::open(&url) {
            // Until the PostgreSQL store exists the URL reaches SQLite, which cannot open it; make
            // sure it did not create a file of that name either.
            Ok(_) if std::path::Path::new(&url).exists() => {
                println!("{test}: skipping postgres: Engine::open treated `{url}` as a SQLite path");
                None
            }
            Ok(_) => {
                // A schema of its own (created by the store on first open), shared by every engine
                // and child process of this test: a short audit chain, no neighbours.
                let schema = unique("rb").replace('-', "_");
                let sep = if url.contains('?') { '&' } else { '?' };
                Some(Self { kind: Kind::Postgres, url: format!("{url}{sep}options=-csearch_path%3D{schema}"), dir: None })
            }
            Err(e) => {
                println!("{test}: skipping postgres: Engine::open does not accept `{url}` yet ({}: {e})", e.code().name());
                None
            }
        }
    }

    /// Every store this test should run on: SQLite, and PostgreSQL when available.
    /// `DEPLOYGOV_TEST_STORES=postgres` (or `sqlite`) narrows it, e.g. for a second pass of the
    /// suite against PostgreSQL that need not repeat the SQLite runs.
    pub fn all(test: &str) -> Vec<Self> {
        let only = std::env::var("DEPLOYGOV_TEST_STORES").unwrap_or_default();
        let wants = |name: &str| only.is_empty() || only.split(',').any(|s| s.trim() == name);
        let mut out = Vec::new();
        if wants("sqlite") {
            out.push(Self::sqlite());
        } else {
            println!("{test}: skipping sqlite: DEPLOYGOV_TEST_STORES={only}");
        }
        if wants("postgres") {
            out.extend(Self::postgres(test));
        }
        out
    }

    /// Short name for messages.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
        }
    }

    /// An engine on this store with the system clock.
    pub fn open(&self) -> Engine {
        Engine::open(&self.url).unwrap_or_else(|e| panic!("{}: cannot open `{}`: {e}", self.name(), self.url))
    }

    /// An engine on this store with `clock` (through `deploygov::store::open`, which picks the
    /// store by URL as `Engine::open` does).
    pub fn open_with_clock(&self, clock: &ManualClock) -> Engine {
        let store = deploygov::store::open(&self.url).unwrap_or_else(|e| panic!("{}: cannot open `{}`: {e}", self.name(), self.url));
        Engine::with_store(store, Arc::new(clock.clone()))
    }

    /// The SQLite file, when this is SQLite.
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.kind == Kind::Sqlite).then_some(self.url.as_str())
    }
}

/// A private copy of this test binary to start as child processes (a concurrent `cargo build`
/// in a shared checkout may replace the original while a long test is running); the copy is
/// deleted when this is dropped.
///
/// INVARIANT: held by the test that starts the children, not by a `static`: statics are never
/// dropped, and a copy per test process left 65 MB in the temporary directory each time.
pub struct ChildExe {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl ChildExe {
    /// The copy's path.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// Copies this test binary (see [`ChildExe`]).
pub fn child_exe() -> ChildExe {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test-binary");
    std::fs::copy(std::env::current_exe().unwrap(), &path).unwrap();
    ChildExe { _dir: dir, path }
}

/// A project id no other test (or earlier run on the same PostgreSQL database) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{nanos}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// An actor with role `admin`.
pub fn admin(id: &str) -> Actor {
    Actor::new(id, &["admin"])
}

/// A policy: `approvals` distinct admins, 4-eyes, only admins request, execute and roll back
/// (rollbacks need no approval), with the given lease.
pub fn admin_policy(approvals: u32, lease_ttl_seconds: i64) -> Policy {
    let admins = vec!["admin".to_owned()];
    Policy {
        approval_rules: if approvals == 0 {
            vec![]
        } else {
            vec![ApprovalRule { name: "admins".into(), required_approvals: approvals, eligible_roles: admins.clone() }]
        },
        four_eyes: true,
        request_roles: admins.clone(),
        execute_roles: admins.clone(),
        reject_roles: admins.clone(),
        rollback: RollbackPolicy { requires_approval: false, roles: admins },
        lease_ttl_seconds,
        ..Policy::development()
    }
}

/// Creates `project` with one environment per `(name, policy)` and registers `versions` of
/// every `model/<entity>`.
pub fn setup_project(e: &Engine, project: &str, envs: &[(&str, Policy)], entities: &[&str], versions: &[&str]) {
    let root = admin("root");
    e.create_project(project, "acme", "robustness", &root).unwrap();
    for (name, policy) in envs {
        let spec = EnvironmentSpec { name: (*name).into(), policy: Some(policy.clone()), ..Default::default() };
        e.create_environment(project, &spec, &root).unwrap();
    }
    for entity in entities {
        for v in versions {
            let spec =
                VersionSpec { entity_type: "model".into(), entity_id: (*entity).into(), version_tag: (*v).into(), ..Default::default() };
            e.register_version(project, &spec, &root).unwrap();
        }
    }
}

/// One item `model/<entity>@<tag>`.
pub fn item(entity: &str, tag: &str) -> ItemSpec {
    ItemSpec { entity_type: "model".into(), entity_id: entity.into(), version_tag: tag.into(), change_message: None, risk: RiskLevel::Low }
}

/// A request of one item.
pub fn request(env: &str, name: &str, entity: &str, tag: &str) -> DeploymentRequest {
    DeploymentRequest { environment: env.into(), name: name.into(), items: vec![item(entity, tag)], ..Default::default() }
}

/// Every deployment of a project (all pages).
pub fn all_deployments(e: &Engine, project: &str) -> Vec<Deployment> {
    let mut out = Vec::new();
    let mut filter = DeploymentFilter { limit: Some(500), ..Default::default() };
    loop {
        let page = e.list_deployments(project, &filter).unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => return out,
        }
    }
}

/// Every audit entry of a project, oldest first.
pub fn project_audit(e: &Engine, project: &str) -> Vec<AuditEntry> {
    let mut out: Vec<AuditEntry> = Vec::new();
    loop {
        let after = out.last().map_or(0, |a| a.seq);
        let page = e.audit_log(project, None, after, Some(500)).unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// Every outbox event of a project, oldest first.
pub fn project_events(e: &Engine, project: &str) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    loop {
        let after = out.last().map_or(0, |ev| ev.seq);
        let page = e.events_after(Some(project), after, Some(1000)).unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// The status an audit snapshot names: a deployment snapshot's `status`, or a bare status string
/// (the automatic approval is audited as `"pending"` → `"approved"`).
fn status_of(v: &serde_json::Value) -> Option<DeploymentStatus> {
    let s = v.get("status").and_then(|s| s.as_str()).or_else(|| v.as_str())?;
    s.parse().ok()
}

/// Checks that `d` reached its status through legal transitions only, replaying the statuses its
/// audit entries record (every deployment starts `pending`).
pub fn check_reachable(d: &Deployment, entries: &[&AuditEntry]) {
    let mut path = vec![DeploymentStatus::Pending];
    for a in entries {
        if let (Some(before), Some(&now)) = (a.before.is_object().then(|| status_of(&a.before)).flatten(), path.last()) {
            assert_eq!(before, now, "deployment `{}`: `{}` (seq {}) starts from `{before}`, but it was `{now}`", d.id, a.action, a.seq);
        }
        if let Some(after) = status_of(&a.after)
            && path.last() != Some(&after)
        {
            path.push(after);
        }
    }
    for w in path.windows(2) {
        assert!(deploygov::state::allowed(w[0], w[1]), "deployment `{}` went `{}` → `{}` (path {path:?})", d.id, w[0], w[1]);
    }
    assert_eq!(path.last(), Some(&d.status), "deployment `{}`: audit path {path:?} does not end in its status", d.id);
}

/// Everything that must hold in a project after any race or crash:
/// - the audit chain verifies;
/// - every deployment's status was reached legally (its audit history replays to it);
/// - at most one deployment per environment is `deploying`;
/// - each environment's active state equals the replay of the activation history
///   (`entity_history`) and `active_state_at` a far-future instant, and belongs to `deployed`
///   deployments;
/// - the outbox holds exactly one event per audit entry, in the same order, per object.
///
/// Returns the deployments, by id.
pub fn check_invariants(e: &Engine, project: &str, envs: &[&str], entities: &[&str]) -> BTreeMap<String, Deployment> {
    e.verify_audit().unwrap_or_else(|err| panic!("audit chain: {err}"));
    check_project(e, project, envs, entities)
}

/// [`check_invariants`] without walking the store-wide audit chain (for stores where that is
/// slow; the chain is append-only, so a break found later is still found).
pub fn check_project(e: &Engine, project: &str, envs: &[&str], entities: &[&str]) -> BTreeMap<String, Deployment> {
    let audit = project_audit(e, project);
    let deployments: BTreeMap<String, Deployment> = all_deployments(e, project).into_iter().map(|d| (d.id.clone(), d)).collect();
    let mut by_object: BTreeMap<&str, Vec<&AuditEntry>> = BTreeMap::new();
    for a in &audit {
        by_object.entry(a.object_id.as_str()).or_default().push(a);
    }
    for d in deployments.values() {
        let mine: Vec<&AuditEntry> =
            by_object.get(d.id.as_str()).map(|v| v.iter().filter(|a| a.object_type == "deployment").copied().collect()).unwrap_or_default();
        check_reachable(d, &mine);
    }
    let far = Utc.with_ymd_and_hms(2999, 1, 1, 0, 0, 0).unwrap();
    for env in envs {
        let deploying: Vec<&str> = deployments
            .values()
            .filter(|d| d.environment == *env && d.status == DeploymentStatus::Deploying)
            .map(|d| d.id.as_str())
            .collect();
        assert!(deploying.len() <= 1, "environment `{env}` has several deployments deploying: {deploying:?}");
        let mut live: BTreeMap<(String, String), (String, String)> = e
            .active_state(project, env)
            .unwrap()
            .into_iter()
            .map(|a| ((a.entity_type, a.entity_id), (a.version_tag, a.deployment_id)))
            .collect();
        for (tag, id) in live.values() {
            let d = &deployments[id];
            assert_eq!(d.status, DeploymentStatus::Deployed, "`{tag}` is live in `{env}` through `{id}`, which is `{}`", d.status);
        }
        let mut replay = BTreeMap::new();
        for entity in entities {
            // Newest first: the first entry in this environment is the current one.
            let history = e.entity_history(project, "model", entity, Some(500)).unwrap();
            assert!(history.len() < 500, "history of `{entity}` too long for this check");
            if let Some(h) = history.iter().find(|h| h.environment == *env)
                && let Some(tag) = &h.version_tag
            {
                replay.insert(("model".to_owned(), (*entity).to_owned()), (tag.clone(), h.deployment_id.clone()));
            }
        }
        live.retain(|(et, _), _| et == "model");
        assert_eq!(live, replay, "active state of `{env}` differs from the replay of its activation history");
        let at: BTreeMap<(String, String), (String, String)> = e
            .active_state_at(project, env, far)
            .unwrap()
            .into_iter()
            .map(|l| ((l.entity_type, l.entity_id), (l.version_tag, l.deployment_id)))
            .collect();
        assert_eq!(at, replay, "active_state_at(now) of `{env}` differs from the active state");
    }
    let events = project_events(e, project);
    assert_eq!(events.len(), audit.len(), "outbox events vs audit entries of project `{project}`");
    let ids: HashSet<&str> = events.iter().map(|ev| ev.id.as_str()).collect();
    assert_eq!(ids.len(), events.len(), "duplicate event ids");
    for (a, ev) in audit.iter().zip(&events) {
        let kind = if a.action == "deployment.started" { "deployment.deploying" } else { a.action.as_str() };
        assert_eq!(
            (ev.object_id.as_str(), ev.kind.as_str()),
            (a.object_id.as_str(), kind),
            "event {} does not match audit entry {}",
            ev.seq,
            a.seq
        );
    }
    deployments
}

/// The audit actions of one object, oldest first.
pub fn actions_of(e: &Engine, project: &str, object: &str) -> Vec<String> {
    e.audit_log(project, Some(object), 0, Some(500)).unwrap().into_iter().map(|a| a.action).collect()
}

/// How many times `action` occurs in `actions`.
pub fn count(actions: &[String], action: &str) -> usize {
    actions.iter().filter(|a| *a == action).count()
}

/// `PRAGMA integrity_check` of a SQLite file.
pub fn sqlite_integrity(path: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let res: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(res, "ok", "integrity_check of {path}");
}
