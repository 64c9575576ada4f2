//! What is live: `status`, `history`, `live-at`; and the housekeeping calls `sweep`, `due`,
//! `lease release`.

use deploygov::{ActiveEntry, ErrorCode};

use crate::args::LeaseCmd;
use crate::context::{Ctx, parse_entity, parse_time};
use crate::error::{CliError, CliResult};
use crate::output::{self, Table};

/// `status`: everything live in every environment of the project, one table.
pub fn status(ctx: &Ctx) -> CliResult<()> {
    let project = ctx.project()?;
    let envs = ctx.engine.list_environments(project)?;
    let mut all: Vec<(String, Vec<ActiveEntry>)> = Vec::with_capacity(envs.len());
    for env in envs {
        let live = ctx.engine.active_state(project, &env.name)?;
        all.push((env.name, live));
    }
    if ctx.json() {
        let v: Vec<serde_json::Value> = all.iter().map(|(env, live)| serde_json::json!({ "environment": env, "live": live })).collect();
        return output::json(&v);
    }
    let mut t = Table::new(&["environment", "entity", "version", "since", "deployment"]);
    for (env, live) in &all {
        if live.is_empty() {
            t.row(vec![env.clone(), "(nothing live)".into()]);
        }
        for a in live {
            t.row(vec![
                env.clone(),
                format!("{}/{}", a.entity_type, a.entity_id),
                a.version_tag.clone(),
                output::time(&a.since),
                a.deployment_id.clone(),
            ]);
        }
    }
    t.print(&format!("project `{project}` has no environments"))
}

/// `live ENV TYPE/ID`: the tag alone (for scripts), or the entry as JSON.
pub fn live(ctx: &Ctx, environment: &str, entity: &str) -> CliResult<()> {
    let (t, id) = parse_entity(entity)?;
    let project = ctx.project()?;
    let found = if ctx.json() {
        ctx.engine.active_version(project, environment, &t, &id)?.map(|a| output::json(&a))
    } else {
        ctx.engine.active_version_tag(project, environment, &t, &id)?.map(|tag| output::line(&tag))
    };
    match found {
        Some(printed) => printed,
        None => Err(CliError::kind(
            ErrorCode::NotFound,
            format!("nothing is live for `{entity}` in `{environment}`"),
            "`deploygov status` shows what is live; `deploygov history TYPE/ID` what was",
        )),
    }
}

/// `history TYPE/ID`.
pub fn history(ctx: &Ctx, entity: &str, limit: Option<u32>) -> CliResult<()> {
    let (t, id) = parse_entity(entity)?;
    let list = ctx.engine.entity_history(ctx.project()?, &t, &id, limit)?;
    if ctx.json() {
        return output::json(&list);
    }
    let mut table = Table::new(&["at", "environment", "version", "deployment"]);
    for h in &list {
        table.row(vec![
            output::time(&h.at),
            h.environment.clone(),
            h.version_tag.clone().unwrap_or_else(|| "(removed)".into()),
            h.deployment_id.clone(),
        ]);
    }
    table.print(&format!("`{entity}` has never been live"))
}

/// `live-at ENV TIME [--deployments]`.
pub fn live_at(ctx: &Ctx, environment: &str, at: &str, deployments: bool) -> CliResult<()> {
    let project = ctx.project()?;
    let at = parse_time("time", at)?;
    if deployments {
        let list = ctx.engine.deployments_live_at(project, environment, at)?;
        if ctx.json() {
            return output::json(&list);
        }
        let mut t = Table::new(&["id", "name", "status", "requested by", "executed by", "approved by"]);
        for d in &list {
            let approvers: Vec<&str> =
                d.approvals.iter().filter(|a| a.actor_id != deploygov::AUTO_APPROVER).map(|a| a.actor_id.as_str()).collect();
            t.row(vec![
                d.id.clone(),
                d.name.clone(),
                d.status.to_string(),
                d.requested_by.clone(),
                output::opt(d.executed_by.as_deref()),
                approvers.join(", "),
            ]);
        }
        return t.print(&format!("nothing was live in `{environment}` at {}", output::time(&at)));
    }
    let list = ctx.engine.active_state_at(project, environment, at)?;
    if ctx.json() {
        return output::json(&list);
    }
    let mut t = Table::new(&["entity", "version", "since", "deployment", "requested by", "approved by", "executed by"]);
    for l in &list {
        t.row(vec![
            format!("{}/{}", l.entity_type, l.entity_id),
            l.version_tag.clone(),
            output::time(&l.since),
            l.deployment_id.clone(),
            l.requested_by.clone(),
            if l.approved_by.is_empty() { "(automatic)".into() } else { l.approved_by.join(", ") },
            output::opt(l.executed_by.as_deref()),
        ]);
    }
    t.print(&format!("nothing was live in `{environment}` at {}", output::time(&at)))
}

/// `sweep` (store-wide).
pub fn sweep(ctx: &Ctx) -> CliResult<()> {
    let r = ctx.engine.sweep()?;
    if ctx.json() {
        return output::json(&r);
    }
    let mut t = Table::new(&["what", "deployment"]);
    for (what, ids) in [
        ("lease expired -> failed", &r.leases_expired),
        ("approvals expired -> pending", &r.approvals_expired),
        ("schedule expired -> cancelled", &r.schedules_expired),
    ] {
        for id in ids {
            t.row(vec![what.into(), id.clone()]);
        }
    }
    t.print("sweep: nothing to do")
}

/// `due`: approved deployments that may run now.
pub fn due(ctx: &Ctx) -> CliResult<()> {
    let list = ctx.engine.due(ctx.project()?)?;
    if ctx.json() {
        return output::json(&list);
    }
    let mut t = Table::new(&["id", "environment", "name", "scheduled for", "expires at"]);
    for d in &list {
        t.row(vec![
            d.id.clone(),
            d.environment.clone(),
            d.name.clone(),
            output::opt_time(d.scheduled_for.as_ref()),
            output::opt_time(d.expires_at.as_ref()),
        ]);
    }
    t.print("nothing is due")
}

/// `lease release ID --reason`.
pub fn lease(ctx: &Ctx, cmd: LeaseCmd) -> CliResult<()> {
    match cmd {
        LeaseCmd::Release { id, reason } => {
            let d = ctx.engine.release_lease(ctx.project()?, &id, &ctx.actor()?, &reason)?;
            super::deploy::show(ctx, &d)
        }
    }
}
