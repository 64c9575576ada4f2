"""deploygov: embedded deployment governance (approvals, validation, execution, rollback, a
hash-chained audit trail and a transactional outbox of events) over SQLite, for Python services.

>>> import deploygov
>>> with deploygov.Engine.in_memory() as engine:
...     alice = deploygov.Actor("alice", ("admin",))
...     project = engine.create_project("shop", "acme", "Shop", alice)
...     env = engine.create_environment("shop", "production", alice)
>>> env.policy.four_eyes
True

The engine is the Rust core (``deploygov._native``); this package gives it typed records,
``str`` enums and an exception family (``deploygov.exceptions``).
"""

from __future__ import annotations

from deploygov import exceptions
from deploygov._native import __version__
from deploygov.engine import (
    ActorLike,
    Engine,
    ExecutorLike,
    ManualClock,
    SubscriberLike,
    SupportsActivate,
    SupportsOnEvent,
    SupportsValidate,
    ValidatorLike,
)
from deploygov.enums import Action, DeploymentKind, DeploymentStatus, ErrorCode, Health, ItemStatus, Phase, RiskLevel, Severity
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
from deploygov.model import (
    AUTO_APPROVER,
    REDACTED,
    ActiveEntry,
    Actor,
    Approval,
    ApprovalRule,
    Decision,
    Dependency,
    Deployment,
    DeploymentItem,
    DeploymentRequest,
    Environment,
    EnvironmentDiff,
    EnvironmentSpec,
    Finding,
    HistoryEntry,
    ItemSpec,
    Policy,
    Project,
    RiskEscalation,
    RollbackPolicy,
    ValidationReport,
    Variable,
    Version,
    VersionSpec,
)
from deploygov.results import (
    Activation,
    ApprovalState,
    AuditEntry,
    AuditVerification,
    Blocker,
    DryRun,
    Event,
    Page,
    RuleStatus,
    ValidationContext,
    VoidApproval,
)

__all__ = [
    "AUTO_APPROVER",
    "REDACTED",
    "Action",
    "Activation",
    "ActiveEntry",
    "Actor",
    "ActorLike",
    "Approval",
    "ApprovalRule",
    "ApprovalState",
    "AuditCorruptError",
    "AuditEntry",
    "AuditVerification",
    "Blocker",
    "ConflictError",
    "Decision",
    "Dependency",
    "DeploygovError",
    "Deployment",
    "DeploymentItem",
    "DeploymentKind",
    "DeploymentRequest",
    "DeploymentStatus",
    "DryRun",
    "Engine",
    "Environment",
    "EnvironmentDiff",
    "EnvironmentSpec",
    "ErrorCode",
    "Event",
    "ExecutorLike",
    "Finding",
    "ForbiddenError",
    "Health",
    "HistoryEntry",
    "InvalidInputError",
    "InvalidTransitionError",
    "ItemSpec",
    "ItemStatus",
    "ManualClock",
    "NotFoundError",
    "Page",
    "Phase",
    "Policy",
    "PolicyViolationError",
    "Project",
    "RiskEscalation",
    "RiskLevel",
    "RollbackPolicy",
    "RuleStatus",
    "SelfApprovalError",
    "Severity",
    "StorageError",
    "SubscriberLike",
    "SupportsActivate",
    "SupportsOnEvent",
    "SupportsValidate",
    "ValidationContext",
    "ValidationFailedError",
    "ValidationReport",
    "ValidatorLike",
    "Variable",
    "Version",
    "VersionSpec",
    "VoidApproval",
    "__version__",
    "exceptions",
]
