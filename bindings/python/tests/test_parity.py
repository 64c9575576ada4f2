"""Parity with the core: every public core Engine method has a Python method, the enums and
error codes match, the records read and write exactly the core's JSON (no field missing, none
extra), and Policy defaults come from the core."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ALICE, BOB, CAROL, DAVE, LENA, P, request

import deploygov
from deploygov import Engine, VersionSpec, _native, enums
from deploygov._codec import Record

CORE_ENGINE = Path(__file__).resolve().parents[3] / "core" / "src" / "engine"
# Rust constructors with a Python spelling of their own: `open`/`in_memory` are classmethods,
# `with_store(store, clock)` is `Engine.open(path, clock=ManualClock(...))`.
CONSTRUCTORS = {"open", "in_memory", "with_store"}


def test_every_core_engine_method_has_a_python_method() -> None:
    if not CORE_ENGINE.is_dir():
        pytest.skip("the core sources are not next to this checkout")
    names = set()
    for source in CORE_ENGINE.glob("*.rs"):
        names |= set(re.findall(r"^\s*pub fn (\w+)\(", source.read_text(encoding="utf-8"), re.M))
    assert len(names) > 25
    missing = sorted(n for n in names - CONSTRUCTORS if not callable(getattr(Engine, n, None)))
    assert missing == [], f"core Engine methods without a Python method: {missing}"
    assert callable(Engine.open) and callable(Engine.in_memory)


@pytest.mark.parametrize("name, values", sorted(_native.enum_values().items()))
def test_enums_match_the_core(name: str, values: list[str]) -> None:
    cls = getattr(enums, name)
    assert [m.value for m in cls] == values
    for m in cls:
        assert m == m.value and str(m) == m.value and f"{m}" == m.value


def test_error_codes_match_the_core() -> None:
    assert [(c.value, c.number) for c in deploygov.ErrorCode] == _native.error_codes()


@pytest.mark.parametrize("name", ["development", "staging", "production", "dev", "prod", "qa"])
def test_policy_defaults_come_from_the_core(name: str) -> None:
    raw = _native.default_policy(name)
    assert deploygov.Policy.default_for(name).to_dict() == raw
    assert sorted(f.name for f in dataclasses.fields(deploygov.Policy)) == sorted(raw)
    assert deploygov.Policy().to_dict() == _native.default_policy("development")


def exact(cls: type[Record], raw: Any) -> None:
    """`cls` has exactly the raw JSON's fields and writes back exactly the raw JSON (the native
    dicts have sorted keys, serde_json's map; order does not matter)."""
    assert sorted(f.name for f in dataclasses.fields(cls)) == sorted(raw), cls.__name__  # type: ignore[arg-type]
    assert cls.from_dict(raw).to_dict() == raw, cls.__name__


