//! `deploygov._native.NativeEngine`: every method converts its arguments, releases the GIL, calls
//! one core `Engine` method and converts the result (or maps the error). The typed Python
//! surface is `deploygov.Engine`, which wraps this class.

use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use deploygov::{
    Action, Actor, ApproveOptions, DeploymentFilter, DeploymentRequest, Engine, EnvironmentSpec, ExecuteOptions, Executor, Health,
    ManualClock, NoopExecutor, Policy, RollbackOptions, Variable, VersionSpec,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::callbacks::{PyExecutor, PySubscriber, PyValidator};
use crate::convert::{from_py, list_from_py, to_py};
use crate::errors::to_py_err;

/// A manual clock for tests and demos: time moves only when told to.
#[pyclass(frozen, module = "deploygov._native")]
pub struct NativeClock(ManualClock);

pub(crate) fn parse_time(text: &str) -> PyResult<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| PyValueError::new_err(format!("`{text}` is not an RFC 3339 timestamp: {e}")))
}

fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[pymethods]
impl NativeClock {
    /// A clock stopped at `start` (RFC 3339).
    #[new]
    fn new(start: &str) -> PyResult<Self> {
        Ok(Self(ManualClock::new(parse_time(start)?)))
    }

    /// Now, as RFC 3339 with microseconds.
    fn now(&self) -> String {
        use deploygov::Clock;
        format_time(self.0.now())
    }

    /// Sets the time (RFC 3339).
    fn set(&self, t: &str) -> PyResult<()> {
        self.0.set(parse_time(t)?);
        Ok(())
    }

    /// Moves the time by `micros` microseconds (negative: back).
    fn advance_micros(&self, micros: i64) {
        self.0.advance(chrono::Duration::microseconds(micros));
    }
}

/// One engine over one store. `close()` drops the engine once running calls finish.
#[pyclass(frozen, module = "deploygov._native")]
pub struct NativeEngine {
    inner: Mutex<Option<Arc<Engine>>>,
}

pub(crate) fn actor(obj: &Bound<'_, PyAny>) -> PyResult<Actor> {
    from_py(obj, "actor", "an Actor or a dict")
}

pub(crate) fn limit(value: Option<i64>) -> PyResult<Option<u32>> {
    value
        .map(|v| u32::try_from(v).map_err(|_| PyValueError::new_err(format!("limit must be a non-negative 32-bit integer, got {v}"))))
        .transpose()
}

pub(crate) fn executor(obj: Option<Py<PyAny>>) -> Box<dyn Executor> {
    match obj {
        Some(f) => Box::new(PyExecutor(f)),
        None => Box::new(NoopExecutor),
    }
}

/// Reads an options struct from a dict; `None` is the struct's default.
pub(crate) fn options_from_py<T: DeserializeOwned + Default>(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<T> {
    obj.filter(|o| !o.is_none()).map_or_else(|| Ok(T::default()), |o| from_py(o, what, "a dict"))
}

impl NativeEngine {
    fn engine(&self) -> PyResult<Arc<Engine>> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.clone().ok_or_else(|| PyValueError::new_err("the engine is closed"))
    }

    /// Runs `f` on the engine with the GIL released and converts its result.
    pub(crate) fn run<'py, T, F>(&self, py: Python<'py>, f: F) -> PyResult<Bound<'py, PyAny>>
    where
        T: Serialize + Send,
        F: FnOnce(&Engine) -> deploygov::Result<T> + Send,
    {
        let engine = self.engine()?;
        match py.detach(move || f(&engine)) {
            Ok(value) => to_py(py, &value),
            Err(e) => Err(to_py_err(py, e)),
        }
    }
}

