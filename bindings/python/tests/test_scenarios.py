"""Runs the shared scenario corpus ``tests/scenarios/*.json`` (format: its README) through the
typed Python surface, with the semantics of the Rust runner ``core/tests/scenarios.rs``: a fresh
in-memory engine on a manual clock per file, strict keys everywhere (unknown members of the
core's types are found by reading them into records and writing them back), ``$name``
references, and results compared in the core's JSON form (``to_dict()``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, Union

import pytest

import deploygov
from deploygov import (
    Action,
    Activation,
    Actor,
    ArtifactSpec,
    CompletionFailure,
    CompletionSuccess,
    DeploygovError,
    DeploymentRequest,
    Engine,
    EnvironmentSpec,
    ErrorFilter,
    ErrorSpec,
    FreezeSpec,
    Health,
    HealthReport,
    ManualClock,
    Policy,
    ResumeDecision,
    Variable,
    VersionSpec,
)
from deploygov._codec import Record, parse_time

CORPUS = Path(os.environ.get("DEPLOYGOV_SCENARIOS", Path(__file__).resolve().parents[3] / "tests" / "scenarios"))
MIN_SCENARIOS = 14
DEFAULT_CLOCK = "2026-01-15T09:00:00Z"
SIMULATED_FAILURE = "simulated failure"
NO_ACTOR = {
    "get_deployment",
    "list_deployments",
    "active_state",
    "active_version",
    "active_version_tag",
    "entity_history",
    "compare_environments",
    "audit_log",
    "verify_audit",
    "events_after",
    "sweep",
    "due",
    "active_state_at",
    "deployments_live_at",
    "compare_variables",
    "list_artifacts",
    "prunable_artifacts",
    "list_deployment_errors",
    "compliance_report",
    "environment_metrics",
    "list_freezes",
    "active_freezes",
    "log",
    "deployment_logs",
    "health_checks",
    "advance_clock",
}
DEP = ["project", "deployment_id"]
EXPECT_KEYS = {"error", "status", "items", "active", "findings", "allowed", "count", "fields"}
FILTER_KEYS = {
    "environment",
    "status",
    "entity_type",
    "entity_id",
    "requested_by",
    "requested_after",
    "requested_before",
    "cursor",
    "limit",
}

EXECUTE_OPTIONS = {"break_glass_reason", "freeze_override_reason"}
NOT_AN_OP = object()

R = TypeVar("R", bound=Record)
Outcome = Union[Any, DeploygovError]


class Malformed(Exception):
    """The scenario is malformed or an expectation does not hold."""


def obj(v: Any, what: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise Malformed(f"{what} must be an object")
    return v


def only_keys(m: Mapping[str, Any], allowed: Any, what: str) -> None:
    for k in m:
        if k not in allowed:
            raise Malformed(f"unknown key `{k}` in {what} (allowed: {', '.join(allowed)})")


def string(m: Mapping[str, Any], key: str) -> str:
    v = m.get(key)
    if not isinstance(v, str):
        raise Malformed(f"`{key}` must be a string")
    return v


def known_keys(given: Any, back: Any, at: str) -> None:
    if isinstance(given, dict) and isinstance(back, dict):
        for k, v in given.items():
            if k not in back:
                raise Malformed(f"unknown member `{at}.{k}`")
            known_keys(v, back[k], f"{at}.{k}")
    elif isinstance(given, list) and isinstance(back, list):
        for n, (x, y) in enumerate(zip(given, back)):
            known_keys(x, y, f"{at}.{n}")


def strict(cls: type[R], v: Any, what: str) -> R:
    """Reads a core type into its record and refuses members the record does not know."""
    try:
        record = cls.from_dict(obj(v, what))
    except (TypeError, ValueError) as e:
        raise Malformed(f"`{what}`: {e}") from e
    known_keys(v, record.to_dict(), what)
    return record


def json_of(result: Any) -> Any:
    """The core's JSON form of a typed result."""
    if isinstance(result, (Record, deploygov.Page)):
        return result.to_dict()
    if isinstance(result, list):
        return [json_of(r) for r in result]
    return result


