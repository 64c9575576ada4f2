"""Typed, read-only records of query results, the audit trail, the outbox events, the dry run,
and what callbacks (executors, validators and subscribers) receive."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Generic, Optional, TypeVar

from deploygov._codec import JSON, STRS, TIME, Record, enum_of, meta, record, seq
from deploygov.enums import Action, ErrorCode, Phase
from deploygov.model import Deployment, Environment, ValidationReport

__all__ = [
    "Activation",
    "ApprovalState",
    "AuditEntry",
    "AuditVerification",
    "Blocker",
    "DryRun",
    "Event",
    "Page",
    "RuleStatus",
    "ValidationContext",
    "VoidApproval",
]

T = TypeVar("T", bound=Record)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, newest first. Pass ``next_cursor`` as ``cursor`` for the next page;
    it is ``None`` on the last page."""

    items: tuple[T, ...]
    next_cursor: Optional[str]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], item: Callable[[Mapping[str, Any]], T]) -> Page[T]:
        """Reads a page whose items are read by ``item`` (e.g. ``Deployment.from_dict``)."""
        return cls(items=tuple(item(d) for d in data["items"]), next_cursor=data.get("next_cursor"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``{"items": [...], "next_cursor": ...}``."""
        return {"items": [i.to_dict() for i in self.items], "next_cursor": self.next_cursor}


@dataclass(frozen=True)
class AuditEntry(Record):
    """One entry of the hash-chained audit trail (secrets redacted in ``before``/``after``)."""

    seq: int
    at: datetime = field(metadata=meta(TIME))
    actor_id: str
    action: str
    project_id: Optional[str]
    object_type: str
    object_id: str
    before: Any = field(metadata=meta(JSON))
    after: Any = field(metadata=meta(JSON))
    reason: Optional[str]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Event(Record):
    """One event of the transactional outbox: every mutation writes one, in the same transaction
    as its audit entry. ``Engine.events_after`` lists them (keep the last ``seq`` as the
    cursor; delivery is at least once, ``id`` de-duplicates) and subscribers receive them after
    the command commits.

    ``kind`` is the audit action (``deployment.requested``, ``.approval_granted``,
    ``.approved``, ``.deploying``, ``.deployed``, ``.failed``, ``.rolled_back``, ``.cancelled``,
    ``.superseded``, ``environment.health_changed``, ...); ``payload`` is
    ``{"before", "after", "reason"}`` as in the audit entry (secrets redacted). ``signature`` is
    the hex HMAC-SHA256 of the event without it under the key of
    ``Engine.set_event_signing_key``, or ``None`` when no key is set."""

    seq: int
    id: str
    at: datetime = field(metadata=meta(TIME))
    kind: str
    project_id: Optional[str]
    object_type: str
    object_id: str
    actor_id: str
    payload: dict[str, Any] = field(metadata=meta(JSON))
    signature: Optional[str]


@dataclass(frozen=True)
class AuditVerification(Record):
    """Result of a successful ``Engine.verify_audit()``."""

    entries: int
    head_hash: str


@dataclass(frozen=True)
class RuleStatus(Record):
    """Granted versus required approvals for one rule."""

    rule: str
    required: int
    granted: int
    approvers: tuple[str, ...] = field(metadata=meta(STRS))
    eligible_roles: tuple[str, ...] = field(metadata=meta(STRS))


@dataclass(frozen=True)
class VoidApproval(Record):
    """An approval that does not count, and why (``stale_content`` or ``expired``)."""

    actor_id: str
    reason: str


@dataclass(frozen=True)
class ApprovalState(Record):
    """The approval state of a deployment under its environment's policy, now."""

    rules: tuple[RuleStatus, ...] = field(metadata=meta(seq(record(RuleStatus))))
    void: tuple[VoidApproval, ...] = field(metadata=meta(seq(record(VoidApproval))))
    automatic: bool


@dataclass(frozen=True)
class Blocker(Record):
    """One reason a command would be refused: the error code and message it would raise."""

    code: ErrorCode = field(metadata=meta(enum_of(ErrorCode)))
    message: str


@dataclass(frozen=True)
class DryRun(Record):
    """The answer of ``Engine.check``: may the actor do this now, and if not, every reason."""

    action: Action = field(metadata=meta(enum_of(Action)))
    allowed: bool
    blockers: tuple[Blocker, ...] = field(metadata=meta(seq(record(Blocker))))
    approvals: ApprovalState = field(metadata=meta(record(ApprovalState)))
    findings: ValidationReport = field(metadata=meta(record(ValidationReport)))


@dataclass(frozen=True)
class Activation(Record):
    """One activation an executor performs. ``environment`` has secret variables readable.
    ``version_tag`` ``None`` means remove the entity; ``revert`` is true when undoing an
    earlier activation after a later item failed."""

    environment: Environment = field(metadata=meta(record(Environment)))
    deployment_id: str
    entity_type: str
    entity_id: str
    version_tag: Optional[str]
    previous_version: Optional[str]
    revert: bool


@dataclass(frozen=True)
class ValidationContext(Record):
    """What a validator sees: the phase, the environment (secrets redacted) and the deployment
    (at request: not yet stored, status ``pending``)."""

    phase: Phase = field(metadata=meta(enum_of(Phase)))
    environment: Environment = field(metadata=meta(record(Environment)))
    deployment: Deployment = field(metadata=meta(record(Deployment)))
