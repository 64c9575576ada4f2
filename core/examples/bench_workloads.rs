//! The workloads of issue 8 from Rust, for `scripts/bench.sh` (which runs the same from Python
//! and Node and prints one table). Not a criterion benchmark: fixed iteration counts, one
//! wall-clock measurement each, so that three languages can be compared over the same data set.
//!
//! ```text
//! bench_workloads generate <deployments>      # prints: db=<path> cursor=<id> at=<rfc3339>
//! bench_workloads run <db> <cursor> <at> [--quick]
//! bench_workloads hot <db> <reads> shared|owned|uncached   # only hot reads (for callgrind)
//! bench_workloads lifecycles <db> <n> [writers] [host]     # only lifecycles (for perf)
//! bench_workloads at <db> <rfc3339> <calls>                # only active_state_at (for perf)
//! bench_workloads verify <db>                              # only verify_audit
//! ```
//!
//! `generate` uses the benchmarks' generator (`core/benches/support`); set
//! `DEPLOYGOV_BENCH_KEEP=1` (and `DEPLOYGOV_BENCH_DIR`) so the database outlives the command.
//! `run` prints one line per workload: `rust <workload> <per second> <µs per operation>`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "a benchmark fails loudly")]
#![allow(missing_docs, reason = "an example")]

#[path = "../benches/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use deploygov::{
    Activation, ApproveOptions, DeploymentFilter, DeploymentRequest, DeploymentStatus, Engine, EnvironmentSpec, ExecuteOptions, Executor,
    ItemSpec, NoopExecutor, RiskLevel, RollbackOptions, VersionSpec,
};
use support::{Dataset, ENTITIES, ENTITY_TYPE, ENV, PROJECT, Rng, admin, entity_id, snapshots_direct};

fn report(workload: &str, ops: f64, elapsed: Duration) {
    let per_op = elapsed.as_secs_f64() / ops;
    println!("rust {workload} {:.0} {:.3}", 1.0 / per_op, per_op * 1e6);
}

/// Runs `f` in rounds of `batch` until `budget` has passed; returns (operations, time).
fn timed(budget: Duration, batch: u64, mut f: impl FnMut()) -> (f64, Duration) {
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < budget {
        for _ in 0..batch {
            f();
        }
        n += batch;
    }
    (n as f64, started.elapsed())
}

/// Registers version `tag` of `eid` (a catalog write, not part of the timed lifecycle).
fn register(e: &Engine, eid: &str, tag: &str) {
    register_in(e, PROJECT, eid, tag);
}

fn register_in(e: &Engine, project: &str, eid: &str, tag: &str) {
    let spec = VersionSpec { entity_type: ENTITY_TYPE.into(), entity_id: eid.into(), version_tag: tag.into(), ..Default::default() };
    e.register_version(project, &spec, &admin("alice")).unwrap();
}

/// The governed lifecycle of issue 8: request, two approvals, execute (production policy), with
/// the default executor (it acts only on the store: the execution is one transaction).
fn lifecycle(e: &Engine, eid: &str, tag: &str) -> String {
    lifecycle_in(e, PROJECT, eid, tag, &NoopExecutor)
}

/// An executor that acts outside the store (here: nowhere), so the execution is two
/// transactions: `deploying` commits before it is called.
fn host(_: &Activation<'_>) -> Result<(), String> {
    Ok(())
}

fn lifecycle_in(e: &Engine, project: &str, eid: &str, tag: &str, executor: &dyn Executor) -> String {
    let item = ItemSpec {
        entity_type: ENTITY_TYPE.into(),
        entity_id: eid.into(),
        version_tag: tag.into(),
        change_message: None,
        risk: RiskLevel::Low,
    };
    let req = DeploymentRequest { environment: ENV.into(), name: format!("{eid}-{tag}"), items: vec![item], ..Default::default() };
    let d = e.request_deployment(project, &req, &admin("alice")).unwrap();
    e.approve(project, &d.id, &admin("bob"), &ApproveOptions::default()).unwrap();
    e.approve(project, &d.id, &admin("carol"), &ApproveOptions::default()).unwrap();
    let done = e.execute(project, &d.id, &admin("bob"), executor, &ExecuteOptions::default()).unwrap();
    assert_eq!(done.status, DeploymentStatus::Deployed);
    done.id
}

