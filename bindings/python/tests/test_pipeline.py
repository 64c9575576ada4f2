"""Two-phase execution (``begin``, ``log``, ``deployment_logs``, ``heartbeat``, ``complete``),
guided failure (``Policy.on_failure = "pause"``, ``resume`` with retry, skip or abort, executors
that raise) and post-deployment health (``report_health``, ``health_checks``), with bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Callable

import pytest
from conftest import ALICE, DAVE, LENA, P, START, request

from deploygov import (
    Activation,
    CompletionFailure,
    CompletionSuccess,
    Deployment,
    DeploymentRequest,
    DeploymentStatus,
    Engine,
    FailureMode,
    ForbiddenError,
    Health,
    HealthCheck,
    HealthOutcome,
    HealthPolicy,
    HealthReport,
    InvalidInputError,
    InvalidTransitionError,
    ItemSpec,
    ItemStatus,
    LogLine,
    LogPage,
    ManualClock,
    NotFoundError,
    Policy,
    ResumeDecision,
)

EVE = {"id": "eve", "roles": ["developer"]}
MONITOR = {"id": "monitor", "roles": []}


def three_items(engine: Engine) -> Deployment:
    """A development deployment of chatbot, templates and a third prompt, approved."""
    engine.register_version(P, {"entity_type": "prompt_version", "entity_id": "greeter", "version_tag": "1.0.0"}, ALICE)
    items = (
        ItemSpec("prompt_version", "chatbot", "1.0.0"),
        ItemSpec("prompt_asset_version", "templates", "1.0.0"),
        ItemSpec("prompt_version", "greeter", "1.0.0"),
    )
    return engine.request_deployment(P, DeploymentRequest("development", "three", items), DAVE)


# -- two-phase execution ---------------------------------------------------------------------


def test_begin_log_heartbeat_complete(engine: Engine, clock: ManualClock) -> None:
    d = engine.request_deployment(P, request("development"), DAVE)
    with pytest.raises(InvalidTransitionError):
        engine.log(P, d.id, "build", "too early")
    started = engine.begin(P, d.id, DAVE)
    assert started.status is DeploymentStatus.DEPLOYING and started.executed_by == "dave"
    assert started.lease_expires_at == START + timedelta(hours=1)
    first = engine.log(P, d.id, "build", "compiling")
    second = engine.log(P, d.id, "upload", "uploaded")
    assert isinstance(first, int) and second > first

    page = engine.deployment_logs(P, d.id, limit=1)
    assert isinstance(page, LogPage) and page.open and page.dropped == 0 and page.next_cursor == first
    assert page.lines == (LogLine(first, START, "build", "compiling"),)
    rest = engine.deployment_logs(P, d.id, after_seq=page.next_cursor)
    assert [x.line for x in rest.lines] == ["uploaded"] and rest.to_dict()["lines"][0]["at"] == "2026-01-15T09:00:00Z"

    clock.advance(600)
    with pytest.raises(ForbiddenError):
        engine.heartbeat(P, d.id, EVE)
    assert engine.heartbeat(P, d.id, DAVE).lease_expires_at == START + timedelta(minutes=70)
    with pytest.raises(ForbiddenError):
        engine.complete(P, d.id, EVE, CompletionSuccess())
    done = engine.complete(P, d.id, DAVE, {"outcome": "success"})
    assert done.status is DeploymentStatus.DEPLOYED
    assert engine.active_version(P, "development", "prompt_version", "chatbot") is not None
    assert not engine.deployment_logs(P, d.id).open


def test_complete_with_a_failure(engine: Engine) -> None:
    d = three_items(engine)
    engine.begin(P, d.id, DAVE)
    with pytest.raises(InvalidInputError):
        engine.complete(P, d.id, DAVE, CompletionFailure("smoke test failed", failed_item=7))
    failed = engine.complete(P, d.id, ALICE, CompletionFailure("smoke test failed", failed_item=1))
    assert failed.status is DeploymentStatus.FAILED
    assert [i.status for i in failed.items] == [ItemStatus.REVERTED, ItemStatus.FAILED, ItemStatus.SKIPPED]
    assert failed.items[1].error_message == "smoke test failed"
    assert engine.active_state(P, "development") == []
    with pytest.raises(InvalidTransitionError):
        engine.complete(P, d.id, DAVE, CompletionSuccess())


def test_two_phase_bad_input(engine: Engine) -> None:
    d = engine.request_deployment(P, request("development"), DAVE)
    with pytest.raises(NotFoundError):
        engine.begin(P, "nope", DAVE)
    with pytest.raises(TypeError):
        engine.begin(P, d.id, DAVE, freeze_override_reason=1)  # type: ignore[arg-type]
    engine.begin(P, d.id, DAVE)
    with pytest.raises(InvalidInputError):
        engine.log(P, d.id, "", "x")
    with pytest.raises(InvalidInputError):
        engine.log(P, d.id, "s" * 65, "x")
    with pytest.raises(TypeError):
        engine.log(P, d.id, "build", None)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        engine.log(P, "nope", "build", "x")
    with pytest.raises(InvalidInputError):
        engine.deployment_logs(P, d.id, after_seq=-1)
    with pytest.raises(ValueError):
        engine.deployment_logs(P, d.id, limit=-1)
    with pytest.raises(TypeError):
        engine.deployment_logs(P, d.id, after_seq=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        engine.complete(P, d.id, DAVE, {"outcome": "later"})
    with pytest.raises(InvalidInputError):
        engine.complete(P, d.id, DAVE, {"outcome": "failure"})  # no error
    with pytest.raises(TypeError):
        engine.complete(P, d.id, DAVE, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.complete(P, d.id, DAVE, "success")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        engine.heartbeat(P, "nope", DAVE)
    assert engine.get_deployment(P, d.id).status is DeploymentStatus.DEPLOYING


# -- guided failure ----------------------------------------------------------------------------


def pause_policy(engine: Engine) -> None:
    engine.set_policy(P, "development", Policy(on_failure=FailureMode.PAUSE, execute_roles=("developer",)), ALICE)


def failing_on(*entity_ids: str, calls: list[str]) -> Callable[[Activation], None]:
    def activate(a: Activation) -> None:
        calls.append(f"{a.entity_id}{'-' if a.revert else '+'}")
        if a.entity_id in entity_ids and not a.revert:
            raise RuntimeError(f"{a.entity_id} is broken")

    return activate


def test_pause_then_retry_with_an_executor_that_raises_then_skip(engine: Engine) -> None:
    pause_policy(engine)
    assert engine.get_environment(P, "development").policy.on_failure is FailureMode.PAUSE
    d = three_items(engine)
    calls: list[str] = []
    paused = engine.execute(P, d.id, DAVE, failing_on("templates", calls=calls))
    assert paused.status is DeploymentStatus.PAUSED and calls == ["chatbot+", "templates+"]
    assert [i.status for i in paused.items] == [ItemStatus.DEPLOYED, ItemStatus.FAILED, ItemStatus.PENDING]
    assert engine.active_state(P, "development") == []

    with pytest.raises(ForbiddenError):
        engine.resume(P, d.id, LENA, decision="retry")
    # The executor raises again during the retry: the item fails again, the deployment stays paused.
    again = engine.resume(P, d.id, DAVE, failing_on("templates", calls=calls), decision=ResumeDecision.RETRY)
    assert again.status is DeploymentStatus.PAUSED and again.items[1].error_message == "templates is broken"
    with pytest.raises(InvalidInputError):
        engine.resume(P, d.id, DAVE, decision="skip")  # a reason is required
    done = engine.resume(P, d.id, DAVE, decision="skip", reason="templates are optional")
    assert done.status is DeploymentStatus.DEPLOYED and done.items[1].status is ItemStatus.SKIPPED
    assert {e.entity_id: e.version_tag for e in engine.active_state(P, "development")} == {"chatbot": "1.0.0", "greeter": "1.0.0"}
    with pytest.raises(InvalidTransitionError):
        engine.resume(P, d.id, DAVE, decision="retry")


def test_retry_succeeds_and_abort_reverts(engine: Engine) -> None:
    pause_policy(engine)
    d = three_items(engine)
    calls: list[str] = []
    engine.execute(P, d.id, DAVE, failing_on("templates", calls=calls))
    done = engine.resume(P, d.id, DAVE, lambda a: None, decision="retry")
    assert done.status is DeploymentStatus.DEPLOYED and len(engine.active_state(P, "development")) == 3

    engine.register_version(P, {"entity_type": "prompt_version", "entity_id": "chatbot", "version_tag": "1.1.0"}, ALICE)
    e = engine.request_deployment(P, request("development", "1.1.0"), DAVE)
    calls.clear()
    engine.execute(P, e.id, DAVE, failing_on("chatbot", calls=calls))
    aborted = engine.resume(P, e.id, DAVE, failing_on(calls=calls), decision="abort", reason="broken build")
    assert aborted.status is DeploymentStatus.FAILED
    assert engine.active_version(P, "development", "prompt_version", "chatbot").version_tag == "1.0.0"  # type: ignore[union-attr]
    actions = [x.action for x in engine.audit_log(P, object_id=e.id)]
    assert "deployment.paused" in actions and "deployment.resumed" in actions


def test_resume_bad_input(engine: Engine) -> None:
    pause_policy(engine)
    d = three_items(engine)
    engine.execute(P, d.id, DAVE, failing_on("templates", calls=[]))
    with pytest.raises(InvalidInputError, match="later"):
        engine.resume(P, d.id, DAVE, decision="later")
    with pytest.raises(TypeError):
        engine.resume(P, d.id, DAVE, decision=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.resume(P, d.id, DAVE, decision="skip", reason=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.resume(P, d.id, DAVE, 42, decision="retry")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        engine.resume(P, "nope", DAVE, decision="retry")
    with pytest.raises(InvalidInputError):
        engine.resume(P, d.id, {"id": "", "roles": []}, decision="retry")
    assert engine.get_deployment(P, d.id).status is DeploymentStatus.PAUSED


# -- post-deployment health ----------------------------------------------------------------------


def live(engine: Engine, tag: str) -> Deployment:
    d = engine.request_deployment(P, request("development", tag), DAVE)
    return engine.execute(P, d.id, DAVE)


def test_health_checks_and_automatic_rollback(engine: Engine, clock: ManualClock) -> None:
    assert Policy().health == HealthPolicy(3, 0.05, 1.5, True)
    first = live(engine, "1.0.0")
    ok = engine.report_health(P, first.id, HealthReport(True, error_rate=0.01, p95_latency_ms=100.0), MONITOR)
    assert isinstance(ok, HealthOutcome) and ok.health is Health.HEALTHY and ok.rollback is None and ok.check.breaches == ()
    clock.advance(60)
    second = live(engine, "1.1.0")
    degraded = engine.report_health(P, second.id, {"ok": False}, MONITOR)
    assert degraded.health is Health.DEGRADED and degraded.check.consecutive_failures == 1
    assert engine.get_environment(P, "development").health is Health.DEGRADED

    reverted: list[tuple[str, str]] = []
    slow = engine.report_health(
        P, second.id, HealthReport(True, p95_latency_ms=151.0), MONITOR, lambda a: reverted.append((a.entity_id, str(a.version_tag)))
    )
    assert slow.health is Health.DOWN and slow.check.baseline_p95_ms == 100.0
    assert slow.check.breaches == ("p95 latency 151 ms above 1.5 × the baseline 100 ms",)
    assert slow.rollback is not None and slow.rollback.requested_by == "deploygov:health"
    assert slow.rollback.status is DeploymentStatus.DEPLOYED
    assert reverted == [("chatbot", "1.0.0")] and slow.rollback_error is None
    assert engine.get_deployment(P, second.id).status is DeploymentStatus.ROLLED_BACK
    checks = engine.health_checks(P, second.id)
    assert [type(c) for c in checks] == [HealthCheck, HealthCheck] and checks[-1] == slow.check
    assert slow.to_dict()["health"] == "down" and slow.to_dict()["rollback"]["kind"] == "rollback"


def test_an_executor_that_raises_during_the_automatic_rollback(engine: Engine, clock: ManualClock) -> None:
    live(engine, "1.0.0")
    clock.advance(60)
    second = live(engine, "1.1.0")

    def broken(a: Activation) -> None:
        raise RuntimeError("cannot reach the cluster")

    out = engine.report_health(P, second.id, {"ok": True, "error_rate": 0.5}, MONITOR, broken)
    assert out.health is Health.DOWN and out.rollback is not None and out.rollback.status is DeploymentStatus.FAILED
    assert out.rollback.items[0].error_message == "cannot reach the cluster"
    assert engine.active_version(P, "development", "prompt_version", "chatbot").version_tag == "1.1.0"  # type: ignore[union-attr]


def test_no_rollback_target_is_reported_not_raised(engine: Engine) -> None:
    only = live(engine, "1.0.0")
    out = engine.report_health(P, only.id, HealthReport(False, error_rate=0.9), MONITOR)
    assert out.rollback is None and out.rollback_error is not None and out.health is Health.DOWN


def test_health_bad_input(engine: Engine) -> None:
    d = live(engine, "1.0.0")
    bad = ({"ok": True, "error_rate": 2.0}, {"ok": True, "p95_latency_ms": -1.0}, {"ok": "yes"}, {"error_rate": 0.1}, {"ok": True, "x": 1})
    for report in bad:
        with pytest.raises(InvalidInputError):
            engine.report_health(P, d.id, report, MONITOR)
    with pytest.raises(TypeError):
        engine.report_health(P, d.id, None, MONITOR)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.report_health(P, d.id, HealthReport(True), MONITOR, executor=42)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        engine.report_health(P, "nope", HealthReport(True), MONITOR)
    with pytest.raises(NotFoundError):
        engine.health_checks(P, "nope")
    pending = engine.request_deployment(P, request("staging"), DAVE)
    with pytest.raises(InvalidTransitionError):
        engine.report_health(P, pending.id, HealthReport(True), MONITOR)
    assert engine.health_checks(P, d.id) == []
    with pytest.raises(InvalidInputError):
        engine.set_policy(P, "development", {"on_failure": "later"}, ALICE)
    with pytest.raises(InvalidInputError):
        engine.set_policy(P, "development", {"health": {"max_error_rate": "high"}}, ALICE)
