"""Executors and validators written in Python: callables or objects, what they receive, and
exceptions raised inside them (an item failure or a ``validator_failed`` finding, never a
crash)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

import pytest
from conftest import DAVE, LENA, P, ROOT, request

import deploygov
from deploygov import (
    Activation,
    DeploymentRequest,
    DeploymentStatus,
    Engine,
    Finding,
    ItemSpec,
    ItemStatus,
    Phase,
    ValidationContext,
    ValidationFailedError,
    Variable,
)

TWO_ITEMS = DeploymentRequest(
    "development",
    "two",
    (ItemSpec("prompt_version", "chatbot", "1.0.0"), ItemSpec("prompt_asset_version", "templates", "1.0.0")),
)


class Recorder:
    """An executor object that records activations and fails on one entity."""

    def __init__(self, fail_on: Optional[str] = None, exc: BaseException = RuntimeError("cache reload failed")) -> None:
        self.calls: list[Activation] = []
        self.fail_on = fail_on
        self.exc = exc

    def activate(self, activation: Activation) -> None:
        self.calls.append(activation)
        if activation.entity_id == self.fail_on and not activation.revert:
            raise self.exc


def test_executor_object_sees_activations_with_secrets(engine: Engine) -> None:
    engine.set_variables(P, "development", [Variable("TOKEN", "s3cret", True)], ROOT)
    d = engine.request_deployment(P, TWO_ITEMS, DAVE)
    rec = Recorder()
    done = engine.execute(P, d.id, DAVE, rec)
    assert done.status is DeploymentStatus.DEPLOYED
    assert [(a.entity_id, a.version_tag, a.previous_version, a.revert) for a in rec.calls] == [
        ("chatbot", "1.0.0", None, False),
        ("templates", "1.0.0", None, False),
    ]
    a = rec.calls[0]
    assert a.deployment_id == d.id and a.environment.name == "development"
    assert a.environment.variables[0].value == "s3cret"  # only executors see secret values
    assert engine.get_environment(P, "development").variables[0].value == "***"


@pytest.mark.parametrize(
    "exc, message",
    [
        (RuntimeError("cache reload failed"), "cache reload failed"),
        (KeyError("missing"), "'missing'"),
        (ValueError(), "ValueError"),
        (KeyboardInterrupt("stop"), "stop"),
        (SystemExit(3), "3"),
    ],
)
def test_executor_exception_fails_the_item_and_reverts(engine: Engine, exc: BaseException, message: str) -> None:
    d = engine.request_deployment(P, TWO_ITEMS, DAVE)
    rec = Recorder(fail_on="templates", exc=exc)
    failed = engine.execute(P, d.id, DAVE, rec)
    assert failed.status is DeploymentStatus.FAILED
    assert [i.status for i in failed.items] == [ItemStatus.REVERTED, ItemStatus.FAILED]
    assert failed.items[1].error_message == message
    assert [(a.entity_id, a.revert) for a in rec.calls] == [("chatbot", False), ("templates", False), ("chatbot", True)]
    assert engine.active_state(P, "development") == []


def test_executor_callable_and_failing_revert(engine: Engine) -> None:
    d = engine.request_deployment(P, TWO_ITEMS, DAVE)

    def flaky(a: Activation) -> None:
        if a.revert:
            raise OSError("revert went wrong")
        if a.entity_id == "templates":
            raise RuntimeError("boom")

    failed = engine.execute(P, d.id, DAVE, flaky)
    assert failed.items[0].status is ItemStatus.REVERTED
    assert failed.items[0].error_message == "revert failed: revert went wrong"
    assert failed.items[1].error_message == "boom"


def test_executor_return_values_are_ignored(engine: Engine) -> None:
    d = engine.request_deployment(P, TWO_ITEMS, DAVE)
    assert engine.execute(P, d.id, DAVE, lambda a: False).status is DeploymentStatus.DEPLOYED


def test_rollback_runs_through_the_executor(engine: Engine) -> None:
    first = engine.execute(P, engine.request_deployment(P, request("development"), DAVE).id, DAVE)
    second = engine.execute(P, engine.request_deployment(P, request("development", "1.1.0"), DAVE).id, DAVE)
    rec = Recorder(fail_on="chatbot")
    rb = engine.rollback(P, second.id, ROOT, rec, reason="bad")
    assert rb.status is DeploymentStatus.FAILED and rb.items[0].error_message == "cache reload failed"
    assert engine.get_deployment(P, second.id).status is DeploymentStatus.DEPLOYED
    ok = engine.rollback(P, second.id, ROOT, Recorder(), reason="bad", target=first.id)
    assert ok.status is DeploymentStatus.DEPLOYED and ok.rollback_to == first.id


def test_validator_callable_findings(engine: Engine) -> None:
    seen: list[ValidationContext] = []

    def translations(ctx: ValidationContext) -> list[Any]:
        seen.append(ctx)
        return [
            Finding.warning("translations_partial", "`fr` is 80% translated", 0),
            {"code": "note", "severity": "warning", "message": "from a dict", "item": None},
        ]

    engine.register_validator("translations", translations)
    d = engine.request_deployment(P, request("development"), DAVE)
    assert [w.code for w in d.warnings] == ["translations_partial", "note"]
    assert seen[0].phase is Phase.REQUEST and seen[0].deployment.status is DeploymentStatus.PENDING
    assert seen[0].environment.name == "development"
    engine.execute(P, d.id, DAVE)
    assert seen[-1].phase is Phase.EXECUTE
    assert engine.unregister_validator("translations") is True
    assert engine.unregister_validator("translations") is False


def test_validator_object_error_refuses(engine: Engine) -> None:
    class Compliance:
        def validate(self, ctx: ValidationContext) -> Iterable[Finding]:
            if ctx.deployment.environment == "staging":
                yield Finding.error("compliance", "staging needs a ticket")

    engine.register_validator("compliance", Compliance())
    assert engine.request_deployment(P, request("development"), DAVE).warnings == ()
    with pytest.raises(ValidationFailedError) as e:
        engine.request_deployment(P, request("staging"), DAVE)
    assert [(f.code, f.message) for f in e.value.findings] == [("compliance", "staging needs a ticket")]


@pytest.mark.parametrize(
    "validator, message",
    [
        (lambda ctx: 1 / 0, "validator `v` failed: division by zero"),
        (lambda ctx: 42, "validator `v` failed: a validator must return an iterable of findings or None, got int"),
        (lambda ctx: ["not a finding"], "validator `v` failed: invalid validator result: invalid type: string"),
        (lambda ctx: [{"code": "x", "severity": "fatal", "message": "m"}], "validator `v` failed: invalid validator result"),
        (lambda ctx: [{"code": "x"}], "validator `v` failed: invalid validator result: missing field `severity`"),
    ],
)
def test_validator_failures_become_findings(engine: Engine, validator: Any, message: str) -> None:
    engine.register_validator("v", validator)
    with pytest.raises(ValidationFailedError) as e:
        engine.request_deployment(P, request("development"), DAVE)
    (finding,) = e.value.findings
    assert finding.code == "validator_failed" and finding.message.startswith(message), finding.message


def test_validator_returning_none_is_fine(engine: Engine) -> None:
    engine.register_validator("quiet", lambda ctx: None)
    assert engine.request_deployment(P, request("development"), DAVE).status is DeploymentStatus.APPROVED


def test_validator_may_read_the_engine(engine: Engine) -> None:
    # Validators run with no store lock held (before the write transaction): calling back into
    # the engine neither deadlocks nor is refused.
    engine.execute(P, engine.request_deployment(P, request("development"), DAVE).id, DAVE)
    seen: list[tuple[Phase, list[str]]] = []

    def live_state(ctx: ValidationContext) -> list[Finding]:
        live = engine.active_state(P, ctx.environment.name)
        seen.append((ctx.phase, [f"{a.entity_id}@{a.version_tag}" for a in live]))
        return [Finding.warning("looked", f"{len(live)} live")]

    engine.register_validator("reader", live_state)
    d = engine.request_deployment(P, request("development", "1.1.0"), DAVE)
    assert [(w.code, w.message) for w in d.warnings] == [("looked", "1 live")]
    assert engine.execute(P, d.id, DAVE).status is DeploymentStatus.DEPLOYED
    assert seen == [(Phase.REQUEST, ["chatbot@1.0.0"]), (Phase.EXECUTE, ["chatbot@1.0.0"])]


def test_validator_that_changes_the_subject_is_run_again(engine: Engine) -> None:
    # A write from inside a validator changes the environment the findings were for: the engine
    # validates again and stores the deployment with the new configuration.
    calls: list[int] = []

    def mutator(ctx: ValidationContext) -> None:
        calls.append(len(ctx.environment.variables))
        if len(calls) == 1:
            engine.set_variables(P, "development", [Variable("MODE", "strict")], ROOT)

    engine.register_validator("mutator", mutator)
    d = engine.request_deployment(P, request("development"), DAVE)
    assert calls == [0, 1]
    assert d.config_snapshot == (Variable("MODE", "strict"),)


def test_executor_may_read_the_engine(engine: Engine) -> None:
    d = engine.request_deployment(P, request("staging"), DAVE)
    engine.approve(P, d.id, LENA)
    statuses: list[str] = []
    engine.execute(P, d.id, DAVE, lambda a: statuses.append(engine.get_deployment(P, a.deployment_id).status))
    assert statuses == ["deploying"]


def test_validator_replaced_under_the_same_name(engine: Engine) -> None:
    engine.register_validator("v", lambda ctx: [Finding.warning("one", "first")])
    engine.register_validator("v", lambda ctx: [Finding.warning("two", "second")])
    assert [w.code for w in engine.request_deployment(P, request("development"), DAVE).warnings] == ["two"]


def test_callbacks_outlive_their_registration_scope(engine: Engine) -> None:
    def register() -> None:
        local_state = {"n": 0}

        def counting(ctx: ValidationContext) -> None:
            local_state["n"] += 1

        engine.register_validator("counting", counting)

    register()
    import gc

    gc.collect()
    assert engine.request_deployment(P, request("development"), DAVE).status is deploygov.DeploymentStatus.APPROVED
