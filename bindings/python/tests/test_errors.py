"""The exception family and bad input: wrong Python types, ``None``, unknown enum strings,
missing ids, and one real occurrence of every error kind."""

from __future__ import annotations

import pickle
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import ALICE, BOB, DAVE, LENA, P, ROOT, request, setup

import deploygov
from deploygov import Engine, ErrorCode, exceptions
from deploygov.exceptions import (
    AuditCorruptError,
    ConflictError,
    DeploygovError,
    ForbiddenError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PolicyViolationError,
    SelfApprovalError,
    StorageError,
    ValidationFailedError,
)

UTC = timezone.utc
CLASSES = [
    NotFoundError,
    InvalidTransitionError,
    ForbiddenError,
    SelfApprovalError,
    PolicyViolationError,
    ValidationFailedError,
    ConflictError,
    InvalidInputError,
    StorageError,
    AuditCorruptError,
]


def test_hierarchy_codes_and_reexports() -> None:
    assert issubclass(DeploygovError, Exception)
    assert [(c.code, c.code_number) for c in CLASSES] == deploygov._native.error_codes()
    for cls in CLASSES:
        assert issubclass(cls, DeploygovError)
        assert getattr(deploygov, cls.__name__) is cls is exceptions.BY_CODE[cls.code]
        assert cls.__module__ == "deploygov.exceptions"
        assert ErrorCode(cls.code).number == cls.code_number


def test_error_instances_carry_code_and_message(engine: Engine) -> None:
    with pytest.raises(NotFoundError) as e:
        engine.get_deployment(P, "nope")
    err = e.value
    assert err.code == "not_found" and err.code_number == 1
    assert err.message == str(err) == "deployment `nope` does not exist in project `japm`"
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is NotFoundError and str(again) == str(err)


def test_every_kind_from_a_real_situation(engine: Engine, tmp_path: Path) -> None:
    d = engine.request_deployment(P, request("production"), ALICE)
    cases: list[tuple[type[DeploygovError], Callable[[], Any]]] = [
        (NotFoundError, lambda: engine.get_project("nope")),
        (NotFoundError, lambda: engine.get_environment(P, "nope")),
        (NotFoundError, lambda: engine.request_deployment(P, request("nope"), ALICE)),
        (SelfApprovalError, lambda: engine.approve(P, d.id, ALICE)),
        (ForbiddenError, lambda: engine.approve(P, d.id, DAVE)),
        (ForbiddenError, lambda: engine.create_project("x", "t", "X", DAVE)),
        (PolicyViolationError, lambda: engine.execute(P, d.id, BOB)),
        (ConflictError, lambda: engine.create_project(P, "acme", "again", ROOT)),
        (InvalidInputError, lambda: engine.reject(P, d.id, BOB, "  ")),
        (InvalidInputError, lambda: engine.rollback(P, d.id, BOB, reason="")),
        (InvalidInputError, lambda: engine.audit_log(P, limit=0)),
    ]
    for cls, call in cases:
        with pytest.raises(cls):
            call()
    engine.reject(P, d.id, BOB, "no")
    with pytest.raises(InvalidTransitionError, match="cannot approve a deployment that is `rejected`"):
        engine.approve(P, d.id, BOB)
    with pytest.raises(ValidationFailedError) as failed:
        engine.request_deployment(
            P,
            {
                "environment": "staging",
                "name": "broken",
                "items": [
                    {"entity_type": "prompt_version", "entity_id": "chatbot", "version_tag": "9.9.9"},
                    {"entity_type": "prompt_version", "entity_id": "chatbot", "version_tag": "1.0.0"},
                ],
            },
            DAVE,
        )
    codes = sorted(f.code for f in failed.value.findings)
    assert codes == ["duplicate_item", "unknown_version"]
    assert failed.value.report.errors == failed.value.findings
    assert isinstance(failed.value.findings[0], deploygov.Finding) and failed.value.findings[0].severity == "error"


