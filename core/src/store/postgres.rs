//! The PostgreSQL store (the sync `postgres` crate): for many processes on many machines sharing
//! one governed state. Selected by a `postgres://` or `postgresql://` URL in
//! [`crate::Engine::open`]; the statements are in `postgres_tx.rs`, the schema in
//! `pg_schema_*.sql`.
//!
//! # Isolation and locks
//!
//! - **Writes** ([`Store::write`]) run in `READ COMMITTED` and first take a transaction-level
//!   advisory lock that is one per store (per database schema): writers are serialized
//!   store-wide, exactly as SQLite's `BEGIN IMMEDIATE` serializes them. Why store-wide: every
//!   command appends to the audit chain, whose head is one row, so two commands can never commit
//!   in parallel anyway; and the engine and the outbox rely on commit order (`Engine::write`
//!   reads back "the events this transaction wrote" by position, and `events_after` /
//!   `deployment_logs` cursors must never skip a row that commits later), which only holds when
//!   sequence numbers are handed out in commit order. Because the lock is taken before any
//!   other statement and `READ COMMITTED` takes a fresh snapshot per statement, every read of
//!   the closure sees every earlier writer's commit and no other writer can commit until this
//!   one ends: the closure is serializable without `SERIALIZABLE` and without retries (no
//!   serialization failures in `READ COMMITTED`; no deadlocks, since every writer takes the
//!   advisory lock first). A process killed mid-transaction loses its connection, and the server
//!   rolls back and releases the lock.
//! - **Defence in depth** (so that correctness does not rest on the lock alone, e.g. an older
//!   binary or a hand-written writer): [`StoreTx::update_deployment`] and
//!   [`StoreTx::update_environment`] are compare-and-set on `revision` (`UPDATE ... WHERE
//!   revision = $expected`, `conflict` when no row matched); the one-deployment-per-environment
//!   lease is the partial unique index `deployments_one_running` (SQLSTATE 23505 is `conflict`);
//!   idempotency keys are a partial unique index; the audit head is read `FOR UPDATE` in a write
//!   and moved only from the entry before (`seq = new - 1`), and `audit_log.seq` is the primary
//!   key, so two appends can never both succeed.
//! - **Reads** ([`Store::read`]) run in `REPEATABLE READ READ ONLY`: one consistent snapshot for
//!   the whole closure (an audit verification paging through the chain, a report reading
//!   several tables), never blocking and never blocked by writers.
//! - A writer waits at most [`LOCK_TIMEOUT`] for the lock (`lock_timeout`), then gets `conflict`,
//!   as SQLite's busy timeout; a session idle inside a transaction for a minute is ended by the
//!   server (`idle_in_transaction_session_timeout`), releasing its locks.
//!
//! # Connections
//!
//! A small pool: idle connections in a mutex-guarded stack, one checked out per transaction
//! (opened on demand, so several threads run at once), each with its own prepared-statement
//! cache. A connection whose transaction did not end cleanly is dropped, never reused.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use ::postgres::error::SqlState;
use ::postgres::{Client, NoTls, Statement};

use super::postgres_tx::PgTx;
use super::{Store, StoreTx};
use crate::error::{Error, Result};

/// How long a writer waits for the store-wide write lock (or any row lock) before `conflict`.
pub const LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a connection may sit idle inside a transaction before the server ends it.
const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Idle connections kept for reuse; more are closed when they come back.
const MAX_IDLE: usize = 16;

/// First key of every advisory lock deploygov takes (`dgv1`); the second is the schema's hash.
const LOCK_CLASS: i32 = 0x6467_7631;
/// First key of the migration lock (`dgm1`), distinct from the write lock.
const MIGRATE_CLASS: i32 = 0x6467_6d31;

/// Migrations in order; `schema_migrations` records the versions applied.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("pg_schema_1.sql")),
    (2, include_str!("pg_schema_2_history_at.sql")),
    (3, include_str!("pg_schema_3_history_people.sql")),
];

/// PostgreSQL-backed [`Store`]. Safe to share between threads and between processes (on any
/// number of machines) using the same database and schema.
pub struct PostgresStore {
    config: ::postgres::Config,
    /// The schema every connection's `search_path` is set to, when given.
    schema: Option<String>,
    /// Second key of the store-wide write lock: `hashtext` of the schema name.
    lock_key: i32,
    idle: Mutex<Vec<Conn>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("schema", &self.schema).finish_non_exhaustive()
    }
}

