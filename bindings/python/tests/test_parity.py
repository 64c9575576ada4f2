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
from deploygov._codec import Record, json_name

CORE_ENGINE = Path(__file__).resolve().parents[3] / "core" / "src" / "engine"
# Rust constructors with a Python spelling of their own: `open`/`in_memory` are classmethods,
# `with_store(store, clock)` is `Engine.open(path, clock=ManualClock(...))`.
CONSTRUCTORS = {"open", "in_memory", "with_store"}
# Rust-only shapes of a method Python has: `active_version_shared` returns the cached entry as an
# `Arc` instead of a copy (Python always gets its own record: `active_version`).
RUST_ONLY = {"active_version_shared"}
# `#[doc(hidden)]` methods (benchmark and test hooks) are not public API.
PUB_FN = re.compile(r"^(\s*#\[doc\(hidden\)\]\s*\n)?\s*pub fn (\w+)\(", re.M)


def test_every_core_engine_method_has_a_python_method() -> None:
    if not CORE_ENGINE.is_dir():
        pytest.skip("the core sources are not next to this checkout")
    names = set()
    for source in CORE_ENGINE.glob("*.rs"):
        names |= {name for hidden, name in PUB_FN.findall(source.read_text(encoding="utf-8")) if not hidden}
    assert len(names) > 25
    missing = sorted(n for n in names - CONSTRUCTORS - RUST_ONLY if not callable(getattr(Engine, n, None)))
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
    assert sorted(json_name(f) for f in dataclasses.fields(cls)) == sorted(raw), cls.__name__  # type: ignore[arg-type]
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


def test_freeze_pipeline_and_health_records_are_exact(engine: Engine, clock: deploygov.ManualClock) -> None:
    native = engine._native
    one_off = {"type": "one_off", "start": "2026-01-15T08:00:00Z", "end": "2026-01-15T10:00:00Z"}
    weekly = {"type": "weekly", "days": ["sat", "sun"], "start_time": "00:00", "duration_minutes": 60, "time_zone": "Europe/Berlin"}
    w1 = _native.add_freeze(native, P, {"name": "now", "environment": "staging", "schedule": one_off}, ALICE.to_dict())
    w2 = _native.add_freeze(native, P, {"name": "weekend", "schedule": weekly}, ALICE.to_dict())
    for raw in (w1, w2):
        exact(deploygov.FreezeWindow, raw)
    exact(deploygov.OneOffSchedule, w1["schedule"])
    exact(deploygov.WeeklySchedule, w2["schedule"])
    for raw in _native.list_freezes(native, P, None) + _native.active_freezes(native, P, "staging", "2026-01-15T09:00:00Z"):
        exact(deploygov.FreezeWindow, raw)
    _native.remove_freeze(native, P, w1["id"], ALICE.to_dict(), "done")

    d = engine.request_deployment(P, request("development"), DAVE)
    engine.begin(P, d.id, DAVE)
    engine.log(P, d.id, "build", "compiling")
    page = _native.deployment_logs(native, P, d.id, 0, None)
    exact(deploygov.LogPage, page)
    exact(deploygov.LogLine, page["lines"][0])
    engine.complete(P, d.id, DAVE, deploygov.CompletionSuccess())
    clock.advance(60)
    nxt = engine.request_deployment(P, request("development", "1.1.0"), DAVE)
    engine.execute(P, nxt.id, DAVE)
    ok = {"ok": True, "error_rate": 0.01, "p95_latency_ms": 120.5}
    exact(deploygov.HealthOutcome, _native.report_health(native, P, nxt.id, ok, DAVE.to_dict(), None))
    bad = _native.report_health(native, P, nxt.id, {"ok": False, "error_rate": 0.5}, DAVE.to_dict(), None)
    assert bad["rollback"] is not None and bad["check"]["breaches"]
    exact(deploygov.HealthOutcome, bad)
    exact(deploygov.HealthCheck, bad["check"])
    exact(deploygov.HealthReport, bad["check"]["report"])
    exact(deploygov.Deployment, bad["rollback"])
    for raw in _native.health_checks(native, P, nxt.id):
        exact(deploygov.HealthCheck, raw)
    policy = _native.default_policy("production")
    exact(deploygov.HealthPolicy, policy["health"])
    exact(deploygov.Policy, policy)


