//! Dispatch: one module per command family. Each command calls one core function (or a few
//! reads for display) and prints; it returns the process exit code.

mod artifact;
mod audit;
mod deploy;
mod env;
mod explain;
mod freeze;
mod incident;
mod report;
mod state;
mod version;

use crate::args::{Cli, Command, ProjectCmd};
use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CliResult<i32> {
    let Cli { global, command } = cli;
    match command {
        Command::Demo { force, fail_item } => return crate::demo::run(&global, force, fail_item),
        Command::Serve { port, bind } => {
            let ctx = Ctx::open(global, false)?;
            return crate::serve::run(&ctx, &bind, port).map(|()| 0);
        }
        _ => {}
    }
    let creates = matches!(command, Command::Project(ProjectCmd::Create { .. }));
    let ctx = Ctx::open(global, creates)?;
    match command {
        Command::Project(cmd) => project(&ctx, cmd)?,
        Command::Env(cmd) => env::run(&ctx, cmd)?,
        Command::Version(cmd) => version::run(&ctx, cmd)?,
        Command::Deploy(cmd) => return deploy::run(&ctx, cmd),
        Command::Status => state::status(&ctx)?,
        Command::Live { environment, entity } => state::live(&ctx, &environment, &entity)?,
        Command::History { entity, limit } => state::history(&ctx, &entity, limit)?,
        Command::Pending { for_actor } => explain::pending(&ctx, for_actor.as_deref())?,
        Command::Why { deployment, action } => explain::why(&ctx, &deployment, &action)?,
        Command::Audit(cmd) => return audit::run(&ctx, cmd),
        Command::Events(cmd) => audit::events(&ctx, cmd)?,
        Command::Report(cmd) => report::run(&ctx, cmd)?,
        Command::Freeze(cmd) => freeze::run(&ctx, cmd)?,
        Command::Incident(cmd) => incident::run(&ctx, cmd)?,
        Command::Artifact(cmd) => artifact::run(&ctx, cmd)?,
        Command::Sweep => state::sweep(&ctx)?,
        Command::Due => state::due(&ctx)?,
        Command::Lease(cmd) => state::lease(&ctx, cmd)?,
        Command::LiveAt { environment, at, deployments } => state::live_at(&ctx, &environment, &at, deployments)?,
        Command::Demo { .. } | Command::Serve { .. } => {}
    }
    Ok(0)
}

fn project(ctx: &Ctx, cmd: ProjectCmd) -> CliResult<()> {
    let p = match cmd {
        ProjectCmd::Create { id, tenant, name } => {
            let name = name.unwrap_or_else(|| id.clone());
            ctx.engine.create_project(&id, &tenant, &name, &ctx.actor()?)?
        }
        ProjectCmd::Show { id } => match id {
            Some(id) => ctx.engine.get_project(&id)?,
            None => ctx.engine.get_project(ctx.project()?)?,
        },
    };
    if ctx.json() {
        return output::json(&p);
    }
    output::fields(&[("project", p.id), ("tenant", p.tenant), ("name", p.name), ("created", output::time(&p.created_at))])
}
