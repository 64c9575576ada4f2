//! Deployment lifecycle: execution, failure and revert, rollback, reject/cancel/break-glass,
//! approvals bound to content and time, risk escalation, validation, idempotency, dry runs.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::sync::Mutex;

use chrono::Duration;
use common::*;
use deploygov::*;

const T: &str = "trade2026_entity";

fn codes(fs: &[Finding]) -> Vec<&str> {
    fs.iter().map(|f| f.code.as_str()).collect()
}

/// (entity id, version_tag, previous_version, revert) of one executor call.
type Call = (String, Option<String>, Option<String>, bool);

fn call_of(a: &Activation<'_>) -> Call {
    (a.entity_id.to_owned(), a.version_tag.map(str::to_owned), a.previous_version.map(str::to_owned), a.revert)
}

fn call(id: &str, v: Option<&str>, prev: Option<&str>, revert: bool) -> Call {
    (id.to_owned(), v.map(str::to_owned), prev.map(str::to_owned), revert)
}

#[test]
fn trade2026_deploy_supersede_rollback_and_rollback_of_rollback() {
    let (e, clock) = engine();
    for t in ["1.0.0", "2.0.0"] {
        register(&e, T, "order-book", t);
    }
    let (lena, dave) = (lead("lena"), developer("dave"));
    let v1 = e.request_deployment(P, &request("staging", vec![item(T, "order-book", "1.0.0")]), &dave).unwrap();
    assert_eq!(v1.status, DeploymentStatus::Pending);
    let a = approve(&e, &v1.id, &lena);
    assert_eq!(a.status, DeploymentStatus::Approved);
    assert_eq!((a.approvals.len(), a.approvals[0].rule.as_str(), a.approvals[0].actor_id.as_str()), (1, "lead", "lena"));
    let v1 = execute(&e, &v1.id, &lena);
    assert_eq!(v1.status, DeploymentStatus::Deployed);
    assert_eq!(v1.items[0].status, ItemStatus::Deployed);
    assert_eq!(v1.items[0].previous_version, None);
    clock.advance(Duration::hours(1));

    let v2 = e.request_deployment(P, &request("staging", vec![item(T, "order-book", "2.0.0")]), &dave).unwrap();
    approve(&e, &v2.id, &lena);
    let v2 = execute(&e, &v2.id, &lena);
    assert_eq!(v2.status, DeploymentStatus::Deployed);
    assert_eq!(v2.items[0].previous_version.as_deref(), Some("1.0.0"));
    assert_eq!(v2.items[0].previous_deployment_id.as_deref(), Some(v1.id.as_str()));
    assert_eq!(e.get_deployment(P, &v1.id).unwrap().status, DeploymentStatus::Superseded);
    assert_eq!(live(&e, "staging", T, "order-book").as_deref(), Some("2.0.0"));

    // A developer may not roll back staging; nothing changes.
    let n = audit_count(&e);
    assert_eq!(e.rollback(P, &v2.id, &dave, &NoopExecutor, &rb("regression")).unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(e.rollback(P, &v2.id, &lena, &NoopExecutor, &rb("  ")).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(audit_count(&e), n);
    assert_eq!(e.get_deployment(P, &v2.id).unwrap().status, DeploymentStatus::Deployed);

    clock.advance(Duration::hours(1));
    let r = e.rollback(P, &v2.id, &lena, &NoopExecutor, &rb("regression")).unwrap();
    assert_eq!((r.kind, r.status), (DeploymentKind::Rollback, DeploymentStatus::Deployed));
    assert_eq!(r.rollback_of.as_deref(), Some(v2.id.as_str()));
    assert_eq!(r.rollback_to.as_deref(), Some(v1.id.as_str()));
    assert_eq!(r.items[0].version_tag.as_deref(), Some("1.0.0"));
    let active = e.active_version(P, "staging", T, "order-book").unwrap().unwrap();
    assert_eq!((active.version_tag.as_str(), active.deployment_id.as_str()), ("1.0.0", r.id.as_str()));
    let v2_now = e.get_deployment(P, &v2.id).unwrap();
    assert_eq!(v2_now.status, DeploymentStatus::RolledBack);
    let decision = v2_now.rolled_back.unwrap();
    assert_eq!((decision.actor_id.as_str(), decision.reason.as_deref()), ("lena", Some("regression")));
    assert_eq!(audit_actions(&e, &r.id), ["deployment.requested", "deployment.approved", "deployment.started", "deployment.deployed"]);

    // Rolling back the rollback makes the newer version live again.
    let rr = e.rollback(P, &r.id, &lena, &NoopExecutor, &rb("false alarm")).unwrap();
    assert_eq!((rr.kind, rr.status), (DeploymentKind::Rollback, DeploymentStatus::Deployed));
    assert_eq!(rr.rollback_of.as_deref(), Some(r.id.as_str()));
    assert_eq!(rr.rollback_to.as_deref(), Some(v2.id.as_str()));
    assert_eq!(live(&e, "staging", T, "order-book").as_deref(), Some("2.0.0"));
    assert_eq!(e.get_deployment(P, &r.id).unwrap().status, DeploymentStatus::RolledBack);
    e.verify_audit().unwrap();
}

#[test]
fn failing_executor_reverts_and_leaves_active_state_untouched() {
    let (e, _clock) = engine();
    for id in ["a", "b", "c"] {
        register(&e, T, id, "1.0.0");
        register(&e, T, id, "2.0.0");
    }
    let lena = lead("lena");
    let base = ship_staging(&e, ["a", "b", "c"].iter().map(|id| item(T, id, "1.0.0")).collect());
    let v2 = || ["a", "b", "c"].iter().map(|id| item(T, id, "2.0.0")).collect::<Vec<_>>();
    let d = e.request_deployment(P, &request("staging", v2()), &developer("dave")).unwrap();
    approve(&e, &d.id, &lena);
    let before = e.active_state(P, "staging").unwrap();
    assert_eq!(before.len(), 3);

    let calls: Mutex<Vec<Call>> = Mutex::new(Vec::new());
    let failing = |a: &Activation<'_>| -> Result<(), String> {
        calls.lock().unwrap().push(call_of(a));
        if a.entity_id == "b" && !a.revert { Err("disk full".to_owned()) } else { Ok(()) }
    };
    let out = e.execute(P, &d.id, &lena, &failing, &ExecuteOptions::default()).unwrap();
    assert_eq!(out.status, DeploymentStatus::Failed);
    let st: Vec<ItemStatus> = out.items.iter().map(|i| i.status).collect();
    assert_eq!(st, [ItemStatus::Reverted, ItemStatus::Failed, ItemStatus::Skipped]);
    let msgs: Vec<Option<&str>> = out.items.iter().map(|i| i.error_message.as_deref()).collect();
    assert_eq!(msgs, [None, Some("disk full"), None]);
    assert!(out.items.iter().all(|i| i.deployed_at.is_none()));
    assert!(out.deployed_at.is_none() && out.finished_at.is_some() && out.activation_seq.is_none());
    assert_eq!(e.active_state(P, "staging").unwrap(), before);
    assert_eq!(
        *calls.lock().unwrap(),
        [
            call("a", Some("2.0.0"), Some("1.0.0"), false),
            call("b", Some("2.0.0"), Some("1.0.0"), false),
            call("a", Some("1.0.0"), Some("2.0.0"), true),
        ]
    );
    let log = e.audit_log(P, Some(&d.id), 0, Some(100)).unwrap();
    let tail: Vec<&str> = log.iter().rev().take(2).map(|a| a.action.as_str()).collect();
    assert_eq!(tail, ["deployment.reverted", "deployment.failed"]);
    let reverted = log.iter().find(|a| a.action == "deployment.reverted").unwrap();
    assert_eq!(reverted.after, serde_json::json!({ "restored": [[T, "a", "1.0.0"]] }));
    assert_eq!(e.get_deployment(P, &d.id).unwrap(), out);
    assert_eq!(e.get_deployment(P, &base.id).unwrap().status, DeploymentStatus::Deployed);
    let err = e.execute(P, &d.id, &lena, &NoopExecutor, &ExecuteOptions::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidTransition);

    // A failing revert is reported on the item; the active state still does not move.
    let d2 = e.request_deployment(P, &request("staging", v2()), &developer("dave")).unwrap();
    approve(&e, &d2.id, &lena);
    let stubborn = |a: &Activation<'_>| -> Result<(), String> {
        match (a.entity_id, a.revert) {
            ("b", false) => Err("disk full".to_owned()),
            ("a", true) => Err("cannot undo".to_owned()),
            _ => Ok(()),
        }
    };
    let out = e.execute(P, &d2.id, &lena, &stubborn, &ExecuteOptions::default()).unwrap();
    assert_eq!(out.items[0].status, ItemStatus::Reverted);
    assert_eq!(out.items[0].error_message.as_deref(), Some("revert failed: cannot undo"));
    assert_eq!(e.active_state(P, "staging").unwrap(), before);

    // A panicking executor fails the item; nothing crashes, nothing moves.
    let d3 = e.request_deployment(P, &request("staging", v2()), &developer("dave")).unwrap();
    approve(&e, &d3.id, &lena);
    let panicking = |_: &Activation<'_>| -> Result<(), String> { panic!("boom") };
    let out = e.execute(P, &d3.id, &lena, &panicking, &ExecuteOptions::default()).unwrap();
    assert_eq!(out.status, DeploymentStatus::Failed);
    assert_eq!(out.items[0].status, ItemStatus::Failed);
    assert!(out.items[0].error_message.as_deref().unwrap().starts_with("executor panicked"), "{:?}", out.items[0]);
    assert_eq!(out.items[1].status, ItemStatus::Skipped);
    assert_eq!(e.active_state(P, "staging").unwrap(), before);
    let actions = audit_actions(&e, &d3.id);
    assert!(actions.contains(&"deployment.failed".to_owned()) && !actions.contains(&"deployment.reverted".to_owned()), "{actions:?}");
    e.verify_audit().unwrap();
}