def test_records_read_and_write_exactly_the_core_json(engine: Engine) -> None:
    native = engine._native
    spec = VersionSpec("ai_model", "gpt", "2.0", uri="s3://m", digest="sha256:1", metadata={"a": [1, 2.5, None, True, {"b": "c"}]})
    engine.register_version(P, spec, ALICE)
    d = engine.request_deployment(P, request("production"), ALICE)
    engine.approve(P, d.id, BOB, comment="ok")
    engine.approve(P, d.id, CAROL)
    engine.execute(P, d.id, BOB, lambda a: None)
    rejected = engine.request_deployment(P, request("staging", "1.1.0"), DAVE)
    engine.reject(P, rejected.id, LENA, "no")
    engine.register_validator("w", lambda ctx: [deploygov.Finding.warning("w", "warn", 0)])
    warned = engine.request_deployment(P, request("development", "2.0.0"), DAVE)
    assert warned.warnings

    exact(deploygov.Project, native.get_project(P))
    exact(deploygov.Environment, native.get_environment(P, "production"))
    exact(deploygov.Version, native.list_versions(P, "ai_model", "gpt")[0])
    for dep in (d, rejected, warned):
        raw = native.get_deployment(P, dep.id)
        exact(deploygov.Deployment, raw)
        exact(deploygov.DeploymentItem, raw["items"][0])
    raw = native.get_deployment(P, d.id)
    exact(deploygov.Approval, raw["approvals"][0])
    exact(deploygov.Decision, native.get_deployment(P, rejected.id)["rejection"])
    exact(deploygov.Finding, native.get_deployment(P, warned.id)["warnings"][0])
    exact(deploygov.ActiveEntry, native.active_state(P, "production")[0])
    now = native.get_deployment(P, d.id)["deployed_at"]
    exact(deploygov.LiveEntry, native.active_state_at(P, "production", now)[0])
    exact(deploygov.Deployment, native.deployments_live_at(P, "production", now)[0])
    exact(deploygov.SweepReport, native.sweep())
    exact(deploygov.HistoryEntry, native.entity_history(P, "prompt_version", "chatbot")[0])
    exact(deploygov.AuditVerification, native.verify_audit())
    for entry in native.audit_log(P, None, 0, 500):
        exact(deploygov.AuditEntry, entry)
    dry = native.check(P, d.id, LENA.to_dict(), "rollback")
    exact(deploygov.DryRun, dry)
    pending = engine.request_deployment(P, request("production", "1.1.0"), ALICE)
    engine.approve(P, pending.id, BOB)
    dry = native.check(P, pending.id, CAROL.to_dict(), "execute")
    exact(deploygov.DryRun, dry)
    exact(deploygov.RuleStatus, dry["approvals"]["rules"][0])
    exact(deploygov.Blocker, dry["blockers"][0])
    exact(deploygov.ValidationReport, dry["findings"])
    engine.set_variables(P, "production", [{"key": "K", "value": "v"}], ALICE)
    exact(deploygov.VoidApproval, native.check(P, pending.id, CAROL.to_dict(), "execute")["approvals"]["void"][0])
    engine.execute(P, engine.request_deployment(P, request("development", "1.1.0"), DAVE).id, DAVE)
    exact(deploygov.EnvironmentDiff, native.compare_environments(P, "development", "production")[0])
    page = native.list_deployments(P, {"limit": 1})
    assert deploygov.Page.from_dict(page, deploygov.Deployment.from_dict).to_dict() == page
    for event in native.events_after(None, 0, 1000):
        exact(deploygov.Event, event)
    engine.set_event_signing_key(b"key")
    for event in native.events_after(P, 0, 1000):
        assert event["signature"] is not None
        exact(deploygov.Event, event)


def test_callback_records_are_exact(engine: Engine) -> None:
    seen: dict[str, Any] = {}

    def executor(raw: dict[str, Any]) -> None:
        seen["activation"] = raw
        seen["deploying"] = engine._native.get_deployment(P, raw["deployment_id"])

    def validator(raw: dict[str, Any]) -> list[Any]:
        seen["context"] = raw
        return []

    def subscriber(raw: dict[str, Any]) -> None:
        seen["event"] = raw

    engine._native.register_validator("raw", validator)
    engine._native.subscribe("raw", subscriber)
    d = engine.request_deployment(P, request("development"), DAVE)
    engine._native.execute(P, d.id, DAVE.to_dict(), executor, None)
    exact(deploygov.Activation, seen["activation"])
    assert seen["deploying"]["lease_expires_at"] is not None  # set only while deploying
    exact(deploygov.Deployment, seen["deploying"])
    exact(deploygov.ValidationContext, seen["context"])
    exact(deploygov.Event, seen["event"])
    assert seen["event"] == engine._native.events_after(P, 0, 1000)[-1]


def test_timestamps_keep_the_core_precision() -> None:
    for text in ("2026-01-15T09:00:00Z", "2026-01-15T09:00:00.500Z", "2026-01-15T09:00:00.123456Z"):
        assert deploygov.Project.from_dict({"id": "p", "tenant": "t", "name": "n", "created_at": text}).to_dict()["created_at"] == text
