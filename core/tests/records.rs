//! Environment configuration (unset, compare, secrets never in clear), build artifacts and their
//! retention, deployment error tracking, and the compliance and metrics reports.
#![allow(clippy::unwrap_used, reason = "test helpers unwrap: a failure is the test failing")]

mod common;

use chrono::Duration;
use common::*;
use deploygov::*;
use sha2::{Digest, Sha256};

const SECRET: &str = "hunter2-very-secret";

fn var(key: &str, value: &str, secret: bool) -> Variable {
    Variable { key: key.into(), value: value.into(), secret }
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| (*s).to_owned()).collect()
}

/// Requests and executes a development deployment (automatically approved).
fn ship_dev(e: &Engine, tag: &str) -> Deployment {
    let d = e.request_deployment(P, &request("development", vec![item("app_build", "web", tag)]), &admin("alice")).unwrap();
    execute(e, &d.id, &admin("alice"))
}

fn attach(e: &Engine, tag: &str, name: &str) -> Artifact {
    let spec = ArtifactSpec {
        entity_type: "app_build".into(),
        entity_id: "web".into(),
        version_tag: tag.into(),
        name: name.into(),
        uri: format!("s3://builds/web/{tag}/{name}"),
        digest: Some(format!("sha256:{tag}")),
        size_bytes: Some(1024),
    };
    e.attach_artifact(P, &spec, &admin("ci")).unwrap()
}

fn with_retention(e: &Engine, env: &str, n: Option<u32>) {
    let mut policy = e.get_environment(P, env).unwrap().policy;
    policy.artifact_retention = n;
    e.set_policy(P, env, &policy, &admin("root")).unwrap();
}

fn prunable_tags(e: &Engine) -> Vec<String> {
    e.prunable_artifacts(P).unwrap().into_iter().map(|a| a.version_tag).collect()
}

/// Every audit entry, event and deployment of the project, as JSON text.
fn everything_stored(e: &Engine) -> String {
    let audit = e.audit_log(P, None, 0, Some(500)).unwrap();
    let events = e.events_after(Some(P), 0, Some(1000)).unwrap();
    let deployments = all_deployments(e);
    let envs = e.list_environments(P).unwrap();
    serde_json::to_string(&(audit, events, deployments, envs)).unwrap()
}

// ---- environment variables ----

#[test]
fn unset_variables_removes_keys_and_audits_without_secrets() {
    let (e, _) = engine();
    e.set_variables(P, "staging", &[var("A", "1", false), var("TOKEN", SECRET, true), var("B", "2", false)], &admin("root")).unwrap();
    let env = e.unset_variables(P, "staging", &keys(&["A", "TOKEN"]), &admin("root")).unwrap();
    assert_eq!(env.variables, vec![var("B", "2", false)]);
    assert_eq!(e.get_environment(P, "staging").unwrap().variables, vec![var("B", "2", false)]);
    let last = e.audit_log(P, Some("staging"), 0, Some(50)).unwrap().pop().unwrap();
    assert_eq!(last.action, "environment.variables_changed");
    let before = serde_json::to_string(&last.before).unwrap();
    assert!(before.contains("TOKEN") && before.contains("***"), "{before}");
    assert!(!everything_stored(&e).contains(SECRET));
    e.verify_audit().unwrap();
}

#[test]
fn unset_variables_refusals_change_nothing() {
    let (e, _) = engine();
    e.set_variables(P, "staging", &[var("A", "1", false)], &admin("root")).unwrap();
    let entries = audit_count(&e);
    let unknown = e.unset_variables(P, "staging", &keys(&["A", "NOPE"]), &admin("root")).unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::NotFound, "{unknown}");
    assert!(unknown.to_string().contains("`NOPE`"), "{unknown}");
    let dev = e.unset_variables(P, "staging", &keys(&["A"]), &developer("dave")).unwrap_err();
    assert_eq!(dev.code(), ErrorCode::Forbidden);
    assert_eq!(e.unset_variables(P, "staging", &[], &admin("root")).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.unset_variables(P, "staging", &keys(&["A", "A"]), &admin("root")).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.unset_variables(P, "staging", &keys(&[""]), &admin("root")).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.unset_variables(P, "nowhere", &keys(&["A"]), &admin("root")).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(e.get_environment(P, "staging").unwrap().variables, vec![var("A", "1", false)]);
    assert_eq!(audit_count(&e), entries, "a refused command writes nothing");
}