#[test]
fn second_execute_while_deploying_is_a_conflict() {
    let (e, _clock) = engine();
    register(&e, T, "x", "1.0.0");
    register(&e, T, "y", "1.0.0");
    let (lena, dave) = (lead("lena"), developer("dave"));
    let other = e.request_deployment(P, &request("staging", vec![item(T, "x", "1.0.0")]), &dave).unwrap();
    let other = approve(&e, &other.id, &lena);
    let d = e.request_deployment(P, &request("staging", vec![item(T, "y", "1.0.0")]), &dave).unwrap();
    approve(&e, &d.id, &lena);
    let other_log = audit_actions(&e, &other.id);

    // (code of the nested execute, blocker codes of its dry run, finding codes of the dry run)
    type Seen = (Option<ErrorCode>, Vec<ErrorCode>, Vec<String>);
    let seen: Mutex<Vec<Seen>> = Mutex::new(Vec::new());
    let nested = |_: &Activation<'_>| -> Result<(), String> {
        // Another thread, same engine (it is Sync), while `d` is `deploying`.
        std::thread::scope(|s| {
            let code = s
                .spawn(|| e.execute(P, &other.id, &lena, &NoopExecutor, &ExecuteOptions::default()).err().map(|x| x.code()))
                .join()
                .unwrap();
            let dry = e.check(P, &other.id, &lena, Action::Execute).unwrap();
            let blockers = dry.blockers.iter().map(|b| b.code).collect();
            seen.lock().unwrap().push((code, blockers, dry.findings.errors.iter().map(|f| f.code.clone()).collect()));
        });
        Ok(())
    };
    let out = e.execute(P, &d.id, &lena, &nested, &ExecuteOptions::default()).unwrap();
    assert_eq!(out.status, DeploymentStatus::Deployed);
    assert_eq!(*seen.lock().unwrap(), [(Some(ErrorCode::Conflict), vec![ErrorCode::Conflict], vec!["environment_busy".to_owned()])]);
    // The refused execution changed nothing.
    let other_now = e.get_deployment(P, &other.id).unwrap();
    assert_eq!((other_now.status, other_now.revision), (DeploymentStatus::Approved, other.revision));
    assert_eq!(audit_actions(&e, &other.id), other_log);
    assert_eq!(execute(&e, &other.id, &lena).status, DeploymentStatus::Deployed);
}

