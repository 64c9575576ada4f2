//! Two-phase execution (begin, log, heartbeat, complete) and guided failure (pause, then retry,
//! skip or abort).
#![allow(clippy::unwrap_used, reason = "test helpers unwrap: a failure is the test failing")]

mod common;
use std::sync::Mutex;

use chrono::Duration;
use common::*;
use deploygov::engine::{MAX_LOG_LINE_BYTES, MAX_LOG_LINES, MAX_STAGE_BYTES};
use deploygov::*;

fn approved_dev(e: &Engine, items: &[(&str, &str)]) -> Deployment {
    let specs = items
        .iter()
        .map(|(id, tag)| {
            register(e, "prompt_version", id, tag);
            item("prompt_version", id, tag)
        })
        .collect();
    let d = e.request_deployment(P, &request("development", specs), &admin("alice")).unwrap();
    assert_eq!(d.status, DeploymentStatus::Approved);
    d
}

#[test]
fn begin_log_heartbeat_complete() {
    let (e, clock) = engine();
    let d = approved_dev(&e, &[("chatbot", "1.0.0"), ("faq", "2.0.0")]);
    let started = e.begin(P, &d.id, &admin("alice"), &ExecuteOptions::default()).unwrap();
    assert_eq!(started.status, DeploymentStatus::Deploying);
    let lease = started.lease_expires_at.unwrap();
    for (stage, line) in [("build", "compiling"), ("build", "ok"), ("upload", "sent 3 MB"), ("deploy", "switching"), ("verify", "200 OK")] {
        e.log(P, &d.id, stage, line).unwrap();
    }
    let first = e.deployment_logs(P, &d.id, 0, Some(2)).unwrap();
    assert_eq!(first.lines.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(), ["compiling", "ok"]);
    assert!(first.open);
    let rest = e.deployment_logs(P, &d.id, first.next_cursor, None).unwrap();
    assert_eq!(rest.lines.iter().map(|l| l.stage.as_str()).collect::<Vec<_>>(), ["upload", "deploy", "verify"]);
    let none = e.deployment_logs(P, &d.id, rest.next_cursor, None).unwrap();
    assert!(none.lines.is_empty());
    assert_eq!(none.next_cursor, rest.next_cursor, "follow mode: the cursor stays");
    // A heartbeat moves the lease, so a sweep after the first lease ends leaves it alone.
    clock.advance(Duration::minutes(50));
    let beat = e.heartbeat(P, &d.id, &admin("alice")).unwrap();
    assert!(beat.lease_expires_at.unwrap() > lease);
    clock.advance(Duration::minutes(30));
    assert!(e.sweep().unwrap().leases_expired.is_empty());
    // Someone else may not drive it; an admin may.
    assert_eq!(e.heartbeat(P, &d.id, &developer("dave")).unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(e.complete(P, &d.id, &developer("dave"), &Completion::Success).unwrap_err().code(), ErrorCode::Forbidden);
    let done = e.complete(P, &d.id, &admin("bob"), &Completion::Success).unwrap();
    assert_eq!(done.status, DeploymentStatus::Deployed);
    assert_eq!(live(&e, "development", "prompt_version", "faq").as_deref(), Some("2.0.0"));
    assert!(!e.deployment_logs(P, &d.id, 0, None).unwrap().open);
    // Finished: no more logs, heartbeats or completions.
    assert_eq!(e.log(P, &d.id, "verify", "late").unwrap_err().code(), ErrorCode::InvalidTransition);
    assert_eq!(e.heartbeat(P, &d.id, &admin("alice")).unwrap_err().code(), ErrorCode::InvalidTransition);
    assert_eq!(e.complete(P, &d.id, &admin("alice"), &Completion::Success).unwrap_err().code(), ErrorCode::InvalidTransition);
    let actions = audit_actions(&e, &d.id);
    assert!(actions.ends_with(&["deployment.started".to_owned(), "deployment.deployed".to_owned()]), "{actions:?}");
}

#[test]
fn a_failed_completion_leaves_the_active_state_alone() {
    let (e, _clock) = engine();
    let base = approved_dev(&e, &[("chatbot", "1.0.0")]);
    execute(&e, &base.id, &admin("alice"));
    let d = approved_dev(&e, &[("chatbot", "1.1.0"), ("faq", "1.0.0"), ("docs", "1.0.0")]);
    e.begin(P, &d.id, &admin("alice"), &ExecuteOptions::default()).unwrap();
    let bad = Completion::Failure { error: "  ".into(), failed_item: None };
    assert_eq!(e.complete(P, &d.id, &admin("alice"), &bad).unwrap_err().code(), ErrorCode::InvalidInput);
    let out_of_range = Completion::Failure { error: "x".into(), failed_item: Some(3) };
    assert_eq!(e.complete(P, &d.id, &admin("alice"), &out_of_range).unwrap_err().code(), ErrorCode::InvalidInput);
    let failure = Completion::Failure { error: "health check failed".into(), failed_item: Some(1) };
    let failed = e.complete(P, &d.id, &admin("alice"), &failure).unwrap();
    assert_eq!(failed.status, DeploymentStatus::Failed);
    let statuses: Vec<_> = failed.items.iter().map(|i| i.status).collect();
    assert_eq!(statuses, [ItemStatus::Reverted, ItemStatus::Failed, ItemStatus::Skipped]);
    assert_eq!(failed.items[1].error_message.as_deref(), Some("health check failed"));
    assert_eq!(live(&e, "development", "prompt_version", "chatbot").as_deref(), Some("1.0.0"));
    assert_eq!(live(&e, "development", "prompt_version", "faq"), None);
    // The JSON shape hosts send.
    let parsed: Completion = serde_json::from_str(r#"{"outcome":"failure","error":"boom"}"#).unwrap();
    assert_eq!(parsed, Completion::Failure { error: "boom".into(), failed_item: None });
    assert!(serde_json::from_str::<Completion>(r#"{"outcome":"maybe"}"#).is_err());
    for bad in [
        r#"{"outcome":"success","error":"x"}"#,
        r#"{"outcome":"success","failed_item":0}"#,
        r#"{"outcome":"failure"}"#,
        r#"{"outcome":"failure","error":"x","extra":1}"#,
    ] {
        assert!(serde_json::from_str::<Completion>(bad).is_err(), "{bad}");
    }
    assert_eq!(serde_json::from_str::<Completion>(r#"{"outcome":"success"}"#).unwrap(), Completion::Success);
    assert_eq!(serde_json::to_string(&Completion::Success).unwrap(), r#"{"outcome":"success"}"#);
}

#[test]
fn a_lease_that_runs_out_fails_the_pipeline_and_complete_is_refused() {
    let (e, clock) = engine();
    let d = approved_dev(&e, &[("chatbot", "1.0.0")]);
    e.begin(P, &d.id, &admin("alice"), &ExecuteOptions::default()).unwrap();
    clock.advance(Duration::hours(2));
    assert_eq!(e.sweep().unwrap().leases_expired, std::slice::from_ref(&d.id));
    let err = e.complete(P, &d.id, &admin("alice"), &Completion::Success).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidTransition, "{err}");
    assert_eq!(live(&e, "development", "prompt_version", "chatbot"), None);
}

#[test]
fn logs_are_bounded_and_say_how_many_were_dropped() {
    let (e, _clock) = engine();
    let d = approved_dev(&e, &[("chatbot", "1.0.0")]);
    e.begin(P, &d.id, &admin("alice"), &ExecuteOptions::default()).unwrap();
    let extra = 25;
    for i in 0..(MAX_LOG_LINES + extra) {
        e.log(P, &d.id, "build", &format!("line {i}")).unwrap();
    }
    let page = e.deployment_logs(P, &d.id, 0, Some(3)).unwrap();
    assert_eq!(page.dropped, u64::from(extra));
    assert_eq!(page.lines[0].line, format!("line {extra}"), "the oldest lines went");
    let mut total = 0;
    let mut cursor = 0;
    loop {
        let p = e.deployment_logs(P, &d.id, cursor, Some(5_000)).unwrap();
        if p.lines.is_empty() {
            break;
        }
        total += p.lines.len();
        cursor = p.next_cursor;
    }
    assert_eq!(total, MAX_LOG_LINES as usize);
    // Bad input.
    assert_eq!(e.log(P, &d.id, "", "x").unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.log(P, &d.id, &"s".repeat(MAX_STAGE_BYTES + 1), "x").unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.log(P, &d.id, "build", &"x".repeat(MAX_LOG_LINE_BYTES + 1)).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.log(P, "nope", "build", "x").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(e.deployment_logs(P, &d.id, -1, None).unwrap_err().code(), ErrorCode::InvalidInput);
}

/// Fails the entities in `failing` (once each when `once`), records every call.
struct Flaky {
    failing: Vec<&'static str>,
    once: bool,
    calls: Mutex<Vec<String>>,
}

impl Executor for Flaky {
    fn activate(&self, a: &Activation<'_>) -> Result<(), String> {
        let mut calls = self.calls.lock().unwrap();
        let fails = self.failing.contains(&a.entity_id)
            && !a.revert
            && (!self.once || !calls.iter().any(|c| c == &format!("fail {}", a.entity_id)));
        calls.push(format!(
            "{} {}",
            if fails {
                "fail"
            } else if a.revert {
                "revert"
            } else {
                "activate"
            },
            a.entity_id
        ));
        if fails { Err(format!("{} is down", a.entity_id)) } else { Ok(()) }
    }
}

fn pausing(e: &Engine) {
    let mut p = Policy::development();
    p.on_failure = FailureMode::Pause;
    p.execute_roles = vec!["admin".into()];
    e.set_policy(P, "development", &p, &admin("root")).unwrap();
}

#[test]
fn pause_then_retry_goes_live() {
    let (e, _clock) = engine();
    pausing(&e);
    let d = approved_dev(&e, &[("a", "1.0.0"), ("b", "1.0.0"), ("c", "1.0.0")]);
    let x = Flaky { failing: vec!["b"], once: true, calls: Mutex::new(vec![]) };
    let paused = e.execute(P, &d.id, &admin("alice"), &x, &ExecuteOptions::default()).unwrap();
    assert_eq!(paused.status, DeploymentStatus::Paused);
    assert_eq!(paused.items.iter().map(|i| i.status).collect::<Vec<_>>(), [ItemStatus::Deployed, ItemStatus::Failed, ItemStatus::Pending]);
    assert_eq!(live(&e, "development", "prompt_version", "a"), None, "nothing is live while paused");
    // The environment stays taken, and the lease does not expire it.
    let other = approved_dev(&e, &[("z", "1.0.0")]);
    assert_eq!(
        e.execute(P, &other.id, &admin("alice"), &NoopExecutor, &ExecuteOptions::default()).unwrap_err().code(),
        ErrorCode::Conflict
    );
    assert!(e.sweep().unwrap().leases_expired.is_empty());
    assert_eq!(e.resume(P, &d.id, &developer("dave"), &x, ResumeDecision::Retry, None).unwrap_err().code(), ErrorCode::Forbidden);
    let done = e.resume(P, &d.id, &admin("alice"), &x, ResumeDecision::Retry, None).unwrap();
    assert_eq!(done.status, DeploymentStatus::Deployed);
    assert_eq!(*x.calls.lock().unwrap(), ["activate a", "fail b", "activate b", "activate c"]);
    for id in ["a", "b", "c"] {
        assert_eq!(live(&e, "development", "prompt_version", id).as_deref(), Some("1.0.0"));
    }
    let actions = audit_actions(&e, &d.id);
    assert!(actions.contains(&"deployment.paused".to_owned()) && actions.contains(&"deployment.resumed".to_owned()), "{actions:?}");
    assert_eq!(e.resume(P, &d.id, &admin("alice"), &x, ResumeDecision::Retry, None).unwrap_err().code(), ErrorCode::InvalidTransition);
}

#[test]
fn pause_then_skip_leaves_the_item_out() {
    let (e, _clock) = engine();
    pausing(&e);
    let d = approved_dev(&e, &[("a", "1.0.0"), ("b", "1.0.0"), ("c", "1.0.0")]);
    let x = Flaky { failing: vec!["b"], once: false, calls: Mutex::new(vec![]) };
    e.execute(P, &d.id, &admin("alice"), &x, &ExecuteOptions::default()).unwrap();
    assert_eq!(e.resume(P, &d.id, &admin("alice"), &x, ResumeDecision::Skip, None).unwrap_err().code(), ErrorCode::InvalidInput);
    let done = e.resume(P, &d.id, &admin("alice"), &x, ResumeDecision::Skip, Some("b is optional")).unwrap();
    assert_eq!(done.status, DeploymentStatus::Deployed);
    assert_eq!(done.items.iter().map(|i| i.status).collect::<Vec<_>>(), [ItemStatus::Deployed, ItemStatus::Skipped, ItemStatus::Deployed]);
    assert_eq!(live(&e, "development", "prompt_version", "b"), None);
    assert_eq!(live(&e, "development", "prompt_version", "c").as_deref(), Some("1.0.0"));
}

#[test]
fn pause_then_abort_reverts_everything_and_a_second_failure_pauses_again() {
    let (e, _clock) = engine();
    pausing(&e);
    let d = approved_dev(&e, &[("a", "1.0.0"), ("b", "1.0.0"), ("c", "1.0.0"), ("d", "1.0.0")]);
    let x = Flaky { failing: vec!["b", "d"], once: false, calls: Mutex::new(vec![]) };
    e.execute(P, &d.id, &admin("alice"), &x, &ExecuteOptions::default()).unwrap();
    let again = e.resume(P, &d.id, &admin("alice"), &x, ResumeDecision::Skip, Some("optional")).unwrap();
    assert_eq!(again.status, DeploymentStatus::Paused, "d failed next");
    let aborted = e.resume(P, &d.id, &admin("alice"), &x, ResumeDecision::Abort, Some("give up")).unwrap();
    assert_eq!(aborted.status, DeploymentStatus::Failed);
    assert_eq!(
        aborted.items.iter().map(|i| i.status).collect::<Vec<_>>(),
        [ItemStatus::Reverted, ItemStatus::Skipped, ItemStatus::Reverted, ItemStatus::Failed]
    );
    let calls = x.calls.lock().unwrap().clone();
    assert_eq!(calls, ["activate a", "fail b", "activate c", "fail d", "revert c", "revert a"], "skipped items are not reverted");
    for id in ["a", "b", "c", "d"] {
        assert_eq!(live(&e, "development", "prompt_version", id), None);
    }
    // The environment is free again.
    let next = approved_dev(&e, &[("z", "1.0.0")]);
    assert_eq!(execute(&e, &next.id, &admin("alice")).status, DeploymentStatus::Deployed);
    assert!(e.verify_audit().is_ok());
}

#[test]
fn skipping_every_item_fails_the_deployment() {
    let (e, _clock) = engine();
    pausing(&e);
    let d = approved_dev(&e, &[("a", "1.0.0")]);
    let x = Flaky { failing: vec!["a"], once: false, calls: Mutex::new(vec![]) };
    e.execute(P, &d.id, &admin("alice"), &x, &ExecuteOptions::default()).unwrap();
    let out = e.resume(P, &d.id, &admin("alice"), &x, ResumeDecision::Skip, Some("not needed")).unwrap();
    assert_eq!(out.status, DeploymentStatus::Failed);
    assert!("later".parse::<ResumeDecision>().is_err());
}
