//! Read-only queries: listing with filters and cursors, active state, history, comparison,
//! pending approvals, and project isolation.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::collections::HashSet;

use chrono::Duration;
use common::*;
use deploygov::*;

const T: &str = "trade2026_entity";

fn ids(page: &Page<Deployment>) -> Vec<&str> {
    page.items.iter().map(|d| d.id.as_str()).collect()
}

fn list(e: &Engine, f: DeploymentFilter) -> Vec<String> {
    e.list_deployments(P, &f).unwrap().items.into_iter().map(|d| d.id).collect()
}

/// d1: development x (dave, deployed, t0); d2: staging y (dave, t0+1h); d3: staging x+y (lena,
/// t0+2h); d4: production x (alice, t0+3h). Returns the engine, t0 and the ids.
fn four_deployments() -> (Engine, chrono::DateTime<chrono::Utc>, [String; 4]) {
    let (e, clock) = engine();
    register(&e, T, "x", "1.0.0");
    register(&e, T, "y", "1.0.0");
    let (alice, dave, lena) = (admin("alice"), developer("dave"), lead("lena"));
    let t0 = clock.now();
    let d1 = e.request_deployment(P, &request("development", vec![item(T, "x", "1.0.0")]), &dave).unwrap().id;
    clock.advance(Duration::hours(1));
    let d2 = e.request_deployment(P, &request("staging", vec![item(T, "y", "1.0.0")]), &dave).unwrap().id;
    clock.advance(Duration::hours(1));
    let d3 = e.request_deployment(P, &request("staging", vec![item(T, "x", "1.0.0"), item(T, "y", "1.0.0")]), &lena).unwrap().id;
    clock.advance(Duration::hours(1));
    let d4 = e.request_deployment(P, &request("production", vec![item(T, "x", "1.0.0")]), &alice).unwrap().id;
    execute(&e, &d1, &dave);
    (e, t0, [d1, d2, d3, d4])
}

fn s(v: &[&String]) -> Vec<String> {
    v.iter().map(|x| (*x).clone()).collect()
}

