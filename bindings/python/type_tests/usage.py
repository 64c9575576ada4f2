"""A typed host program: checked by ``mypy --strict`` (bindings/python/test.sh) and run by
``tests/test_type_usage.py``, so the types it relies on are also the runtime's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Optional

import deploygov
from deploygov import (
    Action,
    Activation,
    ActiveEntry,
    Actor,
    Artifact,
    ArtifactSpec,
    AuditEntry,
    ComplianceReport,
    CompletionFailure,
    CompletionSuccess,
    Day,
    Decision,
    Deployment,
    DeploymentErrorRecord,
    DeploymentRequest,
    DeploymentStatus,
    DryRun,
    Engine,
    Environment,
    EnvironmentSpec,
    EnvironmentMetrics,
    ErrorCategory,
    ErrorSeverity,
    ErrorSpec,
    Event,
    FailureMode,
    Finding,
    FreezeSpec,
    FreezeWindow,
    Health,
    HealthOutcome,
    HealthPolicy,
    HealthReport,
    ItemSpec,
    LiveEntry,
    LogPage,
    ManualClock,
    OneOffSchedule,
    Page,
    Policy,
    ResumeDecision,
    RiskLevel,
    SweepReport,
    VariableDiff,
    ValidationContext,
    Variable,
    Version,
    VersionSpec,
)
from deploygov.exceptions import DeploygovError, InvalidTransitionError, SelfApprovalError, ValidationFailedError


class CacheExecutor:
    """An executor object: keeps a prompt cache in step with the active state."""

    def __init__(self) -> None:
        self.cache: dict[str, Optional[str]] = {}

    def activate(self, activation: Activation) -> None:
        self.cache[activation.entity_id] = activation.version_tag


def translations(ctx: ValidationContext) -> list[Finding]:
    if ctx.deployment.risk is RiskLevel.CRITICAL:
        return [Finding.warning("review", "critical change", None)]
    return []


class Compliance:
    def validate(self, context: ValidationContext) -> Iterable[Finding]:
        return ()


class Outbox:
    """A subscriber object: collects event kinds after each commit."""

    def __init__(self) -> None:
        self.kinds: list[str] = []

    def on_event(self, event: Event) -> None:
        self.kinds.append(event.kind)


def main() -> dict[str, object]:
    start = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)
    clock = ManualClock(start)
    admin, bob, carol = Actor("alice", ("admin",)), Actor("bob", ("admin",)), {"id": "carol", "roles": ["tenant_admin"]}
    cache = CacheExecutor()
    outbox = Outbox()
    signed: list[Optional[str]] = []
    with Engine.in_memory(clock=clock) as engine:
        engine.subscribe("outbox", outbox)
        engine.subscribe("signatures", lambda e: signed.append(e.signature))
        engine.set_event_signing_key(b"webhook secret")
        engine.create_project("shop", "acme", "Shop", admin)
        prod: Environment = engine.create_environment("shop", EnvironmentSpec("production", variables=(Variable("K", "v"),)), admin)
        assert prod.policy.four_eyes
        engine.create_environment("shop", {"name": "staging", "policy": Policy.staging().to_dict()}, admin)
        engine.set_policy("shop", "staging", Policy(four_eyes=False, lease_ttl_seconds=600, requires_success_in=()), admin)
        engine.set_health("shop", "staging", Health.DEGRADED, admin)
        engine.set_variables("shop", "staging", [Variable("A", "1"), {"key": "B", "value": "2"}], admin)
        engine.register_version("shop", VersionSpec("prompt_version", "greeter", "1.0.0"), admin)
        engine.register_validator("translations", translations)
        engine.register_validator("compliance", Compliance())
        request = DeploymentRequest("production", "greeter", (ItemSpec("prompt_version", "greeter", "1.0.0", risk=RiskLevel.HIGH),))
        d: Deployment = engine.request_deployment("shop", request, admin)
        try:
            engine.approve("shop", d.id, admin)
        except SelfApprovalError as e:
            code: str = e.code
            number: int = e.code_number
            assert (code, number) == ("self_approval", 4)
        engine.approve("shop", d.id, bob, comment="ok")
        clock.advance(timedelta(minutes=1))
        engine.approve("shop", d.id, carol)
        dry: DryRun = engine.check("shop", d.id, bob, Action.EXECUTE)
        assert dry.allowed and not dry.blockers
        done = engine.execute("shop", d.id, bob, cache)
        assert done.status is DeploymentStatus.DEPLOYED and done.deployed_at is not None
        deployed_at: datetime = done.deployed_at
        live: Optional[ActiveEntry] = engine.active_version("shop", "production", "prompt_version", "greeter")
        page: Page[Deployment] = engine.list_deployments("shop", status=DeploymentStatus.DEPLOYED, limit=10)
        log: list[AuditEntry] = engine.audit_log("shop", object_id=d.id)
        try:
            engine.request_deployment("shop", {"environment": "production", "name": "x", "items": []}, admin)
        except ValidationFailedError as e:
            codes = [f.code for f in e.findings]
        except DeploygovError:
            raise
        try:
            engine.rollback("shop", d.id, bob, lambda a: None, reason="nothing earlier to go back to")
        except deploygov.NotFoundError as e:
            rollback = e.message
        lease: Optional[datetime] = done.lease_expires_at  # set only while deploying
        promoted: Deployment = engine.promote("shop", d.id, "staging", admin)
        try:
            engine.release_lease("shop", promoted.id, admin, "host crashed")
        except InvalidTransitionError as e:
            release = e.code
        report: SweepReport = engine.sweep()
        swept: tuple[str, ...] = report.leases_expired + report.approvals_expired
        then: list[LiveEntry] = engine.active_state_at("shop", "production", clock.now())
        approved_by: tuple[str, ...] = then[0].approved_by
        live_then: list[Deployment] = engine.deployments_live_at("shop", "production", deployed_at)
        held: Version = engine.quarantine_version("shop", "prompt_version", "greeter", "1.0.0", admin, "leaks pii")
        quarantine: Optional[Decision] = held.quarantine
        freed: Version = engine.release_version("shop", "prompt_version", "greeter", "1.0.0", admin, "fixed upstream")
        night_at: datetime = clock.now() + timedelta(hours=12)
        night = DeploymentRequest("staging", "night", (ItemSpec("prompt_version", "greeter", "1.0.0"),), scheduled_for=night_at)
        scheduled: Optional[datetime] = engine.request_deployment("shop", night, admin).scheduled_for
        due: list[Deployment] = engine.due("shop")
        expired: tuple[str, ...] = engine.sweep().schedules_expired
        assert engine.unregister_validator("compliance")
        verified = engine.verify_audit()
        events: list[Event] = engine.events_after("shop", after_seq=0, limit=1000)
        cursor: int = events[-1].seq
        assert engine.events_after(None, cursor) == []
        at: datetime = events[0].at
        payload: dict[str, object] = events[-1].payload
        assert engine.unsubscribe("outbox") and not engine.unsubscribe("outbox")
        engine.set_event_signing_key(None)
    extras = newer_operations(start)
    return {
        **extras,
        "cache": cache.cache,
        "live": None if live is None else live.version_tag,
        "page": [x.id for x in page.items],
        "log": len(log),
        "codes": codes,
        "deployed_at": deployed_at.isoformat(),
        "rollback": rollback,
        "entries": verified.entries,
        "json": done.to_dict()["status"],
        "version": deploygov.__version__,
        "events": [e.kind for e in events],
        "delivered": outbox.kinds,
        "signed": all(s is not None for s in signed) and len(signed) == len(events),
        "event_at": at.isoformat(),
        "last_after": payload["after"],
        "lease": lease,
        "promoted": (promoted.kind.value, promoted.promoted_from == d.id, promoted.status.value),
        "release": release,
        "swept": list(swept),
        "approved_by": list(approved_by),
        "live_then": [x.id == d.id for x in live_then],
        "quarantine": None if quarantine is None else (quarantine.actor_id, quarantine.reason, freed.quarantine),
        "scheduled": scheduled == night_at,
        "due": [x.id == promoted.id for x in due],
        "expired": list(expired),
    }


def newer_operations(start: datetime) -> dict[str, object]:
    """Freeze windows, two-phase execution, guided failure, health, records and reports."""
    clock = ManualClock(start)
    admin, dev = Actor("alice", ("admin",)), Actor("dave", ("developer",))
    with Engine.in_memory(clock=clock) as engine:
        engine.create_project("shop", "acme", "Shop", admin)
        paused_policy = Policy(on_failure=FailureMode.PAUSE, health=HealthPolicy(max_error_rate=0.1), artifact_retention=2)
        engine.create_environment("shop", EnvironmentSpec("dev", policy=paused_policy), admin)
        engine.create_environment("shop", "staging", admin)
        for tag in ("1.0.0", "1.1.0"):
            engine.register_version("shop", VersionSpec("prompt_version", "greeter", tag), admin)
        window: FreezeWindow = engine.add_freeze(
            "shop", FreezeSpec("launch", OneOffSchedule(start, start + timedelta(hours=1)), environment="staging"), admin
        )
        frozen: list[FreezeWindow] = engine.active_freezes("shop", "staging", start)
        engine.remove_freeze("shop", window.id, admin, "launch done")
        weekly = deploygov.WeeklySchedule((Day.SAT,), "00:00", 60, "UTC")

        item = ItemSpec("prompt_version", "greeter", "1.0.0")
        d = engine.request_deployment("shop", DeploymentRequest("dev", "one", (item,)), dev)
        engine.begin("shop", d.id, dev, freeze_override_reason=None)
        cursor: int = engine.log("shop", d.id, "build", "compiling")
        logs: LogPage = engine.deployment_logs("shop", d.id, after_seq=0, limit=10)
        engine.heartbeat("shop", d.id, dev)
        done: Deployment = engine.complete("shop", d.id, dev, CompletionSuccess())

        clock.advance(60)
        nxt = engine.request_deployment("shop", DeploymentRequest("dev", "two", (ItemSpec("prompt_version", "greeter", "1.1.0"),)), dev)

        def flaky(a: Activation) -> None:
            raise RuntimeError("flaky")

        paused = engine.execute("shop", nxt.id, dev, flaky)
        resumed: Deployment = engine.resume("shop", nxt.id, dev, lambda a: None, decision=ResumeDecision.RETRY)
        outcome: HealthOutcome = engine.report_health("shop", nxt.id, HealthReport(True, error_rate=0.5), dev)
        checks = engine.health_checks("shop", nxt.id)

        art: Artifact = engine.attach_artifact("shop", ArtifactSpec("prompt_version", "greeter", "1.0.0", "bundle", "s3://b"), dev)
        arts: list[Artifact] = engine.list_artifacts("shop", "prompt_version", "greeter", None)
        engine.prunable_artifacts("shop")
        spec = ErrorSpec(nxt.id, ErrorCategory.NETWORK, ErrorSeverity.LOW, "DNS", "deploy", "timeout")
        err: DeploymentErrorRecord = engine.record_deployment_error("shop", spec, dev)
        engine.resolve_deployment_error("shop", err.id, admin, "fixed")
        open_errors = engine.list_deployment_errors("shop", severity=ErrorSeverity.LOW, unresolved_only=True)
        engine.set_variables("shop", "dev", [Variable("A", "1")], admin)
        engine.unset_variables("shop", "dev", ["A"], admin)
        diffs: list[VariableDiff] = engine.compare_variables("shop", "dev", "staging")
        report: ComplianceReport = engine.compliance_report("shop", start, clock.now() + timedelta(days=1), "dev")
        metrics: EnvironmentMetrics = engine.environment_metrics("shop", "dev", start, clock.now() + timedelta(days=1))
        failure = CompletionFailure("smoke test failed", failed_item=0)
    return {
        "frozen": [w.name for w in frozen],
        "weekly": weekly.to_dict()["type"],
        "logs": (cursor, [x.line for x in logs.lines], done.status.value),
        "resume": (paused.status.value, resumed.status.value),
        "health": (outcome.health.value, outcome.rollback is not None, len(checks)),
        "records": (art.name, len(arts), open_errors, diffs, failure.outcome),
        "report": (len(report.entries), report.to_csv().splitlines()[0].split(",")[0], metrics.succeeded),
    }


if __name__ == "__main__":
    print(main())
