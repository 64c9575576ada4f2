//! Shared set-up of the benchmarks: the data set (project `bench`, 10,000 entities live in
//! `production`, a history of N governed deployments), its generator, and a check that the
//! generator writes exactly the rows the engine writes.
//!
//! The generator creates the database with the engine itself (`Engine::open`, so the schema comes
//! from the engine's migrations, and the projects and environments go through the API), then
//! writes the history directly through rusqlite: for deployment `i`, entity `p{i % 10000}` gets
//! version `1.{i / 10000}.0`, registered, requested by one of four admins, approved by the next
//! two, executed by the first approver, superseding the entity's previous deployment. Every row
//! is what the engine would write for that sequence of commands: the deployment document is the
//! serde JSON of a [`Deployment`] (cloned from one the engine produced, so fields the engine adds
//! later keep its values), the activation history, the active state, the catalog, the
//! transactional outbox, and an audit chain hashed with [`deploygov::audit::entry_hash`].
//! [`check_generator`] replays a small history through the API and compares every table.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "benchmark set-up fails loudly")]
#![allow(dead_code, reason = "the benchmark binary uses a subset")]

pub mod raw;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use deploygov::audit::{GENESIS_HASH, entry_hash};
use deploygov::store::{ChangePeople, SqliteStore};
use deploygov::{
    Activation, Actor, ApproveOptions, AuditEntry, Deployment, DeploymentItem, DeploymentKind, DeploymentRequest, DeploymentStatus, Engine,
    EnvironmentSpec, ExecuteOptions, ItemSpec, ItemStatus, ManualClock, RiskLevel, Version, VersionSpec,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The project the workloads run in.
pub const PROJECT: &str = "bench";
/// The project the raw-SQL floors write to (so they never touch the engine's records).
pub const RAW_PROJECT: &str = "raw";
/// The environment of the history and of every workload (default production policy).
pub const ENV: &str = "production";
/// The entity type of every item.
pub const ENTITY_TYPE: &str = "prompt_version";
/// Entities live in `production` in the measured data sets.
pub const ENTITIES: usize = 10_000;
/// Requesters of the history, in turn; the next two approve.
const ADMINS: [&str; 4] = ["alice", "dave", "erin", "frank"];
/// Deployments per generator transaction.
const CHUNK: usize = 20_000;

/// The id of entity `e`.
pub fn entity_id(e: usize) -> String {
    format!("p{e:05}")
}

/// An actor with the `admin` role.
pub fn admin(id: &str) -> Actor {
    Actor::new(id, &["admin"])
}

/// A small deterministic generator (xorshift64*), so runs pick the same entities.
pub struct Rng(u64);

impl Rng {
    /// Seeded; `seed` must not be zero.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn bytes10(&mut self) -> [u8; 10] {
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], b[0], b[1]]
    }

    /// A UUIDv7 string at `t`, as the engine's ids.
    fn uuid_at(&mut self, t: DateTime<Utc>) -> String {
        let ms = u64::try_from(t.timestamp_millis()).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(ms, &self.bytes10()).into_uuid().to_string()
    }
}

/// An engine over the file at `path` with a manual clock.
pub fn engine_at(path: &Path, clock: &ManualClock) -> Engine {
    let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
    Engine::with_store(Box::new(store), Arc::new(clock.clone()))
}

/// The projects and environments, through the API.
fn setup(engine: &Engine) {
    let root = admin("root");
    engine.create_project(PROJECT, "acme", "Benchmarks", &root).unwrap();
    for name in ["development", "staging", "production"] {
        engine.create_environment(PROJECT, &EnvironmentSpec { name: name.into(), ..Default::default() }, &root).unwrap();
    }
    engine.create_project(RAW_PROJECT, "acme", "Raw-SQL floor", &root).unwrap();
    engine.create_environment(RAW_PROJECT, &EnvironmentSpec { name: ENV.into(), ..Default::default() }, &root).unwrap();
}

