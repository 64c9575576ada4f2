//! Many writers: 8 OS processes × 4 threads (each thread its own `Engine`, so its own
//! connection) race on the same state, on a SQLite file and (when available) PostgreSQL.
//! Five races per round, `DEPLOYGOV_STRESS_ROUNDS` rounds (default 5, about 2 s each on SQLite; a
//! longer opt-in run sets more):
//!
//! - the same deployment approved by 6 people, each tried from several workers: each person
//!   counts once, the status flips to `approved` exactly once;
//! - the same deployment executed by 32 workers: exactly one executes; every other worker gets
//!   `invalid_transition`, which is the correct answer (see `execute_same`);
//! - two deployments executed in one environment: never both `deploying` (an executor that takes a
//!   shared file lock records any overlap, and the audit order of start/finish is checked);
//! - one request with one idempotency key from 32 workers: one record, every worker gets it;
//! - a rollback racing the execution of a newer deployment: the result is one of the two serial
//!   orders.
//!
//! After each round: no lost update, the active state equals the replay of the activation
//! history, the audit chain verifies, and the outbox has exactly one event per audit entry
//! (`robustness::check_invariants`).
//!
//! The workers are this test binary started again (`mw_child`), as `concurrency.rs` does.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test code fails loudly")]

mod robustness;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use deploygov::*;
use robustness::*;

const PROCESSES: usize = 8;
const THREADS: usize = 4;
const WORKERS: usize = PROCESSES * THREADS;
/// Distinct people in the approval race (the rule needs all of them).
const PEOPLE: usize = 6;
const ENVS: [&str; 5] = ["approve", "exec", "two", "idem", "race"];

const VAR_URL: &str = "DEPLOYGOV_MW_URL";
const VAR_DIR: &str = "DEPLOYGOV_MW_DIR";
const VAR_SCENARIO: &str = "DEPLOYGOV_MW_SCENARIO";
const VAR_PROJECT: &str = "DEPLOYGOV_MW_PROJECT";
const VAR_ARGS: &str = "DEPLOYGOV_MW_ARGS";
const VAR_PROC: &str = "DEPLOYGOV_MW_PROC";

fn rounds() -> usize {
    std::env::var("DEPLOYGOV_STRESS_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5)
}

fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < Duration::from_secs(120), "timed out waiting for {}", path.display());
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn append(path: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(line.as_bytes()).unwrap();
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).map(|s| s.lines().map(str::to_owned).collect()).unwrap_or_default()
}

/// The executor of every race: takes an exclusive lock on `env.lock` in the race directory (any
/// other execution already holding it is an overlap, recorded in `overlap`), records the call in
/// `calls`, and holds the environment for 10 ms.
fn recording_executor(dir: PathBuf) -> impl Fn(&Activation<'_>) -> Result<(), String> + Send + Sync {
    move |a: &Activation<'_>| {
        let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("env.lock")).unwrap();
        if lock.try_lock().is_err() {
            append(&dir.join("overlap"), &format!("{}\n", a.deployment_id));
        }
        append(&dir.join("calls"), &format!("{} {}\n", a.deployment_id, a.version_tag.unwrap_or("-")));
        std::thread::sleep(Duration::from_millis(10));
        drop(lock);
        Ok(())
    }
}

