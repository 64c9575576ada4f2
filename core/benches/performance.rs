//! The workloads of issue 8 over a generated history, next to the store's raw-SQL floor.
//!
//! `cargo bench -p deploygov --bench performance` measures them over 10,000 historical
//! deployments, and also over 1,000,000 with `DEPLOYGOV_BENCH_LARGE=1`;
//! `cargo test --benches -p deploygov` runs each once (criterion's test mode) over a small history.
//! Results and how to read them: `docs/benchmarks.md`.
//!
//! 1. `hot_read`: `active_version` of a random entity among the 10,000 live in `production`
//!    (`engine`: cached, an owned copy; `engine_shared`: cached, the shared entry;
//!    `engine_uncached`: straight from the store, the path before the cache);
//! 2. `lifecycle`: request, two approvals, execute, of a one-item deployment (production policy),
//!    with the default executor (`engine`: it acts only on the store, so the execution is one
//!    transaction) and with one acting elsewhere (`engine_host_executor`: two);
//! 3. `rollback`: roll back a deployment to the version it replaced;
//! 4. `list_deep`: one page of 50 deployments filtered by environment and requester, with a
//!    cursor 90 % of the way into the history;
//! 5. `verify_audit`: the whole chain (throughput in entries).
//!
//! Each has a `raw_sql` twin: the minimal SQLite statements for the same work (`support::raw`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "benchmarks fail loudly")]

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use deploygov::{
    Activation, ApproveOptions, DeploymentFilter, DeploymentRequest, DeploymentStatus, Engine, ExecuteOptions, Executor, ItemSpec,
    NoopExecutor, RiskLevel, RollbackOptions, VersionSpec,
};
use support::raw::{Execution, Raw};
use support::{Dataset, ENTITIES, ENTITY_TYPE, ENV, PROJECT, Rng, admin, entity_id};

/// Deploys new versions through the engine: alice requests, bob and carol approve, bob executes.
struct Releases<'e> {
    engine: &'e Engine,
    entities: usize,
    next_entity: usize,
    release: u64,
    /// Deployments added to the history (lifecycles and rollbacks).
    deployed: u64,
}

impl Releases<'_> {
    /// Registers the next version of the next entity (not part of any measured workload).
    fn register(&mut self) -> (String, String) {
        let eid = entity_id(self.next_entity);
        self.next_entity = (self.next_entity + 1) % self.entities;
        self.release += 1;
        let tag = format!("2.{}.0", self.release);
        let spec = VersionSpec { entity_type: ENTITY_TYPE.into(), entity_id: eid.clone(), version_tag: tag.clone(), ..Default::default() };
        self.engine.register_version(PROJECT, &spec, &admin("alice")).unwrap();
        (eid, tag)
    }

    /// The governed lifecycle, executed by `executor`; returns the deployed deployment's id.
    fn lifecycle(&mut self, eid: &str, tag: &str, executor: &dyn Executor) -> String {
        let e = self.engine;
        let item = ItemSpec {
            entity_type: ENTITY_TYPE.into(),
            entity_id: eid.into(),
            version_tag: tag.into(),
            change_message: Some("benchmark".into()),
            risk: RiskLevel::Low,
        };
        let req = DeploymentRequest { environment: ENV.into(), name: format!("{eid}-{tag}"), items: vec![item], ..Default::default() };
        let d = e.request_deployment(PROJECT, &req, &admin("alice")).unwrap();
        e.approve(PROJECT, &d.id, &admin("bob"), &ApproveOptions::default()).unwrap();
        e.approve(PROJECT, &d.id, &admin("carol"), &ApproveOptions::default()).unwrap();
        let done = e.execute(PROJECT, &d.id, &admin("bob"), executor, &ExecuteOptions::default()).unwrap();
        assert_eq!(done.status, DeploymentStatus::Deployed);
        self.deployed += 1;
        done.id
    }

    fn rollback(&mut self, id: &str) {
        let opts = RollbackOptions { target: None, reason: "benchmark".into() };
        let r = self.engine.rollback(PROJECT, id, &admin("alice"), &NoopExecutor, &opts).unwrap();
        assert_eq!(r.status, DeploymentStatus::Deployed);
        self.deployed += 1;
    }
}