#[test]
fn rollback_refusals_and_named_target_semantics() {
    let (e, clock) = engine();
    for id in ["a", "b", "c", "d", "p", "q"] {
        for t in ["1.0.0", "2.0.0", "3.0.0"] {
            register(&e, T, id, t);
        }
    }
    let lena = lead("lena");
    // The first deployment of an entity has nothing to roll back to.
    let first = ship_staging(&e, vec![item(T, "p", "1.0.0")]);
    let (n, count) = (audit_count(&e), all_deployments(&e).len());
    assert_eq!(e.rollback(P, &first.id, &lena, &NoopExecutor, &rb("why")).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!((audit_count(&e), all_deployments(&e).len()), (n, count));
    assert_eq!(e.get_deployment(P, &first.id).unwrap().status, DeploymentStatus::Deployed);

    // A failed deployment (requested before `s2`) can never be a target.
    let failed = e.request_deployment(P, &request("staging", vec![item(T, "q", "1.0.0")]), &developer("dave")).unwrap();
    approve(&e, &failed.id, &lena);
    let fail = |_: &Activation<'_>| -> Result<(), String> { Err("nope".to_owned()) };
    assert_eq!(e.execute(P, &failed.id, &lena, &fail, &ExecuteOptions::default()).unwrap().status, DeploymentStatus::Failed);
    let dev = e.request_deployment(P, &request("development", vec![item(T, "q", "1.0.0")]), &lena).unwrap();
    execute(&e, &dev.id, &lena);
    let s2 = ship_staging(&e, vec![item(T, "q", "1.0.0")]);
    let target = |t: &str| RollbackOptions { target: Some(t.to_owned()), reason: "back".into() };
    let n = audit_count(&e);
    for (of, to) in [(&s2.id, &dev.id), (&first.id, &s2.id), (&s2.id, &failed.id), (&s2.id, &s2.id)] {
        let err = e.rollback(P, of, &lena, &NoopExecutor, &target(to)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "rollback of {of} to {to}: {err}");
    }
    assert_eq!(e.rollback(P, &s2.id, &lena, &NoopExecutor, &target("no-such-id")).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(audit_count(&e), n);

    // Named target: every entity the rolled-back deployment still has live goes back to what was
    // live right after the target went live. `a` is in the target (-> 2.0.0); `b` is not in the
    // target but was live right after it (-> 1.0.0, from d1); `c` was first made live by d3, so
    // it was not live after the target and is removed. `d` is not in d3 and is untouched.
    let d1 = ship_staging(&e, vec![item(T, "a", "1.0.0"), item(T, "b", "1.0.0"), item(T, "d", "1.0.0")]);
    clock.advance(Duration::minutes(1));
    let d2 = ship_staging(&e, vec![item(T, "a", "2.0.0")]);
    clock.advance(Duration::minutes(1));
    let d3 = ship_staging(&e, vec![item(T, "a", "3.0.0"), item(T, "b", "2.0.0"), item(T, "c", "1.0.0")]);
    assert_eq!(e.get_deployment(P, &d2.id).unwrap().status, DeploymentStatus::Superseded);
    let calls: Mutex<Vec<Call>> = Mutex::new(Vec::new());
    let recording = |a: &Activation<'_>| -> Result<(), String> {
        calls.lock().unwrap().push(call_of(a));
        Ok(())
    };
    let r = e.rollback(P, &d3.id, &lena, &recording, &target(&d2.id)).unwrap();
    assert_eq!(r.status, DeploymentStatus::Deployed);
    assert_eq!(r.rollback_to.as_deref(), Some(d2.id.as_str()));
    let restored: Vec<(&str, Option<&str>)> = r.items.iter().map(|i| (i.entity_id.as_str(), i.version_tag.as_deref())).collect();
    assert_eq!(restored, [("a", Some("2.0.0")), ("b", Some("1.0.0")), ("c", None)]);
    assert_eq!(
        *calls.lock().unwrap(),
        [
            call("a", Some("2.0.0"), Some("3.0.0"), false),
            call("b", Some("1.0.0"), Some("2.0.0"), false),
            call("c", None, Some("1.0.0"), false)
        ]
    );
    let state: Vec<(String, String, String)> = e
        .active_state(P, "staging")
        .unwrap()
        .into_iter()
        .filter(|a| a.entity_type == T)
        .map(|a| (a.entity_id, a.version_tag, a.deployment_id))
        .collect();
    let want = |id: &str, v: &str, by: &str| (id.to_owned(), v.to_owned(), by.to_owned());
    assert_eq!(
        state,
        [
            want("a", "2.0.0", &r.id),
            want("b", "1.0.0", &r.id),
            want("d", "1.0.0", &d1.id),
            want("p", "1.0.0", &first.id),
            want("q", "1.0.0", &s2.id)
        ]
    );
    assert_eq!(e.get_deployment(P, &d3.id).unwrap().status, DeploymentStatus::RolledBack);
    assert_eq!(e.get_deployment(P, &d1.id).unwrap().status, DeploymentStatus::Deployed);
    let hist = e.entity_history(P, T, "c", None).unwrap();
    assert_eq!(hist[0].version_tag, None);
    assert_eq!(hist[0].deployment_id, r.id);
}

/// A target requested earlier but made live later than the rolled-back deployment is "later".
#[test]
fn rollback_target_that_went_live_later_is_refused() {
    let (e, _clock) = engine();
    register(&e, T, "x", "1.0.0");
    register(&e, T, "y", "1.0.0");
    let (lena, dave) = (lead("lena"), developer("dave"));
    let early = e.request_deployment(P, &request("staging", vec![item(T, "x", "1.0.0")]), &dave).unwrap();
    approve(&e, &early.id, &lena);
    let late = ship_staging(&e, vec![item(T, "y", "1.0.0")]);
    execute(&e, &early.id, &lena); // requested first, live last
    let opts = RollbackOptions { target: Some(early.id.clone()), reason: "back".into() };
    let err = e.rollback(P, &late.id, &lena, &NoopExecutor, &opts).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
}

#[test]
fn reject_cancel_and_break_glass() {
    let (e, _clock) = engine();
    register(&e, T, "x", "1.0.0");
    let (lena, dave, alice, bob) = (lead("lena"), developer("dave"), admin("alice"), admin("bob"));
    let req = || request("staging", vec![item(T, "x", "1.0.0")]);

    let d = e.request_deployment(P, &req(), &dave).unwrap();
    let n = audit_count(&e);
    assert_eq!(e.reject(P, &d.id, &lena, "").unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.reject(P, &d.id, &lena, "   ").unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.reject(P, &d.id, &dave, "no").unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(audit_count(&e), n);
    assert_eq!(e.get_deployment(P, &d.id).unwrap(), d);
    let rej = e.reject(P, &d.id, &lena, "wrong ticket").unwrap();
    assert_eq!(rej.status, DeploymentStatus::Rejected);
    let why = rej.rejection.unwrap();
    assert_eq!((why.actor_id.as_str(), why.reason.as_deref()), ("lena", Some("wrong ticket")));
    assert_eq!(e.approve(P, &d.id, &lena, &ApproveOptions::default()).unwrap_err().code(), ErrorCode::InvalidTransition);
    assert_eq!(e.reject(P, &d.id, &lena, "again").unwrap_err().code(), ErrorCode::InvalidTransition);
    assert_eq!(e.cancel(P, &d.id, &dave, None).unwrap_err().code(), ErrorCode::InvalidTransition);
    let err = e
        .execute(P, &d.id, &alice, &NoopExecutor, &ExecuteOptions { break_glass_reason: Some("x".into()), ..Default::default() })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidTransition);
    assert_eq!(audit_actions(&e, &d.id), ["deployment.requested", "deployment.rejected"]);

    // Cancel: the requester may, another developer may not, an admin may.
    let c = e.request_deployment(P, &req(), &dave).unwrap();
    assert_eq!(e.cancel(P, &c.id, &developer("devon"), Some("mine now")).unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(e.get_deployment(P, &c.id).unwrap().status, DeploymentStatus::Pending);
    let c = e.cancel(P, &c.id, &dave, Some("oops")).unwrap();
    assert_eq!(c.status, DeploymentStatus::Cancelled);
    assert_eq!(c.cancellation.unwrap().reason.as_deref(), Some("oops"));
    let c2 = e.request_deployment(P, &req(), &dave).unwrap();
    approve(&e, &c2.id, &lena);
    assert_eq!(e.cancel(P, &c2.id, &alice, None).unwrap().status, DeploymentStatus::Cancelled);

    // Break-glass in staging: a developer may execute there but may not break glass.
    let s = e.request_deployment(P, &req(), &dave).unwrap();
    let glass = |r: &str| ExecuteOptions { break_glass_reason: Some(r.to_owned()), ..Default::default() };
    assert_eq!(e.execute(P, &s.id, &dave, &NoopExecutor, &glass("urgent")).unwrap_err().code(), ErrorCode::Forbidden);

    // Break-glass in production.
    let p = e.request_deployment(P, &request("production", vec![item(T, "x", "1.0.0")]), &alice).unwrap();
    let n = audit_count(&e);
    assert_eq!(e.execute(P, &p.id, &bob, &NoopExecutor, &ExecuteOptions::default()).unwrap_err().code(), ErrorCode::PolicyViolation);
    assert_eq!(e.execute(P, &p.id, &bob, &NoopExecutor, &glass("  ")).unwrap_err().code(), ErrorCode::PolicyViolation);
    assert_eq!(e.execute(P, &p.id, &dave, &NoopExecutor, &glass("outage")).unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(audit_count(&e), n);
    assert_eq!(e.get_deployment(P, &p.id).unwrap().status, DeploymentStatus::Pending);
    let done = e.execute(P, &p.id, &bob, &NoopExecutor, &glass("outage")).unwrap();
    assert_eq!(done.status, DeploymentStatus::Deployed);
    let bg = done.break_glass.unwrap();
    assert_eq!((bg.actor_id.as_str(), bg.reason.as_deref()), ("bob", Some("outage")));
    let log = e.audit_log(P, Some(&p.id), 0, None).unwrap();
    let entry = log.iter().find(|a| a.action == "deployment.break_glass").unwrap();
    assert_eq!((entry.actor_id.as_str(), entry.reason.as_deref()), ("bob", Some("outage")));
    assert_eq!(live(&e, "production", T, "x").as_deref(), Some("1.0.0"));
}

#[test]
fn approvals_are_bound_to_content_and_expire() {
    let (e, clock) = engine();
    register(&e, T, "x", "1.0.0");
    let (alice, bob, carol, lena) = (admin("alice"), admin("bob"), Actor::new("carol", &["tenant_admin"]), lead("lena"));
    let d = e.request_deployment(P, &request("production", vec![item(T, "x", "1.0.0")]), &alice).unwrap();
    approve(&e, &d.id, &bob);
    assert_eq!(approve(&e, &d.id, &carol).status, DeploymentStatus::Approved);
    let vars = [
        Variable { key: "REGION".into(), value: "eu".into(), secret: false },
        Variable { key: "TOKEN".into(), value: "s3cr3t".into(), secret: true },
    ];
    e.set_variables(P, "production", &vars, &alice).unwrap();
    let now = e.get_deployment(P, &d.id).unwrap();
    assert_eq!(now.status, DeploymentStatus::Pending);
    assert_ne!(now.content_hash, d.content_hash);
    let dry = e.check(P, &d.id, &bob, Action::Approve).unwrap();
    assert!(dry.allowed, "{dry:?}");
    let void: Vec<(&str, &str)> = dry.approvals.void.iter().map(|v| (v.actor_id.as_str(), v.reason.as_str())).collect();
    assert_eq!(void, [("bob", "stale_content"), ("carol", "stale_content")]);
    assert_eq!(dry.approvals.rules[0].granted, 0);
    assert!(audit_actions(&e, &d.id).contains(&"deployment.approvals_voided".to_owned()));
    assert_eq!(e.execute(P, &d.id, &bob, &NoopExecutor, &ExecuteOptions::default()).unwrap_err().code(), ErrorCode::PolicyViolation);
    assert_eq!(approve(&e, &d.id, &bob).status, DeploymentStatus::Pending);
    assert_eq!(approve(&e, &d.id, &carol).status, DeploymentStatus::Approved);
    let done = execute(&e, &d.id, &bob);
    assert_eq!(done.status, DeploymentStatus::Deployed);
    assert_eq!(done.approvals.len(), 2);
    let snap: Vec<(&str, &str)> = done.config_snapshot.iter().map(|v| (v.key.as_str(), v.value.as_str())).collect();
    assert_eq!(snap, [("REGION", "eu"), ("TOKEN", REDACTED)]);

    // Expiry.
    let ttl = Policy { approval_ttl_seconds: Some(3600), ..Policy::staging() };
    e.set_policy(P, "staging", &ttl, &alice).unwrap();
    let s = e.request_deployment(P, &request("staging", vec![item(T, "x", "1.0.0")]), &developer("dave")).unwrap();
    approve(&e, &s.id, &lena);
    clock.advance(Duration::seconds(3599));
    assert!(e.check(P, &s.id, &lena, Action::Execute).unwrap().allowed);
    clock.advance(Duration::hours(2) - Duration::seconds(3599));
    let n = audit_count(&e);
    let err = e.execute(P, &s.id, &lena, &NoopExecutor, &ExecuteOptions::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PolicyViolation);
    assert!(err.to_string().contains("expired"), "{err}");
    assert_eq!(audit_count(&e), n);
    let dry = e.check(P, &s.id, &lena, Action::Execute).unwrap();
    assert!(!dry.allowed);
    assert_eq!(dry.blockers.iter().map(|b| b.code).collect::<Vec<_>>(), [ErrorCode::PolicyViolation]);
    assert_eq!(dry.approvals.void.len(), 1);
    assert_eq!((dry.approvals.void[0].actor_id.as_str(), dry.approvals.void[0].reason.as_str()), ("lena", "expired"));
    approve(&e, &s.id, &lena);
    assert_eq!(execute(&e, &s.id, &lena).status, DeploymentStatus::Deployed);
}

#[test]
fn risk_escalation_and_four_eyes_opt_out() {
    let (e, _clock) = engine();
    register(&e, T, "x", "1.0.0");
    let (alice, bob, carol, erin) = (admin("alice"), admin("bob"), Actor::new("carol", &["tenant_admin"]), admin("erin"));
    let critical = ItemSpec { risk: RiskLevel::Critical, ..item(T, "x", "1.0.0") };
    let d = e.request_deployment(P, &request("production", vec![critical]), &alice).unwrap();
    assert_eq!(d.risk, RiskLevel::Critical);
    approve(&e, &d.id, &bob);
    assert_eq!(approve(&e, &d.id, &carol).status, DeploymentStatus::Pending);
    let dry = e.check(P, &d.id, &erin, Action::Execute).unwrap();
    let rules: Vec<(&str, u32, u32)> = dry.approvals.rules.iter().map(|r| (r.rule.as_str(), r.granted, r.required)).collect();
    assert_eq!(rules, [("admins", 2, 2), ("risk:critical", 0, 1)]);
    assert_eq!(e.execute(P, &d.id, &bob, &NoopExecutor, &ExecuteOptions::default()).unwrap_err().code(), ErrorCode::PolicyViolation);
    let d = approve(&e, &d.id, &erin);
    assert_eq!(d.status, DeploymentStatus::Approved);
    assert_eq!(d.approvals.iter().map(|a| a.rule.as_str()).collect::<Vec<_>>(), ["admins", "admins", "risk:critical"]);
    assert_eq!(execute(&e, &d.id, &bob).status, DeploymentStatus::Deployed);

    // 4-eyes opt-out: audited, then the requester may approve.
    let own = e.request_deployment(P, &request("production", vec![item(T, "x", "1.0.0")]), &alice).unwrap();
    assert_eq!(e.approve(P, &own.id, &alice, &ApproveOptions::default()).unwrap_err().code(), ErrorCode::SelfApproval);
    e.set_policy(P, "production", &Policy { four_eyes: false, ..Policy::production() }, &admin("root")).unwrap();
    assert!(audit_actions(&e, "production").contains(&"environment.four_eyes_disabled".to_owned()));
    let own = approve(&e, &own.id, &alice);
    assert_eq!(own.approvals[0].actor_id, "alice");
    assert_eq!(approve(&e, &own.id, &bob).status, DeploymentStatus::Approved);
}

#[test]
fn validation_reports_everything_and_keeps_warnings() {
    let (e, _clock) = engine();
    let ci = admin("ci");
    let dep = |id: &str, req: &str| Dependency { entity_type: T.into(), entity_id: id.into(), requirement: req.into() };
    let spec = |id: &str, tag: &str, deps: Vec<Dependency>| VersionSpec {
        entity_type: T.into(),
        entity_id: id.into(),
        version_tag: tag.into(),
        dependencies: deps,
        ..Default::default()
    };
    e.register_version(P, &spec("a", "1.0.0", vec![dep("b", "^1")]), &ci).unwrap();
    e.register_version(P, &spec("c", "1.0.0", vec![dep("d", "^2")]), &ci).unwrap();
    e.register_version(P, &spec("d", "1.0.0", vec![]), &ci).unwrap();
    let n = audit_count(&e);
    let bad = request(
        "development",
        vec![item(T, "a", "1.0.0"), item(T, "c", "1.0.0"), item(T, "d", "1.0.0"), item(T, "d", "1.0.0"), item(T, "e", "9.9.9")],
    );
    let err = e.request_deployment(P, &bad, &developer("dave")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ValidationFailed);
    let report = err.report().unwrap();
    let mut got: Vec<(&str, Option<usize>)> = report.errors.iter().map(|f| (f.code.as_str(), f.item)).collect();
    got.sort();
    assert_eq!(
        got,
        [("duplicate_item", Some(3)), ("incompatible_dependency", Some(1)), ("missing_dependency", Some(0)), ("unknown_version", Some(4))]
    );
    assert_eq!((audit_count(&e), all_deployments(&e).len()), (n, 0));

    // Warnings are stored with the deployment.
    for (id, t) in [("x", "2.0.0"), ("y", "1.0.0"), ("y", "1.1.0")] {
        register(&e, T, id, t);
    }
    let dave = developer("dave");
    let first = e.request_deployment(P, &request("development", vec![item(T, "x", "2.0.0"), item(T, "y", "1.1.0")]), &dave).unwrap();
    assert!(first.warnings.is_empty());
    execute(&e, &first.id, &dave);
    let d = e.request_deployment(P, &request("development", vec![item(T, "x", "2.0.0"), item(T, "y", "1.0.0")]), &dave).unwrap();
    assert_eq!(codes(&d.warnings), ["version_already_live", "downgrade"]);
    assert_eq!(d.warnings.iter().map(|f| f.item).collect::<Vec<_>>(), [Some(0), Some(1)]);
    assert!(d.warnings.iter().all(|f| f.severity == Severity::Warning));
    assert_eq!(e.get_deployment(P, &d.id).unwrap().warnings, d.warnings);

    // Custom validators: Err and panic become `validator_failed`; warnings are kept.
    let ok_req = || request("development", vec![item(T, "x", "2.0.0")]);
    let failing = |_: &ValidationContext<'_>| -> Result<Vec<Finding>, String> { Err("scanner offline".into()) };
    e.register_validator("scan", std::sync::Arc::new(failing)).unwrap();
    let err = e.request_deployment(P, &ok_req(), &dave).unwrap_err();
    let f = &err.report().unwrap().errors;
    assert_eq!((codes(f), f[0].message.contains("scanner offline")), (vec!["validator_failed"], true), "{f:?}");
    assert!(e.unregister_validator("scan"));
    let panicking = |_: &ValidationContext<'_>| -> Result<Vec<Finding>, String> { panic!("validator exploded") };
    e.register_validator("boom", std::sync::Arc::new(panicking)).unwrap();
    let err = e.request_deployment(P, &ok_req(), &dave).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ValidationFailed);
    let f = &err.report().unwrap().errors;
    assert_eq!((codes(f), f[0].message.contains("panicked")), (vec!["validator_failed"], true), "{f:?}");
    assert!(e.unregister_validator("boom"));
    let warn = |c: &ValidationContext<'_>| -> Result<Vec<Finding>, String> {
        Ok(vec![Finding::warning("translations_incomplete", format!("`de` missing for {}", c.deployment.name), Some(0))])
    };
    e.register_validator("i18n", std::sync::Arc::new(warn)).unwrap();
    let d = e.request_deployment(P, &ok_req(), &dave).unwrap();
    assert!(codes(&d.warnings).contains(&"translations_incomplete"), "{:?}", d.warnings);
    assert!(codes(&e.get_deployment(P, &d.id).unwrap().warnings).contains(&"translations_incomplete"));

    // Validators run again before execution.
    e.register_validator("scan", std::sync::Arc::new(failing)).unwrap();
    let err = e.execute(P, &d.id, &dave, &NoopExecutor, &ExecuteOptions::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ValidationFailed);
    assert_eq!(e.get_deployment(P, &d.id).unwrap().status, DeploymentStatus::Approved);
}

#[test]
fn idempotency_key() {
    let (e, _clock) = engine();
    register(&e, T, "x", "1.0.0");
    register(&e, T, "y", "1.0.0");
    let dave = developer("dave");
    let keyed = |items, env: &str| DeploymentRequest { idempotency_key: Some("ticket-42".into()), ..request(env, items) };
    let d1 = e.request_deployment(P, &keyed(vec![item(T, "x", "1.0.0")], "staging"), &dave).unwrap();
    let n = audit_count(&e);
    let d2 = e.request_deployment(P, &keyed(vec![item(T, "x", "1.0.0")], "staging"), &dave).unwrap();
    assert_eq!(d1, d2);
    assert_eq!((audit_count(&e), all_deployments(&e).len()), (n, 1));
    for (items, env) in [(vec![item(T, "y", "1.0.0")], "staging"), (vec![item(T, "x", "1.0.0")], "development")] {
        assert_eq!(e.request_deployment(P, &keyed(items, env), &dave).unwrap_err().code(), ErrorCode::Conflict);
    }
    assert_eq!((audit_count(&e), all_deployments(&e).len()), (n, 1));
    // A replay does not hand a deployment to someone who may not request it.
    let prod = DeploymentRequest { idempotency_key: Some("prod-1".into()), ..request("production", vec![item(T, "x", "1.0.0")]) };
    e.request_deployment(P, &prod, &admin("alice")).unwrap();
    assert_eq!(e.request_deployment(P, &prod, &dave).unwrap_err().code(), ErrorCode::Forbidden);
}

#[test]
fn dry_run_reports_every_blocker_and_changes_nothing() {
    let (e, _clock) = engine();
    register(&e, T, "x", "1.0.0");
    let (alice, bob, carol, dave) = (admin("alice"), admin("bob"), admin("carol"), developer("dave"));
    let d = e.request_deployment(P, &request("production", vec![item(T, "x", "1.0.0")]), &alice).unwrap();
    let d = approve(&e, &d.id, &bob);
    let n = audit_count(&e);
    let blockers = |who: &Actor, a: Action| {
        let dry = e.check(P, &d.id, who, a).unwrap();
        assert_eq!(dry.action, a);
        assert_eq!(dry.allowed, dry.blockers.is_empty());
        let rules: Vec<(&str, u32, u32)> = dry.approvals.rules.iter().map(|r| (r.rule.as_str(), r.granted, r.required)).collect();
        assert_eq!(rules, [("admins", 1, 2)]);
        assert_eq!(dry.approvals.rules[0].approvers, ["bob"]);
        dry.blockers.iter().map(|b| b.code).collect::<Vec<_>>()
    };
    use ErrorCode::*;
    assert_eq!(blockers(&dave, Action::Approve), [Forbidden]);
    assert_eq!(blockers(&alice, Action::Approve), [SelfApproval]);
    assert_eq!(blockers(&bob, Action::Approve), [Conflict]);
    assert_eq!(blockers(&carol, Action::Approve), []);
    assert_eq!(blockers(&dave, Action::Reject), [Forbidden]);
    assert_eq!(blockers(&carol, Action::Reject), []);
    assert_eq!(blockers(&dave, Action::Execute), [Forbidden, PolicyViolation]);
    assert_eq!(blockers(&carol, Action::Execute), [PolicyViolation]);
    assert_eq!(blockers(&dave, Action::Cancel), [Forbidden]);
    assert_eq!(blockers(&alice, Action::Cancel), []);
    assert_eq!(blockers(&dave, Action::Rollback), [Forbidden, InvalidTransition], "authorization first");
    assert_eq!(blockers(&carol, Action::Rollback), [InvalidTransition]);
    let msg = e.check(P, &d.id, &carol, Action::Execute).unwrap().blockers[0].message.clone();
    assert!(msg.contains("rule `admins` has 1 of 2 approvals"), "{msg}");
    assert_eq!(audit_count(&e), n);
    assert_eq!(e.get_deployment(P, &d.id).unwrap(), d);
    assert_eq!(e.check(P, "missing", &carol, Action::Approve).unwrap_err().code(), NotFound);
}

/// Relaxing a policy leaves a pending deployment that nobody can approve or execute.
#[test]
fn pending_deployment_after_policy_becomes_automatic_can_proceed() {
    let (e, _clock) = engine();
    register(&e, T, "x", "1.0.0");
    let d = e.request_deployment(P, &request("staging", vec![item(T, "x", "1.0.0")]), &developer("dave")).unwrap();
    e.set_policy(P, "staging", &Policy::development(), &admin("root")).unwrap();
    let lena = lead("lena");
    let approved = e.approve(P, &d.id, &lena, &ApproveOptions::default()).map(|d| d.status);
    let executed = e.execute(P, &d.id, &lena, &NoopExecutor, &ExecuteOptions::default()).map(|d| d.status);
    assert!(
        matches!(approved, Ok(DeploymentStatus::Approved)) || matches!(executed, Ok(DeploymentStatus::Deployed)),
        "approve: {approved:?}, execute: {executed:?}"
    );
}

/// `Policy::reject_roles`: "empty = anyone eligible for some approval rule"; with no rules nobody is.
#[test]
fn reject_without_approval_rules_needs_a_role() {
    let (e, _clock) = engine();
    register(&e, T, "x", "1.0.0");
    let d = e.request_deployment(P, &request("development", vec![item(T, "x", "1.0.0")]), &developer("dave")).unwrap();
    let err = e.reject(P, &d.id, &Actor::new("vic", &["viewer"]), "because").map(|d| d.status);
    assert_eq!(err.map_err(|e| e.code()), Err(ErrorCode::Forbidden));
}
