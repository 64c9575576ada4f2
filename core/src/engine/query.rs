//! Read-only queries, every one scoped to a project.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::cache::KeyBytes;
use super::gate::{Action, GateOptions};
use super::{Engine, admin::public_env, need_deployment, need_env, need_project};
use crate::audit::{self, AuditEntry, AuditVerification};
use crate::error::{Error, Result};
use crate::model::{
    ActiveEntry, Actor, Deployment, DeploymentFilter, DeploymentStatus, Environment, EnvironmentDiff, HistoryEntry, Page, Project, Version,
};
use crate::store::ChangeStamp;
use crate::validation::ValidationReport;

/// Default and largest page sizes.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

impl Engine {
    /// One project.
    pub fn get_project(&self, project: &str) -> Result<Project> {
        self.read(|tx| need_project(tx, project))
    }

    /// The environments of a project, in order (secret values redacted).
    pub fn list_environments(&self, project: &str) -> Result<Vec<Environment>> {
        self.read(|tx| {
            need_project(tx, project)?;
            Ok(tx.environments(project)?.into_iter().map(public_env).collect())
        })
    }

    /// One environment (secret values redacted).
    pub fn get_environment(&self, project: &str, environment: &str) -> Result<Environment> {
        self.read(|tx| need_env(tx, project, environment).map(public_env))
    }

    /// Every registered version of one entity, newest first.
    pub fn list_versions(&self, project: &str, entity_type: &str, entity_id: &str) -> Result<Vec<Version>> {
        self.read(|tx| {
            need_project(tx, project)?;
            tx.versions(project, entity_type, entity_id)
        })
    }

    /// One deployment.
    pub fn get_deployment(&self, project: &str, deployment_id: &str) -> Result<Deployment> {
        self.read(|tx| need_deployment(tx, project, deployment_id))
    }

