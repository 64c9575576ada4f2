//! `version register|list|quarantine|release`.

use deploygov::{Dependency, Version, VersionSpec};

use crate::args::VersionCmd;
use crate::context::{Ctx, parse_entity, parse_version, read_json};
use crate::error::{CliError, CliResult};
use crate::output::{self, Table};

/// Runs a `version` command.
pub fn run(ctx: &Ctx, cmd: VersionCmd) -> CliResult<()> {
    let project = ctx.project()?;
    let e = &ctx.engine;
    match cmd {
        VersionCmd::Register { spec, file, uri, digest, metadata, deps } => {
            let spec = match (file, spec) {
                (Some(f), _) => read_json::<VersionSpec>("version spec", &f)?,
                (None, Some(v)) => {
                    let (entity_type, entity_id, version_tag) = parse_version(&v)?;
                    let metadata = match metadata {
                        Some(m) => serde_json::from_str(&m).map_err(|err| {
                            CliError::input(
                                format!("--metadata is not JSON: {err}"),
                                "pass a JSON value, e.g. --metadata '{\"owner\":\"ml\"}'",
                            )
                        })?,
                        None => serde_json::Value::Null,
                    };
                    let dependencies = deps.iter().map(|d| dependency(d)).collect::<CliResult<Vec<_>>>()?;
                    VersionSpec { entity_type, entity_id, version_tag, uri, digest, metadata, dependencies }
                }
                (None, None) => {
                    return Err(CliError::input("no version given", "pass TYPE/ID@TAG or --file SPEC.json"));
                }
            };
            let v = e.register_version(project, &spec, &ctx.actor()?)?;
            one(ctx, &v)
        }
        VersionCmd::List { entity } => {
            let (t, id) = parse_entity(&entity)?;
            let list = e.list_versions(project, &t, &id)?;
            if ctx.json() {
                return output::json(&list);
            }
            let mut table = Table::new(&["version", "registered", "by", "digest", "quarantined"]);
            for v in &list {
                table.row(vec![
                    v.spec.version_tag.clone(),
                    output::time(&v.registered_at),
                    v.registered_by.clone(),
                    output::opt(v.spec.digest.as_deref()),
                    quarantine(v),
                ]);
            }
            table.print(&format!("no versions of `{entity}` (register one with `deploygov version register {entity}@TAG`)"))
        }
        VersionCmd::Quarantine { spec, reason } => {
            let (t, id, tag) = parse_version(&spec)?;
            one(ctx, &e.quarantine_version(project, &t, &id, &tag, &ctx.actor()?, &reason)?)
        }
        VersionCmd::Release { spec, reason } => {
            let (t, id, tag) = parse_version(&spec)?;
            one(ctx, &e.release_version(project, &t, &id, &tag, &ctx.actor()?, &reason)?)
        }
    }
}

/// Parses `TYPE/ID=REQUIREMENT`.
fn dependency(text: &str) -> CliResult<Dependency> {
    let bad =
        || CliError::input(format!("`{text}` is not a dependency"), "write dependencies as TYPE/ID=REQUIREMENT, e.g. ai_model/gpt-x=^1.0");
    let (entity, requirement) = text.split_once('=').ok_or_else(bad)?;
    let (entity_type, entity_id) = parse_entity(entity).map_err(|_| bad())?;
    Ok(Dependency { entity_type, entity_id, requirement: requirement.to_owned() })
}

fn quarantine(v: &Version) -> String {
    match &v.quarantine {
        Some(q) => format!("yes, by {} ({})", q.actor_id, q.reason.as_deref().unwrap_or("-")),
        None => "no".into(),
    }
}

fn one(ctx: &Ctx, v: &Version) -> CliResult<()> {
    if ctx.json() {
        return output::json(v);
    }
    output::fields(&[
        ("version", format!("{}/{}@{}", v.spec.entity_type, v.spec.entity_id, v.spec.version_tag)),
        ("uri", output::opt(v.spec.uri.as_deref())),
        ("digest", output::opt(v.spec.digest.as_deref())),
        ("registered", format!("{} by {}", output::time(&v.registered_at), v.registered_by)),
        (
            "dependencies",
            v.spec
                .dependencies
                .iter()
                .map(|d| format!("{}/{} {}", d.entity_type, d.entity_id, d.requirement))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("quarantined", quarantine(v)),
    ])
}
