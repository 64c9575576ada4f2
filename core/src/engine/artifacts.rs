//! Build artifacts attached to catalog versions, and their retention.
//!
//! An artifact is **prunable** iff its version
//! 1. went live in at least one environment (artifacts of versions never deployed are kept),
//! 2. is live in no environment,
//! 3. is not the version of the *last known good* deployment of any environment: for each
//!    environment and the artifact's entity, the deployment that most recently made a version of
//!    that entity live (by activation order) and was not rolled back, other than the deployment
//!    live for it now (the rollback target), and
//! 4. for every environment it went live in, that environment's policy has
//!    `artifact_retention = Some(n)` and the version is not among the versions of that
//!    environment's last `n` deployments that went live (by activation order, any kind).
//!
//! Every check reads the store in bounded pages; nothing loads a whole history.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

use serde_json::json;

use super::admin::admin_roles;
use super::records::{self, Kind};
use super::{Engine, need_project, record, require_role, snapshot};
use crate::error::{Error, Result};
use crate::model::{Actor, DeploymentFilter, DeploymentStatus, Environment, ItemStatus, Version, check_id};
use crate::records::{Artifact, ArtifactSpec};
use crate::store::StoreTx;

/// Page size of the history scans.
const PAGE: u32 = 200;

/// A version: entity type, entity id, tag.
type VersionKey = (String, String, String);

/// The scope artifacts are listed by: their version.
fn version_key(entity_type: &str, entity_id: &str, tag: &str) -> String {
    format!("{entity_type}/{entity_id}@{tag}")
}

impl Kind for Artifact {
    const KIND: &'static str = "artifact";
    fn id(&self) -> &str {
        &self.id
    }
    fn scope(&self) -> String {
        version_key(&self.entity_type, &self.entity_id, &self.version_tag)
    }
}

