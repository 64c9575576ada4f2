//! The hot read cache of `Engine::active_version` is always fresh: a write by another process,
//! by another engine of this process, or by this engine is seen by the very next read, a
//! rolled-back write is never seen, and cached answers equal the store's.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use deploygov::store::{ChangeStamp, SqliteStore, Store, StoreTx};
use deploygov::*;

const T: &str = "prompt_version";
const ENV: &str = "development";
/// Set in the child process: the database file it deploys in, and where it signals.
const WRITER_DB: &str = "DEPLOYGOV_TEST_CACHE_WRITER_DB";
const WRITER_DIR: &str = "DEPLOYGOV_TEST_CACHE_WRITER_DIR";
const ROUNDS: usize = 5;

fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {}", path.display());
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Registers `tag` of entity `id` and puts it live in `development` (no approvals there).
fn deploy(e: &Engine, id: &str, tag: &str) {
    register(e, T, id, tag);
    let d = e.request_deployment(P, &request(ENV, vec![item(T, id, tag)]), &admin("alice")).unwrap();
    let d = if d.status == DeploymentStatus::Approved { d } else { approve(e, &d.id, &admin("bob")) };
    assert_eq!(execute(e, &d.id, &admin("alice")).status, DeploymentStatus::Deployed);
}

/// The cached answer, checked against the store's.
fn read(e: &Engine, id: &str) -> Option<String> {
    let tag = e.active_version_tag(P, ENV, T, id).unwrap();
    let cached = e.active_version(P, ENV, T, id).unwrap();
    assert_eq!(cached, e.active_version_uncached(P, ENV, T, id).unwrap(), "cached and stored answers differ for `{id}`");
    assert_eq!(tag, cached.as_ref().map(|a| a.version_tag.clone()), "the tag-only read differs for `{id}`");
    assert_eq!(tag, e.active_version_tag(P, ENV, T, id).unwrap(), "the cached tag differs for `{id}`");
    cached.map(|a| a.version_tag)
}

fn new_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gov.db").to_str().unwrap().to_owned();
    (dir, path)
}

/// Entry point of the child process: deploys `1.<round>.0` of `chatbot` each time the parent
/// creates `go-<round>`, then creates `done-<round>`. Does nothing in a normal test run.
#[test]
fn child_writer() {
    let Ok(db) = std::env::var(WRITER_DB) else { return };
    let dir = PathBuf::from(std::env::var(WRITER_DIR).unwrap());
    let e = Engine::open(&db).unwrap();
    for round in 1..=ROUNDS {
        wait_for(&dir.join(format!("go-{round}")));
        deploy(&e, "chatbot", &format!("1.{round}.0"));
        std::fs::write(dir.join(format!("done-{round}")), b"").unwrap();
    }
}

