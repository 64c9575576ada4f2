//! How many transactions an execution takes, and what a failure of each leaves behind. An
//! executor that acts only on the store (`Executor::store_only`, the `NoopExecutor` every face
//! uses when the host passes none) executes in one transaction; any other executor in two, with
//! `deploying` committed before its first call.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use deploygov::store::{ChangeStamp, Store, StoreTx};
use deploygov::*;

const T: &str = "prompt_version";
const ENV: &str = "development";

/// A store that counts write transactions and can make the one that activates a chosen version
/// of `chatbot` fail after the engine's work is done in it (so that it rolls back, as a crash
/// just before its commit would).
struct Counting {
    inner: Box<dyn Store>,
    writes: Arc<AtomicUsize>,
    /// The version whose activation fails its transaction.
    fail_on: Arc<Mutex<Option<String>>>,
}

impl Store for Counting {
    fn read(&self, f: &mut dyn FnMut(&dyn StoreTx) -> deploygov::Result<()>) -> deploygov::Result<()> {
        self.inner.read(f)
    }

    fn write(&self, f: &mut dyn FnMut(&dyn StoreTx) -> deploygov::Result<()>) -> deploygov::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        let fail_on = self.fail_on.lock().unwrap().clone();
        self.inner.write(&mut |tx| {
            f(tx)?;
            let live = tx.active(P, ENV, T, "chatbot")?.map(|a| a.version_tag);
            if fail_on.is_some() && live == fail_on {
                return Err(Error::Conflict("injected failure".into()));
            }
            Ok(())
        })
    }

    fn change_stamp(&self) -> Option<ChangeStamp> {
        self.inner.change_stamp()
    }
}

struct Fixture {
    engine: Engine,
    writes: Arc<AtomicUsize>,
    fail_on: Arc<Mutex<Option<String>>>,
}

impl Fixture {
    fn new() -> Self {
        let (writes, fail_on) = (Arc::new(AtomicUsize::new(0)), Arc::new(Mutex::new(None)));
        let store = Counting { inner: store(), writes: writes.clone(), fail_on: fail_on.clone() };
        let engine = Engine::with_store(Box::new(store), Arc::new(clock()));
        setup(&engine);
        Self { engine, writes, fail_on }
    }

    /// An approved deployment of `chatbot` at `tag` (registered here) in development.
    fn approved(&self, tag: &str) -> Deployment {
        register(&self.engine, T, "chatbot", tag);
        let d = self.engine.request_deployment(P, &request(ENV, vec![item(T, "chatbot", tag)]), &admin("alice")).unwrap();
        assert_eq!(d.status, DeploymentStatus::Approved, "development approves automatically");
        d
    }

    /// Runs `f` and returns its result with the number of write transactions it made.
    fn counted<R>(&self, f: impl FnOnce(&Engine) -> R) -> (R, usize) {
        let before = self.writes.load(Ordering::SeqCst);
        let out = f(&self.engine);
        (out, self.writes.load(Ordering::SeqCst) - before)
    }

    /// Makes the write transaction that activates `tag` of `chatbot` fail (`None`: none fails).
    fn fail_activating(&self, tag: Option<&str>) {
        *self.fail_on.lock().unwrap() = tag.map(str::to_owned);
    }

    fn status(&self, id: &str) -> DeploymentStatus {
        self.engine.get_deployment(P, id).unwrap().status
    }
}

/// An executor that acts only on the store and fails on `fail_on` (a version tag), counting calls.
struct StoreOnly<'a> {
    fail_on: &'a str,
    calls: AtomicUsize,
}

impl Executor for StoreOnly<'_> {
    fn activate(&self, a: &Activation<'_>) -> std::result::Result<(), String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if a.version_tag == Some(self.fail_on) { Err(format!("cannot activate `{}`", self.fail_on)) } else { Ok(()) }
    }

    fn store_only(&self) -> bool {
        true
    }
}

fn outside(_: &Activation<'_>) -> std::result::Result<(), String> {
    Ok(())
}