/// Refuses empty, overlong (more than `max` bytes) or control-character text.
fn check_text(what: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(format!("{what} must not be empty")));
    }
    if value.len() > max {
        return Err(Error::invalid_input(format!("{what} is longer than {max} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!("{what} `{}` contains control characters", value.escape_debug())));
    }
    Ok(())
}

fn need_version(tx: &dyn StoreTx, project: &str, entity_type: &str, entity_id: &str, tag: &str) -> Result<Version> {
    tx.version(project, entity_type, entity_id, tag)?
        .ok_or_else(|| Error::not_found(format!("version `{tag}` of `{entity_type}` `{entity_id}` is not in the catalog")))
}

/// The artifacts of one version (scopes may collide when ids contain `/` or `@`: the fields
/// decide).
fn version_artifacts(tx: &dyn StoreTx, project: &str, (et, eid, tag): (&str, &str, &str), out: &mut Vec<Artifact>) -> Result<()> {
    records::each::<Artifact>(tx, project, Some(&version_key(et, eid, tag)), |a| {
        if a.entity_type == et && a.entity_id == eid && a.version_tag == tag {
            out.push(a);
        }
        Ok(true)
    })
}

/// What the prunable rule needs to know about one entity.
#[derive(Default)]
struct EntityFacts {
    /// Version tag → environments where a deployment made it live.
    went_live: HashMap<String, BTreeSet<String>>,
    /// Environment → version live now.
    live: BTreeMap<String, String>,
    /// Environment → version of the last known good deployment.
    last_known_good: BTreeMap<String, String>,
}

/// Decides, with caches, whether artifacts may be pruned (rule: module documentation).
struct Pruner<'a> {
    tx: &'a dyn StoreTx,
    project: &'a str,
    envs: Vec<Environment>,
    entities: HashMap<(String, String), EntityFacts>,
    windows: HashMap<String, HashSet<VersionKey>>,
}

impl<'a> Pruner<'a> {
    fn new(tx: &'a dyn StoreTx, project: &'a str) -> Result<Self> {
        Ok(Self { tx, project, envs: tx.environments(project)?, entities: HashMap::new(), windows: HashMap::new() })
    }

    fn facts(&self, entity_type: &str, entity_id: &str) -> Result<EntityFacts> {
        let mut facts = EntityFacts::default();
        let mut live_deployment = HashMap::new();
        for env in &self.envs {
            if let Some(a) = self.tx.active(self.project, &env.name, entity_type, entity_id)? {
                facts.live.insert(env.name.clone(), a.version_tag);
                live_deployment.insert(env.name.clone(), a.deployment_id);
            }
        }
        let mut best: HashMap<String, (i64, String)> = HashMap::new();
        let mut filter =
            DeploymentFilter { entity_type: Some(entity_type.to_owned()), entity_id: Some(entity_id.to_owned()), ..Default::default() };
        loop {
            let page = self.tx.list_deployments(self.project, &filter, PAGE)?;
            let Some(last) = page.last() else { break };
            filter.cursor = Some(last.id.clone());
            for d in &page {
                let (Some(seq), Some(_)) = (d.activation_seq, d.deployed_at) else { continue };
                let items =
                    d.items.iter().filter(|i| i.entity_type == entity_type && i.entity_id == entity_id && i.status == ItemStatus::Deployed);
                for tag in items.filter_map(|i| i.version_tag.as_ref()) {
                    facts.went_live.entry(tag.clone()).or_default().insert(d.environment.clone());
                    let is_live = live_deployment.get(&d.environment) == Some(&d.id);
                    if d.status != DeploymentStatus::RolledBack && !is_live && best.get(&d.environment).is_none_or(|(s, _)| seq > *s) {
                        best.insert(d.environment.clone(), (seq, tag.clone()));
                    }
                }
            }
        }
        facts.last_known_good = best.into_iter().map(|(env, (_, tag))| (env, tag)).collect();
        Ok(facts)
    }

    /// The versions of the last `n` deployments of `env` that went live, by activation order,
    /// kept in a bounded heap while the environment's deployments stream past.
    fn window(&self, env: &str, n: u32) -> Result<HashSet<VersionKey>> {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        let mut heap: BinaryHeap<Reverse<(i64, Vec<VersionKey>)>> = BinaryHeap::new();
        let mut filter = DeploymentFilter { environment: Some(env.to_owned()), ..Default::default() };
        loop {
            let page = self.tx.list_deployments(self.project, &filter, PAGE)?;
            let Some(last) = page.last() else { break };
            filter.cursor = Some(last.id.clone());
            for d in page {
                let (Some(seq), Some(_)) = (d.activation_seq, d.deployed_at) else { continue };
                let versions = d
                    .items
                    .into_iter()
                    .filter(|i| i.status == ItemStatus::Deployed)
                    .filter_map(|i| i.version_tag.map(|t| (i.entity_type, i.entity_id, t)))
                    .collect();
                heap.push(Reverse((seq, versions)));
                if heap.len() > n {
                    heap.pop();
                }
            }
        }
        Ok(heap.into_iter().flat_map(|Reverse((_, v))| v).collect())
    }

    /// Why `a` must be kept, or `None` when it may be pruned.
    fn kept_because(&mut self, a: &Artifact) -> Result<Option<String>> {
        let key = (a.entity_type.clone(), a.entity_id.clone());
        if !self.entities.contains_key(&key) {
            let facts = self.facts(&a.entity_type, &a.entity_id)?;
            self.entities.insert(key.clone(), facts);
        }
        let Some(facts) = self.entities.get(&key) else { return Ok(Some("its version could not be analysed".to_owned())) };
        let tag = &a.version_tag;
        let Some(envs) = facts.went_live.get(tag) else { return Ok(Some("its version never went live".to_owned())) };
        if let Some((env, _)) = facts.live.iter().find(|(_, t)| *t == tag) {
            return Ok(Some(format!("its version is live in `{env}`")));
        }
        if let Some((env, _)) = facts.last_known_good.iter().find(|(_, t)| *t == tag) {
            return Ok(Some(format!("its version is the last known good one in `{env}`")));
        }
        let envs = envs.clone();
        for env in &envs {
            let Some(n) = self.envs.iter().find(|e| &e.name == env).and_then(|e| e.policy.artifact_retention) else {
                return Ok(Some(format!("`{env}` has no artifact_retention, so it keeps every artifact")));
            };
            if !self.windows.contains_key(env) {
                let w = self.window(env, n)?;
                self.windows.insert(env.clone(), w);
            }
            let version = (a.entity_type.clone(), a.entity_id.clone(), tag.clone());
            if self.windows.get(env).is_none_or(|w| w.contains(&version)) {
                return Ok(Some(format!("its version is in the last {n} deployments of `{env}` that went live")));
            }
        }
        Ok(None)
    }
}

impl Engine {
    /// Attaches a build artifact to a catalog version (which must exist: `not_found`), audited
    /// as `artifact.attached`. Names are unique per version: the same artifact again returns the
    /// existing one, a different one under the same name is a `conflict`. Any actor may attach,
    /// as any actor may register versions.
    pub fn attach_artifact(&self, project: &str, spec: &ArtifactSpec, actor: &Actor) -> Result<Artifact> {
        actor.check()?;
        check_id("entity type", &spec.entity_type)?;
        check_id("entity id", &spec.entity_id)?;
        check_id("version tag", &spec.version_tag)?;
        check_id("artifact name", &spec.name)?;
        check_text("artifact uri", &spec.uri, 4096)?;
        if let Some(d) = &spec.digest {
            check_id("artifact digest", d)?;
        }
        let now = self.now();
        self.write(|tx| {
            need_project(tx, project)?;
            need_version(tx, project, &spec.entity_type, &spec.entity_id, &spec.version_tag)?;
            let mut existing = Vec::new();
            version_artifacts(tx, project, (&spec.entity_type, &spec.entity_id, &spec.version_tag), &mut existing)?;
            if let Some(a) = existing.into_iter().find(|a| a.name == spec.name) {
                if (&a.uri, &a.digest, a.size_bytes) == (&spec.uri, &spec.digest, spec.size_bytes) {
                    return Ok(a);
                }
                return Err(Error::Conflict(format!(
                    "version `{}` of `{}` `{}` already has a different artifact named `{}`",
                    spec.version_tag, spec.entity_type, spec.entity_id, spec.name
                )));
            }
            let a = Artifact {
                id: uuid::Uuid::now_v7().to_string(),
                project_id: project.to_owned(),
                entity_type: spec.entity_type.clone(),
                entity_id: spec.entity_id.clone(),
                version_tag: spec.version_tag.clone(),
                name: spec.name.clone(),
                uri: spec.uri.clone(),
                digest: spec.digest.clone(),
                size_bytes: spec.size_bytes,
                created_at: now,
                created_by: actor.id.clone(),
            };
            records::put(tx, project, &a)?;
            record(tx, now, &actor.id, "artifact.attached", project, ("artifact", &a.id), json!(null), snapshot(&a), None)?;
            Ok(a)
        })
    }

    /// The artifacts of one version (`not_found` when it is not in the catalog), or, without a
    /// tag, of every catalog version of the entity; oldest first.
    pub fn list_artifacts(&self, project: &str, entity_type: &str, entity_id: &str, version_tag: Option<&str>) -> Result<Vec<Artifact>> {
        self.read(|tx| {
            need_project(tx, project)?;
            let tags = match version_tag {
                Some(t) => vec![need_version(tx, project, entity_type, entity_id, t)?.spec.version_tag],
                None => tx.versions(project, entity_type, entity_id)?.into_iter().map(|v| v.spec.version_tag).collect(),
            };
            let mut out = Vec::new();
            for t in &tags {
                version_artifacts(tx, project, (entity_type, entity_id, t), &mut out)?;
            }
            out.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(out)
        })
    }

    /// The artifacts that may be pruned now, oldest first. An artifact is prunable iff its
    /// version went live in at least one environment, is live in none, is not the version of
    /// any environment's last known good deployment (per environment and entity: the most
    /// recent deployment that made a version of it live and was not rolled back, other than the
    /// one live now), and every environment it went live in has `artifact_retention = Some(n)`
    /// and did not make it live in its last `n` deployments that went live. Artifacts of
    /// versions never deployed are kept.
    pub fn prunable_artifacts(&self, project: &str) -> Result<Vec<Artifact>> {
        self.read(|tx| {
            need_project(tx, project)?;
            let mut pruner = Pruner::new(tx, project)?;
            let mut out = Vec::new();
            records::each::<Artifact>(tx, project, None, |a| {
                if pruner.kept_because(&a)?.is_none() {
                    out.push(a);
                }
                Ok(true)
            })?;
            Ok(out)
        })
    }

    /// Deletes artifact records (the host deletes the files), each audited as `artifact.pruned`
    /// with the whole artifact as `before`, so the audit trail outlives them. All or nothing: an
    /// unknown id is `not_found`, an id not prunable at this moment (rule:
    /// [`Engine::prunable_artifacts`]) is a `policy_violation` naming it and why. Requires
    /// `admin` or `tenant_admin` and a reason. Returns the pruned artifacts in the order given.
    pub fn prune_artifacts(&self, project: &str, ids: &[String], actor: &Actor, reason: &str) -> Result<Vec<Artifact>> {
        actor.check()?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid_input("a reason is required"));
        }
        if ids.is_empty() {
            return Err(Error::invalid_input("no artifact ids given"));
        }
        let mut seen = HashSet::new();
        for id in ids {
            check_id("artifact id", id)?;
            if !seen.insert(id.as_str()) {
                return Err(Error::invalid_input(format!("artifact `{id}` is given twice")));
            }
        }
        require_role(actor, &admin_roles(), "prune artifacts")?;
        let now = self.now();
        self.write(|tx| {
            need_project(tx, project)?;
            let mut pruner = Pruner::new(tx, project)?;
            let mut artifacts = Vec::with_capacity(ids.len());
            let mut refused = Vec::new();
            for id in ids {
                let a = records::get::<Artifact>(tx, project, id)?
                    .ok_or_else(|| Error::not_found(format!("artifact `{id}` does not exist in project `{project}`")))?;
                if let Some(why) = pruner.kept_because(&a)? {
                    refused.push(format!("artifact `{id}` is not prunable: {why}"));
                }
                artifacts.push(a);
            }
            if !refused.is_empty() {
                return Err(Error::PolicyViolation(refused.join("; ")));
            }
            for a in &artifacts {
                records::delete::<Artifact>(tx, project, &a.id)?;
                record(tx, now, &actor.id, "artifact.pruned", project, ("artifact", &a.id), snapshot(a), json!(null), Some(reason))?;
            }
            Ok(artifacts.clone())
        })
    }
}
