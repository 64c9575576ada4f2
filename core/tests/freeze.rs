//! Freeze windows: one-off and weekly, per environment and per project; approving and executing
//! into a frozen environment is refused with `environment_frozen` unless overridden (audited).
#![allow(clippy::unwrap_used, reason = "test helpers unwrap: a failure is the test failing")]
#![allow(clippy::panic, reason = "a helper fails the test on an unexpected error kind")]

mod common;
use chrono::{DateTime, Duration, Utc};
use common::*;
use deploygov::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn one_off(env: Option<&str>, name: &str, start: &str, end: &str) -> FreezeSpec {
    FreezeSpec { environment: env.map(str::to_owned), name: name.into(), schedule: FreezeSchedule::OneOff { start: t(start), end: t(end) } }
}

fn codes(err: &Error) -> Vec<String> {
    match err {
        Error::ValidationFailed(r) => r.errors.iter().map(|f| f.code.clone()).collect(),
        other => panic!("expected validation_failed, got {other}"),
    }
}

/// A production deployment requested by alice, approved by nobody yet.
fn prod_request(e: &Engine, tag: &str) -> Deployment {
    register(e, "prompt_version", "chatbot", tag);
    e.request_deployment(P, &request("production", vec![item("prompt_version", "chatbot", tag)]), &admin("alice")).unwrap()
}

#[test]
fn a_one_off_freeze_refuses_approving_and_executing_and_names_the_window() {
    let (e, clock) = engine();
    let d = prod_request(&e, "1.0.0");
    // 2026-01-15 09:00 is the clock's start; freeze from 10:00 to 12:00.
    let w = e
        .add_freeze(P, &one_off(Some("production"), "release-freeze", "2026-01-15T10:00:00Z", "2026-01-15T12:00:00Z"), &admin("root"))
        .unwrap();
    approve(&e, &d.id, &admin("bob"));
    clock.advance(Duration::hours(1));
    assert_eq!(e.active_freezes(P, "production", clock.now()).unwrap(), vec![w.clone()]);
    assert!(e.active_freezes(P, "staging", clock.now()).unwrap().is_empty(), "only production is frozen");
    let err = e.approve(P, &d.id, &admin("carol"), &ApproveOptions::default()).unwrap_err();
    assert_eq!(codes(&err), ["environment_frozen"]);
    assert!(err.to_string().contains("validation failed"), "{err}");
    let Error::ValidationFailed(report) = &err else { unreachable!() };
    assert!(report.errors[0].message.contains("`release-freeze`"), "{}", report.errors[0].message);
    assert_eq!(e.get_deployment(P, &d.id).unwrap().approvals.len(), 1, "nothing written");
    // The dry run says the same.
    let dry = e.check(P, &d.id, &admin("carol"), Action::Approve).unwrap();
    assert!(!dry.allowed);
    assert!(dry.findings.errors.iter().any(|f| f.code == "environment_frozen"));
    // After the window (end is exclusive) approving and executing work again.
    clock.advance(Duration::hours(2));
    approve(&e, &d.id, &admin("carol"));
    assert_eq!(execute(&e, &d.id, &admin("carol")).status, DeploymentStatus::Deployed);
}

#[test]
fn executing_in_a_frozen_environment_is_refused_with_every_finding() {
    let (e, clock) = engine();
    let d = prod_request(&e, "1.0.0");
    approve(&e, &d.id, &admin("bob"));
    approve(&e, &d.id, &admin("carol"));
    e.add_freeze(P, &one_off(None, "quarter-end", "2026-01-15T00:00:00Z", "2026-01-16T00:00:00Z"), &admin("root")).unwrap();
    e.add_freeze(P, &one_off(Some("production"), "incident", "2026-01-15T08:00:00Z", "2026-01-15T20:00:00Z"), &admin("root")).unwrap();
    let err = e.execute(P, &d.id, &admin("bob"), &NoopExecutor, &ExecuteOptions::default()).unwrap_err();
    assert_eq!(codes(&err), ["environment_frozen", "environment_frozen"], "deny wins: both windows are named");
    assert_eq!(e.get_deployment(P, &d.id).unwrap().status, DeploymentStatus::Approved);
    // The project-wide window freezes development too.
    register(&e, "prompt_version", "chatbot", "2.0.0");
    let dev = e.request_deployment(P, &request("development", vec![item("prompt_version", "chatbot", "2.0.0")]), &admin("bob")).unwrap();
    let err = e.execute(P, &dev.id, &admin("bob"), &NoopExecutor, &ExecuteOptions::default()).unwrap_err();
    assert_eq!(codes(&err), ["environment_frozen"]);
    clock.advance(Duration::days(1));
    assert_eq!(execute(&e, &d.id, &admin("bob")).status, DeploymentStatus::Deployed);
}