class Args:
    """The named arguments of one step, with the default project."""

    def __init__(self, v: Any, project: str) -> None:
        self.map = {} if v is None else obj(v, "`args`")
        self.default_project = project

    def allow(self, *keys: str) -> None:
        only_keys(self.map, keys, "args")

    def project(self) -> str:
        p = self.opt("project", str)
        return self.default_project if p is None else p

    def get(self, key: str, kind: Any = str) -> Any:
        if key not in self.map:
            raise Malformed(f"missing argument `{key}`")
        v = self.map[key]
        if (kind is int and (isinstance(v, bool) or not isinstance(v, int))) or (kind is not int and not isinstance(v, kind)):
            raise Malformed(f"`{key}` must be a {kind.__name__}")
        return v

    def opt(self, key: str, kind: Any) -> Any:
        return None if self.map.get(key) is None else self.get(key, kind)

    def options(self, key: str, allowed: set[str]) -> dict[str, Any]:
        o = self.opt(key, dict) or {}
        only_keys(o, sorted(allowed), key)
        return dict(o)


def scenario_executor(fail_on: Any) -> Callable[[Activation], None]:
    entries = []
    for n, f in enumerate(fail_on or []):
        f = obj(f, f"fail_on.{n}")
        only_keys(f, ["entity_type", "entity_id"], f"fail_on.{n}")
        entries.append((string(f, "entity_type"), string(f, "entity_id")))

    def activate(a: Activation) -> None:
        if (a.entity_type, a.entity_id) in entries and not a.revert:
            raise RuntimeError(SIMULATED_FAILURE)

    return activate


