//! The store's floor: the minimal SQLite statements each workload needs, through rusqlite on its
//! own connection to the same file, with the engine's settings (WAL, `synchronous=NORMAL`,
//! foreign keys on, default page cache), prepared once, with pre-rendered documents of realistic
//! size: no JSON, no hashing, no policy. Writes go to project `raw`, so the engine's records are
//! untouched; they append to the store-wide audit table with placeholder hashes, so the audit
//! chain no longer verifies afterwards (run them after the `verify_audit` benchmark).
//!
//! Per governed lifecycle, the same write transactions as the engine (`BEGIN IMMEDIATE`):
//! 1. request: insert the deployment, its entity row, 1 audit entry;
//! 2. first approval: update the deployment's document (compare-and-set on the revision; the
//!    status is unchanged, so its indexes are not written), 1 audit entry;
//! 3. second approval: update the deployment, 2 audit entries (granted, approved);
//! 4. start: update the deployment to `deploying`, 1 audit entry;
//! 5. finish: update it to `deployed`, upsert the active state, append the activation history
//!    (its trigger adds the entity to `history_entities` on its first change),
//!    update the replaced deployment to `superseded`, 2 audit entries.
//!
//! With an executor that acts only on the store (the engine's default), 4 and 5 are one
//! transaction ([`Execution::OneTransaction`]); with any other executor they are two
//! ([`Execution::TwoTransactions`]).
//!
//! Per rollback, the engine's: insert the (auto-approved) rollback with 2 entries; start with 1
//! and finish (deployed, active state, history, the rolled-back deployment) with 2, in one or two
//! transactions as above.
//!
//! "k audit entries" = one read of the chain head, k inserts into `audit_log` and k into the
//! outbox (`outbox`, SQLite migration 11), one update of the head.

use rusqlite::{Connection, OptionalExtension, params};

use super::{ENTITY_TYPE, ENV, PROJECT, RAW_PROJECT, entity_id};

/// The people stored with each activation (`ChangePeople`, JSON).
const PEOPLE: &str = r#"{"requested_by":"alice","approved_by":["bob","carol"],"executed_by":"bob"}"#;

/// How the engine commits an execution: the start and the outcome together (an executor acting
/// only on the store) or apart (`deploying` committed before an executor acting elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    OneTransaction,
    TwoTransactions,
}

/// A connection configured like the engine's, with the documents it writes.
pub struct Raw {
    conn: Connection,
    path: String,
    /// Per raw entity: the deployment live for it.
    live: Vec<Option<String>>,
    next_entity: usize,
    deployment_doc: String,
    view: String,
    payload: String,
    hash: String,
}

/// Executes a prepared statement and checks it changed one row.
macro_rules! one {
    ($conn:expr, $sql:expr, $params:expr) => {{
        let n = $conn.prepare_cached($sql).unwrap().execute($params).unwrap();
        assert_eq!(n, 1, "{}", $sql);
    }};
}

/// A write connection to `path` with the engine's settings; through the engine's WAL VFS
/// (`deploygov-walvfs`) unless `stock_vfs`, SQLite's own `unix` VFS (two writes per frame).
fn connect(path: &str, stock_vfs: bool) -> Connection {
    let conn = open_through(path, stock_vfs);
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).unwrap();
    assert!(mode.eq_ignore_ascii_case("wal"));
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    // The engine checkpoints on a background thread and keeps SQLite's automatic checkpoint
    // at 30,000 pages as a safety net; the floor has no thread, so it keeps only the net.
    conn.pragma_update(None, "wal_autocheckpoint", 30_000).unwrap();
    conn
}

/// A connection to `path` through the engine's WAL VFS, or SQLite's own with `stock_vfs`.
fn open_through(path: &str, stock_vfs: bool) -> Connection {
    match deploygov_walvfs::name() {
        Some(vfs) if !stock_vfs => Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), vfs).unwrap(),
        _ => Connection::open(path).unwrap(),
    }
}

