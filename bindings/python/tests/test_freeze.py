"""Freeze windows: ``add_freeze``, ``remove_freeze``, ``list_freezes``, ``active_freezes``, the
finding ``environment_frozen`` on approve and execute, the audited override
(``freeze_override_reason``), and bad input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import ALICE, BOB, DAVE, LENA, P, START, request

from deploygov import (
    Day,
    DeploymentStatus,
    Engine,
    ForbiddenError,
    FreezeSpec,
    FreezeWindow,
    InvalidInputError,
    NotFoundError,
    OneOffSchedule,
    Policy,
    ValidationFailedError,
    WeeklySchedule,
)

NOW = OneOffSchedule(START - timedelta(hours=1), START + timedelta(hours=1))
RELEASE_MANAGER = {"id": "rita", "roles": ["admin", "release_manager"]}


def codes(err: pytest.ExceptionInfo[ValidationFailedError]) -> list[str]:
    return [f.code for f in err.value.report.errors]


def test_add_list_active_and_remove(engine: Engine) -> None:
    w = engine.add_freeze(P, FreezeSpec("launch", NOW, environment="staging"), ALICE)
    assert isinstance(w, FreezeWindow) and w.environment == "staging" and w.created_by == "alice" and w.created_at == START
    assert w.schedule == NOW
    assert w.to_dict()["schedule"] == {"type": "one_off", "start": "2026-01-15T08:00:00Z", "end": "2026-01-15T10:00:00Z"}
    weekly = WeeklySchedule((Day.SAT, Day.SUN), "00:00", 24 * 60, "Europe/Berlin")
    project_wide = engine.add_freeze(P, {"name": "weekend", "schedule": weekly.to_dict()}, ALICE)
    assert project_wide.environment is None and project_wide.schedule == weekly
    assert isinstance(project_wide.schedule, WeeklySchedule) and project_wide.schedule.days == (Day.SAT, Day.SUN)

    assert [x.id for x in engine.list_freezes(P)] == [w.id, project_wide.id]
    assert [x.id for x in engine.list_freezes(P, "staging")] == [w.id, project_wide.id]
    assert [x.id for x in engine.list_freezes(P, "production")] == [project_wide.id]
    assert engine.active_freezes(P, "staging", START) == [w]
    assert engine.active_freezes(P, "production", START) == []
    saturday = datetime(2026, 1, 17, 12, 0, tzinfo=timezone.utc)
    assert [x.name for x in engine.active_freezes(P, "production", saturday)] == ["weekend"]

    gone = engine.remove_freeze(P, w.id, ALICE, "launch done")
    assert gone == w and engine.active_freezes(P, "staging", START) == []
    actions = [e.action for e in engine.audit_log(P)]
    assert actions.count("environment.frozen") == 2 and "environment.unfrozen" in actions
    with pytest.raises(NotFoundError):
        engine.remove_freeze(P, w.id, ALICE, "again")


def test_a_freeze_refuses_approve_and_execute_unless_overridden(engine: Engine) -> None:
    policy = Policy.staging().to_dict() | {"freeze_override_roles": ["release_manager"]}
    engine.set_policy(P, "staging", policy, ALICE)
    d = engine.request_deployment(P, request("staging"), DAVE)
    engine.add_freeze(P, FreezeSpec("launch", NOW, environment="staging"), ALICE)

    with pytest.raises(ValidationFailedError) as frozen:
        engine.approve(P, d.id, LENA)
    assert codes(frozen) == ["environment_frozen"] and "launch" in frozen.value.findings[0].message
    with pytest.raises(ForbiddenError):
        engine.approve(P, d.id, LENA, freeze_override_reason="hotfix")  # no override role
    approved = engine.approve(P, d.id, RELEASE_MANAGER, freeze_override_reason="security hotfix")
    assert approved.status is DeploymentStatus.APPROVED

    with pytest.raises(ValidationFailedError) as frozen:
        engine.execute(P, d.id, DAVE)
    assert codes(frozen) == ["environment_frozen"]
    done = engine.execute(P, d.id, RELEASE_MANAGER, freeze_override_reason="security hotfix")
    assert done.status is DeploymentStatus.DEPLOYED
    overrides = [e for e in engine.audit_log(P, object_id=d.id) if e.action == "deployment.freeze_overridden"]
    assert [(e.actor_id, e.reason, e.after["action"]) for e in overrides] == [
        ("rita", "security hotfix", "approve"),
        ("rita", "security hotfix", "execute"),
    ]


def test_only_admins_manage_freezes(engine: Engine) -> None:
    with pytest.raises(ForbiddenError):
        engine.add_freeze(P, FreezeSpec("x", NOW), DAVE)
    w = engine.add_freeze(P, FreezeSpec("x", NOW), BOB)
    with pytest.raises(ForbiddenError):
        engine.remove_freeze(P, w.id, LENA, "no")


@pytest.mark.parametrize(
    "schedule",
    [
        {"type": "one_off", "start": "2026-01-15T10:00:00Z", "end": "2026-01-15T09:00:00Z"},  # inverted
        {"type": "weekly", "days": ["mon"], "start_time": "25:00", "duration_minutes": 30, "time_zone": "UTC"},
        {"type": "weekly", "days": ["mon"], "start_time": "10:00", "duration_minutes": 30, "time_zone": "Mars/Base"},
        {"type": "weekly", "days": ["funday"], "start_time": "10:00", "duration_minutes": 30, "time_zone": "UTC"},
        {"type": "weekly", "days": [], "start_time": "10:00", "duration_minutes": 30, "time_zone": "UTC"},
        {"type": "later", "start": "2026-01-15T10:00:00Z", "end": "2026-01-15T11:00:00Z"},
        {"type": "one_off", "start": "yesterday", "end": "2026-01-15T11:00:00Z"},
    ],
)
def test_bad_schedules_are_invalid_input(engine: Engine, schedule: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        engine.add_freeze(P, {"name": "bad", "schedule": schedule}, ALICE)
    assert engine.list_freezes(P) == []


def test_bad_input(engine: Engine) -> None:
    with pytest.raises(InvalidInputError, match="typo"):
        engine.add_freeze(P, {"name": "x", "schedule": NOW.to_dict(), "typo": 1}, ALICE)
    with pytest.raises(InvalidInputError):
        engine.add_freeze(P, {"name": "x"}, ALICE)  # no schedule
    with pytest.raises(NotFoundError):
        engine.add_freeze(P, FreezeSpec("x", NOW, environment="nope"), ALICE)
    with pytest.raises(NotFoundError):
        engine.add_freeze("nope", FreezeSpec("x", NOW), ALICE)
    with pytest.raises(TypeError):
        engine.add_freeze(P, None, ALICE)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.add_freeze(P, "launch", ALICE)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        engine.remove_freeze(P, "nope", ALICE, "  ")
    with pytest.raises(NotFoundError):
        engine.remove_freeze(P, "nope", ALICE, "why")
    with pytest.raises(NotFoundError):
        engine.list_freezes(P, "nope")
    with pytest.raises(TypeError):
        engine.list_freezes(P, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        engine.active_freezes(P, "staging", datetime(2026, 1, 15, 9))
    with pytest.raises(TypeError):
        engine.active_freezes(P, "staging", "2026-01-15T09:00:00Z")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        engine.active_freezes(P, "nope", START)
    with pytest.raises(TypeError):
        engine.approve(P, "x", ALICE, freeze_override_reason=5)  # type: ignore[arg-type]
