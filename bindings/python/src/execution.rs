//! Freeze windows, two-phase execution, guided failure and post-deployment health: module
//! functions that take the `NativeEngine` first (pyo3 allows one `#[pymethods]` block per
//! class, and `engine.rs` holds it). Each converts its arguments, calls one core `Engine` method
//! with the GIL released and converts the result; `deploygov.Engine` wraps them as methods.

use std::str::FromStr;

use deploygov::{Completion, ExecuteOptions, FreezeSpec, HealthReport, ResumeDecision};
use pyo3::prelude::*;

use crate::convert::from_py;
use crate::engine::{NativeEngine, actor, executor, limit, options_from_py, parse_time};
use crate::errors::to_py_err;

/// Creates a freeze window (`spec` is the core's `FreezeSpec` as a dict).
#[pyfunction]
pub fn add_freeze<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    spec: &Bound<'py, PyAny>,
    actor: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec: FreezeSpec = from_py(spec, "freeze spec", "a FreezeSpec or a dict")?;
    let actor = self::actor(actor)?;
    engine.run(py, move |e| e.add_freeze(&project, &spec, &actor))
}

/// Removes a freeze window.
#[pyfunction]
pub fn remove_freeze<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    freeze_id: String,
    actor: &Bound<'py, PyAny>,
    reason: String,
) -> PyResult<Bound<'py, PyAny>> {
    let actor = self::actor(actor)?;
    engine.run(py, move |e| e.remove_freeze(&project, &freeze_id, &actor, &reason))
}

/// The freeze windows of a project, or those applying to one environment.
#[pyfunction]
#[pyo3(signature = (engine, project, environment=None))]
pub fn list_freezes<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    environment: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    engine.run(py, move |e| e.list_freezes(&project, environment.as_deref()))
}

/// The freeze windows covering an environment at `at` (RFC 3339).
#[pyfunction]
pub fn active_freezes<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    environment: String,
    at: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let at = parse_time(at)?;
    engine.run(py, move |e| e.active_freezes(&project, &environment, at))
}

/// Starts an out-of-process execution (`options`: the core's `ExecuteOptions` as a dict).
#[pyfunction]
#[pyo3(signature = (engine, project, deployment_id, actor, options=None))]
pub fn begin<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    deployment_id: String,
    actor: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let actor = self::actor(actor)?;
    let opts: ExecuteOptions = options_from_py(options, "execute options")?;
    engine.run(py, move |e| e.begin(&project, &deployment_id, &actor, &opts))
}

/// Appends a stage log line; returns its cursor.
#[pyfunction]
pub fn log<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    deployment_id: String,
    stage: String,
    line: String,
) -> PyResult<Bound<'py, PyAny>> {
    engine.run(py, move |e| e.log(&project, &deployment_id, &stage, &line))
}

/// A page of a deployment's stage log.
#[pyfunction]
#[pyo3(signature = (engine, project, deployment_id, after_seq=0, limit=None))]
pub fn deployment_logs<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    deployment_id: String,
    after_seq: i64,
    limit: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let limit = self::limit(limit)?;
    engine.run(py, move |e| e.deployment_logs(&project, &deployment_id, after_seq, limit))
}

/// Extends the lease of a running execution.
#[pyfunction]
pub fn heartbeat<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    deployment_id: String,
    actor: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let actor = self::actor(actor)?;
    engine.run(py, move |e| e.heartbeat(&project, &deployment_id, &actor))
}

/// Records how an out-of-process execution ended (`completion`: the core's `Completion`).
#[pyfunction]
pub fn complete<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    deployment_id: String,
    actor: &Bound<'py, PyAny>,
    completion: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let actor = self::actor(actor)?;
    let completion: Completion = from_py(completion, "completion", "a Completion or a dict")?;
    engine.run(py, move |e| e.complete(&project, &deployment_id, &actor, &completion))
}

/// Decides on a paused deployment (`decision`: `retry`, `skip` or `abort`).
#[pyfunction]
#[pyo3(signature = (engine, project, deployment_id, actor, decision, executor=None, reason=None))]
#[expect(clippy::too_many_arguments, reason = "mirrors Engine::resume")]
pub fn resume<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    deployment_id: String,
    actor: &Bound<'py, PyAny>,
    decision: &str,
    executor: Option<Py<PyAny>>,
    reason: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let decision = ResumeDecision::from_str(decision).map_err(|e| to_py_err(py, e))?;
    let actor = self::actor(actor)?;
    let executor = self::executor(executor);
    engine.run(py, move |e| e.resume(&project, &deployment_id, &actor, executor.as_ref(), decision, reason.as_deref()))
}

/// Records a health check of a live deployment (`report`: the core's `HealthReport`).
#[pyfunction]
#[pyo3(signature = (engine, project, deployment_id, report, actor, executor=None))]
pub fn report_health<'py>(
    py: Python<'py>,
    engine: &NativeEngine,
    project: String,
    deployment_id: String,
    report: &Bound<'py, PyAny>,
    actor: &Bound<'py, PyAny>,
    executor: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let report: HealthReport = from_py(report, "health report", "a HealthReport or a dict")?;
    let actor = self::actor(actor)?;
    let executor = self::executor(executor);
    engine.run(py, move |e| e.report_health(&project, &deployment_id, &report, &actor, executor.as_ref()))
}

/// The health checks of a deployment.
#[pyfunction]
pub fn health_checks<'py>(py: Python<'py>, engine: &NativeEngine, project: String, deployment_id: String) -> PyResult<Bound<'py, PyAny>> {
    engine.run(py, move |e| e.health_checks(&project, &deployment_id))
}

/// Adds the functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(add_freeze, m)?)?;
    m.add_function(wrap_pyfunction!(remove_freeze, m)?)?;
    m.add_function(wrap_pyfunction!(list_freezes, m)?)?;
    m.add_function(wrap_pyfunction!(active_freezes, m)?)?;
    m.add_function(wrap_pyfunction!(begin, m)?)?;
    m.add_function(wrap_pyfunction!(log, m)?)?;
    m.add_function(wrap_pyfunction!(deployment_logs, m)?)?;
    m.add_function(wrap_pyfunction!(heartbeat, m)?)?;
    m.add_function(wrap_pyfunction!(complete, m)?)?;
    m.add_function(wrap_pyfunction!(resume, m)?)?;
    m.add_function(wrap_pyfunction!(report_health, m)?)?;
    m.add_function(wrap_pyfunction!(health_checks, m)?)
}
