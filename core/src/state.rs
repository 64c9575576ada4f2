//! The deployment state machine: the one table of legal transitions.

use crate::error::{Error, Result};
use crate::model::DeploymentStatus::{self, *};

/// Every legal `(from, to)` transition. Anything else is `invalid_transition`.
///
/// - `pending → approved`: every approval rule met (or automatic).
/// - `pending|approved → rejected | cancelled`.
/// - `approved → pending`: the content changed (environment config) and approvals were voided.
/// - `approved → deploying`; `pending → deploying` only by audited break-glass.
/// - `deploying → deployed | failed`; `deploying → paused` when an item fails under a `pause`
///   policy, then `paused → deploying` (retry or skip the item) or `paused → failed` (abort).
/// - `deployed → superseded` (all items replaced) or `rolled_back` (a rollback replaced it).
pub const TRANSITIONS: &[(DeploymentStatus, DeploymentStatus)] = &[
    (Pending, Approved),
    (Pending, Rejected),
    (Pending, Cancelled),
    (Pending, Deploying),
    (Approved, Pending),
    (Approved, Rejected),
    (Approved, Cancelled),
    (Approved, Deploying),
    (Deploying, Deployed),
    (Deploying, Failed),
    (Deploying, Paused),
    (Paused, Deploying),
    (Paused, Failed),
    (Deployed, Superseded),
    (Deployed, RolledBack),
];

/// Whether `from → to` is legal.
pub fn allowed(from: DeploymentStatus, to: DeploymentStatus) -> bool {
    TRANSITIONS.contains(&(from, to))
}

/// Checks `from → to` for the command `action`, naming both states when refused.
pub fn check(action: &'static str, from: DeploymentStatus, to: DeploymentStatus) -> Result<()> {
    if allowed(from, to) { Ok(()) } else { Err(Error::InvalidTransition { action, from, to: Some(to) }) }
}

/// Whether no transition leaves `status`.
pub fn is_terminal(status: DeploymentStatus) -> bool {
    !TRANSITIONS.iter().any(|(f, _)| *f == status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states() {
        for s in [Rejected, Cancelled, Failed, Superseded, RolledBack] {
            assert!(is_terminal(s), "{s}");
        }
        for s in [Pending, Approved, Deploying, Paused, Deployed] {
            assert!(!is_terminal(s), "{s}");
        }
    }

    #[test]
    fn refusal_names_both_states() {
        let e = check("execute", Deployed, Deploying).unwrap_err();
        assert_eq!(e.to_string(), "cannot execute a deployment that is `deployed` (to `deploying`)");
    }
}