impl Raw {
    /// Opens `path` like the engine does. `deployment_doc` and `view` are a deployment's stored
    /// document and audit view, for realistic row sizes.
    pub fn open(path: &str, deployment_doc: String, view: String, entities: usize) -> Self {
        let conn = connect(path, false);
        let payload = format!(r#"{{"after":{view},"before":{view},"reason":null}}"#);
        Self {
            conn,
            path: path.to_owned(),
            live: vec![None; entities],
            next_entity: 0,
            deployment_doc,
            view,
            payload,
            hash: "0".repeat(64),
        }
    }

    /// Goes on with a new connection through SQLite's own VFS (`true`) or the engine's.
    pub fn reconnect(&mut self, stock_vfs: bool) {
        self.conn = connect(&self.path, stock_vfs);
    }

    /// The connection (for experiments with its settings).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The hot read's statement, in autocommit (the engine adds `BEGIN` and `ROLLBACK`).
    pub fn point_read(&self, entity: &str) -> Option<(String, String, i64)> {
        self.conn
            .prepare_cached(
                "SELECT version_tag, deployment_id, since FROM active_state
                 WHERE project_id = ?1 AND environment = ?2 AND entity_type = ?3 AND entity_id = ?4",
            )
            .unwrap()
            .query_row(params![PROJECT, ENV, ENTITY_TYPE, entity], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .unwrap()
    }

    /// The statement of the filtered list, fetching the 51 documents as text (no parsing).
    pub fn list_page(&self, requested_by: &str, cursor: &str) -> usize {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT doc FROM deployments WHERE project_id = ?1 AND environment = ?2 AND requested_by = ?3 AND id < ?4
                 ORDER BY id DESC LIMIT ?5",
            )
            .unwrap();
        let mut rows = st.query(params![PROJECT, ENV, requested_by, cursor, 51]).unwrap();
        let mut n = 0;
        while let Some(r) = rows.next().unwrap() {
            n += r.get_ref(0).unwrap().as_str().unwrap().len().min(1);
        }
        n
    }

    /// Reads every audit row in order, every column as text (what verification must read at least).
    pub fn scan_audit(&self) -> i64 {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT seq, at, actor_id, action, project_id, object_type, object_id, before, after, reason, prev_hash, hash
                 FROM audit_log ORDER BY seq",
            )
            .unwrap();
        let mut rows = st.query([]).unwrap();
        let (mut n, mut bytes) = (0, 0);
        while let Some(r) = rows.next().unwrap() {
            for k in 1..12 {
                bytes += r.get_ref(k).unwrap().as_str_or_null().unwrap().map_or(0, str::len);
            }
            n += 1;
        }
        std::hint::black_box(bytes);
        n
    }

    fn audit(&self, k: i64, object: &str, at: i64) {
        let (seq, _prev): (i64, String) = self
            .conn
            .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")
            .unwrap()
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        for j in 1..=k {
            self.conn
                .prepare_cached(
                    "INSERT INTO audit_log (seq, at, actor_id, action, project_id, object_type, object_id, before, after, reason, prev_hash, hash)
                     VALUES (?1, '2026-01-15T09:00:00.000000Z', 'bob', 'deployment.approved', ?2, 'deployment', ?3, ?4, ?5, NULL, ?6, ?6)",
                )
                .unwrap()
                .execute(params![seq + j, RAW_PROJECT, object, self.view, self.view, self.hash])
                .unwrap();
            self.conn
                .prepare_cached(
                    "INSERT INTO outbox (id, at, kind, project_id, object_type, object_id, actor_id, payload)
                     VALUES (?1, ?2, 'deployment.approved', ?3, 'deployment', ?4, 'bob', ?5)",
                )
                .unwrap()
                .execute(params![uuid::Uuid::now_v7().to_string(), at, RAW_PROJECT, object, self.payload])
                .unwrap();
        }
        one!(self.conn, "UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1", params![seq + k, self.hash]);
    }

    /// One write transaction, as rusqlite runs the engine's (`BEGIN IMMEDIATE` ... `COMMIT`).
    fn tx(&mut self, f: impl FnOnce(&mut Self)) {
        self.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        f(self);
        self.conn.execute_batch("COMMIT").unwrap();
    }

    /// An update that keeps the status (the first approval): the status indexes are untouched.
    fn update_doc(&self, id: &str, revision: i64) {
        one!(
            self.conn,
            "UPDATE deployments SET revision = ?3, doc = ?4 WHERE project_id = ?1 AND id = ?2 AND revision = ?5",
            params![RAW_PROJECT, id, revision, self.deployment_doc, revision - 1]
        );
    }

    fn update(&self, id: &str, status: &str, revision: i64) {
        one!(
            self.conn,
            "UPDATE deployments SET status = ?3, revision = ?4, doc = ?5 WHERE project_id = ?1 AND id = ?2 AND revision = ?6",
            params![RAW_PROJECT, id, status, revision, self.deployment_doc, revision - 1]
        );
    }

    fn insert(&self, id: &str, entity: &str, status: &str, at: i64) {
        one!(
            self.conn,
            "INSERT INTO deployments (id, project_id, environment, status, requested_by, requested_at, idempotency_key, revision, doc)
             VALUES (?1, ?2, ?3, ?4, 'alice', ?5, NULL, 1, ?6)",
            params![id, RAW_PROJECT, ENV, status, at, self.deployment_doc]
        );
        one!(
            self.conn,
            "INSERT OR IGNORE INTO deployment_entities (project_id, entity_type, entity_id, deployment_id) VALUES (?1, ?2, ?3, ?4)",
            params![RAW_PROJECT, ENTITY_TYPE, entity, id]
        );
    }

