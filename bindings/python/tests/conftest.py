"""Shared fixtures: an engine on a manual clock with project ``japm``, its three default
environments and a small catalog, and the actors of the JAPM workflow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from deploygov import Actor, DeploymentRequest, Engine, ItemSpec, ManualClock, VersionSpec

P = "japm"
START = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)

ROOT = Actor("root", ("admin",))
ALICE = Actor("alice", ("admin",))
BOB = Actor("bob", ("admin",))
CAROL = Actor("carol", ("tenant_admin",))
DAVE = Actor("dave", ("developer",))
LENA = Actor("lena", ("lead",))


def setup(engine: Engine) -> None:
    """Project ``japm`` with development, staging and production (default policies) and
    versions 1.0.0 / 1.1.0 / 2.0.0 of prompt ``chatbot`` and 1.0.0 of asset ``templates``."""
    engine.create_project(P, "acme", "JAPM", ROOT)
    for name in ("development", "staging", "production"):
        engine.create_environment(P, name, ROOT)
    for tag in ("1.0.0", "1.1.0", "2.0.0"):
        engine.register_version(P, VersionSpec("prompt_version", "chatbot", tag), ROOT)
    engine.register_version(P, VersionSpec("prompt_asset_version", "templates", "1.0.0"), ROOT)


def request(env: str, tag: str = "1.0.0", entity: str = "chatbot", **kw: object) -> DeploymentRequest:
    return DeploymentRequest(env, f"deploy-{entity}-{tag}", (ItemSpec("prompt_version", entity, tag),), **kw)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def engine(clock: ManualClock) -> Iterator[Engine]:
    with Engine.in_memory(clock=clock) as e:
        setup(e)
        yield e
