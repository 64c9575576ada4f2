"""Typed, read-only records of the governed records beside deployments (variable comparisons,
build artifacts, deployment errors) and of the reports (compliance, environment metrics).

The inputs ``ArtifactSpec``, ``ErrorSpec`` and ``ErrorFilter`` may always be replaced by plain
dicts of the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from deploygov import _native
from deploygov._codec import STRS, TIME, Record, enum_of, meta, optional, record, seq
from deploygov.enums import DeploymentKind, DeploymentStatus, ErrorCategory, ErrorSeverity
from deploygov.model import Decision

__all__ = [
    "Artifact",
    "ArtifactSpec",
    "ComplianceEntry",
    "ComplianceReport",
    "DeploymentErrorRecord",
    "EnvironmentMetrics",
    "ErrorFilter",
    "ErrorResolution",
    "ErrorSpec",
    "ReportItem",
    "VariableDiff",
]


@dataclass(frozen=True)
class VariableDiff(Record):
    """One variable key compared between two environments (``Engine.compare_variables``).
    ``left``/``right`` are ``None`` when the key is absent on that side and ``"***"`` when it is
    secret (secret values never leave the engine; they are compared by their SHA-256 inside
    it). ``equal``: on both sides with the same secret flag and value."""

    key: str
    left: Optional[str]
    right: Optional[str]
    secret: bool
    equal: bool


@dataclass(frozen=True)
class ArtifactSpec(Record):
    """What ``Engine.attach_artifact`` takes: a build artifact of a catalog version (names are
    unique per version)."""

    entity_type: str
    entity_id: str
    version_tag: str
    name: str
    uri: str
    digest: Optional[str] = None
    size_bytes: Optional[int] = None


@dataclass(frozen=True)
class Artifact(Record):
    """A build artifact attached to a catalog version."""

    id: str
    project_id: str
    entity_type: str
    entity_id: str
    version_tag: str
    name: str
    uri: str
    digest: Optional[str]
    size_bytes: Optional[int]
    created_at: datetime = field(metadata=meta(TIME))
    created_by: str


@dataclass(frozen=True)
class ErrorSpec(Record):
    """What ``Engine.record_deployment_error`` takes (the Open Policy Platform
    ``deployment_errors`` table): the deployment it happened in, category, severity, a
    standardized ``code`` (``DB_CONN_TIMEOUT``), the ``stage`` and what went wrong."""

    deployment_id: str
    category: ErrorCategory = field(metadata=meta(enum_of(ErrorCategory)))
    severity: ErrorSeverity = field(metadata=meta(enum_of(ErrorSeverity)))
    code: str
    stage: str
    message: str
    user_impact: Optional[str] = None
    business_impact: Optional[str] = None


@dataclass(frozen=True)
class ErrorResolution(Record):
    """How a deployment error was resolved."""

    resolved_at: datetime = field(metadata=meta(TIME))
    resolved_by: str
    notes: str


@dataclass(frozen=True)
class DeploymentErrorRecord(Record):
    """A recorded deployment error, under its deployment's environment; ``resolution`` is set
    once resolved."""

    id: str
    project_id: str
    deployment_id: str
    environment: str
    category: ErrorCategory = field(metadata=meta(enum_of(ErrorCategory)))
    severity: ErrorSeverity = field(metadata=meta(enum_of(ErrorSeverity)))
    code: str
    stage: str
    message: str
    user_impact: Optional[str]
    business_impact: Optional[str]
    recorded_at: datetime = field(metadata=meta(TIME))
    recorded_by: str
    resolution: Optional[ErrorResolution] = field(metadata=meta(optional(record(ErrorResolution))))


@dataclass(frozen=True)
class ErrorFilter(Record):
    """Filters of ``Engine.list_deployment_errors``; every field given narrows the result."""

    environment: Optional[str] = None
    severity: Optional[ErrorSeverity] = field(default=None, metadata=meta(optional(enum_of(ErrorSeverity))))
    unresolved_only: bool = False


@dataclass(frozen=True)
class ReportItem(Record):
    """One item of a deployment in a compliance report (``version_tag`` ``None``: a rollback
    removed the entity)."""

    entity_type: str
    entity_id: str
    version_tag: Optional[str]
    previous_version: Optional[str]


@dataclass(frozen=True)
class ComplianceEntry(Record):
    """One deployment in a compliance report: items, requester, the approvers bound to the
    final content, executor, break-glass use, rollback links, rejection or cancellation
    (``refused``) and the failures (``entity_type/entity_id: message``)."""

    deployment_id: str
    environment: str
    name: str
    kind: DeploymentKind = field(metadata=meta(enum_of(DeploymentKind)))
    status: DeploymentStatus = field(metadata=meta(enum_of(DeploymentStatus)))
    items: tuple[ReportItem, ...] = field(metadata=meta(seq(record(ReportItem))))
    requested_by: str
    requested_at: datetime = field(metadata=meta(TIME))
    approvers: tuple[str, ...] = field(metadata=meta(STRS))
    auto_approved: bool
    executed_by: Optional[str]
    finished_at: Optional[datetime] = field(metadata=meta(optional(TIME)))
    deployed_at: Optional[datetime] = field(metadata=meta(optional(TIME)))
    break_glass: Optional[Decision] = field(metadata=meta(optional(record(Decision))))
    rollback_of: Optional[str]
    rollback_to: Optional[str]
    rolled_back: Optional[Decision] = field(metadata=meta(optional(record(Decision))))
    refused: Optional[Decision] = field(metadata=meta(optional(record(Decision))))
    failures: tuple[str, ...] = field(metadata=meta(STRS))


@dataclass(frozen=True)
class ComplianceReport(Record):
    """Every deployment requested in ``[from, to)`` to the governed environments
    (``Engine.compliance_report``), oldest request first. ``to_dict()`` gives the JSON form,
    ``to_csv()`` the core's RFC 4180 CSV."""

    project_id: str
    environments: tuple[str, ...] = field(metadata=meta(STRS))
    # `from` is a Python keyword: the field keeps the core's JSON name `from` in `to_dict()`.
    from_: datetime = field(metadata={**meta(TIME), "name": "from"})
    to: datetime = field(metadata=meta(TIME))
    generated_at: datetime = field(metadata=meta(TIME))
    entries: tuple[ComplianceEntry, ...] = field(metadata=meta(seq(record(ComplianceEntry))))

    def to_csv(self) -> str:
        """The report as RFC 4180 CSV (a header row, then one row per deployment, CRLF line
        ends), written by the core's ``ComplianceReport::to_csv``."""
        return _native.compliance_report_csv(self.to_dict())


@dataclass(frozen=True)
class EnvironmentMetrics(Record):
    """Delivery figures of one environment for the ``deploy`` and ``promotion`` deployments
    requested in ``[from, to)`` (``Engine.environment_metrics``). Rates and means are ``None``
    when there is nothing to divide by."""

    environment: str
    from_: datetime = field(metadata={**meta(TIME), "name": "from"})
    to: datetime = field(metadata=meta(TIME))
    deployments_finished: int
    succeeded: int
    failed: int
    rolled_back: int
    success_rate: Optional[float]
    mean_time_to_deploy_seconds: Optional[float]
    mean_time_to_roll_back_seconds: Optional[float]
    change_failure_rate: Optional[float]
