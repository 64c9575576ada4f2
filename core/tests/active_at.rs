//! Point-in-time active state (`Engine::active_state_at`, `StoreTx::active_at`): for each entity
//! of an environment its last change at or before an instant (by time, ties by `seq`), present
//! only when that change set a version; and the migration that added the index it seeks on.
//! Runs on SQLite, and on PostgreSQL when `DEPLOYGOV_TEST_POSTGRES_URL` is set (`common::store`).

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use common::*;
use deploygov::store::{SqliteStore, Store};
use deploygov::*;

const PROMPT: &str = "prompt_version";
const MODEL: &str = "ai_model";
const OTHER: &str = "other";

/// Registers a version in any project.
fn register_in(e: &Engine, project: &str, entity_type: &str, entity_id: &str, tag: &str) {
    let spec = VersionSpec { entity_type: entity_type.into(), entity_id: entity_id.into(), version_tag: tag.into(), ..Default::default() };
    e.register_version(project, &spec, &admin("ci")).unwrap();
}

/// Requests (as `dave`), approves when needed (as admin `ann`) and executes a deployment at the
/// clock's current instant; returns its id.
fn ship(e: &Engine, project: &str, env: &str, items: &[(&str, &str, &str)]) -> String {
    for (t, i, v) in items {
        register_in(e, project, t, i, v);
    }
    let items = items.iter().map(|(t, i, v)| item(t, i, v)).collect();
    let d = e.request_deployment(project, &request(env, items), &developer("dave")).unwrap();
    if d.status == DeploymentStatus::Pending {
        e.approve(project, &d.id, &admin("ann"), &ApproveOptions::default()).unwrap();
    }
    let d = e.execute(project, &d.id, &admin("ann"), &NoopExecutor, &ExecuteOptions::default()).unwrap();
    assert_eq!(d.status, DeploymentStatus::Deployed);
    d.id
}

/// `active_state_at` of `japm`'s staging as (type, id, version, since, deployment).
fn staging_at(e: &Engine, at: DateTime<Utc>) -> Vec<(String, String, String, DateTime<Utc>, String)> {
    e.active_state_at(P, "staging", at)
        .unwrap()
        .into_iter()
        .map(|l| (l.entity_type, l.entity_id, l.version_tag, l.since, l.deployment_id))
        .collect()
}

fn row(t: &str, i: &str, v: &str, since: DateTime<Utc>, d: &str) -> (String, String, String, DateTime<Utc>, String) {
    (t.to_owned(), i.to_owned(), v.to_owned(), since, d.to_owned())
}

