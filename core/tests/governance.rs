//! Leases (a host that dies mid-deploy does not wedge the environment), the sweep and forced
//! release, simulated by an executor that lets the lease run out or releases it while it "hangs".
#![allow(clippy::unwrap_used, reason = "test helpers unwrap: a failure is the test failing")]

mod common;
use std::sync::{Arc, Mutex};

use common::*;
use deploygov::*;

fn ready(e: &Engine, tag: &str) -> Deployment {
    let d = e.request_deployment(P, &request("development", vec![item("prompt_version", "chatbot", tag)]), &admin("alice")).unwrap();
    assert_eq!(d.status, DeploymentStatus::Approved);
    d
}

#[test]
fn an_expired_lease_is_swept_and_frees_the_environment() {
    let (e, clock) = engine();
    let e = Arc::new(e);
    for tag in ["1.0.0", "1.1.0", "1.2.0"] {
        register(&e, "prompt_version", "chatbot", tag);
    }
    let base = ready(&e, "1.0.0");
    e.execute(P, &base.id, &admin("alice"), &NoopExecutor, &ExecuteOptions::default()).unwrap();
    let stuck = ready(&e, "1.1.0");
    let next = ready(&e, "1.2.0");
    let swept = Arc::new(Mutex::new(None));
    let (inner, clock2, out) = (Arc::downgrade(&e), clock.clone(), swept.clone());
    // The "host" hangs past its lease; meanwhile the periodic sweep runs.
    let hanging = move |_: &Activation<'_>| -> Result<(), String> {
        let e = inner.upgrade().unwrap();
        assert!(e.sweep().unwrap().leases_expired.is_empty(), "not before the lease ends");
        clock2.advance(chrono::Duration::seconds(3600));
        *out.lock().unwrap() = Some(e.sweep().unwrap());
        // The environment is free again: another deployment may run now.
        let dry = e.check(P, &next_id(&e), &admin("alice"), Action::Execute).unwrap();
        assert!(dry.allowed, "{dry:?}");
        Ok(())
    };
    fn next_id(e: &Engine) -> String {
        e.list_deployments(P, &DeploymentFilter { status: Some(DeploymentStatus::Approved), ..Default::default() }).unwrap().items[0]
            .id
            .clone()
    }
    let late = e.execute(P, &stuck.id, &admin("alice"), &hanging, &ExecuteOptions::default()).unwrap_err();
    assert_eq!(late.code(), ErrorCode::Conflict, "{late}");
    let report = swept.lock().unwrap().clone().unwrap();
    assert_eq!(report.leases_expired, std::slice::from_ref(&stuck.id));
    let failed = e.get_deployment(P, &stuck.id).unwrap();
    assert_eq!(failed.status, DeploymentStatus::Failed);
    assert_eq!(failed.items[0].status, ItemStatus::Failed);
    assert!(failed.items[0].error_message.as_deref().unwrap().contains("lease expired"));
    assert_eq!(live(&e, "development", "prompt_version", "chatbot").as_deref(), Some("1.0.0"), "the active state is untouched");
    let last = e.audit_log(P, Some(&stuck.id), 0, Some(50)).unwrap().pop().unwrap();
    assert_eq!((last.action.as_str(), last.actor_id.as_str()), ("deployment.lease_expired", "deploygov:sweep"));
    // Nothing left to sweep; the next deployment runs.
    assert_eq!(e.sweep().unwrap(), SweepReport::default());
    let done = e.execute(P, &next.id, &admin("alice"), &NoopExecutor, &ExecuteOptions::default()).unwrap();
    assert_eq!(done.status, DeploymentStatus::Deployed);
    e.verify_audit().unwrap();
}

#[test]
fn an_admin_may_release_a_lease_early_with_a_reason() {
    let (e, _clock) = engine();
    let e = Arc::new(e);
    register(&e, "prompt_version", "chatbot", "1.0.0");
    let d = ready(&e, "1.0.0");
    let inner = Arc::downgrade(&e);
    let id = d.id.clone();
    let released = move |_: &Activation<'_>| -> Result<(), String> {
        let e = inner.upgrade().unwrap();
        let by_dev = e.release_lease(P, &id, &Actor::new("dave", &["developer"]), "stuck").unwrap_err();
        assert_eq!(by_dev.code(), ErrorCode::Forbidden);
        let r = e.release_lease(P, &id, &admin("root"), "host crashed").unwrap();
        assert_eq!(r.status, DeploymentStatus::Failed);
        Ok(())
    };
    assert_eq!(e.execute(P, &d.id, &admin("alice"), &released, &ExecuteOptions::default()).unwrap_err().code(), ErrorCode::Conflict);
    let entry = e.audit_log(P, Some(&d.id), 0, Some(50)).unwrap().pop().unwrap();
    assert_eq!(
        (entry.action.as_str(), entry.actor_id.as_str(), entry.reason.as_deref()),
        ("deployment.lease_released", "root", Some("host crashed"))
    );
    assert_eq!(e.active_state(P, "development").unwrap(), vec![]);
    assert_eq!(e.release_lease(P, &d.id, &admin("root"), "again").unwrap_err().code(), ErrorCode::InvalidTransition);
}

#[test]
fn the_sweep_pages_through_every_project_in_id_order() {
    // More expiring deployments than one sweep page (200), spread over two projects: the sweep
    // seeks each project's status index (migration 6) and must still find every one.
    let (e, clock) = engine();
    e.create_project("other", "acme", "Other", &admin("root")).unwrap();
    e.create_environment("other", &EnvironmentSpec { name: "production".into(), ..Default::default() }, &admin("root")).unwrap();
    let expires = Some(clock.now() + chrono::Duration::minutes(5));
    let mut expected = Vec::new();
    for i in 0..130 {
        for project in [P, "other"] {
            let spec = VersionSpec {
                entity_type: "prompt_version".into(),
                entity_id: format!("e{i}"),
                version_tag: "1.0.0".into(),
                ..Default::default()
            };
            e.register_version(project, &spec, &admin("ci")).unwrap();
            let req =
                DeploymentRequest { expires_at: expires, ..request("production", vec![item("prompt_version", &format!("e{i}"), "1.0.0")]) };
            let d = e.request_deployment(project, &req, &admin("alice")).unwrap();
            assert_eq!(d.status, DeploymentStatus::Pending);
            expected.push(d.id);
        }
    }
    assert_eq!(e.sweep().unwrap(), SweepReport::default(), "nothing has expired yet");
    clock.advance(chrono::Duration::minutes(10));
    let report = e.sweep().unwrap();
    // Ids are UUIDv7: creation order is id order, across projects.
    assert_eq!(report.schedules_expired, expected);
    assert_eq!(e.sweep().unwrap(), SweepReport::default(), "each is swept once");
}
