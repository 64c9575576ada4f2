//! Authorization cannot be bypassed, on every store: self-approval through another spelling of
//! the actor id, one person approving twice under two roles, approving (or anything else) across
//! projects, executing on approvals of content that changed since, rolling back without the role.
//! Every refusal writes nothing (the project's audit and outbox counts are unchanged).

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test code fails loudly")]

mod robustness;

use deploygov::*;
use robustness::*;

/// A project with `production` (two admin approvals, 4-eyes, admins execute and roll back),
/// `staging` (one approval from `lead` or `admin`, 4-eyes) and versions of `model/m0`.
fn fresh(store: &TestStore) -> (Engine, String) {
    let e = store.open();
    let project = unique("authz");
    let mut staging = Policy::staging();
    staging.approval_rules[0].eligible_roles = vec!["lead".into(), "admin".into()];
    let envs = [("production", admin_policy(2, 3600)), ("staging", staging)];
    setup_project(&e, &project, &envs, &["m0"], &["1.0.0", "1.0.1", "1.0.2"]);
    (e, project)
}

fn counts(e: &Engine, project: &str) -> (usize, usize) {
    (project_audit(e, project).len(), project_events(e, project).len())
}

/// `f` must fail with `code` and write nothing to `project`.
fn refused<T: std::fmt::Debug>(e: &Engine, project: &str, code: ErrorCode, what: &str, f: impl FnOnce() -> Result<T>) {
    let before = counts(e, project);
    match f() {
        Ok(v) => panic!("{what}: allowed ({})", format!("{v:?}").chars().take(200).collect::<String>()),
        Err(err) => assert_eq!(err.code(), code, "{what}: {err}"),
    }
    assert_eq!(counts(e, project), before, "{what}: a refused command wrote audit entries or events");
}

fn requested_by_alice(e: &Engine, project: &str) -> Deployment {
    e.request_deployment(project, &request("production", "release", "m0", "1.0.1"), &admin("alice")).unwrap()
}

const SPELLINGS: [&str; 7] = ["Alice", "ALICE", " alice", "alice ", " alice ", "alice\u{a0}", "\u{3000}alice"];

#[test]
fn exact_self_approval_is_refused() {
    for store in TestStore::all("exact_self_approval_is_refused") {
        let (e, project) = fresh(&store);
        let d = requested_by_alice(&e, &project);
        refused(&e, &project, ErrorCode::SelfApproval, "alice approves her own", || {
            e.approve(&project, &d.id, &admin("alice"), &ApproveOptions::default())
        });
    }
}

/// A spelling of the requester's id that differs only in case or surrounding (Unicode)
/// whitespace is refused, as `self_approval` or, for padded ids, `invalid_input`.
#[test]
fn self_approval_through_case_or_whitespace_is_refused() {
    for store in TestStore::all("self_approval_through_case_or_whitespace_is_refused") {
        let (e, project) = fresh(&store);
        let d = requested_by_alice(&e, &project);
        for who in SPELLINGS {
            let before = counts(&e, &project);
            let err = e.approve(&project, &d.id, &admin(who), &ApproveOptions::default()).map(|d| d.status).unwrap_err();
            assert!(matches!(err.code(), ErrorCode::SelfApproval | ErrorCode::InvalidInput), "`{who}`: {err}");
            assert_eq!(counts(&e, &project), before, "`{who}`");
        }
        assert_eq!(e.get_deployment(&project, &d.id).unwrap().status, DeploymentStatus::Pending);
    }
}

/// The engine's own actor ids (`deploygov:auto`, `deploygov:sweep`, `deploygov:health`) cannot be
/// used by a host's actor: otherwise its approval would be indistinguishable from the automatic
/// one in the record (and left out of `approved_by` in point-in-time answers).
#[test]
fn reserved_engine_actor_ids_are_refused() {
    for store in TestStore::all("reserved_engine_actor_ids_are_refused") {
        let (e, project) = fresh(&store);
        let d = requested_by_alice(&e, &project);
        for who in [deploygov::model::AUTO_APPROVER, deploygov::engine::HEALTH_ACTOR, "deploygov:sweep"] {
            refused(&e, &project, ErrorCode::InvalidInput, who, || e.approve(&project, &d.id, &admin(who), &ApproveOptions::default()));
        }
    }
}

