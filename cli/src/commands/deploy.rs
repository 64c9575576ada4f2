//! `deploy request|approve|reject|cancel|execute|promote|rollback|show|list|check`.
//!
//! `execute` and `rollback` pass the core's `NoopExecutor`: the CLI records the decision and
//! moves the active state; the host application performs the real activation.

use deploygov::{
    Action, ApproveOptions, Completion, Deployment, DeploymentFilter, DeploymentRequest, DeploymentStatus, ExecuteOptions, HealthReport,
    ItemSpec, NoopExecutor, ResumeDecision, RiskLevel, RollbackOptions,
};

use crate::args::{DeployCmd, ListArgs, RequestArgs};
use crate::context::{Ctx, parse_entity, parse_enum, parse_opt_time, parse_version, read_json};
use crate::error::{CliError, CliResult, EXIT_BASE};
use crate::output::{self, Table};

/// Runs a `deploy` command; returns the exit code.
pub fn run(ctx: &Ctx, cmd: DeployCmd) -> CliResult<i32> {
    let project = ctx.project()?;
    let e = &ctx.engine;
    let d = match cmd {
        DeployCmd::Request(args) => e.request_deployment(project, &request(args)?, &ctx.actor()?)?,
        DeployCmd::Approve { id, comment, rule, freeze_override } => {
            e.approve(project, &id, &ctx.actor()?, &ApproveOptions { comment, rule, freeze_override_reason: freeze_override })?
        }
        DeployCmd::Reject { id, reason } => e.reject(project, &id, &ctx.actor()?, &reason)?,
        DeployCmd::Cancel { id, reason } => e.cancel(project, &id, &ctx.actor()?, reason.as_deref())?,
        DeployCmd::Execute { id, break_glass, freeze_override } => {
            let opts = ExecuteOptions { break_glass_reason: break_glass, freeze_override_reason: freeze_override };
            e.execute(project, &id, &ctx.actor()?, &NoopExecutor, &opts)?
        }
        DeployCmd::Begin { id, break_glass, freeze_override } => {
            let opts = ExecuteOptions { break_glass_reason: break_glass, freeze_override_reason: freeze_override };
            e.begin(project, &id, &ctx.actor()?, &opts)?
        }
        DeployCmd::Log { id, stage, line } => {
            let seq = e.log(project, &id, &stage, &line)?;
            return if ctx.json() { output::json(&serde_json::json!({ "seq": seq })) } else { output::line(&format!("logged at {seq}")) }
                .map(|()| 0);
        }
        DeployCmd::Heartbeat { id } => e.heartbeat(project, &id, &ctx.actor()?)?,
        DeployCmd::Complete { id, success: _, failure, failed_item } => {
            let completion = match failure {
                Some(error) => Completion::Failure { error, failed_item },
                None => Completion::Success,
            };
            e.complete(project, &id, &ctx.actor()?, &completion)?
        }
        DeployCmd::Resume { id, decision, reason } => {
            let decision: ResumeDecision = parse_enum(&decision)?;
            e.resume(project, &id, &ctx.actor()?, &NoopExecutor, decision, reason.as_deref())?
        }
        DeployCmd::Health { id, ok, failing: _, error_rate, p95_ms } => {
            let report = HealthReport { ok, error_rate, p95_latency_ms: p95_ms };
            let outcome = e.report_health(project, &id, &report, &ctx.actor()?, &NoopExecutor)?;
            if ctx.json() {
                return output::json(&outcome).map(|()| 0);
            }
            output::line(&format!("environment `{}` is now {}", outcome.check.environment, outcome.health))?;
            for b in &outcome.check.breaches {
                output::line(&format!("breach: {b}"))?;
            }
            if let Some(err) = &outcome.rollback_error {
                output::line(&format!("automatic rollback not possible: {err}"))?;
            }
            return match &outcome.rollback {
                Some(r) => {
                    output::line("rolled back automatically:")?;
                    show(ctx, r).map(|()| 0)
                }
                None => Ok(0),
            };
        }
        DeployCmd::HealthChecks { id } => {
            let checks = e.health_checks(project, &id)?;
            if ctx.json() {
                return output::json(&checks).map(|()| 0);
            }
            let mut t = Table::new(&["at", "by", "ok", "error rate", "p95 ms", "failures in a row", "breaches"]);
            for c in &checks {
                t.row(vec![
                    output::time(&c.at),
                    c.reported_by.clone(),
                    if c.report.ok { "yes".into() } else { "no".into() },
                    c.report.error_rate.map(|v| format!("{v}")).unwrap_or_else(|| "-".into()),
                    c.report.p95_latency_ms.map(|v| format!("{v}")).unwrap_or_else(|| "-".into()),
                    c.consecutive_failures.to_string(),
                    c.breaches.join("; "),
                ]);
            }
            return t.print("no health checks reported").map(|()| 0);
        }
        DeployCmd::Promote { id, to } => e.promote(project, &id, &to, &ctx.actor()?)?,
        DeployCmd::Rollback { id, reason, target } => {
            e.rollback(project, &id, &ctx.actor()?, &NoopExecutor, &RollbackOptions { target, reason })?
        }
        DeployCmd::Show { id } => e.get_deployment(project, &id)?,
        DeployCmd::List(args) => return list(ctx, project, args).map(|()| 0),
        DeployCmd::Check { id, action } => return check(ctx, project, &id, &action),
        DeployCmd::Logs { id, after, follow, interval_ms } => return logs(ctx, project, &id, after, follow, interval_ms).map(|()| 0),
    };
    show(ctx, &d)?;
    Ok(0)
}