def test_storage_and_audit_corrupt(tmp_path: Path) -> None:
    db = tmp_path / "gov.db"
    with Engine.open(db) as e:
        setup(e)
    raw = sqlite3.connect(db)  # closed before the engine opens the file again: never two SQLite copies at once
    with raw:
        raw.execute("UPDATE audit_log SET actor_id = 'mallory' WHERE seq = 2")
    raw.close()
    with Engine.open(db) as e, pytest.raises(AuditCorruptError) as corrupt:
        e.verify_audit()
    assert corrupt.value.seq == 2 and corrupt.value.code == "audit_corrupt"
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StorageError) as storage:
        Engine.open(tmp_path / "dir.db")
    assert storage.value.code_number == 9
    assert storage.value.backend_code is None or isinstance(storage.value.backend_code, int)


@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.get_project(None),
        lambda e: e.get_project(42),
        lambda e: e.get_deployment(P, None),
        lambda e: e.create_project("x", "t", "X", None),
        lambda e: e.create_project("x", "t", "X", "root"),
        lambda e: e.create_project("x", "t", "X", ["root"]),
        lambda e: e.create_environment(P, 42, ROOT),
        lambda e: e.create_environment(P, None, ROOT),
        lambda e: e.set_policy(P, "staging", None, ROOT),
        lambda e: e.set_policy(P, "staging", {"four_eyes": object()}, ROOT),
        lambda e: e.set_policy(P, "staging", {1: True}, ROOT),
        lambda e: e.set_variables(P, "staging", "KEY=value", ROOT),
        lambda e: e.set_variables(P, "staging", {"key": "K"}, ROOT),
        lambda e: e.set_variables(P, "staging", None, ROOT),
        lambda e: e.set_health(P, "staging", None, ROOT),
        lambda e: e.set_health(P, "staging", 3, ROOT),
        lambda e: e.register_version(P, ["prompt_version"], ROOT),
        lambda e: e.request_deployment(P, None, ROOT),
        lambda e: e.approve(P, "id", ROOT, comment=5),
        lambda e: e.reject(P, "id", ROOT, None),
        lambda e: e.execute(P, "id", ROOT, executor=42),
        lambda e: e.check(P, "id", ROOT, None),
        lambda e: e.list_deployments(P, status=3),
        lambda e: e.list_deployments(P, limit="10"),
        lambda e: e.list_deployments(P, requested_after="2026-01-01"),
        lambda e: e.entity_history(P, "t", "i", limit="5"),
        lambda e: e.register_validator("v", 42),
        lambda e: e.promote(P, "id", None, ROOT),
        lambda e: e.promote(P, "id", "production", None),
        lambda e: e.release_lease(P, "id", ROOT, None),
        lambda e: e.release_lease(P, "id", "root", "why"),
        lambda e: e.active_state_at(P, "staging", "2026-01-15T09:00:00Z"),
        lambda e: e.active_state_at(P, "staging", None),
        lambda e: e.deployments_live_at(P, "staging", 1768467600),
        lambda e: e.sweep(P),
        lambda e: e.due(),
        lambda e: e.due(P, ROOT),
        lambda e: e.quarantine_version(P, "prompt_version", "chatbot", "1.0.0", ROOT),  # no reason
        lambda e: e.quarantine_version(P, "prompt_version", "chatbot", "1.0.0", ROOT, None),
        lambda e: e.quarantine_version(P, "prompt_version", "chatbot", 1, ROOT, "why"),
        lambda e: e.release_version(P, "prompt_version", "chatbot", "1.0.0", "root", "why"),
        lambda e: e.request_deployment(P, request("staging", scheduled_for="2026-05-01T22:00:00Z"), DAVE),
        lambda e: Engine.open(42),
        lambda e: Engine.open("x.db", clock="now"),
    ],
)
def test_wrong_python_types_are_type_errors(engine: Engine, call: Callable[[Engine], Any]) -> None:
    with pytest.raises(TypeError):
        call(engine)


@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.entity_history(P, "t", "i", limit=-1),
        lambda e: e.audit_log(P, limit=2**40),
        lambda e: e.list_deployments(P, requested_after=datetime(2026, 1, 1)),  # naive
        lambda e: e.active_state_at(P, "staging", datetime(2026, 1, 1)),  # naive
        lambda e: e.deployments_live_at(P, "staging", datetime(2026, 1, 1)),  # naive
        lambda e: e.request_deployment(P, request("staging", scheduled_for=datetime(2026, 1, 16)), DAVE),  # naive
        lambda e: e.request_deployment(P, request("staging", expires_at=datetime(2026, 1, 16)), DAVE),  # naive
        lambda e: e.register_version(P, {"entity_type": "t", "entity_id": "i", "version_tag": "1", "metadata": float("nan")}, ROOT),
        lambda e: e.register_version(P, {"entity_type": "t", "entity_id": "i", "version_tag": "1", "metadata": 2**70}, ROOT),
    ],
)
def test_out_of_range_values_are_value_errors(engine: Engine, call: Callable[[Engine], Any]) -> None:
    with pytest.raises(ValueError):
        call(engine)