/// One worker's command. Returns `ok <detail>` or `err <code>`.
fn work(e: &Engine, scenario: &str, project: &str, args: &[String], worker: usize, dir: &Path) -> String {
    let executor = recording_executor(dir.to_path_buf());
    let me = admin(&format!("w{worker}"));
    let res: Result<String> = match scenario {
        "approve" => {
            let person = admin(&format!("p{}", worker % PEOPLE));
            e.approve(project, &args[0], &person, &ApproveOptions::default()).map(|d| d.status.to_string())
        }
        "execute" => e.execute(project, &args[0], &me, &executor, &ExecuteOptions::default()).map(|d| d.status.to_string()),
        "two" | "race" if scenario == "two" || worker % 2 == 1 => {
            // Executions retry while the environment is busy, so each deployment ends up executed.
            let id = if scenario == "two" { &args[worker % 2] } else { &args[1] };
            let mut busy = 0;
            loop {
                match e.execute(project, id, &me, &executor, &ExecuteOptions::default()) {
                    Err(err) if err.code() == ErrorCode::Conflict && busy < 2000 => {
                        busy += 1;
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    other => break other.map(|d| format!("{} after {busy} busy", d.status)),
                }
            }
        }
        "race" => {
            let opts = RollbackOptions { target: None, reason: "race".into() };
            e.rollback(project, &args[0], &me, &executor, &opts).map(|r| format!("{} {}", r.id, r.status))
        }
        "idem" => {
            let req = DeploymentRequest { idempotency_key: Some(args[0].clone()), ..request("idem", "idem", "m0", "1.0.1") };
            e.request_deployment(project, &req, &admin("req")).map(|d| d.id)
        }
        other => panic!("unknown scenario {other}"),
    };
    match res {
        Ok(detail) => format!("ok {detail}"),
        Err(err) => format!("err {}", err.code().name()),
    }
}

/// Entry point of the worker processes; does nothing in a normal test run.
#[test]
fn mw_child() {
    let Ok(url) = std::env::var(VAR_URL) else { return };
    let var = |k: &str| std::env::var(k).unwrap();
    let dir = PathBuf::from(var(VAR_DIR));
    let (scenario, project, proc_no) = (var(VAR_SCENARIO), var(VAR_PROJECT), var(VAR_PROC).parse::<usize>().unwrap());
    let args: Vec<String> = var(VAR_ARGS).split(',').map(str::to_owned).collect();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (url, dir, scenario, project, args) = (&url, &dir, &scenario, &project, &args);
            s.spawn(move || {
                let worker = proc_no * THREADS + t;
                let e = Engine::open(url).unwrap();
                std::fs::write(dir.join(format!("ready-{worker}")), b"").unwrap();
                wait_for(&dir.join("go"));
                let out = work(&e, scenario, project, args, worker, dir);
                std::fs::write(dir.join(format!("result-{worker}.tmp")), out).unwrap();
                std::fs::rename(dir.join(format!("result-{worker}.tmp")), dir.join(format!("result-{worker}"))).unwrap();
            });
        }
    });
}

/// Runs one race: 8 processes × 4 threads, released together; returns each worker's result by
/// worker number, and the race directory (executor records).
fn race(store: &TestStore, scenario: &str, project: &str, args: &[&str]) -> (Vec<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let exe = child_exe();
    let children: Vec<_> = (0..PROCESSES)
        .map(|p| {
            std::process::Command::new(exe.path())
                .args(["mw_child", "--exact", "--test-threads", "1", "--quiet", "--nocapture"])
                .env(VAR_URL, &store.url)
                .env(VAR_DIR, dir.path())
                .env(VAR_SCENARIO, scenario)
                .env(VAR_PROJECT, project)
                .env(VAR_ARGS, args.join(","))
                .env(VAR_PROC, p.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for w in 0..WORKERS {
        wait_for(&dir.path().join(format!("ready-{w}")));
    }
    std::fs::write(dir.path().join("go"), b"").unwrap();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "{scenario}: a worker process failed");
    }
    let results = (0..WORKERS).map(|w| std::fs::read_to_string(dir.path().join(format!("result-{w}"))).unwrap()).collect();
    (results, dir)
}

/// Worker results by worker number.
type Outcomes<'a> = Vec<(usize, &'a String)>;