/// Builds the request from the flags or the JSON file.
fn request(args: RequestArgs) -> CliResult<DeploymentRequest> {
    if let Some(file) = &args.file {
        return read_json("deployment request", file);
    }
    let default_risk: RiskLevel = parse_enum(&args.risk)?;
    if args.items.is_empty() {
        return Err(CliError::input("a deployment needs at least one item", "pass --item TYPE/ID@TAG (repeatable) or --file REQUEST.json"));
    }
    let mut items = Vec::with_capacity(args.items.len());
    for text in &args.items {
        items.push(item(text, default_risk, args.message.clone())?);
    }
    Ok(DeploymentRequest {
        environment: args.environment.unwrap_or_default(),
        name: args.name.unwrap_or_default(),
        description: args.description,
        items,
        idempotency_key: args.idempotency_key,
        scheduled_for: parse_opt_time("--scheduled-for", args.scheduled_for.as_deref())?,
        expires_at: parse_opt_time("--expires-at", args.expires_at.as_deref())?,
    })
}

/// Parses `TYPE/ID@TAG` or `TYPE/ID@TAG:RISK`.
fn item(text: &str, default_risk: RiskLevel, change_message: Option<String>) -> CliResult<ItemSpec> {
    let (version, risk) = match text.rsplit_once('@').and_then(|(_, tag)| tag.rsplit_once(':')) {
        Some((_, risk)) => (text.get(..text.len() - risk.len() - 1).unwrap_or(text), parse_enum::<RiskLevel>(risk)?),
        None => (text, default_risk),
    };
    let (entity_type, entity_id, version_tag) = parse_version(version)?;
    Ok(ItemSpec { entity_type, entity_id, version_tag, change_message, risk })
}

fn list(ctx: &Ctx, project: &str, args: ListArgs) -> CliResult<()> {
    let (entity_type, entity_id) = match &args.entity {
        Some(text) => parse_entity(text).map(|(t, id)| (Some(t), Some(id)))?,
        None => (None, None),
    };
    let filter = DeploymentFilter {
        environment: args.environment,
        status: args.status.as_deref().map(parse_enum::<DeploymentStatus>).transpose()?,
        entity_type,
        entity_id,
        requested_by: args.requested_by,
        requested_after: parse_opt_time("--after", args.after.as_deref())?,
        requested_before: parse_opt_time("--before", args.before.as_deref())?,
        cursor: args.cursor,
        limit: args.limit,
    };
    let page = ctx.engine.list_deployments(project, &filter)?;
    if ctx.json() {
        return output::json(&page);
    }
    let mut t = Table::new(&["id", "environment", "name", "kind", "status", "risk", "requested", "by"]);
    for d in &page.items {
        t.row(vec![
            d.id.clone(),
            d.environment.clone(),
            d.name.clone(),
            d.kind.to_string(),
            d.status.to_string(),
            d.risk.to_string(),
            output::time(&d.requested_at),
            d.requested_by.clone(),
        ]);
    }
    t.print("no deployments match")?;
    if let Some(c) = &page.next_cursor {
        output::line(&format!("more: --cursor {c}"))?;
    }
    Ok(())
}