/// One person holding two eligible roles counts once: a second approval, for the other rule,
/// under another role set or the same, is a `conflict`, and the deployment stays `pending`.
#[test]
fn one_person_cannot_approve_twice_under_two_roles() {
    for store in TestStore::all("one_person_cannot_approve_twice_under_two_roles") {
        let (e, project) = fresh(&store);
        let two_rules = Policy {
            approval_rules: vec![
                ApprovalRule { name: "admins".into(), required_approvals: 1, eligible_roles: vec!["admin".into()] },
                ApprovalRule { name: "leads".into(), required_approvals: 1, eligible_roles: vec!["lead".into()] },
            ],
            ..admin_policy(0, 3600)
        };
        e.set_policy(&project, "production", &two_rules, &admin("root")).unwrap();
        let d = requested_by_alice(&e, &project);
        let bob = Actor::new("bob", &["admin", "lead"]);
        let first = e.approve(&project, &d.id, &bob, &ApproveOptions { rule: Some("admins".into()), ..Default::default() }).unwrap();
        assert_eq!(first.status, DeploymentStatus::Pending);
        let leads = ApproveOptions { rule: Some("leads".into()), ..Default::default() };
        refused(&e, &project, ErrorCode::Conflict, "bob again for `leads`", || e.approve(&project, &d.id, &bob, &leads));
        refused(&e, &project, ErrorCode::Conflict, "bob as lead only", || {
            e.approve(&project, &d.id, &Actor::new("bob", &["lead"]), &leads)
        });
        refused(&e, &project, ErrorCode::Conflict, "bob, no rule", || e.approve(&project, &d.id, &bob, &ApproveOptions::default()));
        let d = e.get_deployment(&project, &d.id).unwrap();
        assert_eq!((d.status, d.approvals.len()), (DeploymentStatus::Pending, 1));
        refused(&e, &project, ErrorCode::PolicyViolation, "execute with one person", || {
            e.execute(&project, &d.id, &bob, &NoopExecutor, &ExecuteOptions::default())
        });
        let d = e.approve(&project, &d.id, &Actor::new("lee", &["lead"]), &leads).unwrap();
        assert_eq!(d.status, DeploymentStatus::Approved, "a second person completes it");
    }
}

/// A deployment is invisible from another project, even to that project's admins: every command
/// naming it there is `not_found`, and neither project changes.
#[test]
fn commands_across_projects_are_not_found() {
    for store in TestStore::all("commands_across_projects_are_not_found") {
        let (e, mine) = fresh(&store);
        let e2 = store.open();
        let theirs = unique("authz-other");
        setup_project(&e2, &theirs, &[("production", admin_policy(1, 3600))], &["m0"], &["1.0.1"]);
        let d = requested_by_alice(&e, &mine);
        let before = counts(&e, &mine);
        let bob = admin("bob");
        let nf = ErrorCode::NotFound;
        refused(&e, &theirs, nf, "approve", || e.approve(&theirs, &d.id, &bob, &ApproveOptions::default()));
        refused(&e, &theirs, nf, "reject", || e.reject(&theirs, &d.id, &bob, "no"));
        refused(&e, &theirs, nf, "cancel", || e.cancel(&theirs, &d.id, &bob, None));
        refused(&e, &theirs, nf, "execute", || e.execute(&theirs, &d.id, &bob, &NoopExecutor, &ExecuteOptions::default()));
        refused(&e, &theirs, nf, "get", || e.get_deployment(&theirs, &d.id));
        refused(&e, &theirs, nf, "promote", || e.promote(&theirs, &d.id, "production", &bob));
        assert_eq!(counts(&e, &mine), before, "the deployment's own project changed");
        // Done properly in its own project, the same deployment goes through.
        e.approve(&mine, &d.id, &bob, &ApproveOptions::default()).unwrap();
        let d = e.approve(&mine, &d.id, &admin("carol"), &ApproveOptions::default()).unwrap();
        assert_eq!(d.status, DeploymentStatus::Approved);
        let d = e.execute(&mine, &d.id, &bob, &NoopExecutor, &ExecuteOptions::default()).unwrap();
        let rb = RollbackOptions { target: None, reason: "other project".into() };
        refused(&e, &theirs, nf, "rollback", || e.rollback(&theirs, &d.id, &bob, &NoopExecutor, &rb));
        check_invariants(&e, &mine, &["production", "staging"], &["m0"]);
        check_invariants(&e, &theirs, &["production"], &["m0"]);
    }
}

