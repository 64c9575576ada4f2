//! Governed records beside deployments (variables, artifacts, deployment errors) and reports:
//! module functions that take the `NativeEngine` first (pyo3 allows one `#[pymethods]` block
//! per class). Each converts its arguments, calls one core function with the GIL released and
//! converts the result; `deploygov.Engine` wraps them as methods.

use deploygov::{ArtifactSpec, ComplianceReport, ErrorFilter, ErrorSpec};
use pyo3::prelude::*;

use crate::convert::{from_py, list_from_py};
use crate::engine::{NativeEngine, actor, options_from_py, parse_time};

/// Removes variables from an environment (`keys`: a list of str).
#[pyfunction]
pub fn unset_variables<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    environment: String,
    keys: &Bound<'py, PyAny>,
    actor: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let keys: Vec<String> = list_from_py(keys, "variable keys", "a list of str")?;
    let actor = self::actor(actor)?;
    engine.run(py, move |e| e.unset_variables(&project, &environment, &keys, &actor))
}

/// Compares the variables of two environments.
#[pyfunction]
pub fn compare_variables<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    left: String,
    right: String,
) -> PyResult<Bound<'py, PyAny>> {
    engine.run(py, move |e| e.compare_variables(&project, &left, &right))
}

/// Attaches an artifact to a catalog version (`spec`: the core's `ArtifactSpec` as a dict).
#[pyfunction]
pub fn attach_artifact<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    spec: &Bound<'py, PyAny>,
    actor: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec: ArtifactSpec = from_py(spec, "artifact spec", "an ArtifactSpec or a dict")?;
    let actor = self::actor(actor)?;
    engine.run(py, move |e| e.attach_artifact(&project, &spec, &actor))
}

/// The artifacts of one version, or of every version of the entity.
#[pyfunction]
#[pyo3(signature = (engine, project, entity_type, entity_id, version_tag=None))]
pub fn list_artifacts<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    entity_type: String,
    entity_id: String,
    version_tag: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    engine.run(py, move |e| e.list_artifacts(&project, &entity_type, &entity_id, version_tag.as_deref()))
}

/// The artifacts that may be pruned now.
#[pyfunction]
pub fn prunable_artifacts<'py>(py: Python<'py>, engine: &NativeEngine, project: String) -> PyResult<Bound<'py, PyAny>> {
    engine.run(py, move |e| e.prunable_artifacts(&project))
}

/// Deletes artifact records, all or nothing (`ids`: a list of str).
#[pyfunction]
pub fn prune_artifacts<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    ids: &Bound<'py, PyAny>,
    actor: &Bound<'py, PyAny>,
    reason: String,
) -> PyResult<Bound<'py, PyAny>> {
    let ids: Vec<String> = list_from_py(ids, "artifact ids", "a list of str")?;
    let actor = self::actor(actor)?;
    engine.run(py, move |e| e.prune_artifacts(&project, &ids, &actor, &reason))
}

/// Records a deployment error (`spec`: the core's `ErrorSpec` as a dict).
#[pyfunction]
pub fn record_deployment_error<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    spec: &Bound<'py, PyAny>,
    actor: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec: ErrorSpec = from_py(spec, "error spec", "an ErrorSpec or a dict")?;
    let actor = self::actor(actor)?;
    engine.run(py, move |e| e.record_deployment_error(&project, &spec, &actor))
}

/// Resolves a deployment error once.
#[pyfunction]
pub fn resolve_deployment_error<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    error_id: String,
    actor: &Bound<'py, PyAny>,
    notes: String,
) -> PyResult<Bound<'py, PyAny>> {
    let actor = self::actor(actor)?;
    engine.run(py, move |e| e.resolve_deployment_error(&project, &error_id, &actor, &notes))
}

/// Deployment errors matching a filter (`filter`: the core's `ErrorFilter` as a dict; `None`:
/// every error).
#[pyfunction]
#[pyo3(signature = (engine, project, filter=None))]
pub fn list_deployment_errors<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    filter: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let filter: ErrorFilter = options_from_py(filter, "error filter")?;
    engine.run(py, move |e| e.list_deployment_errors(&project, &filter))
}

/// The compliance report of `[from, to)` (RFC 3339).
#[pyfunction]
#[pyo3(signature = (engine, project, from_, to, environment=None))]
pub fn compliance_report<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    from_: &str,
    to: &str,
    environment: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let (from, to) = (parse_time(from_)?, parse_time(to)?);
    engine.run(py, move |e| e.compliance_report(&project, from, to, environment.as_deref()))
}

/// A compliance report (the core's JSON, as a dict) as RFC 4180 CSV, by the core's
/// `ComplianceReport::to_csv`.
#[pyfunction]
pub fn compliance_report_csv(py: Python<'_>, report: &Bound<'_, PyAny>) -> PyResult<String> {
    let report: ComplianceReport = from_py(report, "compliance report", "a ComplianceReport or a dict")?;
    Ok(py.detach(move || report.to_csv()))
}

/// Delivery figures of one environment over `[from, to)` (RFC 3339).
#[pyfunction]
pub fn environment_metrics<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    environment: String,
    from_: &str,
    to: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let (from, to) = (parse_time(from_)?, parse_time(to)?);
    engine.run(py, move |e| e.environment_metrics(&project, &environment, from, to))
}

/// Adds the functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(unset_variables, m)?)?;
    m.add_function(wrap_pyfunction!(compare_variables, m)?)?;
    m.add_function(wrap_pyfunction!(attach_artifact, m)?)?;
    m.add_function(wrap_pyfunction!(list_artifacts, m)?)?;
    m.add_function(wrap_pyfunction!(prunable_artifacts, m)?)?;
    m.add_function(wrap_pyfunction!(prune_artifacts, m)?)?;
    m.add_function(wrap_pyfunction!(record_deployment_error, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_deployment_error, m)?)?;
    m.add_function(wrap_pyfunction!(list_deployment_errors, m)?)?;
    m.add_function(wrap_pyfunction!(compliance_report, m)?)?;
    m.add_function(wrap_pyfunction!(compliance_report_csv, m)?)?;
    m.add_function(wrap_pyfunction!(environment_metrics, m)?)
}