#[test]
fn an_override_needs_the_role_and_a_reason_and_is_audited() {
    let (e, _clock) = engine();
    let mut policy = Policy::production();
    policy.freeze_override_roles = vec!["release_manager".into()];
    e.set_policy(P, "production", &policy, &admin("root")).unwrap();
    let d = prod_request(&e, "1.0.0");
    approve(&e, &d.id, &admin("bob"));
    approve(&e, &d.id, &admin("carol"));
    let w =
        e.add_freeze(P, &one_off(Some("production"), "launch", "2026-01-15T00:00:00Z", "2026-01-16T00:00:00Z"), &admin("root")).unwrap();
    let with = |reason: &str| ExecuteOptions { freeze_override_reason: Some(reason.into()), ..Default::default() };
    // An admin without the override role: forbidden.
    let err = e.execute(P, &d.id, &admin("bob"), &NoopExecutor, &with("hotfix")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden, "{err}");
    assert!(err.to_string().contains("`release_manager`"), "{err}");
    // The role without a reason is no override.
    let rm = Actor::new("rita", &["admin", "release_manager"]);
    let err = e.execute(P, &d.id, &rm, &NoopExecutor, &with("  ")).unwrap_err();
    assert_eq!(codes(&err), ["environment_frozen"]);
    let done = e.execute(P, &d.id, &rm, &NoopExecutor, &with("security hotfix CVE-1")).unwrap();
    assert_eq!(done.status, DeploymentStatus::Deployed);
    let entry = e.audit_log(P, Some(&d.id), 0, None).unwrap().into_iter().find(|a| a.action == "deployment.freeze_overridden").unwrap();
    assert_eq!(entry.actor_id, "rita");
    assert_eq!(entry.reason.as_deref(), Some("security hotfix CVE-1"));
    assert_eq!(entry.after["windows"][0]["id"], w.id.as_str());
    assert_eq!(entry.after["action"], "execute");
    assert!(e.verify_audit().is_ok());
}

#[test]
fn rollbacks_are_not_frozen() {
    let (e, clock) = engine();
    let first = ship_staging(
        &e,
        vec![{
            register(&e, "prompt_version", "chatbot", "1.0.0");
            item("prompt_version", "chatbot", "1.0.0")
        }],
    );
    register(&e, "prompt_version", "chatbot", "1.1.0");
    let second = ship_staging(&e, vec![item("prompt_version", "chatbot", "1.1.0")]);
    e.add_freeze(P, &one_off(Some("staging"), "freeze", "2026-01-15T00:00:00Z", "2026-01-16T00:00:00Z"), &admin("root")).unwrap();
    let r = e.rollback(P, &second.id, &lead("lena"), &NoopExecutor, &rb("bad answers")).unwrap();
    assert_eq!(r.status, DeploymentStatus::Deployed);
    assert_eq!(live(&e, "staging", "prompt_version", "chatbot").as_deref(), Some("1.0.0"));
    assert_eq!(first.status, DeploymentStatus::Deployed);
    let _ = clock;
}