    /// Makes `id` live for `entity` and moves the replaced deployment to `replaced_status`.
    fn activate(&mut self, id: &str, entity: usize, at: i64, replaced_status: &str) -> bool {
        let eid = entity_id(entity);
        one!(
            self.conn,
            "INSERT INTO active_state (project_id, environment, entity_type, entity_id, version_tag, deployment_id, since)
             VALUES (?1, ?2, ?3, ?4, '9.9.9', ?5, ?6)
             ON CONFLICT (project_id, environment, entity_type, entity_id)
             DO UPDATE SET version_tag = excluded.version_tag, deployment_id = excluded.deployment_id, since = excluded.since",
            params![RAW_PROJECT, ENV, ENTITY_TYPE, eid, id, at]
        );
        one!(
            self.conn,
            "INSERT INTO activation_history (project_id, environment, entity_type, entity_id, version_tag, deployment_id, at, people)
             VALUES (?1, ?2, ?3, ?4, '9.9.9', ?5, ?6, ?7)",
            params![RAW_PROJECT, ENV, ENTITY_TYPE, eid, id, at, PEOPLE]
        );
        let replaced = self.live[entity].replace(id.to_owned());
        if let Some(old) = &replaced {
            one!(
                self.conn,
                "UPDATE deployments SET status = ?3, revision = revision + 1, doc = ?4 WHERE project_id = ?1 AND id = ?2",
                params![RAW_PROJECT, old, replaced_status, self.deployment_doc]
            );
        }
        replaced.is_some()
    }

    /// Runs the start and then the finish of an execution, as one or two transactions.
    fn execute(&mut self, execution: Execution, start: impl FnOnce(&mut Self), finish: impl FnOnce(&mut Self)) {
        match execution {
            Execution::OneTransaction => self.tx(|s| {
                start(s);
                finish(s);
            }),
            Execution::TwoTransactions => {
                self.tx(start);
                self.tx(finish);
            }
        }
    }

    /// One governed lifecycle (four or five transactions); returns the deployment id.
    pub fn lifecycle(&mut self, execution: Execution) -> String {
        let entity = self.next_entity;
        self.next_entity = (self.next_entity + 1) % self.live.len();
        let id = uuid::Uuid::now_v7().to_string();
        let at = chrono::Utc::now().timestamp_micros();
        let eid = entity_id(entity);
        self.tx(|s| {
            s.insert(&id, &eid, "pending", at);
            s.audit(1, &id, at);
        });
        self.tx(|s| {
            s.update_doc(&id, 2);
            s.audit(1, &id, at);
        });
        self.tx(|s| {
            s.update(&id, "approved", 3);
            s.audit(2, &id, at);
        });
        self.execute(
            execution,
            |s| {
                s.update(&id, "deploying", 4);
                s.audit(1, &id, at);
            },
            |s| {
                s.update(&id, "deployed", 5);
                let superseded = s.activate(&id, entity, at, "superseded");
                s.audit(if superseded { 2 } else { 1 }, &id, at);
            },
        );
        id
    }

    /// Rolls back the last raw lifecycle's deployment (two or three transactions). Call after
    /// [`Raw::lifecycle`] on an entity that had a previous deployment.
    pub fn rollback(&mut self, execution: Execution) {
        let entity = (self.next_entity + self.live.len() - 1) % self.live.len();
        let id = uuid::Uuid::now_v7().to_string();
        let at = chrono::Utc::now().timestamp_micros();
        let eid = entity_id(entity);
        self.tx(|s| {
            s.insert(&id, &eid, "approved", at);
            s.audit(2, &id, at);
        });
        self.execute(
            execution,
            |s| {
                s.update(&id, "deploying", 2);
                s.audit(1, &id, at);
            },
            |s| {
                s.update(&id, "deployed", 3);
                s.activate(&id, entity, at, "rolled_back");
                s.audit(2, &id, at);
            },
        );
    }
}

/// The cost of one durable commit on this machine as a function of how many B-trees it writes:
/// a scratch database next to `path` (same settings as the engine's store: WAL,
/// `synchronous=NORMAL`) with `btrees` tables; each of `commits` transactions (`BEGIN
/// IMMEDIATE` ... `COMMIT`) appends one 200-byte row to every table. Returns the time per commit.
/// Through the engine's WAL VFS, or SQLite's own with `stock_vfs`. It bounds what any schema can reach: a governed lifecycle is four such commits (five with an
/// executor acting outside the store), each writing the deployment, its indexes, the audit chain
/// and the outbox.
pub fn commit_floor(path: &std::path::Path, btrees: usize, commits: u32, stock_vfs: bool) -> std::time::Duration {
    let remove = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    };
    // A stale WAL of an interrupted run would be replayed into the new file.
    remove();
    let conn = open_through(path.to_str().unwrap(), stock_vfs);
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).unwrap();
    assert!(mode.eq_ignore_ascii_case("wal"));
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    let inserts: Vec<String> = (0..btrees)
        .map(|t| {
            conn.execute_batch(&format!("CREATE TABLE t{t} (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")).unwrap();
            format!("INSERT INTO t{t} (v) VALUES (?1)")
        })
        .collect();
    let row = "x".repeat(200);
    let started = std::time::Instant::now();
    for _ in 0..commits {
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        for sql in &inserts {
            conn.prepare_cached(sql).unwrap().execute([&row]).unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
    }
    let spent = started.elapsed() / commits;
    drop(conn);
    remove();
    spent
}
