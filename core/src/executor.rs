//! The host's hook that makes a version live somewhere real (reload a prompt cache, switch a
//! model alias, flip a feature flag). The engine itself moves the active state.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::model::Environment;

/// One activation the executor must perform.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Activation<'a> {
    /// The target environment, with secret variables readable.
    pub environment: &'a Environment,
    /// Deployment being executed.
    pub deployment_id: &'a str,
    /// Entity type.
    pub entity_type: &'a str,
    /// Entity id.
    pub entity_id: &'a str,
    /// Version to make live; `None` means remove the entity (nothing was live before).
    pub version_tag: Option<&'a str>,
    /// What was live before.
    pub previous_version: Option<&'a str>,
    /// True when this call undoes an earlier activation after a later item failed.
    pub revert: bool,
}

/// Performs activations. An `Err(message)` (or a panic) fails the item and reverts the others.
pub trait Executor: Send + Sync {
    /// Makes `a.version_tag` live for the entity in the environment.
    fn activate(&self, a: &Activation<'_>) -> Result<(), String>;

    /// True when `activate` acts on nothing outside this store (no cache, alias or flag
    /// elsewhere). The engine then executes in one transaction, calling the executor inside it,
    /// because a crash has nothing outside the store to leave half-done. Such an executor runs
    /// while the store's write lock is held: it must be quick and must not call the engine
    /// (a call that writes would wait for the lock this execution holds). False (the default)
    /// commits `deploying` before the first call, so that a crash or another engine sees the
    /// running deployment and its lease, and calls the executor with no lock held.
    fn store_only(&self) -> bool {
        false
    }
}

impl<F> Executor for F
where
    F: Fn(&Activation<'_>) -> Result<(), String> + Send + Sync,
{
    fn activate(&self, a: &Activation<'_>) -> Result<(), String> {
        self(a)
    }
}

/// The default executor: does nothing outside the store, so execution only moves the active state
/// (in one transaction, see [`Executor::store_only`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopExecutor;

impl Executor for NoopExecutor {
    fn activate(&self, _: &Activation<'_>) -> Result<(), String> {
        Ok(())
    }

    fn store_only(&self) -> bool {
        true
    }
}

/// Calls the executor, turning a panic into an error message.
pub(crate) fn call(executor: &dyn Executor, a: &Activation<'_>) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(|| executor.activate(a))) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(format!("executor panicked: {msg}"))
        }
    }
}