/// What deployment `i` of the history does.
struct Plan {
    entity: usize,
    eid: String,
    tag: String,
    requester: &'static str,
    approvers: [&'static str; 2],
    /// Registered, requested, first approval, second approval, started, finished.
    t: [DateTime<Utc>; 6],
}

fn plan(i: usize, entities: usize, base: DateTime<Utc>) -> Plan {
    let entity = i % entities;
    let t0 = base + chrono::Duration::minutes(i64::try_from(i).unwrap());
    let s = |k: i64| t0 + chrono::Duration::seconds(k);
    Plan {
        entity,
        eid: entity_id(entity),
        tag: format!("1.{}.0", i / entities),
        requester: ADMINS[i % 4],
        approvers: [ADMINS[(i + 1) % 4], ADMINS[(i + 2) % 4]],
        t: [t0, s(1), s(2), s(3), s(4), s(5)],
    }
}

fn version_spec(p: &Plan) -> VersionSpec {
    let digest = hex::encode(Sha256::digest(format!("{}@{}", p.eid, p.tag)));
    VersionSpec {
        entity_type: ENTITY_TYPE.into(),
        entity_id: p.eid.clone(),
        version_tag: p.tag.clone(),
        uri: Some(format!("s3://prompts/{}/{}.json", p.eid, p.tag)),
        digest: Some(format!("sha256:{digest}")),
        ..Default::default()
    }
}

fn item_spec(p: &Plan) -> ItemSpec {
    ItemSpec {
        entity_type: ENTITY_TYPE.into(),
        entity_id: p.eid.clone(),
        version_tag: p.tag.clone(),
        change_message: Some(format!("release {}", p.tag)),
        risk: RiskLevel::Low,
    }
}

fn request(p: &Plan) -> DeploymentRequest {
    DeploymentRequest { environment: ENV.into(), name: format!("{}-{}", p.eid, p.tag), items: vec![item_spec(p)], ..Default::default() }
}

/// Runs the history of `n` deployments through the public API (the reference the direct
/// generator is checked against, and usable for small sizes). Returns the deployment ids.
pub fn history_via_api(engine: &Engine, clock: &ManualClock, entities: usize, n: usize, base: DateTime<Utc>) -> Vec<String> {
    let tick = clock.clone();
    // The executor takes one second, so the two execution transactions get distinct times.
    let executor = move |_: &Activation<'_>| -> Result<(), String> {
        tick.advance(chrono::Duration::seconds(1));
        Ok(())
    };
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let p = plan(i, entities, base);
        clock.set(p.t[0]);
        engine.register_version(PROJECT, &version_spec(&p), &admin(p.requester)).unwrap();
        clock.set(p.t[1]);
        let d = engine.request_deployment(PROJECT, &request(&p), &admin(p.requester)).unwrap();
        clock.set(p.t[2]);
        engine.approve(PROJECT, &d.id, &admin(p.approvers[0]), &ApproveOptions::default()).unwrap();
        clock.set(p.t[3]);
        engine.approve(PROJECT, &d.id, &admin(p.approvers[1]), &ApproveOptions::default()).unwrap();
        clock.set(p.t[4]);
        let done = engine.execute(PROJECT, &d.id, &admin(p.approvers[0]), &executor, &ExecuteOptions::default()).unwrap();
        assert_eq!(done.status, DeploymentStatus::Deployed);
        ids.push(d.id);
    }
    ids
}

/// Records the engine produced for one governed deployment, cloned by the direct generator so
/// that fields it does not know keep the engine's values.
struct Template {
    deployment: Deployment,
    version: Version,
}

fn template() -> Template {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    let engine = Engine::with_store(Box::new(SqliteStore::open(":memory:").unwrap()), Arc::new(clock.clone()));
    setup(&engine);
    let ids = history_via_api(&engine, &clock, 1, 1, Utc.with_ymd_and_hms(2024, 1, 1, 1, 0, 0).unwrap());
    let deployment = engine.get_deployment(PROJECT, &ids[0]).unwrap();
    let version = engine.list_versions(PROJECT, ENTITY_TYPE, &entity_id(0)).unwrap().remove(0);
    Template { deployment, version }
}