#[test]
fn last_change_at_or_before_each_instant() {
    let (e, clock) = engine();
    let root = admin("root");
    e.create_project(OTHER, "acme", "Other", &root).unwrap();
    e.create_environment(OTHER, &EnvironmentSpec { name: "staging".into(), ..Default::default() }, &root).unwrap();
    let us = Duration::microseconds(1);
    let t0 = clock.now();

    // Another environment and another project change first, and again in between (same ids).
    clock.advance(Duration::minutes(30));
    ship(&e, P, "development", &[(PROMPT, "a", "0.1.0"), (PROMPT, "q", "0.1.0")]);
    ship(&e, OTHER, "staging", &[(PROMPT, "a", "9.0.0"), (MODEL, "c", "9.0.0")]);

    let t1 = t0 + Duration::hours(1);
    clock.set(t1);
    let d1 = ship(&e, P, "staging", &[(PROMPT, "a", "1.0.0"), (PROMPT, "b", "1.0.0"), (MODEL, "c", "1.0.0")]);
    let t2 = t0 + Duration::hours(2);
    clock.set(t2);
    let d2 = ship(&e, P, "staging", &[(PROMPT, "a", "2.0.0")]);
    clock.advance(Duration::minutes(10));
    ship(&e, P, "development", &[(PROMPT, "a", "0.2.0"), (MODEL, "z", "0.1.0")]);
    ship(&e, OTHER, "staging", &[(PROMPT, "a", "9.1.0"), (MODEL, "x", "9.0.0")]);
    let t3 = t0 + Duration::hours(3);
    clock.set(t3);
    let d3 = ship(&e, P, "staging", &[(PROMPT, "a", "3.0.0"), (PROMPT, "b", "2.0.0")]);
    // `x` goes live for the first time (with a new `c`), is rolled back to nothing (a change
    // without a version; `c` back to 1.0.0), then goes live again.
    let t4 = t0 + Duration::hours(4);
    clock.set(t4);
    let d4 = ship(&e, P, "staging", &[(MODEL, "c", "2.0.0"), (MODEL, "x", "1.0.0")]);
    let t5 = t0 + Duration::hours(5);
    clock.set(t5);
    let r = e.rollback(P, &d4, &lead("lena"), &NoopExecutor, &rb("regression")).unwrap();
    assert_eq!(r.status, DeploymentStatus::Deployed);
    assert_eq!(live(&e, "staging", MODEL, "x"), None);
    let t6 = t0 + Duration::hours(6);
    clock.set(t6);
    let d6 = ship(&e, P, "staging", &[(MODEL, "x", "1.1.0")]);
    // Two changes of `b` at the same instant: the later one (by seq) wins.
    let t7 = t0 + Duration::hours(7);
    clock.set(t7);
    ship(&e, P, "staging", &[(PROMPT, "b", "3.0.0")]);
    let d7b = ship(&e, P, "staging", &[(PROMPT, "b", "4.0.0")]);

    // Before the first change of staging (other environments and projects already changed).
    assert_eq!(staging_at(&e, t0), []);
    assert_eq!(staging_at(&e, t1 - us), []);
    // Exactly at a change's timestamp, and between changes. Ordered by (type, id).
    let at_t1 = vec![row(MODEL, "c", "1.0.0", t1, &d1), row(PROMPT, "a", "1.0.0", t1, &d1), row(PROMPT, "b", "1.0.0", t1, &d1)];
    assert_eq!(staging_at(&e, t1), at_t1);
    assert_eq!(staging_at(&e, t1 + Duration::minutes(30)), at_t1);
    assert_eq!(staging_at(&e, t2 - us), at_t1);
    let at_t2 = vec![row(MODEL, "c", "1.0.0", t1, &d1), row(PROMPT, "a", "2.0.0", t2, &d2), row(PROMPT, "b", "1.0.0", t1, &d1)];
    assert_eq!(staging_at(&e, t2), at_t2);
    assert_eq!(staging_at(&e, t2 + Duration::minutes(30)), at_t2, "the changes of development and `other` are not mixed in");
    let at_t3 = vec![row(MODEL, "c", "1.0.0", t1, &d1), row(PROMPT, "a", "3.0.0", t3, &d3), row(PROMPT, "b", "2.0.0", t3, &d3)];
    assert_eq!(staging_at(&e, t3), at_t3);
    // The deactivated entity: present from its activation until its deactivation, then absent.
    let mut at_t4 = at_t3.clone();
    at_t4[0] = row(MODEL, "c", "2.0.0", t4, &d4);
    at_t4.insert(1, row(MODEL, "x", "1.0.0", t4, &d4));
    assert_eq!(staging_at(&e, t4), at_t4);
    assert_eq!(staging_at(&e, t5 - us), at_t4);
    let mut at_t5 = at_t3.clone();
    at_t5[0] = row(MODEL, "c", "1.0.0", t5, &r.id);
    assert_eq!(staging_at(&e, t5), at_t5);
    assert_eq!(staging_at(&e, t5 + Duration::minutes(30)), at_t5);
    let mut at_t6 = at_t5.clone();
    at_t6.insert(1, row(MODEL, "x", "1.1.0", t6, &d6));
    assert_eq!(staging_at(&e, t6), at_t6);
    assert_eq!(staging_at(&e, t7 - us), at_t6);
    let mut at_t7 = at_t6.clone();
    at_t7[3] = row(PROMPT, "b", "4.0.0", t7, &d7b);
    assert_eq!(staging_at(&e, t7), at_t7);
    // After the last change: the current active state.
    let far = t7 + Duration::days(365);
    assert_eq!(staging_at(&e, far), at_t7);
    let now: Vec<_> = e
        .active_state(P, "staging")
        .unwrap()
        .into_iter()
        .map(|a| (a.entity_type, a.entity_id, a.version_tag, a.since, a.deployment_id))
        .collect();
    assert_eq!(now, at_t7);

    // The other environment and project have their own answers.
    let dev: Vec<_> = e.active_state_at(P, "development", far).unwrap().into_iter().map(|l| (l.entity_id, l.version_tag)).collect();
    assert_eq!(dev, [("z".to_owned(), "0.1.0".to_owned()), ("a".to_owned(), "0.2.0".to_owned()), ("q".to_owned(), "0.1.0".to_owned())]);
    let other: Vec<_> = e.active_state_at(OTHER, "staging", t2).unwrap().into_iter().map(|l| (l.entity_id, l.version_tag)).collect();
    assert_eq!(other, [("c".to_owned(), "9.0.0".to_owned()), ("a".to_owned(), "9.0.0".to_owned())]);
    assert_eq!(e.active_state_at(P, "production", far).unwrap(), []);

    // deployments_live_at reads the same rows.
    let ids: HashSet<String> = e.deployments_live_at(P, "staging", t3).unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(ids, HashSet::from([d1, d3]));
}