fn codes(results: &[String]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in results {
        let key = if r.starts_with("ok") { "ok".to_owned() } else { r.clone() };
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

/// Requests `m0@tag` in `env` as `req` and approves it as `ann` (or it is automatic).
fn approved(e: &Engine, project: &str, env: &str, tag: &str) -> Deployment {
    approved_of(e, project, env, "m0", tag)
}

/// Requests `entity@tag` in `env` as `req` and approves it as `ann` (or it is automatic).
fn approved_of(e: &Engine, project: &str, env: &str, entity: &str, tag: &str) -> Deployment {
    let d = e.request_deployment(project, &request(env, &format!("{env}-{entity}-{tag}"), entity, tag), &admin("req")).unwrap();
    if d.status == DeploymentStatus::Approved {
        return d;
    }
    let d = e.approve(project, &d.id, &admin("ann"), &ApproveOptions::default()).unwrap();
    assert_eq!(d.status, DeploymentStatus::Approved);
    d
}

fn seq_of(audit: &[AuditEntry], id: &str, action: &str) -> Option<i64> {
    audit.iter().find(|a| a.object_id == id && a.action == action).map(|a| a.seq)
}

/// Each person counts once; the status flips once.
fn approve_same(store: &TestStore, e: &Engine, project: &str) {
    let d = e.request_deployment(project, &request("approve", "approve", "m0", "1.0.1"), &admin("req")).unwrap();
    let (results, _dir) = race(store, "approve", project, &[&d.id]);
    for p in 0..PEOPLE {
        let mine: Vec<&String> = (0..WORKERS).filter(|w| w % PEOPLE == p).map(|w| &results[w]).collect();
        assert_eq!(mine.iter().filter(|r| r.starts_with("ok")).count(), 1, "p{p}: {mine:?}");
        // A repeated approval by the same person is refused as a conflict ("has already approved").
        assert!(mine.iter().all(|r| r.starts_with("ok") || *r == "err conflict"), "p{p}: {mine:?}");
    }
    let d = e.get_deployment(project, &d.id).unwrap();
    assert_eq!(d.status, DeploymentStatus::Approved);
    let people: HashSet<&str> = d.approvals.iter().map(|a| a.actor_id.as_str()).collect();
    assert_eq!((d.approvals.len(), people.len()), (PEOPLE, PEOPLE), "{:?}", d.approvals);
    assert_eq!(d.revision, 1 + PEOPLE as i64, "one revision per counted approval: no lost update");
    let actions = actions_of(e, project, &d.id);
    assert_eq!((count(&actions, "deployment.approval_granted"), count(&actions, "deployment.approved")), (PEOPLE, 1), "{actions:?}");
    assert_eq!(results.iter().filter(|r| *r == "ok approved").count(), 1, "the status flipped once: {results:?}");
}

/// Exactly one worker executes. Every other worker must get `invalid_transition`: writes are
/// serialized and the gate runs inside the write transaction, so a loser always sees the
/// winner's committed `deploying` (or `deployed`) and the transition `… → deploying` is refused
/// before anything else. A `conflict` here would mean two commands acted on the same revision.
fn execute_same(store: &TestStore, e: &Engine, project: &str) {
    let d = approved(e, project, "exec", "1.0.1");
    let (results, dir) = race(store, "execute", project, &[&d.id]);
    assert_eq!(codes(&results), BTreeMap::from([("ok".into(), 1), ("err invalid_transition".into(), WORKERS - 1)]), "{results:?}");
    assert_eq!(results.iter().filter(|r| *r == "ok deployed").count(), 1);
    assert_eq!(lines(&dir.path().join("calls")).len(), 1, "the executor ran once");
    assert!(!dir.path().join("overlap").exists());
    let actions = actions_of(e, project, &d.id);
    assert_eq!((count(&actions, "deployment.started"), count(&actions, "deployment.deployed")), (1, 1), "{actions:?}");
    assert_eq!(e.active_version(project, "exec", "model", "m0").unwrap().unwrap().deployment_id, d.id);
}

/// Two deployments of one environment (different entities, so both may go live) are never
/// `deploying` at the same time; both end up executed exactly once (workers retry while the
/// environment is busy, which the engine refuses with `conflict`).
fn two_in_one_environment(store: &TestStore, e: &Engine, project: &str) {
    let a = approved_of(e, project, "two", "m0", "1.0.1");
    let b = approved_of(e, project, "two", "m1", "1.0.2");
    let (results, dir) = race(store, "two", project, &[&a.id, &b.id]);
    assert!(!dir.path().join("overlap").exists(), "two executions overlapped: {:?}", lines(&dir.path().join("overlap")));
    assert!(results.iter().all(|r| r.starts_with("ok") || r == "err invalid_transition"), "{results:?}");
    assert_eq!(results.iter().filter(|r| r.starts_with("ok deployed")).count(), 2, "{results:?}");
    let calls = lines(&dir.path().join("calls"));
    assert_eq!(calls.len(), 2, "{calls:?}");
    let audit = project_audit(e, project);
    let span = |id: &str| (seq_of(&audit, id, "deployment.started").unwrap(), seq_of(&audit, id, "deployment.deployed").unwrap());
    let ((a0, a1), (b0, b1)) = (span(&a.id), span(&b.id));
    assert!(a1 < b0 || b1 < a0, "executions interleave in the audit order: a {a0}..{a1}, b {b0}..{b1}");
    assert_eq!(e.active_version(project, "two", "model", "m0").unwrap().unwrap().deployment_id, a.id);
    assert_eq!(e.active_version(project, "two", "model", "m1").unwrap().unwrap().deployment_id, b.id);
}

/// One idempotency key from 32 workers: one record, and every worker gets that record.
fn idempotent_create(store: &TestStore, e: &Engine, project: &str) {
    let key = format!("key-{project}");
    let (results, _dir) = race(store, "idem", project, &[&key]);
    let ids: HashSet<&String> = results.iter().collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    let id = results[0].strip_prefix("ok ").unwrap_or_else(|| panic!("{results:?}"));
    let filter = DeploymentFilter { environment: Some("idem".into()), limit: Some(100), ..Default::default() };
    let stored = e.list_deployments(project, &filter).unwrap().items;
    assert_eq!(stored.len(), 1, "one record");
    assert_eq!((stored[0].id.as_str(), stored[0].idempotency_key.as_deref()), (id, Some(key.as_str())));
    assert_eq!(count(&actions_of(e, project, id), "deployment.requested"), 1);
}

/// A rollback of D2 races the execution of D3 (same entity, same environment, D3 requested
/// before the race). The two serial orders:
/// - rollback first: D2 `rolled_back`, its rollback deployment live (`1.0.1`); D3, requested
///   before the now-live rollback, is refused (`validation_failed`, finding `outdated`) and stays
///   `approved`;
/// - D3 first: D3 live, D2 `superseded`, every rollback refused (`invalid_transition`).
fn rollback_races_new_deployment(store: &TestStore, e: &Engine, project: &str) {
    for tag in ["1.0.1", "1.0.2"] {
        let d = approved(e, project, "race", tag);
        e.execute(project, &d.id, &admin("ops"), &NoopExecutor, &ExecuteOptions::default()).unwrap();
    }
    let d2 = e.active_version(project, "race", "model", "m0").unwrap().unwrap().deployment_id;
    let d3 = approved(e, project, "race", "1.0.3");
    let (results, dir) = race(store, "race", project, &[&d2, &d3.id]);
    assert!(!dir.path().join("overlap").exists(), "rollback and deployment overlapped");
    let (rollbacks, executions): (Outcomes<'_>, Outcomes<'_>) = results.iter().enumerate().partition(|(w, _)| w % 2 == 0);
    let d3 = e.get_deployment(project, &d3.id).unwrap();
    let d2 = e.get_deployment(project, &d2).unwrap();
    let all = all_deployments(e, project);
    let rbs: Vec<&Deployment> = all.iter().filter(|d| d.rollback_of.as_deref() == Some(d2.id.as_str())).collect();
    let ran: Vec<&&Deployment> = rbs.iter().filter(|r| r.started_at.is_some()).collect();
    let ok = |v: &[(usize, &String)]| v.iter().filter(|(_, r)| r.starts_with("ok") && r.contains(" deployed")).count();
    let live = e.active_version(project, "race", "model", "m0").unwrap().unwrap();
    match (d2.status, d3.status) {
        (DeploymentStatus::RolledBack, DeploymentStatus::Approved) => {
            assert_eq!(ran.len(), 1, "exactly one rollback ran: {rbs:?}");
            assert_eq!(
                (ran[0].status, live.deployment_id.as_str(), live.version_tag.as_str()),
                (DeploymentStatus::Deployed, ran[0].id.as_str(), "1.0.1")
            );
            assert_eq!((ok(&rollbacks), ok(&executions)), (1, 0), "{results:?}");
            assert!(executions.iter().all(|(_, r)| *r == "err validation_failed"), "D3 is outdated: {executions:?}");
        }
        (DeploymentStatus::Superseded, DeploymentStatus::Deployed) => {
            assert!(ran.is_empty(), "D3 went first, so no rollback of D2 may run: {ran:?}");
            assert_eq!((live.deployment_id.as_str(), live.version_tag.as_str()), (d3.id.as_str(), "1.0.3"));
            assert_eq!((ok(&rollbacks), ok(&executions)), (0, 1), "{results:?}");
            assert!(executions.iter().all(|(_, r)| r.starts_with("ok") || *r == "err invalid_transition"), "{executions:?}");
        }
        other => panic!("D2 and D3 ended {other:?}, which no serial order gives: {results:?}"),
    }
    // A rollback deployment that lost the environment (its execution got `conflict`) is
    // cancelled with the reason, so no approved rollback is left behind to run by surprise.
    for r in rbs.iter().filter(|r| r.started_at.is_none()) {
        assert_eq!(r.status, DeploymentStatus::Cancelled, "{r:?}");
        let why = r.cancellation.as_ref().and_then(|c| c.reason.as_deref()).unwrap_or_default();
        assert!(why.starts_with("the rollback could not start"), "{r:?}");
        let refused = e.execute(project, &r.id, &admin("ops"), &NoopExecutor, &ExecuteOptions::default()).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::InvalidTransition);
    }
    assert!(rollbacks.iter().all(|(_, r)| r.starts_with("ok") || *r == "err invalid_transition" || *r == "err conflict"), "{rollbacks:?}");
    println!("rollback race: D2 `{}`, D3 `{}`, {} rollback deployments created", d2.status, d3.status, rbs.len());
}

#[test]
fn many_writers_race_on_one_state() {
    for store in TestStore::all("many_writers_race_on_one_state") {
        let started = Instant::now();
        for round in 0..rounds() {
            let project = unique("mw");
            let e = store.open();
            let envs: Vec<(&str, Policy)> = vec![
                ("approve", admin_policy(PEOPLE as u32, 3600)),
                ("exec", admin_policy(1, 3600)),
                ("two", admin_policy(1, 3600)),
                ("idem", admin_policy(0, 3600)),
                ("race", admin_policy(1, 3600)),
            ];
            setup_project(&e, &project, &envs, &["m0", "m1"], &["1.0.1", "1.0.2", "1.0.3"]);
            approve_same(&store, &e, &project);
            execute_same(&store, &e, &project);
            two_in_one_environment(&store, &e, &project);
            idempotent_create(&store, &e, &project);
            rollback_races_new_deployment(&store, &e, &project);
            check_invariants(&e, &project, &ENVS, &["m0", "m1"]);
            println!("{}: round {round} passed ({:.1?} so far)", store.name(), started.elapsed());
        }
        if let Some(path) = store.sqlite_path() {
            sqlite_integrity(path);
        }
    }
}
