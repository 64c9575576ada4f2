"""One Engine shared by 8 threads (as FastAPI's thread pool does): full flows with Python
executors, validators and event subscribers in parallel, contention with exact outcomes, and the
GIL released while the store waits."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ALICE, BOB, CAROL, LENA, P, ROOT, START, request, setup

from deploygov import (
    Activation,
    Actor,
    ConflictError,
    DeploymentRequest,
    DeploymentStatus,
    Engine,
    Event,
    Finding,
    FreezeSpec,
    ItemSpec,
    ManualClock,
    OneOffSchedule,
    SweepReport,
    ValidationContext,
    VersionSpec,
)

THREADS = 8
ROUNDS = 5


@pytest.fixture(params=["memory", "file"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    path = ":memory:" if request.param == "memory" else str(tmp_path / "gov.db")
    with Engine.open(path) as e:
        setup(e)
        yield e


def flow(engine: Engine, n: int, live: dict[str, str], lock: threading.Lock) -> list[str]:
    """Thread `n`: its own environment and entity; ROUNDS request → approve → execute cycles."""
    env, entity = f"env-{n}", f"prompt-{n}"
    requester, approver = Actor(f"dev-{n}", ("developer",)), Actor(f"lead-{n}", ("lead",))
    engine.create_environment(P, env, ROOT)  # not a known name: the staging policy (one lead approval)

    def activate(a: Activation) -> None:
        with lock:
            live[f"{a.environment.name}/{a.entity_id}"] = a.version_tag or ""

    statuses = []
    for r in range(ROUNDS):
        tag = f"1.{r}.0"
        engine.register_version(P, VersionSpec("prompt_version", entity, tag), ROOT)
        d = engine.request_deployment(P, DeploymentRequest(env, f"{entity}-{tag}", (ItemSpec("prompt_version", entity, tag),)), requester)
        engine.approve(P, d.id, approver)
        done = engine.execute(P, d.id, requester, activate)
        statuses.append(done.status.value)
        current = engine.active_version(P, env, "prompt_version", entity)
        assert current is not None and current.version_tag == tag
        assert len(engine.list_deployments(P, environment=env).items) == r + 1
    return statuses


def test_eight_threads_share_one_engine(shared: Engine) -> None:
    checked: list[str] = []
    shared.register_validator("counted", lambda ctx: checked.append(ctx.deployment.id) or [Finding.warning("seen", "ok")])
    live: dict[str, str] = {}
    lock = threading.Lock()
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda n: flow(shared, n, live, lock), range(THREADS)))
    assert results == [["deployed"] * ROUNDS] * THREADS
    assert live == {f"env-{n}/prompt-{n}": f"1.{ROUNDS - 1}.0" for n in range(THREADS)}
    assert len(checked) == THREADS * ROUNDS * 2  # at request and again at execution
    for n in range(THREADS):
        history = shared.entity_history(P, "prompt_version", f"prompt-{n}")
        assert [h.version_tag for h in history] == [f"1.{r}.0" for r in reversed(range(ROUNDS))]
    assert shared.verify_audit().entries > THREADS * ROUNDS * 4


def test_eight_threads_with_a_subscriber(shared: Engine) -> None:
    # Every committed event reaches the subscriber exactly once, on the thread of the command
    # that wrote it, in order per thread; the subscriber reads the engine while threads write.
    start = shared.events_after(None, 0, 1000)[-1].seq
    lock = threading.Lock()
    delivered: list[tuple[int, Event]] = []
    deployed_status: list[str] = []
    flow_thread: dict[str, int] = {}

    def on_event(e: Event) -> None:
        if e.kind == "deployment.deployed":
            status = shared.get_deployment(P, e.object_id).status.value  # re-entrant read, already committed
            with lock:
                deployed_status.append(status)
        with lock:
            delivered.append((threading.get_ident(), e))

    shared.subscribe("collector", on_event)
    live: dict[str, str] = {}
    flow_lock = threading.Lock()

    def run(n: int) -> list[str]:
        with flow_lock:
            flow_thread[f"dev-{n}"] = flow_thread[f"lead-{n}"] = threading.get_ident()
        return flow(shared, n, live, flow_lock)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, range(THREADS)))
    assert results == [["deployed"] * ROUNDS] * THREADS
    assert shared.unsubscribe("collector")

    stored: list[Event] = []
    cursor = start
    while page := shared.events_after(None, cursor, 100):
        stored.extend(page)
        cursor = page[-1].seq
    # Per flow: the environment; per round the version, request, approval, approved, deploying and
    # deployed; from the second round on, the superseded deployment before.
    assert len(stored) == THREADS * (1 + ROUNDS * 6 + ROUNDS - 1)
    assert sum(e.kind == "deployment.superseded" for e in stored) == THREADS * (ROUNDS - 1)
    assert sorted(e.seq for _, e in delivered) == [e.seq for e in stored], "each event exactly once"
    by_seq = {e.seq: e for e in stored}
    assert all(e == by_seq[e.seq] for _, e in delivered)
    for thread in {t for t, _ in delivered}:
        seqs = [e.seq for t, e in delivered if t == thread]
        assert seqs == sorted(seqs), "in order on each thread"
    for thread, e in delivered:
        if e.actor_id in flow_thread:
            assert thread == flow_thread[e.actor_id], f"{e.kind} by {e.actor_id} was delivered on another thread"
    assert deployed_status == ["deployed"] * (THREADS * ROUNDS)


def test_concurrent_duplicate_approvals_have_one_winner(shared: Engine) -> None:
    d = shared.request_deployment(P, request("production"), ALICE)
    barrier = threading.Barrier(THREADS)

    def approve(_: int) -> str:
        barrier.wait()
        try:
            shared.approve(P, d.id, BOB)
            return "ok"
        except ConflictError:
            return "conflict"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = sorted(pool.map(approve, range(THREADS)))
    assert outcomes == ["conflict"] * (THREADS - 1) + ["ok"]
    final = shared.approve(P, d.id, CAROL)
    assert final.status is DeploymentStatus.APPROVED and [a.actor_id for a in final.approvals] == ["bob", "carol"]


def test_one_deploying_per_environment(shared: Engine) -> None:
    first = shared.request_deployment(P, request("staging", "1.0.0"), ALICE)
    shared.register_version(P, VersionSpec("prompt_version", "faq", "1.0.0"), ROOT)
    second = shared.request_deployment(P, request("staging", "1.0.0", entity="faq"), ALICE)
    for d in (first, second):
        shared.approve(P, d.id, LENA)
    entered, release = threading.Event(), threading.Event()

    def slow(a: Activation) -> None:
        entered.set()
        assert release.wait(10)

    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(shared.execute, P, first.id, ALICE, slow)
        assert entered.wait(10)
        assert shared.get_deployment(P, first.id).status is DeploymentStatus.DEPLOYING
        with pytest.raises(ConflictError, match="already deploying"):
            shared.execute(P, second.id, ALICE)
        release.set()
        assert running.result(10).status is DeploymentStatus.DEPLOYED
    assert shared.execute(P, second.id, ALICE).status is DeploymentStatus.DEPLOYED


def test_concurrent_sweeps_expire_a_hung_execution_once(tmp_path: Path) -> None:
    # A host thread hangs in its executor; the lease runs out; eight sweepers race. Exactly one
    # fails the execution; the hung host's late outcome is then a conflict.
    clock = ManualClock(START)
    with Engine.open(tmp_path / "gov.db", clock=clock) as engine:
        setup(engine)
        hung = engine.request_deployment(P, request("development"), ALICE)
        entered, release = threading.Event(), threading.Event()

        def hangs(a: Activation) -> None:
            entered.set()
            assert release.wait(10)

        with ThreadPoolExecutor(1) as host:
            running = host.submit(engine.execute, P, hung.id, ALICE, hangs)
            assert entered.wait(10)
            assert engine.sweep() == SweepReport()
            clock.advance(3600)
            barrier = threading.Barrier(THREADS)

            def sweep(_: int) -> SweepReport:
                barrier.wait()
                return engine.sweep()

            with ThreadPoolExecutor(THREADS) as pool:
                reports = list(pool.map(sweep, range(THREADS)))
            assert sorted(r.leases_expired for r in reports) == [()] * (THREADS - 1) + [(hung.id,)]
            release.set()
            with pytest.raises(ConflictError):
                running.result(10)
        assert engine.get_deployment(P, hung.id).status is DeploymentStatus.FAILED
        assert engine.active_state(P, "development") == []
        engine.verify_audit()


HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


WRITES: dict[str, Any] = {
    "set_health": lambda e: e.set_health(P, "staging", "degraded", ROOT).health == "degraded",
    "add_freeze": lambda e: e.add_freeze(P, FreezeSpec("x", OneOffSchedule(START, START + timedelta(hours=1))), ROOT).name == "x",
}


@pytest.mark.parametrize("op", ["set_health", "add_freeze"])
def test_gil_is_released_while_the_store_waits(tmp_path: Path, op: str) -> None:
    # Another process holds the write lock (a second SQLite library in this process would not
    # see the engine's locks: POSIX locks are per process).
    db = tmp_path / "gov.db"
    with Engine.open(db) as engine:
        setup(engine)
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            outcome: dict[str, Any] = {}

            def write() -> None:
                outcome["env"] = WRITES[op](engine)  # waits on the busy timeout

            writer = threading.Thread(target=write)
            started = time.monotonic()
            writer.start()
            ticks = 0
            while time.monotonic() - started < 0.3:  # pure Python work runs while the writer waits
                ticks += 1
            assert writer.is_alive() and "env" not in outcome
            assert ticks > 1000
        finally:
            holder.communicate("go\n", timeout=10)
        writer.join(10)
        assert outcome["env"] is True
        assert time.monotonic() - started < 5


def test_eight_threads_log_to_one_pipeline(shared: Engine) -> None:
    d = shared.request_deployment(P, request("development"), LENA)
    shared.begin(P, d.id, LENA)

    def write(n: int) -> list[int]:
        return [shared.log(P, d.id, f"stage-{n}", f"line {i}") for i in range(ROUNDS * 4)]

    with ThreadPoolExecutor(THREADS) as pool:
        cursors = [c for batch in pool.map(write, range(THREADS)) for c in batch]
    assert len(set(cursors)) == THREADS * ROUNDS * 4
    page = shared.deployment_logs(P, d.id, limit=5000)
    assert [x.seq for x in page.lines] == sorted(cursors) and page.open and page.dropped == 0
    assert shared.complete(P, d.id, LENA, {"outcome": "success"}).status is DeploymentStatus.DEPLOYED


def test_close_while_other_threads_work(tmp_path: Path) -> None:
    engine = Engine.open(tmp_path / "gov.db")
    setup(engine)
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                engine.list_environments(P)
            except ValueError:
                return  # closed: the documented error
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)
                return

    threads = [threading.Thread(target=reader) for _ in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    engine.close()
    stop.set()
    for t in threads:
        t.join(10)
    assert errors == [] and engine.closed


def test_validators_run_in_parallel_threads(shared: Engine) -> None:
    seen_threads: set[int] = set()
    lock = threading.Lock()

    def record_thread(ctx: ValidationContext) -> None:
        with lock:
            seen_threads.add(threading.get_ident())

    shared.register_validator("threads", record_thread)
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda n: shared.request_deployment(P, request("development"), Actor(f"u{n}")), range(THREADS * 2)))
    assert len(seen_threads) > 1