#[test]
fn list_deployments_filters() {
    let (e, t0, [d1, d2, d3, d4]) = four_deployments();
    let f = DeploymentFilter::default;
    assert_eq!(list(&e, f()), s(&[&d4, &d3, &d2, &d1]));
    assert_eq!(list(&e, DeploymentFilter { environment: Some("staging".into()), ..f() }), s(&[&d3, &d2]));
    assert_eq!(list(&e, DeploymentFilter { environment: Some("nowhere".into()), ..f() }), s(&[]));
    assert_eq!(list(&e, DeploymentFilter { status: Some(DeploymentStatus::Pending), ..f() }), s(&[&d4, &d3, &d2]));
    assert_eq!(list(&e, DeploymentFilter { status: Some(DeploymentStatus::Deployed), ..f() }), s(&[&d1]));
    assert_eq!(list(&e, DeploymentFilter { requested_by: Some("dave".into()), ..f() }), s(&[&d2, &d1]));
    let at = |h: i64| Some(t0 + Duration::hours(h));
    assert_eq!(list(&e, DeploymentFilter { requested_after: at(1), ..f() }), s(&[&d4, &d3, &d2]));
    assert_eq!(list(&e, DeploymentFilter { requested_before: at(2), ..f() }), s(&[&d2, &d1]));
    assert_eq!(list(&e, DeploymentFilter { requested_after: at(1), requested_before: at(2), ..f() }), s(&[&d2]));
    let both = DeploymentFilter { environment: Some("staging".into()), requested_by: Some("lena".into()), ..f() };
    assert_eq!(list(&e, both), s(&[&d3]));

    // Refused filters.
    let id_only = DeploymentFilter { entity_id: Some("x".into()), ..f() };
    assert_eq!(e.list_deployments(P, &id_only).unwrap_err().code(), ErrorCode::InvalidInput);
    for limit in [0, 501] {
        let bad = DeploymentFilter { limit: Some(limit), ..f() };
        assert_eq!(e.list_deployments(P, &bad).unwrap_err().code(), ErrorCode::InvalidInput, "limit {limit}");
    }
    assert_eq!(e.list_deployments("no-such-project", &f()).unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn list_deployments_by_entity() {
    let (e, _t0, [d1, d2, d3, d4]) = four_deployments();
    let f = DeploymentFilter::default;
    let by_entity = |t: &str, id: Option<&str>| DeploymentFilter { entity_type: Some(t.into()), entity_id: id.map(Into::into), ..f() };
    assert_eq!(list(&e, by_entity(T, Some("y"))), s(&[&d3, &d2]));
    assert_eq!(list(&e, by_entity(T, Some("x"))), s(&[&d4, &d3, &d1]));
    assert_eq!(list(&e, by_entity(T, None)), s(&[&d4, &d3, &d2, &d1]));
    assert_eq!(list(&e, by_entity("other_type", None)), s(&[]));
    let entity_and_env = DeploymentFilter { environment: Some("staging".into()), ..by_entity(T, Some("x")) };
    assert_eq!(list(&e, entity_and_env), s(&[&d3]));
    let paged = DeploymentFilter { limit: Some(1), ..by_entity(T, Some("x")) };
    let p1 = e.list_deployments(P, &paged).unwrap();
    assert_eq!(ids(&p1), [d4.as_str()]);
    let p2 = e.list_deployments(P, &DeploymentFilter { cursor: p1.next_cursor, ..paged }).unwrap();
    assert_eq!(ids(&p2), [d3.as_str()]);

    // Another project never sees them.
    let root = admin("root");
    e.create_project("other", "globex", "Other", &root).unwrap();
    assert!(e.list_deployments("other", &by_entity(T, Some("x"))).unwrap().items.is_empty());
}

#[test]
fn cursor_pagination_over_120_deployments() {
    let (e, clock) = engine();
    register(&e, T, "x", "1.0.0");
    let dave = developer("dave");
    let mut created = Vec::new();
    for i in 0..120 {
        let req = DeploymentRequest { name: format!("d{i}"), ..request("development", vec![item(T, "x", "1.0.0")]) };
        created.push(e.request_deployment(P, &req, &dave).unwrap().id);
        clock.advance(Duration::seconds(1));
    }
    created.reverse(); // newest first
    let mut filter = DeploymentFilter { limit: Some(50), ..Default::default() };
    let mut sizes = Vec::new();
    let mut seen: Vec<Deployment> = Vec::new();
    loop {
        let page = e.list_deployments(P, &filter).unwrap();
        sizes.push(page.items.len());
        seen.extend(page.items);
        match page.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => break,
        }
        assert!(sizes.len() < 10, "pagination does not end");
    }
    assert_eq!(sizes, [50, 50, 20]);
    let got: Vec<String> = seen.iter().map(|d| d.id.clone()).collect();
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), 120, "duplicates");
    assert_eq!(got, created);
    assert!(seen.windows(2).all(|w| w[0].requested_at > w[1].requested_at && w[0].id > w[1].id));

    // A last page that is exactly full has no cursor.
    let p1 = e.list_deployments(P, &DeploymentFilter { limit: Some(60), ..Default::default() }).unwrap();
    let p2 = e.list_deployments(P, &DeploymentFilter { limit: Some(60), cursor: p1.next_cursor.clone(), ..Default::default() }).unwrap();
    assert_eq!((p1.items.len(), p2.items.len(), p2.next_cursor), (60, 60, None));
    let all = e.list_deployments(P, &DeploymentFilter { limit: Some(500), ..Default::default() }).unwrap();
    assert_eq!((all.items.len(), all.next_cursor), (120, None));
}

