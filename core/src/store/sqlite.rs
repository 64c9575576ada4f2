//! The embedded SQLite store (rusqlite, bundled SQLite): WAL, busy timeout, migrations through
//! `rusqlite_migration`; per engine one write connection and (for a file) one read connection,
//! each behind a mutex, so reads never queue behind a write transaction. The statements of each
//! operation are in `sqlite_tx.rs`.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use super::checkpoint::{Checkpointer, SAFETY_NET_PAGES, nudge_due};
use super::shm::{STAMP_LEN, ShmWatch};
use super::sqlite_memo::DocMemo;
use super::sqlite_tx::SqliteTx;
use super::{ChangeStamp, Store, StoreTx};
use crate::error::{Error, Result};

/// How long a writer waits for another writer (another thread or process) before `conflict`.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("schema.sql")),
        M::up(include_str!("schema_2_events.sql")),
        M::up(include_str!("schema_3_time.sql")),
        M::up(include_str!("schema_4_records.sql")),
        M::up(include_str!("schema_5_history_at.sql")),
        M::up(include_str!("schema_6_status_sweep.sql")),
        M::up(include_str!("schema_7_history_people.sql")),
        M::up(include_str!("schema_8_history_entities.sql")),
        M::up(include_str!("schema_9_snapshots.sql")),
        M::up(include_str!("schema_10_snapshot_edits.sql")),
        M::up(include_str!("schema_11_outbox.sql")),
        M::up_with_hook("", super::sqlite_migrate::in_flight_as_comparisons),
    ])
}

/// Prepared statements each connection keeps (rusqlite's default is 16; one governed lifecycle
/// runs about 40 distinct statements, and an evicted one is parsed and planned again).
const STATEMENT_CACHE: usize = 256;

/// The settings every connection of a store shares: the busy timeout, a statement cache that
/// holds every statement the engine runs, and a query plan that never depends on bound values.
pub(super) fn tune(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // INVARIANT: plans do not depend on bound values (SQLite's query planner stability
    // guarantee). Without it SQLite marks a statement with `LIMIT ?n` (or a bound value it
    // compares to a partial index or to STAT4 samples) as expired whenever a different value is
    // bound, and parses and plans it again: a cached statement run with alternating values (the
    // freeze-window lookup of every write, once per scope) was re-prepared on every run.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Brings the schema to the latest version. The pending migrations run in one transaction, but
/// `rusqlite_migration` reads the current version outside it, so two connections opening a new
/// file at once can race; the loser's transaction rolls back and a retry finds the schema done.
fn migrate(conn: &mut Connection) -> Result<()> {
    // The migrations' transaction takes the write lock when it begins, so a busy database makes
    // it wait (the busy timeout) instead of failing at its first write after a read, which SQLite
    // does not retry (migration 12 reads the schema first).
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    let done = migrate_with_retries(conn);
    conn.set_transaction_behavior(TransactionBehavior::Deferred);
    done
}

fn migrate_with_retries(conn: &mut Connection) -> Result<()> {
    let mut attempt = 0;
    loop {
        match migrations().to_latest(conn) {
            Ok(()) => return Ok(()),
            Err(_) if attempt < 50 => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(Error::storage(format!("migration failed: {e}"))),
        }
    }
}

/// Switches a file database to WAL. Changing the journal mode needs a lock that SQLite does not
/// wait for through the busy handler, so several connections opening a new file at once retry.
fn enable_wal(conn: &Connection) -> Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return Ok(other?),
        }
    }
}

/// The read connection's page cache, in KiB (negative `cache_size`).
const READ_CACHE_KIB: i64 = -32 * 1024;

/// SQLite-backed [`Store`]. Safe to share between threads; several processes may open the same
/// file (WAL mode; writers are serialized by `BEGIN IMMEDIATE`).
pub struct SqliteStore {
    /// A file store's background checkpointer (declared first: stopped before the connections
    /// close).
    checkpointer: Option<Checkpointer>,
    /// The write connection; also the read connection of a `:memory:` store.
    conn: Mutex<Connection>,
    /// A file store's read connection (`query_only`): reads run in their own WAL snapshot.
    reader: Option<Mutex<Connection>>,
    /// A file store's file (absolute), for the connections of [`Store::read_apart`].
    file: Option<String>,
    /// Bumped after every write transaction that called `apply_activation` (see `run`).
    generation: AtomicU64,
    /// How commits by other connections are detected (see [`Store::change_stamp`]).
    watch: Watch,
    /// The WAL's length (frames) when this store last woke the checkpointer (see `run`).
    nudged_at: AtomicU32,
    /// Records parsed from their stored text, shared by the connections (`sqlite_memo.rs`).
    memo: DocMemo,
}

/// How [`SqliteStore`] notices commits by other connections and processes.
enum Watch {
    /// `:memory:`: private to this store, so only its own writes exist.
    Memory,
    /// The WAL-index header in `<db>-shm` (a shared mapping; one `pread` where none can be made).
    Shm(ShmWatch),
    /// `PRAGMA data_version` on the read connection, where the `-shm` cannot be read.
    DataVersion,
}

