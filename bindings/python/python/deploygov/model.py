"""Typed, read-only records of the domain model: actors, projects, environments, policies, the
version catalog and deployments. Field names and meanings are the core's (see the README's
Concepts); every record has ``to_dict()`` (JSON-ready) and ``from_dict()``.

Input records (``Actor``, ``Policy``, ``EnvironmentSpec``, ``VersionSpec``, ``ItemSpec``,
``DeploymentRequest``, ``Variable``) may always be replaced by plain dicts of the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from deploygov import _native
from deploygov._codec import JSON, STRS, TIME, Record, enum_of, meta, optional, record, seq
from deploygov.enums import DeploymentKind, DeploymentStatus, FailureMode, Health, ItemStatus, RiskLevel, Severity

__all__ = [
    "AUTO_APPROVER",
    "REDACTED",
    "ActiveEntry",
    "Actor",
    "Approval",
    "ApprovalRule",
    "Decision",
    "Dependency",
    "Deployment",
    "DeploymentItem",
    "DeploymentRequest",
    "Environment",
    "EnvironmentDiff",
    "EnvironmentSpec",
    "Finding",
    "HealthPolicy",
    "HistoryEntry",
    "ItemSpec",
    "LiveEntry",
    "Policy",
    "Project",
    "RiskEscalation",
    "RollbackPolicy",
    "SweepReport",
    "ValidationReport",
    "Variable",
    "Version",
    "VersionSpec",
]

AUTO_APPROVER = "deploygov:auto"
"""The ``actor_id`` recorded for automatic approvals."""

REDACTED = "***"
"""The value secret variables read back as."""


@dataclass(frozen=True)
class Actor(Record):
    """Who performs a command. The host authenticates; deploygov authorizes on ``roles``."""

    id: str
    roles: tuple[str, ...] = field(default=(), metadata=meta(STRS))


@dataclass(frozen=True)
class Project(Record):
    """A project of a tenant: the scope of every query."""

    id: str
    tenant: str
    name: str
    created_at: datetime = field(metadata=meta(TIME))


@dataclass(frozen=True)
class Variable(Record):
    """An environment variable; secret values read back as ``"***"`` (only executors see them)."""

    key: str
    value: str
    secret: bool = False


@dataclass(frozen=True)
class ApprovalRule(Record):
    """``required_approvals`` distinct people holding one of ``eligible_roles``."""

    name: str
    required_approvals: int
    eligible_roles: tuple[str, ...] = field(metadata=meta(STRS))


@dataclass(frozen=True)
class RiskEscalation(Record):
    """Extra approvals for deployments whose risk is at least ``min_risk`` (cumulative)."""

    min_risk: RiskLevel = field(metadata=meta(enum_of(RiskLevel)))
    extra_approvals: int
    eligible_roles: tuple[str, ...] = field(metadata=meta(STRS))


@dataclass(frozen=True)
class RollbackPolicy(Record):
    """Who may roll back, and whether a rollback needs approval like a deployment."""

    roles: tuple[str, ...] = field(metadata=meta(STRS))
    requires_approval: bool = False


# The core's own default policy supplies the field defaults of ``Policy``: one source of truth.
_DEFAULT: dict[str, Any] = _native.default_policy("development")


@dataclass(frozen=True)
class HealthPolicy(Record):
    """Post-deployment verification thresholds (``Policy.health``; the defaults are the core's,
    those of the Open Policy Platform): more than ``max_consecutive_failures`` failed checks in
    a row, an error rate above ``max_error_rate``, or a p95 latency above ``max_latency_ratio``
    times the replaced deployment's baseline is a breach, rolled back automatically when
    ``auto_rollback``."""

    max_consecutive_failures: int = int(_DEFAULT["health"]["max_consecutive_failures"])
    max_error_rate: float = float(_DEFAULT["health"]["max_error_rate"])
    max_latency_ratio: float = float(_DEFAULT["health"]["max_latency_ratio"])
    auto_rollback: bool = bool(_DEFAULT["health"]["auto_rollback"])


@dataclass(frozen=True)
class Policy(Record):
    """Governance of one environment. Unset fields take the core's defaults (those of
    ``Policy.development()``); ``Policy.default_for(name)`` gives what an environment of that
    name gets when created without a policy.

    ``lease_ttl_seconds`` is how long an execution may hold the environment before
    ``Engine.sweep()`` fails it (default one hour); ``requires_success_in`` names environments
    where the same versions must have gone live, and not been rolled back, before they may be
    deployed here (else the error finding ``promotion_required``); ``quarantine_on_rollback``
    quarantines the versions a successful rollback takes out of this environment.

    ``freeze_override_roles`` may approve or execute while a freeze window is open, with a
    written reason (``freeze_override_reason``, audited); ``on_failure`` is what an item failure
    does during execution (``revert`` everything, or ``pause`` for ``Engine.resume``);
    ``health`` holds the post-deployment verification thresholds (``Engine.report_health``);
    ``artifact_retention`` keeps the artifacts of the last N deployments (``None``: all)."""

    approval_rules: tuple[ApprovalRule, ...] = field(
        default=tuple(ApprovalRule.from_dict(r) for r in _DEFAULT["approval_rules"]), metadata=meta(seq(record(ApprovalRule)))
    )
    four_eyes: bool = bool(_DEFAULT["four_eyes"])
    risk_escalation: tuple[RiskEscalation, ...] = field(
        default=tuple(RiskEscalation.from_dict(r) for r in _DEFAULT["risk_escalation"]), metadata=meta(seq(record(RiskEscalation)))
    )
    request_roles: tuple[str, ...] = field(default=tuple(_DEFAULT["request_roles"]), metadata=meta(STRS))
    execute_roles: tuple[str, ...] = field(default=tuple(_DEFAULT["execute_roles"]), metadata=meta(STRS))
    cancel_roles: tuple[str, ...] = field(default=tuple(_DEFAULT["cancel_roles"]), metadata=meta(STRS))
    reject_roles: tuple[str, ...] = field(default=tuple(_DEFAULT["reject_roles"]), metadata=meta(STRS))
    approval_ttl_seconds: Optional[int] = _DEFAULT["approval_ttl_seconds"]
    break_glass_roles: tuple[str, ...] = field(default=tuple(_DEFAULT["break_glass_roles"]), metadata=meta(STRS))
    rollback: RollbackPolicy = field(default=RollbackPolicy.from_dict(_DEFAULT["rollback"]), metadata=meta(record(RollbackPolicy)))
    lease_ttl_seconds: int = int(_DEFAULT["lease_ttl_seconds"])
    requires_success_in: tuple[str, ...] = field(default=tuple(_DEFAULT["requires_success_in"]), metadata=meta(STRS))
    quarantine_on_rollback: bool = bool(_DEFAULT["quarantine_on_rollback"])
    freeze_override_roles: tuple[str, ...] = field(default=tuple(_DEFAULT["freeze_override_roles"]), metadata=meta(STRS))
    on_failure: FailureMode = field(default=FailureMode(_DEFAULT["on_failure"]), metadata=meta(enum_of(FailureMode)))
    health: HealthPolicy = field(default=HealthPolicy.from_dict(_DEFAULT["health"]), metadata=meta(record(HealthPolicy)))
    artifact_retention: Optional[int] = _DEFAULT["artifact_retention"]

    @classmethod
    def default_for(cls, environment: str) -> Policy:
        """The core's default for an environment name (``development``/``dev``, ``staging``,
        ``production``/``prod``; any other name gets the staging policy)."""
        if not isinstance(environment, str):
            raise TypeError(f"environment must be a str, got {type(environment).__name__}")
        return cls.from_dict(_native.default_policy(environment))

    @classmethod
    def development(cls) -> Policy:
        """No approval; anyone may request and execute."""
        return cls.default_for("development")

    @classmethod
    def staging(cls) -> Policy:
        """One approval from ``lead`` or ``admin``."""
        return cls.default_for("staging")

    @classmethod
    def production(cls) -> Policy:
        """Two approvals from ``admin``/``tenant_admin``, only they request, 4-eyes, one more
        approval for ``critical`` risk."""
        return cls.default_for("production")


@dataclass(frozen=True)
class Environment(Record):
    """An environment of a project, with its variables (secrets redacted), health and policy."""

    project_id: str
    name: str
    position: int
    url: Optional[str]
    variables: tuple[Variable, ...] = field(metadata=meta(seq(record(Variable))))
    health: Health = field(metadata=meta(enum_of(Health)))
    policy: Policy = field(metadata=meta(record(Policy)))
    revision: int


@dataclass(frozen=True)
class EnvironmentSpec(Record):
    """What ``Engine.create_environment`` takes. Without a policy the environment gets
    ``Policy.default_for(name)``; without a position it goes after the last one."""

    name: str
    position: Optional[int] = None
    url: Optional[str] = None
    variables: tuple[Variable, ...] = field(default=(), metadata=meta(seq(record(Variable))))
    policy: Optional[Policy] = field(default=None, metadata=meta(optional(record(Policy))))


@dataclass(frozen=True)
class Dependency(Record):
    """A dependency of a catalog version: a semver requirement (or an exact non-semver tag)."""

    entity_type: str
    entity_id: str
    requirement: str


@dataclass(frozen=True)
class VersionSpec(Record):
    """What ``Engine.register_version`` takes. Catalog entries are immutable."""

    entity_type: str
    entity_id: str
    version_tag: str
    uri: Optional[str] = None
    digest: Optional[str] = None
    metadata: Any = field(default=None, metadata=meta(JSON))
    dependencies: tuple[Dependency, ...] = field(default=(), metadata=meta(seq(record(Dependency))))


@dataclass(frozen=True)
class Decision(Record):
    """Who decided and why: a deployment's rejection, cancellation, break-glass or rollback, or a
    version's quarantine."""

    actor_id: str
    at: datetime = field(metadata=meta(TIME))
    reason: Optional[str]


