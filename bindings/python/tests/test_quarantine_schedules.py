"""Version quarantine (manual, and automatic on rollback under ``Policy.quarantine_on_rollback``;
finding ``version_quarantined``) and scheduled deployments (``scheduled_for``, ``expires_at``,
findings ``not_yet_due`` and ``schedule_expired``, ``Engine.due``, the sweep cancelling expired
schedules)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import ALICE, DAVE, LENA, P, ROOT, START, request

from deploygov import (
    AUTO_APPROVER,
    ConflictError,
    Decision,
    DeploymentRequest,
    DeploymentStatus,
    Engine,
    ForbiddenError,
    ItemSpec,
    ManualClock,
    Policy,
    SweepReport,
    ValidationFailedError,
    Version,
)

SWEEPER = "deploygov:sweep"
CHATBOT = ("prompt_version", "chatbot")


def codes(err: pytest.ExceptionInfo[ValidationFailedError]) -> list[str]:
    return sorted(f.code for f in err.value.findings)


def test_quarantine_and_release_a_version(engine: Engine, clock: ManualClock) -> None:
    held = engine.quarantine_version(P, *CHATBOT, "1.0.0", ALICE, "  leaks pii ")
    assert isinstance(held, Version) and held.version_tag == "1.0.0"
    assert held.quarantine == Decision("alice", START, "leaks pii")  # the reason is trimmed
    assert engine.list_versions(P, *CHATBOT)[-1].quarantine == held.quarantine
    assert held.to_dict()["quarantine"] == {"actor_id": "alice", "at": "2026-01-15T09:00:00Z", "reason": "leaks pii"}

    with pytest.raises(ValidationFailedError) as refused:
        engine.request_deployment(P, request("development"), DAVE)
    assert codes(refused) == ["version_quarantined"] and "leaks pii" in refused.value.findings[0].message
    with pytest.raises(ConflictError, match="already quarantined"):
        engine.quarantine_version(P, *CHATBOT, "1.0.0", ALICE, "again")

    clock.advance(60)
    freed = engine.release_version(P, *CHATBOT, "1.0.0", {"id": "carol", "roles": ["tenant_admin"]}, "fixed upstream")
    assert freed.quarantine is None and freed.to_dict()["quarantine"] is None
    with pytest.raises(ConflictError, match="not quarantined"):
        engine.release_version(P, *CHATBOT, "1.0.0", ALICE, "again")
    assert engine.request_deployment(P, request("development"), DAVE).status is DeploymentStatus.APPROVED

    log = engine.audit_log(P, object_id="prompt_version/chatbot@1.0.0")
    assert [(x.action, x.actor_id) for x in log[-2:]] == [("version.quarantined", "alice"), ("version.released", "carol")]


def test_only_admins_quarantine(engine: Engine) -> None:
    for actor in (DAVE, LENA):
        with pytest.raises(ForbiddenError):
            engine.quarantine_version(P, *CHATBOT, "1.0.0", actor, "no")
    assert engine.list_versions(P, *CHATBOT)[-1].quarantine is None


def test_a_quarantined_version_may_not_be_promoted(engine: Engine) -> None:
    d = engine.request_deployment(P, request("development"), DAVE)
    engine.execute(P, d.id, DAVE)
    engine.quarantine_version(P, *CHATBOT, "1.0.0", ROOT, "regression")
    with pytest.raises(ValidationFailedError) as refused:
        engine.promote(P, d.id, "staging", DAVE)
    assert codes(refused) == ["version_quarantined"]


def test_a_rollback_quarantines_what_it_takes_out_when_the_policy_says_so(engine: Engine) -> None:
    assert Policy().quarantine_on_rollback is False
    env = engine.set_policy(P, "development", Policy(quarantine_on_rollback=True), ROOT)
    assert env.policy.quarantine_on_rollback and env.policy.to_dict()["quarantine_on_rollback"] is True
    for tag in ("1.0.0", "1.1.0"):
        engine.execute(P, engine.request_deployment(P, request("development", tag), DAVE).id, DAVE)
    v2 = engine.list_deployments(P, status="deployed").items[0]
    back = engine.rollback(P, v2.id, DAVE, reason="hallucinates")
    assert back.status is DeploymentStatus.DEPLOYED

    [v110] = [v for v in engine.list_versions(P, *CHATBOT) if v.version_tag == "1.1.0"]
    assert v110.quarantine is not None and v110.quarantine.actor_id == AUTO_APPROVER == "deploygov:auto"
    [v100] = [v for v in engine.list_versions(P, *CHATBOT) if v.version_tag == "1.0.0"]
    assert v100.quarantine is None  # what the rollback went back to stays usable
    with pytest.raises(ValidationFailedError) as refused:
        engine.request_deployment(P, request("staging", "1.1.0"), DAVE)
    assert codes(refused) == ["version_quarantined"]
    engine.release_version(P, *CHATBOT, "1.1.0", ROOT, "fixed")
    assert engine.request_deployment(P, request("staging", "1.1.0"), DAVE).status is DeploymentStatus.PENDING


def test_without_the_policy_a_rollback_quarantines_nothing(engine: Engine) -> None:
    for tag in ("1.0.0", "1.1.0"):
        engine.execute(P, engine.request_deployment(P, request("development", tag), DAVE).id, DAVE)
    engine.rollback(P, engine.list_deployments(P, status="deployed").items[0].id, DAVE, reason="no")
    assert all(v.quarantine is None for v in engine.list_versions(P, *CHATBOT))


def test_a_scheduled_deployment_runs_only_once_due(engine: Engine, clock: ManualClock) -> None:
    night = START + timedelta(hours=13)
    d = engine.request_deployment(P, request("development", scheduled_for=night), DAVE)
    assert d.status is DeploymentStatus.APPROVED and d.scheduled_for == night and d.expires_at is None
    assert d.to_dict()["scheduled_for"] == "2026-01-15T22:00:00Z"
    templates = DeploymentRequest("development", "templates", (ItemSpec("prompt_asset_version", "templates", "1.0.0"),))
    now = engine.request_deployment(P, templates, DAVE)
    assert [x.id for x in engine.due(P)] == [now.id]

    with pytest.raises(ValidationFailedError) as early:
        engine.execute(P, d.id, DAVE)
    assert codes(early) == ["not_yet_due"]
    assert engine.get_deployment(P, d.id).status is DeploymentStatus.APPROVED

    clock.set(night)
    assert [x.id for x in engine.due(P)] == [d.id, now.id]  # oldest first
    done = engine.execute(P, d.id, DAVE)
    assert done.status is DeploymentStatus.DEPLOYED and done.scheduled_for == night
    assert [x.id for x in engine.due(P)] == [now.id]


def test_the_sweep_cancels_an_expired_schedule(engine: Engine, clock: ManualClock) -> None:
    d = engine.request_deployment(P, request("development", expires_at=START + timedelta(hours=1)), DAVE)
    kept = engine.request_deployment(P, request("staging", "1.1.0", expires_at=START + timedelta(hours=1)), DAVE)
    assert [x.id for x in engine.due(P)] == [d.id]  # the staging one waits for its approval
    assert engine.sweep() == SweepReport()

    clock.advance(timedelta(hours=1))
    assert engine.due(P) == []
    with pytest.raises(ValidationFailedError) as late:
        engine.execute(P, d.id, DAVE)
    assert codes(late) == ["schedule_expired"]
    report = engine.sweep()
    assert sorted(report.schedules_expired) == sorted([d.id, kept.id]) and report.leases_expired == ()
    for x in (d, kept):
        gone = engine.get_deployment(P, x.id)
        assert gone.status is DeploymentStatus.CANCELLED
        assert gone.cancellation is not None and gone.cancellation.actor_id == SWEEPER
    assert engine.sweep().schedules_expired == ()  # idempotent


def test_a_schedule_is_part_of_the_idempotent_request(engine: Engine) -> None:
    at = START + timedelta(hours=2)
    first = engine.request_deployment(P, request("development", scheduled_for=at, idempotency_key="k"), DAVE)
    again = engine.request_deployment(P, request("development", scheduled_for=at, idempotency_key="k"), DAVE)
    assert again.id == first.id
    with pytest.raises(ConflictError):
        engine.request_deployment(P, request("development", scheduled_for=at + timedelta(hours=1), idempotency_key="k"), DAVE)