/// The write connection: a file's WAL frames are written through `deploygov-walvfs` (one
/// system call per commit instead of two per page written) when it can be registered.
fn open_writer(path: &str) -> Result<Connection> {
    match deploygov_walvfs::name() {
        Some(vfs) if path != ":memory:" => Ok(Connection::open_with_flags_and_vfs(path, OpenFlags::default(), vfs)?),
        _ => Ok(Connection::open(path)?),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) a database file, or `:memory:`, and migrates it.
    pub fn open(path: &str) -> Result<Self> {
        if path.is_empty() {
            return Err(Error::invalid_input("database path must not be empty"));
        }
        if path.contains('\0') {
            return Err(Error::invalid_input("database path contains a nul byte"));
        }
        let mut conn = open_writer(path)?;
        tune(&conn)?;
        if path != ":memory:" {
            let mode = enable_wal(&conn)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(Error::storage(format!("cannot enable wal mode on `{path}` (got `{mode}`)")));
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        if path == ":memory:" {
            return Ok(Self {
                checkpointer: None,
                conn: Mutex::new(conn),
                reader: None,
                file: None,
                generation: AtomicU64::new(0),
                watch: Watch::Memory,
                nudged_at: AtomicU32::new(0),
                memo: DocMemo::default(),
            });
        }
        let reader = Connection::open(path)?;
        tune(&reader)?;
        reader.pragma_update(None, "foreign_keys", "ON")?;
        reader.pragma_update(None, "query_only", "ON")?;
        // Reads of a long history (point-in-time state, deep pages, verification) touch many
        // pages: up to 32 MiB of them stay in this connection's cache (SQLite's default is 2 MiB;
        // the cache grows only as pages are read, so a small database costs no more).
        reader.pragma_update(None, "cache_size", READ_CACHE_KIB)?;
        let file = conn.path().map(str::to_owned);
        let watch = conn.path().and_then(ShmWatch::open).map_or(Watch::DataVersion, Watch::Shm);
        // Checkpoints move to a background thread where commits can see the WAL's length (the
        // `-shm` header); the write connection's own then runs only as a safety net.
        let checkpointer = match watch {
            Watch::Shm(_) => Checkpointer::start(path),
            Watch::Memory | Watch::DataVersion => None,
        };
        if checkpointer.is_some() {
            conn.pragma_update(None, "wal_autocheckpoint", SAFETY_NET_PAGES)?;
        }
        Ok(Self {
            checkpointer,
            conn: Mutex::new(conn),
            reader: Some(Mutex::new(reader)),
            file,
            generation: AtomicU64::new(0),
            watch,
            nudged_at: AtomicU32::new(0),
            memo: DocMemo::default(),
        })
    }

    /// Runs `f` on the write connection (tests of the statements it runs).
    #[cfg(test)]
    pub(super) fn with_writer<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        f(&Self::lock(&self.conn))
    }

    fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction open (rusqlite rolls back on
        // drop), so a poisoned mutex is safe to reuse.
        conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The connection reads run on.
    fn read_conn(&self) -> &Mutex<Connection> {
        self.reader.as_ref().unwrap_or(&self.conn)
    }

    fn run(
        &self,
        conn: &Mutex<Connection>,
        behavior: TransactionBehavior,
        commit: bool,
        f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>,
    ) -> Result<()> {
        let mut conn = Self::lock(conn);
        let activated = Cell::new(false);
        let out = (|| {
            let tx = conn.transaction_with_behavior(behavior)?;
            f(&SqliteTx(&tx, &activated, &self.memo))?;
            if commit {
                tx.commit()?;
            }
            Ok(())
        })();
        // INVARIANT: every change of the active state goes through `apply_activation`, which
        // sets `activated`; the generation moves only once the transaction has ended (committed,
        // or rolled back: a needless invalidation, never a stale one). A reader takes the stamp
        // before it reads, so a cache entry is never filled from a state older than its stamp,
        // and (WAL snapshot isolation; a `:memory:` store's one connection is locked for the
        // whole write) no read ever sees an uncommitted activation. New write paths that call
        // `apply_activation` are covered without any change here.
        if activated.get() {
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        if commit
            && out.is_ok()
            && let (Some(ck), Watch::Shm(w)) = (&self.checkpointer, &self.watch)
            && let Some(frames) = w.wal_frames()
            && nudge_due(&self.nudged_at, frames)
        {
            ck.nudge();
        }
        out
    }
}

impl Store for SqliteStore {
    fn read(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<()> {
        self.run(self.read_conn(), TransactionBehavior::Deferred, false, f)
    }

    fn write(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<()> {
        self.run(&self.conn, TransactionBehavior::Immediate, true, f)
    }

    /// A file store opens a read connection for the call (closed after it); `:memory:` has none.
    fn read_apart(&self, f: &mut dyn FnMut(&dyn StoreTx) -> Result<()>) -> Result<bool> {
        let Some(path) = &self.file else { return Ok(false) };
        // Never creates the file: a store whose file was removed gets an error, not a new file.
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        tune(&conn)?;
        conn.pragma_update(None, "query_only", "ON")?;
        self.run(&Mutex::new(conn), TransactionBehavior::Deferred, false, f).map(|()| true)
    }

    fn change_stamp(&self) -> Option<ChangeStamp> {
        let own = self.generation.load(Ordering::SeqCst);
        let mut other = [0u8; STAMP_LEN];
        match &self.watch {
            Watch::Memory => {}
            Watch::Shm(w) => other = w.header()?,
            Watch::DataVersion => {
                let v: i64 = Self::lock(self.read_conn()).query_row("PRAGMA data_version", [], |r| r.get(0)).ok()?;
                other.get_mut(..8)?.copy_from_slice(&v.to_le_bytes());
            }
        }
        Some(ChangeStamp { own, other })
    }
}