/// The project of concurrent writer `w`: its own team, whose `production` environment (default
/// production policy) deploys one thing at a time, like the history's.
fn tenant(w: usize) -> String {
    format!("tenant-{w}")
}

/// Creates the writers' projects (once per data set) and registers tag `i` of entity `i` in
/// the project of writer `i % writers`.
fn prepare_tenants(e: &Engine, tags: &[String], writers: usize) {
    let root = admin("root");
    for w in 0..writers {
        if e.get_project(&tenant(w)).is_err() {
            e.create_project(&tenant(w), "acme", "Concurrent writers", &root).unwrap();
            e.create_environment(&tenant(w), &EnvironmentSpec { name: ENV.into(), ..Default::default() }, &root).unwrap();
        }
    }
    for (i, tag) in tags.iter().enumerate() {
        register_in(e, &tenant(i % writers), &entity_id(i % ENTITIES), tag);
    }
}

/// The lifecycles of `tags` (tag `i` of entity `i`) from `writers` threads at once, writer `w`
/// running those with `i % writers == w` in its own project (see [`prepare_tenants`]).
fn concurrent_lifecycles(e: &Engine, tags: &[String], writers: usize) {
    std::thread::scope(|s| {
        for w in 0..writers {
            let project = tenant(w);
            s.spawn(move || {
                for (i, tag) in tags.iter().enumerate().skip(w).step_by(writers) {
                    black_box(lifecycle_in(e, &project, &entity_id(i % ENTITIES), tag, &NoopExecutor));
                }
            });
        }
    });
}

/// `verify_audit` as it was before it hashed the stored text: pages of parsed entries, each
/// re-canonicalized through `serde_json::Value` (for a before/after comparison in one run).
fn verify_by_reparsing(db: &str) -> i64 {
    use deploygov::store::{SqliteStore, Store};
    let store = SqliteStore::open(db).unwrap();
    let mut prev = deploygov::audit::GENESIS_HASH.to_owned();
    let mut seq = 0;
    store
        .read(&mut |tx| {
            loop {
                let page = tx.audit_page(seq, 1000)?;
                for e in &page {
                    assert_eq!((e.seq, &e.prev_hash), (seq + 1, &prev));
                    assert_eq!(deploygov::audit::entry_hash(e)?, e.hash);
                    prev.clone_from(&e.hash);
                    seq = e.seq;
                }
                if page.len() < 1000 {
                    return Ok(());
                }
            }
        })
        .unwrap();
    seq
}

