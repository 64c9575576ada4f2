"""The generated record loaders (`Record.from_dict`) read exactly what a plain loop over the
dataclass fields reads, and fail the same way; the timestamp cache gives what a parse gives."""

from __future__ import annotations

import collections
import dataclasses
import enum
import json
import math
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Optional

import pytest

import deploygov
from deploygov import _codec, _native
from deploygov._codec import Record, json_name, parse_time
from conftest import ALICE, BOB, CAROL, P, request
from deploygov.model import Deployment, DeploymentItem, Policy


def reference(cls: type[Any], data: Any) -> Any:
    """The loop the generated loaders replace: each field's key, its codec's `load`, the class
    called with keywords."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__}.from_dict needs a mapping, got {type(data).__name__}")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        key, codec = json_name(f), f.metadata.get("codec")
        if key in data:
            values[f.name] = codec.load(data[key]) if codec is not None else data[key]
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"{cls.__name__}.from_dict: missing field `{key}`")
    return cls(**values)


def outcome(f: Any, *args: Any) -> tuple[str, Any]:
    try:
        return ("ok", f(*args))
    except Exception as e:  # noqa: BLE001 -- the outcome is compared, whatever it is
        return (type(e).__name__, str(e))


def deployment(engine: deploygov.Engine) -> dict[str, Any]:
    """A production deployment's JSON after its execution: approvals, items and timestamps."""
    d = engine.request_deployment(P, request("production"), ALICE)
    engine.approve(P, d.id, BOB)
    engine.approve(P, d.id, CAROL)
    done = engine.execute(P, d.id, BOB)
    raw: dict[str, Any] = engine._native.get_deployment(P, done.id)
    return raw


def variants(raw: dict[str, Any]) -> list[Any]:
    """The record's JSON, and versions of it with each kind of fault."""
    out: list[Any] = [raw, [], "text", None]
    for key in raw:
        out.append({k: v for k, v in raw.items() if k != key})
        for bad in (None, "x", 7, [], {}, [{}], ["x"], "2026-13-01T00:00:00Z"):
            out.append({**raw, key: bad})
    out.append({**raw, "items": [{k: v for k, v in raw["items"][0].items() if k != "entity_id"}]})
    out.append({**raw, "unknown": 1})
    return out


def test_a_deployment_and_every_fault_load_as_the_loop_loads_them(engine: deploygov.Engine) -> None:
    raw = deployment(engine)
    assert raw["approvals"] and raw["started_at"] and raw["items"]
    cases = variants(raw)
    assert len(cases) > 250
    # Two faults at once: the first error in field order wins, as in the loop.
    for bad in raw:
        for gone in raw:
            cases.append({k: ("x" if k == bad else v) for k, v in raw.items() if k != gone})
    cases.append(collections.defaultdict(lambda: "boom", {"id": "x"}))
    for data in cases:
        assert outcome(Deployment.from_dict, data) == outcome(reference, Deployment, data), data


def test_a_mapping_is_asked_only_for_the_keys_it_has() -> None:
    data: collections.defaultdict[str, Any] = collections.defaultdict(str, {"id": "x"})
    assert outcome(deploygov.Actor.from_dict, data) == outcome(reference, deploygov.Actor, data)
    assert dict(data) == {"id": "x"}
    assert outcome(deploygov.Actor.from_dict, collections.defaultdict(str)) == (
        "ValueError",
        "Actor.from_dict: missing field `id`",
    )


def test_defaults_and_factories_apply_to_absent_keys() -> None:
    assert outcome(Policy.from_dict, {}) == outcome(reference, Policy, {})
    assert Policy.from_dict({"four_eyes": False}) == reference(Policy, {"four_eyes": False})
    assert deploygov.Actor.from_dict({"id": "x"}).roles == ()

    if sys.version_info >= (3, 10):

        @dataclasses.dataclass(frozen=True)
        class Kw(Record):
            a: int
            b: tuple[str, ...] = dataclasses.field(default_factory=tuple, metadata=_codec.meta(_codec.STRS))
            c: Optional[datetime] = dataclasses.field(default=None, kw_only=True, metadata=_codec.meta(_codec.optional(_codec.TIME)))

        assert Kw.from_dict({"a": 1}) == Kw(1)
        assert Kw.from_dict({"a": 1, "b": ["x"], "c": "2026-01-15T09:00:00Z"}) == Kw(1, ("x",), c=datetime(2026, 1, 15, 9, tzinfo=timezone.utc))
        assert outcome(Kw.from_dict, {"b": []}) == ("ValueError", "Kw.from_dict: missing field `a`")


def test_unusual_classes_load_as_the_loop_loads_them() -> None:
    @dataclasses.dataclass(frozen=True)
    class WithInitVar(Record):
        a: int
        scale: dataclasses.InitVar[int]
        b: int = 0

        def __post_init__(self, scale: int) -> None:
            object.__setattr__(self, "b", self.b * scale)

    @dataclasses.dataclass(frozen=True)
    class Hidden(Record):
        a: int
        b: int = dataclasses.field(default=5, init=False)

    odd = dataclasses.make_dataclass("Odd'{name}", [("a", int)], bases=(Record,), frozen=True)
    for cls, data in (
        (WithInitVar, {"a": 1, "b": 2}),
        (Hidden, {"a": 1}),
        (Hidden, {"a": 1, "b": 2}),
        (odd, {"a": 1}),
        (odd, {}),
        (odd, 3),
    ):
        assert outcome(cls.from_dict, data) == outcome(reference, cls, data), (cls, data)