/// A SQLite file at migration 4 (what deploygov wrote before `history_by_env_at`), with history.
fn sqlite_at_version_4(path: &std::path::Path) {
    let migrations = rusqlite_migration::Migrations::new(vec![
        rusqlite_migration::M::up(include_str!("../src/store/schema.sql")),
        rusqlite_migration::M::up(include_str!("../src/store/schema_2_events.sql")),
        rusqlite_migration::M::up(include_str!("../src/store/schema_3_time.sql")),
        rusqlite_migration::M::up(include_str!("../src/store/schema_4_records.sql")),
    ]);
    let mut conn = rusqlite::Connection::open(path).unwrap();
    migrations.to_latest(&mut conn).unwrap();
    let rows: [(&str, &str, Option<&str>, i64); 5] = [
        ("a", "d1", Some("1.0.0"), 100),
        ("b", "d1", Some("1.0.0"), 100),
        ("a", "d2", Some("2.0.0"), 200),
        ("b", "d3", None, 300),
        ("a", "d4", Some("3.0.0"), 400),
    ];
    for (id, d, v, at) in rows {
        conn.execute(
            "INSERT INTO activation_history (project_id, environment, entity_type, entity_id, version_tag, deployment_id, at)
             VALUES ('japm', 'staging', 'model', ?1, ?3, ?2, ?4)",
            rusqlite::params![id, d, v, at],
        )
        .unwrap();
    }
}

/// (entity id, version) of `active_at` in `japm`'s staging at `micros`.
fn active_at(store: &dyn Store, micros: i64) -> Vec<(String, String)> {
    let at = DateTime::from_timestamp_micros(micros).unwrap();
    let mut out = Vec::new();
    store
        .read(&mut |tx| {
            out = tx.active_at(P, "staging", at)?.into_iter().map(|(h, _)| (h.entity_id, h.version_tag.unwrap())).collect();
            Ok(())
        })
        .unwrap();
    out
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[test]
fn sqlite_database_at_migration_4_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    sqlite_at_version_4(&path);
    let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 12);
    let names = |sql: &str| -> Vec<String> {
        conn.prepare(sql).unwrap().query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
    };
    let indexes = names("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'activation_history' ORDER BY name");
    assert_eq!(indexes, ["history_by_entity", "history_by_env_at", "history_by_env_time"]);
    // Migration 6: the store-wide status index is gone; the sweeps read the partial index of the
    // deployments in flight.
    let status_indexes = names(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND (name LIKE 'deployments_by_status%' OR name = 'deployments_in_flight')
         ORDER BY name",
    );
    assert_eq!(status_indexes, ["deployments_by_status", "deployments_in_flight"]);
    // Migration 8: the entities table, filled from the history, and the trigger that keeps it so.
    // Migrations 9 and 10: the snapshot tables, empty (instants before the first snapshot are
    // answered by the seeks), and the triggers that drop the snapshots a late change or an edit
    // of the history would make wrong. Migration 11: `events` takes no more rows, and `outbox` keeps its newest.
    assert_eq!(
        names("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"),
        [
            "events_frozen",
            "history_entities_fill",
            "outbox_keeps_newest",
            "snapshots_drop_on_delete",
            "snapshots_drop_on_update",
            "snapshots_drop_stale"
        ]
    );
    assert_eq!(names("SELECT entity_id FROM history_entities ORDER BY entity_id"), ["a", "b"]);
    assert_eq!(names("SELECT environment FROM state_snapshots UNION ALL SELECT environment FROM snapshot_entries"), Vec::<String>::new());
    assert_eq!(active_at(&store, 99), []);
    assert_eq!(active_at(&store, 100), pairs(&[("a", "1.0.0"), ("b", "1.0.0")]));
    assert_eq!(active_at(&store, 299), pairs(&[("a", "2.0.0"), ("b", "1.0.0")]));
    assert_eq!(active_at(&store, 300), pairs(&[("a", "2.0.0")]));
    assert_eq!(active_at(&store, 1000), pairs(&[("a", "3.0.0")]));
    // Opening again finds nothing to do.
    drop(store);
    SqliteStore::open(path.to_str().unwrap()).unwrap();
}

