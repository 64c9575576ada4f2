"""Conversion between the core's serde JSON (as plain Python data) and the typed records.

This is presentation only: field names and shapes are the core's; nothing here decides anything.
Each record field may carry a codec in its ``metadata``; fields without one hold plain values.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import re
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Optional, TypeVar

__all__ = ["Record", "format_time", "json_name", "parse_time", "to_json"]

_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


# ``datetime.fromisoformat`` reads a trailing ``Z`` as UTC from Python 3.11 on.
_ISO_Z = sys.version_info >= (3, 11)


def parse_time(text: object) -> datetime:
    """Parses an RFC 3339 timestamp (as the core writes them) into an aware UTC ``datetime``."""
    if not isinstance(text, str):
        raise TypeError(f"a timestamp must be a str, got {type(text).__name__}")
    m = _TIME.match(text)
    if m is None:
        raise ValueError(f"`{text}` is not an RFC 3339 timestamp")
    base, fraction, zone = m.groups()
    if _ISO_Z and zone == "Z" and fraction is not None and len(fraction) == 7:
        # The core's usual form (microseconds, ``Z``) read as it is: the text built below would
        # differ only by ``+00:00`` for ``Z``, which ``fromisoformat`` reads alike.
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # the general path gives the error in its words
    micros = (fraction or ".")[1:7].ljust(6, "0")
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{base}.{micros}{zone}").astimezone(timezone.utc)


def format_time(value: datetime) -> str:
    """Formats an aware ``datetime`` as the core writes timestamps: RFC 3339 in UTC, ``Z``, with
    0, 3 or 6 fractional digits as needed (so ``to_dict()`` gives back the core's own JSON)."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"datetime {value.isoformat()} is naive; pass a timezone-aware datetime")
    utc = value.astimezone(timezone.utc)
    micros = utc.microsecond
    if micros == 0:
        fraction = ""
    elif micros % 1000 == 0:
        fraction = f".{micros // 1000:03d}"
    else:
        fraction = f".{micros:06d}"
    return f"{utc.replace(tzinfo=None, microsecond=0).isoformat()}{fraction}Z"


def to_json(value: Any) -> Any:
    """Plain JSON data for ``value``: records become dicts, enums their strings, datetimes
    RFC 3339 strings, tuples lists. Anything else is returned unchanged (the native module
    refuses what is not JSON data with a ``TypeError``)."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


class Codec:
    """How one field is read from and written to JSON."""

    def __init__(self, load: Callable[[Any], Any], dump: Callable[[Any], Any] = to_json) -> None:
        self.load = load
        self.dump = dump


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)


JSON = Codec(_copy, lambda v: copy.deepcopy(to_json(v)))
TIME = Codec(parse_time, format_time)
STRS = Codec(lambda raw: tuple(raw))


def optional(inner: Codec) -> Codec:
    """``None`` or a value read by ``inner``."""
    return Codec(lambda raw: None if raw is None else inner.load(raw), lambda v: None if v is None else inner.dump(v))


def seq(inner: Codec) -> Codec:
    """A list read item by item into a tuple."""
    return Codec(lambda raw: tuple(inner.load(r) for r in raw), lambda v: [inner.dump(x) for x in v])


def enum_of(cls: type[enum.Enum]) -> Codec:
    """A member of a ``str`` enum."""
    return Codec(cls, to_json)


def record(cls: type[Record]) -> Codec:
    """A nested record."""
    return Codec(cls.from_dict, to_json)


def meta(codec: Codec) -> dict[str, Codec]:
    """Field metadata carrying ``codec``."""
    return {"codec": codec}


def json_name(f: dataclasses.Field[Any]) -> str:
    """The core's JSON name of a record field: its own name, or the metadata's ``name`` for a
    field whose JSON name is a Python keyword (``from_`` holds ``from``)."""
    name = f.metadata.get("name", f.name)
    return name if isinstance(name, str) else f.name


R = TypeVar("R", bound="Record")

# How each record class is read: (field name, JSON name, loader or None, required), built once
# per class from its dataclass fields (reading the fields' metadata on every call cost more than
# the conversion itself).
_Plan = tuple[tuple[str, str, Optional[Callable[[Any], Any]], bool], ...]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = tuple(
            (
                f.name,
                json_name(f),
                codec.load if (codec := f.metadata.get("codec")) is not None else None,
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(cls)
        )
        _PLANS[cls] = plan
    return plan


class Record:
    """Base of the typed, read-only result and input records (frozen dataclasses).

    ``to_dict()`` gives JSON-ready data in the core's shape (FastAPI can return it as is);
    ``from_dict()`` reads that shape back.
    """

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @classmethod
    def from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
        """Reads a record from the core's JSON shape (unknown keys are ignored)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__}.from_dict needs a mapping, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for name, key, load, required in _plan(cls):
            if key in data:
                raw = data[key]
                values[name] = load(raw) if load is not None else raw
            elif required:
                raise ValueError(f"{cls.__name__}.from_dict: missing field `{key}`")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data in the core's shape: enums as strings, timestamps as RFC 3339."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            codec = f.metadata.get("codec")
            value = getattr(self, f.name)
            out[json_name(f)] = codec.dump(value) if codec is not None else to_json(value)
        return out
