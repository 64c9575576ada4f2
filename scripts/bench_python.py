"""The workloads of issue 8 from Python (scripts/bench.sh runs it; same data set and counts as
core/examples/bench_workloads.rs). Prints `python <workload> <per second> <µs per operation>`.

usage: bench_python.py <db> <cursor> <at> [--quick]
"""

import random
import resource
import sys
import time
from datetime import datetime

import deploygov

P, ENV, T = "bench", "production", "prompt_version"
ENTITIES = 10_000


def admin(name: str) -> dict:
    return {"id": name, "roles": ["admin"]}


def report(workload: str, ops: float, elapsed: float) -> None:
    per_op = elapsed / ops
    print(f"python {workload} {1 / per_op:.0f} {per_op * 1e6:.3f}", flush=True)


def timed(budget: float, batch: int, f) -> tuple[float, float]:
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < budget:
        for _ in range(batch):
            f()
        n += batch
    return n, time.perf_counter() - started


def register(e: deploygov.Engine, eid: str, tag: str) -> None:
    e.register_version(P, {"entity_type": T, "entity_id": eid, "version_tag": tag}, admin("alice"))


def host_executor(activation: object) -> None:
    """An executor of the host's: the execution is then two transactions (deploying first)."""


def lifecycle(e: deploygov.Engine, eid: str, tag: str, executor: object = None) -> str:
    """Request, two approvals, execute (the version is registered beforehand); without an
    executor, the default one, which acts only on the store (one transaction to execute)."""
    item = {"entity_type": T, "entity_id": eid, "version_tag": tag}
    d = e.request_deployment(P, {"environment": ENV, "name": f"{eid}-{tag}", "items": [item]}, admin("alice"))
    e.approve(P, d.id, admin("bob"))
    e.approve(P, d.id, admin("carol"))
    done = e.execute(P, d.id, admin("bob"), executor)
    assert str(done.status) in ("deployed", "DeploymentStatus.DEPLOYED"), done.status
    return done.id


def main() -> None:
    db, cursor, at = sys.argv[1], sys.argv[2], sys.argv[3]
    quick = "--quick" in sys.argv
    budget = 1.0 if quick else 3.0
    e = deploygov.Engine.open(db)
    ids = [f"p{i:05}" for i in range(ENTITIES)]
    rng = random.Random(42)
    picks = [ids[rng.randrange(ENTITIES)] for _ in range(4096)]
    k = [0]

    def hot() -> None:
        k[0] = (k[0] + 1) & 4095
        e.active_version(P, ENV, T, picks[k[0]])

    report("hot_read", *timed(budget, 1000, hot))

    def hot_tags() -> None:
        tag = e.active_version_tag
        for key in picks:
            tag(P, ENV, T, key)

    n, spent = timed(budget, 10, hot_tags)
    report("hot_read_tag", n * len(picks), spent)

    report(
        "list_deep",
        *timed(budget, 10, lambda: e.list_deployments(P, environment=ENV, requested_by="alice", cursor=cursor, limit=50)),
    )
    when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    started = time.perf_counter()
    e.active_state_at(P, ENV, when)
    report("active_state_at_first", 1, time.perf_counter() - started)
    report("active_state_at", *timed(budget, 1, lambda: e.active_state_at(P, ENV, when)))

    started = time.perf_counter()
    entries = e.verify_audit().entries
    report("verify_audit_entries", entries, time.perf_counter() - started)

    rounds = 200 if quick else 1000
    # The default executor (one transaction to execute) and a host's (two) alternate, on
    # entities of their own, as in the Rust runner.
    executors = [("lifecycle", None), ("lifecycle_host_executor", host_executor)]
    for i in range(rounds):
        for k in range(len(executors)):
            register(e, ids[(i + k * 2500) % ENTITIES], f"5.{i}.{k}")
    spent_by = [0.0] * len(executors)
    for i in range(rounds):
        for k, (_, executor) in enumerate(executors):
            started = time.perf_counter()
            lifecycle(e, ids[(i + k * 2500) % ENTITIES], f"5.{i}.{k}", executor)
            spent_by[k] += time.perf_counter() - started
    for (name, _), spent_k in zip(executors, spent_by):
        report(name, rounds, spent_k)

    spent = 0.0
    for i in range(rounds // 2):
        register(e, ids[(i + 5000) % ENTITIES], f"6.{i}.0")
        d = lifecycle(e, ids[(i + 5000) % ENTITIES], f"6.{i}.0")
        started = time.perf_counter()
        e.rollback(P, d, admin("alice"), reason="bench")
        spent += time.perf_counter() - started
    report("rollback", rounds // 2, spent)
    # Peak resident memory of the whole run (KiB on Linux), to compare across history sizes.
    print(f"python peak_rss_mib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} 0", flush=True)


if __name__ == "__main__":
    main()
