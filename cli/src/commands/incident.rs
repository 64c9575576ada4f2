//! `incident record|resolve|list`: deployment errors with category, severity and impact.

use deploygov::{DeploymentErrorRecord, ErrorFilter, ErrorSpec};

use crate::args::IncidentCmd;
use crate::context::{Ctx, parse_enum};
use crate::error::CliResult;
use crate::output::{self, Table};

/// Runs an `incident` command.
pub fn run(ctx: &Ctx, cmd: IncidentCmd) -> CliResult<()> {
    let project = ctx.project()?;
    let e = &ctx.engine;
    let list = match cmd {
        IncidentCmd::Record { deployment, category, severity, code, stage, message, user_impact, business_impact } => {
            let spec = ErrorSpec {
                deployment_id: deployment,
                category: parse_enum(&category)?,
                severity: parse_enum(&severity)?,
                code,
                stage,
                message,
                user_impact,
                business_impact,
            };
            vec![e.record_deployment_error(project, &spec, &ctx.actor()?)?]
        }
        IncidentCmd::Resolve { id, notes } => vec![e.resolve_deployment_error(project, &id, &ctx.actor()?, &notes)?],
        IncidentCmd::List { environment, severity, unresolved } => {
            let filter =
                ErrorFilter { environment, severity: severity.as_deref().map(parse_enum).transpose()?, unresolved_only: unresolved };
            e.list_deployment_errors(project, &filter)?
        }
    };
    show(ctx, &list)
}

fn show(ctx: &Ctx, list: &[DeploymentErrorRecord]) -> CliResult<()> {
    if ctx.json() {
        return output::json(list);
    }
    let mut t = Table::new(&["id", "recorded", "environment", "severity", "category", "code", "stage", "message", "resolved"]);
    for r in list {
        t.row(vec![
            r.id.clone(),
            output::time(&r.recorded_at),
            r.environment.clone(),
            r.severity.to_string(),
            r.category.to_string(),
            r.code.clone(),
            r.stage.clone(),
            r.message.lines().next().unwrap_or_default().to_owned(),
            r.resolution.as_ref().map(|x| format!("by {}: {}", x.resolved_by, x.notes)).unwrap_or_else(|| "no".into()),
        ]);
    }
    t.print("no deployment errors recorded")
}