#[test]
fn a_store_only_executor_executes_in_one_transaction_and_any_other_in_two() {
    let f = Fixture::new();
    let d = f.approved("1.0.0");
    let (done, writes) = f.counted(|e| e.execute(P, &d.id, &admin("bob"), &NoopExecutor, &ExecuteOptions::default()).unwrap());
    assert_eq!((done.status, writes), (DeploymentStatus::Deployed, 1));
    let d2 = f.approved("2.0.0");
    let (done2, writes) = f.counted(|e| e.execute(P, &d2.id, &admin("bob"), &outside, &ExecuteOptions::default()).unwrap());
    assert_eq!((done2.status, writes), (DeploymentStatus::Deployed, 2));

    // The same audit trail either way (the first was superseded by the second since), and the
    // same deployment record.
    let lifecycle = ["deployment.requested", "deployment.approved", "deployment.started", "deployment.deployed"];
    assert_eq!(audit_actions(&f.engine, &d2.id), lifecycle);
    assert_eq!(audit_actions(&f.engine, &d.id), [&lifecycle[..], &["deployment.superseded"]].concat());
    for x in [&done, &done2] {
        assert!(x.started_at.is_some() && x.deployed_at.is_some() && x.lease_expires_at.is_none());
        assert_eq!(x.executed_by.as_deref(), Some("bob"));
    }
    assert_eq!(done2.items[0].previous_version.as_deref(), Some("1.0.0"));
    assert_eq!(f.status(&d.id), DeploymentStatus::Superseded);
    assert_eq!(live(&f.engine, ENV, T, "chatbot").as_deref(), Some("2.0.0"));

    // A rollback is its request and one execution transaction.
    let (back, writes) = f.counted(|e| e.rollback(P, &d2.id, &admin("bob"), &NoopExecutor, &rb("bad answers")).unwrap());
    assert_eq!((back.status, writes), (DeploymentStatus::Deployed, 2));
    assert_eq!(live(&f.engine, ENV, T, "chatbot").as_deref(), Some("1.0.0"));
    assert_eq!(f.status(&d2.id), DeploymentStatus::RolledBack);
    f.engine.verify_audit().unwrap();
}

#[test]
fn a_failed_one_transaction_execution_leaves_the_deployment_approved_and_nothing_written() {
    let f = Fixture::new();
    let first = f.approved("1.0.0");
    execute(&f.engine, &first.id, &admin("bob"));
    let d = f.approved("2.0.0");
    let audited = audit_count(&f.engine);

    f.fail_activating(Some("2.0.0"));
    let err = f.engine.execute(P, &d.id, &admin("bob"), &NoopExecutor, &ExecuteOptions::default()).unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    // Not stranded `deploying`: nothing outside the store was touched and nothing was committed.
    assert_eq!(f.status(&d.id), DeploymentStatus::Approved);
    assert_eq!(audit_count(&f.engine), audited);
    assert_eq!(live(&f.engine, ENV, T, "chatbot").as_deref(), Some("1.0.0"));
    assert_eq!(f.engine.get_deployment(P, &d.id).unwrap().started_at, None);

    // It can simply be executed again.
    f.fail_activating(None);
    assert_eq!(execute(&f.engine, &d.id, &admin("bob")).status, DeploymentStatus::Deployed);
    assert_eq!(live(&f.engine, ENV, T, "chatbot").as_deref(), Some("2.0.0"));

    // With an executor acting outside the store, the same failure (of the second transaction)
    // leaves the deployment `deploying`, holding the environment until its lease is swept.
    let d3 = f.approved("3.0.0");
    f.fail_activating(Some("3.0.0"));
    let err = f.engine.execute(P, &d3.id, &admin("bob"), &outside, &ExecuteOptions::default()).unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(f.status(&d3.id), DeploymentStatus::Deploying);
    assert_eq!(live(&f.engine, ENV, T, "chatbot").as_deref(), Some("2.0.0"));
    f.engine.verify_audit().unwrap();
}

