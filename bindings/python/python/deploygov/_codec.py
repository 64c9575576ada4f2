"""Conversion between the core's serde JSON (as plain Python data) and the typed records.

This is presentation only: field names and shapes are the core's; nothing here decides anything.
Each record field may carry a codec in its ``metadata``; fields without one hold plain values.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import inspect
import re
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Optional, TypeVar

__all__ = ["Record", "format_time", "json_name", "parse_time", "to_json"]

_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


# ``datetime.fromisoformat`` reads a trailing ``Z`` as UTC from Python 3.11 on.
_ISO_Z = sys.version_info >= (3, 11)


# Timestamps already parsed, by their exact text: a deployment's are read again after each call
# of its lifecycle. A `datetime` is immutable, so one may be shared; the cache is emptied when
# full.
_PARSED: dict[str, datetime] = {}
_PARSED_MAX = 1024


def parse_time(text: object) -> datetime:
    """Parses an RFC 3339 timestamp (as the core writes them) into an aware UTC ``datetime``."""
    if type(text) is str:
        parsed = _PARSED.get(text)
        if parsed is None:
            parsed = _parse_time(text)
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[text] = parsed
        return parsed
    return _parse_time(text)


def _parse_time(text: object) -> datetime:
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


# An inline form of a codec's `load`: given a simple expression (a local name) and the namespace
# of the loader being generated, the source of an expression that loads it ([`_loader`]).
_Inline = Callable[[str, "_Source"], str]


class Codec:
    """How one field is read from and written to JSON."""

    def __init__(self, load: Callable[[Any], Any], dump: Callable[[Any], Any] = to_json, inline: Optional[_Inline] = None) -> None:
        self.load = load
        self.dump = dump
        self.inline = inline

    def expr(self, value: str, src: _Source) -> str:
        """Source of an expression loading the local `value` (a call of `load` if no inline form)."""
        return self.inline(value, src) if self.inline is not None else f"{src.bind(self.load)}({value})"


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)


JSON = Codec(_copy, lambda v: copy.deepcopy(to_json(v)))
TIME = Codec(parse_time, format_time)
STRS = Codec(lambda raw: tuple(raw), inline=lambda v, _src: f"tuple({v})")


def optional(inner: Codec) -> Codec:
    """``None`` or a value read by ``inner``."""
    return Codec(
        lambda raw: None if raw is None else inner.load(raw),
        lambda v: None if v is None else inner.dump(v),
        inline=lambda v, src: f"(None if {v} is None else {inner.expr(v, src)})",
    )


def seq(inner: Codec) -> Codec:
    """A list read item by item into a tuple."""

    def inline(v: str, src: _Source) -> str:
        item = src.local()
        return f"tuple([{inner.expr(item, src)} for {item} in {v}])"

    return Codec(lambda raw: tuple(inner.load(r) for r in raw), lambda v: [inner.dump(x) for x in v], inline)


def enum_of(cls: type[enum.Enum]) -> Codec:
    """A member of a ``str`` enum."""

    def inline(v: str, src: _Source) -> str:
        # A member looked up by its value; anything else (another type, an unknown string) goes
        # through the class's own call, which gives its error.
        members = src.bind({m.value: m for m in cls})
        return f"({members}[{v}] if type({v}) is str and {v} in {members} else {src.bind(cls)}({v}))"

    return Codec(cls, to_json, inline)


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


class _Source:
    """The namespace of a loader being generated: the objects its source names."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {}

    def bind(self, obj: Any) -> str:
        """A name for `obj` in the loader's globals."""
        name = f"_g{len(self.names)}"
        self.names[name] = obj
        return name

    def local(self) -> str:
        """A fresh local name (a comprehension's variable)."""
        name = f"_v{len(self.names)}"
        self.names[name] = None
        return name


# How each record class is read from the core's JSON shape: a function generated once per class
# from its dataclass fields, reading each key and loading it with straight-line code, then
# calling the class. It reads as a loop over the fields would (the same keys, loaders and
# errors, in the same order) with a third fewer instructions: a `Deployment` is read after
# every lifecycle call, and the loop's per-field overhead was most of its cost
# (docs/performance.md, round 11).
_LOADERS: dict[type, Callable[[Any], Any]] = {}


def _loader(cls: type) -> Callable[[Any], Any]:
    load = _LOADERS.get(cls)
    if load is None:
        load = _generate(cls)
        _LOADERS[cls] = load
    return load


def _generate(cls: type) -> Callable[[Any], Any]:
    src = _Source()
    fields = dataclasses.fields(cls)
    # Positional arguments (an absent key's default passed explicitly) only when `__init__` takes
    # exactly the fields, in order (no `InitVar`, no `init=False` or keyword-only field);
    # otherwise the keywords of the keys present, as the loop passed them.
    params = list(inspect.signature(cls).parameters.values())
    positional = [p.name for p in params] == [f.name for f in fields] and all(
        p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params
    )
    # INVARIANT: each field is read and loaded in field order, its key tested with `in` (as the
    # loop did: a `defaultdict` is not asked for a key it lacks), so the same input gives the same
    # value or the same first error as the loop. Keys and messages enter the source as `repr`s of
    # plain `str`s, every other object through `src.bind`.
    lines = [
        "def load(data):",
        f"    if type(data) is not dict and not isinstance(data, {src.bind(Mapping)}):",
        f"        raise TypeError({cls.__name__ + '.from_dict needs a mapping, got '!r} + type(data).__name__)",
    ]
    args = []
    if not positional:
        lines.append("    kw = {}")
    for i, f in enumerate(fields):
        key, local = repr(str(json_name(f))), f"f{i}"
        codec = f.metadata.get("codec")
        lines += [f"    if {key} in data:", f"        {local} = data[{key}]"]
        if codec is not None:
            lines.append(f"        {local} = {codec.expr(local, src)}")
        if not positional:
            lines.append(f"        kw[{f.name!r}] = {local}")
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required:
            message = f"{cls.__name__}.from_dict: missing field `{json_name(f)}`"
            lines += ["    else:", f"        raise ValueError({message!r})"]
        elif positional:
            default = src.bind(f.default) if f.default is not dataclasses.MISSING else f"{src.bind(f.default_factory)}()"
            lines += ["    else:", f"        {local} = {default}"]
        args.append(local)
    lines.append(f"    return {src.bind(cls)}({', '.join(args) if positional else '**kw'})")
    namespace = dict(src.names)
    exec("\n".join(lines), namespace)  # noqa: S102 -- source built above from reprs and bound names only
    load: Callable[[Any], Any] = namespace["load"]
    return load


class Record:
    """Base of the typed, read-only result and input records (frozen dataclasses).

    ``to_dict()`` gives JSON-ready data in the core's shape (FastAPI can return it as is);
    ``from_dict()`` reads that shape back.
    """

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @classmethod
    def from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
        """Reads a record from the core's JSON shape (unknown keys are ignored)."""
        load = _LOADERS.get(cls) or _loader(cls)
        out: R = load(data)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data in the core's shape: enums as strings, timestamps as RFC 3339."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            codec = f.metadata.get("codec")
            value = getattr(self, f.name)
            out[json_name(f)] = codec.dump(value) if codec is not None else to_json(value)
        return out