#[test]
fn a_write_in_another_process_is_seen_by_the_next_read() {
    if skip_on_postgres("watches SQLite files (-shm, data_version); the postgres store has no change stamp, so nothing is cached") {
        return;
    }
    let (dir, db) = new_db();
    let e = Engine::open(&db).unwrap();
    setup(&e);
    deploy(&e, "chatbot", "1.0.0");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["child_writer", "--exact", "--test-threads", "1", "--quiet"])
        .env(WRITER_DB, &db)
        .env(WRITER_DIR, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for round in 1..=ROUNDS {
        let before = format!("1.{}.0", round - 1);
        // Warm: these are served from the cache.
        for _ in 0..1000 {
            assert_eq!(e.active_version(P, ENV, T, "chatbot").unwrap().unwrap().version_tag, before);
            assert_eq!(e.active_version_tag(P, ENV, T, "chatbot").unwrap().unwrap(), before);
        }
        std::fs::write(dir.path().join(format!("go-{round}")), b"").unwrap();
        wait_for(&dir.path().join(format!("done-{round}")));
        // The very next read: the tag alone on even rounds, the whole entry on odd ones.
        let next = if round % 2 == 0 {
            e.active_version_tag(P, ENV, T, "chatbot").unwrap().unwrap()
        } else {
            e.active_version(P, ENV, T, "chatbot").unwrap().unwrap().version_tag
        };
        assert_eq!(next, format!("1.{round}.0"), "round {round}");
        assert_eq!(read(&e, "chatbot").unwrap(), format!("1.{round}.0"));
    }
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_write_by_another_engine_of_this_process_is_seen_by_the_next_read() {
    if skip_on_postgres("watches SQLite files (-shm, data_version); the postgres store has no change stamp, so nothing is cached") {
        return;
    }
    let (_dir, db) = new_db();
    let reader = Engine::open(&db).unwrap();
    setup(&reader);
    let writer = Engine::open(&db).unwrap();
    assert_eq!(read(&reader, "chatbot"), None);
    for round in 0..ROUNDS {
        let tag = format!("1.{round}.0");
        deploy(&writer, "chatbot", &tag);
        assert_eq!(reader.active_version(P, ENV, T, "chatbot").unwrap().unwrap().version_tag, tag);
        assert_eq!(read(&reader, "chatbot").unwrap(), tag);
    }
    let last = writer.list_deployments(P, &DeploymentFilter { limit: Some(1), ..Default::default() }).unwrap().items.remove(0);
    writer.rollback(P, &last.id, &admin("alice"), &NoopExecutor, &rb("back")).unwrap();
    assert_eq!(reader.active_version(P, ENV, T, "chatbot").unwrap().unwrap().version_tag, format!("1.{}.0", ROUNDS - 2));
}

#[test]
fn this_engines_own_writes_are_seen_by_the_next_read() {
    if skip_on_postgres("watches SQLite files (-shm, data_version); the postgres store has no change stamp, so nothing is cached") {
        return;
    }
    for db in [None, Some(new_db())] {
        let e = match &db {
            None => Engine::in_memory().unwrap(),
            Some((_, path)) => Engine::open(path).unwrap(),
        };
        setup(&e);
        assert_eq!(read(&e, "chatbot"), None);
        for round in 0..ROUNDS {
            let tag = format!("1.{round}.0");
            deploy(&e, "chatbot", &tag);
            assert_eq!(e.active_version(P, ENV, T, "chatbot").unwrap().unwrap().version_tag, tag);
        }
    }
}

/// A store that makes one chosen write transaction fail after the engine's work is done (so it
/// rolls back), and can look at the engine from inside that transaction.
struct Failing {
    inner: SqliteStore,
    /// Writes left before the failing one (`usize::MAX`: none fails).
    countdown: AtomicUsize,
    /// Run inside the failing transaction, before it rolls back.
    during: Mutex<Option<Box<dyn FnMut() + Send>>>,
}

impl Store for Failing {
    fn read(&self, f: &mut dyn FnMut(&dyn StoreTx) -> deploygov::Result<()>) -> deploygov::Result<()> {
        self.inner.read(f)
    }

    fn write(&self, f: &mut dyn FnMut(&dyn StoreTx) -> deploygov::Result<()>) -> deploygov::Result<()> {
        let fail = self.countdown.fetch_sub(1, Ordering::SeqCst) == 1;
        self.inner.write(&mut |tx| {
            f(tx)?;
            if fail {
                if let Some(during) = self.during.lock().unwrap().as_mut() {
                    during();
                }
                return Err(Error::Conflict("injected failure".into()));
            }
            Ok(())
        })
    }

    fn change_stamp(&self) -> Option<ChangeStamp> {
        self.inner.change_stamp()
    }
}

#[test]
fn a_rolled_back_activation_is_never_seen() {
    if skip_on_postgres("watches SQLite files (-shm, data_version); the postgres store has no change stamp, so nothing is cached") {
        return;
    }
    for db in [None, Some(new_db())] {
        let path = db.as_ref().map_or(":memory:", |(_, p)| p.as_str());
        let store = Arc::new(Failing {
            inner: SqliteStore::open(path).unwrap(),
            countdown: AtomicUsize::new(usize::MAX),
            during: Mutex::new(None),
        });
        let e = Arc::new(Engine::with_store(Box::new(SharedStore(store.clone())), Arc::new(clock())));
        setup(&e);
        deploy(&e, "chatbot", "1.0.0");
        assert_eq!(read(&e, "chatbot").as_deref(), Some("1.0.0"));
        assert_eq!(read(&e, "other").as_deref(), None);

        register(&e, T, "chatbot", "2.0.0");
        let d = e.request_deployment(P, &request(ENV, vec![item(T, "chatbot", "2.0.0")]), &admin("alice")).unwrap();
        if db.is_some() {
            // A file store reads on its own connection, so another thread can read while the
            // activation is written but not committed: it must see the old version, and must not
            // leave the uncommitted one in the cache.
            let seen = Arc::new(Mutex::new(Vec::new()));
            let (engine, out) = (e.clone(), seen.clone());
            *store.during.lock().unwrap() = Some(Box::new(move || {
                let engine = engine.clone();
                let got = std::thread::spawn(move || engine.active_version(P, ENV, T, "chatbot").unwrap().map(|a| a.version_tag));
                out.lock().unwrap().push(got.join().unwrap());
            }));
            fail_second_write(&store, &e, &d.id);
            assert_eq!(*seen.lock().unwrap(), vec![Some("1.0.0".to_owned())]);
        } else {
            fail_second_write(&store, &e, &d.id);
        }
        assert_eq!(read(&e, "chatbot").as_deref(), Some("1.0.0"), "a rolled-back activation must not be seen");
        assert!(e.active_state(P, ENV).unwrap().iter().all(|a| a.version_tag == "1.0.0"));
        *store.during.lock().unwrap() = None;
    }
}

/// Executes `id` with an executor that acts outside the store (so in two transactions); its
/// first transaction (to `deploying`) commits, the second (the activation) fails and rolls back.
fn fail_second_write(store: &Failing, e: &Engine, id: &str) {
    store.countdown.store(2, Ordering::SeqCst);
    let outside = |_: &deploygov::Activation<'_>| Ok(());
    let err = e.execute(P, id, &admin("alice"), &outside, &ExecuteOptions::default()).unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    store.countdown.store(usize::MAX, Ordering::SeqCst);
}

/// `Engine::with_store` takes a box; the test keeps a handle on the store too.
struct SharedStore(Arc<Failing>);

impl Store for SharedStore {
    fn read(&self, f: &mut dyn FnMut(&dyn StoreTx) -> deploygov::Result<()>) -> deploygov::Result<()> {
        self.0.read(f)
    }
    fn write(&self, f: &mut dyn FnMut(&dyn StoreTx) -> deploygov::Result<()>) -> deploygov::Result<()> {
        self.0.write(f)
    }
    fn change_stamp(&self) -> Option<ChangeStamp> {
        self.0.change_stamp()
    }
}

/// Differential: random deployments, rollbacks and reads through two engines on one file (and
/// one in-memory engine); after every step each engine's cached answer for every entity equals
/// the store's.
#[test]
fn cached_answers_equal_the_stores_under_random_writes() {
    if skip_on_postgres("watches SQLite files (-shm, data_version); the postgres store has no change stamp, so nothing is cached") {
        return;
    }
    let ids = ["a", "b", "c", "d"];
    let (_dir, db) = new_db();
    let first = Engine::open(&db).unwrap();
    setup(&first);
    let second = Engine::open(&db).unwrap();
    let memory = Engine::in_memory().unwrap();
    setup(&memory);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n as u64).unwrap()
    };
    for step in 0..60 {
        let id = ids[next(ids.len())];
        let tag = format!("1.{step}.0");
        let on_file = if next(2) == 0 { &first } else { &second };
        for writer in [on_file, &memory] {
            match next(3) {
                0 | 1 => deploy(writer, id, &tag),
                _ => {
                    let page = writer.list_deployments(P, &DeploymentFilter { limit: Some(1), ..Default::default() }).unwrap();
                    if let Some(d) = page.items.first().filter(|d| d.status == DeploymentStatus::Deployed) {
                        let _ = writer.rollback(P, &d.id, &admin("alice"), &NoopExecutor, &rb("random"));
                    }
                }
            }
        }
        for e in [&first, &second, &memory] {
            for id in ids {
                read(e, id);
                read(e, id);
            }
        }
    }
}