/// `deploy logs [--follow]`: pages through the stage log; with `--follow`, polls while the
/// deployment is running and stops once it has ended and the log is drained.
fn logs(ctx: &Ctx, project: &str, id: &str, after: i64, follow: bool, interval_ms: u64) -> CliResult<()> {
    let mut cursor = after;
    let mut warned = false;
    loop {
        let page = ctx.engine.deployment_logs(project, id, cursor, None)?;
        if page.dropped > 0 && !warned && !ctx.json() {
            output::line(&format!("({} older line(s) were dropped to keep the log bounded)", page.dropped))?;
            warned = true;
        }
        for l in &page.lines {
            if ctx.json() {
                output::json_line(l)?;
            } else {
                output::line(&format!("{}  {:<10} {}", output::time(&l.at), l.stage, l.line))?;
            }
        }
        cursor = page.next_cursor;
        match (page.lines.is_empty(), follow && page.open) {
            (false, _) => {}
            (true, true) => std::thread::sleep(std::time::Duration::from_millis(interval_ms)),
            (true, false) => return Ok(()),
        }
    }
}

fn check(ctx: &Ctx, project: &str, id: &str, action: &str) -> CliResult<i32> {
    let action: Action = parse_enum(action)?;
    let dry = ctx.engine.check(project, id, &ctx.actor()?, action)?;
    let code = dry.blockers.first().map(|b| EXIT_BASE + b.code.as_i32()).unwrap_or(0);
    if ctx.json() {
        output::json(&dry)?;
        return Ok(code);
    }
    if dry.allowed {
        output::line(&format!("{action}: allowed now"))?;
    } else {
        output::line(&format!("{action}: refused now"))?;
        for b in &dry.blockers {
            output::line(&format!("  [{}] {}", b.code, b.message))?;
        }
    }
    Ok(code)
}

/// Prints one deployment: its fields, items, approvals and warnings.
pub fn show(ctx: &Ctx, d: &Deployment) -> CliResult<()> {
    if ctx.json() {
        return output::json(d);
    }
    let decision = |x: &Option<deploygov::Decision>| {
        x.as_ref().map(|x| format!("{} at {} ({})", x.actor_id, output::time(&x.at), x.reason.as_deref().unwrap_or("-")))
    };
    let mut pairs = vec![
        ("deployment", d.id.clone()),
        ("name", d.name.clone()),
        ("environment", d.environment.clone()),
        ("kind", d.kind.to_string()),
        ("status", d.status.to_string()),
        ("risk", d.risk.to_string()),
        ("requested", format!("{} by {}", output::time(&d.requested_at), d.requested_by)),
    ];
    let optional = [
        ("executed by", d.executed_by.clone()),
        ("deployed", d.deployed_at.as_ref().map(output::time)),
        ("finished", d.finished_at.as_ref().map(output::time)),
        ("rejected", decision(&d.rejection)),
        ("cancelled", decision(&d.cancellation)),
        ("break glass", decision(&d.break_glass)),
        ("rolled back", decision(&d.rolled_back)),
        ("rollback of", d.rollback_of.clone()),
        ("rollback to", d.rollback_to.clone()),
        ("promoted from", d.promoted_from.clone()),
        ("scheduled for", d.scheduled_for.as_ref().map(output::time)),
        ("expires at", d.expires_at.as_ref().map(output::time)),
        ("description", d.description.clone()),
    ];
    pairs.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    output::fields(&pairs)?;
    let mut items = Table::new(&["entity", "version", "previous", "risk", "status", "error"]);
    for i in &d.items {
        items.row(vec![
            format!("{}/{}", i.entity_type, i.entity_id),
            i.version_tag.clone().unwrap_or_else(|| "(removed)".into()),
            output::opt(i.previous_version.as_deref()),
            i.risk.to_string(),
            i.status.to_string(),
            output::opt(i.error_message.as_deref()),
        ]);
    }
    output::line("")?;
    items.print("no items")?;
    if !d.approvals.is_empty() {
        let mut t = Table::new(&["approved by", "rule", "at", "comment"]);
        for a in &d.approvals {
            t.row(vec![a.actor_id.clone(), a.rule.clone(), output::time(&a.at), output::opt(a.comment.as_deref())]);
        }
        output::line("")?;
        t.print("")?;
    }
    for w in &d.warnings {
        output::line(&format!("warning [{}]: {}", w.code, w.message))?;
    }
    Ok(())
}
