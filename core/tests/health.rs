//! Post-deployment verification: health checks, thresholds, automatic rollback, environment health.
#![allow(clippy::unwrap_used, reason = "test helpers unwrap: a failure is the test failing")]

mod common;
use common::*;
use deploygov::engine::HEALTH_ACTOR;
use deploygov::*;

/// Ships `tag` of `chatbot` to staging (dave requests, lena approves and executes).
fn ship(e: &Engine, tag: &str) -> Deployment {
    register(e, "prompt_version", "chatbot", tag);
    ship_staging(e, vec![item("prompt_version", "chatbot", tag)])
}

fn ok(p95: f64) -> HealthReport {
    HealthReport { ok: true, error_rate: Some(0.01), p95_latency_ms: Some(p95) }
}

fn failed() -> HealthReport {
    HealthReport { ok: false, error_rate: None, p95_latency_ms: None }
}

fn env_health(e: &Engine, env: &str) -> Health {
    e.get_environment(P, env).unwrap().health
}

#[test]
fn more_than_three_failed_checks_roll_back_to_the_last_good_deployment() {
    let (e, _clock) = engine();
    ship(&e, "1.0.0");
    let bad = ship(&e, "1.1.0");
    let probe = Actor::new("monitor", &["observer"]);
    for n in 1..=3 {
        let out = e.report_health(P, &bad.id, &failed(), &probe, &NoopExecutor).unwrap();
        assert_eq!(out.check.consecutive_failures, n);
        assert!(out.check.breaches.is_empty() && out.rollback.is_none());
        assert_eq!(out.health, Health::Degraded);
    }
    assert_eq!(env_health(&e, "staging"), Health::Degraded);
    let out = e.report_health(P, &bad.id, &failed(), &probe, &NoopExecutor).unwrap();
    assert_eq!(out.check.breaches, ["4 consecutive failed checks, more than 3"]);
    assert_eq!(out.health, Health::Down);
    let r = out.rollback.unwrap();
    assert_eq!((r.kind, r.status), (DeploymentKind::Rollback, DeploymentStatus::Deployed));
    assert_eq!(r.requested_by, HEALTH_ACTOR);
    assert!(r.description.unwrap().contains("4 consecutive failed checks"));
    assert_eq!(live(&e, "staging", "prompt_version", "chatbot").as_deref(), Some("1.0.0"));
    assert_eq!(e.get_deployment(P, &bad.id).unwrap().status, DeploymentStatus::RolledBack);
    assert_eq!(env_health(&e, "staging"), Health::Down);
    // The audit names the trigger and its figures.
    let entry = e.audit_log(P, Some(&bad.id), 0, None).unwrap().into_iter().find(|a| a.action == "deployment.verification_failed").unwrap();
    assert_eq!(entry.actor_id, "monitor");
    assert_eq!(entry.after["check"]["consecutive_failures"], 4);
    // A rolled-back deployment takes no more checks; the live one (the rollback) does, and a
    // passing check makes the environment healthy again.
    assert_eq!(e.report_health(P, &bad.id, &failed(), &probe, &NoopExecutor).unwrap_err().code(), ErrorCode::InvalidTransition);
    assert_eq!(e.report_health(P, &r.id, &ok(100.0), &probe, &NoopExecutor).unwrap().health, Health::Healthy);
    let kinds: Vec<_> = e.events_after(Some(P), 0, Some(1000)).unwrap().into_iter().map(|ev| ev.kind).collect();
    assert!(kinds.iter().filter(|k| *k == "environment.health_changed").count() >= 3, "{kinds:?}");
    assert!(e.verify_audit().is_ok());
}

#[test]
fn a_passing_check_resets_the_count() {
    let (e, _clock) = engine();
    ship(&e, "1.0.0");
    let d = ship(&e, "1.1.0");
    let probe = admin("monitor");
    for _ in 0..3 {
        e.report_health(P, &d.id, &failed(), &probe, &NoopExecutor).unwrap();
    }
    assert_eq!(e.report_health(P, &d.id, &ok(100.0), &probe, &NoopExecutor).unwrap().check.consecutive_failures, 0);
    let out = e.report_health(P, &d.id, &failed(), &probe, &NoopExecutor).unwrap();
    assert_eq!(out.check.consecutive_failures, 1);
    assert!(out.rollback.is_none());
    assert_eq!(e.health_checks(P, &d.id).unwrap().len(), 5);
}

