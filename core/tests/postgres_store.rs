//! The PostgreSQL store's own tests: `Engine::open` dispatch on `postgres://` URLs, migrations,
//! the lease and compare-and-set enforced by the database, and tampering with `audit_log`
//! behind the engine's back. They need `DEPLOYGOV_TEST_POSTGRES_URL` (scripts/postgres.sh
//! starts a throwaway server) and say so when it is unset. (Every other test file also runs on
//! PostgreSQL under that variable, through `common::store()`.)

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::sync::Arc;

use common::pg::TempSchema;
use common::*;
use deploygov::store::{PostgresStore, Store};
use deploygov::*;

/// The server URL, or `None` after saying why the test does nothing.
fn server(test: &str) -> Option<String> {
    let url = pg_url();
    if url.is_none() {
        eprintln!("{test}: skipped: DEPLOYGOV_TEST_POSTGRES_URL is not set (scripts/postgres.sh starts a server)");
    }
    url
}

/// A raw client working in `schema` (what an attacker with database access could do).
fn raw(url: &str, schema: &str) -> postgres::Client {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("SET search_path TO \"{schema}\"")).unwrap();
    c
}

/// `url` with `search_path` set to `schema` through the connection options.
fn in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// An engine on a new schema with a manual clock, set up as `common::setup` does; the store
/// (and its schema) lives as long as the engine.
fn engine_in_schema(url: &str) -> (Engine, ManualClock, String) {
    let store = TempSchema::new(url);
    let schema = store.schema().to_owned();
    let clock = clock();
    let e = Engine::with_store(Box::new(store), Arc::new(clock.clone()));
    setup(&e);
    (e, clock, schema)
}

#[test]
fn engine_open_takes_postgres_and_postgresql_urls() {
    let Some(url) = server("engine_open_takes_postgres_and_postgresql_urls") else { return };
    let rest = url.split_once("://").unwrap().1;
    for scheme in ["postgres", "postgresql"] {
        let guard = TempSchema::new(&url);
        let target = in_schema(&format!("{scheme}://{rest}"), guard.schema());
        let e = Engine::open(&target).unwrap();
        setup(&e);
        assert_eq!(e.verify_audit().unwrap().entries, 4);
        assert!(!std::path::Path::new(&target).exists(), "no SQLite file named after the url");
        let n: i64 = raw(&url, guard.schema()).query_one("SELECT COUNT(*) FROM environments", &[]).unwrap().get(0);
        assert_eq!(n, 3, "{scheme}: the engine wrote to the postgres schema");
        // A second engine on the same URL sees the same state (one governed state).
        let again = Engine::open(&target).unwrap();
        assert_eq!(again.list_environments(P).unwrap().len(), 3);
    }
}

