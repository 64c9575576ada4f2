"""The JAPM deployment REST API (``../shared`` seed "Deployment Management System - JAPM") served
by FastAPI on top of deploygov.

The app holds no governance logic: every endpoint reads its input, calls one ``deploygov.Engine``
method and returns the record's ``to_dict()``. Errors map by their code to HTTP statuses, with
the code, message and validation findings in the body.

Authentication is out of scope. ``X-Actor-Id`` and ``X-Actor-Roles`` (comma-separated) stand in
for what a real app takes from its verified session or token; replace ``current_actor`` with
your authentication dependency.

Run it::

    pip install ./bindings/python fastapi uvicorn
    DEPLOYGOV_DB=japm.db DEPLOYGOV_SEED=1 uvicorn app:main --factory --app-dir examples/fastapi
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal, Optional, Union

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

import deploygov
from deploygov import Activation, Actor, Engine
from deploygov.exceptions import DeploygovError, ValidationFailedError

HTTP_STATUS = {
    "not_found": 404,
    "forbidden": 403,
    "self_approval": 403,
    "invalid_transition": 409,
    "conflict": 409,
    "policy_violation": 409,
    "validation_failed": 422,
    "invalid_input": 400,
    "storage": 503,
    "audit_corrupt": 500,
}
"""HTTP status of each deploygov error code."""


class LiveVersions:
    """The executor: what a JAPM service does when a version goes live (activate the prompt
    version, reload the asset cache, switch the model alias). Here: an in-process table the
    app could serve prompts from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.live: dict[tuple[str, str, str], Optional[str]] = {}

    def activate(self, a: Activation) -> None:
        with self._lock:
            self.live[(a.environment.name, a.entity_type, a.entity_id)] = a.version_tag


class Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class ItemIn(Body):
    entity_type: str = Field(alias="entityType")
    entity_id: str = Field(alias="entityId")
    version_tag: str = Field(alias="versionTag")
    change_message: Optional[str] = Field(default=None, alias="changeMessage")
    risk_level: str = Field(default="LOW", alias="riskLevel")


class CreateDeploymentIn(Body):
    name: str
    description: Optional[str] = None
    environment_id: str = Field(alias="environmentId")
    items: list[ItemIn]


class ApproveIn(Body):
    comment: Optional[str] = None
    freeze_override_reason: Optional[str] = Field(default=None, alias="freezeOverrideReason")


class DeployIn(Body):
    break_glass_reason: Optional[str] = Field(default=None, alias="breakGlassReason")
    freeze_override_reason: Optional[str] = Field(default=None, alias="freezeOverrideReason")


class HealthIn(Body):
    ok: bool
    error_rate: Optional[float] = Field(default=None, alias="errorRate")
    p95_latency_ms: Optional[float] = Field(default=None, alias="p95LatencyMs")


class PromoteIn(Body):
    environment_id: str = Field(alias="environmentId")


class RollbackIn(Body):
    rollback_to_deployment_id: Optional[str] = Field(default=None, alias="rollbackToDeploymentId")
    reason: Optional[str] = None