#[test]
fn a_store_only_executor_that_fails_reverts_in_the_same_transaction() {
    let f = Fixture::new();
    let first = f.approved("1.0.0");
    execute(&f.engine, &first.id, &admin("bob"));
    register(&f.engine, T, "greeter", "1.0.0");
    register(&f.engine, T, "chatbot", "2.0.0");
    let items = vec![item(T, "greeter", "1.0.0"), item(T, "chatbot", "2.0.0")];
    let d = f.engine.request_deployment(P, &request(ENV, items), &admin("alice")).unwrap();
    let ex = StoreOnly { fail_on: "2.0.0", calls: AtomicUsize::new(0) };
    let (done, writes) = f.counted(|e| e.execute(P, &d.id, &admin("bob"), &ex, &ExecuteOptions::default()).unwrap());
    assert_eq!(writes, 1);
    // greeter activated, chatbot failed, greeter reverted: three calls.
    assert_eq!(ex.calls.load(Ordering::SeqCst), 3);
    assert_eq!(done.status, DeploymentStatus::Failed);
    assert_eq!(done.items[0].status, ItemStatus::Reverted);
    assert_eq!(done.items[1].status, ItemStatus::Failed);
    assert_eq!(done.items[1].error_message.as_deref(), Some("cannot activate `2.0.0`"));
    assert_eq!(live(&f.engine, ENV, T, "chatbot").as_deref(), Some("1.0.0"));
    assert_eq!(live(&f.engine, ENV, T, "greeter"), None);
    let actions = audit_actions(&f.engine, &d.id);
    assert_eq!(actions[actions.len() - 3..], ["deployment.started", "deployment.failed", "deployment.reverted"]);
    f.engine.verify_audit().unwrap();
}

#[test]
fn a_one_transaction_execution_is_refused_while_another_holds_the_environment() {
    let f = Fixture::new();
    let running = f.approved("1.0.0");
    f.engine.begin(P, &running.id, &admin("bob"), &ExecuteOptions::default()).unwrap();
    let d = f.approved("2.0.0");
    let audited = audit_count(&f.engine);
    let err = f.engine.execute(P, &d.id, &admin("bob"), &NoopExecutor, &ExecuteOptions::default()).unwrap_err();
    assert_eq!(err.code(), Error::Conflict(String::new()).code(), "{err}");
    assert_eq!(f.status(&d.id), DeploymentStatus::Approved);
    assert_eq!(audit_count(&f.engine), audited);

    f.engine.complete(P, &running.id, &admin("bob"), &Completion::Success).unwrap();
    assert_eq!(execute(&f.engine, &d.id, &admin("bob")).status, DeploymentStatus::Deployed);
    assert_eq!(live(&f.engine, ENV, T, "chatbot").as_deref(), Some("2.0.0"));
}

/// The same scenario on two stores, one executed with the default executor (one transaction) and
/// one with a host executor (two): every audit entry (with its before and after views) and the
/// deployments' records are the same, once the random ids are named by their order.
#[test]
fn one_and_two_transactions_leave_the_same_records() {
    let run = |executor: &dyn Executor| {
        let engine = Engine::with_store(store(), Arc::new(clock()));
        setup(&engine);
        let mut ids = Vec::new();
        for tag in ["1.0.0", "2.0.0"] {
            register(&engine, T, "chatbot", tag);
            let d = engine.request_deployment(P, &request("production", vec![item(T, "chatbot", tag)]), &admin("alice")).unwrap();
            approve(&engine, &d.id, &admin("bob"));
            approve(&engine, &d.id, &admin("carol"));
            engine.execute(P, &d.id, &admin("bob"), executor, &ExecuteOptions::default()).unwrap();
            ids.push(d.id);
        }
        let back = engine.rollback(P, &ids[1], &admin("bob"), executor, &rb("bad answers")).unwrap();
        ids.push(back.id);
        let audit = engine.audit_log(P, None, 0, Some(500)).unwrap();
        let deployments: Vec<Deployment> = ids.iter().map(|id| engine.get_deployment(P, id).unwrap()).collect();
        let mut text = serde_json::to_string(&(
            audit.iter().map(|a| (&a.action, &a.actor_id, &a.before, &a.after, &a.reason)).collect::<Vec<_>>(),
            &deployments,
        ))
        .unwrap();
        for (n, id) in ids.iter().enumerate() {
            text = text.replace(id.as_str(), &format!("<deployment {n}>"));
        }
        (text, audit.len())
    };
    let (one, entries) = run(&NoopExecutor);
    let (two, _) = run(&outside);
    assert!(entries > 20, "{entries}");
    assert_eq!(one, two);
}