/// Approvals bind to the content: after `set_variables` (or `unset_variables`) changed the
/// environment, the old approval no longer counts, the deployment is back to `pending`, and
/// executing it is a `policy_violation`. A fresh approval of the new content counts.
#[test]
fn stale_approvals_do_not_execute_after_the_content_changed() {
    for store in TestStore::all("stale_approvals_do_not_execute_after_the_content_changed") {
        let (e, project) = fresh(&store);
        let root = admin("root");
        let lead = Actor::new("lee", &["lead"]);
        e.set_variables(&project, "staging", &[Variable { key: "DB".into(), value: "db-1".into(), secret: true }], &root).unwrap();
        let d = e.request_deployment(&project, &request("staging", "s", "m0", "1.0.1"), &admin("dev")).unwrap();
        let d = e.approve(&project, &d.id, &lead, &ApproveOptions::default()).unwrap();
        assert_eq!(d.status, DeploymentStatus::Approved);
        let hash = d.content_hash.clone();
        for change in 0..2 {
            if change == 0 {
                e.set_variables(&project, "staging", &[Variable { key: "DB".into(), value: "db-2".into(), secret: true }], &root).unwrap();
            } else {
                e.unset_variables(&project, "staging", &["DB".into()], &root).unwrap();
            }
            let now = e.get_deployment(&project, &d.id).unwrap();
            assert_eq!(now.status, DeploymentStatus::Pending, "change {change}: approvals of the old content were voided");
            assert_ne!(now.content_hash, hash);
            refused(&e, &project, ErrorCode::PolicyViolation, "execute on a stale approval", || {
                e.execute(&project, &d.id, &lead, &NoopExecutor, &ExecuteOptions::default())
            });
            let again = e.approve(&project, &d.id, &lead, &ApproveOptions::default()).unwrap();
            assert_eq!(again.status, DeploymentStatus::Approved, "change {change}: the same person approves the new content");
        }
        let done = e.execute(&project, &d.id, &lead, &NoopExecutor, &ExecuteOptions::default()).unwrap();
        assert_eq!(done.status, DeploymentStatus::Deployed);
        let actions = actions_of(&e, &project, &d.id);
        assert_eq!(count(&actions, "deployment.approvals_voided"), 2, "{actions:?}");
    }
}

/// Rolling back needs one of the rollback roles; a role spelled differently (`Admin`, ` admin`)
/// is not that role, and a refused rollback creates no rollback deployment.
#[test]
fn rollback_without_the_role_is_forbidden() {
    for store in TestStore::all("rollback_without_the_role_is_forbidden") {
        let (e, project) = fresh(&store);
        let mut d = None;
        for tag in ["1.0.0", "1.0.1"] {
            let r = e.request_deployment(&project, &request("production", tag, "m0", tag), &admin("alice")).unwrap();
            e.approve(&project, &r.id, &admin("bob"), &ApproveOptions::default()).unwrap();
            e.approve(&project, &r.id, &admin("carol"), &ApproveOptions::default()).unwrap();
            d = Some(e.execute(&project, &r.id, &admin("bob"), &NoopExecutor, &ExecuteOptions::default()).unwrap());
        }
        let d = d.unwrap();
        let opts = RollbackOptions { target: None, reason: "bad release".into() };
        for roles in [vec!["developer"], vec!["lead"], vec!["Admin"], vec![" admin"], vec!["admin "], vec![]] {
            let who = Actor::new("mallory", &roles);
            refused(&e, &project, ErrorCode::Forbidden, &format!("rollback as {roles:?}"), || {
                e.rollback(&project, &d.id, &who, &NoopExecutor, &opts)
            });
        }
        // The requester herself, without the role, may not either.
        refused(&e, &project, ErrorCode::Forbidden, "alice as developer", || {
            e.rollback(&project, &d.id, &Actor::new("alice", &["developer"]), &NoopExecutor, &opts)
        });
        assert_eq!(all_deployments(&e, &project).len(), 2, "no rollback deployment was created");
        assert_eq!(e.get_deployment(&project, &d.id).unwrap().status, DeploymentStatus::Deployed);
        let r = e.rollback(&project, &d.id, &admin("bob"), &NoopExecutor, &opts).unwrap();
        assert_eq!(r.status, DeploymentStatus::Deployed, "an admin may");
        check_invariants(&e, &project, &["production", "staging"], &["m0"]);
    }
}
