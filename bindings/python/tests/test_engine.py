"""Every Engine method through the typed surface: results are typed records with aware
datetimes and str enums, and ``to_dict()`` is JSON-ready."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from conftest import ALICE, BOB, CAROL, DAVE, LENA, P, ROOT, START, request, setup

import deploygov
from deploygov import (
    Action,
    ActiveEntry,
    Actor,
    ApprovalRule,
    DeploymentKind,
    DeploymentStatus,
    Engine,
    EnvironmentSpec,
    Health,
    ItemStatus,
    ManualClock,
    Policy,
    RiskLevel,
    RollbackPolicy,
    Variable,
    VersionSpec,
)


def deployed(engine: Engine, env: str = "staging", tag: str = "1.0.0") -> deploygov.Deployment:
    d = engine.request_deployment(P, request(env, tag), DAVE)
    if d.status == DeploymentStatus.PENDING:
        engine.approve(P, d.id, LENA)
    return engine.execute(P, d.id, DAVE)


def test_open_file_context_manager_and_close(tmp_path: Path) -> None:
    db = tmp_path / "gov.db"
    with Engine.open(db) as e:
        setup(e)
        assert not e.closed
        assert "open" in repr(e)
    assert e.closed and "closed" in repr(e)
    with pytest.raises(ValueError, match="closed"):
        e.get_project(P)
    e.close()  # idempotent
    with Engine.open(str(db)) as again:  # the data is on disk
        assert again.get_project(P).name == "JAPM"
        assert [env.name for env in again.list_environments(P)] == ["development", "staging", "production"]


def test_engine_cannot_be_built_directly() -> None:
    with pytest.raises(TypeError, match=r"Engine\.open"):
        Engine(object())  # type: ignore[arg-type]


def test_projects_and_environments(engine: Engine) -> None:
    p = engine.get_project(P)
    assert (p.id, p.tenant, p.name) == (P, "acme", "JAPM")
    assert p.created_at == START and p.created_at.tzinfo is not None
    env = engine.create_environment(
        P,
        EnvironmentSpec(
            "qa",
            url="https://qa.example",
            variables=(Variable("API_KEY", "s3cret", secret=True), Variable("MODE", "fast")),
            policy=Policy(approval_rules=(ApprovalRule("qa", 1, ("lead",)),), four_eyes=False),
        ),
        ROOT,
    )
    assert env.position == 3 and env.url == "https://qa.example"
    assert env.variables == (Variable("API_KEY", deploygov.REDACTED, True), Variable("MODE", "fast", False))
    assert env.policy.approval_rules[0].eligible_roles == ("lead",) and not env.policy.four_eyes
    assert env.health is Health.HEALTHY
    assert engine.get_environment(P, "qa") == env
    prod = engine.get_environment(P, "production")
    assert prod.policy == Policy.production() == Policy.default_for("prod")
    assert engine.get_environment(P, "development").policy == Policy() == Policy.development()


def test_set_policy_variables_health(engine: Engine) -> None:
    env = engine.set_policy(P, "staging", {"approval_rules": [], "four_eyes": False}, ROOT)
    assert env.policy.approval_rules == () and env.revision == 2
    policy = Policy.staging()
    env = engine.set_policy(P, "staging", policy, ROOT)
    assert env.policy == policy
    env = engine.set_variables(P, "staging", [Variable("TOKEN", "x", True), {"key": "REGION", "value": "eu"}], ROOT)
    assert [(v.key, v.value, v.secret) for v in env.variables] == [("TOKEN", "***", True), ("REGION", "eu", False)]
    env = engine.set_health(P, "staging", Health.DEGRADED, ROOT)
    assert env.health == "degraded"
    assert engine.set_health(P, "staging", "down", ROOT).health is Health.DOWN
    actions = [a.action for a in engine.audit_log(P, object_id="staging", limit=500)]
    assert "environment.four_eyes_disabled" in actions and "environment.health_changed" in actions


def test_versions(engine: Engine) -> None:
    spec = VersionSpec(
        "ai_model",
        "gpt",
        "v2.0.0",
        uri="s3://models/gpt",
        digest="sha256:abc",
        metadata={"params": 7, "tags": ["a"], "nested": {"x": None}},
        dependencies=(deploygov.Dependency("prompt_version", "chatbot", "^1.0"),),
    )
    v = engine.register_version(P, spec, BOB)
    assert (v.entity_type, v.version_tag, v.registered_by, v.registered_at) == ("ai_model", "v2.0.0", "bob", START)
    assert v.metadata == {"params": 7, "tags": ["a"], "nested": {"x": None}}
    assert v.dependencies[0].requirement == "^1.0"
    assert engine.register_version(P, spec, BOB) == v  # idempotent
    with pytest.raises(deploygov.ConflictError):
        engine.register_version(P, {**spec.to_dict(), "digest": "sha256:other"}, BOB)
    tags = [x.version_tag for x in engine.list_versions(P, "prompt_version", "chatbot")]
    assert sorted(tags) == ["1.0.0", "1.1.0", "2.0.0"]


def test_japm_production_flow(engine: Engine, clock: ManualClock) -> None:
    d = engine.request_deployment(P, request("production"), ALICE)
    assert d.status is DeploymentStatus.PENDING and d.kind is DeploymentKind.DEPLOY and d.risk is RiskLevel.LOW
    assert d.requested_by == "alice" and d.requested_at == START
    assert d.items[0].status is ItemStatus.PENDING and d.items[0].version_tag == "1.0.0"
    with pytest.raises(deploygov.SelfApprovalError) as refused:
        engine.approve(P, d.id, ALICE)
    assert refused.value.code == "self_approval" and refused.value.code_number == 4
    assert [x.id for x in engine.pending_approvals(P, BOB)] == [d.id]
    assert engine.pending_approvals(P, ALICE) == []
    dry = engine.check(P, d.id, BOB, Action.EXECUTE)
    assert not dry.allowed and dry.blockers[0].code is deploygov.ErrorCode.POLICY_VIOLATION
    assert dry.approvals.rules[0].required == 2 and dry.approvals.rules[0].granted == 0
    clock.advance(timedelta(minutes=5))
    d = engine.approve(P, d.id, BOB, comment="looks good")
    assert d.approvals[0].comment == "looks good" and d.approvals[0].at == START + timedelta(minutes=5)
    d = engine.approve(P, d.id, CAROL, rule="admins")
    assert d.status is DeploymentStatus.APPROVED
    assert engine.check(P, d.id, BOB, "execute").allowed
    done = engine.execute(P, d.id, BOB)
    assert done.status is DeploymentStatus.DEPLOYED and done.executed_by == "bob"
    assert done.deployed_at is not None and done.deployed_at.tzinfo == timezone.utc
    live = engine.active_version(P, "production", "prompt_version", "chatbot")
    assert isinstance(live, ActiveEntry) and live.version_tag == "1.0.0" and live.deployment_id == d.id
    assert engine.active_version(P, "production", "prompt_version", "nope") is None
    assert engine.active_version_tag(P, "production", "prompt_version", "chatbot") == live.version_tag
    assert engine.active_version_tag(P, "production", "prompt_version", "nope") is None
    assert engine.active_version_tag("no-such-project", "production", "prompt_version", "chatbot") is None
    assert [a.version_tag for a in engine.active_state(P, "production")] == ["1.0.0"]
    audit = engine.verify_audit()
    assert audit.entries > 0 and len(audit.head_hash) == 64


def test_reject_cancel_and_break_glass(engine: Engine) -> None:
    d = engine.request_deployment(P, request("staging"), DAVE)
    d = engine.reject(P, d.id, LENA, "not ready")
    assert d.status is DeploymentStatus.REJECTED and d.rejection is not None and d.rejection.reason == "not ready"
    d = engine.request_deployment(P, request("staging", "1.1.0"), DAVE)
    d = engine.cancel(P, d.id, DAVE)
    assert d.status is DeploymentStatus.CANCELLED and d.cancellation is not None and d.cancellation.reason is None
    d = engine.request_deployment(P, request("staging", "2.0.0"), DAVE)
    d = engine.cancel(P, d.id, ROOT, "superseded by a hotfix")
    assert d.cancellation is not None and d.cancellation.actor_id == "root"
    d = engine.request_deployment(P, request("staging", "2.0.0"), DAVE)
    with pytest.raises(deploygov.PolicyViolationError):
        engine.execute(P, d.id, ROOT)
    d = engine.execute(P, d.id, ROOT, break_glass_reason="incident 42")
    assert d.status is DeploymentStatus.DEPLOYED and d.break_glass is not None and d.break_glass.reason == "incident 42"


def test_rollback_history_compare_and_lists(engine: Engine, clock: ManualClock) -> None:
    first = deployed(engine, "staging", "1.0.0")
    clock.advance(60)
    second = deployed(engine, "staging", "1.1.0")
    assert engine.get_deployment(P, first.id).status is DeploymentStatus.SUPERSEDED
    calls: list[tuple[str | None, bool]] = []
    rb = engine.rollback(P, second.id, LENA, lambda a: calls.append((a.version_tag, a.revert)), reason="bad answers")
    assert rb.kind is DeploymentKind.ROLLBACK and rb.status is DeploymentStatus.DEPLOYED and rb.rollback_of == second.id
    assert calls == [("1.0.0", False)]
    old = engine.get_deployment(P, second.id)
    assert old.status is DeploymentStatus.ROLLED_BACK and old.rolled_back is not None and old.rolled_back.reason == "bad answers"
    assert engine.active_version(P, "staging", "prompt_version", "chatbot").version_tag == "1.0.0"  # type: ignore[union-attr]
    history = engine.entity_history(P, "prompt_version", "chatbot")
    assert [h.version_tag for h in history] == ["1.0.0", "1.1.0", "1.0.0"]
    assert len(engine.entity_history(P, "prompt_version", "chatbot", limit=1)) == 1
    deployed(engine, "development", "2.0.0")
    diff = engine.compare_environments(P, "development", "staging")
    assert [(x.entity_id, x.left, x.right) for x in diff] == [("chatbot", "2.0.0", "1.0.0")]
    page = engine.list_deployments(P, environment="staging", limit=2)
    assert len(page.items) == 2 and page.next_cursor is not None
    rest = engine.list_deployments(P, environment="staging", cursor=page.next_cursor)
    assert len(rest.items) == 1 and rest.next_cursor is None
    assert [x.id for x in engine.list_deployments(P, status=DeploymentStatus.ROLLED_BACK).items] == [second.id]
    assert len(engine.list_deployments(P, entity_type="prompt_version", entity_id="chatbot", requested_by="dave").items) == 3
    assert engine.list_deployments(P, requested_after=START + timedelta(hours=1)).items == ()
    assert len(engine.list_deployments(P, requested_before=START + timedelta(seconds=1)).items) == 1
    log = engine.audit_log(P, after_seq=0, limit=5)
    assert [e.seq for e in log] == [1, 2, 3, 4, 5] and log[0].action == "project.created"
    assert engine.audit_log(P, object_id=first.id)[0].action == "deployment.requested"


def test_to_dict_is_json_ready_and_round_trips(engine: Engine) -> None:
    d = deployed(engine)
    data = d.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["status"] == "deployed" and data["requested_at"] == "2026-01-15T09:00:00Z"
    assert deploygov.Deployment.from_dict(data) == d
    page = engine.list_deployments(P)
    assert json.loads(json.dumps(page.to_dict()))["items"][0]["id"] == d.id
    dry = engine.check(P, d.id, LENA, "rollback")
    assert json.loads(json.dumps(dry.to_dict()))["action"] == "rollback"
    with pytest.raises(AttributeError):
        d.status = DeploymentStatus.FAILED  # type: ignore[misc]


def test_records_accept_dicts_and_actor_dicts(engine: Engine) -> None:
    d = engine.request_deployment(
        P,
        {
            "environment": "development",
            "name": "dict",
            "items": [{"entity_type": "prompt_version", "entity_id": "chatbot", "version_tag": "1.0.0"}],
        },
        {"id": "dave", "roles": ["developer"]},
    )
    assert d.status is DeploymentStatus.APPROVED and d.approvals[0].actor_id == deploygov.AUTO_APPROVER
    assert engine.execute(P, d.id, {"id": "dave"}).status is DeploymentStatus.DEPLOYED


def test_manual_clock() -> None:
    c = ManualClock(START)
    c.advance(1.5)
    assert c.now() == START + timedelta(seconds=1.5)
    c.advance(timedelta(days=-1))
    c.set(START)
    assert c.now() == START
    with pytest.raises(ValueError, match="naive"):
        ManualClock(START.replace(tzinfo=None))
    with pytest.raises(TypeError):
        c.advance("1")  # type: ignore[arg-type]


def test_policy_records() -> None:
    p = Policy(rollback=RollbackPolicy(("admin",), requires_approval=True), approval_ttl_seconds=60)
    assert p.to_dict()["rollback"] == {"roles": ["admin"], "requires_approval": True}
    assert Policy.from_dict({"four_eyes": False}) == Policy(four_eyes=False)
    assert Actor.from_dict({"id": "x"}) == Actor("x")
    with pytest.raises(ValueError, match="missing field `id`"):
        Actor.from_dict({"roles": []})
