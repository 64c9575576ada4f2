//! The transactional outbox: one event per audit entry, a cursor, signatures and subscribers.
#![allow(clippy::unwrap_used, reason = "test helpers unwrap: a failure is the test failing")]

mod common;
use std::sync::{Arc, Mutex};

use common::*;
use deploygov::*;

fn ship(e: &Engine) -> Deployment {
    register(e, "prompt_version", "chatbot", "1.0.0");
    let d = e.request_deployment(P, &request("staging", vec![item("prompt_version", "chatbot", "1.0.0")]), &admin("alice")).unwrap();
    e.approve(P, &d.id, &Actor::new("lena", &["lead"]), &ApproveOptions::default()).unwrap();
    e.execute(P, &d.id, &admin("alice"), &NoopExecutor, &ExecuteOptions::default()).unwrap()
}

#[test]
fn every_mutation_writes_one_event_in_order() {
    let (e, _clock) = engine();
    let start = e.events_after(None, 0, Some(1000)).unwrap();
    assert_eq!(start.len(), 4, "project and three environments created");
    let d = ship(&e);
    let all = e.events_after(Some(P), 0, Some(1000)).unwrap();
    let audit = e.audit_log(P, None, 0, Some(500)).unwrap();
    assert_eq!(all.len(), audit.len(), "one event per audit entry");
    let kinds: Vec<&str> = all.iter().filter(|ev| ev.object_id == d.id).map(|ev| ev.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["deployment.requested", "deployment.approval_granted", "deployment.approved", "deployment.deploying", "deployment.deployed"]
    );
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let ids: std::collections::HashSet<&str> = all.iter().map(|ev| ev.id.as_str()).collect();
    assert_eq!(ids.len(), all.len(), "ids are unique");
    let deployed = all.iter().find(|ev| ev.kind == "deployment.deployed").unwrap();
    assert_eq!(deployed.payload["after"]["status"], "deployed");
    assert_eq!(deployed.payload["before"]["status"], "deploying");
    assert!(deployed.signature.is_none());

    // Cursor paging returns the same sequence.
    let mut paged = Vec::new();
    let mut cursor = 0;
    loop {
        let page = e.events_after(Some(P), cursor, Some(3)).unwrap();
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        paged.extend(page);
    }
    assert_eq!(paged, all);
    // A refused command writes nothing.
    let before = e.events_after(None, 0, Some(1000)).unwrap().len();
    assert!(e.approve(P, &d.id, &admin("bob"), &ApproveOptions::default()).is_err());
    assert_eq!(e.events_after(None, 0, Some(1000)).unwrap().len(), before);
    // Other projects see none of them.
    e.create_project("other", "acme", "Other", &admin("root")).unwrap();
    assert_eq!(e.events_after(Some("other"), 0, None).unwrap().len(), 1);
    assert_eq!(e.events_after(None, 0, Some(0)).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(e.events_after(None, -1, None).unwrap_err().code(), ErrorCode::InvalidInput);
}

#[test]
fn events_are_signed_with_the_host_key() {
    let (e, _clock) = engine();
    e.set_event_signing_key(Some(b"s3cret")).unwrap();
    let ev = e.events_after(None, 0, Some(1)).unwrap().remove(0);
    let sig = ev.signature.clone().unwrap();
    assert_eq!(sig, events::sign(b"s3cret", &ev).unwrap());
    assert_ne!(sig, events::sign(b"other", &ev).unwrap());
    let tampered = Event { object_id: "x".into(), ..ev.clone() };
    assert_ne!(events::sign(b"s3cret", &tampered).unwrap(), sig);
    assert_eq!(e.set_event_signing_key(Some(b"")).unwrap_err().code(), ErrorCode::InvalidInput);
    e.set_event_signing_key(None).unwrap();
    assert!(e.events_after(None, 0, Some(1)).unwrap()[0].signature.is_none());
}

#[test]
fn subscribers_get_events_after_commit_and_cannot_break_a_command() {
    let (e, _clock) = engine();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    e.subscribe("sink", Arc::new(move |ev: &Event| sink.lock().unwrap().push((ev.kind.clone(), ev.signature.is_some())))).unwrap();
    e.subscribe("broken", Arc::new(|_: &Event| panic!("subscriber bug"))).unwrap();
    e.set_event_signing_key(Some(b"k")).unwrap();
    let d = ship(&e);
    assert_eq!(d.status, DeploymentStatus::Deployed, "a panicking subscriber did not break the command");
    let kinds: Vec<String> = got
        .lock()
        .unwrap()
        .iter()
        .map(|(k, signed)| {
            assert!(signed);
            k.clone()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "version.registered",
            "deployment.requested",
            "deployment.approval_granted",
            "deployment.approved",
            "deployment.deploying",
            "deployment.deployed"
        ]
    );
    assert!(e.unsubscribe("sink"));
    assert!(!e.unsubscribe("sink"));
    e.register_version(
        P,
        &VersionSpec { entity_type: "a".into(), entity_id: "b".into(), version_tag: "1".into(), ..Default::default() },
        &admin("x"),
    )
    .unwrap();
    assert_eq!(got.lock().unwrap().len(), 6, "no delivery after unsubscribe");
}
