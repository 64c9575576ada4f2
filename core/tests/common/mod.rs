//! Shared set-up for the integration tests.
#![allow(dead_code, reason = "each test file uses a different subset")]
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

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

/// An engine with a manual clock on a fresh [`store`], project `japm`, environments
/// development, staging, production with the default policies.
pub fn engine() -> (Engine, ManualClock) {
    let c = clock();
    let e = Engine::with_store(store(), Arc::new(c.clone()));
    setup(&e);
    (e, c)
}

/// The PostgreSQL server the tests run against (`DEPLOYGOV_TEST_POSTGRES_URL`), when set.
pub fn pg_url() -> Option<String> {
    std::env::var("DEPLOYGOV_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())
}

/// Whether the tests run against PostgreSQL. `skip_on_postgres(reason)` returns true (and says
/// why) in a test that only makes sense on SQLite, which then returns early.
pub fn skip_on_postgres(reason: &str) -> bool {
    if pg_url().is_some() {
        eprintln!("skipped under postgres: {reason}");
        return true;
    }
    false
}

/// A fresh, empty store: a new schema `t_<uuid>` of the PostgreSQL server when
/// `DEPLOYGOV_TEST_POSTGRES_URL` is set (dropped with the store), SQLite `:memory:` otherwise.
pub fn store() -> Box<dyn deploygov::store::Store> {
    #[cfg(feature = "postgres")]
    if let Some(url) = pg_url() {
        return Box::new(pg::TempSchema::new(&url));
    }
    Box::new(deploygov::store::SqliteStore::open(":memory:").unwrap())
}

/// What `Engine::open` is given for a fresh store that several engines and processes share: a
/// SQLite file in `dir`, or under PostgreSQL a URL whose `search_path` is a new schema.
pub fn shared_location(dir: &std::path::Path) -> String {
    match pg_url() {
        Some(url) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}options=-csearch_path%3D{}", pg::schema_name())
        }
        None => dir.join("gov.db").to_str().unwrap().to_owned(),
    }
}

/// Test schemas on the PostgreSQL server.
pub mod pg {
    /// A new schema name.
    pub fn schema_name() -> String {
        format!("t_{}", uuid::Uuid::now_v7().simple())
    }

    /// A PostgreSQL store in its own new schema, dropped (with everything in it) on drop.
    #[cfg(feature = "postgres")]
    pub struct TempSchema {
        inner: Option<deploygov::store::PostgresStore>,
        url: String,
        schema: String,
    }

    #[cfg(feature = "postgres")]
    impl TempSchema {
        pub fn new(url: &str) -> Self {
            let schema = schema_name();
            let inner = deploygov::store::PostgresStore::open_in_schema(url, &schema).unwrap();
            Self { inner: Some(inner), url: url.to_owned(), schema }
        }

        /// The schema's name.
        pub fn schema(&self) -> &str {
            &self.schema
        }
    }

    #[cfg(feature = "postgres")]
    impl deploygov::store::Store for TempSchema {
        fn read(&self, f: &mut dyn FnMut(&dyn deploygov::store::StoreTx) -> deploygov::Result<()>) -> deploygov::Result<()> {
            self.inner.as_ref().unwrap().read(f)
        }

        fn write(&self, f: &mut dyn FnMut(&dyn deploygov::store::StoreTx) -> deploygov::Result<()>) -> deploygov::Result<()> {
            self.inner.as_ref().unwrap().write(f)
        }

        fn read_apart(&self, f: &mut dyn FnMut(&dyn deploygov::store::StoreTx) -> deploygov::Result<()>) -> deploygov::Result<bool> {
            self.inner.as_ref().unwrap().read_apart(f)
        }

        fn change_stamp(&self) -> Option<deploygov::store::ChangeStamp> {
            self.inner.as_ref().unwrap().change_stamp()
        }
    }

    #[cfg(feature = "postgres")]
    impl Drop for TempSchema {
        fn drop(&mut self) {
            // Close the store's connections first; a failure only leaves a schema behind in a
            // throwaway server.
            self.inner.take();
            if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema));
            }
        }
    }
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

// ---- helpers added for lifecycle / queries / audit_tamper / concurrency ----

pub fn lead(id: &str) -> Actor {
    Actor::new(id, &["lead"])
}

pub fn developer(id: &str) -> Actor {
    Actor::new(id, &["developer"])
}

/// An engine over the SQLite file at `path` with a manual clock (no project set up).
pub fn file_engine(path: &str, clock: &ManualClock) -> Engine {
    let store = deploygov::store::SqliteStore::open(path).unwrap();
    Engine::with_store(Box::new(store), Arc::new(clock.clone()))
}

/// Approves with default options.
pub fn approve(e: &Engine, id: &str, who: &Actor) -> Deployment {
    e.approve(P, id, who, &ApproveOptions::default()).unwrap()
}

/// Executes with the no-op executor.
pub fn execute(e: &Engine, id: &str, who: &Actor) -> Deployment {
    e.execute(P, id, who, &NoopExecutor, &ExecuteOptions::default()).unwrap()
}

/// Requests (as developer `dave`), approves (as lead `lena`) and executes a staging deployment.
pub fn ship_staging(e: &Engine, items: Vec<ItemSpec>) -> Deployment {
    let d = e.request_deployment(P, &request("staging", items), &developer("dave")).unwrap();
    approve(e, &d.id, &lead("lena"));
    execute(e, &d.id, &lead("lena"))
}

/// Number of entries in the (verified) audit chain.
pub fn audit_count(e: &Engine) -> i64 {
    e.verify_audit().unwrap().entries
}

/// The audit actions recorded for one object of project `japm`, oldest first.
pub fn audit_actions(e: &Engine, object_id: &str) -> Vec<String> {
    e.audit_log(P, Some(object_id), 0, Some(500)).unwrap().into_iter().map(|a| a.action).collect()
}

/// Every deployment of project `japm` (all pages).
pub fn all_deployments(e: &Engine) -> Vec<Deployment> {
    let mut out = Vec::new();
    let mut filter = DeploymentFilter { limit: Some(500), ..Default::default() };
    loop {
        let page = e.list_deployments(P, &filter).unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => return out,
        }
    }
}