class Run:
    def __init__(self, doc: Any) -> None:
        top = obj(doc, "scenario")
        only_keys(top, ["name", "description", "clock", "setup", "steps"], "scenario")
        for key in ("name", "description"):
            if not isinstance(top.get(key), str):
                raise Malformed(f"`{key}` must be a string")
        start = top.get("clock", DEFAULT_CLOCK)
        if not isinstance(start, str):
            raise Malformed("`clock` must be a string")
        self.clock = ManualClock(parse_time(start))
        self.engine = Engine.in_memory(clock=self.clock)
        self.project = ""
        self.saved: dict[str, str] = {}
        self.top = top

    def run(self) -> None:
        if "setup" not in self.top:
            raise Malformed("missing `setup`")
        try:
            self.setup(self.top["setup"])
        except (Malformed, DeploygovError) as e:
            raise Malformed(f"setup: {e}") from e
        steps = self.top.get("steps")
        if not isinstance(steps, list) or not steps:
            raise Malformed("`steps` must be a non-empty array")
        for i, step in enumerate(steps):
            op = step.get("op", "?") if isinstance(step, dict) else "?"
            try:
                self.step(step)
            except Malformed as e:
                raise Malformed(f"step {i} ({op}): {e}") from e

    def setup(self, v: Any) -> None:
        s = obj(v, "setup")
        only_keys(s, ["projects", "environments", "versions"], "setup")
        actor = Actor("setup", ("admin",))

        def entries(key: str) -> list[Any]:
            found = s.get(key, [])
            if not isinstance(found, list):
                raise Malformed(f"`{key}` must be an array")
            return found

        for i, p in enumerate(entries("projects")):
            p = obj(p, "project")
            only_keys(p, ["id", "tenant", "name"], "project")
            self.engine.create_project(string(p, "id"), string(p, "tenant"), string(p, "name"), actor)
            if i == 0:
                self.project = p["id"]
        if not self.project:
            raise Malformed("`projects` must name at least one project")
        for env in entries("environments"):
            project, spec = self.split_project(env)
            self.engine.create_environment(project, strict(EnvironmentSpec, spec, "environment"), actor)
        for version in entries("versions"):
            project, spec = self.split_project(version)
            self.engine.register_version(project, strict(VersionSpec, spec, "version"), actor)

    def split_project(self, v: Any) -> tuple[str, dict[str, Any]]:
        m = dict(obj(v, "setup entry"))
        project = m.pop("project", self.project)
        if not isinstance(project, str):
            raise Malformed("`project` must be a string")
        return project, m

    def subst(self, v: Any) -> Any:
        if isinstance(v, str) and v.startswith("$"):
            rest = v[1:]
            if rest.startswith("$"):
                return rest
            if rest not in self.saved:
                raise Malformed(f"`${rest}` was not saved by an earlier step")
            return self.saved[rest]
        if isinstance(v, list):
            return [self.subst(x) for x in v]
        if isinstance(v, dict):
            return {k: self.subst(x) for k, x in v.items()}
        return v

    def step(self, step: Any) -> None:
        s = obj(step, "step")
        only_keys(s, ["op", "note", "actor", "args", "expect", "save_as"], "step")
        op = string(s, "op")
        actor = strict(Actor, s["actor"], "actor") if "actor" in s else None
        args = Args(self.subst(s.get("args")), self.project)
        expect = obj(self.subst(s.get("expect", {})), "expect")
        only_keys(expect, sorted(EXPECT_KEYS), "expect")
        outcome = self.call(op, actor, args)
        check_outcome(expect, outcome)
        if "active" in expect:
            self.check_active(args.project(), obj(expect["active"], "expect.active"))
        if "save_as" in s:
            name = s["save_as"]
            if not isinstance(name, str) or not name or name.startswith("$"):
                raise Malformed("`save_as` must be a name without `$`")
            if isinstance(outcome, DeploygovError):
                raise Malformed("`save_as` on a step that failed")
            if not isinstance(outcome, dict) or not isinstance(outcome.get("id"), str):
                raise Malformed("`save_as`: the result has no string `id`")
            if name in self.saved:
                raise Malformed(f"`save_as`: `{name}` is already saved")
            self.saved[name] = outcome["id"]

    def call(self, op: str, actor: Optional[Actor], a: Args) -> Outcome:
        if op in NO_ACTOR and actor is not None:
            raise Malformed(f"`{op}` takes no `actor`")

        def who() -> Actor:
            if actor is None:
                raise Malformed(f"`{op}` needs an `actor`")
            return actor

        try:
            return json_of(self.dispatch(op, who, a))
        except DeploygovError as err:
            return err

    def dispatch(self, op: str, who: Callable[[], Actor], a: Args) -> Any:
        """Calls the engine method `op` (a `Malformed` for a malformed step)."""
        e = self.engine
        if op == "create_project":
            a.allow("id", "tenant", "name")
            return e.create_project(a.get("id"), a.get("tenant"), a.get("name"), who())
        if op == "create_environment":
            a.allow("project", "spec")
            return e.create_environment(a.project(), strict(EnvironmentSpec, a.get("spec", dict), "spec"), who())
        if op == "set_policy":
            a.allow("project", "environment", "policy")
            return e.set_policy(a.project(), a.get("environment"), strict(Policy, a.get("policy", dict), "policy"), who())
        if op == "set_variables":
            a.allow("project", "environment", "variables")
            variables = [strict(Variable, v, f"variables.{n}") for n, v in enumerate(a.get("variables", list))]
            return e.set_variables(a.project(), a.get("environment"), variables, who())
        if op == "set_health":
            a.allow("project", "environment", "health")
            return e.set_health(a.project(), a.get("environment"), enum_arg(Health, a.get("health")), who())
        if op == "register_version":
            a.allow("project", "spec")
            return e.register_version(a.project(), strict(VersionSpec, a.get("spec", dict), "spec"), who())
        if op == "request_deployment":
            a.allow("project", "request")
            return e.request_deployment(a.project(), strict(DeploymentRequest, a.get("request", dict), "request"), who())
        if op == "approve":
            a.allow(*DEP, "options")
            options = a.options("options", {"comment", "rule", "freeze_override_reason"})
            return e.approve(a.project(), a.get("deployment_id"), who(), **options)
        if op == "reject":
            a.allow(*DEP, "reason")
            return e.reject(a.project(), a.get("deployment_id"), who(), a.get("reason"))
        if op == "cancel":
            a.allow(*DEP, "reason")
            return e.cancel(a.project(), a.get("deployment_id"), who(), a.opt("reason", str))
        if op == "execute":
            a.allow(*DEP, "options", "fail_on")
            options = a.options("options", EXECUTE_OPTIONS)
            executor = scenario_executor(a.opt("fail_on", list))
            return e.execute(a.project(), a.get("deployment_id"), who(), executor, **options)
        if op == "rollback":
            a.allow(*DEP, "options", "fail_on")
            options = a.options("options", {"target", "reason"})
            executor = scenario_executor(a.opt("fail_on", list))
            reason = options.get("reason") or ""
            return e.rollback(a.project(), a.get("deployment_id"), who(), executor, reason=reason, target=options.get("target"))
        if op == "check":
            a.allow(*DEP, "action")
            return e.check(a.project(), a.get("deployment_id"), who(), enum_arg(Action, a.get("action")))
        if op == "promote":
            a.allow(*DEP, "to_environment")
            return e.promote(a.project(), a.get("deployment_id"), a.get("to_environment"), who())
        if op == "release_lease":
            a.allow(*DEP, "reason")
            return e.release_lease(a.project(), a.get("deployment_id"), who(), a.get("reason"))
        if op == "sweep":
            a.allow()
            return e.sweep()
        if op in ("quarantine_version", "release_version"):
            a.allow("project", "entity_type", "entity_id", "version_tag", "reason")
            f = e.quarantine_version if op == "quarantine_version" else e.release_version
            return f(a.project(), a.get("entity_type"), a.get("entity_id"), a.get("version_tag"), who(), a.get("reason"))
        if op == "due":
            a.allow("project")
            return e.due(a.project())
        if op == "active_state_at":
            a.allow("project", "environment", "at")
            return e.active_state_at(a.project(), a.get("environment"), instant(a.get("at")))
        if op == "deployments_live_at":
            a.allow("project", "environment", "at")
            return e.deployments_live_at(a.project(), a.get("environment"), instant(a.get("at")))
        if op == "get_deployment":
            a.allow(*DEP)
            return e.get_deployment(a.project(), a.get("deployment_id"))
        if op == "list_deployments":
            a.allow("project", "filter")
            f = a.options("filter", FILTER_KEYS)
            for key in ("requested_after", "requested_before"):
                if f.get(key) is not None:
                    f[key] = parse_time(f[key])
            return e.list_deployments(a.project(), **f)
        if op == "active_state":
            a.allow("project", "environment")
            return e.active_state(a.project(), a.get("environment"))
        if op == "active_version":
            a.allow("project", "environment", "entity_type", "entity_id")
            return e.active_version(a.project(), a.get("environment"), a.get("entity_type"), a.get("entity_id"))
        if op == "active_version_tag":
            a.allow("project", "environment", "entity_type", "entity_id")
            return e.active_version_tag(a.project(), a.get("environment"), a.get("entity_type"), a.get("entity_id"))
        if op == "entity_history":
            a.allow("project", "entity_type", "entity_id", "limit")
            return e.entity_history(a.project(), a.get("entity_type"), a.get("entity_id"), a.opt("limit", int))
        if op == "compare_environments":
            a.allow("project", "left", "right")
            return e.compare_environments(a.project(), a.get("left"), a.get("right"))
        if op == "pending_approvals":
            a.allow("project")
            return e.pending_approvals(a.project(), who())
        if op == "audit_log":
            a.allow("project", "object_id", "after_seq", "limit")
            return e.audit_log(a.project(), a.opt("object_id", str), a.opt("after_seq", int) or 0, a.opt("limit", int))
        if op == "verify_audit":
            a.allow()
            return e.verify_audit()
        if op == "events_after":
            a.allow("project", "after_seq", "limit")
            return e.events_after(a.project(), a.opt("after_seq", int) or 0, a.opt("limit", int))
        found = self.dispatch_records(op, who, a)
        if found is not NOT_AN_OP:
            return found
        found = self.dispatch_execution(op, who, a)
        if found is not NOT_AN_OP:
            return found
        if op == "advance_clock":
            a.allow("seconds")
            self.clock.advance(a.get("seconds", int))
            return None
        raise Malformed(f"unknown op `{op}`")

    def dispatch_records(self, op: str, who: Callable[[], Actor], a: Args) -> Any:
        """The ops of variables, artifacts, deployment errors and reports (scenarios 33-35)."""
        e = self.engine
        if op == "unset_variables":
            a.allow("project", "environment", "keys")
            return e.unset_variables(a.project(), a.get("environment"), strs(a.get("keys", list), "keys"), who())
        if op == "compare_variables":
            a.allow("project", "left", "right")
            return e.compare_variables(a.project(), a.get("left"), a.get("right"))
        if op == "attach_artifact":
            a.allow("project", "spec")
            return e.attach_artifact(a.project(), strict(ArtifactSpec, a.get("spec", dict), "spec"), who())
        if op == "list_artifacts":
            a.allow("project", "entity_type", "entity_id", "version_tag")
            return e.list_artifacts(a.project(), a.get("entity_type"), a.get("entity_id"), a.opt("version_tag", str))
        if op == "prunable_artifacts":
            a.allow("project")
            return e.prunable_artifacts(a.project())
        if op == "prune_artifacts":
            a.allow("project", "ids", "reason")
            return e.prune_artifacts(a.project(), strs(a.get("ids", list), "ids"), who(), a.get("reason"))
        if op == "record_deployment_error":
            a.allow("project", "spec")
            return e.record_deployment_error(a.project(), strict(ErrorSpec, a.get("spec", dict), "spec"), who())
        if op == "resolve_deployment_error":
            a.allow("project", "error_id", "notes")
            return e.resolve_deployment_error(a.project(), a.get("error_id"), who(), a.get("notes"))
        if op == "list_deployment_errors":
            a.allow("project", "filter")
            f = strict(ErrorFilter, a.opt("filter", dict) or {}, "filter")
            return e.list_deployment_errors(a.project(), environment=f.environment, severity=f.severity, unresolved_only=f.unresolved_only)
        if op == "compliance_report":
            a.allow("project", "from", "to", "environment")
            return e.compliance_report(a.project(), instant(a.get("from")), instant(a.get("to")), a.opt("environment", str))
        if op == "environment_metrics":
            a.allow("project", "environment", "from", "to")
            return e.environment_metrics(a.project(), a.get("environment"), instant(a.get("from")), instant(a.get("to")))
        return NOT_AN_OP

    def dispatch_execution(self, op: str, who: Callable[[], Actor], a: Args) -> Any:
        """The ops of freeze windows, two-phase execution, guided failure and health (36-39)."""
        e = self.engine
        if op == "add_freeze":
            a.allow("project", "spec")
            return e.add_freeze(a.project(), strict(FreezeSpec, a.get("spec", dict), "spec"), who())
        if op == "remove_freeze":
            a.allow("project", "freeze_id", "reason")
            return e.remove_freeze(a.project(), a.get("freeze_id"), who(), a.get("reason"))
        if op == "list_freezes":
            a.allow("project", "environment")
            return e.list_freezes(a.project(), a.opt("environment", str))
        if op == "active_freezes":
            a.allow("project", "environment", "at")
            return e.active_freezes(a.project(), a.get("environment"), instant(a.get("at")))
        if op == "begin":
            a.allow(*DEP, "options")
            return e.begin(a.project(), a.get("deployment_id"), who(), **a.options("options", EXECUTE_OPTIONS))
        if op == "log":
            a.allow(*DEP, "stage", "line")
            return e.log(a.project(), a.get("deployment_id"), a.get("stage"), a.get("line"))
        if op == "deployment_logs":
            a.allow(*DEP, "after_seq", "limit")
            return e.deployment_logs(a.project(), a.get("deployment_id"), a.opt("after_seq", int) or 0, a.opt("limit", int))
        if op == "heartbeat":
            a.allow(*DEP)
            return e.heartbeat(a.project(), a.get("deployment_id"), who())
        if op == "complete":
            a.allow(*DEP, "completion")
            return e.complete(a.project(), a.get("deployment_id"), who(), completion(a.get("completion", dict)))
        if op == "resume":
            a.allow(*DEP, "decision", "reason", "fail_on")
            executor = scenario_executor(a.opt("fail_on", list))
            decision = enum_arg(ResumeDecision, a.get("decision"))
            return e.resume(a.project(), a.get("deployment_id"), who(), executor, decision=decision, reason=a.opt("reason", str))
        if op == "report_health":
            a.allow(*DEP, "report", "fail_on")
            executor = scenario_executor(a.opt("fail_on", list))
            report = strict(HealthReport, a.get("report", dict), "report")
            return e.report_health(a.project(), a.get("deployment_id"), report, who(), executor)
        if op == "health_checks":
            a.allow(*DEP)
            return e.health_checks(a.project(), a.get("deployment_id"))
        return NOT_AN_OP

    def check_active(self, project: str, want: dict[str, Any]) -> None:
        for env, entries in want.items():
            expected = obj(entries, "expect.active")
            got = {f"{x.entity_type}/{x.entity_id}": x.version_tag for x in self.engine.active_state(project, env)}
            if got != expected:
                raise Malformed(f"active state of `{env}` is {json.dumps(got)}, expected {json.dumps(expected)}")