#[test]
fn weekly_windows_freeze_every_week_in_their_time_zone() {
    let (e, clock) = engine();
    // Thursdays 10:00-11:00 in New York (15:00-16:00 UTC in January).
    let spec = FreezeSpec {
        environment: Some("staging".into()),
        name: "weekly-sync".into(),
        schedule: FreezeSchedule::Weekly {
            days: vec![Day::Thu],
            start_time: "10:00".into(),
            duration_minutes: 60,
            time_zone: "America/New_York".into(),
        },
    };
    e.add_freeze(P, &spec, &admin("root")).unwrap();
    register(&e, "prompt_version", "chatbot", "1.0.0");
    let d = e.request_deployment(P, &request("staging", vec![item("prompt_version", "chatbot", "1.0.0")]), &developer("dave")).unwrap();
    clock.set(t("2026-01-15T15:30:00Z"));
    let err = e.approve(P, &d.id, &lead("lena"), &ApproveOptions::default()).unwrap_err();
    assert_eq!(codes(&err), ["environment_frozen"]);
    clock.set(t("2026-01-22T15:59:59Z"));
    assert_eq!(e.active_freezes(P, "staging", clock.now()).unwrap().len(), 1, "a week later");
    clock.set(t("2026-01-22T16:00:00Z"));
    approve(&e, &d.id, &lead("lena"));
}

#[test]
fn freeze_windows_are_data_with_audited_changes_and_clear_errors() {
    let (e, _clock) = engine();
    let w1 = e.add_freeze(P, &one_off(None, "all", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"), &admin("root")).unwrap();
    let w2 = e.add_freeze(P, &one_off(Some("production"), "prod", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"), &admin("root")).unwrap();
    assert_eq!(e.list_freezes(P, None).unwrap().len(), 2);
    assert_eq!(e.list_freezes(P, Some("production")).unwrap(), vec![w1.clone(), w2.clone()]);
    assert_eq!(e.list_freezes(P, Some("staging")).unwrap(), vec![w1.clone()]);
    assert!(e.active_freezes(P, "production", t("2026-02-01T12:00:00Z")).unwrap().len() == 2);
    // Errors.
    let bad = [
        (
            e.add_freeze(P, &one_off(Some("production"), "x", "2026-02-02T00:00:00Z", "2026-02-01T00:00:00Z"), &admin("root")),
            ErrorCode::InvalidInput,
        ),
        (
            e.add_freeze(P, &one_off(Some("nowhere"), "x", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"), &admin("root")),
            ErrorCode::NotFound,
        ),
        (e.add_freeze("ghost", &one_off(None, "x", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"), &admin("root")), ErrorCode::NotFound),
        (e.add_freeze(P, &one_off(None, " ", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"), &admin("root")), ErrorCode::InvalidInput),
        (e.add_freeze(P, &one_off(None, "x", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"), &developer("dave")), ErrorCode::Forbidden),
    ];
    for (result, code) in bad {
        assert_eq!(result.unwrap_err().code(), code);
    }
    assert_eq!(e.remove_freeze(P, &w1.id, &admin("root"), "").unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.remove_freeze(P, &w1.id, &developer("dave"), "done").unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(e.remove_freeze(P, "nope", &admin("root"), "done").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(e.remove_freeze(P, &w1.id, &admin("root"), "quarter closed").unwrap(), w1);
    assert_eq!(e.list_freezes(P, None).unwrap(), vec![w2.clone()]);
    let actions: Vec<_> = e.audit_log(P, None, 0, Some(500)).unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "environment.frozen").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "environment.unfrozen").count(), 1);
    let kinds: Vec<_> = e.events_after(Some(P), 0, Some(500)).unwrap().into_iter().map(|ev| ev.kind).collect();
    assert!(kinds.contains(&"environment.frozen".to_owned()));
    // Unknown JSON shapes are refused by serde.
    assert!(serde_json::from_str::<FreezeSpec>(r#"{"name":"x","schedule":{"type":"monthly"}}"#).is_err());
}

#[test]
fn due_leaves_out_deployments_of_frozen_environments() {
    let (e, clock) = engine();
    register(&e, "prompt_version", "chatbot", "1.0.0");
    let d = e.request_deployment(P, &request("development", vec![item("prompt_version", "chatbot", "1.0.0")]), &admin("bob")).unwrap();
    assert_eq!(e.due(P).unwrap().len(), 1);
    e.add_freeze(P, &one_off(Some("development"), "f", "2026-01-15T00:00:00Z", "2026-01-15T10:00:00Z"), &admin("root")).unwrap();
    assert!(e.due(P).unwrap().is_empty());
    clock.advance(Duration::hours(1));
    assert_eq!(e.due(P).unwrap()[0].id, d.id);
}
