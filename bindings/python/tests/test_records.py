"""Governed records and reports: ``unset_variables``, ``compare_variables``, artifacts (attach,
list, prunable, prune), deployment errors (record, resolve, list), ``compliance_report`` with
the core's CSV, ``environment_metrics``, and bad input."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from conftest import ALICE, BOB, CAROL, DAVE, LENA, P, START, request

from deploygov import (
    Artifact,
    ArtifactSpec,
    ComplianceReport,
    ConflictError,
    Deployment,
    DeploymentErrorRecord,
    DeploymentStatus,
    Engine,
    EnvironmentMetrics,
    ErrorCategory,
    ErrorResolution,
    ErrorSeverity,
    ErrorSpec,
    ForbiddenError,
    InvalidInputError,
    ManualClock,
    NotFoundError,
    Policy,
    PolicyViolationError,
    VariableDiff,
    _native,
)

FROM, TO = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc)


def live(engine: Engine, tag: str, env: str = "development") -> Deployment:
    d = engine.request_deployment(P, request(env, tag), DAVE)
    return engine.execute(P, d.id, DAVE)


# -- variables ---------------------------------------------------------------------------------


def test_unset_and_compare_variables(engine: Engine) -> None:
    secret = {"key": "S", "value": "x", "secret": True}
    engine.set_variables(P, "staging", [{"key": "A", "value": "1"}, {"key": "B", "value": "2"}, secret], ALICE)
    engine.set_variables(P, "production", [{"key": "A", "value": "1"}, secret], ALICE)
    diffs = engine.compare_variables(P, "staging", "production")
    assert diffs == [
        VariableDiff("A", "1", "1", False, True),
        VariableDiff("B", "2", None, False, False),
        VariableDiff("S", "***", "***", True, True),
    ]
    d = engine.request_deployment(P, request("staging"), DAVE)
    engine.approve(P, d.id, LENA)
    env = engine.unset_variables(P, "staging", ("B",), ALICE)
    assert [v.key for v in env.variables] == ["A", "S"]
    assert engine.get_deployment(P, d.id).status is DeploymentStatus.PENDING  # the approval stopped counting
    with pytest.raises(NotFoundError, match="`B`"):
        engine.unset_variables(P, "staging", ["A", "B"], ALICE)
    assert [v.key for v in engine.get_environment(P, "staging").variables] == ["A", "S"]  # nothing changed
    with pytest.raises(InvalidInputError):
        engine.unset_variables(P, "staging", ["A", "A"], ALICE)
    with pytest.raises(InvalidInputError):
        engine.unset_variables(P, "staging", [], ALICE)
    with pytest.raises(ForbiddenError):
        engine.unset_variables(P, "staging", ["A"], LENA)
    with pytest.raises(TypeError):
        engine.unset_variables(P, "staging", "A", ALICE)
    with pytest.raises(InvalidInputError):
        engine.unset_variables(P, "staging", [None], ALICE)  # type: ignore[list-item]
    with pytest.raises(NotFoundError):
        engine.compare_variables(P, "staging", "nope")


# -- artifacts ---------------------------------------------------------------------------------


def test_attach_list_prune_artifacts(engine: Engine, clock: ManualClock) -> None:
    engine.set_policy(P, "development", Policy(artifact_retention=1), ALICE)
    first = engine.attach_artifact(P, ArtifactSpec("prompt_version", "chatbot", "1.0.0", "bundle", "s3://b/1", size_bytes=10), DAVE)
    assert isinstance(first, Artifact) and first.size_bytes == 10 and first.digest is None and first.created_at == START
    as_dict = {"entity_type": "prompt_version", "entity_id": "chatbot", "version_tag": "1.0.0", "name": "bundle", "uri": "s3://b/1"}
    same = engine.attach_artifact(P, as_dict | {"size_bytes": 10}, DAVE)
    assert same == first
    with pytest.raises(ConflictError):
        engine.attach_artifact(P, ArtifactSpec("prompt_version", "chatbot", "1.0.0", "bundle", "s3://other"), DAVE)
    second = engine.attach_artifact(P, ArtifactSpec("prompt_version", "chatbot", "1.1.0", "bundle", "s3://b/2"), DAVE)
    assert engine.list_artifacts(P, "prompt_version", "chatbot") == [first, second]
    assert engine.list_artifacts(P, "prompt_version", "chatbot", "1.1.0") == [second]

    assert engine.prunable_artifacts(P) == []  # never deployed: kept
    for tag in ("1.0.0", "1.1.0", "2.0.0"):
        live(engine, tag)
        clock.advance(60)
    assert engine.prunable_artifacts(P) == [first]  # 1.1.0 is the last known good one
    with pytest.raises(PolicyViolationError):
        engine.prune_artifacts(P, [first.id, second.id], ALICE, "cleanup")
    with pytest.raises(ForbiddenError):
        engine.prune_artifacts(P, [first.id], DAVE, "cleanup")
    with pytest.raises(NotFoundError):
        engine.prune_artifacts(P, ["nope"], ALICE, "cleanup")
    assert engine.prune_artifacts(P, (first.id,), ALICE, "cleanup") == [first]
    assert engine.list_artifacts(P, "prompt_version", "chatbot") == [second]
    pruned = [e for e in engine.audit_log(P) if e.action == "artifact.pruned"]
    assert [e.before["id"] for e in pruned] == [first.id]


def test_artifact_bad_input(engine: Engine) -> None:
    spec = ArtifactSpec("prompt_version", "chatbot", "9.9.9", "bundle", "s3://b")
    with pytest.raises(NotFoundError):
        engine.attach_artifact(P, spec, DAVE)
    with pytest.raises(InvalidInputError):
        engine.attach_artifact(P, {"entity_type": "prompt_version", "entity_id": "chatbot", "version_tag": "1.0.0", "name": "b"}, DAVE)
    with pytest.raises(InvalidInputError):
        engine.attach_artifact(P, spec.to_dict() | {"size_bytes": -1}, DAVE)
    with pytest.raises(TypeError):
        engine.attach_artifact(P, None, DAVE)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        engine.list_artifacts(P, "prompt_version", "chatbot", "9.9.9")
    with pytest.raises(TypeError):
        engine.list_artifacts(P, "prompt_version", "chatbot", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.prune_artifacts(P, "abc", ALICE, "why")
    with pytest.raises(NotFoundError):
        engine.prunable_artifacts("nope")


# -- deployment errors -------------------------------------------------------------------------


def test_record_resolve_and_list_deployment_errors(engine: Engine, clock: ManualClock) -> None:
    d = live(engine, "1.0.0")
    spec = ErrorSpec(d.id, ErrorCategory.NETWORK, ErrorSeverity.HIGH, "DNS_FAIL", "deploy", "no route", user_impact="slow")
    first = engine.record_deployment_error(P, spec, DAVE)
    assert isinstance(first, DeploymentErrorRecord) and first.environment == "development" and first.resolution is None
    assert first.category is ErrorCategory.NETWORK and first.to_dict()["severity"] == "high"
    low = dict(spec.to_dict(), severity="low", code="LOG_FULL", category="resource")
    second = engine.record_deployment_error(P, low, DAVE)
    clock.advance(60)
    resolved = engine.resolve_deployment_error(P, first.id, ALICE, "dns fixed")
    assert resolved.resolution == ErrorResolution(START + timedelta(seconds=60), "alice", "dns fixed")
    with pytest.raises(ConflictError):
        engine.resolve_deployment_error(P, first.id, ALICE, "again")

    assert [e.id for e in engine.list_deployment_errors(P)] == [first.id, second.id]
    assert [e.id for e in engine.list_deployment_errors(P, unresolved_only=True)] == [second.id]
    assert [e.id for e in engine.list_deployment_errors(P, severity=ErrorSeverity.HIGH)] == [first.id]
    assert engine.list_deployment_errors(P, environment="production") == []


def test_deployment_error_bad_input(engine: Engine) -> None:
    d = live(engine, "1.0.0")
    base = {"deployment_id": d.id, "category": "network", "severity": "high", "code": "X", "stage": "deploy", "message": "m"}
    for bad in ({"category": "cosmic"}, {"severity": "later"}, {"deployment_id": "nope"}, {"extra": 1}):
        with pytest.raises((InvalidInputError, NotFoundError)):
            engine.record_deployment_error(P, base | bad, DAVE)
    with pytest.raises(InvalidInputError):
        engine.record_deployment_error(P, {k: v for k, v in base.items() if k != "message"}, DAVE)
    with pytest.raises(TypeError):
        engine.record_deployment_error(P, None, DAVE)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        engine.resolve_deployment_error(P, "nope", ALICE, "notes")
    with pytest.raises(InvalidInputError, match="later"):
        engine.list_deployment_errors(P, severity="later")
    with pytest.raises(TypeError):
        engine.list_deployment_errors(P, unresolved_only=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.list_deployment_errors(P, environment=1)  # type: ignore[arg-type]


# -- reports ----------------------------------------------------------------------------------


def test_compliance_report_and_csv(engine: Engine, clock: ManualClock) -> None:
    d = engine.request_deployment(P, request("production"), ALICE)
    engine.approve(P, d.id, BOB)
    engine.approve(P, d.id, CAROL)
    engine.execute(P, d.id, BOB)
    clock.advance(60)
    refused = engine.request_deployment(P, request("production", "1.1.0"), ALICE)
    engine.reject(P, refused.id, BOB, "not now, thanks")
    live(engine, "1.0.0")  # development has no approval rules: not governed

    report = engine.compliance_report(P, FROM, TO)
    assert isinstance(report, ComplianceReport) and report.environments == ("staging", "production")
    assert report.from_ == FROM and report.to_dict()["from"] == "2026-01-01T00:00:00Z"
    assert [(e.deployment_id, e.approvers, e.status) for e in report.entries] == [
        (d.id, ("bob", "carol"), DeploymentStatus.DEPLOYED),
        (refused.id, (), DeploymentStatus.REJECTED),
    ]
    assert report.entries[1].refused is not None and report.entries[1].refused.reason == "not now, thanks"
    assert engine.compliance_report(P, FROM, TO, "development").environments == ("development",)

    text = report.to_csv()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:3] == ["deployment_id", "environment", "name"] and len(rows) == 3 and text.endswith("\r\n")
    assert rows[1][0] == d.id and rows[1][rows[0].index("approvers")] == "bob; carol"
    assert rows[2][rows[0].index("refused_by")] == "bob"
    assert ComplianceReport.from_dict(report.to_dict()).to_csv() == text

    with pytest.raises(InvalidInputError):
        engine.compliance_report(P, TO, FROM)
    with pytest.raises(ValueError, match="naive"):
        engine.compliance_report(P, datetime(2026, 1, 1), TO)
    with pytest.raises(TypeError):
        engine.compliance_report(P, "2026-01-01", TO)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        engine.compliance_report(P, FROM, TO, "nope")
    with pytest.raises(InvalidInputError):
        _native.compliance_report_csv(report.to_dict() | {"entries": [{"deployment_id": 1}]})
    with pytest.raises(TypeError):
        _native.compliance_report_csv(None)  # type: ignore[arg-type]


def test_environment_metrics(engine: Engine, clock: ManualClock) -> None:
    empty = engine.environment_metrics(P, "development", FROM, TO)
    assert isinstance(empty, EnvironmentMetrics) and empty.deployments_finished == 0 and empty.success_rate is None
    first = live(engine, "1.0.0")
    clock.advance(60)
    second = live(engine, "1.1.0")
    clock.advance(120)
    engine.rollback(P, second.id, DAVE, reason="regression")
    m = engine.environment_metrics(P, "development", FROM, TO)
    assert (m.deployments_finished, m.succeeded, m.failed, m.rolled_back) == (2, 2, 0, 1)
    assert m.success_rate == 1.0 and m.change_failure_rate == 0.5 and m.mean_time_to_roll_back_seconds == 120.0
    assert m.to_dict()["from"] == "2026-01-01T00:00:00Z" and first.id != second.id
    with pytest.raises(InvalidInputError):
        engine.environment_metrics(P, "development", TO, FROM)
    with pytest.raises(NotFoundError):
        engine.environment_metrics(P, "nope", FROM, TO)
    with pytest.raises(TypeError):
        engine.environment_metrics(P, "development", None, TO)  # type: ignore[arg-type]
