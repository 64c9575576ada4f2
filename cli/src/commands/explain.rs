//! `why DEPLOYMENT` (the dry run in words) and `pending --for ACTOR`.
//!
//! The core decides (`Engine::check` reports every blocker with its code and the approval state
//! rule by rule); this module only turns its answer into sentences.

use deploygov::{Action, ApprovalState, Blocker, Deployment, DryRun, ErrorCode, Finding};

use crate::context::{Ctx, parse_actor, parse_enum};
use crate::error::CliResult;
use crate::output::{self, Table};

/// `why`: every reason `action` would be refused now, and what would unblock each.
pub fn why(ctx: &Ctx, id: &str, action: &str) -> CliResult<()> {
    let project = ctx.project()?;
    let action: Action = parse_enum(action)?;
    let actor = ctx.actor()?;
    let d = ctx.engine.get_deployment(project, id)?;
    let dry = ctx.engine.check(project, id, &actor, action)?;
    let advice: Vec<Vec<String>> = dry.blockers.iter().map(|b| unblock(b, &dry, &d)).collect();
    if ctx.json() {
        return output::json(
            &serde_json::json!({ "deployment": d.id, "status": d.status, "actor": actor.id, "dry_run": dry, "advice": advice }),
        );
    }
    let mut out = vec![format!("deployment `{}` ({}, {}) is {}.", d.id, d.name, d.environment, d.status)];
    if dry.allowed {
        out.push(format!("{action} by `{}`: nothing blocks it; it would succeed now.", actor.id));
    } else {
        out.push(format!("{action} by `{}` is blocked by {} reason(s):", actor.id, dry.blockers.len()));
        for (n, (b, todo)) in dry.blockers.iter().zip(&advice).enumerate() {
            out.push(format!("  {}. [{}] {}", n + 1, b.code, b.message));
            for t in todo {
                out.push(format!("     to unblock: {t}"));
            }
        }
    }
    out.extend(approval_lines(&dry.approvals));
    for w in &dry.findings.warnings {
        out.push(format!("warning [{}]: {}", w.code, w.message));
    }
    output::emit(&(out.join("\n") + "\n"))
}

/// The approval state, one line per rule.
pub fn approval_lines(a: &ApprovalState) -> Vec<String> {
    if a.automatic {
        return vec!["approvals: none required (automatic)".into()];
    }
    let mut out = vec!["approvals:".to_owned()];
    for r in &a.rules {
        let who = if r.approvers.is_empty() { "nobody yet".to_owned() } else { r.approvers.join(", ") };
        let state = if r.met() { "met" } else { "not met" };
        out.push(format!(
            "  rule `{}`: {} of {} ({state}; approved by {who}; eligible roles {})",
            r.rule,
            r.granted,
            r.required,
            output::roles(&r.eligible_roles)
        ));
    }
    for v in &a.void {
        out.push(format!("  approval by `{}` no longer counts ({})", v.actor_id, v.reason.replace('_', " ")));
    }
    out
}

/// What would remove one blocker, in words.
fn unblock(b: &Blocker, dry: &DryRun, d: &Deployment) -> Vec<String> {
    match b.code {
        ErrorCode::PolicyViolation if dry.approvals.automatic => vec!["no approval applies here: execute it instead".into()],
        ErrorCode::PolicyViolation => {
            let mut out: Vec<String> = dry
                .approvals
                .rules
                .iter()
                .filter(|r| !r.met())
                .map(|r| {
                    format!(
                        "{} more approval(s) for rule `{}` from someone holding {} other than the requester `{}` and those who approved",
                        r.required.saturating_sub(r.granted),
                        r.rule,
                        output::roles(&r.eligible_roles),
                        d.requested_by
                    )
                })
                .collect();
            out.extend(
                dry.approvals
                    .void
                    .iter()
                    .map(|v| format!("`{}` approves again (their approval is {})", v.actor_id, v.reason.replace('_', " "))),
            );
            if out.is_empty() {
                out.push("an approval the policy accepts".into());
            }
            out
        }
        ErrorCode::Forbidden => vec!["run it as someone holding one of the roles named (--as ID --role ROLE)".into()],
        ErrorCode::SelfApproval => vec![format!("someone other than the requester `{}` approves (4-eyes)", d.requested_by)],
        ErrorCode::InvalidTransition => {
            vec![format!("nothing: a `{}` deployment cannot do this; request a new deployment if needed", d.status)]
        }
        ErrorCode::Conflict => {
            vec!["wait for the other execution to finish, or `deploygov lease release ID --reason ...` if it is stuck".into()]
        }
        ErrorCode::ValidationFailed => dry.findings.errors.iter().map(|f| finding_fix(f, d)).collect(),
        ErrorCode::NotFound => vec!["nothing here: the message says what is missing".into()],
        _ => vec![crate::error::hint_for(b.code).to_owned()],
    }
}

/// What fixes one validation finding, in words.
fn finding_fix(f: &Finding, d: &Deployment) -> String {
    let item = f
        .item
        .and_then(|i| d.items.get(i))
        .map(|i| format!("{}/{}@{}", i.entity_type, i.entity_id, i.version_tag.as_deref().unwrap_or("-")));
    let what = item.map(|i| format!(" ({i})")).unwrap_or_default();
    let fix = match f.code.as_str() {
        "unknown_version" => "register the version (`deploygov version register TYPE/ID@TAG`) or request an existing one",
        "version_quarantined" => "release the version (`deploygov version release`) or request another version",
        "promotion_required" => "make the version live in the environment the policy names first (`deploygov deploy promote`)",
        "missing_dependency" | "incompatible_dependency" => "make a compatible version of the dependency live first, or include it",
        "not_yet_due" => "wait until the scheduled time",
        "schedule_expired" => "request the deployment again with a new schedule",
        "outdated" => "a newer deployment is live: request a new one, or roll back explicitly",
        "environment_busy" => "wait for the running execution, or release its lease if it is stuck",
        "empty_deployment" | "duplicate_item" => "request a new deployment with distinct items",
        "environment_frozen" => "wait until the freeze window ends, or someone with a freeze override role passes --freeze-override REASON",
        _ => "fix what the finding names and request again",
    };
    format!("[{}]{what} {}: {fix}", f.code, f.message)
}

/// `pending --for ACTOR`: what that actor may approve now, with granted vs required per rule.
pub fn pending(ctx: &Ctx, for_actor: Option<&str>) -> CliResult<()> {
    let project = ctx.project()?;
    let actor = match for_actor {
        Some(text) => parse_actor(text)?,
        None => ctx.actor()?,
    };
    let list = ctx.engine.pending_approvals(project, &actor)?;
    if ctx.json() {
        return output::json(&list);
    }
    let mut t = Table::new(&["id", "environment", "name", "risk", "requested", "by", "approvals"]);
    for d in &list {
        let state = ctx.engine.check(project, &d.id, &actor, Action::Approve)?.approvals;
        let rules: Vec<String> = state.rules.iter().map(|r| format!("{} {}/{}", r.rule, r.granted, r.required)).collect();
        t.row(vec![
            d.id.clone(),
            d.environment.clone(),
            d.name.clone(),
            d.risk.to_string(),
            output::time(&d.requested_at),
            d.requested_by.clone(),
            rules.join(", "),
        ]);
    }
    t.print(&format!("nothing for `{}` to approve", actor.id))
}
