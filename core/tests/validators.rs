//! Custom validators run with no store lock held: they may be slow or call back into the engine,
#![allow(clippy::unwrap_used, reason = "test helpers unwrap: a failure is the test failing")]
//! and a change made meanwhile is caught before the write.

mod common;
use std::sync::{Arc, Mutex};

use common::*;
use deploygov::*;

#[test]
fn a_validator_may_read_the_engine_and_sees_the_requester() {
    let (e, _clock) = engine();
    let e = Arc::new(e);
    register(&e, "prompt_version", "chatbot", "1.0.0");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (inner, log) = (Arc::downgrade(&e), seen.clone());
    let v = move |ctx: &ValidationContext<'_>| -> Result<Vec<Finding>, String> {
        let engine = inner.upgrade().ok_or("engine gone")?;
        // A read through the engine from inside the validator: this deadlocked while validators
        // ran inside the write transaction.
        let live = engine.active_state(P, &ctx.environment.name).map_err(|e| e.to_string())?;
        log.lock().unwrap().push((ctx.phase, ctx.deployment.requested_by.clone(), live.len()));
        Ok(vec![Finding::warning("looked", "validator looked at the live state", None)])
    };
    e.register_validator("reader", Arc::new(v)).unwrap();
    let d = e.request_deployment(P, &request("development", vec![item("prompt_version", "chatbot", "1.0.0")]), &admin("alice")).unwrap();
    assert_eq!(d.warnings.iter().map(|w| w.code.as_str()).collect::<Vec<_>>(), ["looked"]);
    let done = e.execute(P, &d.id, &admin("alice"), &NoopExecutor, &ExecuteOptions::default()).unwrap();
    assert_eq!(done.status, DeploymentStatus::Deployed);
    let log = seen.lock().unwrap().clone();
    assert_eq!(log, [(Phase::Request, "alice".to_owned(), 0), (Phase::Execute, "alice".to_owned(), 0)]);
}

#[test]
fn a_change_while_validators_run_is_caught_and_retried() {
    let (e, _clock) = engine();
    let e = Arc::new(e);
    register(&e, "prompt_version", "chatbot", "1.0.0");
    let calls = Arc::new(Mutex::new(0));
    let (inner, count) = (Arc::downgrade(&e), calls.clone());
    // The first time it runs, the validator changes the environment's variables: the findings it
    // returned are for content that no longer exists, so the engine must validate again.
    let v = move |_: &ValidationContext<'_>| -> Result<Vec<Finding>, String> {
        let mut n = count.lock().unwrap();
        *n += 1;
        if *n == 1 {
            let engine = inner.upgrade().ok_or("engine gone")?;
            let vars = [Variable { key: "MODE".into(), value: "strict".into(), secret: false }];
            engine.set_variables(P, "development", &vars, &admin("root")).map_err(|e| e.to_string())?;
        }
        Ok(vec![])
    };
    e.register_validator("mutator", Arc::new(v)).unwrap();
    let d = e.request_deployment(P, &request("development", vec![item("prompt_version", "chatbot", "1.0.0")]), &admin("alice")).unwrap();
    assert_eq!(*calls.lock().unwrap(), 2, "validators ran again after the change");
    assert_eq!(d.config_snapshot.len(), 1, "the stored deployment has the new configuration");
}
