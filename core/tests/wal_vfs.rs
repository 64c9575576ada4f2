//! The SQLite store's write connection writes its WAL through `deploygov-walvfs` (one system call
//! per commit instead of two per page: docs/performance.md), a `:memory:` store has no WAL. One
//! test in its own binary, so no other test's commits move the process-wide counter meanwhile.

#![cfg(target_os = "linux")] // the VFS is registered on Linux only
#![allow(clippy::unwrap_used, reason = "test code fails loudly")]

mod common;
use std::sync::Arc;

use common::*;
use deploygov::Engine;
use deploygov::store::SqliteStore;

#[test]
fn a_file_store_commits_through_the_wal_vfs_and_a_memory_store_has_no_wal() {
    let counted = deploygov_walvfs::commit_frames_written;
    let memory = Engine::with_store(Box::new(SqliteStore::open(":memory:").unwrap()), Arc::new(clock()));
    let before = counted();
    setup(&memory);
    register(&memory, "prompt_version", "chatbot", "1.0.0");
    assert_eq!(counted(), before, "a :memory: store has no WAL file");

    let dir = tempfile::tempdir().unwrap();
    let file = file_engine(dir.path().join("db").to_str().unwrap(), &clock());
    setup(&file);
    let before = counted();
    for tag in ["1.0.0", "1.0.1", "1.0.2"] {
        register(&file, "prompt_version", "chatbot", tag);
    }
    assert!(counted() >= before + 3, "three commits of the file store went through the VFS ({before} -> {})", counted());
}
