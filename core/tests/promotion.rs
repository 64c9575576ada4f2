//! Promotion: a new deployment in the target environment, governed by its policy, with an event
//! on the source.
#![allow(clippy::unwrap_used, reason = "test helpers unwrap: a failure is the test failing")]

mod common;
use common::*;
use deploygov::*;

#[test]
fn promotion_creates_a_governed_deployment_and_a_promoted_event() {
    let (e, _clock) = engine();
    register(&e, "prompt_version", "chatbot", "1.0.0");
    let staged = ship_staging(&e, vec![item("prompt_version", "chatbot", "1.0.0")]);
    let p = e.promote(P, &staged.id, "production", &admin("alice")).unwrap();
    assert_eq!((p.kind, p.status, p.environment.as_str()), (DeploymentKind::Promotion, DeploymentStatus::Pending, "production"));
    assert_eq!(p.promoted_from.as_deref(), Some(staged.id.as_str()));
    let source_entry = e.audit_log(P, Some(&staged.id), 0, None).unwrap().pop().unwrap();
    assert_eq!(source_entry.action, "deployment.promoted");
    assert_eq!(source_entry.after["promotion"], p.id.as_str());
    let kinds: Vec<_> = e.events_after(Some(P), 0, Some(500)).unwrap().into_iter().map(|ev| ev.kind).collect();
    assert!(kinds.contains(&"deployment.promoted".to_owned()), "{kinds:?}");
    // Governed like any production request: 4-eyes, two approvals.
    assert_eq!(e.approve(P, &p.id, &admin("alice"), &ApproveOptions::default()).unwrap_err().code(), ErrorCode::SelfApproval);
    approve(&e, &p.id, &admin("bob"));
    approve(&e, &p.id, &admin("carol"));
    assert_eq!(execute(&e, &p.id, &admin("bob")).status, DeploymentStatus::Deployed);
    // Only live deployments are promoted, never into their own environment.
    assert_eq!(e.promote(P, &staged.id, "staging", &admin("alice")).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.promote(P, &p.id, "nowhere", &admin("alice")).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(e.promote(P, &staged.id, "production", &developer("dave")).unwrap_err().code(), ErrorCode::Forbidden);
}