def current_actor(x_actor_id: Optional[str] = Header(default=None), x_actor_roles: Optional[str] = Header(default=None)) -> Actor:
    """The caller. A stand-in for real authentication: a production app derives the actor from
    its verified session or token, never from headers the client chooses."""
    if not x_actor_id:
        raise HTTPException(401, detail={"code": "unauthenticated", "message": "the X-Actor-Id header is required"})
    roles = tuple(r.strip() for r in (x_actor_roles or "").split(",") if r.strip())
    return Actor(x_actor_id, roles)


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def error_body(e: DeploygovError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": e.code, "message": e.message}
    if isinstance(e, ValidationFailedError):
        body["findings"] = [f.to_dict() for f in e.findings]
    return {"error": body}


def create_app(engine: Engine, executor: Optional[deploygov.ExecutorLike] = None) -> FastAPI:
    """The JAPM API over ``engine``; ``executor`` makes versions live (default: ``LiveVersions``).
    The app closes the engine when it shuts down."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.close()

    app = FastAPI(title="JAPM deployments on deploygov", lifespan=lifespan)
    app.state.engine = engine
    app.state.executor = executor if executor is not None else LiveVersions()

    @app.exception_handler(DeploygovError)
    async def deploygov_error(request: Request, e: DeploygovError) -> JSONResponse:
        return JSONResponse(status_code=HTTP_STATUS.get(e.code, 500), content=error_body(e))

    # Sync handlers: FastAPI runs them in its thread pool, all sharing the one Engine.

    @app.post("/api/projects/{project_id}/deployments", status_code=201)
    def create_deployment(
        project_id: str, body: CreateDeploymentIn, actor: Actor = Depends(current_actor), engine: Engine = Depends(engine_of)
    ) -> dict[str, Any]:
        # JAPM spells entity types and risks in capitals (PROMPT_VERSION, LOW); deploygov's are
        # snake_case strings. An unknown risk is deploygov's invalid_input (400).
        request = {
            "environment": body.environment_id,
            "name": body.name,
            "description": body.description,
            "items": [
                {
                    "entity_type": i.entity_type.lower(),
                    "entity_id": i.entity_id,
                    "version_tag": i.version_tag,
                    "change_message": i.change_message,
                    "risk": i.risk_level.lower(),
                }
                for i in body.items
            ],
        }
        return engine.request_deployment(project_id, request, actor).to_dict()

    @app.get("/api/projects/{project_id}/deployments")
    def list_deployments(
        project_id: str,
        environment_id: Optional[str] = Query(default=None, alias="environmentId"),
        status: Optional[str] = None,
        cursor: Optional[str] = None,
        limit: Optional[int] = None,
        engine: Engine = Depends(engine_of),
    ) -> dict[str, Any]:
        page = engine.list_deployments(
            project_id, environment=environment_id, status=status.lower() if status else None, cursor=cursor, limit=limit
        )
        return page.to_dict()

    @app.get("/api/projects/{project_id}/deployments/{deployment_id}")
    def get_deployment(project_id: str, deployment_id: str, engine: Engine = Depends(engine_of)) -> dict[str, Any]:
        return engine.get_deployment(project_id, deployment_id).to_dict()

    @app.put("/api/projects/{project_id}/deployments/{deployment_id}/approve")
    def approve(
        project_id: str,
        deployment_id: str,
        body: Optional[ApproveIn] = None,
        actor: Actor = Depends(current_actor),
        engine: Engine = Depends(engine_of),
    ) -> dict[str, Any]:
        body = body or ApproveIn()
        # An approval inside a freeze window needs a freeze override role and a reason (audited).
        override = body.freeze_override_reason
        return engine.approve(project_id, deployment_id, actor, comment=body.comment, freeze_override_reason=override).to_dict()

    @app.post("/api/projects/{project_id}/deployments/{deployment_id}/deploy")
    def deploy(
        project_id: str,
        deployment_id: str,
        request: Request,
        body: Optional[DeployIn] = None,
        actor: Actor = Depends(current_actor),
        engine: Engine = Depends(engine_of),
    ) -> dict[str, Any]:
        body = body or DeployIn()
        executor = request.app.state.executor
        done = engine.execute(
            project_id,
            deployment_id,
            actor,
            executor,
            break_glass_reason=body.break_glass_reason,
            freeze_override_reason=body.freeze_override_reason,
        )
        return done.to_dict()

    @app.post("/api/projects/{project_id}/deployments/{deployment_id}/rollback")
    def rollback(
        project_id: str,
        deployment_id: str,
        request: Request,
        body: Optional[RollbackIn] = None,
        actor: Actor = Depends(current_actor),
        engine: Engine = Depends(engine_of),
    ) -> dict[str, Any]:
        target = body.rollback_to_deployment_id if body else None
        # deploygov requires a written reason; JAPM's body has none, so the app records one.
        reason = (body.reason if body else None) or f"rollback requested through the API by {actor.id}"
        executor = request.app.state.executor
        return engine.rollback(project_id, deployment_id, actor, executor, reason=reason, target=target).to_dict()

    @app.post("/api/projects/{project_id}/deployments/{deployment_id}/promote", status_code=201)
    def promote(
        project_id: str,
        deployment_id: str,
        body: PromoteIn,
        actor: Actor = Depends(current_actor),
        engine: Engine = Depends(engine_of),
    ) -> dict[str, Any]:
        # A new `promotion` deployment of the same versions, under the target's own policy.
        return engine.promote(project_id, deployment_id, body.environment_id, actor).to_dict()

    @app.post("/api/projects/{project_id}/deployments/{deployment_id}/health")
    def report_health(
        project_id: str,
        deployment_id: str,
        request: Request,
        body: HealthIn,
        actor: Actor = Depends(current_actor),
        engine: Engine = Depends(engine_of),
    ) -> dict[str, Any]:
        # The host's monitoring reports a check; crossing the policy's thresholds rolls back.
        report = deploygov.HealthReport(body.ok, error_rate=body.error_rate, p95_latency_ms=body.p95_latency_ms)
        return engine.report_health(project_id, deployment_id, report, actor, request.app.state.executor).to_dict()

    @app.get("/api/projects/{project_id}/reports/compliance", response_model=None)
    def compliance(
        project_id: str,
        from_: AwareDatetime = Query(alias="from"),
        to: AwareDatetime = Query(),
        environment_id: Optional[str] = Query(default=None, alias="environmentId"),
        format: Literal["json", "csv"] = "json",
        engine: Engine = Depends(engine_of),
    ) -> Union[dict[str, Any], PlainTextResponse]:
        report = engine.compliance_report(project_id, from_, to, environment_id)
        if format == "csv":  # the core's RFC 4180 CSV, one row per deployment
            return PlainTextResponse(report.to_csv(), media_type="text/csv")
        return report.to_dict()

    @app.get("/api/projects/{project_id}/environments/{environment}/active")
    def active(project_id: str, environment: str, engine: Engine = Depends(engine_of)) -> list[dict[str, Any]]:
        return [entry.to_dict() for entry in engine.active_state(project_id, environment)]

    @app.get("/api/projects/{project_id}/events")
    def events(
        project_id: str,
        after_seq: int = Query(default=0, alias="afterSeq", ge=0),
        limit: int = Query(default=100, ge=1, le=1000),
        engine: Engine = Depends(engine_of),
    ) -> dict[str, Any]:
        # The transactional outbox for a relay (webhooks, a message broker): poll with the last
        # `next_cursor` as `afterSeq`; delivery is at least once, consumers de-duplicate on `id`.
        found = engine.events_after(project_id, after_seq, limit)
        return {"items": [e.to_dict() for e in found], "next_cursor": found[-1].seq if found else after_seq}

    return app


def seed(engine: Engine, project: str = "my-project") -> None:
    """Demo data in the shape of the JAPM examples: a project with development, staging and
    production (deploygov's default policies) and a few catalog versions. Idempotent."""
    admin = Actor("setup", ("admin",))
    try:
        engine.get_project(project)
        return
    except deploygov.NotFoundError:
        pass
    engine.create_project(project, "acme", "My project", admin)
    for env in ("development", "staging", "production"):
        engine.create_environment(project, env, admin)
    for entity_type, entity_id, tag in [
        ("prompt_version", "chatbot-main-prompt", "2.0.0"),
        ("prompt_version", "chatbot-main-prompt", "2.1.0"),
        ("prompt_asset_version", "response-templates", "2.1.0"),
        ("prompt_version", "security-guard-prompt", "1.1.1"),
    ]:
        engine.register_version(project, deploygov.VersionSpec(entity_type, entity_id, tag), admin)


def main() -> FastAPI:
    """The uvicorn factory: the database from ``DEPLOYGOV_DB`` (default ``japm.db``), demo data
    when ``DEPLOYGOV_SEED=1``, events signed (HMAC-SHA256) with ``DEPLOYGOV_EVENT_KEY`` when set."""
    engine = Engine.open(os.environ.get("DEPLOYGOV_DB", "japm.db"))
    key = os.environ.get("DEPLOYGOV_EVENT_KEY")
    if key:
        engine.set_event_signing_key(key.encode("utf-8"))
    if os.environ.get("DEPLOYGOV_SEED") == "1":
        seed(engine)
    return create_app(engine)