#[test]
fn error_rate_and_latency_against_the_baseline() {
    let (e, _clock) = engine();
    let first = ship(&e, "1.0.0");
    let probe = admin("monitor");
    // The baseline is the replaced deployment's last passing p95: 200 ms.
    e.report_health(P, &first.id, &ok(180.0), &probe, &NoopExecutor).unwrap();
    e.report_health(P, &first.id, &ok(200.0), &probe, &NoopExecutor).unwrap();
    let second = ship(&e, "1.1.0");
    let out = e.report_health(P, &second.id, &ok(300.0), &probe, &NoopExecutor).unwrap();
    assert_eq!(out.check.baseline_p95_ms, Some(200.0));
    assert!(out.check.breaches.is_empty(), "exactly 150 % is not above it");
    let out = e.report_health(P, &second.id, &ok(301.0), &probe, &NoopExecutor).unwrap();
    assert_eq!(out.check.breaches, ["p95 latency 301 ms above 1.5 × the baseline 200 ms"]);
    assert_eq!(out.rollback.unwrap().status, DeploymentStatus::Deployed);
    assert_eq!(live(&e, "staging", "prompt_version", "chatbot").as_deref(), Some("1.0.0"));
    // Error rate, with auto rollback off: the breach is reported and audited, nothing rolls back.
    let mut policy = e.get_environment(P, "staging").unwrap().policy;
    policy.health.auto_rollback = false;
    e.set_policy(P, "staging", &policy, &admin("root")).unwrap();
    let third = ship(&e, "1.2.0");
    let high = HealthReport { ok: true, error_rate: Some(0.06), p95_latency_ms: None };
    let out = e.report_health(P, &third.id, &high, &probe, &NoopExecutor).unwrap();
    assert_eq!(out.check.breaches, ["error rate 0.06 above 0.05"]);
    assert!(out.rollback.is_none() && out.rollback_error.is_none());
    assert_eq!(out.health, Health::Down);
    assert_eq!(live(&e, "staging", "prompt_version", "chatbot").as_deref(), Some("1.2.0"));
}

#[test]
fn a_breach_with_nothing_to_return_to_says_why() {
    let (e, _clock) = engine();
    let only = ship(&e, "1.0.0");
    let high = HealthReport { ok: false, error_rate: Some(0.5), p95_latency_ms: None };
    let out = e.report_health(P, &only.id, &high, &admin("monitor"), &NoopExecutor).unwrap();
    assert!(out.rollback.is_none());
    assert!(out.rollback_error.unwrap().contains("no earlier deployment"), "first version: nothing to roll back to");
    assert_eq!(live(&e, "staging", "prompt_version", "chatbot").as_deref(), Some("1.0.0"));
}

#[test]
fn bad_reports_are_refused_and_nothing_is_stored() {
    let (e, _clock) = engine();
    let d = ship(&e, "1.0.0");
    let probe = admin("monitor");
    for bad in [
        HealthReport { ok: true, error_rate: Some(1.5), p95_latency_ms: None },
        HealthReport { ok: true, error_rate: Some(f64::NAN), p95_latency_ms: None },
        HealthReport { ok: true, error_rate: None, p95_latency_ms: Some(-1.0) },
    ] {
        assert_eq!(e.report_health(P, &d.id, &bad, &probe, &NoopExecutor).unwrap_err().code(), ErrorCode::InvalidInput);
    }
    assert_eq!(e.report_health(P, "nope", &failed(), &probe, &NoopExecutor).unwrap_err().code(), ErrorCode::NotFound);
    assert!(e.health_checks(P, &d.id).unwrap().is_empty());
    let mut p = Policy::staging();
    p.health.max_error_rate = 2.0;
    assert_eq!(e.set_policy(P, "staging", &p, &admin("root")).unwrap_err().code(), ErrorCode::InvalidInput);
    assert!(serde_json::from_str::<HealthReport>(r#"{"ok":true,"latency":3}"#).is_err());
}