@dataclass(frozen=True)
class Version(Record):
    """A registered catalog version. ``quarantine`` is set while it is quarantined
    (``Engine.quarantine_version``, or a rollback under ``Policy.quarantine_on_rollback``): new
    deployments and promotions carrying it are refused (finding ``version_quarantined``)."""

    project_id: str
    entity_type: str
    entity_id: str
    version_tag: str
    uri: Optional[str]
    digest: Optional[str]
    metadata: Any = field(metadata=meta(JSON))
    dependencies: tuple[Dependency, ...] = field(metadata=meta(seq(record(Dependency))))
    registered_by: str
    registered_at: datetime = field(metadata=meta(TIME))
    quarantine: Optional[Decision] = field(default=None, metadata=meta(optional(record(Decision))))


@dataclass(frozen=True)
class ItemSpec(Record):
    """One item of a deployment request (the version must be in the catalog)."""

    entity_type: str
    entity_id: str
    version_tag: str
    change_message: Optional[str] = None
    risk: RiskLevel = field(default=RiskLevel.LOW, metadata=meta(enum_of(RiskLevel)))


@dataclass(frozen=True)
class DeploymentRequest(Record):
    """What ``Engine.request_deployment`` takes. A repeated ``idempotency_key`` returns the first
    deployment (same content) or raises ``ConflictError`` (different content).

    ``scheduled_for`` (a timezone-aware ``datetime``): not to be executed before then (finding
    ``not_yet_due``); ``expires_at``: cancelled by ``Engine.sweep()`` when not started by then
    (executing it later fails with ``schedule_expired``). ``expires_at`` must be after
    ``scheduled_for`` (else ``InvalidInputError``)."""

    environment: str
    name: str
    items: tuple[ItemSpec, ...] = field(metadata=meta(seq(record(ItemSpec))))
    description: Optional[str] = None
    idempotency_key: Optional[str] = None
    scheduled_for: Optional[datetime] = field(default=None, metadata=meta(optional(TIME)))
    expires_at: Optional[datetime] = field(default=None, metadata=meta(optional(TIME)))


