//! `report compliance --since` and `report metrics ENV --since`.

use chrono::Utc;

use crate::args::ReportCmd;
use crate::context::{Ctx, parse_opt_time, parse_time};
use crate::error::CliResult;
use crate::output::{self, Table};

/// Runs a `report` command.
pub fn run(ctx: &Ctx, cmd: ReportCmd) -> CliResult<()> {
    let project = ctx.project()?;
    match cmd {
        ReportCmd::Compliance { since, until, environment, csv } => {
            let from = parse_time("--since", &since)?;
            let to = parse_opt_time("--until", until.as_deref())?.unwrap_or_else(Utc::now);
            let r = ctx.engine.compliance_report(project, from, to, environment.as_deref())?;
            if ctx.json() {
                return output::json(&r);
            }
            if csv {
                return output::emit(&r.to_csv());
            }
            output::line(&format!(
                "compliance report of `{}` for {}, requested {} to {} (UTC)",
                r.project_id,
                if r.environments.is_empty() { "no governed environment".to_owned() } else { r.environments.join(", ") },
                output::time(&r.from),
                output::time(&r.to)
            ))?;
            let mut t =
                Table::new(&["requested", "environment", "name", "kind", "status", "requested by", "approved by", "executed by", "notes"]);
            for e in &r.entries {
                let mut notes = Vec::new();
                if let Some(b) = &e.break_glass {
                    notes.push(format!("break glass by {} ({})", b.actor_id, b.reason.as_deref().unwrap_or("-")));
                }
                if let Some(rb) = &e.rolled_back {
                    notes.push(format!("rolled back by {}", rb.actor_id));
                }
                if let Some(of) = &e.rollback_of {
                    notes.push(format!("rollback of {of}"));
                }
                if let Some(x) = &e.refused {
                    notes.push(format!("refused by {} ({})", x.actor_id, x.reason.as_deref().unwrap_or("-")));
                }
                notes.extend(e.failures.iter().cloned());
                t.row(vec![
                    output::time(&e.requested_at),
                    e.environment.clone(),
                    e.name.clone(),
                    e.kind.to_string(),
                    e.status.to_string(),
                    e.requested_by.clone(),
                    if e.auto_approved { "(automatic)".into() } else { e.approvers.join(", ") },
                    output::opt(e.executed_by.as_deref()),
                    notes.join("; "),
                ]);
            }
            t.print("no deployments were requested in that range")
        }
        ReportCmd::Metrics { environment, since, until } => {
            let from = parse_time("--since", &since)?;
            let to = parse_opt_time("--until", until.as_deref())?.unwrap_or_else(Utc::now);
            let m = ctx.engine.environment_metrics(project, &environment, from, to)?;
            if ctx.json() {
                return output::json(&m);
            }
            let pct = |v: Option<f64>| v.map(|v| format!("{:.1} %", v * 100.0)).unwrap_or_else(|| "-".into());
            let secs = |v: Option<f64>| v.map(|v| format!("{v:.1} s")).unwrap_or_else(|| "-".into());
            output::fields(&[
                ("environment", m.environment.clone()),
                ("range", format!("{} to {} (UTC)", output::time(&m.from), output::time(&m.to))),
                ("finished", m.deployments_finished.to_string()),
                ("succeeded", m.succeeded.to_string()),
                ("failed", m.failed.to_string()),
                ("rolled back", m.rolled_back.to_string()),
                ("success rate", pct(m.success_rate)),
                ("change failure rate", pct(m.change_failure_rate)),
                ("mean time to deploy", secs(m.mean_time_to_deploy_seconds)),
                ("mean time to roll back", secs(m.mean_time_to_roll_back_seconds)),
            ])
        }
    }
}
