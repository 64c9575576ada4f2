//! Checkpoints off the command path: a background thread per file store copies the WAL back into
//! the database, so the commit that crosses the WAL's threshold does not pay for it.
//!
//! In WAL mode SQLite's automatic checkpoint runs inside the commit that makes the WAL reach
//! `wal_autocheckpoint` pages: that command copies ~1,000 pages into the database file and waits
//! for two `fsync`s. Measured on the benchmarks' lifecycle (request, 2 approvals, execute) that is
//! a third to a half of the cost of a write (docs/performance.md). Here the store's own commits
//! only look at the WAL's size (the `mxFrame` field of the WAL-index header, a memory load) and,
//! past [`NUDGE_FRAMES`], wake this thread, which runs `PRAGMA wal_checkpoint(PASSIVE)` on its own
//! connection while commands go on.
//!
//! Durability and crash safety are SQLite's own: a checkpoint is the same operation whoever runs
//! it, and a passive one never blocks readers or writers. If the thread falls behind (or cannot
//! be started), the write connection's automatic checkpoint still runs at [`SAFETY_NET_PAGES`]
//! (or at SQLite's default, 1,000 pages, when there is no thread), so the WAL stays bounded.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// WAL frames past which a commit wakes the checkpointer (SQLite's default threshold).
pub(super) const NUDGE_FRAMES: u32 = 1_000;

/// The write connection's own automatic checkpoint while a checkpointer runs: only if it falls
/// far behind (40 MiB of WAL with 4 KiB pages).
pub(super) const SAFETY_NET_PAGES: i64 = 10_000;

/// The background checkpointer of one file store; stops (and is joined) on drop.
pub(super) struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread with its own connection to `path`; `None` when either cannot be had
    /// (the caller then keeps SQLite's automatic checkpoint as it is).
    pub(super) fn start(path: &str) -> Option<Self> {
        let conn = Connection::open(path).ok()?;
        conn.busy_timeout(Duration::from_millis(100)).ok()?;
        conn.pragma_update(None, "synchronous", "NORMAL").ok()?;
        let (nudge, wakeups) = sync_channel(1);
        let thread = std::thread::Builder::new().name("dg-checkpoint".into()).spawn(move || run(&conn, &wakeups)).ok()?;
        Some(Self { nudge: Some(nudge), thread: Some(thread) })
    }

    /// Asks for a checkpoint soon; never blocks.
    pub(super) fn nudge(&self) {
        if let Some(n) = &self.nudge {
            match n.try_send(()) {
                Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel stops the loop; joining waits for a checkpoint in progress, so the
        // thread's connection is closed when the store is.
        drop(self.nudge.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sleeps until nudged (a nudge sent while one is pending is dropped: one checkpoint serves
/// both), checkpoints, and ends when the store closes the channel.
fn run(conn: &Connection, wakeups: &Receiver<()>) {
    while wakeups.recv().is_ok() {
        // Busy (another checkpoint, from any process) or any error: the next nudge retries, and
        // the safety net bounds the WAL meanwhile.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}