def strs(v: list[Any], what: str) -> list[str]:
    if not all(isinstance(x, str) for x in v):
        raise Malformed(f"`{what}` must be an array of strings")
    return v


def completion(v: dict[str, Any]) -> Union[CompletionSuccess, CompletionFailure]:
    """A ``Completion`` by its ``outcome`` tag."""
    kind = v.get("outcome")
    if kind == "success":
        return strict(CompletionSuccess, v, "completion")
    if kind == "failure":
        return strict(CompletionFailure, v, "completion")
    raise Malformed(f"unknown completion outcome `{kind}`")


def instant(v: str) -> datetime:
    """An RFC 3339 argument as an aware ``datetime``."""
    try:
        return parse_time(v)
    except ValueError as e:
        raise Malformed(str(e)) from e


def enum_arg(cls: Any, v: str) -> Any:
    try:
        return cls(v)
    except ValueError as e:
        raise Malformed(str(e)) from e


def brief(v: Any) -> str:
    s = json.dumps(v)
    return s if len(s) <= 400 else s[:400] + "..."


def same(what: str, got: Any, present: bool, want: Any) -> None:
    if not present:
        raise Malformed(f"`{what}` is missing from the result, expected {json.dumps(want)}")
    # JSON equality: bool is not a number, 1 == 1.0.
    if type(got) is bool or type(want) is bool:
        equal = type(got) is type(want) and got == want
    else:
        equal = got == want
    if not equal:
        raise Malformed(f"`{what}` is {brief(got)}, expected {json.dumps(want)}")