@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.set_health(P, "staging", "sick", ROOT),
        lambda e: e.check(P, "id", ROOT, "deploy"),
        lambda e: e.list_deployments(P, status="done"),
        lambda e: e.request_deployment(
            P,
            {
                "environment": "staging",
                "name": "n",
                "items": [{"entity_type": "t", "entity_id": "i", "version_tag": "1", "risk": "extreme"}],
            },
            ROOT,
        ),
        lambda e: e.set_policy(P, "staging", {"risk_escalation": [{"min_risk": "huge", "extra_approvals": 1, "eligible_roles": []}]}, ROOT),
        lambda e: e.create_environment(P, {"url": "x"}, ROOT),  # missing name
        lambda e: e.create_project("x", "t", "X", {"roles": ["admin"]}),  # missing id
        lambda e: e.create_project("x", "t", "X", {"id": 5}),  # wrong nested type
        lambda e: e.create_project("", "t", "X", ROOT),  # empty id
        lambda e: e.create_project("x", "t", "X", {"id": " "}),  # blank actor id
        lambda e: e.create_project("a\nb", "t", "X", ROOT),  # control character
        lambda e: e.register_validator("", lambda ctx: None),
        lambda e: e.set_policy(P, "staging", {"approval_ttl_seconds": 0}, ROOT),
        lambda e: e.set_policy(P, "staging", {"lease_ttl_seconds": -1}, ROOT),
        lambda e: e.set_policy(P, "staging", {"requires_success_in": [""]}, ROOT),
        lambda e: e.promote(P, "id", "", ROOT),  # empty environment name
        lambda e: e.promote(P, "id", "production", {"id": ""}),  # empty actor id
        lambda e: e.release_lease(P, "id", ROOT, " \n "),  # blank reason
        lambda e: e.quarantine_version(P, "prompt_version", "chatbot", "1.0.0", ROOT, " "),  # blank reason
        lambda e: e.release_version(P, "prompt_version", "chatbot", "1.0.0", ROOT, ""),  # blank reason
        lambda e: e.quarantine_version(P, "prompt_version", "chatbot", "1.0.0", {"id": ""}, "why"),  # empty actor id
        lambda e: e.request_deployment(  # expires before it is due
            P, request("staging", scheduled_for=datetime(2026, 1, 16, 12, tzinfo=UTC), expires_at=datetime(2026, 1, 16, tzinfo=UTC)), DAVE
        ),
        lambda e: e.request_deployment(P, {**request("staging").to_dict(), "scheduled_for": "tonight"}, DAVE),
        lambda e: e.subscribe("", lambda event: None),
        lambda e: e.set_event_signing_key(b""),
        lambda e: e.events_after(P, limit=0),
    ],
)
def test_unknown_enum_strings_and_bad_data_are_invalid_input(engine: Engine, call: Callable[[Engine], Any]) -> None:
    with pytest.raises(InvalidInputError) as e:
        call(engine)
    assert e.value.code == "invalid_input"