/// One pooled connection and its prepared statements.
pub(super) struct Conn {
    pub(super) client: Client,
    stmts: HashMap<String, Statement>,
}

impl Conn {
    /// The prepared statement for `sql` (prepared once per connection).
    pub(super) fn prepare(&mut self, sql: &str) -> std::result::Result<Statement, ::postgres::Error> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.stmts.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db?...`, or
    /// `postgresql://`), working in the schema its `search_path` selects (usually `public`;
    /// `?options=-csearch_path%3Dname` selects schema `name`, created if missing), and migrates
    /// it.
    pub fn open(url: &str) -> Result<Self> {
        Self::connect(url, None)
    }

    /// Like [`PostgresStore::open`], but in `schema` (created if missing): several independent
    /// stores in one database, e.g. one per test. `schema` is a lowercase identifier
    /// (`[a-z_][a-z0-9_]*`, at most 63 bytes).
    pub fn open_in_schema(url: &str, schema: &str) -> Result<Self> {
        if !is_identifier(schema) {
            return Err(Error::invalid_input(format!("schema `{schema}` is not a lowercase identifier")));
        }
        Self::connect(url, Some(schema.to_owned()))
    }

    fn connect(url: &str, schema: Option<String>) -> Result<Self> {
        if url.contains('\0') {
            return Err(Error::invalid_input("database url contains a nul byte"));
        }
        let mut config = url
            .parse::<::postgres::Config>()
            .map_err(|e| Error::invalid_input(format!("invalid postgres url: {}", one_line(&e.to_string()))))?;
        if config.get_application_name().is_none() {
            config.application_name("deploygov");
        }
        let mut store = Self { config, schema, lock_key: 0, idle: Mutex::new(Vec::new()) };
        let mut conn = store.new_conn()?;
        store.lock_key = migrate(&mut conn.client, store.schema.as_deref())?;
        store.checkin(conn);
        Ok(store)
    }

