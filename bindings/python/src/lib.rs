//! `deploygov._native`: the Python face of the deploygov engine (pyo3, abi3). It holds no domain
//! logic: each method converts its arguments, calls one core function with the GIL released and
//! maps the result or the error. The typed, documented surface is the `deploygov` package in
//! `python/deploygov/`, which wraps this module.

mod callbacks;
mod convert;
mod engine;
mod errors;
mod execution;
mod pyser;
mod pyser_sample;
mod records;

use deploygov::{
    Action, Day, DeploymentKind, DeploymentStatus, ErrorCategory, ErrorCode, ErrorSeverity, FailureMode, Health, ItemStatus, Phase, Policy,
    ResumeDecision, RiskLevel, Severity,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The policy the core gives an environment of this name when none is set (`development`,
/// `staging`, `production`, ...), as plain data.
#[pyfunction]
fn default_policy<'py>(py: Python<'py>, environment: &str) -> PyResult<Bound<'py, PyAny>> {
    convert::to_py(py, &Policy::default_for(environment))
}

/// Every error code as `(name, number)`, in numeric order.
#[pyfunction]
fn error_codes() -> Vec<(&'static str, i32)> {
    ErrorCode::ALL.iter().map(|c| (c.name(), c.as_i32())).collect()
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

/// The strings of every core enum, by enum name (parity checks for the Python enums).
#[pyfunction]
fn enum_values(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("DeploymentStatus", names(DeploymentStatus::ALL, DeploymentStatus::as_str))?;
    d.set_item("DeploymentKind", names(DeploymentKind::ALL, DeploymentKind::as_str))?;
    d.set_item("RiskLevel", names(RiskLevel::ALL, RiskLevel::as_str))?;
    d.set_item("ItemStatus", names(ItemStatus::ALL, ItemStatus::as_str))?;
    d.set_item("Health", names(Health::ALL, Health::as_str))?;
    d.set_item("Severity", names(Severity::ALL, Severity::as_str))?;
    d.set_item("Phase", names(Phase::ALL, Phase::as_str))?;
    d.set_item("Action", names(Action::ALL, Action::as_str))?;
    d.set_item("ErrorCode", names(&ErrorCode::ALL, ErrorCode::name))?;
    d.set_item("FailureMode", names(FailureMode::ALL, FailureMode::as_str))?;
    d.set_item("ResumeDecision", names(ResumeDecision::ALL, ResumeDecision::as_str))?;
    d.set_item("Day", names(Day::ALL, Day::as_str))?;
    d.set_item("ErrorCategory", names(ErrorCategory::ALL, ErrorCategory::as_str))?;
    d.set_item("ErrorSeverity", names(ErrorSeverity::ALL, ErrorSeverity::as_str))?;
    Ok(d)
}

/// The module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<engine::NativeEngine>()?;
    m.add_class::<engine::NativeClock>()?;
    m.add_function(wrap_pyfunction!(default_policy, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(enum_values, m)?)?;
    m.add_function(wrap_pyfunction!(pyser_sample::conversion_sample, m)?)?;
    execution::register(m)?;
    records::register(m)?;
    errors::register(m)
}
