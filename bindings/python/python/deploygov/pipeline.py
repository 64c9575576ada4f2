"""Typed, read-only records of two-phase execution (pipelines that run outside the host
process: ``Engine.begin``, ``log``, ``deployment_logs``, ``heartbeat``, ``complete``) and of
post-deployment health (``Engine.report_health``, ``health_checks``).

The inputs ``CompletionSuccess``, ``CompletionFailure`` and ``HealthReport`` may always be
replaced by plain dicts of the same shape (``{"outcome": "success"}``,
``{"outcome": "failure", "error": ..., "failed_item": ...}``, ``{"ok": ..., ...}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Optional, Union

from deploygov._codec import STRS, TIME, Record, enum_of, meta, optional, record, seq
from deploygov.enums import Health
from deploygov.model import Deployment

__all__ = [
    "Completion",
    "CompletionFailure",
    "CompletionSuccess",
    "HealthCheck",
    "HealthOutcome",
    "HealthReport",
    "LogLine",
    "LogPage",
]


@dataclass(frozen=True)
class LogLine(Record):
    """One line of a deployment's stage log; ``seq`` is its cursor position."""

    seq: int
    at: datetime = field(metadata=meta(TIME))
    stage: str
    line: str


@dataclass(frozen=True)
class LogPage(Record):
    """A page of a deployment's stage log, oldest first. Pass ``next_cursor`` as ``after_seq``
    to read on while ``open`` (the deployment is ``deploying`` or ``paused``); ``dropped``
    counts the oldest lines dropped to keep the log bounded."""

    lines: tuple[LogLine, ...] = field(metadata=meta(seq(record(LogLine))))
    next_cursor: int
    dropped: int
    open: bool


@dataclass(frozen=True)
class CompletionSuccess(Record):
    """``Engine.complete``: every item went live."""

    outcome: Literal["success"] = "success"


@dataclass(frozen=True)
class CompletionFailure(Record):
    """``Engine.complete``: the pipeline failed (and restored what it changed); nothing goes
    live. ``failed_item`` is the index of the item that failed (default: the first): items
    before it are recorded as reverted, items after it as skipped."""

    error: str
    failed_item: Optional[int] = None
    outcome: Literal["failure"] = "failure"


Completion = Union[CompletionSuccess, CompletionFailure]
"""How an out-of-process execution ended."""


@dataclass(frozen=True)
class HealthReport(Record):
    """One health check of a live deployment as the host's monitoring measured it: whether it
    passed, the error rate (0 to 1) and the p95 latency in milliseconds."""

    ok: bool
    error_rate: Optional[float] = None
    p95_latency_ms: Optional[float] = None


@dataclass(frozen=True)
class HealthCheck(Record):
    """A stored health check with what the engine made of it: failed checks in a row
    (``consecutive_failures``, 0 when it passed), the replaced deployment's p95 baseline, and
    the thresholds crossed (``breaches``, one sentence each; empty: none)."""

    id: str
    deployment_id: str
    environment: str
    at: datetime = field(metadata=meta(TIME))
    reported_by: str
    report: HealthReport = field(metadata=meta(record(HealthReport)))
    consecutive_failures: int
    baseline_p95_ms: Optional[float]
    breaches: tuple[str, ...] = field(metadata=meta(STRS))


@dataclass(frozen=True)
class HealthOutcome(Record):
    """What ``Engine.report_health`` did: the stored check, the environment's health after it,
    and the automatic rollback (or why it could not be made) when a threshold was crossed."""

    check: HealthCheck = field(metadata=meta(record(HealthCheck)))
    health: Health = field(metadata=meta(enum_of(Health)))
    rollback: Optional[Deployment] = field(metadata=meta(optional(record(Deployment))))
    rollback_error: Optional[str]
