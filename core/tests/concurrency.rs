//! Several engines (each its own SQLite connection, like separate processes) and one real child
//! process working on the same database file: no lost update, no lost insert, no corruption.
//! Under `DEPLOYGOV_TEST_POSTGRES_URL` the same tests share one new PostgreSQL schema instead.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use common::*;
use deploygov::*;

/// Set in the child process: the database file the worker approves in.
const WORKER_DB: &str = "DEPLOYGOV_TEST_WORKER_DB";
const WORKER_DEPLOYMENT: &str = "DEPLOYGOV_TEST_WORKER_DEPLOYMENT";
const WORKER_ACTOR: &str = "DEPLOYGOV_TEST_WORKER_ACTOR";
/// Directory where the worker signals `ready`, waits for `go` and writes `result`.
const WORKER_DIR: &str = "DEPLOYGOV_TEST_WORKER_DIR";

fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {}", path.display());
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Entry point of the child process. In a normal test run the variables are unset and this test
/// does nothing.
#[test]
fn child_worker() {
    let Ok(db) = std::env::var(WORKER_DB) else { return };
    let var = |k: &str| std::env::var(k).unwrap();
    let dir = PathBuf::from(var(WORKER_DIR));
    let e = Engine::open(&db).unwrap();
    std::fs::write(dir.join("ready"), b"").unwrap();
    wait_for(&dir.join("go"));
    let outcome = match e.approve(P, &var(WORKER_DEPLOYMENT), &admin(&var(WORKER_ACTOR)), &ApproveOptions::default()) {
        Ok(_) => "ok".to_owned(),
        Err(err) => err.code().name().to_owned(),
    };
    std::fs::write(dir.join("result.tmp"), outcome).unwrap();
    std::fs::rename(dir.join("result.tmp"), dir.join("result")).unwrap();
}

/// Starts this test binary again as a child that approves `deployment` as `actor` once `go`
/// exists in `dir`.
fn spawn_approver(db: &str, deployment: &str, actor: &str, dir: &Path) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["child_worker", "--exact", "--test-threads", "1", "--quiet"])
        .env(WORKER_DB, db)
        .env(WORKER_DEPLOYMENT, deployment)
        .env(WORKER_ACTOR, actor)
        .env(WORKER_DIR, dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A database file (or PostgreSQL schema) with project `japm` and its three environments.
fn shared_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = shared_location(dir.path());
    let e = Engine::open(&path).unwrap();
    setup(&e);
    register(&e, "prompt_version", "chatbot", "1.0.0");
    (dir, path)
}

fn integrity_ok(path: &str) {
    if pg_url().is_some() {
        return; // SQLite's `PRAGMA integrity_check`; PostgreSQL has no equivalent to run here.
    }
    let conn = rusqlite::Connection::open(path).unwrap();
    let res: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(res, "ok");
}

fn count(actions: &[String], action: &str) -> usize {
    actions.iter().filter(|a| *a == action).count()
}