@dataclass(frozen=True)
class DeploymentItem(Record):
    """One item of a deployment with its own status. ``version_tag`` is ``None`` only in rollback
    items that remove the entity from the active state."""

    entity_type: str
    entity_id: str
    version_tag: Optional[str]
    change_message: Optional[str]
    risk: RiskLevel = field(metadata=meta(enum_of(RiskLevel)))
    status: ItemStatus = field(metadata=meta(enum_of(ItemStatus)))
    error_message: Optional[str]
    deployed_at: Optional[datetime] = field(metadata=meta(optional(TIME)))
    previous_version: Optional[str]
    previous_deployment_id: Optional[str]


@dataclass(frozen=True)
class Approval(Record):
    """One approval, bound to the content hash the approver saw."""

    actor_id: str
    at: datetime = field(metadata=meta(TIME))
    rule: str
    comment: Optional[str]
    content_hash: str


@dataclass(frozen=True)
class Finding(Record):
    """One validation finding. ``item`` is the index of the item concerned, if any."""

    code: str
    severity: Severity = field(metadata=meta(enum_of(Severity)))
    message: str
    item: Optional[int] = None

    @classmethod
    def error(cls, code: str, message: str, item: Optional[int] = None) -> Finding:
        """An error finding (refuses the deployment)."""
        return cls(code=code, severity=Severity.ERROR, message=message, item=item)

    @classmethod
    def warning(cls, code: str, message: str, item: Optional[int] = None) -> Finding:
        """A warning finding (kept on the deployment)."""
        return cls(code=code, severity=Severity.WARNING, message=message, item=item)