fn workloads(c: &mut Criterion, ds: &Dataset) {
    let size = ds.label.as_str();
    let engine = Engine::open(ds.path_str()).unwrap();
    let sample = engine.list_deployments(PROJECT, &DeploymentFilter { limit: Some(1), ..Default::default() }).unwrap().items.remove(0);
    let doc = serde_json::to_string(&sample).unwrap();
    let mut raw = Raw::open(ds.path_str(), doc, support::audit_view(&sample).to_string(), ds.entities);
    let ids: Vec<String> = (0..ds.entities).map(entity_id).collect();

    // 1. Hot read.
    assert!(ids.iter().all(|id| engine.active_version(PROJECT, ENV, ENTITY_TYPE, id).unwrap().is_some()));
    let mut g = c.benchmark_group("hot_read");
    g.throughput(Throughput::Elements(1)).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let mut rng = Rng::new(42);
    g.bench_function(BenchmarkId::new("engine", size), |b| {
        b.iter(|| engine.active_version(PROJECT, ENV, ENTITY_TYPE, &ids[rng.below(ids.len())]).unwrap())
    });
    g.bench_function(BenchmarkId::new("engine_tag", size), |b| {
        b.iter(|| engine.active_version_tag(PROJECT, ENV, ENTITY_TYPE, &ids[rng.below(ids.len())]).unwrap())
    });
    g.bench_function(BenchmarkId::new("engine_shared", size), |b| {
        b.iter(|| engine.active_version_shared(PROJECT, ENV, ENTITY_TYPE, &ids[rng.below(ids.len())]).unwrap())
    });
    g.bench_function(BenchmarkId::new("engine_uncached", size), |b| {
        b.iter(|| engine.active_version_uncached(PROJECT, ENV, ENTITY_TYPE, &ids[rng.below(ids.len())]).unwrap())
    });
    g.bench_function(BenchmarkId::new("raw_sql", size), |b| b.iter(|| raw.point_read(&ids[rng.below(ids.len())])));
    g.finish();

    // 4. A filtered page deep in the history.
    let filter = DeploymentFilter {
        environment: Some(ENV.into()),
        requested_by: Some("alice".into()),
        cursor: Some(ds.deep_cursor.clone()),
        limit: Some(50),
        ..Default::default()
    };
    let page = engine.list_deployments(PROJECT, &filter).unwrap();
    assert_eq!(page.items.len(), 50);
    assert!(page.next_cursor.is_some());
    assert_eq!(raw.list_page("alice", &ds.deep_cursor), 51);
    let mut g = c.benchmark_group("list_deep");
    g.throughput(Throughput::Elements(1)).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    g.bench_function(BenchmarkId::new("engine", size), |b| b.iter(|| engine.list_deployments(PROJECT, black_box(&filter)).unwrap()));
    g.bench_function(BenchmarkId::new("raw_sql", size), |b| b.iter(|| raw.list_page("alice", black_box(&ds.deep_cursor))));
    g.finish();

    // 5. The whole audit chain (before the raw-SQL writes, which do not hash).
    let entries = engine.verify_audit().unwrap().entries;
    assert_eq!(entries, ds.audit_entries);
    let mut g = c.benchmark_group("verify_audit");
    let flat_time = Duration::from_secs_f64((entries as f64 / 20_000.0).clamp(5.0, 600.0));
    g.throughput(Throughput::Elements(u64::try_from(entries).unwrap()))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(flat_time);
    g.bench_function(BenchmarkId::new("engine", size), |b| b.iter(|| engine.verify_audit().unwrap()));
    g.bench_function(BenchmarkId::new("raw_sql", size), |b| b.iter(|| raw.scan_audit()));
    g.finish();

    // 2. The governed lifecycle; registering the version is set-up, not measured. `engine` with
    // the default executor, which acts only on the store (the execution is one transaction),
    // `engine_host_executor` with one that acts elsewhere (two: `deploying` commits first); each
    // against the raw SQL of the same transactions.
    let mut releases = Releases { engine: &engine, entities: ds.entities, next_entity: 0, release: 0, deployed: 0 };
    let host = |_: &Activation<'_>| Ok(());
    let mut g = c.benchmark_group("lifecycle");
    g.throughput(Throughput::Elements(1)).sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    for (name, executor) in [("engine", &NoopExecutor as &dyn Executor), ("engine_host_executor", &host)] {
        g.bench_function(BenchmarkId::new(name, size), |b| {
            b.iter_custom(|iters| {
                let batch: Vec<_> = (0..iters).map(|_| releases.register()).collect();
                let started = Instant::now();
                for (eid, tag) in &batch {
                    black_box(releases.lifecycle(eid, tag, executor));
                }
                started.elapsed()
            })
        });
    }
    g.bench_function(BenchmarkId::new("raw_sql", size), |b| b.iter(|| raw.lifecycle(Execution::OneTransaction)));
    g.bench_function(BenchmarkId::new("raw_sql_two_transactions", size), |b| b.iter(|| raw.lifecycle(Execution::TwoTransactions)));
    // The same four commits through SQLite's own VFS (two writes per WAL frame).
    raw.reconnect(true);
    g.bench_function(BenchmarkId::new("raw_sql_stock_vfs", size), |b| b.iter(|| raw.lifecycle(Execution::OneTransaction)));
    raw.reconnect(false);
    g.finish();

    // 3. Rollback to the previous version; the deployment it rolls back is set-up.
    let mut g = c.benchmark_group("rollback");
    g.throughput(Throughput::Elements(1)).sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    g.bench_function(BenchmarkId::new("engine", size), |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let (eid, tag) = releases.register();
                let id = releases.lifecycle(&eid, &tag, &NoopExecutor);
                let started = Instant::now();
                releases.rollback(&id);
                spent += started.elapsed();
            }
            spent
        })
    });
    g.bench_function(BenchmarkId::new("raw_sql", size), |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                raw.lifecycle(Execution::OneTransaction);
                let started = Instant::now();
                raw.rollback(Execution::OneTransaction);
                spent += started.elapsed();
            }
            spent
        })
    });
    g.finish();

    eprintln!(
        "deploygov bench {size}: the write benchmarks added {} deployments through the engine to the {} generated",
        releases.deployed, ds.deployments
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let started = Instant::now();
    if let Err(e) = support::check_generator() {
        panic!("the history generator no longer writes what the engine writes; update core/benches/support/mod.rs: {e}");
    }
    eprintln!("deploygov bench: generator checked against the engine in {:.1?}", started.elapsed());
    // Criterion's own rule: `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // `--bench --test` tests too. A test run checks that every workload runs, on a small history
    // (3,000 deployments over 1,000 entities) so that it stays quick in a debug build.
    let args: Vec<String> = std::env::args().collect();
    let test_mode = !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--test");
    let mut sizes = if test_mode { vec![(3_000, 1_000)] } else { vec![(10_000, ENTITIES)] };
    if !test_mode && std::env::var("DEPLOYGOV_BENCH_LARGE").is_ok_and(|v| v == "1") {
        sizes.push((1_000_000, ENTITIES));
    }
    for (n, entities) in sizes {
        let ds = Dataset::generate(n, entities);
        eprintln!(
            "deploygov bench {}: {} deployments of {} entities, {} audit entries, {:.0} MB, generated in {:.1?}",
            ds.label,
            ds.deployments,
            ds.entities,
            ds.audit_entries,
            ds.bytes as f64 / 1e6,
            ds.generated_in
        );
        workloads(&mut c, &ds);
    }
    c.final_summary();
}