def test_governed_records_and_reports_are_exact(engine: Engine, clock: deploygov.ManualClock) -> None:
    native = engine._native
    engine.set_variables(P, "staging", [{"key": "A", "value": "1"}, {"key": "S", "value": "x", "secret": True}], ALICE)
    engine.set_variables(P, "production", [{"key": "A", "value": "2"}], ALICE)
    for raw in _native.compare_variables(native, P, "staging", "production"):
        exact(deploygov.VariableDiff, raw)
    spec = {"entity_type": "prompt_version", "entity_id": "chatbot", "version_tag": "1.0.0", "name": "img", "uri": "s3://i"}
    exact(deploygov.Artifact, _native.attach_artifact(native, P, {**spec, "digest": "sha256:1", "size_bytes": 12}, ALICE.to_dict()))
    exact(deploygov.Artifact, _native.attach_artifact(native, P, {**spec, "name": "bare"}, ALICE.to_dict()))
    for raw in _native.list_artifacts(native, P, "prompt_version", "chatbot", None):
        exact(deploygov.Artifact, raw)

    d = engine.request_deployment(P, request("production"), ALICE)
    engine.approve(P, d.id, BOB)
    engine.approve(P, d.id, CAROL)
    engine.execute(P, d.id, BOB, break_glass_reason=None)
    clock.advance(60)
    e2 = engine.request_deployment(P, request("production", "1.1.0"), ALICE)
    engine.approve(P, e2.id, BOB)
    engine.approve(P, e2.id, CAROL)
    engine.execute(P, e2.id, BOB)
    clock.advance(60)
    engine.rollback(P, e2.id, BOB, reason="bad")
    refused = engine.request_deployment(P, request("production", "2.0.0"), ALICE)
    engine.reject(P, refused.id, BOB, "no")
    err = {"deployment_id": d.id, "category": "network", "severity": "high", "code": "DNS", "stage": "deploy", "message": "x"}
    first = _native.record_deployment_error(native, P, err, ALICE.to_dict())
    exact(deploygov.DeploymentErrorRecord, first)
    resolved = _native.resolve_deployment_error(native, P, first["id"], ALICE.to_dict(), "fixed")
    exact(deploygov.DeploymentErrorRecord, resolved)
    exact(deploygov.ErrorResolution, resolved["resolution"])
    for raw in _native.list_deployment_errors(native, P, {"unresolved_only": False}):
        exact(deploygov.DeploymentErrorRecord, raw)

    report = _native.compliance_report(native, P, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", None)
    assert report["entries"]
    exact(deploygov.ComplianceReport, report)
    for entry in report["entries"]:
        exact(deploygov.ComplianceEntry, entry)
        for item in entry["items"]:
            exact(deploygov.ReportItem, item)
    csv = deploygov.ComplianceReport.from_dict(report).to_csv()
    assert csv == _native.compliance_report_csv(report) and csv.count("\r\n") == len(report["entries"]) + 1
    for env in ("production", "staging"):
        exact(deploygov.EnvironmentMetrics, _native.environment_metrics(native, P, env, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"))


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


def test_the_usual_timestamp_form_reads_as_the_general_path_does() -> None:
    from datetime import datetime, timezone

    from deploygov._codec import parse_time

    for text, expected in (
        ("2026-01-15T09:00:00.123456Z", datetime(2026, 1, 15, 9, 0, 0, 123456, tzinfo=timezone.utc)),
        ("2026-01-15T09:00:00.123456+00:00", datetime(2026, 1, 15, 9, 0, 0, 123456, tzinfo=timezone.utc)),
        ("2026-01-15T10:00:00.123456+01:00", datetime(2026, 1, 15, 9, 0, 0, 123456, tzinfo=timezone.utc)),
        ("2026-01-15T09:00:00.1234567Z", datetime(2026, 1, 15, 9, 0, 0, 123456, tzinfo=timezone.utc)),
    ):
        got = parse_time(text)
        assert got == expected and got.tzinfo == timezone.utc, text
    for bad in ("2026-02-30T09:00:00.123456Z", "2026-01-15T09:00:00.12345aZ", "2026-01-15 09:00:00.123456Z"):
        with pytest.raises(ValueError):
            parse_time(bad)
