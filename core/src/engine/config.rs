//! Environment configuration: removing variables and comparing two environments' variables.

use std::collections::{BTreeMap, HashSet};

use sha2::{Digest, Sha256};

use super::admin::{admin_roles, public_env};
use super::{Engine, need_env, require_role, snapshot};
use crate::error::{Error, Result};
use crate::model::{Actor, Environment, REDACTED, Variable, check_id};
use crate::records::VariableDiff;

fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// How one side of a comparison shows a variable: the value, or `***` for a secret (its hash is
/// returned beside it for the comparison inside the engine, never to the caller).
fn side(v: Option<&Variable>) -> (Option<String>, Option<String>) {
    match v {
        None => (None, None),
        Some(v) if v.secret => (Some(REDACTED.to_owned()), Some(sha256_hex(&v.value))),
        Some(v) => (Some(v.value.clone()), None),
    }
}

impl Engine {
    /// Removes variables from an environment, audited as `environment.variables_changed` (secret
    /// values redacted) like [`Engine::set_variables`]: approvals given for the old content stop
    /// counting, and an approved deployment whose rules are no longer met goes back to
    /// `pending`. A key the environment does not have is `not_found` (nothing changes); an
    /// empty or repeated key is `invalid_input`. Requires `admin` or `tenant_admin`.
    pub fn unset_variables(&self, project: &str, environment: &str, keys: &[String], actor: &Actor) -> Result<Environment> {
        actor.check()?;
        if keys.is_empty() {
            return Err(Error::invalid_input("no variable keys given"));
        }
        let mut seen = HashSet::new();
        for k in keys {
            check_id("variable key", k)?;
            if !seen.insert(k.as_str()) {
                return Err(Error::invalid_input(format!("variable `{k}` is given twice")));
            }
        }
        require_role(actor, &admin_roles(), "change environment variables")?;
        let change = |e: &mut Environment| e.variables.retain(|v| !seen.contains(v.key.as_str()));
        let view = |e: &Environment| snapshot(&public_env(e.clone()));
        self.change_environment(project, environment, actor, "environment.variables_changed", change, view, |tx, before, env| {
            // INVARIANT: an error here rolls back the whole transaction, the audit entry included.
            if let Some(missing) = keys.iter().find(|k| !before.variables.iter().any(|v| &v.key == *k)) {
                return Err(Error::not_found(format!("variable `{missing}` does not exist in environment `{environment}`")));
            }
            self.void_changed_approvals(tx, env, actor)
        })
    }

    /// Compares the variables of two environments: one entry per key present in either, in key
    /// order. Secret values are never returned, not even as a hash (an unsalted hash
    /// of a weak secret can be guessed offline): a secret side reads `***`, and secrets are
    /// compared by their SHA-256 inside the engine only. `equal` holds when the key is on both sides with the same secret flag and value.
    pub fn compare_variables(&self, project: &str, left: &str, right: &str) -> Result<Vec<VariableDiff>> {
        self.read(|tx| {
            let l = need_env(tx, project, left)?;
            let r = need_env(tx, project, right)?;
            let mut keys: BTreeMap<&str, (Option<&Variable>, Option<&Variable>)> = BTreeMap::new();
            for v in &l.variables {
                keys.entry(v.key.as_str()).or_default().0 = Some(v);
            }
            for v in &r.variables {
                keys.entry(v.key.as_str()).or_default().1 = Some(v);
            }
            Ok(keys
                .into_iter()
                .map(|(key, (lv, rv))| {
                    let (left, left_hash) = side(lv);
                    let (right, right_hash) = side(rv);
                    let equal = match (lv, rv) {
                        (Some(a), Some(b)) if a.secret && b.secret => left_hash == right_hash,
                        (Some(a), Some(b)) => !a.secret && !b.secret && a.value == b.value,
                        _ => false,
                    };
                    VariableDiff {
                        key: key.to_owned(),
                        left,
                        right,
                        secret: lv.is_some_and(|v| v.secret) || rv.is_some_and(|v| v.secret),
                        equal,
                    }
                })
                .collect())
        })
    }
}