@dataclass(frozen=True)
class ValidationReport(Record):
    """Every finding of one validation run."""

    errors: tuple[Finding, ...] = field(default=(), metadata=meta(seq(record(Finding))))
    warnings: tuple[Finding, ...] = field(default=(), metadata=meta(seq(record(Finding))))


@dataclass(frozen=True)
class Deployment(Record):
    """A deployment: a bundle of versions going to one environment under its policy.

    ``promoted_from`` is the source deployment of a ``promotion``; ``lease_expires_at`` is set
    only while ``deploying``: when the execution's lease on the environment expires (after
    which ``Engine.sweep()`` fails it). ``scheduled_for`` and ``expires_at`` are the request's
    schedule (see ``DeploymentRequest``)."""

    id: str
    project_id: str
    environment: str
    name: str
    description: Optional[str]
    kind: DeploymentKind = field(metadata=meta(enum_of(DeploymentKind)))
    status: DeploymentStatus = field(metadata=meta(enum_of(DeploymentStatus)))
    items: tuple[DeploymentItem, ...] = field(metadata=meta(seq(record(DeploymentItem))))
    requested_by: str
    requested_at: datetime = field(metadata=meta(TIME))
    approvals: tuple[Approval, ...] = field(metadata=meta(seq(record(Approval))))
    rejection: Optional[Decision] = field(metadata=meta(optional(record(Decision))))
    cancellation: Optional[Decision] = field(metadata=meta(optional(record(Decision))))
    break_glass: Optional[Decision] = field(metadata=meta(optional(record(Decision))))
    started_at: Optional[datetime] = field(metadata=meta(optional(TIME)))
    finished_at: Optional[datetime] = field(metadata=meta(optional(TIME)))
    deployed_at: Optional[datetime] = field(metadata=meta(optional(TIME)))
    executed_by: Optional[str]
    rolled_back: Optional[Decision] = field(metadata=meta(optional(record(Decision))))
    rolled_back_at: Optional[datetime] = field(metadata=meta(optional(TIME)))
    rollback_of: Optional[str]
    rollback_to: Optional[str]
    promoted_from: Optional[str]
    risk: RiskLevel = field(metadata=meta(enum_of(RiskLevel)))
    config_snapshot: tuple[Variable, ...] = field(metadata=meta(seq(record(Variable))))
    content_hash: str
    warnings: tuple[Finding, ...] = field(metadata=meta(seq(record(Finding))))
    activation_seq: Optional[int]
    lease_expires_at: Optional[datetime] = field(metadata=meta(optional(TIME)))
    revision: int
    idempotency_key: Optional[str]
    scheduled_for: Optional[datetime] = field(default=None, metadata=meta(optional(TIME)))
    expires_at: Optional[datetime] = field(default=None, metadata=meta(optional(TIME)))


@dataclass(frozen=True)
class ActiveEntry(Record):
    """What is live for one entity in one environment."""

    environment: str
    entity_type: str
    entity_id: str
    version_tag: str
    deployment_id: str
    since: datetime = field(metadata=meta(TIME))


@dataclass(frozen=True)
class HistoryEntry(Record):
    """One change of the active state (``version_tag`` is ``None`` when the entity was removed)."""

    seq: int
    environment: str
    entity_type: str
    entity_id: str
    version_tag: Optional[str]
    deployment_id: str
    at: datetime = field(metadata=meta(TIME))


@dataclass(frozen=True)
class EnvironmentDiff(Record):
    """One entity whose live version differs between two environments."""

    entity_type: str
    entity_id: str
    left: Optional[str]
    right: Optional[str]


@dataclass(frozen=True)
class LiveEntry(Record):
    """What was live for one entity at a past instant (``Engine.active_state_at``), and who
    put it there: the deployment's requester, its approvers (empty for automatic approval) and
    who executed it."""

    entity_type: str
    entity_id: str
    version_tag: str
    since: datetime = field(metadata=meta(TIME))
    deployment_id: str
    requested_by: str
    approved_by: tuple[str, ...] = field(metadata=meta(STRS))
    executed_by: Optional[str]


@dataclass(frozen=True)
class SweepReport(Record):
    """What one ``Engine.sweep()`` did: deployments whose execution lease expired (now
    ``failed``, their environment free), approved deployments whose approvals expired (back
    to ``pending``) and deployments not started before their ``expires_at`` (now
    ``cancelled``), by id."""

    leases_expired: tuple[str, ...] = field(default=(), metadata=meta(STRS))
    approvals_expired: tuple[str, ...] = field(default=(), metadata=meta(STRS))
    schedules_expired: tuple[str, ...] = field(default=(), metadata=meta(STRS))