#[test]
fn url_options_schema_is_created_and_migrations_run_once() {
    let Some(url) = server("url_options_schema_is_created_and_migrations_run_once") else { return };
    let guard = TempSchema::new(&url);
    let fresh = format!("{}_2", guard.schema());
    let target = in_schema(&url, &fresh);
    for _ in 0..3 {
        drop(PostgresStore::open(&target).unwrap());
    }
    drop(PostgresStore::open_in_schema(&url, &fresh).unwrap());
    let mut c = raw(&url, &fresh);
    let versions: Vec<i32> =
        c.query("SELECT version FROM schema_migrations ORDER BY version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1, 2, 3]);
    c.batch_execute(&format!("DROP SCHEMA \"{fresh}\" CASCADE")).unwrap();
    assert_eq!(PostgresStore::open_in_schema(&url, "Not-An-Identifier").unwrap_err().code(), ErrorCode::InvalidInput);
}

#[test]
fn one_running_deployment_per_environment_is_enforced_by_the_database() {
    let Some(url) = server("one_running_deployment_per_environment_is_enforced_by_the_database") else { return };
    let (e, _clock, schema) = engine_in_schema(&url);
    register(&e, "model", "m", "1.0.0");
    register(&e, "model", "n", "1.0.0");
    let a = e.request_deployment(P, &request("development", vec![item("model", "m", "1.0.0")]), &developer("dave")).unwrap();
    let b = e.request_deployment(P, &request("development", vec![item("model", "n", "1.0.0")]), &developer("dave")).unwrap();
    // Behind the engine's gates: the store itself refuses a second `deploying` deployment.
    let store = PostgresStore::open_in_schema(&url, &schema).unwrap();
    let start = |id: &str, status: DeploymentStatus| {
        store.write(&mut |tx| {
            let mut d = tx.deployment(P, id)?.unwrap();
            let rev = d.revision;
            d.status = status;
            d.revision += 1;
            tx.update_deployment(&d, rev)
        })
    };
    start(&a.id, DeploymentStatus::Deploying).unwrap();
    for status in [DeploymentStatus::Deploying, DeploymentStatus::Paused] {
        let err = start(&b.id, status).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
        assert!(err.to_string().contains("another deployment is already deploying in `development`"), "{err}");
    }
    // The same through raw SQL: the partial unique index, not process memory, holds the lease.
    let err = raw(&url, &schema).execute("UPDATE deployments SET status = 'paused' WHERE id = $1", &[&b.id]).unwrap_err();
    assert_eq!(err.code(), Some(&postgres::error::SqlState::UNIQUE_VIOLATION));
    assert_eq!(e.get_deployment(P, &b.id).unwrap().status, b.status, "nothing stored half-way");
    // Compare-and-set: a stale revision matches nothing.
    let stale = store.write(&mut |tx| {
        let d = tx.deployment(P, &b.id)?.unwrap();
        tx.update_deployment(&d, d.revision - 1)
    });
    assert_eq!(stale.unwrap_err().code(), ErrorCode::Conflict);
}

#[test]
fn tampering_with_audit_log_through_a_raw_client_is_detected() {
    let Some(url) = server("tampering_with_audit_log_through_a_raw_client_is_detected") else { return };
    let (e, _clock, schema) = engine_in_schema(&url);
    register(&e, "prompt_version", "chatbot", "1.0.0");
    ship_staging(&e, vec![item("prompt_version", "chatbot", "1.0.0")]);
    let entries = e.verify_audit().unwrap().entries;
    let k = entries / 2;
    let mut c = raw(&url, &schema);
    let broken_at = |e: &Engine| match e.verify_audit() {
        Err(err @ Error::AuditCorrupt { .. }) => {
            assert_eq!(err.code(), ErrorCode::AuditCorrupt);
            let Error::AuditCorrupt { seq, .. } = err else { unreachable!() };
            seq
        }
        other => panic!("tampering not detected: {other:?}"),
    };
    // An edited field, then put back.
    let original: String = c.query_one("SELECT actor_id FROM audit_log WHERE seq = $1", &[&k]).unwrap().get(0);
    assert_eq!(c.execute("UPDATE audit_log SET actor_id = 'mallory' WHERE seq = $1", &[&k]).unwrap(), 1);
    assert_eq!(broken_at(&e), k);
    c.execute("UPDATE audit_log SET actor_id = $2 WHERE seq = $1", &[&k, &original]).unwrap();
    assert_eq!(e.verify_audit().unwrap().entries, entries);
    // An edited `after` document.
    c.execute("UPDATE audit_log SET after = '{\"status\":\"approved\"}' WHERE seq = $1", &[&k]).unwrap();
    assert_eq!(broken_at(&e), k);
    // A deleted last entry: the head no longer matches.
    let e2 = {
        let (e2, _c2, schema2) = engine_in_schema(&url);
        raw(&url, &schema2).execute("DELETE FROM audit_log WHERE seq = $1", &[&4i64]).unwrap();
        e2
    };
    assert_eq!(broken_at(&e2), 4);
}

#[test]
fn answers_match_sqlite_byte_for_byte() {
    let Some(url) = server("answers_match_sqlite_byte_for_byte") else { return };
    // The same commands on both stores; ids differ (UUIDv7), so they are replaced by position.
    let run = |store: Box<dyn Store>| -> String {
        let c = clock();
        let e = Engine::with_store(store, Arc::new(c.clone()));
        setup(&e);
        register(&e, "prompt_version", "chatbot", "1.0.0");
        register(&e, "prompt_version", "chatbot", "2.0.0");
        let first = ship_staging(&e, vec![item("prompt_version", "chatbot", "1.0.0")]);
        c.advance(chrono::Duration::minutes(5));
        let second = ship_staging(&e, vec![item("prompt_version", "chatbot", "2.0.0")]);
        c.advance(chrono::Duration::minutes(5));
        e.rollback(P, &second.id, &lead("lena"), &NoopExecutor, &rb("bad answers")).unwrap();
        let mut out = serde_json::json!({
            "deployments": all_deployments(&e),
            "active": e.active_state(P, "staging").unwrap(),
            "audit": e.audit_log(P, None, 0, Some(500)).unwrap(),
            "events": e.events_after(None, 0, Some(1000)).unwrap(),
            "verify": e.verify_audit().unwrap(),
        })
        .to_string();
        for (i, d) in all_deployments(&e).iter().chain([&first, &second]).enumerate() {
            out = out.replace(&d.id, &format!("deployment-{i}"));
        }
        out
    };
    let sqlite = run(Box::new(deploygov::store::SqliteStore::open(":memory:").unwrap()));
    let postgres = run(Box::new(TempSchema::new(&url)));
    // Hashes chain over ids and event ids are random: compare everything else.
    let scrub = |s: &str| {
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        let mut v = v;
        for key in ["audit", "events", "verify"] {
            scrub_random(&mut v[key]);
        }
        v
    };
    assert_eq!(scrub(&sqlite), scrub(&postgres));
}

/// Blanks the fields that depend on random ids (hashes, event ids, signatures).
fn scrub_random(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if matches!(k.as_str(), "hash" | "prev_hash" | "head_hash" | "id") && x.is_string() {
                    *x = serde_json::Value::Null;
                } else {
                    scrub_random(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(scrub_random),
        _ => {}
    }
}

#[test]
fn nul_bytes_in_free_text_are_refused_and_nothing_is_stored() {
    let Some(url) = server("nul_bytes_in_free_text_are_refused_and_nothing_is_stored") else { return };
    let (e, _clock, _schema) = engine_in_schema(&url);
    register(&e, "prompt_version", "chatbot", "1.0.0");
    register(&e, "prompt_version", "chatbot", "2.0.0");
    ship_staging(&e, vec![item("prompt_version", "chatbot", "1.0.0")]);
    let d = ship_staging(&e, vec![item("prompt_version", "chatbot", "2.0.0")]);
    let before = e.verify_audit().unwrap().entries;
    // A reason is a text column of its own: PostgreSQL cannot hold the NUL, the command fails whole.
    let err = e.rollback(P, &d.id, &lead("lena"), &NoopExecutor, &rb("bad\0answers")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    assert_eq!(e.verify_audit().unwrap().entries, before);
    assert_eq!(e.get_deployment(P, &d.id).unwrap().status, DeploymentStatus::Deployed);
    assert_eq!(live(&e, "staging", "prompt_version", "chatbot").as_deref(), Some("2.0.0"));
}
