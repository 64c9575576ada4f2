//! The JAPM production workflow (issue test 1).

mod common;
use common::*;
use deploygov::*;

#[test]
fn japm_production_workflow() {
    let (e, clock) = engine();
    for tag in ["1.1.0", "1.2.0"] {
        register(&e, "prompt_version", "chatbot", tag);
    }
    for tag in ["2.0.0", "2.1.0"] {
        register(&e, "prompt_asset_version", "templates", tag);
    }
    let alice = admin("alice");
    let (bob, carol) = (admin("bob"), Actor::new("carol", &["tenant_admin"]));
    let dev = Actor::new("dave", &["developer"]);

    // Earlier release, so a rollback has something to go back to.
    let first = e
        .request_deployment(
            P,
            &request("production", vec![item("prompt_version", "chatbot", "1.1.0"), item("prompt_asset_version", "templates", "2.0.0")]),
            &alice,
        )
        .unwrap();
    e.approve(P, &first.id, &bob, &ApproveOptions::default()).unwrap();
    e.approve(P, &first.id, &carol, &ApproveOptions::default()).unwrap();
    let first = e.execute(P, &first.id, &bob, &NoopExecutor, &ExecuteOptions::default()).unwrap();
    assert_eq!(first.status, DeploymentStatus::Deployed);
    clock.advance(chrono::Duration::hours(1));

    let d = e
        .request_deployment(
            P,
            &request("production", vec![item("prompt_version", "chatbot", "1.2.0"), item("prompt_asset_version", "templates", "2.1.0")]),
            &alice,
        )
        .unwrap();
    assert_eq!(d.status, DeploymentStatus::Pending);
    assert_eq!(e.approve(P, &d.id, &alice, &ApproveOptions::default()).unwrap_err().code(), ErrorCode::SelfApproval);
    assert_eq!(e.approve(P, &d.id, &dev, &ApproveOptions::default()).unwrap_err().code(), ErrorCode::Forbidden);
    // A developer may not even request in production.
    assert_eq!(
        e.request_deployment(P, &request("production", vec![item("prompt_version", "chatbot", "1.2.0")]), &dev).unwrap_err().code(),
        ErrorCode::Forbidden
    );
    // Not executable with one approval.
    let d1 = e.approve(P, &d.id, &bob, &ApproveOptions { comment: Some("lgtm".into()), rule: None, ..Default::default() }).unwrap();
    assert_eq!(d1.status, DeploymentStatus::Pending);
    let dry = e.check(P, &d.id, &bob, Action::Execute).unwrap();
    assert!(!dry.allowed);
    assert_eq!(dry.approvals.rules[0].granted, 1);
    assert_eq!(dry.approvals.rules[0].required, 2);
    assert_eq!(e.execute(P, &d.id, &bob, &NoopExecutor, &ExecuteOptions::default()).unwrap_err().code(), ErrorCode::PolicyViolation);
    // Bob counts once.
    assert_eq!(e.approve(P, &d.id, &bob, &ApproveOptions::default()).unwrap_err().code(), ErrorCode::Conflict);
    let d2 = e.approve(P, &d.id, &carol, &ApproveOptions::default()).unwrap();
    assert_eq!(d2.status, DeploymentStatus::Approved);
    let done = e.execute(P, &d.id, &carol, &NoopExecutor, &ExecuteOptions::default()).unwrap();
    assert_eq!(done.status, DeploymentStatus::Deployed);
    assert_eq!(done.items[0].previous_version.as_deref(), Some("1.1.0"));
    assert_eq!(live(&e, "production", "prompt_version", "chatbot").as_deref(), Some("1.2.0"));
    assert_eq!(live(&e, "production", "prompt_asset_version", "templates").as_deref(), Some("2.1.0"));
    assert_eq!(e.get_deployment(P, &first.id).unwrap().status, DeploymentStatus::Superseded);

    // Developers may not roll back production; admins may, without approval.
    assert_eq!(e.rollback(P, &d.id, &dev, &NoopExecutor, &rb("bad answers")).unwrap_err().code(), ErrorCode::Forbidden);
    let r = e
        .rollback(P, &d.id, &alice, &NoopExecutor, &RollbackOptions { target: Some(first.id.clone()), reason: "bad answers".into() })
        .unwrap();
    assert_eq!(r.kind, DeploymentKind::Rollback);
    assert_eq!(r.status, DeploymentStatus::Deployed);
    assert_eq!(r.rollback_of.as_deref(), Some(d.id.as_str()));
    assert_eq!(r.rollback_to.as_deref(), Some(first.id.as_str()));
    assert_eq!(live(&e, "production", "prompt_version", "chatbot").as_deref(), Some("1.1.0"));
    assert_eq!(live(&e, "production", "prompt_asset_version", "templates").as_deref(), Some("2.0.0"));
    let rolled = e.get_deployment(P, &d.id).unwrap();
    assert_eq!(rolled.status, DeploymentStatus::RolledBack);
    assert_eq!(rolled.rolled_back.as_ref().unwrap().actor_id, "alice");
    assert_eq!(rolled.rolled_back.as_ref().unwrap().reason.as_deref(), Some("bad answers"));

    // The audit trail shows each step of `d` and verifies.
    let actions: Vec<String> = e.audit_log(P, Some(&d.id), 0, Some(100)).unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(
        actions,
        [
            "deployment.requested",
            "deployment.approval_granted",
            "deployment.approval_granted",
            "deployment.approved",
            "deployment.started",
            "deployment.deployed",
            "deployment.rolled_back"
        ]
    );
    let v = e.verify_audit().unwrap();
    assert!(v.entries > 20, "{v:?}");
}
