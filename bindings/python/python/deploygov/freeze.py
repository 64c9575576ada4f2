"""Typed, read-only records of freeze windows: periods in which approving and executing into an
environment (or every environment of a project) is refused with the finding
``environment_frozen``, unless an actor holding one of ``Policy.freeze_override_roles`` gives a
``freeze_override_reason`` (audited). Rollbacks are exempt.

``FreezeSpec`` may always be replaced by a plain dict of the same shape (the core's JSON, with
``schedule`` as ``{"type": "one_off", ...}`` or ``{"type": "weekly", ...}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Optional, Union

from deploygov._codec import TIME, Codec, Record, enum_of, meta, seq
from deploygov.enums import Day

__all__ = ["FreezeSchedule", "FreezeSpec", "FreezeWindow", "OneOffSchedule", "WeeklySchedule"]


@dataclass(frozen=True)
class OneOffSchedule(Record):
    """A window from ``start`` (inclusive) to ``end`` (exclusive), timezone-aware."""

    start: datetime = field(metadata=meta(TIME))
    end: datetime = field(metadata=meta(TIME))
    type: Literal["one_off"] = "one_off"


@dataclass(frozen=True)
class WeeklySchedule(Record):
    """A window every week on ``days``, from ``start_time`` (``"HH:MM"``, local) for
    ``duration_minutes`` (1 to one week), in the IANA ``time_zone`` (``"Europe/Berlin"``):
    daylight-saving changes move it with the wall clock."""

    days: tuple[Day, ...] = field(metadata=meta(seq(enum_of(Day))))
    start_time: str
    duration_minutes: int
    time_zone: str
    type: Literal["weekly"] = "weekly"


FreezeSchedule = Union[OneOffSchedule, WeeklySchedule]
"""When a freeze window is on."""


def _load_schedule(raw: Any) -> FreezeSchedule:
    if not isinstance(raw, Mapping):
        raise TypeError(f"a freeze schedule must be a mapping, got {type(raw).__name__}")
    kind = raw.get("type")
    if kind == "one_off":
        return OneOffSchedule.from_dict(raw)
    if kind == "weekly":
        return WeeklySchedule.from_dict(raw)
    raise ValueError(f"unknown freeze schedule type `{kind}`, expected one of: one_off, weekly")


SCHEDULE = Codec(_load_schedule)


@dataclass(frozen=True)
class FreezeSpec(Record):
    """What ``Engine.add_freeze`` takes: a name shown in refusals, the schedule, and the
    environment it freezes (``None``: every environment of the project)."""

    name: str
    schedule: FreezeSchedule = field(metadata=meta(SCHEDULE))
    environment: Optional[str] = None


@dataclass(frozen=True)
class FreezeWindow(Record):
    """A stored freeze window (``environment`` ``None``: the whole project)."""

    id: str
    project_id: str
    environment: Optional[str]
    name: str
    schedule: FreezeSchedule = field(metadata=meta(SCHEDULE))
    created_by: str
    created_at: datetime = field(metadata=meta(TIME))