/// The engine's audit view of a deployment (`deployment_audit` in the engine).
pub fn audit_view(d: &Deployment) -> Value {
    json!({
        "status": d.status,
        "revision": d.revision,
        "content_hash": d.content_hash,
        "items": d.items.iter().map(|i| json!({
            "entity_type": i.entity_type, "entity_id": i.entity_id, "version_tag": i.version_tag,
            "status": i.status, "error_message": i.error_message, "previous_version": i.previous_version,
        })).collect::<Vec<_>>(),
    })
}

/// The people the engine stores with an activation of `d` (`ChangePeople`, JSON).
fn people_doc(d: &Deployment) -> String {
    let people = ChangePeople {
        requested_by: d.requested_by.clone(),
        approved_by: d.approvals.iter().map(|a| a.actor_id.clone()).collect(),
        executed_by: d.executed_by.clone(),
    };
    serde_json::to_string(&people).unwrap()
}

/// The engine's content hash of one item in an environment without variables.
fn content_hash(spec: &VersionSpec) -> String {
    let parts = vec![json!([spec.entity_type, spec.entity_id, Some(&spec.version_tag), spec.digest])];
    let config: Vec<Value> = vec![];
    hex::encode(Sha256::digest(serde_json::to_vec(&json!({ "items": parts, "config": config })).unwrap()))
}

/// The event kind of an audit action (`kind_for` in the engine).
fn event_kind(action: &str) -> &str {
    if action == "deployment.started" { "deployment.deploying" } else { action }
}

/// Appends audit entries (and their outbox events) to the chain, as the engine's `record`.
struct Chain<'c> {
    conn: &'c Connection,
    seq: i64,
    head: String,
    rng: Rng,
}

