//! `artifact attach|list|prunable|prune`: build artifacts of catalog versions.

use deploygov::{Artifact, ArtifactSpec};

use crate::args::ArtifactCmd;
use crate::context::{Ctx, parse_entity, parse_version};
use crate::error::CliResult;
use crate::output::{self, Table};

/// Runs an `artifact` command.
pub fn run(ctx: &Ctx, cmd: ArtifactCmd) -> CliResult<()> {
    let project = ctx.project()?;
    let e = &ctx.engine;
    let list = match cmd {
        ArtifactCmd::Attach { spec, name, uri, digest, size } => {
            let (entity_type, entity_id, version_tag) = parse_version(&spec)?;
            let spec = ArtifactSpec { entity_type, entity_id, version_tag, name, uri, digest, size_bytes: size };
            vec![e.attach_artifact(project, &spec, &ctx.actor()?)?]
        }
        ArtifactCmd::List { target } => {
            let (entity_type, entity_id, tag) = match target.rsplit_once('@') {
                Some(_) => parse_version(&target).map(|(t, id, tag)| (t, id, Some(tag)))?,
                None => parse_entity(&target).map(|(t, id)| (t, id, None))?,
            };
            e.list_artifacts(project, &entity_type, &entity_id, tag.as_deref())?
        }
        ArtifactCmd::Prunable => e.prunable_artifacts(project)?,
        ArtifactCmd::Prune { ids, reason } => e.prune_artifacts(project, &ids, &ctx.actor()?, &reason)?,
    };
    show(ctx, &list)
}

fn show(ctx: &Ctx, list: &[Artifact]) -> CliResult<()> {
    if ctx.json() {
        return output::json(list);
    }
    let mut t = Table::new(&["id", "version", "name", "uri", "digest", "size", "attached"]);
    for a in list {
        t.row(vec![
            a.id.clone(),
            format!("{}/{}@{}", a.entity_type, a.entity_id, a.version_tag),
            a.name.clone(),
            a.uri.clone(),
            output::opt(a.digest.as_deref()),
            a.size_bytes.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
            format!("{} by {}", output::time(&a.created_at), a.created_by),
        ]);
    }
    t.print("no artifacts")
}