def test_a_key_error_inside_a_loader_is_not_a_missing_field() -> None:
    def boom(raw: Any) -> Any:
        raise KeyError("inner")

    @dataclasses.dataclass(frozen=True)
    class Odd(Record):
        a: Any = dataclasses.field(metadata=_codec.meta(_codec.Codec(boom)))
        b: int

    with pytest.raises(KeyError, match="inner"):
        Odd.from_dict({"a": 1, "b": 2})
    assert outcome(Odd.from_dict, {"b": 2}) == ("ValueError", "Odd.from_dict: missing field `a`")
    for data in ({"a": 1}, {"b": 2}, {}):
        assert outcome(Odd.from_dict, data) == outcome(reference, Odd, data)


def test_enum_fields_take_members_and_refuse_what_the_class_refuses(engine: deploygov.Engine) -> None:
    class Text(str):
        pass

    item = deployment(engine)["items"][0]
    assert item["status"] == "deployed"
    for status in ("deployed", Text("failed"), "nope", 3, None, ["deployed"]):
        data = {**item, "status": status}
        assert outcome(DeploymentItem.from_dict, data) == outcome(reference, DeploymentItem, data), status
    assert DeploymentItem.from_dict(item).status is deploygov.ItemStatus.DEPLOYED
    assert DeploymentItem.from_dict({**item, "status": Text("failed")}).status is deploygov.ItemStatus.FAILED

    class Shade(str, enum.Enum):
        DARK = "dark"

        @classmethod
        def _missing_(cls, value: object) -> Optional[Shade]:
            return cls.DARK if value == "DARK" else None

    @dataclasses.dataclass(frozen=True)
    class Paint(Record):
        shade: Shade = dataclasses.field(metadata=_codec.meta(_codec.enum_of(Shade)))

    assert Paint.from_dict({"shade": "DARK"}).shade is Shade.DARK
    assert outcome(Paint.from_dict, {"shade": "x"}) == outcome(reference, Paint, {"shade": "x"})


def test_the_timestamp_cache_gives_what_a_parse_gives() -> None:
    _codec._PARSED.clear()
    text = "2026-01-15T09:00:00.123456Z"
    first, second = parse_time(text), parse_time(text)
    assert first is second and first == _codec._parse_time(text)
    for bad in ("2026-02-30T09:00:00.123456Z", 5, None):
        for _ in range(2):
            assert outcome(parse_time, bad) == outcome(_codec._parse_time, bad)
    assert all(type(k) is str for k in _codec._PARSED)

    class Text(str):
        pass

    assert parse_time(Text(text)) == first and all(type(k) is str for k in _codec._PARSED)
    for i in range(_codec._PARSED_MAX + 10):
        parse_time(f"2026-01-15T09:00:00.{i:06d}Z")
    assert len(_codec._PARSED) <= _codec._PARSED_MAX


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (``1`` is not ``1.0``, ``True`` not ``1``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def test_results_cross_with_every_value_intact(engine: deploygov.Engine) -> None:
    # Arbitrary JSON goes in and comes back as it was: integers of any 64-bit size stay `int`,
    # floats keep their exact value and type, text keeps every character.
    metadata = {
        "u64_max": 2**64 - 1,
        "i64_min": -(2**63),
        "zero": 0,
        "one_float": 1.0,
        "tenth": 0.1,
        "smallest": 5e-324,
        "largest": 1.7976931348623157e308,
        "negative": -2.5e-10,
        "text": 'ü✓ 日本 \u007f \n \t " \\ \U0001f680',
        "flags": [True, False, None],
        "nested": {"empty": {}, "list": [[], [{}], [1, [2.0, ["x"]]]]},
    }
    spec = deploygov.VersionSpec("prompt_version", "json-text", "1.0.0", metadata=metadata)
    registered = engine.register_version(P, spec, ALICE)
    assert same(registered.metadata, metadata), registered.metadata
    listed = [v for v in engine.list_versions(P, "prompt_version", "json-text")]
    assert len(listed) == 1 and same(listed[0].metadata, metadata)
    raw = engine._native.get_deployment(P, engine.request_deployment(P, request("development"), ALICE).id)
    assert isinstance(raw, dict) and isinstance(raw["revision"], int) and isinstance(raw["items"], list)


def test_results_have_the_shapes_serde_json_gives() -> None:
    # Every shape serde can write (unit, newtype, tuple and struct variants, internally tagged
    # and flattened maps, bytes, every integer width, f32 and non-finite floats, integer, float,
    # 128-bit, bool, char, newtype and variant map keys, `collect_str`, empty containers, JSON
    # values), converted straight to Python objects and through the text of serde_json's `Value`
    # of it (the old conversion): the same objects, of the same types.
    for which in ("shapes", "more"):
        obj, text = _native.conversion_sample(which)
        assert same(obj, json.loads(text)), (which, obj, text)
    shapes, _ = _native.conversion_sample("shapes")
    assert shapes["floats"][4] is None and shapes["variants"][3] == {"Fields": {"a": None, "b": ["é", "🚀"]}}
    more, _ = _native.conversion_sample("more")
    assert more["f32s"][0] == 0.10000000149011612 and more["f32s"][3] is None
    assert math.copysign(1.0, more["negative_zero"]) == -1.0 and "-0.0" in more["keys"]
    for which, message in (
        ("bad_key", "key must be a string"),
        ("too_big", "number out of range"),
        ("nan_key", "float key must be finite"),
        ("refuses", "this value refuses"),
    ):
        with pytest.raises(deploygov.StorageError, match=f"cannot serialize a result: {message}"):
            _native.conversion_sample(which)
