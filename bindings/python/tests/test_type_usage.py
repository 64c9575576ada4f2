"""Runs the typed usage file that ``mypy --strict`` checks, so its types hold at run time too."""

from __future__ import annotations

import importlib.util
from pathlib import Path

USAGE = Path(__file__).resolve().parents[1] / "type_tests" / "usage.py"


def test_typed_usage_runs() -> None:
    spec = importlib.util.spec_from_file_location("usage", USAGE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main()
    assert out["cache"] == {"greeter": "1.0.0"} and out["live"] == "1.0.0"
    assert out["codes"] == ["empty_deployment"] and out["json"] == "deployed"
    assert "no earlier deployment" in out["rollback"]
    assert out["events"] == out["delivered"] and out["signed"]
    assert out["events"][:2] == ["project.created", "environment.created"] and "deployment.deployed" in out["events"]
    assert out["event_at"] == "2026-01-15T09:00:00+00:00"
    assert out["lease"] is None and out["promoted"] == ("promotion", True, "approved") and out["release"] == "invalid_transition"
    assert out["swept"] == [] and out["approved_by"] == ["bob", "carol"] and out["live_then"] == [True]
    assert out["quarantine"] == ("alice", "leaks pii", None) and out["scheduled"] and out["due"] == [True] and out["expired"] == []
    assert out["frozen"] == ["launch"] and out["weekly"] == "weekly" and out["logs"] == (1, ["compiling"], "deployed")
    assert out["resume"] == ("paused", "deployed") and out["health"] == ("down", True, 1)
    assert out["records"] == ("bundle", 1, [], [], "failure") and out["report"] == (3, "deployment_id", 2)
