"""Argument conversion shared by the ``Engine`` methods: records and mappings to the core's
JSON shape, type checks of optional scalars, and executors adapted to what the native module
calls. Presentation only: nothing here decides anything."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable, Optional, Protocol, TypeVar, Union

from deploygov._codec import Record, format_time, to_json
from deploygov.model import Actor
from deploygov.results import Activation

__all__ = ["ActorLike", "ExecutorLike", "SupportsActivate"]


class SupportsActivate(Protocol):
    """An executor object: ``activate`` makes one version live (raise to fail the item)."""

    def activate(self, activation: Activation, /) -> object: ...


ActorLike = Union[Actor, Mapping[str, Any]]
"""An ``Actor`` or a dict ``{"id": ..., "roles": [...]}``."""

ExecutorLike = Union[Callable[[Activation], object], SupportsActivate]
"""A callable taking an ``Activation``, or an object with ``activate(activation)``."""

R = TypeVar("R", bound=Record)


def _arg(value: Any) -> Any:
    """A record or mapping as the plain dict the native module reads; other values unchanged
    (the native module raises ``TypeError`` naming what was expected)."""
    if isinstance(value, (Record, Mapping)):
        return to_json(value)
    return value


def _opt_str(name: str, value: object) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a str or None, got {type(value).__name__}")


def _opt_time(name: str, value: object) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a timezone-aware datetime or None, got {type(value).__name__}")
    return format_time(value)


def _time(name: str, value: object) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a timezone-aware datetime, got {type(value).__name__}")
    return format_time(value)  # a naive datetime is a ValueError


def _opt_int(name: str, value: object) -> Optional[int]:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"{name} must be an int or None, got {type(value).__name__}")


def _many(cls: Callable[[Mapping[str, Any]], R], data: list[dict[str, Any]]) -> list[R]:
    return [cls(d) for d in data]


def _adapt_executor(executor: Optional[ExecutorLike]) -> Optional[Callable[[dict[str, Any]], None]]:
    if executor is None:
        return None
    activate = getattr(executor, "activate", None)
    fn = activate if callable(activate) else executor
    if not callable(fn):
        raise TypeError(f"executor must be a callable or have an activate(activation) method, got {type(executor).__name__}")

    def call(raw: dict[str, Any]) -> None:
        fn(Activation.from_dict(raw))

    return call




def _execute_options(break_glass_reason: object, freeze_override_reason: object) -> dict[str, Optional[str]]:
    """The core's ``ExecuteOptions`` as a dict."""
    return {
        "break_glass_reason": _opt_str("break_glass_reason", break_glass_reason),
        "freeze_override_reason": _opt_str("freeze_override_reason", freeze_override_reason),
    }