    /// Deployments matching `filter`, newest first, one cursor page at a time.
    pub fn list_deployments(&self, project: &str, filter: &DeploymentFilter) -> Result<Page<Deployment>> {
        let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(Error::invalid_input(format!("limit must be between 1 and {MAX_LIMIT}, got `{limit}`")));
        }
        if filter.entity_id.is_some() && filter.entity_type.is_none() {
            return Err(Error::invalid_input("filtering by entity_id needs entity_type too"));
        }
        self.read(|tx| {
            need_project(tx, project)?;
            let mut items = tx.list_deployments(project, filter, limit + 1)?;
            let next_cursor = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items.last().map(|d| d.id.clone())
            } else {
                None
            };
            Ok(Page { items, next_cursor })
        })
    }

    /// Everything live in an environment.
    pub fn active_state(&self, project: &str, environment: &str) -> Result<Vec<ActiveEntry>> {
        self.read(|tx| {
            need_env(tx, project, environment)?;
            tx.active_state(project, environment)
        })
    }

    /// The live version of one entity in an environment (the hot path). `None` when nothing is
    /// live for it. Always fresh: served from an in-process cache only while the store reports
    /// that nobody (this engine, another connection or another process) committed a change
    /// since the cached answer was read; otherwise one indexed lookup.
    pub fn active_version(&self, project: &str, environment: &str, entity_type: &str, entity_id: &str) -> Result<Option<ActiveEntry>> {
        Ok(self.active_version_shared(project, environment, entity_type, entity_id)?.map(Arc::unwrap_or_clone))
    }

    /// Only the live version tag of one entity ("which version is live?"), `None` when nothing
    /// is live for it: [`Engine::active_version`] without the rest of the entry, for the faces
    /// where building a whole entry object costs more than the lookup (the same cache, always
    /// fresh).
    pub fn active_version_tag(&self, project: &str, environment: &str, entity_type: &str, entity_id: &str) -> Result<Option<String>> {
        self.hot_read(
            [project, environment, entity_type, entity_id],
            |stamp, key| self.cache.get_tag(stamp, key),
            |answer| answer.as_ref().map(|e| e.version_tag.clone()),
        )
    }

    /// [`Engine::active_version`] without copying the entry: the cached entry itself, shared.
    pub fn active_version_shared(
        &self,
        project: &str,
        environment: &str,
        entity_type: &str,
        entity_id: &str,
    ) -> Result<Option<Arc<ActiveEntry>>> {
        self.hot_read([project, environment, entity_type, entity_id], |stamp, key| self.cache.get(stamp, key), Option::clone)
    }

    /// The cached reads' one path: a hit answered by `hit`; otherwise one store read, cached
    /// (when the store has change stamps) and answered by `miss`.
    fn hot_read<R>(
        &self,
        entity: [&str; 4],
        hit: impl FnOnce(&ChangeStamp, &KeyBytes) -> Option<R>,
        miss: impl FnOnce(&Option<Arc<ActiveEntry>>) -> R,
    ) -> Result<R> {
        let [project, environment, entity_type, entity_id] = entity;
        let Some(stamp) = self.store.change_stamp() else {
            return Ok(miss(&self.read(|tx| tx.active(project, environment, entity_type, entity_id))?.map(Arc::new)));
        };
        let key = KeyBytes::new(entity);
        if let Some(found) = hit(&stamp, &key) {
            return Ok(found);
        }
        // INVARIANT: the stamp was taken before this read (see `cache.rs`).
        let answer = self.read(|tx| tx.active(project, environment, entity_type, entity_id))?.map(Arc::new);
        let out = miss(&answer);
        self.cache.put(stamp, &key, answer);
        Ok(out)
    }

    /// [`Engine::active_version`] straight from the store, bypassing the cache (to compare).
    #[doc(hidden)]
    pub fn active_version_uncached(
        &self,
        project: &str,
        environment: &str,
        entity_type: &str,
        entity_id: &str,
    ) -> Result<Option<ActiveEntry>> {
        self.read(|tx| tx.active(project, environment, entity_type, entity_id))
    }

    /// Changes of the live version of one entity across environments, newest first.
    pub fn entity_history(&self, project: &str, entity_type: &str, entity_id: &str, limit: Option<u32>) -> Result<Vec<HistoryEntry>> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(Error::invalid_input(format!("limit must be between 1 and {MAX_LIMIT}, got `{limit}`")));
        }
        self.read(|tx| {
            need_project(tx, project)?;
            tx.entity_history(project, entity_type, entity_id, limit)
        })
    }

    /// The entities whose live versions differ between two environments of a project.
    pub fn compare_environments(&self, project: &str, left: &str, right: &str) -> Result<Vec<EnvironmentDiff>> {
        self.read(|tx| {
            need_env(tx, project, left)?;
            need_env(tx, project, right)?;
            let mut all: BTreeMap<(String, String), (Option<String>, Option<String>)> = BTreeMap::new();
            for a in tx.active_state(project, left)? {
                all.entry((a.entity_type, a.entity_id)).or_default().0 = Some(a.version_tag);
            }
            for a in tx.active_state(project, right)? {
                all.entry((a.entity_type, a.entity_id)).or_default().1 = Some(a.version_tag);
            }
            Ok(all
                .into_iter()
                .filter(|(_, (l, r))| l != r)
                .map(|((entity_type, entity_id), (left, right))| EnvironmentDiff { entity_type, entity_id, left, right })
                .collect())
        })
    }

    /// Pending deployments `actor` may approve now, newest first.
    pub fn pending_approvals(&self, project: &str, actor: &Actor) -> Result<Vec<Deployment>> {
        actor.check()?;
        self.read(|tx| {
            need_project(tx, project)?;
            let mut out = Vec::new();
            let mut filter = DeploymentFilter { status: Some(DeploymentStatus::Pending), ..Default::default() };
            loop {
                let page = tx.list_deployments(project, &filter, 200)?;
                let Some(last) = page.last() else { break };
                filter.cursor = Some(last.id.clone());
                for d in page {
                    let s = self.subject(tx, project, &d.id)?;
                    if self.blockers(tx, &s, actor, Action::Approve, GateOptions::default(), &mut ValidationReport::default())?.is_empty() {
                        out.push(s.d);
                    }
                }
            }
            Ok(out)
        })
    }

    /// Audit entries of a project (optionally of one object), oldest first, after `after_seq`.
    pub fn audit_log(&self, project: &str, object_id: Option<&str>, after_seq: i64, limit: Option<u32>) -> Result<Vec<AuditEntry>> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(Error::invalid_input(format!("limit must be between 1 and {MAX_LIMIT}, got `{limit}`")));
        }
        self.read(|tx| {
            need_project(tx, project)?;
            tx.audit_for(project, object_id, after_seq, limit)
        })
    }

    /// Walks the whole audit chain; `audit_corrupt` names the first broken entry.
    pub fn verify_audit(&self) -> Result<AuditVerification> {
        audit::verify_store(&*self.store)
    }
}
