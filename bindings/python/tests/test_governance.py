"""Promotion between environments (``requires_success_in``, ``promotion_required``), the
``outdated`` finding, execution leases with the sweep and admin release (simulated by
executors that let the lease run out or release it while they "hang"), approvals expired by
the sweep, and point-in-time state (``active_state_at``, ``deployments_live_at``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest
from conftest import ALICE, BOB, CAROL, DAVE, LENA, P, ROOT, START, request

from deploygov import (
    Action,
    Activation,
    ConflictError,
    Deployment,
    DeploymentKind,
    DeploymentRequest,
    DeploymentStatus,
    Engine,
    ForbiddenError,
    InvalidInputError,
    InvalidTransitionError,
    ItemSpec,
    ItemStatus,
    LiveEntry,
    ManualClock,
    NotFoundError,
    Policy,
    SelfApprovalError,
    SweepReport,
    ValidationFailedError,
)

SWEEPER = "deploygov:sweep"


def live_in_staging(engine: Engine, tag: str = "1.0.0") -> Deployment:
    """request (dave) → approve (lena) → execute: a deployment live in staging."""
    d = engine.request_deployment(P, request("staging", tag), DAVE)
    engine.approve(P, d.id, LENA)
    done = engine.execute(P, d.id, DAVE)
    assert done.status is DeploymentStatus.DEPLOYED
    return done


def ready(engine: Engine, tag: str) -> Deployment:
    """An approved deployment to development (automatic approval)."""
    d = engine.request_deployment(P, request("development", tag), DAVE)
    assert d.status is DeploymentStatus.APPROVED
    return d


def outcome(call: Callable[[], Any]) -> Any:
    """The result of `call`, or the exception it raised. Executors record outcomes this way:
    an exception raised inside an executor becomes the item's failure, not the test's."""
    try:
        return call()
    except Exception as e:
        return e


def last_audit(engine: Engine, object_id: str) -> tuple[str, str, Any]:
    entry = engine.audit_log(P, object_id=object_id, limit=500)[-1]
    return entry.action, entry.actor_id, entry.reason


# -- promotion ---------------------------------------------------------------------------------


def test_promotion_goes_through_the_target_policy(engine: Engine) -> None:
    gated = dataclasses.replace(Policy.production(), requires_success_in=("staging",))
    assert engine.set_policy(P, "production", gated, ROOT).policy.requires_success_in == ("staging",)
    with pytest.raises(ValidationFailedError) as direct:
        engine.request_deployment(P, request("production"), ALICE)
    assert [f.code for f in direct.value.findings] == ["promotion_required"]
    assert "has not gone live in `staging`" in direct.value.findings[0].message and direct.value.findings[0].item == 0

    pending = engine.request_deployment(P, request("staging"), DAVE)
    with pytest.raises(InvalidTransitionError):
        engine.promote(P, pending.id, "production", ALICE)  # not live yet
    engine.approve(P, pending.id, LENA)
    s1 = engine.execute(P, pending.id, DAVE)
    with pytest.raises(ForbiddenError):
        engine.promote(P, s1.id, "production", DAVE)  # production's request roles
    with pytest.raises(InvalidInputError, match="already in `staging`"):
        engine.promote(P, s1.id, "staging", ALICE)
    with pytest.raises(NotFoundError):
        engine.promote(P, s1.id, "nowhere", ALICE)

    p = engine.promote(P, s1.id, "production", ALICE)
    assert (p.kind, p.status, p.promoted_from, p.environment, p.requested_by) == (
        DeploymentKind.PROMOTION,
        DeploymentStatus.PENDING,
        s1.id,
        "production",
        "alice",
    )
    assert p.name == f"promotion of {s1.name} to production" and p.id != s1.id
    assert [(i.entity_id, i.version_tag, i.status, i.deployed_at) for i in p.items] == [("chatbot", "1.0.0", ItemStatus.PENDING, None)]
    assert engine.audit_log(P, object_id=p.id)[0].action == "deployment.requested"
    with pytest.raises(SelfApprovalError):
        engine.approve(P, p.id, ALICE)  # 4-eyes holds for promotions
    engine.approve(P, p.id, BOB)
    assert engine.approve(P, p.id, CAROL).status is DeploymentStatus.APPROVED
    assert engine.execute(P, p.id, BOB).status is DeploymentStatus.DEPLOYED
    live = engine.active_version(P, "production", "prompt_version", "chatbot")
    assert live is not None and (live.version_tag, live.deployment_id) == ("1.0.0", p.id)

    # A superseded deployment went live too: it may still be promoted.
    live_in_staging(engine, "1.1.0")
    assert engine.get_deployment(P, s1.id).status is DeploymentStatus.SUPERSEDED
    again = engine.promote(P, s1.id, "development", DAVE)
    assert again.kind is DeploymentKind.PROMOTION and again.status is DeploymentStatus.APPROVED  # development: automatic


def test_a_version_rolled_back_where_it_was_required_no_longer_counts(engine: Engine) -> None:
    engine.set_policy(P, "production", dataclasses.replace(Policy.production(), requires_success_in=("staging",)), ROOT)
    live_in_staging(engine, "1.0.0")
    s2 = live_in_staging(engine, "1.1.0")
    engine.rollback(P, s2.id, LENA, reason="bad in staging")
    with pytest.raises(InvalidTransitionError):
        engine.promote(P, s2.id, "production", ALICE)  # rolled back: not live
    with pytest.raises(ValidationFailedError) as sneak:
        engine.request_deployment(P, request("production", "1.1.0"), ALICE)
    assert [f.code for f in sneak.value.findings] == ["promotion_required"]
    assert engine.request_deployment(P, request("production", "1.0.0"), ALICE).status is DeploymentStatus.PENDING


def test_an_older_deployment_may_not_overwrite_a_newer_live_one(engine: Engine) -> None:
    engine.execute(P, ready(engine, "1.0.0").id, DAVE)
    old = ready(engine, "1.1.0")
    new = ready(engine, "2.0.0")
    engine.execute(P, new.id, DAVE)
    dry = engine.check(P, old.id, DAVE, Action.EXECUTE)
    assert not dry.allowed and [f.code for f in dry.findings.errors] == ["outdated"]
    with pytest.raises(ValidationFailedError) as refused:
        engine.execute(P, old.id, DAVE)
    errors = refused.value.report.errors
    assert [f.code for f in errors] == ["outdated"] and "roll back instead" in errors[0].message
    assert [f.code for f in refused.value.report.warnings] == ["downgrade"]
    assert engine.get_deployment(P, old.id).status is DeploymentStatus.APPROVED
    rb = engine.rollback(P, new.id, DAVE, reason="regression")  # an explicit rollback is not outdated
    assert rb.status is DeploymentStatus.DEPLOYED
    assert [a.version_tag for a in engine.active_state(P, "development")] == ["1.0.0"]


# -- execution leases, the sweep and admin release ------------------------------------------------


def test_an_expired_lease_is_swept_and_frees_the_environment(engine: Engine, clock: ManualClock) -> None:
    engine.set_policy(P, "development", Policy(lease_ttl_seconds=600), ROOT)
    engine.execute(P, ready(engine, "1.0.0").id, DAVE)
    stuck = ready(engine, "1.1.0")
    nxt = ready(engine, "2.0.0")
    seen: dict[str, Any] = {}

    def hangs(a: Activation) -> None:
        # The "host" hangs past its lease; meanwhile the periodic sweep runs.
        seen["during"] = engine.get_deployment(P, stuck.id)
        seen["early"] = outcome(engine.sweep)
        seen["busy"] = outcome(lambda: engine.check(P, nxt.id, DAVE, Action.EXECUTE))
        clock.advance(timedelta(seconds=600))
        seen["report"] = outcome(engine.sweep)
        seen["free"] = outcome(lambda: engine.check(P, nxt.id, DAVE, Action.EXECUTE))

    with pytest.raises(ConflictError) as late:
        engine.execute(P, stuck.id, DAVE, hangs)
    assert late.value.code == "conflict" and "changed while it was executing" in late.value.message
    during = seen["during"]
    assert during.status is DeploymentStatus.DEPLOYING and during.lease_expires_at == START + timedelta(seconds=600)
    assert seen["early"] == SweepReport(), "not before the lease ends"
    assert not seen["busy"].allowed
    assert seen["report"] == SweepReport(leases_expired=(stuck.id,))
    assert seen["free"].allowed, seen["free"]

    failed = engine.get_deployment(P, stuck.id)
    assert failed.status is DeploymentStatus.FAILED and failed.lease_expires_at is None
    assert failed.items[0].status is ItemStatus.FAILED
    assert "lease expired" in (failed.items[0].error_message or "")
    live = engine.active_version(P, "development", "prompt_version", "chatbot")
    assert live is not None and live.version_tag == "1.0.0", "the active state is untouched"
    assert last_audit(engine, stuck.id)[:2] == ("deployment.lease_expired", SWEEPER)
    assert engine.events_after(P, 0, 1000)[-1].kind == "deployment.lease_expired"
    assert engine.sweep() == SweepReport()  # nothing left to sweep
    done = engine.execute(P, nxt.id, DAVE)
    assert done.status is DeploymentStatus.DEPLOYED and done.lease_expires_at is None
    engine.verify_audit()


def test_an_admin_may_release_a_lease_early_with_a_reason(engine: Engine) -> None:
    d = ready(engine, "1.0.0")
    seen: dict[str, Any] = {}

    def hangs(a: Activation) -> None:
        seen["by_dev"] = outcome(lambda: engine.release_lease(P, d.id, DAVE, "stuck"))
        seen["blank"] = outcome(lambda: engine.release_lease(P, d.id, ROOT, "  "))
        seen["released"] = outcome(lambda: engine.release_lease(P, d.id, ROOT, "host crashed"))

    with pytest.raises(ConflictError):
        engine.execute(P, d.id, DAVE, hangs)
    assert isinstance(seen["by_dev"], ForbiddenError) and seen["by_dev"].code == "forbidden"
    assert isinstance(seen["blank"], InvalidInputError)
    released = seen["released"]
    assert isinstance(released, Deployment), released
    assert released.status is DeploymentStatus.FAILED and released.lease_expires_at is None and released.finished_at is not None
    assert [(i.status, i.error_message) for i in released.items] == [(ItemStatus.FAILED, "host crashed")]
    assert engine.get_deployment(P, d.id) == released
    assert last_audit(engine, d.id) == ("deployment.lease_released", "root", "host crashed")
    assert engine.active_state(P, "development") == []
    with pytest.raises(InvalidTransitionError):
        engine.release_lease(P, d.id, ROOT, "again")
    other = ready(engine, "1.1.0")
    with pytest.raises(InvalidTransitionError):
        engine.release_lease(P, other.id, CAROL, "not deploying")  # tenant_admin may release; approved has no lease
    with pytest.raises(NotFoundError):
        engine.release_lease(P, "missing", ROOT, "why")


def test_the_sweep_expires_approvals_store_wide(engine: Engine, clock: ManualClock) -> None:
    engine.set_policy(P, "staging", dataclasses.replace(Policy.staging(), approval_ttl_seconds=3600), ROOT)
    engine.create_project("other", "acme", "Other", ROOT)
    rule = {"name": "lead", "required_approvals": 1, "eligible_roles": ["lead"]}
    engine.create_environment("other", {"name": "qa", "policy": {"approval_rules": [rule], "approval_ttl_seconds": 60}}, ROOT)
    engine.register_version("other", {"entity_type": "prompt_version", "entity_id": "chatbot", "version_tag": "1.0.0"}, ROOT)
    d = engine.request_deployment(P, request("staging"), DAVE)
    assert engine.approve(P, d.id, LENA).status is DeploymentStatus.APPROVED
    o = engine.request_deployment("other", DeploymentRequest("qa", "o", (ItemSpec("prompt_version", "chatbot", "1.0.0"),)), DAVE)
    engine.approve("other", o.id, LENA)
    clock.advance(60)
    assert engine.sweep() == SweepReport(approvals_expired=(o.id,))
    clock.advance(3600 - 60)
    report = engine.sweep()
    assert report == SweepReport(approvals_expired=(d.id,)) and report.leases_expired == ()
    assert report.to_dict() == {"leases_expired": [], "approvals_expired": [d.id], "schedules_expired": []}
    assert SweepReport.from_dict(report.to_dict()) == report
    assert engine.get_deployment(P, d.id).status is DeploymentStatus.PENDING
    assert engine.get_deployment("other", o.id).status is DeploymentStatus.PENDING
    assert last_audit(engine, d.id) == ("deployment.approvals_expired", SWEEPER, "approvals expired")
    assert engine.sweep() == SweepReport()  # idempotent
    assert engine.approve(P, d.id, LENA).status is DeploymentStatus.APPROVED  # approve again
    assert engine.execute(P, d.id, DAVE).status is DeploymentStatus.DEPLOYED


def test_lease_policy_fields(engine: Engine) -> None:
    p = Policy()
    assert p.lease_ttl_seconds == 3600 and p.requires_success_in == ()
    assert p.to_dict()["lease_ttl_seconds"] == 3600 and p.to_dict()["requires_success_in"] == []
    env = engine.set_policy(P, "staging", {"lease_ttl_seconds": 30, "requires_success_in": ["development"]}, ROOT)
    assert env.policy.lease_ttl_seconds == 30 and env.policy.requires_success_in == ("development",)
    with pytest.raises(InvalidInputError, match="lease_ttl_seconds must be positive"):
        engine.set_policy(P, "staging", Policy(lease_ttl_seconds=0), ROOT)
    with pytest.raises(InvalidInputError, match="required environment"):
        engine.set_policy(P, "staging", Policy(requires_success_in=(" ",)), ROOT)


# -- point-in-time state -------------------------------------------------------------------------


def test_what_was_live_at_any_past_instant(engine: Engine, clock: ManualClock) -> None:
    hour, day = timedelta(hours=1), timedelta(days=1)
    v1 = engine.request_deployment(P, request("staging"), DAVE)
    engine.approve(P, v1.id, LENA)
    clock.advance(hour)
    engine.execute(P, v1.id, DAVE)
    clock.advance(day)
    two = (ItemSpec("prompt_version", "chatbot", "1.1.0"), ItemSpec("prompt_asset_version", "templates", "1.0.0"))
    v2 = engine.request_deployment(P, DeploymentRequest("staging", "v2", two), DAVE)
    engine.approve(P, v2.id, ALICE)
    engine.execute(P, v2.id, DAVE)
    clock.advance(day)
    r = engine.rollback(P, v2.id, LENA, reason="regression")

    assert engine.active_state_at(P, "staging", START + hour / 2) == []
    [first] = engine.active_state_at(P, "staging", START + 3 * hour)
    assert isinstance(first, LiveEntry)
    assert (first.entity_id, first.version_tag, first.deployment_id, first.since) == ("chatbot", "1.0.0", v1.id, START + hour)
    assert (first.requested_by, first.approved_by, first.executed_by) == ("dave", ("lena",), "dave")
    assert first.since.tzinfo is not None
    assert first.to_dict()["since"] == "2026-01-15T10:00:00Z" and LiveEntry.from_dict(first.to_dict()) == first
    day2 = engine.active_state_at(P, "staging", START + day + 2 * hour)
    assert [(x.entity_id, x.version_tag, x.deployment_id, x.approved_by) for x in day2] == [
        ("templates", "1.0.0", v2.id, ("alice",)),
        ("chatbot", "1.1.0", v2.id, ("alice",)),
    ]
    [now] = engine.active_state_at(P, "staging", START + 3 * day)
    assert (now.version_tag, now.deployment_id, now.requested_by, now.approved_by) == ("1.0.0", r.id, "lena", ())
    # Any time zone names the same instant.
    plus2 = (START + 3 * hour).astimezone(timezone(timedelta(hours=2)))
    assert engine.active_state_at(P, "staging", plus2) == [first]

    live = engine.deployments_live_at(P, "staging", START + day + 2 * hour)
    assert [(d.id, d.status) for d in live] == [(v2.id, DeploymentStatus.ROLLED_BACK)]
    assert [(d.id, d.status) for d in engine.deployments_live_at(P, "staging", START + 3 * hour)] == [(v1.id, DeploymentStatus.SUPERSEDED)]
    assert [d.id for d in engine.deployments_live_at(P, "staging", START + 3 * day)] == [r.id]
    assert engine.deployments_live_at(P, "staging", START) == []
    with pytest.raises(NotFoundError):
        engine.active_state_at(P, "nowhere", START)
    with pytest.raises(NotFoundError):
        engine.deployments_live_at("nope", "staging", START)


@pytest.mark.parametrize("method", ["active_state_at", "deployments_live_at"])
def test_point_in_time_needs_an_aware_datetime(engine: Engine, method: str) -> None:
    call = getattr(engine, method)
    with pytest.raises(ValueError, match="naive"):
        call(P, "staging", datetime(2026, 1, 15, 9, 0))
    for wrong in ("2026-01-15T09:00:00Z", None, 0):
        with pytest.raises(TypeError, match="timezone-aware datetime"):
            call(P, "staging", wrong)
