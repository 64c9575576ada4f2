//! Crashes: a child process requests, approves, executes, rolls back and cancels in a loop, and
//! is SIGKILLed (`std::process::Child::kill` sends SIGKILL on Unix) at a random point, again and
//! again: 200 kills per store (`DEPLOYGOV_CRASH_KILLS` for a longer opt-in run). The child appends
//! every operation that returned `Ok` to an ack file and fsyncs it before going on, so the ack
//! file is a lower bound of what the store must hold.
//!
//! After every kill the store is reopened and checked:
//! - every deployment is in a state it could reach legally (its audit history replays through
//!   `deploygov::state::allowed`), the active state matches the activation history, the audit
//!   chain verifies and the outbox matches the audit trail (`robustness::check_invariants`);
//! - every acknowledged operation is still there;
//! - no environment stays locked beyond its lease: after `sweep` with the clock past the lease
//!   (an engine with a manual clock two hours ahead), nothing is `deploying` (after every kill
//!   that left an execution `deploying`, and every 10th kill regardless);
//! - the SQLite file passes `PRAGMA integrity_check` (every 25 kills and at the end).
//!
//! SQLite runs with its defaults (WAL, `synchronous=NORMAL`): a process crash loses no committed
//! transaction. (An OS crash or power loss may lose the last transactions; see README
//! "Durability".)

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test code fails loudly")]

mod robustness;

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use deploygov::*;
use robustness::*;

const ENV: &str = "crash";
const ENTITIES: [&str; 3] = ["m0", "m1", "m2"];
const TAGS: [&str; 4] = ["1.0.1", "1.0.2", "1.0.3", "1.0.4"];

const VAR_URL: &str = "DEPLOYGOV_CRASH_URL";
const VAR_PROJECT: &str = "DEPLOYGOV_CRASH_PROJECT";
const VAR_DIR: &str = "DEPLOYGOV_CRASH_DIR";
const VAR_SEED: &str = "DEPLOYGOV_CRASH_SEED";

fn kills() -> usize {
    std::env::var("DEPLOYGOV_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}

/// xorshift64*: enough randomness for kill points and operation choice, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Appends one acknowledged operation and fsyncs it before the child goes on.
fn ack(file: &mut std::fs::File, line: &str) {
    file.write_all(format!("{line}\n").as_bytes()).unwrap();
    file.sync_data().unwrap();
}

fn first_with(e: &Engine, project: &str, status: DeploymentStatus) -> Option<Deployment> {
    let filter = DeploymentFilter { environment: Some(ENV.into()), status: Some(status), limit: Some(1), ..Default::default() };
    e.list_deployments(project, &filter).ok()?.items.into_iter().next()
}

/// Entry point of the child; does nothing in a normal test run. Loops until killed.
#[test]
fn crash_child() {
    let Ok(url) = std::env::var(VAR_URL) else { return };
    let var = |k: &str| std::env::var(k).unwrap();
    let (project, dir) = (var(VAR_PROJECT), PathBuf::from(var(VAR_DIR)));
    let mut rng = Rng::new(var(VAR_SEED).parse().unwrap());
    let mut acks = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("acks")).unwrap();
    let e = Engine::open(&url).unwrap();
    std::fs::write(dir.join("ready"), b"").unwrap();
    // The executor sleeps a little so kills also land between the two transactions of an
    // execution, and fails sometimes (the revert path). One child in three uses the default
    // executor instead, which acts only on the store: its executions are one transaction.
    let pause = rng.below(3);
    let fail = rng.below(8) == 0;
    let outside = move |_: &Activation<'_>| -> std::result::Result<(), String> {
        std::thread::sleep(Duration::from_millis(pause));
        if fail { Err("injected failure".into()) } else { Ok(()) }
    };
    let executor: &dyn Executor = if rng.below(3) == 0 { &NoopExecutor } else { &outside };
    let (req, ann, ops) = (admin("req"), admin("ann"), admin("ops"));
    for n in 0.. {
        match rng.below(10) {
            0..=5 => {
                let entity = ENTITIES[rng.below(3) as usize];
                let tag = TAGS[rng.below(4) as usize];
                let Ok(d) = e.request_deployment(&project, &request(ENV, &format!("c{n}"), entity, tag), &req) else { continue };
                ack(&mut acks, &format!("req {}", d.id));
                if e.approve(&project, &d.id, &ann, &ApproveOptions::default()).is_err() {
                    continue;
                }
                ack(&mut acks, &format!("appr {} ann", d.id));
                if rng.below(5) == 0 {
                    continue; // left approved; a later cancel or nothing picks it up
                }
                match e.execute(&project, &d.id, &ops, executor, &ExecuteOptions::default()) {
                    Ok(x) if x.status == DeploymentStatus::Deployed => ack(&mut acks, &format!("exec {}", d.id)),
                    Ok(x) if x.status == DeploymentStatus::Failed => ack(&mut acks, &format!("fail {}", d.id)),
                    _ => {}
                }
            }
            6..=7 => {
                let Some(d) = first_with(&e, &project, DeploymentStatus::Deployed) else { continue };
                let opts = RollbackOptions { target: None, reason: "crash test".into() };
                if let Ok(r) = e.rollback(&project, &d.id, &ops, executor, &opts)
                    && r.status == DeploymentStatus::Deployed
                {
                    ack(&mut acks, &format!("rb {} {}", d.id, r.id));
                }
            }
            8 => {
                let Some(d) = first_with(&e, &project, DeploymentStatus::Approved) else { continue };
                if e.execute(&project, &d.id, &ops, executor, &ExecuteOptions::default())
                    .is_ok_and(|x| x.status == DeploymentStatus::Deployed)
                {
                    ack(&mut acks, &format!("exec {}", d.id));
                }
            }
            _ => {
                let Some(d) = first_with(&e, &project, DeploymentStatus::Approved) else { continue };
                if e.cancel(&project, &d.id, &req, Some("crash test")).is_ok() {
                    ack(&mut acks, &format!("cancel {}", d.id));
                }
            }
        }
    }
}

