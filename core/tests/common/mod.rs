//! Shared set-up for the integration tests.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use deploygov::*;

pub const P: &str = "japm";

pub fn admin(id: &str) -> Actor {
    Actor::new(id, &["admin"])
}

pub fn clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap())
}

/// An in-memory engine with a manual clock, project `japm`, environments development, staging,
/// production with the default policies.
pub fn engine() -> (Engine, ManualClock) {
    let c = clock();
    let store = deploygov::store::SqliteStore::open(":memory:").unwrap();
    let e = Engine::with_store(Box::new(store), Arc::new(c.clone()));
    setup(&e);
    (e, c)
}

pub fn setup(e: &Engine) {
    let root = admin("root");
    e.create_project(P, "acme", "JAPM", &root).unwrap();
    for name in ["development", "staging", "production"] {
        e.create_environment(P, &EnvironmentSpec { name: name.into(), ..Default::default() }, &root).unwrap();
    }
}

pub fn register(e: &Engine, entity_type: &str, entity_id: &str, tag: &str) {
    e.register_version(
        P,
        &VersionSpec { entity_type: entity_type.into(), entity_id: entity_id.into(), version_tag: tag.into(), ..Default::default() },
        &admin("ci"),
    )
    .unwrap();
}

pub fn item(entity_type: &str, entity_id: &str, tag: &str) -> ItemSpec {
    ItemSpec {
        entity_type: entity_type.into(),
        entity_id: entity_id.into(),
        version_tag: tag.into(),
        change_message: None,
        risk: RiskLevel::Low,
    }
}

pub fn request(env: &str, items: Vec<ItemSpec>) -> DeploymentRequest {
    DeploymentRequest { environment: env.into(), name: format!("deploy-{env}"), items, ..Default::default() }
}

pub fn live(e: &Engine, env: &str, et: &str, id: &str) -> Option<String> {
    e.active_version(P, env, et, id).unwrap().map(|a| a.version_tag)
}

pub fn rb(reason: &str) -> RollbackOptions {
    RollbackOptions { target: None, reason: reason.into() }
}
