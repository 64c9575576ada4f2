"""``deploygov.Engine``: the typed Python surface of the core engine.

Every method has the name of the core ``Engine`` method it calls; arguments are converted to the
core's JSON shape, the native call releases the GIL while the store works, and the result comes
back as a typed, read-only record. Errors raise the ``deploygov.exceptions`` family.

One ``Engine`` may be shared by any number of threads (FastAPI runs sync handlers in a thread
pool); several engines, threads and processes may share one SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Callable, Optional, Protocol, TypeVar, Union

from deploygov import _native
from deploygov._args import (
    ActorLike,
    ExecutorLike,
    SupportsActivate,
    _adapt_executor,
    _arg,
    _execute_options,
    _many,
    _opt_int,
    _opt_str,
    _opt_time,
    _time,
)
from deploygov._codec import Record, format_time, parse_time, to_json
from deploygov._ops_execution import ExecutionOps
from deploygov._ops_records import RecordOps
from deploygov.enums import Action, DeploymentStatus, Health
from deploygov.model import (
    ActiveEntry,
    Actor,
    Deployment,
    DeploymentRequest,
    Environment,
    EnvironmentDiff,
    EnvironmentSpec,
    Finding,
    HistoryEntry,
    LiveEntry,
    Policy,
    Project,
    SweepReport,
    Variable,
    Version,
    VersionSpec,
)
from deploygov.results import Activation, AuditEntry, AuditVerification, DryRun, Event, Page, ValidationContext

__all__ = [
    "ActorLike",
    "Engine",
    "ExecutorLike",
    "ManualClock",
    "SubscriberLike",
    "SupportsActivate",
    "SupportsOnEvent",
    "SupportsValidate",
    "ValidatorLike",
]


class SupportsValidate(Protocol):
    """A validator object: ``validate`` returns findings (or ``None`` for none)."""

    def validate(self, context: ValidationContext, /) -> Optional[Iterable[Union[Finding, Mapping[str, Any]]]]: ...


class SupportsOnEvent(Protocol):
    """A subscriber object: ``on_event`` receives one event after its command commits."""

    def on_event(self, event: Event, /) -> object: ...


ValidatorLike = Union[Callable[[ValidationContext], Optional[Iterable[Union[Finding, Mapping[str, Any]]]]], SupportsValidate]
"""A callable taking a ``ValidationContext`` and returning findings, or an object with
``validate(context)``."""

SubscriberLike = Union[Callable[[Event], object], SupportsOnEvent]
"""A callable taking an ``Event``, or an object with ``on_event(event)``."""

def _adapt_validator(validator: ValidatorLike) -> Callable[[dict[str, Any]], list[Any]]:
    validate = getattr(validator, "validate", None)
    fn = validate if callable(validate) else validator
    if not callable(fn):
        raise TypeError(f"validator must be a callable or have a validate(context) method, got {type(validator).__name__}")

    def call(raw: dict[str, Any]) -> list[Any]:
        found = fn(ValidationContext.from_dict(raw))
        if found is None:
            return []
        if isinstance(found, (str, bytes, Mapping, Record)) or not isinstance(found, Iterable):
            raise TypeError(f"a validator must return an iterable of findings or None, got {type(found).__name__}")
        return [to_json(f) for f in found]

    return call


class _Subscriber:
    """What the native module calls for one subscriber: the event as an ``Event``. Its repr
    names the subscriber in ``sys.unraisablehook`` reports of exceptions raised inside it."""

    __slots__ = ("_fn", "_name")

    def __init__(self, name: str, fn: Callable[[Event], object]) -> None:
        self._name = name
        self._fn = fn

    def __call__(self, raw: dict[str, Any]) -> None:
        self._fn(Event.from_dict(raw))

    def __repr__(self) -> str:
        return f"<deploygov subscriber {self._name!r}: {self._fn!r}>"


def _adapt_subscriber(name: str, subscriber: SubscriberLike) -> _Subscriber:
    on_event = getattr(subscriber, "on_event", None)
    fn = on_event if callable(on_event) else subscriber
    if not callable(fn):
        raise TypeError(f"subscriber must be a callable or have an on_event(event) method, got {type(subscriber).__name__}")
    return _Subscriber(name, fn)


class ManualClock:
    """A clock that moves only when told to, for tests and demos (approval expiry, timestamps).
    Pass it to ``Engine.open(..., clock=...)``; the engine reads it on every command."""

    __slots__ = ("_native",)

    def __init__(self, start: datetime) -> None:
        self._native = _native.NativeClock(format_time(start))

    def now(self) -> datetime:
        """The clock's time (UTC)."""
        return parse_time(self._native.now())

    def set(self, when: datetime) -> None:
        """Sets the time."""
        self._native.set(format_time(when))

    def advance(self, delta: Union[timedelta, float]) -> None:
        """Moves the time forward by a ``timedelta`` or a number of seconds (negative: back)."""
        if isinstance(delta, timedelta):
            micros = delta // timedelta(microseconds=1)
        elif isinstance(delta, (int, float)) and not isinstance(delta, bool):
            micros = round(delta * 1_000_000)
        else:
            raise TypeError(f"delta must be a timedelta or a number of seconds, got {type(delta).__name__}")
        self._native.advance_micros(micros)


