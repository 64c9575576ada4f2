//! The bundled SQLite is built with the workspace's options (`.cargo/config.toml`): without its
//! memory statistics and without the shared page-cache group, whose mutexes cost every
//! allocation and every page fetch (docs/performance.md, round 11).

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use rusqlite::Connection;

fn compile_options() -> Vec<String> {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("PRAGMA compile_options").unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn sqlite_is_built_without_memory_statistics_or_the_shared_cache_group() {
    let options = compile_options();
    assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
    assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
    // The rest of libsqlite3-sys's options are still there.
    assert!(options.iter().any(|o| o == "THREADSAFE=1"), "{options:?}");
}
