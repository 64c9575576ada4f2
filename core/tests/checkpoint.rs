//! Checkpoints run on the store's background thread: once per 1,000 frames appended to the WAL,
//! the store's commits wake it and it copies the WAL back into the database while commands go on;
//! the write connection's own automatic checkpoint only runs at 30,000 pages (a safety net).
//! Watched from outside through the WAL-index in `<db>-shm`: `mxFrame` (the WAL's length) and
//! `nBackfill` (how much of it is in the database file).

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use common::*;
use deploygov::Engine;

/// (`mxFrame`, `nBackfill`) from the WAL-index: the header's first copy, then the checkpoint
/// information right after the two header copies.
fn wal_state(shm: &std::fs::File) -> (u32, u32) {
    let mut b = [0u8; 100];
    shm.read_exact_at(&mut b, 0).unwrap();
    let word = |at: usize| u32::from_ne_bytes(b[at..at + 4].try_into().unwrap());
    (word(16), word(96))
}

/// Threads of this process named `dg-checkpoint` (nextest runs each test in its own process).
fn checkpointer_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter(|t| std::fs::read_to_string(t.as_ref().unwrap().path().join("comm")).unwrap().trim() == "dg-checkpoint")
        .count()
}

/// A set-up engine on `gov.db` in `dir`, and that file's path.
fn engine_in(dir: &tempfile::TempDir) -> (Engine, std::path::PathBuf) {
    let path = dir.path().join("gov.db");
    let e = file_engine(path.to_str().unwrap(), &clock());
    setup(&e);
    (e, path)
}

#[test]
fn the_wal_is_checkpointed_in_the_background_past_1000_frames() {
    let dir = tempfile::tempdir().unwrap();
    let (e, path) = engine_in(&dir);
    // A new thread names itself once it runs: wait for that.
    let deadline = Instant::now() + Duration::from_secs(20);
    while checkpointer_threads() == 0 {
        assert!(Instant::now() < deadline, "no checkpointer thread");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(checkpointer_threads(), 1, "one checkpointer per file store");
    let shm = std::fs::File::open(dir.path().join("gov.db-shm")).unwrap();
    // Past the threshold, so the commits nudge the thread.
    let mut i = 0;
    while wal_state(&shm).0 < 1_000 {
        register(&e, "prompt_version", "chatbot", &format!("1.0.{i}"));
        i += 1;
        assert!(i < 5_000, "the WAL never reached 1,000 frames: {:?}", wal_state(&shm));
    }
    // Nothing else checkpoints below 30,000 frames, and nothing writes now.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (frames, backfilled) = wal_state(&shm);
        if backfilled == frames && frames > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "not checkpointed in 20 s: {frames} frames, {backfilled} in the database");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The WAL then starts over with the next commit, and everything is still there.
    register(&e, "prompt_version", "chatbot", "2.0.0");
    assert!(wal_state(&shm).0 < 100, "{:?}", wal_state(&shm));
    assert_eq!(e.list_versions(P, "prompt_version", "chatbot").unwrap().len(), i + 1);
    assert!(e.verify_audit().unwrap().entries > i64::try_from(i).unwrap());
    drop(e);
    assert_eq!(checkpointer_threads(), 0, "stopped and joined with its store");
    let again = Engine::open(path.to_str().unwrap()).unwrap();
    assert_eq!(again.list_versions(P, "prompt_version", "chatbot").unwrap().len(), i + 1);
    let memory = Engine::in_memory().unwrap();
    drop(again);
    assert_eq!(checkpointer_threads(), 0, "none for `:memory:`");
    drop(memory);
}

/// Under steady writes a passive checkpoint never catches up with the writer, so the WAL does not
/// restart and stays past 1,000 frames. The checkpointer still runs once per 1,000 frames
/// appended, not after every commit (it did: each commit's pages were copied into the database
/// on their own, with two `fsync`s, costing more than the commits).
#[test]
fn steady_writes_are_checkpointed_once_per_1000_frames_not_per_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = engine_in(&dir);
    let shm = std::fs::File::open(dir.path().join("gov.db-shm")).unwrap();
    let (mut appended, mut commits, mut checkpoints) = (0u32, 0u32, 0u32);
    let (mut last_frames, mut last_backfilled) = wal_state(&shm);
    while appended < 6_000 {
        register(&e, "prompt_version", "chatbot", &format!("1.0.{commits}"));
        commits += 1;
        let (frames, backfilled) = wal_state(&shm);
        // A shorter WAL restarted: everything before it was checkpointed.
        appended += if frames < last_frames { frames } else { frames - last_frames };
        if backfilled != last_backfilled && backfilled > 0 {
            checkpoints += 1;
        }
        (last_frames, last_backfilled) = (frames, backfilled);
    }
    // Waking once per 1,000 frames allows 6 checkpoints (a last one may finish between samples:
    // counted once, or not at all); one per commit would be hundreds.
    assert!(commits > 200, "{commits} commits");
    assert!(checkpoints <= 7, "{checkpoints} checkpoints for {appended} frames in {commits} commits");
    assert_eq!(e.list_versions(P, "prompt_version", "chatbot").unwrap().len(), commits as usize);
}