/// The same on PostgreSQL: a schema at migration 1 gets migration 2 on open.
#[cfg(feature = "postgres")]
#[test]
fn postgres_schema_at_migration_1_is_migrated_on_open() {
    let Some(url) = pg_url() else {
        eprintln!("skipped: DEPLOYGOV_TEST_POSTGRES_URL is not set (scripts/postgres.sh starts a server)");
        return;
    };
    /// Drops the schema (server URL, schema name) at the end of the test.
    struct DropSchema(String, String);
    impl Drop for DropSchema {
        fn drop(&mut self) {
            if let Ok(mut c) = postgres::Client::connect(&self.0, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.1));
            }
        }
    }
    let schema = pg::schema_name();
    let _guard = DropSchema(url.clone(), schema.clone());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\"")).unwrap();
    // What `PostgresStore::open` created before migration 2.
    c.batch_execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())").unwrap();
    c.batch_execute(include_str!("../src/store/pg_schema_1.sql")).unwrap();
    c.batch_execute("INSERT INTO schema_migrations (version) VALUES (1)").unwrap();
    let rows: [(i64, &str, &str, Option<&str>, i64); 5] = [
        (1, "a", "d1", Some("1.0.0"), 100),
        (2, "b", "d1", Some("1.0.0"), 100),
        (3, "a", "d2", Some("2.0.0"), 200),
        (4, "b", "d3", None, 300),
        (5, "a", "d4", Some("3.0.0"), 400),
    ];
    for (seq, id, d, v, at) in rows {
        c.execute(
            "INSERT INTO activation_history (seq, project_id, environment, entity_type, entity_id, version_tag, deployment_id, at)
             VALUES ($1, 'japm', 'staging', 'model', $2, $4, $3, $5)",
            &[&seq, &id, &d, &v, &at],
        )
        .unwrap();
    }
    c.execute("UPDATE seq_counters SET value = 5 WHERE name = 'activation_history'", &[]).unwrap();

    let store = deploygov::store::PostgresStore::open_in_schema(&url, &schema).unwrap();
    let versions: Vec<i32> =
        c.query("SELECT version FROM schema_migrations ORDER BY version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, [1, 2, 3]);
    let indexes: Vec<String> = c
        .query("SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 AND tablename = 'activation_history' ORDER BY 1", &[&schema])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(indexes, ["activation_history_pkey", "history_by_entity", "history_by_env_at"]);
    assert_eq!(active_at(&store, 99), []);
    assert_eq!(active_at(&store, 100), pairs(&[("a", "1.0.0"), ("b", "1.0.0")]));
    assert_eq!(active_at(&store, 299), pairs(&[("a", "2.0.0"), ("b", "1.0.0")]));
    assert_eq!(active_at(&store, 300), pairs(&[("a", "2.0.0")]));
    assert_eq!(active_at(&store, 1000), pairs(&[("a", "3.0.0")]));
}