ITEM = {"entity_type": "prompt_version", "entity_id": "chatbot", "version_tag": "1.0.0"}
REQUEST = {"environment": "staging", "name": "n", "items": [ITEM]}


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda e: e.request_deployment(P, {**REQUEST, "descripton": "typo"}, DAVE), "descripton"),
        (lambda e: e.request_deployment(P, {**REQUEST, "items": [{**ITEM, "risk_level": "low"}]}, DAVE), "risk_level"),
        (lambda e: e.request_deployment(P, request("staging"), {"id": "dave", "role": ["developer"]}), "role"),
        (lambda e: e.set_policy(P, "staging", {"four_eye": False}, ROOT), "four_eye"),
        (lambda e: e.set_policy(P, "staging", {"rollback": {"roles": [], "requires_aproval": True}}, ROOT), "requires_aproval"),
        (lambda e: e.set_policy(P, "staging", {"lease_ttl": 60}, ROOT), "lease_ttl"),
        (lambda e: e.set_policy(P, "staging", {"quarantine_on_rollbacks": True}, ROOT), "quarantine_on_rollbacks"),
        (lambda e: e.request_deployment(P, {**REQUEST, "schedule_for": "2026-05-01T22:00:00Z"}, DAVE), "schedule_for"),
        (lambda e: e.create_environment(P, {"name": "qa", "postion": 1}, ROOT), "postion"),
        (lambda e: e.set_variables(P, "staging", [{"key": "K", "value": "v", "secrets": True}], ROOT), "secrets"),
        (lambda e: e._native.list_deployments(P, {"enviroment": "x"}), "enviroment"),
    ],
)
def test_misspelled_fields_are_invalid_input(engine: Engine, call: Callable[[Engine], Any], field: str) -> None:
    # The core's input types refuse unknown members: a typo fails instead of being ignored.
    with pytest.raises(InvalidInputError, match=f"unknown field `{field}`") as e:
        call(engine)
    assert e.value.code == "invalid_input"
    assert engine.list_deployments(P).items == ()  # nothing was written


def test_version_spec_ignores_unknown_members_as_the_core_does(engine: Engine) -> None:
    # The one input type without strict members (the core flattens it into `Version`).
    v = engine.register_version(P, {"entity_type": "t", "entity_id": "i", "version_tag": "1", "metdata": {"typo": True}}, ROOT)
    assert v.metadata is None


def test_unknown_enum_message_lists_the_choices(engine: Engine) -> None:
    with pytest.raises(InvalidInputError, match="unknown Health `sick`, expected one of: healthy, degraded, down"):
        engine.set_health(P, "staging", "sick", ROOT)


@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.get_deployment(P, "0190aaaa-0000-7000-8000-000000000000"),
        lambda e: e.approve(P, "missing", LENA),
        lambda e: e.execute(P, "missing", LENA),
        lambda e: e.rollback(P, "missing", LENA, reason="why"),
        lambda e: e.check(P, "missing", LENA, "approve"),
        lambda e: e.cancel("other-project", "missing", LENA),
        lambda e: e.list_environments("nope"),
        lambda e: e.active_state(P, "nope"),
        lambda e: e.compare_environments(P, "staging", "nope"),
        lambda e: e.set_health(P, "nope", "down", ROOT),
        lambda e: e.list_versions("nope", "t", "i"),
        lambda e: e.pending_approvals("nope", ROOT),
        lambda e: e.audit_log("nope"),
        lambda e: e.promote(P, "missing", "production", ROOT),
        lambda e: e.promote("nope", "missing", "production", ROOT),
        lambda e: e.release_lease(P, "missing", ROOT, "host crashed"),
        lambda e: e.quarantine_version(P, "prompt_version", "chatbot", "9.9.9", ROOT, "why"),
        lambda e: e.release_version(P, "prompt_version", "nope", "1.0.0", ROOT, "why"),
        lambda e: e.quarantine_version("nope", "prompt_version", "chatbot", "1.0.0", ROOT, "why"),
        lambda e: e.due("nope"),
        lambda e: e.active_state_at(P, "nope", datetime(2026, 1, 15, tzinfo=timezone.utc)),
        lambda e: e.deployments_live_at("nope", "staging", datetime(2026, 1, 15, tzinfo=timezone.utc)),
    ],
)
def test_missing_ids_are_not_found(engine: Engine, call: Callable[[Engine], Any]) -> None:
    with pytest.raises(NotFoundError):
        call(engine)


def test_unregister_unknown_validator_is_false(engine: Engine) -> None:
    assert engine.unregister_validator("never-registered") is False


def test_closed_engine_raises_value_error_everywhere(engine: Engine) -> None:
    engine.close()
    for call in (
        lambda: engine.get_project(P),
        lambda: engine.verify_audit(),
        lambda: engine.unregister_validator("x"),
        lambda: engine.sweep(),
        lambda: engine.due(P),
        lambda: engine.quarantine_version(P, "prompt_version", "chatbot", "1.0.0", ROOT, "why"),
        lambda: engine.promote(P, "id", "production", ROOT),
    ):
        with pytest.raises(ValueError, match="the engine is closed"):
            call()