#[test]
fn unset_variables_voids_approvals_of_the_old_content() {
    let (e, _) = engine();
    register(&e, "app_build", "web", "1.0.0");
    e.set_variables(P, "staging", &[var("A", "1", false)], &admin("root")).unwrap();
    let d = e.request_deployment(P, &request("staging", vec![item("app_build", "web", "1.0.0")]), &developer("dave")).unwrap();
    assert_eq!(approve(&e, &d.id, &lead("lena")).status, DeploymentStatus::Approved);
    e.unset_variables(P, "staging", &keys(&["A"]), &admin("root")).unwrap();
    let d = e.get_deployment(P, &d.id).unwrap();
    assert_eq!(d.status, DeploymentStatus::Pending);
    assert!(d.config_snapshot.is_empty());
    assert_eq!(audit_actions(&e, &d.id).last().map(String::as_str), Some("deployment.approvals_voided"));
}

#[test]
fn compare_variables_masks_secrets_and_compares_them_by_hash() {
    let (e, _) = engine();
    let root = admin("root");
    e.set_variables(
        P,
        "staging",
        &[var("A", "1", false), var("B", "2", false), var("S", SECRET, true), var("T", "x", true), var("ONLY_LEFT", "l", false)],
        &root,
    )
    .unwrap();
    e.set_variables(P, "production", &[var("A", "1", false), var("B", "3", false), var("S", SECRET, true), var("T", "x", false)], &root)
        .unwrap();
    let diff = e.compare_variables(P, "staging", "production").unwrap();
    let hash = hex::encode(Sha256::digest(SECRET.as_bytes()));
    let by_key = |k: &str| diff.iter().find(|d| d.key == k).unwrap().clone();
    assert_eq!(diff.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), ["A", "B", "ONLY_LEFT", "S", "T"]);
    assert_eq!(by_key("A"), VariableDiff { key: "A".into(), left: Some("1".into()), right: Some("1".into()), secret: false, equal: true });
    assert!(!by_key("B").equal);
    assert_eq!((by_key("ONLY_LEFT").right, by_key("ONLY_LEFT").equal), (None, false));
    let s = by_key("S");
    assert_eq!((s.left.as_deref(), s.right.as_deref(), s.secret, s.equal), (Some("***"), Some("***"), true, true));
    assert!(!serde_json::to_string(&s).unwrap().contains(&hash), "no hash of a secret either");
    // Secret on one side only: never equal, and the clear side shows its (non-secret) value.
    let t = by_key("T");
    assert_eq!((t.left.as_deref(), t.right.as_deref(), t.secret, t.equal), (Some("***"), Some("x"), true, false));
    let json = serde_json::to_string(&diff).unwrap();
    assert!(!json.contains(SECRET), "{json}");
    // A different secret value: same mask, different hash, not equal.
    e.set_variables(P, "production", &[var("S", "other", true)], &root).unwrap();
    let s = e.compare_variables(P, "staging", "production").unwrap().into_iter().find(|d| d.key == "S").unwrap();
    assert!(!s.equal);
    assert_eq!(e.compare_variables(P, "staging", "nowhere").unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn secrets_never_appear_in_snapshots_audit_or_events() {
    let (e, _) = engine();
    register(&e, "app_build", "web", "1.0.0");
    register(&e, "app_build", "web", "1.1.0");
    e.set_variables(P, "development", &[var("DB_PASSWORD", SECRET, true), var("REGION", "eu", false)], &admin("root")).unwrap();
    let d = ship_dev(&e, "1.0.0");
    assert_eq!(d.config_snapshot, vec![var("DB_PASSWORD", "***", true), var("REGION", "eu", false)]);
    // The executor, and only it, sees the clear value.
    let seen = std::sync::Mutex::new(Vec::new());
    let spy = |a: &Activation<'_>| -> Result<(), String> {
        seen.lock().unwrap().extend(a.environment.variables.iter().map(|v| v.value.clone()));
        Ok(())
    };
    let d2 = e.request_deployment(P, &request("development", vec![item("app_build", "web", "1.1.0")]), &admin("alice")).unwrap();
    let d2 = e.execute(P, &d2.id, &admin("alice"), &spy, &ExecuteOptions::default()).unwrap();
    assert!(seen.lock().unwrap().iter().any(|v| v == SECRET));
    assert!(d2.config_snapshot.iter().all(|v| v.value != SECRET));
    e.set_variables(P, "development", &[var("DB_PASSWORD", "rotated-secret", true)], &admin("root")).unwrap();
    e.unset_variables(P, "development", &keys(&["DB_PASSWORD"]), &admin("root")).unwrap();
    e.compare_variables(P, "development", "staging").unwrap();
    let stored = everything_stored(&e);
    assert!(!stored.contains(SECRET) && !stored.contains("rotated-secret"), "a secret leaked");
}