impl Chain<'_> {
    #[expect(clippy::too_many_arguments, reason = "one audit entry has this many parts")]
    fn record(
        &mut self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        object: (&str, &str),
        before: Value,
        after: Value,
        reason: Option<String>,
    ) {
        self.seq += 1;
        let mut e = AuditEntry {
            seq: self.seq,
            at,
            actor_id: actor.to_owned(),
            action: action.to_owned(),
            project_id: Some(PROJECT.to_owned()),
            object_type: object.0.to_owned(),
            object_id: object.1.to_owned(),
            before,
            after,
            reason,
            prev_hash: std::mem::take(&mut self.head),
            hash: String::new(),
        };
        e.hash = entry_hash(&e).unwrap();
        self.conn
            .prepare_cached(
                "INSERT INTO audit_log (seq, at, actor_id, action, project_id, object_type, object_id, before, after, reason, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .unwrap()
            .execute(params![
                e.seq,
                e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
                e.actor_id,
                e.action,
                e.project_id,
                e.object_type,
                e.object_id,
                serde_json::to_string(&e.before).unwrap(),
                serde_json::to_string(&e.after).unwrap(),
                e.reason,
                e.prev_hash,
                e.hash
            ])
            .unwrap();
        let payload = json!({ "before": e.before, "after": e.after, "reason": e.reason });
        self.conn
            .prepare_cached(
                "INSERT INTO outbox (id, at, kind, project_id, object_type, object_id, actor_id, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .unwrap()
            .execute(params![
                self.rng.uuid_at(at),
                at.timestamp_micros(),
                event_kind(action),
                e.project_id,
                e.object_type,
                e.object_id,
                e.actor_id,
                serde_json::to_string(&payload).unwrap()
            ])
            .unwrap();
        self.head = e.hash;
    }

    fn save_head(&self) {
        self.conn
            .prepare_cached("INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash")
            .unwrap()
            .execute(params![self.seq, self.head])
            .unwrap();
    }
}

/// Writes the history of `n` deployments directly into the database at `path`, which the engine
/// created and set up (projects, environments) and no longer holds open. Returns the deployment
/// ids when `keep_ids`.
pub fn history_direct(path: &Path, entities: usize, n: usize, base: DateTime<Utc>, keep_ids: bool) -> Vec<String> {
    let tpl = template();
    let conn = Connection::open(path).unwrap();
    // Generation only: no durability needed, a large page cache.
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY;").unwrap();
    let (seq, head) = conn
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap_or((0, GENESIS_HASH.to_owned()));
    let mut chain = Chain { conn: &conn, seq, head, rng: Rng::new(0x5eed) };
    let mut ids_rng = Rng::new(0x1d5);
    // Per entity: its deployment that is live, in its `deployed` state.
    let mut live: Vec<Option<Deployment>> = vec![None; entities];
    let mut ids = Vec::new();
    conn.execute_batch("BEGIN").unwrap();
    for i in 0..n {
        if i > 0 && i % CHUNK == 0 {
            chain.save_head();
            conn.execute_batch("COMMIT; BEGIN").unwrap();
        }
        let p = plan(i, entities, base);
        let obj_actor = |k: usize| p.approvers[k];

        // register_version
        let spec = version_spec(&p);
        let mut v = tpl.version.clone();
        v.project_id = PROJECT.to_owned();
        v.spec = spec.clone();
        v.registered_by = p.requester.to_owned();
        v.registered_at = p.t[0];
        conn.prepare_cached(
            "INSERT INTO versions (project_id, entity_type, entity_id, version_tag, registered_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .unwrap()
        .execute(params![PROJECT, ENTITY_TYPE, p.eid, p.tag, p.t[0].timestamp_micros(), serde_json::to_string(&v).unwrap()])
        .unwrap();
        let object = format!("{ENTITY_TYPE}/{}@{}", p.eid, p.tag);
        chain.record(p.t[0], p.requester, "version.registered", ("version", &object), Value::Null, serde_json::to_value(&v).unwrap(), None);

        // request_deployment
        let hash = content_hash(&spec);
        let id = ids_rng.uuid_at(p.t[1]);
        let mut item: DeploymentItem = tpl.deployment.items[0].clone();
        item.entity_type = ENTITY_TYPE.to_owned();
        item.entity_id = p.eid.clone();
        item.version_tag = Some(p.tag.clone());
        item.change_message = Some(format!("release {}", p.tag));
        item.risk = RiskLevel::Low;
        item.status = ItemStatus::Pending;
        item.error_message = None;
        item.deployed_at = None;
        item.previous_version = None;
        item.previous_deployment_id = None;
        let mut d = tpl.deployment.clone();
        d.id = id.clone();
        d.project_id = PROJECT.to_owned();
        d.environment = ENV.to_owned();
        d.name = format!("{}-{}", p.eid, p.tag);
        d.description = None;
        d.kind = DeploymentKind::Deploy;
        d.status = DeploymentStatus::Pending;
        d.items = vec![item];
        d.requested_by = p.requester.to_owned();
        d.requested_at = p.t[1];
        d.approvals = vec![];
        d.rejection = None;
        d.cancellation = None;
        d.break_glass = None;
        d.started_at = None;
        d.finished_at = None;
        d.deployed_at = None;
        d.executed_by = None;
        d.rolled_back = None;
        d.rolled_back_at = None;
        d.rollback_of = None;
        d.rollback_to = None;
        d.promoted_from = None;
        d.risk = RiskLevel::Low;
        d.config_snapshot = vec![];
        d.content_hash = hash.clone();
        d.warnings = vec![];
        d.activation_seq = None;
        d.revision = 1;
        d.idempotency_key = None;
        let obj = ("deployment", id.as_str());
        chain.record(p.t[1], p.requester, "deployment.requested", obj, Value::Null, audit_view(&d), None);

        // approve, approve
        let granted = json!({ "rule": "admins", "comment": null, "content_hash": hash });
        for k in 0..2 {
            let before = audit_view(&d);
            let mut a = tpl.deployment.approvals[0].clone();
            a.actor_id = obj_actor(k).to_owned();
            a.at = p.t[2 + k];
            a.rule = "admins".to_owned();
            a.comment = None;
            a.content_hash = hash.clone();
            d.approvals.push(a);
            if k == 1 {
                d.status = DeploymentStatus::Approved;
            }
            d.revision += 1;
            chain.record(p.t[2 + k], obj_actor(k), "deployment.approval_granted", obj, Value::Null, granted.clone(), None);
            if k == 1 {
                chain.record(p.t[3], obj_actor(k), "deployment.approved", obj, before, audit_view(&d), None);
            }
        }

        // execute: start
        let before = audit_view(&d);
        let previous = live[p.entity].take();
        d.status = DeploymentStatus::Deploying;
        d.items[0].previous_version = previous.as_ref().and_then(|o| o.items[0].version_tag.clone());
        d.items[0].previous_deployment_id = previous.as_ref().map(|o| o.id.clone());
        d.started_at = Some(p.t[4]);
        d.executed_by = Some(p.approvers[0].to_owned());
        d.revision += 1;
        chain.record(p.t[4], p.approvers[0], "deployment.started", obj, before, audit_view(&d), None);

        // execute: finish
        let before = audit_view(&d);
        conn.prepare_cached(
            "INSERT INTO activation_history (project_id, environment, entity_type, entity_id, version_tag, deployment_id, at, people)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .unwrap()
        .execute(params![PROJECT, ENV, ENTITY_TYPE, p.eid, p.tag, id, p.t[5].timestamp_micros(), people_doc(&d)])
        .unwrap();
        d.activation_seq = Some(conn.last_insert_rowid());
        d.finished_at = Some(p.t[5]);
        d.deployed_at = Some(p.t[5]);
        d.items[0].status = ItemStatus::Deployed;
        d.items[0].deployed_at = Some(p.t[5]);
        d.status = DeploymentStatus::Deployed;
        d.revision += 1;
        chain.record(p.t[5], p.approvers[0], "deployment.deployed", obj, before, audit_view(&d), None);
        if let Some(mut old) = previous {
            let before = audit_view(&old);
            old.status = DeploymentStatus::Superseded;
            old.revision += 1;
            let why = format!("replaced by `{id}`");
            chain.record(p.t[5], p.requester, "deployment.superseded", ("deployment", &old.id), before, audit_view(&old), Some(why));
        }

        // The row as it ends up: superseded later when the entity is deployed again.
        let stored = if i + entities < n {
            let mut s = d.clone();
            s.status = DeploymentStatus::Superseded;
            s.revision += 1;
            s
        } else {
            d.clone()
        };
        conn.prepare_cached(
            "INSERT INTO deployments (id, project_id, environment, status, requested_by, requested_at, idempotency_key, revision, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .unwrap()
        .execute(params![
            stored.id,
            stored.project_id,
            stored.environment,
            stored.status.as_str(),
            stored.requested_by,
            stored.requested_at.timestamp_micros(),
            stored.idempotency_key,
            stored.revision,
            serde_json::to_string(&stored).unwrap()
        ])
        .unwrap();
        conn.prepare_cached("INSERT INTO deployment_entities (project_id, entity_type, entity_id, deployment_id) VALUES (?1, ?2, ?3, ?4)")
            .unwrap()
            .execute(params![PROJECT, ENTITY_TYPE, p.eid, id])
            .unwrap();
        if keep_ids {
            ids.push(id);
        }
        live[p.entity] = Some(d);
    }
    for d in live.iter().flatten() {
        conn.prepare_cached(
            "INSERT INTO active_state (project_id, environment, entity_type, entity_id, version_tag, deployment_id, since)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .unwrap()
        .execute(params![
            PROJECT,
            ENV,
            ENTITY_TYPE,
            d.items[0].entity_id,
            d.items[0].version_tag,
            d.id,
            d.deployed_at.unwrap().timestamp_micros()
        ])
        .unwrap();
    }
    chain.save_head();
    snapshots_direct(&conn);
    conn.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    ids
}

/// Snapshots of the generated environment's state (SQLite migrations 9 and 10,
/// `core/src/store/sqlite_snapshots.rs`), after the last one there is: one at the instant of every
/// `max(1,000, half the entries of the previous one)`-th change. The engine writes one at the first
/// sampled change (one in 256) after that many, so its snapshots are a little further apart (about
/// 256 changes on average) than these. Each is the answer of the per-entity seeks at its instant,
/// which is what the engine's snapshots are tested to equal.
pub fn snapshots_direct(conn: &Connection) {
    let (mut after, mut entries): (i64, i64) = conn
        .query_row(
            "SELECT at, entries FROM state_snapshots WHERE project_id = ?1 AND environment = ?2 ORDER BY at DESC LIMIT 1",
            params![PROJECT, ENV],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .unwrap()
        .unwrap_or((i64::MIN, 0));
    loop {
        let due = (entries / 2).max(1_000);
        let next = conn
            .query_row(
                "SELECT at, seq FROM activation_history WHERE project_id = ?1 AND environment = ?2 AND at > ?3 ORDER BY at, seq LIMIT 1 OFFSET ?4",
                params![PROJECT, ENV, after, due - 1],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()
            .unwrap();
        let Some((at, upto_seq)) = next else { break };
        let n = conn
            .execute(
                "INSERT INTO snapshot_entries (project_id, environment, snapshot_at, entity_type, entity_id, seq, version_tag, deployment_id, at, people)
                 SELECT ?1, ?2, ?3, h.entity_type, h.entity_id, h.seq, h.version_tag, h.deployment_id, h.at, h.people
                 FROM history_entities AS e CROSS JOIN activation_history AS h
                 WHERE e.project_id = ?1 AND e.environment = ?2
                   AND h.seq = (SELECT l.seq FROM activation_history AS l
                                WHERE l.project_id = e.project_id AND l.environment = e.environment
                                  AND l.entity_type = e.entity_type AND l.entity_id = e.entity_id AND l.at <= ?3
                                ORDER BY l.at DESC, l.seq DESC LIMIT 1)
                   AND h.version_tag IS NOT NULL",
                params![PROJECT, ENV, at],
            )
            .unwrap();
        entries = i64::try_from(n).unwrap();
        conn.execute(
            "INSERT INTO state_snapshots (project_id, environment, at, entries, upto_seq) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![PROJECT, ENV, at, entries, upto_seq],
        )
        .unwrap();
        after = at;
    }
}

/// A generated data set on disk (deleted on drop).
pub struct Dataset {
    /// `10k`, `1M`.
    pub label: String,
    /// Historical deployments.
    pub deployments: usize,
    /// Entities live in `production` (`p00000`, `p00001`, ...).
    pub entities: usize,
    /// The database file.
    pub path: PathBuf,
    /// Audit entries after generation.
    pub audit_entries: i64,
    /// How long generation took.
    pub generated_in: Duration,
    /// Size of the database file after generation.
    pub bytes: u64,
    /// The id a page deep in the history starts after: 90 % of the way from the newest deployment.
    pub deep_cursor: String,
    _dir: tempfile::TempDir,
}

/// `10k`, `1M`, `1234`.
pub fn label(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

impl Dataset {
    /// Generates `n` historical deployments over `entities` entities in a fresh database under
    /// `$DEPLOYGOV_BENCH_DIR` (default: the system's temporary directory), deleted afterwards
    /// unless `DEPLOYGOV_BENCH_KEEP=1`.
    pub fn generate(n: usize, entities: usize) -> Self {
        let started = Instant::now();
        let parent = std::env::var_os("DEPLOYGOV_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
        let mut dir = tempfile::Builder::new().prefix("deploygov-bench-").tempdir_in(parent).unwrap();
        // `DEPLOYGOV_BENCH_KEEP=1` keeps the database (for profiling, or a look with `sqlite3`).
        dir.disable_cleanup(std::env::var("DEPLOYGOV_BENCH_KEEP").is_ok_and(|v| v == "1"));
        let path = dir.path().join("history.db");
        // The history ends a day before now, one deployment a minute.
        let span = chrono::Duration::minutes(i64::try_from(n).unwrap());
        let base = Utc::now() - span - chrono::Duration::days(1);
        let clock = ManualClock::new(base - chrono::Duration::hours(1));
        setup(&engine_at(&path, &clock));
        history_direct(&path, entities, n, base, false);
        let conn = Connection::open(&path).unwrap();
        let deep = i64::try_from(n / 10).unwrap();
        let deep_cursor: String = conn
            .query_row("SELECT id FROM deployments WHERE project_id = ?1 ORDER BY id LIMIT 1 OFFSET ?2", params![PROJECT, deep], |r| {
                r.get(0)
            })
            .unwrap();
        let audit_entries: i64 = conn.query_row("SELECT seq FROM audit_head", [], |r| r.get(0)).unwrap();
        drop(conn);
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Self {
            label: label(n),
            deployments: n,
            entities,
            path,
            audit_entries,
            generated_in: started.elapsed(),
            bytes,
            deep_cursor,
            _dir: dir,
        }
    }

    /// The database path as the engine takes it.
    pub fn path_str(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

/// Every row of every table, as text, ids of the API run replaced by the generator's, and the
/// values that are random by design (event ids) or derive from ids (hashes) blanked.
fn dump(conn: &Connection, ids: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let mut st = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let names: Vec<String> = st.column_names().iter().map(|s| (*s).to_owned()).collect();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let mut cells = Vec::new();
                for (k, name) in names.iter().enumerate() {
                    let v: rusqlite::types::Value = r.get(k)?;
                    let blank = matches!(
                        (t.as_str(), name.as_str()),
                        ("audit_log", "hash" | "prev_hash") | ("audit_head", "hash") | ("events" | "outbox", "id")
                    );
                    let mut s = if blank { "-".to_owned() } else { format!("{v:?}") };
                    for (from, to) in ids {
                        if s.contains(from.as_str()) {
                            s = s.replace(from.as_str(), to);
                        }
                    }
                    cells.push(format!("{name}={s}"));
                }
                Ok(cells.join(" | "))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        rows.sort();
        out.push((t, rows));
    }
    out
}

/// Replays a small history (7 entities, 30 deployments, so entities are superseded) through the
/// API and through the direct generator and compares every row of every table. Fails when the
/// engine writes something the generator does not (then update [`history_direct`]).
pub fn check_generator() -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let base = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
    let (entities, n) = (7, 30);
    let via_api = dir.path().join("api.db");
    let direct = dir.path().join("direct.db");
    let clock = ManualClock::new(base - chrono::Duration::hours(1));
    let engine = engine_at(&via_api, &clock);
    setup(&engine);
    let api_ids = history_via_api(&engine, &clock, entities, n, base);
    drop(engine);
    let clock = ManualClock::new(base - chrono::Duration::hours(1));
    setup(&engine_at(&direct, &clock));
    let gen_ids = history_direct(&direct, entities, n, base, true);
    let engine = engine_at(&direct, &clock);
    let verified = engine.verify_audit().map_err(|e| format!("the generated audit chain does not verify: {e}"))?;
    drop(engine);
    let map: Vec<(String, String)> = api_ids.into_iter().zip(gen_ids).collect();
    let a = dump(&Connection::open(&via_api).unwrap(), &map);
    let b = dump(&Connection::open(&direct).unwrap(), &[]);
    let names = |d: &[(String, Vec<String>)]| d.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
    if names(&a) != names(&b) {
        return Err(format!("tables differ: engine {:?}, generator {:?}", names(&a), names(&b)));
    }
    for ((table, ra), (_, rb)) in a.iter().zip(&b) {
        if ra.len() != rb.len() {
            return Err(format!("table `{table}`: the engine wrote {} rows, the generator {}", ra.len(), rb.len()));
        }
        if let Some((x, y)) = ra.iter().zip(rb).find(|(x, y)| x != y) {
            return Err(format!("table `{table}` differs:\n  engine:    {x}\n  generator: {y}"));
        }
    }
    if verified.entries < 200 {
        return Err(format!("only {} audit entries generated", verified.entries));
    }
    Ok(())
}