/// Engines sharing a store may have skewed clocks (or a clock injected by a test that steps
/// back): a change stamped before its entity's previous change would make "the last change at
/// or before an instant" disagree with the current state. Such a change is stamped at its
/// predecessor's instant instead, so the history stays in time order.
#[test]
fn a_clock_stepping_back_never_reorders_an_entitys_history() {
    let (e, clock) = engine();
    let t0 = clock.now();
    let first = ship(&e, P, "staging", &[(PROMPT, "chatbot", "1.0.0")]);
    clock.set(t0 - Duration::seconds(3));
    let second = ship(&e, P, "staging", &[(PROMPT, "chatbot", "2.0.0")]);
    let live = e.active_state(P, "staging").unwrap();
    assert_eq!((live[0].version_tag.as_str(), live[0].since), ("2.0.0", t0), "stamped at its predecessor's instant");
    let later = t0 + Duration::seconds(1);
    assert_eq!(staging_at(&e, later), vec![row(PROMPT, "chatbot", "2.0.0", t0, &second)]);
    assert_eq!(staging_at(&e, t0), vec![row(PROMPT, "chatbot", "2.0.0", t0, &second)], "ties go to the later change");
    assert!(staging_at(&e, t0 - Duration::microseconds(1)).is_empty());
    let history = e.entity_history(P, PROMPT, "chatbot", None).unwrap();
    assert_eq!(
        history.iter().map(|h| (h.deployment_id.as_str(), h.at)).collect::<Vec<_>>(),
        vec![(second.as_str(), t0), (first.as_str(), t0)]
    );
    // Another entity is not held back by this one's history.
    let other = ship(&e, P, "staging", &[(MODEL, "gpt", "1.0.0")]);
    let at = clock.now();
    assert!(at < t0);
    assert_eq!(staging_at(&e, at), vec![row(MODEL, "gpt", "1.0.0", at, &other)]);
}

/// Ships to every environment in several ways: development (automatic approval), staging (one
/// lead), production (two admins, executed by a third person), a multi-item deployment, a
/// rollback; returns the instant after all of it.
fn varied_history(e: &Engine, clock: &ManualClock) -> DateTime<Utc> {
    for (k, tag) in ["1.0.0", "2.0.0", "3.0.0"].into_iter().enumerate() {
        for (t, i) in [(PROMPT, "chat"), (MODEL, "gpt")] {
            register_in(e, P, t, i, tag);
        }
        clock.advance(Duration::seconds(10));
        let dev = e.request_deployment(P, &request("development", vec![item(PROMPT, "chat", tag)]), &developer("dave")).unwrap();
        e.execute(P, &dev.id, &developer("dave"), &NoopExecutor, &ExecuteOptions::default()).unwrap();
        clock.advance(Duration::seconds(10));
        ship_staging(e, vec![item(PROMPT, "chat", tag), item(MODEL, "gpt", tag)]);
        clock.advance(Duration::seconds(10));
        let prod = e.request_deployment(P, &request("production", vec![item(MODEL, "gpt", tag)]), &admin("dora")).unwrap();
        approve(e, &prod.id, &admin(if k % 2 == 0 { "ann" } else { "bob" }));
        approve(e, &prod.id, &admin("carl"));
        execute(e, &prod.id, &admin("eve"));
    }
    clock.advance(Duration::seconds(10));
    let last = e.active_version(P, "staging", PROMPT, "chat").unwrap().unwrap().deployment_id;
    e.rollback(P, &last, &admin("root"), &NoopExecutor, &rb("bad prompt")).unwrap();
    clock.advance(Duration::seconds(10));
    clock.now()
}

/// The people named by `active_state_at`, derived from each entry's deployment instead.
fn people_from_deployments(e: &Engine, live: &[LiveEntry]) -> Vec<(String, Vec<String>, Option<String>)> {
    live.iter()
        .map(|l| {
            let d = e.get_deployment(P, &l.deployment_id).unwrap();
            let approvers = d.approvals.iter().filter(|a| a.actor_id != AUTO_APPROVER).map(|a| a.actor_id.clone()).collect();
            (d.requested_by, approvers, d.executed_by)
        })
        .collect()
}

