//! Post-deployment verification: the host reports health checks of a live deployment; crossing a
//! threshold of the environment's policy (`policy.health`, defaulting to the Open Policy Platform
//! process) rolls the deployment back automatically to what it replaced, audited with the trigger
//! and the figures, and moves the environment's health (`healthy | degraded | down`).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::records::{self, Kind};
use super::{Engine, need_deployment, need_env, record};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::model::{Actor, Deployment, DeploymentStatus, Health};
use crate::policy::HealthPolicy;
use crate::store::StoreTx;

use super::lifecycle::RollbackOptions;

/// The actor automatic rollbacks are recorded under; its authority is the policy's
/// `health.auto_rollback`.
pub const HEALTH_ACTOR: &str = "deploygov:health";

/// One health check of a live deployment, as the host's monitoring measured it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthReport {
    /// Whether the check passed (smoke test, probe).
    pub ok: bool,
    /// Fraction of failed requests, 0 to 1.
    #[serde(default)]
    pub error_rate: Option<f64>,
    /// 95th percentile latency in milliseconds.
    #[serde(default)]
    pub p95_latency_ms: Option<f64>,
}

/// A stored health check with what the engine made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// Id (UUIDv7).
    pub id: String,
    /// The deployment checked.
    pub deployment_id: String,
    /// Its environment.
    pub environment: String,
    /// When it was reported.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who reported it.
    pub reported_by: String,
    /// The figures.
    pub report: HealthReport,
    /// Failed checks in a row, this one included (0 when it passed).
    pub consecutive_failures: u32,
    /// p95 latency of the deployment this one replaced (its last passing check; for a replaced
    /// rollback, of the deployment it restored), if known.
    pub baseline_p95_ms: Option<f64>,
    /// The thresholds crossed, one sentence each (empty: none).
    pub breaches: Vec<String>,
}

impl Kind for HealthCheck {
    const KIND: &'static str = "health_check";
    fn id(&self) -> &str {
        &self.id
    }
    fn scope(&self) -> String {
        self.deployment_id.clone()
    }
}

/// What [`Engine::report_health`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthOutcome {
    /// The stored check.
    pub check: HealthCheck,
    /// The environment's health after it.
    pub health: Health,
    /// The automatic rollback, when a threshold was crossed and the policy rolls back.
    pub rollback: Option<Deployment>,
    /// Why an automatic rollback could not be made (nothing earlier to return to, ...).
    pub rollback_error: Option<String>,
}

fn check_report(r: &HealthReport) -> Result<()> {
    if let Some(v) = r.error_rate
        && !(v.is_finite() && (0.0..=1.0).contains(&v))
    {
        return Err(Error::invalid_input(format!("error_rate must be between 0 and 1, got `{v}`")));
    }
    if let Some(v) = r.p95_latency_ms
        && !(v.is_finite() && v >= 0.0)
    {
        return Err(Error::invalid_input(format!("p95_latency_ms must be a non-negative number, got `{v}`")));
    }
    Ok(())
}

/// The last check of a deployment, and its last passing p95.
fn history(tx: &dyn StoreTx, project: &str, deployment_id: &str) -> Result<(Option<HealthCheck>, Option<f64>)> {
    let (mut last, mut p95) = (None, None);
    records::each::<HealthCheck>(tx, project, Some(deployment_id), |c| {
        if c.report.ok && c.breaches.is_empty() && c.report.p95_latency_ms.is_some() {
            p95 = c.report.p95_latency_ms;
        }
        last = Some(c);
        Ok(true)
    })?;
    Ok((last, p95))
}

/// The baseline p95 of `d`: the last passing p95 of the deployment it replaced; when that one
/// has none and is a rollback, of the deployment the rollback restored (at most a few hops).
fn baseline(tx: &dyn StoreTx, project: &str, d: &Deployment) -> Result<Option<f64>> {
    let mut next = d.items.iter().find_map(|i| i.previous_deployment_id.clone());
    for _ in 0..4 {
        let Some(id) = next else { return Ok(None) };
        if let Some(p95) = history(tx, project, &id)?.1 {
            return Ok(Some(p95));
        }
        next = need_deployment(tx, project, &id)?.rollback_to;
    }
    Ok(None)
}