#[test]
fn concurrent_approvals_from_engines_and_a_process_count_each_person_once() {
    let (dir, path) = shared_db();
    let e = Engine::open(&path).unwrap();
    let d = e.request_deployment(P, &request("production", vec![item("prompt_version", "chatbot", "1.0.0")]), &admin("alice")).unwrap();
    let signals = dir.path().join("child");
    std::fs::create_dir(&signals).unwrap();
    let mut child = spawn_approver(&path, &d.id, "erin", &signals);
    wait_for(&signals.join("ready"));

    // bob and carol each approve from two engines at once; erin from the child process.
    let people = ["bob", "carol", "bob", "carol"];
    let barrier = Barrier::new(people.len() + 1);
    let results: Vec<(&str, Result<DeploymentStatus, ErrorCode>)> = std::thread::scope(|s| {
        let handles: Vec<_> = people
            .iter()
            .map(|who| {
                let (barrier, path, id) = (&barrier, &path, &d.id);
                s.spawn(move || {
                    let mine = Engine::open(path).unwrap();
                    barrier.wait();
                    (*who, mine.approve(P, id, &admin(who), &ApproveOptions::default()).map(|d| d.status).map_err(|e| e.code()))
                })
            })
            .collect();
        barrier.wait();
        std::fs::write(signals.join("go"), b"").unwrap();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(child.wait().unwrap().success(), "child process failed");
    wait_for(&signals.join("result"));
    assert_eq!(std::fs::read_to_string(signals.join("result")).unwrap(), "ok");

    for who in ["bob", "carol"] {
        let mine: Vec<_> = results.iter().filter(|(w, _)| *w == who).map(|(_, r)| *r).collect();
        assert_eq!(mine.iter().filter(|r| r.is_ok()).count(), 1, "{who}: {mine:?}");
        assert!(mine.contains(&Err(ErrorCode::Conflict)), "{who}: {mine:?}");
    }
    let d = e.get_deployment(P, &d.id).unwrap();
    assert_eq!(d.status, DeploymentStatus::Approved);
    let approvers: HashSet<&str> = d.approvals.iter().map(|a| a.actor_id.as_str()).collect();
    assert_eq!((d.approvals.len(), approvers), (3, HashSet::from(["bob", "carol", "erin"])));
    assert_eq!(d.revision, 4);
    let actions = audit_actions(&e, &d.id);
    assert_eq!((count(&actions, "deployment.approval_granted"), count(&actions, "deployment.approved")), (3, 1), "{actions:?}");
    e.verify_audit().unwrap();
    drop(e);
    integrity_ok(&path);
}

#[test]
fn concurrent_executions_deploy_exactly_once() {
    let (_dir, path) = shared_db();
    let e = Engine::open(&path).unwrap();
    let d = e.request_deployment(P, &request("production", vec![item("prompt_version", "chatbot", "1.0.0")]), &admin("alice")).unwrap();
    approve(&e, &d.id, &admin("bob"));
    approve(&e, &d.id, &admin("carol"));
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let slow = |_: &Activation<'_>| -> Result<(), String> {
        calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        Ok(())
    };
    let barrier = Barrier::new(4);
    let results: Vec<Result<DeploymentStatus, ErrorCode>> = std::thread::scope(|s| {
        let handles: Vec<_> = ["bob", "carol", "erin", "frank"]
            .iter()
            .map(|who| {
                let (barrier, path, id, slow) = (&barrier, &path, &d.id, &slow);
                s.spawn(move || {
                    let mine = Engine::open(path).unwrap();
                    barrier.wait();
                    mine.execute(P, id, &admin(who), slow, &ExecuteOptions::default()).map(|d| d.status).map_err(|e| e.code())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| **r == Ok(DeploymentStatus::Deployed)).count(), 1, "{results:?}");
    assert!(
        results.iter().filter(|r| r.is_err()).all(|r| matches!(r, Err(ErrorCode::Conflict | ErrorCode::InvalidTransition))),
        "{results:?}"
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1, "the executor ran once");
    let d = e.get_deployment(P, &d.id).unwrap();
    assert_eq!(d.status, DeploymentStatus::Deployed);
    let actions = audit_actions(&e, &d.id);
    assert_eq!((count(&actions, "deployment.started"), count(&actions, "deployment.deployed")), (1, 1), "{actions:?}");
    assert_eq!(e.active_version(P, "production", "prompt_version", "chatbot").unwrap().unwrap().deployment_id, d.id);
    e.verify_audit().unwrap();
    drop(e);
    integrity_ok(&path);
}

#[test]
fn concurrent_requests_lose_no_insert() {
    let (_dir, path) = shared_db();
    let e = Engine::open(&path).unwrap();
    let before = audit_count(&e);
    let barrier = Barrier::new(8);
    let per_thread: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (barrier, path) = (&barrier, &path);
                s.spawn(move || {
                    let mine = Engine::open(path).unwrap();
                    let dev = developer(&format!("dev{t}"));
                    barrier.wait();
                    (0..25)
                        .map(|i| {
                            let req = DeploymentRequest {
                                name: format!("t{t}-{i}"),
                                ..request("development", vec![item("prompt_version", "chatbot", "1.0.0")])
                            };
                            mine.request_deployment(P, &req, &dev).unwrap().id
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all = all_deployments(&e);
    assert_eq!(all.len(), 200);
    let stored: HashMap<&str, &Deployment> = all.iter().map(|d| (d.id.as_str(), d)).collect();
    assert_eq!(stored.len(), 200, "duplicate ids");
    for (t, ids) in per_thread.iter().enumerate() {
        assert_eq!(ids.len(), 25);
        for (i, id) in ids.iter().enumerate() {
            let d = stored.get(id.as_str()).unwrap_or_else(|| panic!("{id} lost"));
            assert_eq!((d.name.as_str(), d.requested_by.as_str()), (format!("t{t}-{i}").as_str(), format!("dev{t}").as_str()));
            assert_eq!(d.status, DeploymentStatus::Approved);
        }
    }
    // Each request writes `deployment.requested` and the automatic `deployment.approved`.
    assert_eq!(audit_count(&e), before + 400);
    drop(e);
    integrity_ok(&path);
}

/// Several processes starting on a new file (or PostgreSQL schema) at the same time (each
/// migrates it).
#[test]
fn concurrent_first_open_of_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = shared_location(dir.path());
    let barrier = Barrier::new(8);
    let results: Vec<std::result::Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (barrier, path) = (&barrier, &path);
                s.spawn(move || {
                    barrier.wait();
                    Engine::open(path)
                        .map(drop)
                        .map_err(|e| format!("{}: {}", e.code(), e.to_string().chars().take(120).collect::<String>()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    let e = Engine::open(&path).unwrap();
    setup(&e);
    assert_eq!(e.verify_audit().unwrap().entries, 4);
}