def member(v: Any, key: str) -> tuple[Any, bool]:
    if isinstance(v, dict) and key in v:
        return v[key], True
    return None, False


def lookup(v: Any, path: str) -> tuple[Any, bool]:
    if path == "":
        return v, True
    for seg in path.split("."):
        if isinstance(v, list):
            if not seg.isdigit() or int(seg) >= len(v):
                return None, False
            v = v[int(seg)]
        elif isinstance(v, dict):
            if seg not in v:
                return None, False
            v = v[seg]
        else:
            return None, False
    return v, True


def check_outcome(expect: dict[str, Any], outcome: Outcome) -> None:
    want_error = expect.get("error")
    if want_error is not None and not isinstance(want_error, str):
        raise Malformed("`error` must be a string")
    if isinstance(outcome, DeploygovError):
        if want_error is None:
            raise Malformed(f"unexpected error `{outcome.code}`: {outcome}")
        if outcome.code != want_error:
            raise Malformed(f"expected error `{want_error}`, got `{outcome.code}`: {outcome}")
    elif want_error is not None:
        raise Malformed(f"expected error `{want_error}`, but the step succeeded with {brief(outcome)}")
    if "findings" in expect:
        want = expect["findings"]
        if not isinstance(want, list) or not all(isinstance(x, str) for x in want):
            raise Malformed("`expect.findings` must be a list of strings")
        if isinstance(outcome, DeploygovError):
            if not isinstance(outcome, deploygov.ValidationFailedError):
                raise Malformed("`findings` needs a `validation_failed` error")
            got = [f.code for f in outcome.report.errors]
        else:
            errors, found = lookup(outcome, "findings.errors")
            if not found or not isinstance(errors, list):
                raise Malformed("the result has no `findings.errors`")
            got = [f.get("code", "?") for f in errors]
        if sorted(got) != sorted(want):
            raise Malformed(f"findings are {sorted(got)}, expected {sorted(want)}")
    if isinstance(outcome, DeploygovError):
        extra = [k for k in expect if k not in ("error", "findings", "active")]
        if extra:
            raise Malformed(f"`{extra[0]}` cannot be checked together with `error`")
        return
    v = outcome
    for key in ("status", "allowed"):
        if key in expect:
            same(key, *member(v, key), expect[key])
    if "count" in expect:
        items = v if isinstance(v, list) else member(v, "items")[0]
        if not isinstance(items, list):
            raise Malformed("`count` needs a list result")
        same("count", len(items), True, expect["count"])
    if "items" in expect:
        want_items = expect["items"]
        if not isinstance(want_items, list):
            raise Malformed("`items` must be an array")
        got_items = member(v, "items")[0]
        if not isinstance(got_items, list):
            raise Malformed("the result has no `items`")
        if len(got_items) != len(want_items):
            raise Malformed(f"the result has {len(got_items)} items, expected {len(want_items)}")
        for n, (w, g) in enumerate(zip(want_items, got_items)):
            for k, wv in obj(w, "expected item").items():
                same(f"items.{n}.{k}", *member(g, k), wv)
    if "fields" in expect:
        for path, want in obj(expect["fields"], "expect.fields").items():
            same(path, *lookup(v, path), want)


def scenario_files() -> list[Path]:
    return sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []


def test_corpus_is_present() -> None:
    files = scenario_files()
    assert len(files) >= MIN_SCENARIOS, f"{CORPUS} holds {len(files)} scenario files, expected at least {MIN_SCENARIOS}"


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_scenario(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    run = Run(doc)
    try:
        run.run()
    except Malformed as e:
        pytest.fail(f"{path.name}: {e}", pytrace=False)
    finally:
        run.engine.close()