fn people(live: &[LiveEntry]) -> Vec<(String, Vec<String>, Option<String>)> {
    live.iter().map(|l| (l.requested_by.clone(), l.approved_by.clone(), l.executed_by.clone())).collect()
}

#[test]
fn each_change_names_the_people_of_its_deployment() {
    let (e, clock) = engine();
    let start = clock.now();
    let end = varied_history(&e, &clock);
    let mut instant = start;
    while instant <= end {
        for env in ["development", "staging", "production"] {
            let live = e.active_state_at(P, env, instant).unwrap();
            assert_eq!(people(&live), people_from_deployments(&e, &live), "{env} at {instant}");
        }
        instant += Duration::seconds(5);
    }
    let prod = e.active_state_at(P, "production", end).unwrap();
    assert_eq!(people(&prod), [("dora".to_owned(), vec!["ann".to_owned(), "carl".to_owned()], Some("eve".to_owned()))]);
    let dev = e.active_state_at(P, "development", end).unwrap();
    assert_eq!(people(&dev), [("dave".to_owned(), vec![], Some("dave".to_owned()))], "automatic approval names nobody");
}

/// Changes stored before SQLite migration 7 have no people: they are named from their
/// deployment, and the answer is the same as for changes that carry them.
#[test]
fn changes_stored_without_people_are_named_from_their_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.db");
    let clock = common::clock();
    let e = file_engine(path.to_str().unwrap(), &clock);
    setup(&e);
    let start = clock.now();
    let end = varied_history(&e, &clock);
    let instants: Vec<DateTime<Utc>> = (0..).map(|k| start + Duration::seconds(5 * k)).take_while(|t| *t <= end).collect();
    let answer = |e: &Engine| -> Vec<Vec<LiveEntry>> {
        instants.iter().flat_map(|t| ["development", "staging", "production"].map(|env| e.active_state_at(P, env, *t).unwrap())).collect()
    };
    let with_people = answer(&e);
    drop(e);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let stored: i64 = conn.query_row("SELECT COUNT(*) FROM activation_history WHERE people IS NOT NULL", [], |r| r.get(0)).unwrap();
    let all: i64 = conn.query_row("SELECT COUNT(*) FROM activation_history", [], |r| r.get(0)).unwrap();
    assert!(all > 10);
    assert_eq!(stored, all, "every change carries its people");
    // As a database written before migration 7 has it: every other change without people.
    conn.execute("UPDATE activation_history SET people = NULL WHERE seq % 2 = 0", []).unwrap();
    drop(conn);
    let e = file_engine(path.to_str().unwrap(), &clock);
    assert_eq!(answer(&e), with_people);
    // A stored value that is not `ChangePeople` is a storage error, never a wrong answer.
    drop(e);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE activation_history SET people = '{\"requested_by\": 7}'", []).unwrap();
    drop(conn);
    let e = file_engine(path.to_str().unwrap(), &clock);
    let err = e.active_state_at(P, "production", end).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage, "{err}");
}

/// A change appended to the history by anything other than this engine (a process still running
/// a binary from before migration 8, which opened the file earlier) is still found: the trigger
/// of migration 8 keeps `history_entities` complete.
#[test]
fn a_change_written_without_the_engine_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trigger.db");
    let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    // What a binary at migration 7 writes: no `history_entities` row of its own.
    for (id, v, at) in [("a", "1.0.0", 100), ("b", "1.0.0", 150), ("a", "2.0.0", 200)] {
        conn.execute(
            "INSERT INTO activation_history (project_id, environment, entity_type, entity_id, version_tag, deployment_id, at, people)
             VALUES ('japm', 'staging', 'model', ?1, ?2, 'd', ?3, NULL)",
            rusqlite::params![id, v, at],
        )
        .unwrap();
    }
    let entities: i64 = conn.query_row("SELECT COUNT(*) FROM history_entities", [], |r| r.get(0)).unwrap();
    assert_eq!(entities, 2, "one row per entity, however many changes");
    assert_eq!(active_at(&store, 120), pairs(&[("a", "1.0.0")]));
    assert_eq!(active_at(&store, 1000), pairs(&[("a", "2.0.0"), ("b", "1.0.0")]));
}

