//! Checkpoints off the command path: a background thread per file store copies the WAL back into
//! the database, so the commit that crosses the WAL's threshold does not pay for it.
//!
//! In WAL mode SQLite's automatic checkpoint runs inside the commit that makes the WAL reach
//! `wal_autocheckpoint` pages: that command copies ~1,000 pages into the database file and waits
//! for two `fsync`s. Measured on the benchmarks' lifecycle (request, 2 approvals, execute) that is
//! a third to a half of the cost of a write (docs/performance.md). Here the store's own commits
//! only look at the WAL's size (the `mxFrame` field of the WAL-index header, a memory load) and,
//! once per [`NUDGE_FRAMES`] frames appended ([`nudge_due`]), wake this thread, which runs
//! `PRAGMA wal_checkpoint(PASSIVE)` on its own connection while commands go on.
//!
//! Durability and crash safety are SQLite's own: a checkpoint is the same operation whoever runs
//! it, and a passive one never blocks readers or writers. If the thread falls behind (or cannot
//! be started), the write connection's automatic checkpoint still runs at [`SAFETY_NET_PAGES`]
//! (or at SQLite's default, 1,000 pages, when there is no thread), so the WAL stays bounded.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// WAL frames appended between two wakeups of the checkpointer (SQLite's default threshold).
pub(super) const NUDGE_FRAMES: u32 = 1_000;

/// The write connection's own automatic checkpoint while a checkpointer runs (120 MiB of WAL with
/// 4 KiB pages).
///
/// Under steady writes this is also when the WAL restarts: a passive checkpoint never copies the
/// frames appended while it runs, and a WAL restarts only once all of them are copied, so it is
/// the writer, here, that finishes each cycle (syncing the WAL and the database on the command
/// path, ~5 ms). At 30,000 frames that is once per ~450 lifecycles instead of ~150 at 10,000:
/// +6 % lifecycles a second in 8 of 8 alternating pairs, and 60,000 gained nothing more
/// (docs/performance.md, round 10).
pub(super) const SAFETY_NET_PAGES: i64 = 30_000;

/// Whether a commit that left the WAL `frames` long should wake the checkpointer: once per
/// [`NUDGE_FRAMES`] frames appended since the last time (`nudged_at`, updated when it says yes).
///
/// INVARIANT: not merely "the WAL is past the threshold". A passive checkpoint cannot restart a
/// WAL that writers keep appending to (the restart needs every frame copied when the next write
/// begins), so under steady writes the WAL stays past the threshold; woken by every commit, the
/// checkpointer copied each commit's few pages into the database on its own, with two `fsync`s
/// each time. A WAL shorter than at the last nudge has restarted (a checkpoint completed), and
/// counts from its start.
pub(super) fn nudge_due(nudged_at: &AtomicU32, frames: u32) -> bool {
    let last = nudged_at.load(Ordering::Relaxed);
    let appended = if frames < last { frames } else { frames - last };
    if appended < NUDGE_FRAMES {
        return false;
    }
    nudged_at.store(frames, Ordering::Relaxed);
    true
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The nudges a run of commits gets, given the WAL's length after each.
    fn nudges(lengths: impl IntoIterator<Item = u32>) -> Vec<u32> {
        let at = AtomicU32::new(0);
        lengths.into_iter().filter(|&f| nudge_due(&at, f)).collect()
    }

    #[test]
    fn one_nudge_per_threshold_of_frames_appended() {
        // Steady commits of 15 frames that no checkpoint restarts: one nudge per 1,000 frames,
        // not one per commit past the first 1,000.
        let steady: Vec<u32> = (1..=700).map(|c| c * 15).collect();
        let got = nudges(steady);
        assert_eq!(got.len(), 10, "{got:?}");
        assert!(got.windows(2).all(|w| w[1] - w[0] >= NUDGE_FRAMES && w[1] - w[0] < NUDGE_FRAMES + 15), "{got:?}");
        // A restarted WAL counts from its start.
        assert_eq!(nudges([990, 1_005, 30, 600, 1_000, 1_500, 2_010]), [1_005, 1_000, 2_010]);
        assert!(nudges([0, 999]).is_empty());
    }
}