fn run(db: &str, cursor: &str, at: &str, quick: bool) {
    let e = Engine::open(db).unwrap();
    let ids: Vec<String> = (0..ENTITIES).map(entity_id).collect();
    let budget = Duration::from_millis(if quick { 1000 } else { 3000 });
    let mut rng = Rng::new(42);

    let (n, t) = timed(budget, 10_000, || {
        black_box(e.active_version_shared(PROJECT, ENV, ENTITY_TYPE, &ids[rng.below(ids.len())]).unwrap());
    });
    report("hot_read_shared", n, t);
    let (n, t) = timed(budget, 10_000, || {
        black_box(e.active_version(PROJECT, ENV, ENTITY_TYPE, &ids[rng.below(ids.len())]).unwrap());
    });
    report("hot_read", n, t);
    let (n, t) = timed(budget, 10_000, || {
        black_box(e.active_version_tag(PROJECT, ENV, ENTITY_TYPE, &ids[rng.below(ids.len())]).unwrap());
    });
    report("hot_read_tag", n, t);
    let (n, t) = timed(budget, 1_000, || {
        black_box(e.active_version_uncached(PROJECT, ENV, ENTITY_TYPE, &ids[rng.below(ids.len())]).unwrap());
    });
    report("hot_read_uncached", n, t);

    let filter = DeploymentFilter {
        environment: Some(ENV.into()),
        requested_by: Some("alice".into()),
        cursor: Some(cursor.into()),
        limit: Some(50),
        ..Default::default()
    };
    let (n, t) = timed(budget, 100, || {
        black_box(e.list_deployments(PROJECT, &filter).unwrap());
    });
    report("list_deep", n, t);

    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&chrono::Utc);
    // The first call reads the pages from disk (a 1M history does not stay in the page cache);
    // the timed calls after it are the steady state.
    let started = Instant::now();
    black_box(e.active_state_at(PROJECT, ENV, at).unwrap());
    report("active_state_at_first", 1.0, started.elapsed());
    let (n, t) = timed(budget, 1, || {
        black_box(e.active_state_at(PROJECT, ENV, at).unwrap());
    });
    report("active_state_at", n, t);

    let started = Instant::now();
    let entries = e.verify_audit().unwrap().entries;
    report("verify_audit_entries", entries as f64, started.elapsed());
    let started = Instant::now();
    assert_eq!(verify_by_reparsing(db), entries);
    report("verify_audit_reparse_entries", entries as f64, started.elapsed());

    let rounds = if quick { 200 } else { 1000 };
    // The versions are registered first: the timed lifecycle is request, 2 approvals, execute
    // (the other languages do the same). The default executor (the execution in one transaction)
    // and a host's (two) alternate, on entities of their own, so that both rows run under the
    // same conditions; a snapshot of the environment's state, written by one commit in ~5,000
    // per environment (23-42 ms), lands in one of them.
    let executors: [(&str, &dyn Executor); 2] = [("lifecycle", &NoopExecutor), ("lifecycle_host_executor", &host)];
    let eid = |i: usize, k: usize| entity_id((i + k * 2500) % ENTITIES);
    for i in 0..rounds {
        for k in 0..executors.len() {
            register(&e, &eid(i, k), &format!("3.{i}.{k}"));
        }
    }
    let mut spent = [Duration::ZERO; 2];
    for i in 0..rounds {
        for (k, (_, executor)) in executors.iter().enumerate() {
            let started = Instant::now();
            black_box(lifecycle_in(&e, PROJECT, &eid(i, k), &format!("3.{i}.{k}"), *executor));
            spent[k] += started.elapsed();
        }
    }
    for ((name, _), spent) in executors.iter().zip(spent) {
        report(name, f64::from(u32::try_from(rounds).unwrap()), spent);
    }

    // The same from 4 threads at once, each in its own project (one environment runs one
    // deployment at a time): the store has one writer, so this shows what concurrency adds.
    let tags: Vec<String> = (0..rounds).map(|i| format!("3.{i}.w")).collect();
    prepare_tenants(&e, &tags, 4);
    let started = Instant::now();
    concurrent_lifecycles(&e, &tags, 4);
    report("lifecycle_concurrent", f64::from(u32::try_from(rounds).unwrap()), started.elapsed());

    let mut spent = Duration::ZERO;
    for i in 0..rounds / 2 {
        register(&e, &entity_id((i + 5000) % ENTITIES), &format!("4.{i}.0"));
        let id = lifecycle(&e, &entity_id((i + 5000) % ENTITIES), &format!("4.{i}.0"));
        let started = Instant::now();
        let r =
            e.rollback(PROJECT, &id, &admin("alice"), &NoopExecutor, &RollbackOptions { target: None, reason: "bench".into() }).unwrap();
        spent += started.elapsed();
        assert_eq!(r.status, DeploymentStatus::Deployed);
    }
    report("rollback", f64::from(u32::try_from(rounds / 2).unwrap()), spent);

    // Peak resident memory of the whole run, to compare across history sizes.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kib) =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches(" kB").parse::<f64>().ok())
    {
        println!("rust peak_rss_mib {:.0} 0", kib / 1024.0);
    }

    // The store's physical floor: one commit writing k B-trees (a lifecycle is five commits of
    // 8 to 20 B-trees each), in a scratch file beside the data set.
    let scratch = std::path::Path::new(db).with_extension("floor.db");
    // Through the engine's WAL VFS, then through SQLite's own (two writes per page).
    for (prefix, stock) in [("commit_floor", false), ("commit_floor_stock", true)] {
        for k in [1, 4, 8, 14] {
            let per_commit = support::raw::commit_floor(&scratch, k, if quick { 1000 } else { 4000 }, stock);
            report(&format!("{prefix}_{k}"), 1.0, per_commit);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") => {
            let n: usize = args.get(1).map_or(10_000, |s| s.parse().unwrap());
            let ds = Dataset::generate(n, ENTITIES);
            let e = Engine::open(ds.path_str()).unwrap();
            let newest = e.list_deployments(PROJECT, &DeploymentFilter { limit: Some(1), ..Default::default() }).unwrap().items.remove(0);
            // Half-way through the history (one deployment a minute).
            let at = newest.requested_at - chrono::Duration::minutes(i64::try_from(n / 2).unwrap());
            eprintln!("generated {} deployments, {} audit entries in {:.1?}", ds.deployments, ds.audit_entries, ds.generated_in);
            println!("db={} cursor={} at={}", ds.path_str(), ds.deep_cursor, at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        }
        Some("hot") if args.len() >= 4 => {
            // For callgrind: `hot <db> <reads> shared|owned|uncached` (instructions per read =
            // the difference between two read counts, divided).
            let e = Engine::open(&args[1]).unwrap();
            let n: usize = args[2].parse().unwrap();
            let mut rng = Rng::new(7);
            let ids: Vec<String> = (0..ENTITIES).map(entity_id).collect();
            for _ in 0..n {
                let id = &ids[rng.below(ids.len())];
                match args[3].as_str() {
                    "shared" => drop(black_box(e.active_version_shared(PROJECT, ENV, ENTITY_TYPE, id).unwrap())),
                    "owned" => drop(black_box(e.active_version(PROJECT, ENV, ENTITY_TYPE, id).unwrap())),
                    _ => drop(black_box(e.active_version_uncached(PROJECT, ENV, ENTITY_TYPE, id).unwrap())),
                }
            }
        }
        Some("at") if args.len() >= 4 => {
            // For perf: `at <db> <rfc3339> <calls>` (only active_state_at, after one warm-up call).
            let e = Engine::open(&args[1]).unwrap();
            let at = chrono::DateTime::parse_from_rfc3339(&args[2]).unwrap().with_timezone(&chrono::Utc);
            let n: u32 = args[3].parse().unwrap();
            black_box(e.active_state_at(PROJECT, ENV, at).unwrap());
            let started = Instant::now();
            for _ in 0..n {
                black_box(e.active_state_at(PROJECT, ENV, at).unwrap());
            }
            report("active_state_at", f64::from(n), started.elapsed());
        }
        Some("lifecycles") if args.len() >= 3 => {
            // For perf: `lifecycles <db> <n> [writers] [host]` (only the write path; versions
            // registered first; with writers > 1, that many threads in their own projects;
            // `host`: an executor acting outside the store, so two transactions to execute).
            let e = Engine::open(&args[1]).unwrap();
            let n: usize = args[2].parse().unwrap();
            let writers: usize = args.get(3).map_or(1, |w| w.parse().unwrap());
            let executor: &dyn Executor = if args.get(4).is_some_and(|a| a == "host") { &host } else { &NoopExecutor };
            let tags: Vec<String> = (0..n).map(|i| format!("5.{i}.{}", std::process::id())).collect();
            if writers > 1 {
                prepare_tenants(&e, &tags, writers);
                let started = Instant::now();
                concurrent_lifecycles(&e, &tags, writers);
                report("lifecycle_concurrent", n as f64, started.elapsed());
            } else {
                for (i, tag) in tags.iter().enumerate() {
                    register(&e, &entity_id(i % ENTITIES), tag);
                }
                let started = Instant::now();
                let mut each = Vec::with_capacity(n);
                for (i, tag) in tags.iter().enumerate() {
                    let one = Instant::now();
                    black_box(lifecycle_in(&e, PROJECT, &entity_id(i % ENTITIES), tag, executor));
                    each.push(one.elapsed());
                }
                report("lifecycle", n as f64, started.elapsed());
                // The slowest ones: a snapshot of the environment's state is written by one
                // commit in so many (core/src/store/sqlite_snapshots.rs).
                each.sort_unstable();
                let at =
                    |q: f64| each.get(((each.len() as f64 * q) as usize).min(each.len().saturating_sub(1))).copied().unwrap_or_default();
                let slow = at(0.5) * 2;
                let total: Duration = each.iter().sum();
                let in_slow: Duration = each.iter().filter(|d| **d > slow).sum();
                eprintln!(
                    "lifecycle p50 {:.2?} p90 {:.2?} p99 {:.2?} max {:.2?}; over 2x p50: {} lifecycles, {:.0}% of the time",
                    at(0.5),
                    at(0.9),
                    at(0.99),
                    at(1.0),
                    each.iter().filter(|d| **d > slow).count(),
                    100.0 * in_slow.as_secs_f64() / total.as_secs_f64().max(f64::MIN_POSITIVE)
                );
            }
        }
        Some("at-spread") if args.len() >= 3 => {
            // `at-spread <db> <instants>`: active_state_at at instants spread evenly over the
            // middle half of the history (each 5 calls after a warm-up one), so that the result
            // does not hang on where one instant falls between two snapshots; prints the mean
            // cost per call and per live entity.
            let e = Engine::open(&args[1]).unwrap();
            let n: u32 = args[2].parse().unwrap();
            let conn = rusqlite::Connection::open(&args[1]).unwrap();
            let (first, last): (i64, i64) = conn
                .query_row(
                    "SELECT MIN(at), MAX(at) FROM activation_history WHERE project_id = ?1 AND environment = ?2",
                    rusqlite::params![PROJECT, ENV],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            let (mut calls, mut entries, mut spent) = (0_u32, 0_usize, Duration::ZERO);
            for k in 0..n {
                let micros = first + (last - first) / 4 + (last - first) / 2 * i64::from(k) / i64::from(n.max(2) - 1);
                let at = chrono::DateTime::from_timestamp_micros(micros).unwrap();
                entries += 5 * black_box(e.active_state_at(PROJECT, ENV, at).unwrap()).len();
                let started = Instant::now();
                for _ in 0..5 {
                    black_box(e.active_state_at(PROJECT, ENV, at).unwrap());
                }
                spent += started.elapsed();
                calls += 5;
            }
            let per_call = spent.as_secs_f64() * 1e6 / f64::from(calls);
            let per_entry = spent.as_secs_f64() * 1e6 / entries as f64;
            println!("rust active_state_at_spread {n} instants: {per_call:.0} us per call, {per_entry:.3} us per live entity");
        }
        Some("verify") if args.len() >= 2 => {
            // `verify <db>`: only verify_audit (from a cold file: drop the page cache first).
            let e = Engine::open(&args[1]).unwrap();
            let started = Instant::now();
            let entries = e.verify_audit().unwrap().entries;
            report("verify_audit_entries", entries as f64, started.elapsed());
        }
        Some("snapshots") if args.len() >= 2 => {
            // `snapshots <db>`: adds the snapshots the engine would have written to a history
            // generated before they existed (migration 9).
            drop(Engine::open(&args[1]).unwrap());
            let conn = rusqlite::Connection::open(&args[1]).unwrap();
            let started = Instant::now();
            conn.execute_batch("BEGIN").unwrap();
            snapshots_direct(&conn);
            conn.execute_batch("COMMIT").unwrap();
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM state_snapshots", [], |r| r.get(0)).unwrap();
            eprintln!("{n} snapshots in {:.1?}", started.elapsed());
        }
        Some("run") if args.len() >= 4 => run(&args[1], &args[2], &args[3], args.iter().any(|a| a == "--quick")),
        _ => {
            eprintln!(
                "usage: bench_workloads generate <deployments> | run <db> <cursor> <at> [--quick] | hot <db> <reads> shared|owned|uncached \
                 | lifecycles <db> <n> [writers] [host] | at <db> <rfc3339> <calls> | at-spread <db> <instants> | verify <db> | snapshots <db>"
            );
            std::process::exit(2);
        }
    }
}