/// The thresholds `check` crosses under `policy`.
fn breaches(policy: &HealthPolicy, report: &HealthReport, consecutive: u32, baseline: Option<f64>) -> Vec<String> {
    let mut out = Vec::new();
    if consecutive > policy.max_consecutive_failures {
        out.push(format!("{consecutive} consecutive failed checks, more than {}", policy.max_consecutive_failures));
    }
    if let Some(rate) = report.error_rate
        && rate > policy.max_error_rate
    {
        out.push(format!("error rate {rate} above {}", policy.max_error_rate));
    }
    if let (Some(p95), Some(base)) = (report.p95_latency_ms, baseline)
        && p95 > base * policy.max_latency_ratio
    {
        out.push(format!("p95 latency {p95} ms above {} × the baseline {base} ms", policy.max_latency_ratio));
    }
    out
}

impl Engine {
    /// Records a health check of a live (`deployed`) deployment. More than
    /// `max_consecutive_failures` failed checks in a row, an error rate above `max_error_rate`, or
    /// a p95 latency above `max_latency_ratio` times the replaced deployment's baseline is a
    /// breach: the environment goes `down`, the breach is audited with its figures, and unless
    /// the policy turns `auto_rollback` off the deployment is rolled back at once (as
    /// [`HEALTH_ACTOR`], through the environment's rollback policy, with `executor`). A failed
    /// check below the thresholds makes the environment `degraded`; a passing one `healthy`.
    /// Any actor may report: the host decides who its monitoring is.
    pub fn report_health(
        &self,
        project: &str,
        deployment_id: &str,
        report: &HealthReport,
        actor: &Actor,
        executor: &dyn Executor,
    ) -> Result<HealthOutcome> {
        actor.check()?;
        check_report(report)?;
        let now = self.now();
        let (check, health, auto) = self.write(|tx| {
            let d = need_deployment(tx, project, deployment_id)?;
            if d.status != DeploymentStatus::Deployed {
                return Err(Error::InvalidTransition { action: "report health of", from: d.status, to: None });
            }
            let mut env = need_env(tx, project, &d.environment)?;
            let (last, _) = history(tx, project, &d.id)?;
            let consecutive = if report.ok { 0 } else { last.map_or(0, |c| c.consecutive_failures) + 1 };
            let baseline = baseline(tx, project, &d)?;
            let policy = env.policy.health.clone();
            let found = breaches(&policy, report, consecutive, baseline);
            let check = HealthCheck {
                id: uuid::Uuid::now_v7().to_string(),
                deployment_id: d.id.clone(),
                environment: d.environment.clone(),
                at: now,
                reported_by: actor.id.clone(),
                report: report.clone(),
                consecutive_failures: consecutive,
                baseline_p95_ms: baseline,
                breaches: found.clone(),
            };
            records::put(tx, project, &check)?;
            let health = if !found.is_empty() {
                Health::Down
            } else if report.ok {
                Health::Healthy
            } else {
                Health::Degraded
            };
            if !found.is_empty() {
                let after = json!({ "check": super::snapshot(&check), "auto_rollback": policy.auto_rollback });
                let why = found.join("; ");
                record(
                    tx,
                    now,
                    &actor.id,
                    "deployment.verification_failed",
                    project,
                    ("deployment", &d.id),
                    json!(null),
                    after,
                    Some(&why),
                )?;
            }
            if env.health != health {
                let before = json!(env.health);
                let rev = env.revision;
                env.health = health;
                env.revision += 1;
                tx.update_environment(&env, rev)?;
                let obj = ("environment", env.name.as_str());
                record(
                    tx,
                    now,
                    &actor.id,
                    "environment.health_changed",
                    project,
                    obj,
                    before,
                    json!(health),
                    Some(&format!("health check of `{}`", d.id)),
                )?;
            }
            let auto = (!found.is_empty() && policy.auto_rollback).then(|| (found.join("; "), env.policy.rollback.roles.clone()));
            Ok((check, health, auto))
        })?;
        let (mut rollback, mut rollback_error) = (None, None);
        if let Some((why, roles)) = auto {
            let system = Actor { id: HEALTH_ACTOR.to_owned(), roles };
            let opts = RollbackOptions { target: None, reason: format!("automatic rollback: {why}") };
            match self.rollback_as(project, deployment_id, &system, executor, &opts) {
                Ok(r) => rollback = Some(r),
                Err(e) => rollback_error = Some(e.to_string()),
            }
        }
        Ok(HealthOutcome { check, health, rollback, rollback_error })
    }

    /// The health checks of a deployment, oldest first.
    pub fn health_checks(&self, project: &str, deployment_id: &str) -> Result<Vec<HealthCheck>> {
        self.read(|tx| {
            need_deployment(tx, project, deployment_id)?;
            let mut out = Vec::new();
            records::each::<HealthCheck>(tx, project, Some(deployment_id), |c| {
                out.push(c);
                Ok(true)
            })?;
            Ok(out)
        })
    }
}
