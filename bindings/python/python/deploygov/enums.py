"""The core's string enums as ``str``-valued Python enums.

Each member *is* its snake_case string (``RiskLevel.HIGH == "high"``), so members can be passed
wherever a string is expected and serialize to JSON as that string. The member lists mirror the
core; ``tests/test_parity.py`` checks them against ``deploygov._native.enum_values()``.
"""

from __future__ import annotations

import enum

from deploygov import _native

__all__ = [
    "Action",
    "Day",
    "DeploymentKind",
    "DeploymentStatus",
    "ErrorCategory",
    "ErrorCode",
    "ErrorSeverity",
    "FailureMode",
    "Health",
    "ItemStatus",
    "Phase",
    "ResumeDecision",
    "RiskLevel",
    "Severity",
]


class _StrEnum(str, enum.Enum):
    """A ``str`` enum whose ``str()`` and ``format()`` are its value (as ``enum.StrEnum``)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class DeploymentStatus(_StrEnum):
    """Lifecycle status of a deployment."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    DEPLOYING = "deploying"
    PAUSED = "paused"
    DEPLOYED = "deployed"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    ROLLED_BACK = "rolled_back"


class DeploymentKind(_StrEnum):
    """Why a deployment exists."""

    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    PROMOTION = "promotion"


class RiskLevel(_StrEnum):
    """Risk of an item; a deployment's risk is its highest item risk."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ItemStatus(_StrEnum):
    """Status of one deployment item."""

    PENDING = "pending"
    DEPLOYED = "deployed"
    FAILED = "failed"
    REVERTED = "reverted"
    SKIPPED = "skipped"


class Health(_StrEnum):
    """Health of an environment as reported by the host."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"


class Severity(_StrEnum):
    """How serious a validation finding is."""

    ERROR = "error"
    WARNING = "warning"


class Phase(_StrEnum):
    """When validation runs."""

    REQUEST = "request"
    EXECUTE = "execute"


class Action(_StrEnum):
    """A command the dry run (``Engine.check``) can ask about."""

    APPROVE = "approve"
    REJECT = "reject"
    EXECUTE = "execute"
    CANCEL = "cancel"
    ROLLBACK = "rollback"


class FailureMode(_StrEnum):
    """What an item failure does during execution (``Policy.on_failure``)."""

    REVERT = "revert"
    PAUSE = "pause"


class ResumeDecision(_StrEnum):
    """A human's decision on a ``paused`` deployment (``Engine.resume``)."""

    RETRY = "retry"
    SKIP = "skip"
    ABORT = "abort"


class Day(_StrEnum):
    """A day of the week, in a weekly freeze window's own time zone."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class ErrorCategory(_StrEnum):
    """What kind of deployment error (the Open Policy Platform categories)."""

    CONFIGURATION = "configuration"
    DEPENDENCY = "dependency"
    RESOURCE = "resource"
    NETWORK = "network"
    SECURITY = "security"
    PERFORMANCE = "performance"


class ErrorSeverity(_StrEnum):
    """How bad a deployment error is."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ErrorCode(_StrEnum):
    """The stable error codes (``DeploygovError.code``); ``number`` is the stable numeric code."""

    NOT_FOUND = "not_found"
    INVALID_TRANSITION = "invalid_transition"
    FORBIDDEN = "forbidden"
    SELF_APPROVAL = "self_approval"
    POLICY_VIOLATION = "policy_violation"
    VALIDATION_FAILED = "validation_failed"
    CONFLICT = "conflict"
    INVALID_INPUT = "invalid_input"
    STORAGE = "storage"
    AUDIT_CORRUPT = "audit_corrupt"

    @property
    def number(self) -> int:
        """The stable numeric code (never reused; 0 means success in the C ABI)."""
        return _NUMBERS[self.value]


_NUMBERS: dict[str, int] = dict(_native.error_codes())