#[pymethods]
impl NativeEngine {
    /// Opens (or creates) the SQLite store at `path` (`:memory:` for a private in-memory store),
    /// or the PostgreSQL store at a `postgres://` URL.
    #[staticmethod]
    #[pyo3(signature = (path, clock=None))]
    fn open(py: Python<'_>, path: &str, clock: Option<&NativeClock>) -> PyResult<Self> {
        let clock = clock.map(|c| c.0.clone());
        let path = path.to_owned();
        let engine = py
            .detach(move || match clock {
                None => Engine::open(&path),
                Some(c) => Ok(Engine::with_store(deploygov::store::open(&path)?, Arc::new(c))),
            })
            .map_err(|e| to_py_err(py, e))?;
        Ok(Self { inner: Mutex::new(Some(Arc::new(engine))) })
    }

    /// Closes the engine; later calls raise `ValueError`. Calls already running finish first.
    fn close(&self) {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).is_none()
    }

    fn create_project<'py>(
        &self,
        py: Python<'py>,
        id: String,
        tenant: String,
        name: String,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.create_project(&id, &tenant, &name, &actor))
    }

    fn create_environment<'py>(
        &self,
        py: Python<'py>,
        project: String,
        spec: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec: EnvironmentSpec = from_py(spec, "environment spec", "an EnvironmentSpec or a dict")?;
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.create_environment(&project, &spec, &actor))
    }

    fn set_policy<'py>(
        &self,
        py: Python<'py>,
        project: String,
        environment: String,
        policy: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let policy: Policy = from_py(policy, "policy", "a Policy or a dict")?;
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.set_policy(&project, &environment, &policy, &actor))
    }

    fn set_variables<'py>(
        &self,
        py: Python<'py>,
        project: String,
        environment: String,
        variables: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let variables: Vec<Variable> = list_from_py(variables, "variables", "a list of Variable or dict")?;
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.set_variables(&project, &environment, &variables, &actor))
    }

    fn set_health<'py>(
        &self,
        py: Python<'py>,
        project: String,
        environment: String,
        health: &str,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let health = Health::from_str(health).map_err(|e| to_py_err(py, e))?;
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.set_health(&project, &environment, health, &actor))
    }

    fn register_version<'py>(
        &self,
        py: Python<'py>,
        project: String,
        spec: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec: VersionSpec = from_py(spec, "version spec", "a VersionSpec or a dict")?;
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.register_version(&project, &spec, &actor))
    }

    fn request_deployment<'py>(
        &self,
        py: Python<'py>,
        project: String,
        request: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request: DeploymentRequest = from_py(request, "deployment request", "a DeploymentRequest or a dict")?;
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.request_deployment(&project, &request, &actor))
    }

    /// `options` is the core's `ApproveOptions` as a dict (`comment`, `rule`,
    /// `freeze_override_reason`); `None` means the defaults.
    #[pyo3(signature = (project, deployment_id, actor, options=None))]
    fn approve<'py>(
        &self,
        py: Python<'py>,
        project: String,
        deployment_id: String,
        actor: &Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        let opts: ApproveOptions = options_from_py(options, "approve options")?;
        self.run(py, move |e| e.approve(&project, &deployment_id, &actor, &opts))
    }

    fn reject<'py>(
        &self,
        py: Python<'py>,
        project: String,
        deployment_id: String,
        actor: &Bound<'py, PyAny>,
        reason: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.reject(&project, &deployment_id, &actor, &reason))
    }

    #[pyo3(signature = (project, deployment_id, actor, reason=None))]
    fn cancel<'py>(
        &self,
        py: Python<'py>,
        project: String,
        deployment_id: String,
        actor: &Bound<'py, PyAny>,
        reason: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.cancel(&project, &deployment_id, &actor, reason.as_deref()))
    }

    /// `options` is the core's `ExecuteOptions` as a dict (`break_glass_reason`,
    /// `freeze_override_reason`); `None` means the defaults.
    #[pyo3(signature = (project, deployment_id, actor, executor=None, options=None))]
    fn execute<'py>(
        &self,
        py: Python<'py>,
        project: String,
        deployment_id: String,
        actor: &Bound<'py, PyAny>,
        executor: Option<Py<PyAny>>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        let executor = self::executor(executor);
        let opts: ExecuteOptions = options_from_py(options, "execute options")?;
        self.run(py, move |e| e.execute(&project, &deployment_id, &actor, executor.as_ref(), &opts))
    }

    #[pyo3(signature = (project, deployment_id, actor, reason, executor=None, target=None))]
    #[expect(clippy::too_many_arguments, reason = "mirrors Engine::rollback with its options spelled out as Python keywords")]
    fn rollback<'py>(
        &self,
        py: Python<'py>,
        project: String,
        deployment_id: String,
        actor: &Bound<'py, PyAny>,
        reason: String,
        executor: Option<Py<PyAny>>,
        target: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        let executor = self::executor(executor);
        let opts = RollbackOptions { target, reason };
        self.run(py, move |e| e.rollback(&project, &deployment_id, &actor, executor.as_ref(), &opts))
    }

    fn check<'py>(
        &self,
        py: Python<'py>,
        project: String,
        deployment_id: String,
        actor: &Bound<'py, PyAny>,
        action: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let action = Action::from_str(action).map_err(|e| to_py_err(py, e))?;
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.check(&project, &deployment_id, &actor, action))
    }

    fn promote<'py>(
        &self,
        py: Python<'py>,
        project: String,
        deployment_id: String,
        to_environment: String,
        actor: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.promote(&project, &deployment_id, &to_environment, &actor))
    }

    #[expect(clippy::too_many_arguments, reason = "mirrors Engine::quarantine_version")]
    fn quarantine_version<'py>(
        &self,
        py: Python<'py>,
        project: String,
        entity_type: String,
        entity_id: String,
        version_tag: String,
        actor: &Bound<'py, PyAny>,
        reason: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.quarantine_version(&project, &entity_type, &entity_id, &version_tag, &actor, &reason))
    }

    #[expect(clippy::too_many_arguments, reason = "mirrors Engine::release_version")]
    fn release_version<'py>(
        &self,
        py: Python<'py>,
        project: String,
        entity_type: String,
        entity_id: String,
        version_tag: String,
        actor: &Bound<'py, PyAny>,
        reason: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.release_version(&project, &entity_type, &entity_id, &version_tag, &actor, &reason))
    }

    fn due<'py>(&self, py: Python<'py>, project: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.due(&project))
    }

    fn sweep<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |e| e.sweep())
    }

    fn release_lease<'py>(
        &self,
        py: Python<'py>,
        project: String,
        deployment_id: String,
        actor: &Bound<'py, PyAny>,
        reason: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.release_lease(&project, &deployment_id, &actor, &reason))
    }

    fn get_project<'py>(&self, py: Python<'py>, project: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.get_project(&project))
    }

    fn list_environments<'py>(&self, py: Python<'py>, project: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.list_environments(&project))
    }

    fn get_environment<'py>(&self, py: Python<'py>, project: String, environment: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.get_environment(&project, &environment))
    }

    fn list_versions<'py>(&self, py: Python<'py>, project: String, entity_type: String, entity_id: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.list_versions(&project, &entity_type, &entity_id))
    }

    fn get_deployment<'py>(&self, py: Python<'py>, project: String, deployment_id: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.get_deployment(&project, &deployment_id))
    }

    fn list_deployments<'py>(&self, py: Python<'py>, project: String, filter: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let filter: DeploymentFilter = from_py(filter, "deployment filter", "a dict")?;
        self.run(py, move |e| e.list_deployments(&project, &filter))
    }

    fn active_state<'py>(&self, py: Python<'py>, project: String, environment: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.active_state(&project, &environment))
    }

    fn active_version<'py>(
        &self,
        py: Python<'py>,
        project: String,
        environment: String,
        entity_type: String,
        entity_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.active_version(&project, &environment, &entity_type, &entity_id))
    }

    /// The tag alone, as `str` or `None`: no conversion through JSON (the lightest hot read).
    fn active_version_tag(
        &self,
        py: Python<'_>,
        project: String,
        environment: String,
        entity_type: String,
        entity_id: String,
    ) -> PyResult<Option<String>> {
        let engine = self.engine()?;
        py.detach(move || engine.active_version_tag(&project, &environment, &entity_type, &entity_id)).map_err(|e| to_py_err(py, e))
    }

    /// `at` is RFC 3339 (the typed surface formats an aware `datetime`).
    fn active_state_at<'py>(&self, py: Python<'py>, project: String, environment: String, at: &str) -> PyResult<Bound<'py, PyAny>> {
        let at = parse_time(at)?;
        self.run(py, move |e| e.active_state_at(&project, &environment, at))
    }

    /// `at` is RFC 3339 (the typed surface formats an aware `datetime`).
    fn deployments_live_at<'py>(&self, py: Python<'py>, project: String, environment: String, at: &str) -> PyResult<Bound<'py, PyAny>> {
        let at = parse_time(at)?;
        self.run(py, move |e| e.deployments_live_at(&project, &environment, at))
    }

    #[pyo3(signature = (project, entity_type, entity_id, limit=None))]
    fn entity_history<'py>(
        &self,
        py: Python<'py>,
        project: String,
        entity_type: String,
        entity_id: String,
        limit: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limit = self::limit(limit)?;
        self.run(py, move |e| e.entity_history(&project, &entity_type, &entity_id, limit))
    }

    fn compare_environments<'py>(&self, py: Python<'py>, project: String, left: String, right: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.compare_environments(&project, &left, &right))
    }

    fn pending_approvals<'py>(&self, py: Python<'py>, project: String, actor: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let actor = self::actor(actor)?;
        self.run(py, move |e| e.pending_approvals(&project, &actor))
    }

    #[pyo3(signature = (project, object_id=None, after_seq=0, limit=None))]
    fn audit_log<'py>(
        &self,
        py: Python<'py>,
        project: String,
        object_id: Option<String>,
        after_seq: i64,
        limit: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limit = self::limit(limit)?;
        self.run(py, move |e| e.audit_log(&project, object_id.as_deref(), after_seq, limit))
    }

    fn verify_audit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |e| e.verify_audit())
    }

    fn register_validator<'py>(&self, py: Python<'py>, name: String, validator: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.register_validator(&name, Arc::new(PyValidator(validator))))
    }

    fn unregister_validator(&self, py: Python<'_>, name: String) -> PyResult<bool> {
        let engine = self.engine()?;
        Ok(py.detach(move || engine.unregister_validator(&name)))
    }

    #[pyo3(signature = (project=None, after_seq=0, limit=None))]
    fn events_after<'py>(
        &self,
        py: Python<'py>,
        project: Option<String>,
        after_seq: i64,
        limit: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limit = self::limit(limit)?;
        self.run(py, move |e| e.events_after(project.as_deref(), after_seq, limit))
    }

    /// `key` must be `bytes` (a `str` is a `TypeError`: encode it yourself); `None` clears it.
    fn set_event_signing_key<'py>(&self, py: Python<'py>, key: Option<&[u8]>) -> PyResult<Bound<'py, PyAny>> {
        let key = key.map(<[u8]>::to_vec);
        self.run(py, move |e| e.set_event_signing_key(key.as_deref()))
    }

    fn subscribe<'py>(&self, py: Python<'py>, name: String, subscriber: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, move |e| e.subscribe(&name, Arc::new(PySubscriber(subscriber))))
    }

    fn unsubscribe(&self, py: Python<'_>, name: String) -> PyResult<bool> {
        let engine = self.engine()?;
        Ok(py.detach(move || engine.unsubscribe(&name)))
    }
}