class Engine(ExecutionOps, RecordOps):
    """The deployment-governance engine over an embedded SQLite store.

    Use ``Engine.open(path)`` or ``Engine.in_memory()``, ideally as a context manager; after
    ``close()`` every call raises ``ValueError``.
    """

    __slots__ = ("__weakref__", "_native")

    def __init__(self, native: _native.NativeEngine) -> None:
        if not isinstance(native, _native.NativeEngine):
            raise TypeError("use Engine.open(path) or Engine.in_memory() to create an Engine")
        self._native = native

    @classmethod
    def open(cls, path: Union[str, os.PathLike[str]], *, clock: Optional[ManualClock] = None) -> Engine:
        """Opens (or creates) the SQLite store at ``path`` (WAL; several threads and processes
        may share it). ``clock`` replaces the system clock (tests)."""
        fs_path = os.fspath(path)
        if not isinstance(fs_path, str):
            raise TypeError(f"path must be a str or an os.PathLike of str, got {type(path).__name__}")
        if clock is not None and not isinstance(clock, ManualClock):
            raise TypeError(f"clock must be a ManualClock or None, got {type(clock).__name__}")
        return cls(_native.NativeEngine.open(fs_path, None if clock is None else clock._native))

    @classmethod
    def in_memory(cls, *, clock: Optional[ManualClock] = None) -> Engine:
        """A private in-memory engine (tests, demos)."""
        return cls.open(":memory:", clock=clock)

    def close(self) -> None:
        """Closes the engine (calls already running finish first). Idempotent."""
        self._native.close()

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._native.closed

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<deploygov.Engine {'closed' if self.closed else 'open'}>"

    # -- projects, environments, policies, catalog -------------------------------------------

    def create_project(self, id: str, tenant: str, name: str, actor: ActorLike) -> Project:
        """Creates a project. Requires ``admin`` or ``tenant_admin``."""
        return Project.from_dict(self._native.create_project(id, tenant, name, _arg(actor)))

    def create_environment(self, project: str, spec: Union[EnvironmentSpec, Mapping[str, Any], str], actor: ActorLike) -> Environment:
        """Creates an environment (a bare name gets ``Policy.default_for(name)``). Requires
        ``admin`` or ``tenant_admin``."""
        data = {"name": spec} if isinstance(spec, str) else _arg(spec)
        return Environment.from_dict(self._native.create_environment(project, data, _arg(actor)))

    def set_policy(self, project: str, environment: str, policy: Union[Policy, Mapping[str, Any]], actor: ActorLike) -> Environment:
        """Replaces an environment's policy (audited; turning 4-eyes off is audited on its own)."""
        return Environment.from_dict(self._native.set_policy(project, environment, _arg(policy), _arg(actor)))

    def set_variables(
        self, project: str, environment: str, variables: Iterable[Union[Variable, Mapping[str, Any]]], actor: ActorLike
    ) -> Environment:
        """Replaces an environment's variables; approvals given for the old content stop counting."""
        if isinstance(variables, (str, bytes, Mapping)) or not isinstance(variables, Iterable):
            raise TypeError(f"variables must be an iterable of Variable or dict, got {type(variables).__name__}")
        return Environment.from_dict(self._native.set_variables(project, environment, [_arg(v) for v in variables], _arg(actor)))

    def set_health(self, project: str, environment: str, health: Union[Health, str], actor: ActorLike) -> Environment:
        """Records an environment's health (``healthy``, ``degraded``, ``down``)."""
        return Environment.from_dict(self._native.set_health(project, environment, health, _arg(actor)))

    def register_version(self, project: str, spec: Union[VersionSpec, Mapping[str, Any]], actor: ActorLike) -> Version:
        """Registers a catalog version; the same data again is a no-op, different data a conflict."""
        return Version.from_dict(self._native.register_version(project, _arg(spec), _arg(actor)))

    def quarantine_version(
        self, project: str, entity_type: str, entity_id: str, version_tag: str, actor: ActorLike, reason: str
    ) -> Version:
        """Quarantines a catalog version with a non-blank reason: new requests and promotions
        carrying it are refused with the error finding ``version_quarantined`` until it is
        released (``Version.quarantine`` says who, when and why). An already quarantined version
        raises ``ConflictError``. Requires ``admin`` or ``tenant_admin``; audited as
        ``version.quarantined``."""
        return Version.from_dict(self._native.quarantine_version(project, entity_type, entity_id, version_tag, _arg(actor), reason))

    def release_version(
        self, project: str, entity_type: str, entity_id: str, version_tag: str, actor: ActorLike, reason: str
    ) -> Version:
        """Releases a quarantined version (a non-blank reason; one not quarantined raises
        ``ConflictError``). Requires ``admin`` or ``tenant_admin``; audited as
        ``version.released``."""
        return Version.from_dict(self._native.release_version(project, entity_type, entity_id, version_tag, _arg(actor), reason))

    # -- the deployment lifecycle --------------------------------------------------------------

    def request_deployment(self, project: str, request: Union[DeploymentRequest, Mapping[str, Any]], actor: ActorLike) -> Deployment:
        """Requests a deployment; validation errors raise ``ValidationFailedError`` with every
        finding. An environment needing no approval approves it at once."""
        return Deployment.from_dict(self._native.request_deployment(project, _arg(request), _arg(actor)))

    def approve(
        self,
        project: str,
        deployment_id: str,
        actor: ActorLike,
        *,
        comment: Optional[str] = None,
        rule: Optional[str] = None,
        freeze_override_reason: Optional[str] = None,
    ) -> Deployment:
        """Approves (4-eyes: the requester cannot). ``rule`` picks the rule it counts for. While
        a freeze window is open, only an actor with a ``Policy.freeze_override_roles`` role may
        approve, giving ``freeze_override_reason`` (audited); otherwise ``ValidationFailedError``
        with the finding ``environment_frozen``."""
        options = {
            "comment": _opt_str("comment", comment),
            "rule": _opt_str("rule", rule),
            "freeze_override_reason": _opt_str("freeze_override_reason", freeze_override_reason),
        }
        return Deployment.from_dict(self._native.approve(project, deployment_id, _arg(actor), options))

    def reject(self, project: str, deployment_id: str, actor: ActorLike, reason: str) -> Deployment:
        """Rejects with a reason; one rejection ends the deployment."""
        return Deployment.from_dict(self._native.reject(project, deployment_id, _arg(actor), reason))

    def cancel(self, project: str, deployment_id: str, actor: ActorLike, reason: Optional[str] = None) -> Deployment:
        """Cancels a pending or approved deployment (the requester, or a cancel role)."""
        return Deployment.from_dict(self._native.cancel(project, deployment_id, _arg(actor), reason))

    def execute(
        self,
        project: str,
        deployment_id: str,
        actor: ActorLike,
        executor: Optional[ExecutorLike] = None,
        *,
        break_glass_reason: Optional[str] = None,
        freeze_override_reason: Optional[str] = None,
    ) -> Deployment:
        """Executes an approved deployment through ``executor`` (default: only the active state
        moves). Returns it ``deployed``, or ``failed`` with the activated items reverted when
        the executor raised for an item (its message becomes the item's ``error_message``);
        under ``Policy.on_failure = "pause"`` it stops ``paused`` instead (see ``resume``).
        ``freeze_override_reason`` executes although a freeze window is open (a freeze
        override role; audited)."""
        options = _execute_options(break_glass_reason, freeze_override_reason)
        return Deployment.from_dict(self._native.execute(project, deployment_id, _arg(actor), _adapt_executor(executor), options))

    def rollback(
        self,
        project: str,
        deployment_id: str,
        actor: ActorLike,
        executor: Optional[ExecutorLike] = None,
        *,
        reason: str,
        target: Optional[str] = None,
    ) -> Deployment:
        """Rolls back a live deployment (to what it replaced, or to the state right after the
        earlier deployment ``target``); returns the new ``rollback`` deployment."""
        return Deployment.from_dict(self._native.rollback(project, deployment_id, _arg(actor), reason, _adapt_executor(executor), target))

    def check(self, project: str, deployment_id: str, actor: ActorLike, action: Union[Action, str]) -> DryRun:
        """The dry run: would ``action`` succeed now, and if not, every blocker."""
        return DryRun.from_dict(self._native.check(project, deployment_id, _arg(actor), action))

    # -- promotion, execution leases and the sweep ---------------------------------------------

    def promote(self, project: str, deployment_id: str, to_environment: str, actor: ActorLike) -> Deployment:
        """Promotes a deployment that went live (``deployed`` or ``superseded``) to another
        environment: a new ``pending`` deployment of kind ``promotion`` with the same versions
        and ``promoted_from``, governed by the target's policy like any request (its request
        roles, validation, approvals). Another status raises ``InvalidTransitionError``; the
        deployment's own environment raises ``InvalidInputError``."""
        return Deployment.from_dict(self._native.promote(project, deployment_id, to_environment, _arg(actor)))

    def sweep(self) -> SweepReport:
        """The one call a host runs periodically, store-wide and idempotent: executions whose
        lease (``Policy.lease_ttl_seconds``) expired become ``failed`` (the executor never
        reported; the active state is left as it was) and free their environment; pending or
        approved deployments past their ``expires_at`` are cancelled; approved deployments whose
        approvals expired go back to ``pending``. Audited as the actor ``deploygov:sweep``."""
        return SweepReport.from_dict(self._native.sweep())

    def due(self, project: str) -> list[Deployment]:
        """Approved deployments of a project that may run now (their ``scheduled_for`` has come,
        or they have none, and their ``expires_at`` has not), oldest first: what a scheduler
        executes next."""
        return _many(Deployment.from_dict, self._native.due(project))

    def release_lease(self, project: str, deployment_id: str, actor: ActorLike, reason: str) -> Deployment:
        """Ends an execution before its lease expires (the host crashed mid-deploy): the
        ``deploying`` deployment becomes ``failed``, the environment is free, the active state is
        left as it was. Requires ``admin`` or ``tenant_admin`` and a non-blank reason; audited.
        The executor's late outcome then raises ``ConflictError`` from ``execute``."""
        return Deployment.from_dict(self._native.release_lease(project, deployment_id, _arg(actor), reason))

    # -- queries -------------------------------------------------------------------------------

    def get_project(self, project: str) -> Project:
        """One project."""
        return Project.from_dict(self._native.get_project(project))

    def list_environments(self, project: str) -> list[Environment]:
        """The environments of a project, in order (secret values redacted)."""
        return _many(Environment.from_dict, self._native.list_environments(project))

    def get_environment(self, project: str, environment: str) -> Environment:
        """One environment (secret values redacted)."""
        return Environment.from_dict(self._native.get_environment(project, environment))

    def list_versions(self, project: str, entity_type: str, entity_id: str) -> list[Version]:
        """Every registered version of one entity, newest first."""
        return _many(Version.from_dict, self._native.list_versions(project, entity_type, entity_id))

    def get_deployment(self, project: str, deployment_id: str) -> Deployment:
        """One deployment."""
        return Deployment.from_dict(self._native.get_deployment(project, deployment_id))

    def list_deployments(
        self,
        project: str,
        *,
        environment: Optional[str] = None,
        status: Union[DeploymentStatus, str, None] = None,
        entity_type: Optional[str] = None,
        entity_id: Optional[str] = None,
        requested_by: Optional[str] = None,
        requested_after: Optional[datetime] = None,
        requested_before: Optional[datetime] = None,
        cursor: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> Page[Deployment]:
        """Deployments matching every given filter, newest first, one page (default 50, at
        most 500) at a time."""
        data = {
            "environment": _opt_str("environment", environment),
            "status": _opt_str("status", status),
            "entity_type": _opt_str("entity_type", entity_type),
            "entity_id": _opt_str("entity_id", entity_id),
            "requested_by": _opt_str("requested_by", requested_by),
            "requested_after": _opt_time("requested_after", requested_after),
            "requested_before": _opt_time("requested_before", requested_before),
            "cursor": _opt_str("cursor", cursor),
            "limit": _opt_int("limit", limit),
        }
        return Page.from_dict(self._native.list_deployments(project, data), Deployment.from_dict)

    def active_state(self, project: str, environment: str) -> list[ActiveEntry]:
        """Everything live in an environment."""
        return _many(ActiveEntry.from_dict, self._native.active_state(project, environment))

    def active_version(self, project: str, environment: str, entity_type: str, entity_id: str) -> Optional[ActiveEntry]:
        """The live version of one entity in an environment, or ``None`` (the hot path)."""
        found = self._native.active_version(project, environment, entity_type, entity_id)
        return None if found is None else ActiveEntry.from_dict(found)

    def active_version_tag(self, project: str, environment: str, entity_type: str, entity_id: str) -> Optional[str]:
        """Only the live version tag of one entity, or ``None`` ("which version is live?"): the
        same always-fresh cache as :meth:`active_version`, without building an entry object."""
        return self._native.active_version_tag(project, environment, entity_type, entity_id)

    def active_state_at(self, project: str, environment: str, at: datetime) -> list[LiveEntry]:
        """What was live in an environment at the instant ``at`` (a timezone-aware
        ``datetime``; naive raises ``ValueError``), and for each entity which deployment put it
        there and who requested, approved and executed it; answered from the full history."""
        return _many(LiveEntry.from_dict, self._native.active_state_at(project, environment, _time("at", at)))

    def deployments_live_at(self, project: str, environment: str, at: datetime) -> list[Deployment]:
        """The deployments that had something live in an environment at the instant ``at`` (a
        timezone-aware ``datetime``), newest first ("what was in production on 1 March")."""
        return _many(Deployment.from_dict, self._native.deployments_live_at(project, environment, _time("at", at)))

    def entity_history(self, project: str, entity_type: str, entity_id: str, limit: Optional[int] = None) -> list[HistoryEntry]:
        """Changes of the live version of one entity across environments, newest first."""
        return _many(HistoryEntry.from_dict, self._native.entity_history(project, entity_type, entity_id, limit))

    def compare_environments(self, project: str, left: str, right: str) -> list[EnvironmentDiff]:
        """The entities whose live versions differ between two environments."""
        return _many(EnvironmentDiff.from_dict, self._native.compare_environments(project, left, right))

    def pending_approvals(self, project: str, actor: ActorLike) -> list[Deployment]:
        """Pending deployments ``actor`` may approve now, newest first."""
        return _many(Deployment.from_dict, self._native.pending_approvals(project, _arg(actor)))

    def audit_log(self, project: str, object_id: Optional[str] = None, after_seq: int = 0, limit: Optional[int] = None) -> list[AuditEntry]:
        """Audit entries of a project (optionally of one object), oldest first, after ``after_seq``."""
        return _many(AuditEntry.from_dict, self._native.audit_log(project, object_id, after_seq, limit))

    def verify_audit(self) -> AuditVerification:
        """Walks the whole audit chain; raises ``AuditCorruptError`` naming the first bad entry."""
        return AuditVerification.from_dict(self._native.verify_audit())

    # -- validators ----------------------------------------------------------------------------

    def register_validator(self, name: str, validator: ValidatorLike) -> None:
        """Registers (or replaces) a custom validator, run on every request and again before
        every execution. An exception raised inside becomes a ``validator_failed`` error
        finding. Validators run with no store lock held, before the command's transaction, so
        they may call the engine (read the live state, even write); when the deployment or its
        environment changed meanwhile, the engine validates again (so a validator may run more
        than once per command)."""
        self._native.register_validator(name, _adapt_validator(validator))

    def unregister_validator(self, name: str) -> bool:
        """Removes a custom validator; returns whether it existed."""
        return self._native.unregister_validator(name)

    # -- events (the transactional outbox) ----------------------------------------------------

    def events_after(self, project: Optional[str] = None, after_seq: int = 0, limit: Optional[int] = None) -> list[Event]:
        """Events after position ``after_seq`` (of one project, or of every project with
        ``None``), in order, at most ``limit`` (default 100, at most 1000); signed when a key
        is set. Publish them and keep the last ``seq`` as the cursor: delivery is at least
        once, ``Event.id`` de-duplicates."""
        return _many(Event.from_dict, self._native.events_after(project, after_seq, limit))

    def set_event_signing_key(self, key: Optional[bytes]) -> None:
        """Sets (or, with ``None``, clears) the key events are signed with (HMAC-SHA256 of the
        event without its signature, hex in ``Event.signature``). ``key`` must be ``bytes``
        (encode a text secret yourself); an empty key raises ``InvalidInputError``."""
        if key is not None and not isinstance(key, bytes):
            raise TypeError(f"key must be bytes or None, got {type(key).__name__}")
        self._native.set_event_signing_key(key)

    def subscribe(self, name: str, subscriber: SubscriberLike) -> None:
        """Registers (or replaces) an in-process subscriber under ``name``: it receives every
        event (as an ``Event``) after the transaction that wrote it commits, on the thread of
        the command, before the command returns; subscribers are called in the order of their
        names. It may call the engine; it should not block for long. An exception raised
        inside is reported to ``sys.unraisablehook`` and otherwise ignored: it never breaks
        the command, which has already committed."""
        self._native.subscribe(name, _adapt_subscriber(name, subscriber))

    def unsubscribe(self, name: str) -> bool:
        """Removes a subscriber; returns whether it existed."""
        return self._native.unsubscribe(name)
