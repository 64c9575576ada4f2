//! `audit verify|export|log` and `events tail [--follow]`.

use crate::args::{AuditCmd, EventsCmd};
use crate::context::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{self, Table};

/// Page size when walking the audit trail.
const PAGE: u32 = 500;

/// Runs an `audit` command; returns the exit code.
pub fn run(ctx: &Ctx, cmd: AuditCmd) -> CliResult<i32> {
    match cmd {
        AuditCmd::Verify => {
            let v = ctx.engine.verify_audit()?;
            if ctx.json() {
                output::json(&v)?;
            } else {
                output::line(&format!("audit chain verified: {} entries, head {}", v.entries, v.head_hash))?;
            }
        }
        AuditCmd::Export { object, after } => {
            let project = ctx.project()?;
            let mut cursor = after;
            loop {
                let page = ctx.engine.audit_log(project, object.as_deref(), cursor, Some(PAGE))?;
                for entry in &page {
                    output::json_line(entry)?;
                }
                match page.last() {
                    Some(last) if page.len() == PAGE as usize => cursor = last.seq,
                    _ => break,
                }
            }
        }
        AuditCmd::Log { object, after, limit } => {
            let entries = ctx.engine.audit_log(ctx.project()?, object.as_deref(), after, limit)?;
            if ctx.json() {
                output::json(&entries)?;
                return Ok(0);
            }
            let mut t = Table::new(&["seq", "at", "actor", "action", "object", "reason"]);
            for a in &entries {
                t.row(vec![
                    a.seq.to_string(),
                    output::time(&a.at),
                    a.actor_id.clone(),
                    a.action.clone(),
                    format!("{} {}", a.object_type, a.object_id),
                    output::opt(a.reason.as_deref()),
                ]);
            }
            t.print("no audit entries")?;
        }
    }
    Ok(0)
}

/// `events tail`: events after a position, optionally polling for new ones.
pub fn events(ctx: &Ctx, cmd: EventsCmd) -> CliResult<()> {
    let EventsCmd::Tail { after, limit, follow, interval_ms, signing_key_env } = cmd;
    if let Some(var) = signing_key_env {
        let key = std::env::var(&var).map_err(|_| {
            CliError::input(
                format!("environment variable `{var}` is not set"),
                "export the signing key in that variable, or drop --signing-key-env",
            )
        })?;
        ctx.engine.set_event_signing_key(Some(key.as_bytes()))?;
    }
    let project = ctx.global.project.as_deref();
    let mut cursor = after;
    loop {
        let page = ctx.engine.events_after(project, cursor, limit)?;
        for e in &page {
            if ctx.json() {
                output::json_line(e)?;
            } else {
                output::line(&format!(
                    "{:>6}  {}  {:<32} {} {}  by {}",
                    e.seq,
                    output::time(&e.at),
                    e.kind,
                    e.object_type,
                    e.object_id,
                    e.actor_id
                ))?;
            }
        }
        match page.last() {
            Some(last) => cursor = last.seq,
            None if follow => std::thread::sleep(std::time::Duration::from_millis(interval_ms)),
            None => return Ok(()),
        }
    }
}
