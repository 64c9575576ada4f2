"""``Engine`` methods of freeze windows, two-phase execution, guided failure and
post-deployment health (a base class of ``deploygov.Engine``, kept apart so no file grows past a
few hundred lines). Each converts its arguments, calls one native function with the GIL
released and returns a typed record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Optional, Union

from deploygov import _native
from deploygov._args import ActorLike, ExecutorLike, _adapt_executor, _arg, _execute_options, _many, _opt_str, _time
from deploygov._native import NativeEngine
from deploygov.enums import ResumeDecision
from deploygov.freeze import FreezeSpec, FreezeWindow
from deploygov.model import Deployment
from deploygov.pipeline import Completion, HealthCheck, HealthOutcome, HealthReport, LogPage

__all__ = ["ExecutionOps"]


class ExecutionOps:
    """Freeze windows, two-phase execution, guided failure and health checks."""

    __slots__ = ()
    _native: NativeEngine

    # -- freeze windows ------------------------------------------------------------------------

    def add_freeze(self, project: str, spec: Union[FreezeSpec, Mapping[str, Any]], actor: ActorLike) -> FreezeWindow:
        """Creates a freeze window for one environment or (``environment`` ``None``) the whole
        project: while it is on, approving and executing there raise ``ValidationFailedError``
        with the finding ``environment_frozen`` unless a ``Policy.freeze_override_roles`` actor
        gives a ``freeze_override_reason``; rollbacks are exempt. A bad schedule (inverted
        range, unknown time zone, ``"25:00"``) raises ``InvalidInputError``. Requires ``admin``
        or ``tenant_admin``; audited as ``environment.frozen``."""
        return FreezeWindow.from_dict(_native.add_freeze(self._native, project, _arg(spec), _arg(actor)))

    def remove_freeze(self, project: str, freeze_id: str, actor: ActorLike, reason: str) -> FreezeWindow:
        """Removes a freeze window (a non-blank reason); returns it. Requires ``admin`` or
        ``tenant_admin``; audited as ``environment.unfrozen``."""
        return FreezeWindow.from_dict(_native.remove_freeze(self._native, project, freeze_id, _arg(actor), reason))

    def list_freezes(self, project: str, environment: Optional[str] = None) -> list[FreezeWindow]:
        """The freeze windows of a project, or those that apply to one environment (its own and
        the project-wide ones), oldest first."""
        return _many(FreezeWindow.from_dict, _native.list_freezes(self._native, project, _opt_str("environment", environment)))

    def active_freezes(self, project: str, environment: str, at: datetime) -> list[FreezeWindow]:
        """The freeze windows covering an environment at the instant ``at`` (a timezone-aware
        ``datetime``); empty: not frozen then."""
        return _many(FreezeWindow.from_dict, _native.active_freezes(self._native, project, environment, _time("at", at)))

    # -- two-phase execution -------------------------------------------------------------------

    def begin(
        self,
        project: str,
        deployment_id: str,
        actor: ActorLike,
        *,
        break_glass_reason: Optional[str] = None,
        freeze_override_reason: Optional[str] = None,
    ) -> Deployment:
        """Starts an out-of-process execution (a pipeline: build, upload, deploy, verify): the
        same gates as ``execute`` (``approved`` to ``deploying``, the environment held under a
        lease of ``Policy.lease_ttl_seconds``) without calling an executor. The pipeline then
        calls ``log`` and ``heartbeat``, and finishes with ``complete``."""
        options = _execute_options(break_glass_reason, freeze_override_reason)
        return Deployment.from_dict(_native.begin(self._native, project, deployment_id, _arg(actor), options))

    def log(self, project: str, deployment_id: str, stage: str, line: str) -> int:
        """Appends a line to a running (``deploying`` or ``paused``) deployment's stage log and
        returns its cursor. Logs are operational output, not in the audit chain; only the newest
        10,000 lines of a deployment are kept (``LogPage.dropped`` counts the rest)."""
        cursor: int = _native.log(self._native, project, deployment_id, stage, line)
        return cursor

    def deployment_logs(self, project: str, deployment_id: str, after_seq: int = 0, limit: Optional[int] = None) -> LogPage:
        """A deployment's stage log after the cursor ``after_seq`` (0: from the start), at most
        ``limit`` lines (default 500, at most 5,000). Poll with ``next_cursor`` while ``open``
        to follow a running pipeline."""
        return LogPage.from_dict(_native.deployment_logs(self._native, project, deployment_id, after_seq, limit))

    def heartbeat(self, project: str, deployment_id: str, actor: ActorLike) -> Deployment:
        """Extends the lease of a running execution by ``Policy.lease_ttl_seconds`` (its
        executor or an admin)."""
        return Deployment.from_dict(_native.heartbeat(self._native, project, deployment_id, _arg(actor)))

    def complete(self, project: str, deployment_id: str, actor: ActorLike, completion: Union[Completion, Mapping[str, Any]]) -> Deployment:
        """Records how an out-of-process execution ended: ``CompletionSuccess()`` makes every
        item live (``deployed``), ``CompletionFailure(error, failed_item)`` fails it with the
        active state left exactly as it was. After the sweep or ``release_lease`` ended the
        execution, raises ``ConflictError``."""
        return Deployment.from_dict(_native.complete(self._native, project, deployment_id, _arg(actor), _arg(completion)))

    # -- guided failure ------------------------------------------------------------------------

    def resume(
        self,
        project: str,
        deployment_id: str,
        actor: ActorLike,
        executor: Optional[ExecutorLike] = None,
        *,
        decision: Union[ResumeDecision, str],
        reason: Optional[str] = None,
    ) -> Deployment:
        """Decides on a ``paused`` deployment (``Policy.on_failure = "pause"``): ``retry`` calls
        ``executor`` for the failed item again, ``skip`` leaves it out, ``abort`` reverts every
        item activated so far and fails the deployment; skip and abort need a ``reason``. An
        exception raised by the executor fails the item again (``paused`` again). Needs a role
        that may execute the deployment. Returns it ``deployed``, ``failed`` or ``paused``."""
        return Deployment.from_dict(
            _native.resume(self._native, project, deployment_id, _arg(actor), decision, _adapt_executor(executor), reason)
        )

    # -- post-deployment health ----------------------------------------------------------------

    def report_health(
        self,
        project: str,
        deployment_id: str,
        report: Union[HealthReport, Mapping[str, Any]],
        actor: ActorLike,
        executor: Optional[ExecutorLike] = None,
    ) -> HealthOutcome:
        """Records a health check of a ``deployed`` deployment. Crossing a ``Policy.health``
        threshold sets the environment ``down`` and, with ``auto_rollback``, rolls the
        deployment back at once through ``executor`` (as ``deploygov:health``; a rollback that
        cannot be made is in ``HealthOutcome.rollback_error``). A failed check below the
        thresholds makes it ``degraded``, a passing one ``healthy``."""
        raw = _native.report_health(self._native, project, deployment_id, _arg(report), _arg(actor), _adapt_executor(executor))
        return HealthOutcome.from_dict(raw)

    def health_checks(self, project: str, deployment_id: str) -> list[HealthCheck]:
        """The health checks of a deployment, oldest first."""
        return _many(HealthCheck.from_dict, _native.health_checks(self._native, project, deployment_id))
