"""``Engine`` methods of the governed records beside deployments (variables, artifacts,
deployment errors) and of the reports (a base class of ``deploygov.Engine``, kept apart so no
file grows past a few hundred lines). Each converts its arguments, calls one native function
with the GIL released and returns a typed record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Optional, Union

from deploygov import _native
from deploygov._args import ActorLike, _arg, _many, _opt_str, _time
from deploygov._native import NativeEngine
from deploygov.enums import ErrorSeverity
from deploygov.model import Environment
from deploygov.records import (
    Artifact,
    ArtifactSpec,
    ComplianceReport,
    DeploymentErrorRecord,
    EnvironmentMetrics,
    ErrorSpec,
    VariableDiff,
)

__all__ = ["RecordOps"]


def _strs(name: str, values: object) -> list[str]:
    """A list of str from an iterable of str (a bare str is a ``TypeError``, not its letters)."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be an iterable of str, got {type(values).__name__}")
    return list(values)


class RecordOps:
    """Variables, artifacts, deployment errors and reports."""

    __slots__ = ()
    _native: NativeEngine

    # -- configuration ---------------------------------------------------------------------------

    def unset_variables(self, project: str, environment: str, keys: Iterable[str], actor: ActorLike) -> Environment:
        """Removes variables from an environment; like ``set_variables``, approvals given for the
        old content stop counting. A key the environment does not have raises
        ``NotFoundError`` (nothing changes); an empty or repeated key ``InvalidInputError``.
        Requires ``admin`` or ``tenant_admin``."""
        return Environment.from_dict(_native.unset_variables(self._native, project, environment, _strs("keys", keys), _arg(actor)))

    def compare_variables(self, project: str, left: str, right: str) -> list[VariableDiff]:
        """Every variable key of either environment, in key order, with both sides; secret
        values read ``"***"`` and are compared inside the engine only."""
        return _many(VariableDiff.from_dict, _native.compare_variables(self._native, project, left, right))

    # -- artifacts ---------------------------------------------------------------------------

    def attach_artifact(self, project: str, spec: Union[ArtifactSpec, Mapping[str, Any]], actor: ActorLike) -> Artifact:
        """Attaches a build artifact to a catalog version (``NotFoundError`` when the version is
        not in the catalog). The same artifact again returns the existing one; a different one
        under the same name raises ``ConflictError``. Audited as ``artifact.attached``."""
        return Artifact.from_dict(_native.attach_artifact(self._native, project, _arg(spec), _arg(actor)))

    def list_artifacts(self, project: str, entity_type: str, entity_id: str, version_tag: Optional[str] = None) -> list[Artifact]:
        """The artifacts of one version, or without ``version_tag`` of every catalog version of
        the entity, oldest first."""
        raw = _native.list_artifacts(self._native, project, entity_type, entity_id, _opt_str("version_tag", version_tag))
        return _many(Artifact.from_dict, raw)

    def prunable_artifacts(self, project: str) -> list[Artifact]:
        """The artifacts that may be pruned now, oldest first: their version went live somewhere,
        is live nowhere, is no environment's last known good version, and is outside the
        ``Policy.artifact_retention`` of every environment it went live in."""
        return _many(Artifact.from_dict, _native.prunable_artifacts(self._native, project))

    def prune_artifacts(self, project: str, ids: Iterable[str], actor: ActorLike, reason: str) -> list[Artifact]:
        """Deletes artifact records (the host deletes the files), all or nothing: an unknown id
        raises ``NotFoundError``, one not prunable ``PolicyViolationError`` naming it. Requires
        ``admin`` or ``tenant_admin`` and a reason; each is audited as ``artifact.pruned`` with
        the whole artifact. Returns the pruned artifacts in the order given."""
        return _many(Artifact.from_dict, _native.prune_artifacts(self._native, project, _strs("ids", ids), _arg(actor), reason))

    # -- deployment errors -------------------------------------------------------------------

    def record_deployment_error(self, project: str, spec: Union[ErrorSpec, Mapping[str, Any]], actor: ActorLike) -> DeploymentErrorRecord:
        """Records an error of a deployment (under its environment), audited."""
        return DeploymentErrorRecord.from_dict(_native.record_deployment_error(self._native, project, _arg(spec), _arg(actor)))

    def resolve_deployment_error(self, project: str, error_id: str, actor: ActorLike, notes: str) -> DeploymentErrorRecord:
        """Resolves a deployment error once, with notes (again raises ``ConflictError``)."""
        return DeploymentErrorRecord.from_dict(_native.resolve_deployment_error(self._native, project, error_id, _arg(actor), notes))

    def list_deployment_errors(
        self,
        project: str,
        *,
        environment: Optional[str] = None,
        severity: Union[ErrorSeverity, str, None] = None,
        unresolved_only: bool = False,
    ) -> list[DeploymentErrorRecord]:
        """Deployment errors matching every filter given (the core's ``ErrorFilter``)."""
        if not isinstance(unresolved_only, bool):
            raise TypeError(f"unresolved_only must be a bool, got {type(unresolved_only).__name__}")
        data = {
            "environment": _opt_str("environment", environment),
            "severity": _opt_str("severity", severity),
            "unresolved_only": unresolved_only,
        }
        return _many(DeploymentErrorRecord.from_dict, _native.list_deployment_errors(self._native, project, data))

    # -- reports -------------------------------------------------------------------------------

    def compliance_report(self, project: str, from_: datetime, to: datetime, environment: Optional[str] = None) -> ComplianceReport:
        """Every deployment requested in ``[from_, to)`` (timezone-aware ``datetime``s; ``from_``
        must be before ``to``) to one environment, or to every environment whose policy has
        approval rules: requester, approvers bound to the final content, executor, break-glass,
        rollback links, refusals and failures. ``ComplianceReport.to_csv()`` gives the CSV."""
        raw = _native.compliance_report(self._native, project, _time("from_", from_), _time("to", to), _opt_str("environment", environment))
        return ComplianceReport.from_dict(raw)

    def environment_metrics(self, project: str, environment: str, from_: datetime, to: datetime) -> EnvironmentMetrics:
        """Delivery figures of one environment for the ``deploy`` and ``promotion`` deployments
        requested in ``[from_, to)``: finished, succeeded, failed and rolled-back counts, success
        rate, mean time to deploy and to roll back, change failure rate."""
        raw = _native.environment_metrics(self._native, project, environment, _time("from_", from_), _time("to", to))
        return EnvironmentMetrics.from_dict(raw)
