//! Reports over a time range: the compliance report and per-environment delivery metrics. Both
//! select deployments by `requested_at` in `[from, to)` (an indexed filter, so a range reads
//! only its own pages) and stream them in bounded pages.

use chrono::{DateTime, Utc};

use super::{Engine, need_env, need_project};
use crate::error::{Error, Result};
use crate::model::{AUTO_APPROVER, Deployment, DeploymentFilter, DeploymentKind, DeploymentStatus};
use crate::records::{ComplianceEntry, ComplianceReport, EnvironmentMetrics, ReportItem};
use crate::store::StoreTx;

/// Page size of the scans.
const PAGE: u32 = 200;

fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<()> {
    if from >= to {
        return Err(Error::invalid_input(format!("the range is empty: `from` `{from}` is not before `to` `{to}`")));
    }
    Ok(())
}

/// Calls `f` on every deployment of `environment` requested in `[from, to)`, newest first, a
/// page at a time.
fn each_requested(
    tx: &dyn StoreTx,
    project: &str,
    environment: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    mut f: impl FnMut(Deployment),
) -> Result<()> {
    let mut filter = DeploymentFilter {
        environment: Some(environment.to_owned()),
        requested_after: Some(from),
        requested_before: Some(to),
        ..Default::default()
    };
    loop {
        let page = tx.list_deployments(project, &filter, PAGE)?;
        let Some(last) = page.last() else { return Ok(()) };
        filter.cursor = Some(last.id.clone());
        page.into_iter().for_each(&mut f);
    }
}

fn entry(d: Deployment) -> ComplianceEntry {
    let mut approvers: Vec<String> = Vec::new();
    for a in d.approvals.iter().filter(|a| a.actor_id != AUTO_APPROVER && a.content_hash == d.content_hash) {
        if !approvers.contains(&a.actor_id) {
            approvers.push(a.actor_id.clone());
        }
    }
    let failures =
        d.items.iter().filter_map(|i| i.error_message.as_ref().map(|m| format!("{}/{}: {m}", i.entity_type, i.entity_id))).collect();
    ComplianceEntry {
        auto_approved: d.approvals.iter().any(|a| a.actor_id == AUTO_APPROVER),
        approvers,
        failures,
        items: d
            .items
            .into_iter()
            .map(|i| ReportItem {
                entity_type: i.entity_type,
                entity_id: i.entity_id,
                version_tag: i.version_tag,
                previous_version: i.previous_version,
            })
            .collect(),
        deployment_id: d.id,
        environment: d.environment,
        name: d.name,
        kind: d.kind,
        status: d.status,
        requested_by: d.requested_by,
        requested_at: d.requested_at,
        executed_by: d.executed_by,
        finished_at: d.finished_at,
        deployed_at: d.deployed_at,
        break_glass: d.break_glass,
        rollback_of: d.rollback_of,
        rollback_to: d.rollback_to,
        rolled_back: d.rolled_back,
        refused: d.rejection.or(d.cancellation),
    }
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).as_seconds_f64()
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

fn mean(sum: f64, n: u64) -> Option<f64> {
    (n > 0).then(|| sum / n as f64)
}

impl Engine {
    /// Every deployment requested in `[from, to)` to the governed environments of a project:
    /// with `environment`, that one environment; without, every environment whose policy (as it
    /// stands now) has approval rules, i.e. the production-like ones. Each entry holds the
    /// items, requester, approvers, executor, break-glass use, rollback links, rejection or
    /// cancellation and the failures; entries are ordered by request time. Requests that never
    /// ran (pending, rejected, cancelled) are included with their status, so the report also
    /// shows what was refused. `from` must be before `to` (`invalid_input`).
    pub fn compliance_report(
        &self,
        project: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        environment: Option<&str>,
    ) -> Result<ComplianceReport> {
        check_range(from, to)?;
        let now = self.now();
        self.read(|tx| {
            need_project(tx, project)?;
            let envs: Vec<String> = match environment {
                Some(e) => vec![need_env(tx, project, e)?.name],
                None => tx.environments(project)?.into_iter().filter(|e| !e.policy.approval_rules.is_empty()).map(|e| e.name).collect(),
            };
            let mut entries = Vec::new();
            for env in &envs {
                each_requested(tx, project, env, (from, to), |d| entries.push(entry(d)))?;
            }
            entries.sort_by(|a, b| (a.requested_at, &a.deployment_id).cmp(&(b.requested_at, &b.deployment_id)));
            Ok(ComplianceReport { project_id: project.to_owned(), environments: envs, from, to, generated_at: now, entries })
        })
    }

    /// Delivery figures of one environment for the deployments of kind `deploy` or `promotion`
    /// requested in `[from, to)` (rollback deployments are remedies, not changes):
    /// - `deployments_finished` = `succeeded` (went live: `deployed`, `superseded` or
    ///   `rolled_back` now) + `failed`; `rolled_back` counts those that went live and were
    ///   rolled back later;
    /// - `success_rate` = succeeded / finished;
    /// - `mean_time_to_deploy_seconds`: request to going live, over those that went live;
    /// - `mean_time_to_roll_back_seconds`: going live to the rollback going live, over the
    ///   rolled-back ones;
    /// - `change_failure_rate` = (failed + rolled_back) / finished.
    ///
    /// Rates and means are `None` when there is nothing to divide by. `from` must be before `to`.
    pub fn environment_metrics(
        &self,
        project: &str,
        environment: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<EnvironmentMetrics> {
        check_range(from, to)?;
        self.read(|tx| {
            let env = need_env(tx, project, environment)?;
            let (mut succeeded, mut failed, mut rolled_back) = (0u64, 0u64, 0u64);
            let (mut deploy_sum, mut rollback_sum, mut rollback_n) = (0.0, 0.0, 0u64);
            each_requested(tx, project, &env.name, (from, to), |d| {
                if d.kind == DeploymentKind::Rollback {
                    return;
                }
                if let Some(live) = d.deployed_at {
                    succeeded += 1;
                    deploy_sum += seconds(d.requested_at, live);
                    if d.status == DeploymentStatus::RolledBack {
                        rolled_back += 1;
                        if let Some(back) = d.rolled_back_at {
                            rollback_sum += seconds(live, back);
                            rollback_n += 1;
                        }
                    }
                } else if d.status == DeploymentStatus::Failed {
                    failed += 1;
                }
            })?;
            let finished = succeeded + failed;
            Ok(EnvironmentMetrics {
                environment: env.name,
                from,
                to,
                deployments_finished: finished,
                succeeded,
                failed,
                rolled_back,
                success_rate: ratio(succeeded, finished),
                mean_time_to_deploy_seconds: mean(deploy_sum, succeeded),
                mean_time_to_roll_back_seconds: mean(rollback_sum, rollback_n),
                change_failure_rate: ratio(failed + rolled_back, finished),
            })
        })
    }
}