    fn new_conn(&self) -> Result<Conn> {
        let mut client =
            self.config.connect(NoTls).map_err(|e| Error::storage(format!("cannot connect to postgres: {}", one_line(&e.to_string()))))?;
        // A session that stops mid-transaction (a frozen process) is ended by the server after
        // IDLE_TIMEOUT, so it cannot hold the store-wide write lock forever; the engine never
        // waits inside a transaction (executors, validators and subscribers run outside; only
        // an executor that declares itself `store_only`, acting on nothing else, runs inside).
        let mut setup = format!(
            "SET lock_timeout = '{}ms'; SET idle_in_transaction_session_timeout = '{}ms'",
            LOCK_TIMEOUT.as_millis(),
            IDLE_TIMEOUT.as_millis()
        );
        if let Some(s) = &self.schema {
            // INVARIANT: `s` passed `open_in_schema`'s identifier check, so quoting is enough.
            setup.push_str(&format!("; SET search_path TO \"{s}\""));
        }
        client.batch_execute(&setup)?;
        Ok(Conn { client, stmts: HashMap::new() })
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Conn>> {
        // The stack holds only connections whose transaction ended, so a poisoned lock is safe.
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn checkout(&self) -> Result<Conn> {
        let pooled = self.idle().pop();
        match pooled {
            Some(c) if !c.client.is_closed() => Ok(c),
            _ => self.new_conn(),
        }
    }

    fn checkin(&self, conn: Conn) {
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE && !conn.client.is_closed() {
            idle.push(conn);
        }
    }

    /// Runs `f` between `begin` and `COMMIT` (a write) or `ROLLBACK` (a read, or when `f`
    /// fails) on a pooled connection.
    fn run(&self, begin: &str, write: bool, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<()> {
        let mut conn = self.checkout()?;
        let out = (|| -> Result<()> {
            if write {
                // The store-wide write lock (see the module docs), held until COMMIT/ROLLBACK;
                // sent with BEGIN in one round trip (both keys are integers).
                conn.client.batch_execute(&format!("{begin}; SELECT pg_advisory_xact_lock({LOCK_CLASS}, {})", self.lock_key))?;
            } else {
                conn.client.batch_execute(begin)?;
            }
            f(&PgTx::new(&mut conn, write))?;
            conn.client.batch_execute(if write { "COMMIT" } else { "ROLLBACK" })?;
            Ok(())
        })();
        if out.is_err() && conn.client.batch_execute("ROLLBACK").is_err() {
            // The connection is unusable (or still in a transaction): never reuse it.
            return out;
        }
        self.checkin(conn);
        out
    }
}

impl Store for PostgresStore {
    fn read(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<()> {
        self.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", false, f)
    }

    fn write(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<()> {
        self.run("BEGIN ISOLATION LEVEL READ COMMITTED", true, f)
    }

    /// Every read checks out a connection of its own from the pool already.
    fn read_apart(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<bool> {
        self.read(f).map(|()| true)
    }
}

/// Brings the schema to the latest version in one transaction, under an advisory lock on the
/// schema's name: many processes opening a new database at once queue here, and all but the
/// first find the work done. Returns the schema's hash (the store's write-lock key).
fn migrate(client: &mut Client, schema: Option<&str>) -> Result<i32> {
    let mut tx = client.transaction()?;
    let (name, create) = match schema {
        Some(s) => (s.to_owned(), true),
        None => match tx.query_one("SELECT current_schema()::text", &[])?.try_get::<_, Option<String>>(0)? {
            Some(s) => (s, false),
            // The URL's `options=-csearch_path=...` names a schema that does not exist yet.
            None => {
                let path: String = tx.query_one("SELECT current_setting('search_path')", &[])?.try_get(0)?;
                let first = path.split(',').next().unwrap_or("").trim().trim_matches('"').to_owned();
                if !is_identifier(&first) {
                    return Err(Error::storage(format!(
                        "no schema to work in: the search_path `{path}` names no existing schema and `{first}` is not a lowercase identifier"
                    )));
                }
                (first, true)
            }
        },
    };
    let key: i32 = tx.query_one("SELECT hashtext($1)", &[&name])?.try_get(0)?;
    tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&MIGRATE_CLASS, &key])?;
    if create {
        // INVARIANT: `name` passed `is_identifier`, so quoting is enough.
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{name}\""))?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )?;
    let current: i32 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?.try_get(0)?;
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > latest {
        return Err(Error::storage(format!(
            "the database schema is at version {current}, newer than this deploygov knows ({latest}): upgrade deploygov"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql).map_err(|e| Error::storage(format!("migration {version} failed: {}", describe(&e))))?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])?;
    }
    tx.commit()?;
    Ok(key)
}

/// Whether `s` is a lowercase SQL identifier (`[a-z_][a-z0-9_]*`, at most 63 bytes), safe to
/// put between double quotes.
fn is_identifier(s: &str) -> bool {
    s.len() <= 63
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Collapses a message to one line without a trailing period.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches('.').to_owned()
}

/// `postgres <SQLSTATE>: <message>` (lowercase), or the client's own message.
fn describe(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => one_line(&format!("postgres {}: {}", db.code().code(), db.message().to_lowercase())),
        None => one_line(&e.to_string().to_lowercase()),
    }
}

/// Maps a uniqueness violation to `conflict` with `msg`, anything else as [`From`] does.
pub(super) fn unique(e: ::postgres::Error, msg: impl FnOnce() -> String) -> Error {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) { Error::Conflict(msg()) } else { e.into() }
}

impl From<::postgres::Error> for Error {
    fn from(e: ::postgres::Error) -> Self {
        let detail = describe(&e);
        match e.code() {
            Some(c) if *c == SqlState::UNIQUE_VIOLATION => Self::Conflict(format!("a record with this key already exists ({detail})")),
            Some(c)
                if *c == SqlState::LOCK_NOT_AVAILABLE
                    || *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED =>
            {
                Self::Conflict(format!("the store is busy with another writer: {detail}"))
            }
            // PostgreSQL text cannot hold NUL (SQLite can): refuse the input, store nothing.
            Some(c) if *c == SqlState::CHARACTER_NOT_IN_REPERTOIRE || *c == SqlState::UNTRANSLATABLE_CHARACTER => {
                Self::InvalidInput(format!("text contains a nul byte or a character the database cannot store ({detail})"))
            }
            _ => Self::Storage { message: detail, backend_code: None },
        }
    }
}