/// A history long enough for the SQLite store to write snapshots of staging (migration 9): every
/// instant is answered as the history says, before, at and after a snapshot; a change stamped
/// before the snapshot's instant (a clock behind) drops it, and the answers stay right.
#[test]
fn a_long_history_is_answered_from_snapshots() {
    use rusqlite::OptionalExtension as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshots.db");
    let clock = clock();
    let e = file_engine(path.to_str().unwrap(), &clock);
    setup(&e);
    let entities: Vec<String> = (0..10).map(|k| format!("m{k}")).collect();
    // Round r ships every entity at version r (10 changes); 300 rounds, a second apart.
    let mut rounds = Vec::new();
    for r in 0..300 {
        let tag = format!("{r}.0.0");
        let items: Vec<(&str, &str, &str)> = entities.iter().map(|i| (MODEL, i.as_str(), tag.as_str())).collect();
        rounds.push((clock.now(), tag.clone(), ship(&e, P, "staging", &items)));
        clock.advance(Duration::seconds(1));
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let snapshots = |conn: &rusqlite::Connection| -> Vec<i64> {
        conn.prepare("SELECT at FROM state_snapshots WHERE environment = 'staging' ORDER BY at")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let taken = snapshots(&conn);
    assert!(taken.len() >= 2, "3,000 changes: a snapshot is due every 1,000 or so: {taken:?}");
    let expect = |rounds: &[(DateTime<Utc>, String, String)], extra: &[(String, String, DateTime<Utc>, String)]| {
        for (k, (at, tag, d)) in rounds.iter().enumerate() {
            // Every entity at version `v` since `since` (deployment `d`), and the extra changes
            // made at or before the instant asked about.
            let all = |v: &str, since: DateTime<Utc>, d: &str, asked: DateTime<Utc>| -> Vec<_> {
                let mut rows: Vec<_> = entities.iter().map(|i| row(MODEL, i, v, since, d)).collect();
                rows.extend(extra.iter().filter(|x| x.2 <= asked).map(|(i, v, s, d)| row(MODEL, i, v, *s, d)));
                rows.sort();
                rows
            };
            assert_eq!(staging_at(&e, *at), all(tag, *at, d, *at), "at round {k}");
            let after = *at + Duration::milliseconds(999);
            assert_eq!(staging_at(&e, after), all(tag, *at, d, after), "after round {k}");
            if let Some((prev, before, bd)) = k.checked_sub(1).and_then(|p| rounds.get(p)) {
                let asked = *at - Duration::microseconds(1);
                assert_eq!(staging_at(&e, asked), all(before, *prev, bd, asked), "before round {k}");
            }
        }
    };
    expect(&rounds, &[]);
    // A new entity shipped with the clock a second before the last snapshot: stamped before its
    // instant, so that snapshot goes.
    let last = *taken.last().unwrap();
    let now = clock.now();
    clock.set(DateTime::from_timestamp_micros(last).unwrap() - Duration::seconds(1));
    let late_at = clock.now();
    let seq_before: i64 = conn.query_row("SELECT MAX(seq) FROM activation_history", [], |r| r.get(0)).unwrap();
    let late = ship(&e, P, "staging", &[(MODEL, "late", "1.0.0")]);
    clock.set(now);
    // The last snapshot was dropped: one at its instant now can only have been written after.
    let again: Option<Option<i64>> = conn
        .query_row("SELECT upto_seq FROM state_snapshots WHERE environment = 'staging' AND at = ?1", [last], |r| r.get(0))
        .optional()
        .unwrap();
    assert!(again.is_none_or(|upto| upto.is_some_and(|u| u > seq_before)), "{again:?}");
    // The earlier snapshots stay, so the instants after the late change are answered from one
    // of them and the changes since, the late one among them.
    let left = snapshots(&conn);
    let kept: Vec<i64> = taken.iter().copied().filter(|&t| t < late_at.timestamp_micros()).collect();
    assert!(!kept.is_empty() && left.starts_with(&kept), "taken {taken:?}, left {left:?}");
    expect(&rounds, &[("late".into(), "1.0.0".into(), late_at, late)]);
}