// ---- artifacts ----

#[test]
fn attach_and_list_artifacts() {
    let (e, _) = engine();
    register(&e, "app_build", "web", "1.0.0");
    register(&e, "app_build", "web", "1.1.0");
    let a = attach(&e, "1.0.0", "image");
    assert_eq!((a.created_by.as_str(), a.size_bytes, a.project_id.as_str()), ("ci", Some(1024), P));
    assert_eq!(attach(&e, "1.0.0", "image"), a, "the same artifact again is a no-op");
    let b = attach(&e, "1.0.0", "sbom");
    let c = attach(&e, "1.1.0", "image");
    assert_eq!(e.list_artifacts(P, "app_build", "web", Some("1.0.0")).unwrap(), vec![a.clone(), b.clone()]);
    assert_eq!(e.list_artifacts(P, "app_build", "web", None).unwrap(), vec![a.clone(), b, c]);
    assert!(e.list_artifacts(P, "app_build", "other", None).unwrap().is_empty());
    assert_eq!(audit_actions(&e, &a.id), ["artifact.attached"]);

    let spec = |tag: &str, uri: &str| ArtifactSpec {
        entity_type: "app_build".into(),
        entity_id: "web".into(),
        version_tag: tag.into(),
        name: "image".into(),
        uri: uri.into(),
        ..Default::default()
    };
    let ci = admin("ci");
    assert_eq!(e.attach_artifact(P, &spec("1.0.0", "s3://elsewhere"), &ci).unwrap_err().code(), ErrorCode::Conflict);
    assert_eq!(e.attach_artifact(P, &spec("9.9.9", "s3://x"), &ci).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(e.attach_artifact("nope", &spec("1.0.0", "s3://x"), &ci).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(e.attach_artifact(P, &spec("1.0.0", " "), &ci).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.attach_artifact(P, &spec("1.0.0", "s3://a\nb"), &ci).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(
        e.attach_artifact(P, &ArtifactSpec { name: String::new(), ..spec("1.0.0", "s3://x") }, &ci).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(e.list_artifacts(P, "app_build", "web", Some("9.9.9")).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(e.list_artifacts("nope", "app_build", "web", None).unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn never_deployed_and_live_versions_are_kept() {
    let (e, _) = engine();
    with_retention(&e, "development", Some(1));
    for tag in ["1.0.0", "2.0.0"] {
        register(&e, "app_build", "web", tag);
        attach(&e, tag, "image");
    }
    assert!(prunable_tags(&e).is_empty(), "nothing went live");
    ship_dev(&e, "1.0.0");
    assert!(prunable_tags(&e).is_empty(), "1.0.0 is live, 2.0.0 never went live");
}

#[test]
fn retention_keeps_live_last_known_good_and_the_last_n_deployments() {
    let (e, _) = engine();
    for tag in ["1.0.0", "2.0.0", "3.0.0", "4.0.0"] {
        register(&e, "app_build", "web", tag);
        attach(&e, tag, "image");
        ship_dev(&e, tag);
    }
    // No retention: everything is kept.
    assert!(prunable_tags(&e).is_empty());
    // Last 1: 4.0.0 is live (and the window), 3.0.0 the last known good.
    with_retention(&e, "development", Some(1));
    assert_eq!(prunable_tags(&e), ["1.0.0", "2.0.0"]);
    with_retention(&e, "development", Some(3));
    assert_eq!(prunable_tags(&e), ["1.0.0"]);
    with_retention(&e, "development", Some(4));
    assert!(prunable_tags(&e).is_empty());
}

#[test]
fn rolled_back_versions_are_not_last_known_good() {
    let (e, _) = engine();
    with_retention(&e, "development", Some(1));
    let mut shipped = Vec::new();
    for tag in ["1.0.0", "2.0.0", "3.0.0"] {
        register(&e, "app_build", "web", tag);
        attach(&e, tag, "image");
        shipped.push(ship_dev(&e, tag));
    }
    let r = e.rollback(P, &shipped[2].id, &admin("alice"), &NoopExecutor, &rb("broken")).unwrap();
    assert_eq!(r.status, DeploymentStatus::Deployed);
    assert_eq!(live(&e, "development", "app_build", "web").as_deref(), Some("2.0.0"));
    // 2.0.0 is live again (through the rollback), 3.0.0 was rolled back: it is no rollback
    // target; the last known good deployment other than the live rollback is the 2.0.0 one.
    assert_eq!(prunable_tags(&e), ["1.0.0", "3.0.0"]);
}

#[test]
fn last_known_good_of_another_environment_is_kept() {
    let (e, _) = engine();
    with_retention(&e, "development", Some(1));
    with_retention(&e, "staging", Some(1));
    for tag in ["1.0.0", "2.0.0", "3.0.0"] {
        register(&e, "app_build", "web", tag);
        attach(&e, tag, "image");
    }
    ship_staging(&e, vec![item("app_build", "web", "1.0.0")]);
    ship_staging(&e, vec![item("app_build", "web", "2.0.0")]);
    for tag in ["1.0.0", "2.0.0", "3.0.0"] {
        ship_dev(&e, tag);
    }
    // development: 3.0.0 live, 2.0.0 last known good; staging: 2.0.0 live, 1.0.0 last known good.
    assert!(prunable_tags(&e).is_empty());
    register(&e, "app_build", "web", "4.0.0");
    ship_staging(&e, vec![item("app_build", "web", "3.0.0")]);
    ship_staging(&e, vec![item("app_build", "web", "4.0.0")]);
    // staging: 4.0.0 live, 3.0.0 last known good; 1.0.0 and 2.0.0 are free everywhere.
    assert_eq!(prunable_tags(&e), ["1.0.0"], "2.0.0 is still development's last known good");
    ship_dev(&e, "4.0.0");
    assert_eq!(prunable_tags(&e), ["1.0.0", "2.0.0"]);
    // An environment without retention keeps what went live there.
    with_retention(&e, "staging", None);
    assert!(prunable_tags(&e).is_empty());
}

#[test]
fn prune_deletes_audits_and_refuses_what_is_not_prunable() {
    let (e, _) = engine();
    with_retention(&e, "development", Some(1));
    let mut arts = Vec::new();
    for tag in ["1.0.0", "2.0.0", "3.0.0"] {
        register(&e, "app_build", "web", tag);
        arts.push(attach(&e, tag, "image"));
        ship_dev(&e, tag);
    }
    let root = admin("root");
    let (old, lkg, live_one) = (arts[0].id.clone(), arts[1].id.clone(), arts[2].id.clone());
    let entries = audit_count(&e);
    // All or nothing: one unprunable id refuses the whole call, naming it.
    let refused = e.prune_artifacts(P, &[old.clone(), lkg.clone(), live_one.clone()], &root, "cleanup").unwrap_err();
    assert_eq!(refused.code(), ErrorCode::PolicyViolation);
    let msg = refused.to_string();
    assert!(msg.contains(&format!("`{lkg}`")) && msg.contains("last known good") && msg.contains("live in `development`"), "{msg}");
    assert!(!msg.contains(&format!("`{old}`")), "{msg}");
    assert_eq!(audit_count(&e), entries);
    assert_eq!(e.list_artifacts(P, "app_build", "web", None).unwrap().len(), 3);
    assert_eq!(e.prune_artifacts(P, std::slice::from_ref(&old), &developer("dave"), "cleanup").unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(e.prune_artifacts(P, std::slice::from_ref(&old), &root, " ").unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.prune_artifacts(P, &[], &root, "cleanup").unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.prune_artifacts(P, &[old.clone(), old.clone()], &root, "cleanup").unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.prune_artifacts(P, &keys(&["missing"]), &root, "cleanup").unwrap_err().code(), ErrorCode::NotFound);

    let pruned = e.prune_artifacts(P, std::slice::from_ref(&old), &root, "retention").unwrap();
    assert_eq!(pruned, vec![arts[0].clone()]);
    assert_eq!(e.list_artifacts(P, "app_build", "web", None).unwrap(), arts[1..].to_vec());
    assert!(e.prunable_artifacts(P).unwrap().is_empty());
    // The audit entry outlives the artifact, with all of it in `before`.
    let entry = e.audit_log(P, Some(&old), 0, Some(50)).unwrap().pop().unwrap();
    assert_eq!((entry.action.as_str(), entry.reason.as_deref()), ("artifact.pruned", Some("retention")));
    assert_eq!(entry.before, serde_json::to_value(&arts[0]).unwrap());
    assert_eq!(entry.after, serde_json::Value::Null);
    assert_eq!(e.prune_artifacts(P, std::slice::from_ref(&old), &root, "again").unwrap_err().code(), ErrorCode::NotFound);
    let events = e.events_after(Some(P), 0, Some(1000)).unwrap();
    assert!(events.iter().any(|ev| ev.kind == "artifact.pruned" && ev.object_id == old));
    e.verify_audit().unwrap();
}

// ---- deployment errors ----

fn error_spec(deployment_id: &str, severity: ErrorSeverity) -> ErrorSpec {
    ErrorSpec {
        deployment_id: deployment_id.into(),
        category: ErrorCategory::Network,
        severity,
        code: "DB_CONN_TIMEOUT".into(),
        stage: "verify".into(),
        message: "connection to db timed out\n  at pool.rs:12".into(),
        user_impact: Some("checkout unavailable".into()),
        business_impact: None,
    }
}

#[test]
fn deployment_errors_are_recorded_resolved_and_listed() {
    let (e, clock) = engine();
    register(&e, "app_build", "web", "1.0.0");
    let dev = ship_dev(&e, "1.0.0");
    let staging = ship_staging(&e, vec![item("app_build", "web", "1.0.0")]);
    let ci = admin("ci");
    let first = e.record_deployment_error(P, &error_spec(&dev.id, ErrorSeverity::Critical), &ci).unwrap();
    assert_eq!((first.environment.as_str(), first.recorded_by.as_str(), first.resolution.as_ref()), ("development", "ci", None));
    let second = e.record_deployment_error(P, &error_spec(&staging.id, ErrorSeverity::Low), &ci).unwrap();
    let third = e.record_deployment_error(P, &error_spec(&staging.id, ErrorSeverity::Critical), &ci).unwrap();

    clock.advance(Duration::minutes(5));
    let resolved = e.resolve_deployment_error(P, &third.id, &admin("oncall"), "  pool size raised  ").unwrap();
    let r = resolved.resolution.clone().unwrap();
    assert_eq!((r.resolved_by.as_str(), r.notes.as_str(), r.resolved_at), ("oncall", "pool size raised", clock.now()));
    let twice = e.resolve_deployment_error(P, &third.id, &admin("other"), "again").unwrap_err();
    assert_eq!(twice.code(), ErrorCode::Conflict);
    assert!(twice.to_string().contains("already resolved by `oncall`"), "{twice}");
    assert_eq!(e.resolve_deployment_error(P, "missing", &ci, "x").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(e.resolve_deployment_error(P, &second.id, &ci, " ").unwrap_err().code(), ErrorCode::InvalidInput);

    let list = |f: ErrorFilter| e.list_deployment_errors(P, &f).unwrap().into_iter().map(|x| x.id).collect::<Vec<_>>();
    assert_eq!(list(ErrorFilter::default()), [first.id.clone(), second.id.clone(), third.id.clone()]);
    assert_eq!(list(ErrorFilter { environment: Some("staging".into()), ..Default::default() }), [second.id.clone(), third.id.clone()]);
    assert_eq!(list(ErrorFilter { severity: Some(ErrorSeverity::Critical), ..Default::default() }), [first.id.clone(), third.id.clone()]);
    assert_eq!(list(ErrorFilter { unresolved_only: true, ..Default::default() }), [first.id.clone(), second.id.clone()]);
    let staging_unresolved_critical =
        ErrorFilter { environment: Some("staging".into()), severity: Some(ErrorSeverity::Critical), unresolved_only: true };
    assert!(list(staging_unresolved_critical).is_empty());
    assert_eq!(
        e.list_deployment_errors(P, &ErrorFilter { environment: Some("nowhere".into()), ..Default::default() }).unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(audit_actions(&e, &third.id), ["deployment_error.recorded", "deployment_error.resolved"]);
    e.verify_audit().unwrap();
}

#[test]
fn deployment_error_refusals() {
    let (e, _) = engine();
    let ci = admin("ci");
    assert_eq!(e.record_deployment_error(P, &error_spec("missing", ErrorSeverity::Low), &ci).unwrap_err().code(), ErrorCode::NotFound);
    register(&e, "app_build", "web", "1.0.0");
    let d = ship_dev(&e, "1.0.0");
    let empty = ErrorSpec { message: " ".into(), ..error_spec(&d.id, ErrorSeverity::Low) };
    assert_eq!(e.record_deployment_error(P, &empty, &ci).unwrap_err().code(), ErrorCode::InvalidInput);
    let no_code = ErrorSpec { code: String::new(), ..error_spec(&d.id, ErrorSeverity::Low) };
    assert_eq!(e.record_deployment_error(P, &no_code, &ci).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.record_deployment_error("nope", &error_spec(&d.id, ErrorSeverity::Low), &ci).unwrap_err().code(), ErrorCode::NotFound);
    // Unknown enum strings are `invalid_input`, parsed or deserialized.
    assert_eq!("fatal".parse::<ErrorSeverity>().unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!("cosmic".parse::<ErrorCategory>().unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!("security".parse::<ErrorCategory>().unwrap(), ErrorCategory::Security);
    let json =
        serde_json::json!({"deployment_id": d.id, "category": "cosmic", "severity": "low", "code": "X", "stage": "s", "message": "m"});
    let bad: Error = serde_json::from_value::<ErrorSpec>(json).unwrap_err().into();
    assert_eq!(bad.code(), ErrorCode::InvalidInput);
    assert_eq!(ErrorCategory::ALL.len(), 6);
    assert_eq!(ErrorSeverity::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["critical", "high", "medium", "low"]);
}

// ---- reports ----

fn failing(a: &Activation<'_>) -> Result<(), String> {
    if a.revert { Ok(()) } else { Err("disk full, \"quota\" exceeded".into()) }
}

#[test]
fn compliance_report_lists_every_governed_change() {
    let (e, clock) = engine();
    let start = clock.now();
    for tag in ["1.0.0", "2.0.0", "3.0.0", "4.0.0"] {
        register(&e, "app_build", "web", tag);
    }
    let (alice, bob, carol) = (admin("alice"), admin("bob"), admin("carol"));
    let prod = |tag: &str| e.request_deployment(P, &request("production", vec![item("app_build", "web", tag)]), &alice).unwrap();
    // Development is not governed: not in the report.
    ship_dev(&e, "1.0.0");
    clock.advance(Duration::minutes(1));
    let d1 = prod("1.0.0");
    approve(&e, &d1.id, &bob);
    approve(&e, &d1.id, &carol);
    execute(&e, &d1.id, &bob);
    clock.advance(Duration::minutes(1));
    let d2 = prod("2.0.0");
    let opts = ExecuteOptions { break_glass_reason: Some("outage, \"sev1\"\nline two".into()), ..Default::default() };
    e.execute(P, &d2.id, &carol, &NoopExecutor, &opts).unwrap();
    clock.advance(Duration::minutes(1));
    let r = e.rollback(P, &d2.id, &carol, &NoopExecutor, &rb("bad build")).unwrap();
    clock.advance(Duration::minutes(1));
    let d3 = prod("3.0.0");
    approve(&e, &d3.id, &bob);
    approve(&e, &d3.id, &carol);
    let failed = e.execute(P, &d3.id, &bob, &failing, &ExecuteOptions::default()).unwrap();
    assert_eq!(failed.status, DeploymentStatus::Failed);
    clock.advance(Duration::minutes(1));
    let d4 = prod("4.0.0");
    e.reject(P, &d4.id, &bob, "not now").unwrap();
    clock.advance(Duration::minutes(1));
    let end = clock.now();
    let _late = prod("4.0.0");

    let report = e.compliance_report(P, start, end, None).unwrap();
    assert_eq!(report.environments, ["staging", "production"], "the environments with approval rules");
    let ids: Vec<&str> = report.entries.iter().map(|x| x.deployment_id.as_str()).collect();
    assert_eq!(ids, [d1.id.as_str(), d2.id.as_str(), r.id.as_str(), d3.id.as_str(), d4.id.as_str()]);
    let [e1, e2, er, e3, e4] = &report.entries[..] else { panic!("five entries") };
    assert_eq!(
        (e1.approvers.clone(), e1.executed_by.as_deref(), e1.status),
        (vec!["bob".to_owned(), "carol".to_owned()], Some("bob"), DeploymentStatus::Superseded)
    );
    assert_eq!(e1.items[0].version_tag.as_deref(), Some("1.0.0"));
    let bg = e2.break_glass.clone().unwrap();
    assert_eq!((bg.actor_id.as_str(), e2.approvers.len(), e2.status), ("carol", 0, DeploymentStatus::RolledBack));
    assert_eq!(e2.rolled_back.as_ref().map(|d| d.actor_id.as_str()), Some("carol"));
    assert_eq!(
        (er.kind, er.rollback_of.as_deref(), er.rollback_to.as_deref()),
        (DeploymentKind::Rollback, Some(d2.id.as_str()), Some(d1.id.as_str()))
    );
    assert_eq!(e3.failures, ["app_build/web: disk full, \"quota\" exceeded"]);
    assert_eq!((e4.status, e4.refused.as_ref().map(|d| d.actor_id.as_str())), (DeploymentStatus::Rejected, Some("bob")));

    // JSON round trip and CSV (RFC 4180: quotes doubled, fields with , " or newlines quoted).
    let back: ComplianceReport = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
    assert_eq!(back, report);
    let csv = report.to_csv();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(lines[0].starts_with("deployment_id,environment,name,kind,status,items,requested_by"), "{}", lines[0]);
    assert!(csv.contains(",carol,\"outage, \"\"sev1\"\"\nline two\","), "{csv}");
    assert!(csv.contains(",\"app_build/web: disk full, \"\"quota\"\" exceeded\"\r\n"), "{csv}");
    assert!(csv.contains(",bob; carol,false,bob,"), "{csv}");
    assert!(csv.ends_with("\r\n"));
    // One header, one row per deployment (the break-glass reason spans two physical lines).
    assert_eq!(csv.matches("\r\n").count(), 1 + report.entries.len());

    // One environment, and a range before everything.
    let staging = e.compliance_report(P, start, end, Some("staging")).unwrap();
    assert!(staging.entries.is_empty());
    let dev = e.compliance_report(P, start, end, Some("development")).unwrap();
    assert_eq!(dev.entries.len(), 1);
    assert_eq!(e.compliance_report(P, end, start, None).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.compliance_report(P, start, end, Some("nowhere")).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(e.compliance_report("nope", start, end, None).unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn environment_metrics_on_a_hand_computed_history() {
    let (e, clock) = engine();
    let start = clock.now();
    for tag in ["1.0.0", "2.0.0", "3.0.0", "4.0.0", "5.0.0"] {
        register(&e, "app_build", "web", tag);
    }
    let alice = admin("alice");
    let req = |tag: &str| e.request_deployment(P, &request("development", vec![item("app_build", "web", tag)]), &alice).unwrap();
    // D1: live 60 s after its request.
    let d1 = req("1.0.0");
    clock.advance(Duration::seconds(60));
    execute(&e, &d1.id, &alice);
    // D2: live 120 s after its request.
    let d2 = req("2.0.0");
    clock.advance(Duration::seconds(120));
    execute(&e, &d2.id, &alice);
    // D3: fails.
    let d3 = req("3.0.0");
    clock.advance(Duration::seconds(30));
    assert_eq!(e.execute(P, &d3.id, &alice, &failing, &ExecuteOptions::default()).unwrap().status, DeploymentStatus::Failed);
    // D4: live 30 s after its request, rolled back 600 s later.
    let d4 = req("4.0.0");
    clock.advance(Duration::seconds(30));
    execute(&e, &d4.id, &alice);
    clock.advance(Duration::seconds(600));
    e.rollback(P, &d4.id, &alice, &NoopExecutor, &rb("regression")).unwrap();
    // D5: still pending at the end (requested, not executed): not finished.
    clock.advance(Duration::seconds(1));
    let mid = clock.now();
    let d5 = req("5.0.0");
    let _ = d5;
    clock.advance(Duration::seconds(1));
    let end = clock.now();

    let m = e.environment_metrics(P, "development", start, end).unwrap();
    assert_eq!((m.deployments_finished, m.succeeded, m.failed, m.rolled_back), (4, 3, 1, 1));
    assert_eq!(m.success_rate, Some(0.75));
    assert_eq!(m.mean_time_to_deploy_seconds, Some(70.0), "(60 + 120 + 30) / 3");
    assert_eq!(m.mean_time_to_roll_back_seconds, Some(600.0));
    assert_eq!(m.change_failure_rate, Some(0.5), "(1 failed + 1 rolled back) / 4");
    assert_eq!(e.environment_metrics(P, "development", start, mid).unwrap(), EnvironmentMetrics { to: mid, ..m.clone() });

    // A range with only D1: every figure from one deployment.
    let first = e.environment_metrics(P, "development", start, start + Duration::seconds(1)).unwrap();
    assert_eq!((first.deployments_finished, first.success_rate, first.mean_time_to_deploy_seconds), (1, Some(1.0), Some(60.0)));
    assert_eq!((first.mean_time_to_roll_back_seconds, first.change_failure_rate), (None, Some(0.0)));
    // Nothing in range: no rates.
    let none = e.environment_metrics(P, "staging", start, end).unwrap();
    assert_eq!((none.deployments_finished, none.success_rate, none.change_failure_rate), (0, None, None));
    assert_eq!(e.environment_metrics(P, "development", end, end).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.environment_metrics(P, "nowhere", start, end).unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn retention_and_reports_page_through_long_histories() {
    let (e, clock) = engine();
    let start = clock.now();
    with_retention(&e, "development", Some(5));
    let n = 230; // more than one page of deployments (200)
    let tags: Vec<String> = (0..n).map(|i| format!("1.0.{i}")).collect();
    for tag in &tags {
        register(&e, "app_build", "web", tag);
        attach(&e, tag, "image");
        clock.advance(Duration::seconds(1));
        ship_dev(&e, tag);
    }
    // Live: the last; last known good: the one before; the window: the last five.
    assert_eq!(prunable_tags(&e), tags[..n - 5].to_vec());
    let end = clock.now() + Duration::seconds(1);
    let m = e.environment_metrics(P, "development", start, end).unwrap();
    assert_eq!((m.deployments_finished, m.succeeded, m.success_rate, m.mean_time_to_deploy_seconds), (230, 230, Some(1.0), Some(0.0)));
    assert_eq!(e.compliance_report(P, start, end, Some("development")).unwrap().entries.len(), n);
}