#[test]
fn active_state_history_and_comparison() {
    let (e, clock) = engine();
    for t in ["1.0.0", "2.0.0"] {
        register(&e, T, "x", t);
        register(&e, T, "y", t);
    }
    let (alice, bob, carol, dave) = (admin("alice"), admin("bob"), admin("carol"), developer("dave"));
    assert!(e.active_state(P, "staging").unwrap().is_empty());
    assert_eq!(e.active_state(P, "nowhere").unwrap_err().code(), ErrorCode::NotFound);

    let dev1 = e.request_deployment(P, &request("development", vec![item(T, "x", "1.0.0"), item(T, "y", "1.0.0")]), &dave).unwrap();
    execute(&e, &dev1.id, &dave);
    clock.advance(Duration::minutes(1));
    let stg = ship_staging(&e, vec![item(T, "x", "1.0.0")]);
    clock.advance(Duration::minutes(1));
    let prod = e.request_deployment(P, &request("production", vec![item(T, "x", "1.0.0")]), &alice).unwrap();
    approve(&e, &prod.id, &bob);
    approve(&e, &prod.id, &carol);
    let prod = execute(&e, &prod.id, &bob);
    clock.advance(Duration::minutes(1));
    let dev2 = e.request_deployment(P, &request("development", vec![item(T, "x", "2.0.0")]), &dave).unwrap();
    let dev2 = execute(&e, &dev2.id, &dave);

    let state = e.active_state(P, "development").unwrap();
    let rows: Vec<(&str, &str, &str)> =
        state.iter().map(|a| (a.entity_id.as_str(), a.version_tag.as_str(), a.deployment_id.as_str())).collect();
    assert_eq!(rows, [("x", "2.0.0", dev2.id.as_str()), ("y", "1.0.0", dev1.id.as_str())]);
    assert!(state.iter().all(|a| a.environment == "development" && a.entity_type == T));
    assert_eq!(state[0].since, dev2.deployed_at.unwrap());
    let x = e.active_version(P, "production", T, "x").unwrap().unwrap();
    assert_eq!((x.version_tag.as_str(), x.deployment_id.as_str(), x.since), ("1.0.0", prod.id.as_str(), prod.deployed_at.unwrap()));
    assert_eq!(e.active_version(P, "production", T, "y").unwrap(), None);
    assert_eq!(e.active_version(P, "production", "other", "x").unwrap(), None);

    let hist = e.entity_history(P, T, "x", None).unwrap();
    let h: Vec<(&str, Option<&str>, &str)> =
        hist.iter().map(|h| (h.environment.as_str(), h.version_tag.as_deref(), h.deployment_id.as_str())).collect();
    assert_eq!(
        h,
        [
            ("development", Some("2.0.0"), dev2.id.as_str()),
            ("production", Some("1.0.0"), prod.id.as_str()),
            ("staging", Some("1.0.0"), stg.id.as_str()),
            ("development", Some("1.0.0"), dev1.id.as_str()),
        ]
    );
    assert!(hist.windows(2).all(|w| w[0].seq > w[1].seq && w[0].at > w[1].at));
    assert_eq!(e.entity_history(P, T, "x", Some(2)).unwrap(), hist[..2]);
    assert_eq!(e.entity_history(P, T, "x", Some(0)).unwrap_err().code(), ErrorCode::InvalidInput);
    assert!(e.entity_history(P, T, "never", None).unwrap().is_empty());

    let diff = e.compare_environments(P, "development", "staging").unwrap();
    let d: Vec<(&str, Option<&str>, Option<&str>)> =
        diff.iter().map(|d| (d.entity_id.as_str(), d.left.as_deref(), d.right.as_deref())).collect();
    assert_eq!(d, [("x", Some("2.0.0"), Some("1.0.0")), ("y", Some("1.0.0"), None)]);
    assert!(e.compare_environments(P, "staging", "production").unwrap().is_empty());
    let rev = e.compare_environments(P, "staging", "development").unwrap();
    assert_eq!(rev[1].left, None);
    assert_eq!(rev[1].right.as_deref(), Some("1.0.0"));
    assert_eq!(e.compare_environments(P, "staging", "nowhere").unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn pending_approvals_for_an_actor() {
    let (e, clock) = engine();
    register(&e, T, "x", "1.0.0");
    let (alice, bob, carol, dave, lena) = (admin("alice"), admin("bob"), admin("carol"), developer("dave"), lead("lena"));
    let prod = || request("production", vec![item(T, "x", "1.0.0")]);
    let by_alice = e.request_deployment(P, &prod(), &alice).unwrap().id;
    clock.advance(Duration::seconds(1));
    let by_bob = e.request_deployment(P, &prod(), &bob).unwrap().id;
    clock.advance(Duration::seconds(1));
    let approved_by_bob = e.request_deployment(P, &prod(), &carol).unwrap().id;
    approve(&e, &approved_by_bob, &bob);
    clock.advance(Duration::seconds(1));
    let staging = e.request_deployment(P, &request("staging", vec![item(T, "x", "1.0.0")]), &dave).unwrap().id;
    let auto = e.request_deployment(P, &request("development", vec![item(T, "x", "1.0.0")]), &dave).unwrap().id;
    let rejected = e.request_deployment(P, &request("staging", vec![item(T, "x", "1.0.0")]), &dave).unwrap().id;
    e.reject(P, &rejected, &lena, "no").unwrap();

    let pending = |a: &Actor| e.pending_approvals(P, a).unwrap().into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(pending(&bob), [staging.as_str(), by_alice.as_str()]);
    assert_eq!(pending(&alice), [staging.as_str(), approved_by_bob.as_str(), by_bob.as_str()]);
    assert_eq!(pending(&lena), [staging.as_str()]);
    assert!(pending(&dave).is_empty());
    assert!(pending(&Actor::new("vic", &["viewer"])).is_empty());
    assert!(!pending(&carol).contains(&auto));
    // Approved deployments leave the list.
    approve(&e, &by_alice, &carol);
    assert_eq!(approve(&e, &by_alice, &bob).status, DeploymentStatus::Approved);
    assert_eq!(pending(&lena), [staging.as_str()]);
    assert!(!pending(&Actor::new("zed", &["admin"])).contains(&by_alice));
    assert_eq!(e.pending_approvals("no-such-project", &bob).unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn projects_are_isolated() {
    let (e, _clock) = engine();
    let root = admin("root");
    let b = "other";
    e.create_project(b, "globex", "Other", &root).unwrap();
    e.create_environment(b, &EnvironmentSpec { name: "staging".into(), ..Default::default() }, &root).unwrap();
    register(&e, T, "x", "1.0.0");
    let (lena, dave) = (lead("lena"), developer("dave"));
    let keyed = DeploymentRequest { idempotency_key: Some("k".into()), ..request("staging", vec![item(T, "x", "1.0.0")]) };
    let a = e.request_deployment(P, &keyed, &dave).unwrap();
    approve(&e, &a.id, &lena);
    let a = execute(&e, &a.id, &lena);
    let pending_a = e.request_deployment(P, &request("staging", vec![item(T, "x", "1.0.0")]), &dave).unwrap();
    let n = audit_count(&e);

    let nf = |r: Result<Deployment>| assert_eq!(r.unwrap_err().code(), ErrorCode::NotFound);
    nf(e.get_deployment(b, &a.id));
    nf(e.approve(b, &pending_a.id, &lena, &ApproveOptions::default()));
    nf(e.reject(b, &pending_a.id, &lena, "no"));
    nf(e.cancel(b, &pending_a.id, &dave, None));
    nf(e.execute(b, &pending_a.id, &lena, &NoopExecutor, &ExecuteOptions::default()));
    nf(e.rollback(b, &a.id, &lena, &NoopExecutor, &rb("x")));
    assert_eq!(e.check(b, &a.id, &lena, Action::Rollback).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(audit_count(&e), n);
    assert_eq!(e.get_deployment(P, &pending_a.id).unwrap(), pending_a);

    let all_b = e.list_deployments(b, &DeploymentFilter::default()).unwrap();
    assert!(all_b.items.is_empty() && all_b.next_cursor.is_none());
    assert!(e.pending_approvals(b, &lena).unwrap().is_empty());
    assert!(e.active_state(b, "staging").unwrap().is_empty());
    assert_eq!(e.active_version(b, "staging", T, "x").unwrap(), None);
    assert!(e.entity_history(b, T, "x", None).unwrap().is_empty());
    assert!(e.audit_log(b, Some(&a.id), 0, None).unwrap().iter().all(|x| x.project_id.as_deref() == Some(b)));
    assert!(e.audit_log(b, Some(&a.id), 0, None).unwrap().is_empty());
    assert!(e.list_versions(b, T, "x").unwrap().is_empty());

    // The catalog and idempotency keys are per project too.
    let err = e.request_deployment(b, &keyed, &dave).unwrap_err();
    assert_eq!(err.report().map(|r| r.errors.iter().map(|f| f.code.clone()).collect::<Vec<_>>()), Some(vec!["unknown_version".to_owned()]));
    e.register_version(
        b,
        &VersionSpec { entity_type: T.into(), entity_id: "x".into(), version_tag: "1.0.0".into(), ..Default::default() },
        &root,
    )
    .unwrap();
    let in_b = e.request_deployment(b, &keyed, &dave).unwrap();
    assert_ne!(in_b.id, a.id);
    assert_eq!(in_b.project_id, b);
    assert_eq!(ids(&e.list_deployments(b, &DeploymentFilter::default()).unwrap()), [in_b.id.as_str()]);
    assert!(!all_deployments(&e).iter().any(|d| d.id == in_b.id));
    nf(e.get_deployment(P, &in_b.id));
}
