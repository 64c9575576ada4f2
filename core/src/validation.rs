//! Validation: every finding is collected, each with a code; errors refuse, warnings are kept.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{Deployment, Environment, ItemSpec};
use crate::store::StoreTx;
use crate::version;

crate::model::string_enum!(
    /// How serious a finding is.
    Severity { Error = "error", Warning = "warning" }
);

crate::model::string_enum!(
    /// When validation runs.
    Phase { Request = "request", Execute = "execute" }
);

/// One finding of validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable code (`unknown_version`, `missing_dependency`, ...; custom validators choose theirs).
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// Lowercase message, values in backticks.
    pub message: String,
    /// Index of the item concerned, if any.
    pub item: Option<usize>,
}

impl Finding {
    /// An error finding.
    pub fn error(code: &str, message: impl Into<String>, item: Option<usize>) -> Self {
        Self { code: code.to_owned(), severity: Severity::Error, message: message.into(), item }
    }

    /// A warning finding.
    pub fn warning(code: &str, message: impl Into<String>, item: Option<usize>) -> Self {
        Self { code: code.to_owned(), severity: Severity::Warning, message: message.into(), item }
    }
}

/// Every finding of one validation run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// Findings that refuse the operation.
    pub errors: Vec<Finding>,
    /// Findings that are kept with the deployment.
    pub warnings: Vec<Finding>,
}

impl ValidationReport {
    /// Adds a finding to the list its severity names.
    pub fn push(&mut self, f: Finding) {
        match f.severity {
            Severity::Error => self.errors.push(f),
            Severity::Warning => self.warnings.push(f),
        }
    }

    /// Whether there is no error.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The codes of every error, for messages.
    pub fn summary(&self) -> String {
        let codes: Vec<String> = self.errors.iter().map(|f| format!("`{}`", f.code)).collect();
        format!("{} error(s): {}", self.errors.len(), codes.join(", "))
    }
}

/// What a custom validator sees (serializes to the JSON the bindings hand to their callbacks).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ValidationContext<'a> {
    /// When validation runs.
    pub phase: Phase,
    /// The target environment (secret values redacted).
    pub environment: &'a Environment,
    /// The deployment (at request: not yet stored, status `pending`).
    pub deployment: &'a Deployment,
}

/// A host-provided check (translations complete, compliance, security scan, ...), registered by
/// name on the engine. Return findings; an `Err` or a panic becomes an error finding.
pub trait Validator: Send + Sync {
    /// Checks the deployment.
    fn validate(&self, ctx: &ValidationContext<'_>) -> std::result::Result<Vec<Finding>, String>;
}

impl<F> Validator for F
where
    F: Fn(&ValidationContext<'_>) -> std::result::Result<Vec<Finding>, String> + Send + Sync,
{
    fn validate(&self, ctx: &ValidationContext<'_>) -> std::result::Result<Vec<Finding>, String> {
        self(ctx)
    }
}

/// Runs one custom validator, turning failures and panics into an error finding.
pub(crate) fn run_custom(name: &str, v: &dyn Validator, ctx: &ValidationContext<'_>, report: &mut ValidationReport) {
    match catch_unwind(AssertUnwindSafe(|| v.validate(ctx))) {
        Ok(Ok(findings)) => findings.into_iter().for_each(|f| report.push(f)),
        Ok(Err(msg)) => report.push(Finding::error("validator_failed", format!("validator `{name}` failed: {msg}"), None)),
        Err(_) => report.push(Finding::error("validator_failed", format!("validator `{name}` panicked"), None)),
    }
}

/// The built-in rules over the catalog and the active state of `env`.
pub(crate) fn builtin(tx: &dyn StoreTx, env: &Environment, items: &[ItemSpec], report: &mut ValidationReport) -> Result<()> {
    if items.is_empty() {
        report.push(Finding::error("empty_deployment", "the deployment has no items", None));
        return Ok(());
    }
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        if !seen.insert((item.entity_type.as_str(), item.entity_id.as_str())) {
            report.push(Finding::error(
                "duplicate_item",
                format!("`{}` `{}` appears more than once", item.entity_type, item.entity_id),
                Some(i),
            ));
        }
    }
    for (i, item) in items.iter().enumerate() {
        let Some(version) = tx.version(&env.project_id, &item.entity_type, &item.entity_id, &item.version_tag)? else {
            report.push(Finding::error(
                "unknown_version",
                format!("version `{}` of `{}` `{}` is not in the catalog", item.version_tag, item.entity_type, item.entity_id),
                Some(i),
            ));
            continue;
        };
        if let Some(q) = &version.quarantine {
            report.push(Finding::error(
                "version_quarantined",
                format!(
                    "version `{}` of `{}` `{}` is quarantined: {}",
                    item.version_tag,
                    item.entity_type,
                    item.entity_id,
                    q.reason.as_deref().unwrap_or("no reason given")
                ),
                Some(i),
            ));
        }
        for dep in &version.spec.dependencies {
            let in_deployment = items.iter().find(|o| o.entity_type == dep.entity_type && o.entity_id == dep.entity_id);
            let (candidate, source) = match in_deployment {
                Some(o) => (Some(o.version_tag.clone()), "in this deployment"),
                None => (
                    tx.active(&env.project_id, &env.name, &dep.entity_type, &dep.entity_id)?.map(|a| a.version_tag),
                    "live in the environment",
                ),
            };
            match candidate {
                None => report.push(Finding::error(
                    "missing_dependency",
                    format!(
                        "`{}` `{}` needs `{}` `{}` `{}`, which is neither in the deployment nor live in `{}`",
                        item.entity_type, item.entity_id, dep.entity_type, dep.entity_id, dep.requirement, env.name
                    ),
                    Some(i),
                )),
                Some(tag) if !version::satisfies(&tag, &dep.requirement) => report.push(Finding::error(
                    "incompatible_dependency",
                    format!(
                        "`{}` `{}` needs `{}` `{}` `{}`, but version `{tag}` is {source}",
                        item.entity_type, item.entity_id, dep.entity_type, dep.entity_id, dep.requirement
                    ),
                    Some(i),
                )),
                Some(_) => {}
            }
        }
        if let Some(live) = tx.active(&env.project_id, &env.name, &item.entity_type, &item.entity_id)? {
            match version::compare(&item.version_tag, &live.version_tag) {
                Some(std::cmp::Ordering::Equal) => report.push(Finding::warning(
                    "version_already_live",
                    format!(
                        "version `{}` of `{}` `{}` is already live in `{}`",
                        item.version_tag, item.entity_type, item.entity_id, env.name
                    ),
                    Some(i),
                )),
                Some(std::cmp::Ordering::Less) => report.push(Finding::warning(
                    "downgrade",
                    format!(
                        "version `{}` of `{}` `{}` is older than the live `{}` in `{}`",
                        item.version_tag, item.entity_type, item.entity_id, live.version_tag, env.name
                    ),
                    Some(i),
                )),
                _ => {}
            }
        }
    }
    Ok(())
}
