//! `freeze add|list|remove`.

use deploygov::{Day, FreezeSchedule, FreezeSpec, FreezeWindow};

use crate::args::FreezeCmd;
use crate::context::{Ctx, parse_enum, parse_time, read_json};
use crate::error::{CliError, CliResult};
use crate::output::{self, Table};

/// Runs a `freeze` command.
pub fn run(ctx: &Ctx, cmd: FreezeCmd) -> CliResult<()> {
    let project = ctx.project()?;
    let e = &ctx.engine;
    match cmd {
        FreezeCmd::Add { name, environment, from, until, days, at, minutes, tz, file } => {
            let spec = match file {
                Some(f) => read_json::<FreezeSpec>("freeze spec", &f)?,
                None => {
                    let schedule = match (from, until) {
                        (Some(from), Some(until)) => {
                            FreezeSchedule::OneOff { start: parse_time("--from", &from)?, end: parse_time("--until", &until)? }
                        }
                        _ if !days.is_empty() => FreezeSchedule::Weekly {
                            days: days.iter().map(|d| parse_enum::<Day>(d.trim())).collect::<CliResult<Vec<_>>>()?,
                            start_time: at.unwrap_or_default(),
                            duration_minutes: minutes.unwrap_or_default(),
                            time_zone: tz.unwrap_or_default(),
                        },
                        _ => {
                            return Err(CliError::input(
                                "no schedule given",
                                "pass --from TIME --until TIME, or --days mon,fri --at 18:00 --minutes 600 --tz Europe/Berlin, or --file",
                            ));
                        }
                    };
                    FreezeSpec { environment, name: name.unwrap_or_default(), schedule }
                }
            };
            let w = e.add_freeze(project, &spec, &ctx.actor()?)?;
            show(ctx, std::slice::from_ref(&w))
        }
        FreezeCmd::List { environment, at } => {
            let list = match (environment, at) {
                (Some(env), Some(at)) => e.active_freezes(project, &env, parse_time("--at", &at)?)?,
                (env, _) => e.list_freezes(project, env.as_deref())?,
            };
            show(ctx, &list)
        }
        FreezeCmd::Remove { id, reason } => {
            let w = e.remove_freeze(project, &id, &ctx.actor()?, &reason)?;
            show(ctx, std::slice::from_ref(&w))
        }
    }
}

fn schedule(s: &FreezeSchedule) -> String {
    match s {
        FreezeSchedule::OneOff { start, end } => format!("{} to {} UTC", output::time(start), output::time(end)),
        FreezeSchedule::Weekly { days, start_time, duration_minutes, time_zone } => {
            let days: Vec<&str> = days.iter().map(|d| d.as_str()).collect();
            format!("weekly {} at {start_time} for {duration_minutes} min ({time_zone})", days.join(","))
        }
    }
}

fn show(ctx: &Ctx, list: &[FreezeWindow]) -> CliResult<()> {
    if ctx.json() {
        return output::json(list);
    }
    let mut t = Table::new(&["id", "name", "environment", "when", "created by"]);
    for w in list {
        t.row(vec![
            w.id.clone(),
            w.name.clone(),
            w.environment.clone().unwrap_or_else(|| "(all)".into()),
            schedule(&w.schedule),
            w.created_by.clone(),
        ]);
    }
    t.print("no freeze windows")
}