/// The acknowledged operations (complete lines only: a kill may cut the last one).
fn read_acks(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("acks")).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |i| &text[..i]);
    complete.lines().map(str::to_owned).collect()
}

/// Every acknowledged operation is in the store.
fn check_acks(e: &Engine, project: &str, acks: &[String]) {
    let audit = project_audit(e, project);
    let done: HashSet<(&str, &str, &str)> = audit.iter().map(|a| (a.object_id.as_str(), a.action.as_str(), a.actor_id.as_str())).collect();
    let has = |id: &str, action: &str| audit.iter().any(|a| a.object_id == id && a.action == action);
    for line in acks {
        let parts: Vec<&str> = line.split(' ').collect();
        let ok = match parts.as_slice() {
            ["req", id] => e.get_deployment(project, id).is_ok(),
            ["appr", id, who] => done.contains(&(*id, "deployment.approval_granted", *who)),
            ["exec", id] => has(id, "deployment.deployed"),
            ["fail", id] => has(id, "deployment.failed"),
            ["rb", of, id] => has(id, "deployment.deployed") && has(of, "deployment.rolled_back"),
            ["cancel", id] => has(id, "deployment.cancelled"),
            _ => panic!("bad ack line `{line}`"),
        };
        assert!(ok, "acknowledged `{line}` is lost");
    }
}

/// No environment stays locked beyond its lease: with the clock two hours ahead (past every
/// lease), `sweep` fails every execution the killed child left `deploying`, and nothing is
/// `deploying` afterwards.
fn sweep_past_lease(later: &Engine, project: &str) {
    let left = first_with(later, project, DeploymentStatus::Deploying);
    let swept = later.sweep().unwrap();
    if let Some(d) = left {
        assert!(swept.leases_expired.contains(&d.id), "the sweep did not free `{}`: {swept:?}", d.id);
    }
    assert!(first_with(later, project, DeploymentStatus::Deploying).is_none(), "a deployment stays deploying past its lease");
}

fn crash_loop(store: &TestStore) {
    let project = unique("crash");
    setup_project(&store.open(), &project, &[(ENV, admin_policy(1, 3600))], &ENTITIES, &TAGS);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(u64::from(std::process::id()));
    let started = Instant::now();
    let (mut deploying_at_kill, mut max_acks) = (0, 0);
    let exe = child_exe();
    for k in 0..kills() {
        let _ = std::fs::remove_file(dir.path().join("ready"));
        let mut child = std::process::Command::new(exe.path())
            .args(["crash_child", "--exact", "--test-threads", "1", "--quiet"])
            .env(VAR_URL, &store.url)
            .env(VAR_PROJECT, &project)
            .env(VAR_DIR, dir.path())
            .env(VAR_SEED, rng.next().to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let ready = Instant::now();
        while !dir.path().join("ready").exists() {
            assert!(ready.elapsed() < Duration::from_secs(30), "child never got ready");
            assert!(child.try_wait().unwrap().is_none(), "child exited before it was killed");
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_micros(rng.below(25_000)));
        child.kill().unwrap();
        child.wait().unwrap();

        // Reopen, with a clock two hours ahead for the sweep (reads do not depend on the clock).
        let e = store.open_with_clock(&ManualClock::new(chrono::Utc::now() + chrono::Duration::hours(2)));
        let deployments = check_invariants(&e, &project, &[ENV], &ENTITIES);
        let left_deploying = deployments.values().any(|d| d.status == DeploymentStatus::Deploying);
        deploying_at_kill += usize::from(left_deploying);
        let acks = read_acks(dir.path());
        max_acks = max_acks.max(acks.len());
        check_acks(&e, &project, &acks);
        if left_deploying || k % 10 == 9 {
            sweep_past_lease(&e, &project);
        }
        drop(e);
        if let Some(path) = store.sqlite_path()
            && k % 25 == 24
        {
            sqlite_integrity(path);
        }
    }
    let e = store.open();
    let deployments = check_invariants(&e, &project, &[ENV], &ENTITIES);
    if let Some(path) = store.sqlite_path() {
        sqlite_integrity(path);
    }
    println!(
        "{}: {} kills in {:.1?}: {} deployments, {} acknowledged operations, {deploying_at_kill} kills left a deployment `deploying`",
        store.name(),
        kills(),
        started.elapsed(),
        deployments.len(),
        max_acks
    );
    assert!(max_acks > 0, "the child never acknowledged anything: the kills came too early");
}

#[test]
fn sigkill_at_random_points_loses_no_acknowledged_operation() {
    for store in TestStore::all("sigkill_at_random_points_loses_no_acknowledged_operation") {
        crash_loop(&store);
    }
}
