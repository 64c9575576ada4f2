//! Runs the language-neutral scenario corpus `tests/scenarios/*.json` (format:
//! `tests/scenarios/README.md`). Every scenario gets a fresh engine with a `ManualClock` (SQLite
//! `:memory:`, or a new PostgreSQL schema); a failure names the scenario file and the step index.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use deploygov::{
    Action, Activation, Actor, ApproveOptions, ArtifactSpec, Completion, DeploymentFilter, DeploymentRequest, Engine, EnvironmentSpec,
    Error, ErrorFilter, ErrorSpec, ExecuteOptions, Executor, FreezeSpec, Health, HealthReport, ManualClock, Policy, ResumeDecision,
    RollbackOptions, Variable, VersionSpec,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Fewer files than this fails the run, so an empty or misplaced directory cannot pass.
const MIN_SCENARIOS: usize = 14;
/// The clock's start when a scenario gives none.
const DEFAULT_CLOCK: &str = "2026-01-15T09:00:00Z";
/// The executor's error for an entity named in `fail_on`.
const SIMULATED_FAILURE: &str = "simulated failure";
/// Ops whose engine method takes no actor.
const NO_ACTOR: &[&str] = &[
    "get_deployment",
    "list_deployments",
    "active_state",
    "active_version",
    "active_version_tag",
    "entity_history",
    "compare_environments",
    "audit_log",
    "verify_audit",
    "events_after",
    "sweep",
    "due",
    "active_state_at",
    "deployments_live_at",
    "compare_variables",
    "list_artifacts",
    "prunable_artifacts",
    "list_deployment_errors",
    "compliance_report",
    "environment_metrics",
    "list_freezes",
    "active_freezes",
    "log",
    "deployment_logs",
    "health_checks",
    "advance_clock",
];
/// The arguments every deployment op takes.
const DEP: &[&str] = &["project", "deployment_id"];
const EXPECT_KEYS: &[&str] = &["error", "status", "items", "active", "findings", "allowed", "count", "fields"];

/// A runner error: the scenario is malformed or an expectation does not hold.
type R<T> = Result<T, String>;

#[test]
fn scenario_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
    let files = match scenario_files(&dir) {
        Ok(f) => f,
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    let mut failures = Vec::new();
    for file in &files {
        if let Err(e) = run_file(file) {
            failures.push(format!("{}: {e}", file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
        }
    }
    assert!(failures.is_empty(), "{} of {} scenarios failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    assert!(files.len() >= MIN_SCENARIOS, "{} holds {} scenario files, expected at least {MIN_SCENARIOS}", dir.display(), files.len());
}

fn scenario_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|x| x == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn run_file(path: &Path) -> R<()> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("invalid json: {e}"))?;
    let top = object(&doc, "scenario")?;
    only_keys(top, &["name", "description", "clock", "setup", "steps"], "scenario")?;
    for key in ["name", "description"] {
        if !top.get(key).is_some_and(Value::is_string) {
            return Err(format!("`{key}` must be a string"));
        }
    }
    let start = match top.get("clock") {
        None => DEFAULT_CLOCK,
        Some(v) => v.as_str().ok_or("`clock` must be a string")?,
    };
    let start = DateTime::parse_from_rfc3339(start).map_err(|e| format!("bad `clock` `{start}`: {e}"))?.with_timezone(&Utc);
    let clock = ManualClock::new(start);
    // SQLite `:memory:`, or a fresh PostgreSQL schema when DEPLOYGOV_TEST_POSTGRES_URL is set.
    let engine = Engine::with_store(common::store(), Arc::new(clock.clone()));
    let mut run = Run { engine, clock, project: String::new(), saved: HashMap::new() };
    run.setup(top.get("setup").ok_or("missing `setup`")?).map_err(|e| format!("setup: {e}"))?;
    let steps = top.get("steps").and_then(Value::as_array).filter(|s| !s.is_empty()).ok_or("`steps` must be a non-empty array")?;
    for (i, step) in steps.iter().enumerate() {
        let op = step.get("op").and_then(Value::as_str).unwrap_or("?");
        run.step(step).map_err(|e| format!("step {i} ({op}): {e}"))?;
    }
    Ok(())
}

/// One scenario's engine, clock, default project and saved ids.
struct Run {
    engine: Engine,
    clock: ManualClock,
    project: String,
    saved: HashMap<String, String>,
}

impl Run {
    fn setup(&mut self, v: &Value) -> R<()> {
        let s = object(v, "setup")?;
        only_keys(s, &["projects", "environments", "versions"], "setup")?;
        let actor = Actor::new("setup", &["admin"]);
        for (i, p) in list(s, "projects")?.iter().enumerate() {
            let p = object(p, "project")?;
            only_keys(p, &["id", "tenant", "name"], "project")?;
            let id = string(p, "id")?;
            self.engine
                .create_project(&id, &string(p, "tenant")?, &string(p, "name")?, &actor)
                .map_err(|e| format!("projects.{i}: {e}"))?;
            if i == 0 {
                self.project = id;
            }
        }
        if self.project.is_empty() {
            return Err("`projects` must name at least one project".into());
        }
        for (i, env) in list(s, "environments")?.iter().enumerate() {
            let (project, spec) = self.split_project(env)?;
            let spec: EnvironmentSpec = strict(&spec, "environment")?;
            self.engine.create_environment(&project, &spec, &actor).map_err(|e| format!("environments.{i}: {e}"))?;
        }
        for (i, version) in list(s, "versions")?.iter().enumerate() {
            let (project, spec) = self.split_project(version)?;
            let spec: VersionSpec = strict(&spec, "version")?;
            self.engine.register_version(&project, &spec, &actor).map_err(|e| format!("versions.{i}: {e}"))?;
        }
        Ok(())
    }

    /// Splits the optional `project` member (default: the first project) off a setup entry.
    fn split_project(&self, v: &Value) -> R<(String, Value)> {
        let mut m = object(v, "setup entry")?.clone();
        let project = match m.remove("project") {
            None => self.project.clone(),
            Some(Value::String(p)) => p,
            Some(_) => return Err("`project` must be a string".into()),
        };
        Ok((project, Value::Object(m)))
    }

    /// Replaces `"$name"` by the saved id and `"$$x"` by the literal `"$x"`, recursively.
    fn subst(&self, v: &Value) -> R<Value> {
        Ok(match v {
            Value::String(s) => match s.strip_prefix('$') {
                Some(rest) if rest.starts_with('$') => Value::String(rest.to_owned()),
                Some(name) => {
                    Value::String(self.saved.get(name).cloned().ok_or_else(|| format!("`${name}` was not saved by an earlier step"))?)
                }
                None => v.clone(),
            },
            Value::Array(a) => Value::Array(a.iter().map(|x| self.subst(x)).collect::<R<_>>()?),
            Value::Object(o) => Value::Object(o.iter().map(|(k, x)| Ok((k.clone(), self.subst(x)?))).collect::<R<_>>()?),
            _ => v.clone(),
        })
    }

    fn step(&mut self, step: &Value) -> R<()> {
        let s = object(step, "step")?;
        only_keys(s, &["op", "note", "actor", "args", "expect", "save_as"], "step")?;
        let op = string(s, "op")?;
        let actor: Option<Actor> = s.get("actor").map(|a| strict(a, "actor")).transpose()?;
        let args = Args::new(&self.subst(s.get("args").unwrap_or(&Value::Null))?, &self.project)?;
        let expect = self.subst(s.get("expect").unwrap_or(&json!({})))?;
        let expect = object(&expect, "expect")?;
        only_keys(expect, EXPECT_KEYS, "expect")?;
        let outcome = self.call(&op, actor.as_ref(), &args)?;
        check_outcome(expect, &outcome)?;
        if let Some(active) = expect.get("active") {
            self.check_active(&args.project()?, object(active, "expect.active")?)?;
        }
        if let Some(name) = s.get("save_as") {
            let name = name.as_str().filter(|n| !n.is_empty() && !n.starts_with('$')).ok_or("`save_as` must be a name without `$`")?;
            let result = outcome.as_ref().map_err(|_| "`save_as` on a step that failed")?;
            let id = result.get("id").and_then(Value::as_str).ok_or("`save_as`: the result has no string `id`")?;
            if self.saved.insert(name.to_owned(), id.to_owned()).is_some() {
                return Err(format!("`save_as`: `{name}` is already saved"));
            }
        }
        Ok(())
    }

    /// Calls the engine method `op`; `Err` is a malformed step, `Ok(Err)` an engine error.
    fn call(&self, op: &str, actor: Option<&Actor>, a: &Args) -> R<Result<Value, Error>> {
        let e = &self.engine;
        if NO_ACTOR.contains(&op) && actor.is_some() {
            return Err(format!("`{op}` takes no `actor`"));
        }
        let who = || actor.ok_or_else(|| format!("`{op}` needs an `actor`"));
        let with = |extra: &[&str], base: &[&str]| a.allow(&[base, extra].concat());
        match op {
            "create_project" => {
                a.allow(&["id", "tenant", "name"])?;
                out(e.create_project(&a.str("id")?, &a.str("tenant")?, &a.str("name")?, who()?))
            }
            "create_environment" => {
                a.allow(&["project", "spec"])?;
                out(e.create_environment(&a.project()?, &a.get::<EnvironmentSpec>("spec")?, who()?))
            }
            "set_policy" => {
                a.allow(&["project", "environment", "policy"])?;
                out(e.set_policy(&a.project()?, &a.str("environment")?, &a.get::<Policy>("policy")?, who()?))
            }
            "set_variables" => {
                a.allow(&["project", "environment", "variables"])?;
                out(e.set_variables(&a.project()?, &a.str("environment")?, &a.get::<Vec<Variable>>("variables")?, who()?))
            }
            "set_health" => {
                a.allow(&["project", "environment", "health"])?;
                out(e.set_health(&a.project()?, &a.str("environment")?, a.get::<Health>("health")?, who()?))
            }
            "register_version" => {
                a.allow(&["project", "spec"])?;
                out(e.register_version(&a.project()?, &a.get::<VersionSpec>("spec")?, who()?))
            }
            "request_deployment" => {
                a.allow(&["project", "request"])?;
                out(e.request_deployment(&a.project()?, &a.get::<DeploymentRequest>("request")?, who()?))
            }
            "approve" => {
                with(&["options"], DEP)?;
                out(e.approve(&a.project()?, &a.str("deployment_id")?, who()?, &a.get_or_default::<ApproveOptions>("options")?))
            }
            "reject" => {
                with(&["reason"], DEP)?;
                out(e.reject(&a.project()?, &a.str("deployment_id")?, who()?, &a.str("reason")?))
            }
            "cancel" => {
                with(&["reason"], DEP)?;
                out(e.cancel(&a.project()?, &a.str("deployment_id")?, who()?, a.opt::<String>("reason")?.as_deref()))
            }
            "execute" => {
                with(&["options", "fail_on"], DEP)?;
                let ex = executor(a.get_or_default("fail_on")?);
                out(e.execute(&a.project()?, &a.str("deployment_id")?, who()?, &ex, &a.get_or_default::<ExecuteOptions>("options")?))
            }
            "rollback" => {
                with(&["options", "fail_on"], DEP)?;
                let ex = executor(a.get_or_default("fail_on")?);
                out(e.rollback(&a.project()?, &a.str("deployment_id")?, who()?, &ex, &a.get_or_default::<RollbackOptions>("options")?))
            }
            "check" => {
                with(&["action"], DEP)?;
                out(e.check(&a.project()?, &a.str("deployment_id")?, who()?, a.get::<Action>("action")?))
            }
            "promote" => {
                with(&["to_environment"], DEP)?;
                out(e.promote(&a.project()?, &a.str("deployment_id")?, &a.str("to_environment")?, who()?))
            }
            "release_lease" => {
                with(&["reason"], DEP)?;
                out(e.release_lease(&a.project()?, &a.str("deployment_id")?, who()?, &a.str("reason")?))
            }
            "quarantine_version" | "release_version" => {
                a.allow(&["project", "entity_type", "entity_id", "version_tag", "reason"])?;
                let f = if op == "quarantine_version" { Engine::quarantine_version } else { Engine::release_version };
                let (t, i, v) = (a.str("entity_type")?, a.str("entity_id")?, a.str("version_tag")?);
                out(f(e, &a.project()?, &t, &i, &v, who()?, &a.str("reason")?))
            }
            "due" => {
                a.allow(&["project"])?;
                out(e.due(&a.project()?))
            }
            "sweep" => {
                a.allow(&[])?;
                out(e.sweep())
            }
            "active_state_at" => {
                a.allow(&["project", "environment", "at"])?;
                out(e.active_state_at(&a.project()?, &a.str("environment")?, a.get("at")?))
            }
            "deployments_live_at" => {
                a.allow(&["project", "environment", "at"])?;
                out(e.deployments_live_at(&a.project()?, &a.str("environment")?, a.get("at")?))
            }
            "get_deployment" => {
                a.allow(DEP)?;
                out(e.get_deployment(&a.project()?, &a.str("deployment_id")?))
            }
            "list_deployments" => {
                a.allow(&["project", "filter"])?;
                out(e.list_deployments(&a.project()?, &a.get_or_default::<DeploymentFilter>("filter")?))
            }
            "active_state" => {
                a.allow(&["project", "environment"])?;
                out(e.active_state(&a.project()?, &a.str("environment")?))
            }
            "active_version" => {
                a.allow(&["project", "environment", "entity_type", "entity_id"])?;
                out(e.active_version(&a.project()?, &a.str("environment")?, &a.str("entity_type")?, &a.str("entity_id")?))
            }
            "active_version_tag" => {
                a.allow(&["project", "environment", "entity_type", "entity_id"])?;
                out(e.active_version_tag(&a.project()?, &a.str("environment")?, &a.str("entity_type")?, &a.str("entity_id")?))
            }
            "entity_history" => {
                a.allow(&["project", "entity_type", "entity_id", "limit"])?;
                out(e.entity_history(&a.project()?, &a.str("entity_type")?, &a.str("entity_id")?, a.opt("limit")?))
            }
            "compare_environments" => {
                a.allow(&["project", "left", "right"])?;
                out(e.compare_environments(&a.project()?, &a.str("left")?, &a.str("right")?))
            }
            "pending_approvals" => {
                a.allow(&["project"])?;
                out(e.pending_approvals(&a.project()?, who()?))
            }
            "audit_log" => {
                a.allow(&["project", "object_id", "after_seq", "limit"])?;
                let object_id = a.opt::<String>("object_id")?;
                out(e.audit_log(&a.project()?, object_id.as_deref(), a.opt("after_seq")?.unwrap_or(0), a.opt("limit")?))
            }
            "verify_audit" => {
                a.allow(&[])?;
                out(e.verify_audit())
            }
            "events_after" => {
                a.allow(&["project", "after_seq", "limit"])?;
                out(e.events_after(Some(&a.project()?), a.opt("after_seq")?.unwrap_or(0), a.opt("limit")?))
            }
            "unset_variables" => {
                a.allow(&["project", "environment", "keys"])?;
                out(e.unset_variables(&a.project()?, &a.str("environment")?, &a.get::<Vec<String>>("keys")?, who()?))
            }
            "compare_variables" => {
                a.allow(&["project", "left", "right"])?;
                out(e.compare_variables(&a.project()?, &a.str("left")?, &a.str("right")?))
            }
            "attach_artifact" => {
                a.allow(&["project", "spec"])?;
                out(e.attach_artifact(&a.project()?, &a.get::<ArtifactSpec>("spec")?, who()?))
            }
            "list_artifacts" => {
                a.allow(&["project", "entity_type", "entity_id", "version_tag"])?;
                let tag = a.opt::<String>("version_tag")?;
                out(e.list_artifacts(&a.project()?, &a.str("entity_type")?, &a.str("entity_id")?, tag.as_deref()))
            }
            "prunable_artifacts" => {
                a.allow(&["project"])?;
                out(e.prunable_artifacts(&a.project()?))
            }
            "prune_artifacts" => {
                a.allow(&["project", "ids", "reason"])?;
                out(e.prune_artifacts(&a.project()?, &a.get::<Vec<String>>("ids")?, who()?, &a.str("reason")?))
            }
            "record_deployment_error" => {
                a.allow(&["project", "spec"])?;
                out(e.record_deployment_error(&a.project()?, &a.get::<ErrorSpec>("spec")?, who()?))
            }
            "resolve_deployment_error" => {
                a.allow(&["project", "error_id", "notes"])?;
                out(e.resolve_deployment_error(&a.project()?, &a.str("error_id")?, who()?, &a.str("notes")?))
            }
            "list_deployment_errors" => {
                a.allow(&["project", "filter"])?;
                out(e.list_deployment_errors(&a.project()?, &a.get_or_default::<ErrorFilter>("filter")?))
            }
            "compliance_report" => {
                a.allow(&["project", "from", "to", "environment"])?;
                let env = a.opt::<String>("environment")?;
                out(e.compliance_report(&a.project()?, a.get("from")?, a.get("to")?, env.as_deref()))
            }
            "environment_metrics" => {
                a.allow(&["project", "environment", "from", "to"])?;
                out(e.environment_metrics(&a.project()?, &a.str("environment")?, a.get("from")?, a.get("to")?))
            }
            "add_freeze" => {
                a.allow(&["project", "spec"])?;
                out(e.add_freeze(&a.project()?, &a.get::<FreezeSpec>("spec")?, who()?))
            }
            "remove_freeze" => {
                a.allow(&["project", "freeze_id", "reason"])?;
                out(e.remove_freeze(&a.project()?, &a.str("freeze_id")?, who()?, &a.str("reason")?))
            }
            "list_freezes" => {
                a.allow(&["project", "environment"])?;
                out(e.list_freezes(&a.project()?, a.opt::<String>("environment")?.as_deref()))
            }
            "active_freezes" => {
                a.allow(&["project", "environment", "at"])?;
                out(e.active_freezes(&a.project()?, &a.str("environment")?, a.get("at")?))
            }
            "begin" => {
                with(&["options"], DEP)?;
                out(e.begin(&a.project()?, &a.str("deployment_id")?, who()?, &a.get_or_default::<ExecuteOptions>("options")?))
            }
            "log" => {
                with(&["stage", "line"], DEP)?;
                out(e.log(&a.project()?, &a.str("deployment_id")?, &a.str("stage")?, &a.str("line")?))
            }
            "deployment_logs" => {
                with(&["after_seq", "limit"], DEP)?;
                out(e.deployment_logs(&a.project()?, &a.str("deployment_id")?, a.opt("after_seq")?.unwrap_or(0), a.opt("limit")?))
            }
            "heartbeat" => {
                a.allow(DEP)?;
                out(e.heartbeat(&a.project()?, &a.str("deployment_id")?, who()?))
            }
            "complete" => {
                with(&["completion"], DEP)?;
                out(e.complete(&a.project()?, &a.str("deployment_id")?, who()?, &a.get::<Completion>("completion")?))
            }
            "resume" => {
                with(&["decision", "reason", "fail_on"], DEP)?;
                let ex = executor(a.get_or_default("fail_on")?);
                let reason = a.opt::<String>("reason")?;
                out(e.resume(&a.project()?, &a.str("deployment_id")?, who()?, &ex, a.get::<ResumeDecision>("decision")?, reason.as_deref()))
            }
            "report_health" => {
                with(&["report", "fail_on"], DEP)?;
                let ex = executor(a.get_or_default("fail_on")?);
                out(e.report_health(&a.project()?, &a.str("deployment_id")?, &a.get::<HealthReport>("report")?, who()?, &ex))
            }
            "health_checks" => {
                a.allow(DEP)?;
                out(e.health_checks(&a.project()?, &a.str("deployment_id")?))
            }
            "advance_clock" => {
                a.allow(&["seconds"])?;
                self.clock.advance(Duration::seconds(a.get("seconds")?));
                Ok(Ok(Value::Null))
            }
            _ => Err(format!("unknown op `{op}`")),
        }
    }

    /// The full active state of each named environment must equal the expected map.
    fn check_active(&self, project: &str, want: &Map<String, Value>) -> R<()> {
        for (env, entries) in want {
            let want: BTreeMap<String, String> = strict(entries, "expect.active")?;
            let live = self.engine.active_state(project, env).map_err(|e| format!("active state of `{env}`: {e}"))?;
            let got: BTreeMap<String, String> =
                live.into_iter().map(|a| (format!("{}/{}", a.entity_type, a.entity_id), a.version_tag)).collect();
            if got != want {
                return Err(format!("active state of `{env}` is {}, expected {}", json!(got), json!(want)));
            }
        }
        Ok(())
    }
}

/// One entity the scenario executor refuses to activate.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FailOn {
    entity_type: String,
    entity_id: String,
}

/// An executor that fails (not on revert) for the entities in `fail_on` and succeeds otherwise.
fn executor(fail_on: Vec<FailOn>) -> impl Executor {
    move |a: &Activation<'_>| {
        let hit = fail_on.iter().any(|f| f.entity_type == a.entity_type && f.entity_id == a.entity_id);
        if hit && !a.revert { Err(SIMULATED_FAILURE.to_owned()) } else { Ok(()) }
    }
}

fn out<T: Serialize>(r: deploygov::Result<T>) -> R<Result<Value, Error>> {
    match r {
        Ok(t) => serde_json::to_value(&t).map(Ok).map_err(|e| format!("cannot serialize the result: {e}")),
        Err(e) => Ok(Err(e)),
    }
}

/// Checks every expectation except `active`.
fn check_outcome(expect: &Map<String, Value>, outcome: &Result<Value, Error>) -> R<()> {
    let want_error = expect.get("error").map(|v| v.as_str().ok_or("`error` must be a string")).transpose()?;
    let result = match (outcome, want_error) {
        (Err(e), Some(code)) if e.code().name() == code => None,
        (Err(e), Some(code)) => return Err(format!("expected error `{code}`, got `{}`: {e}", e.code())),
        (Err(e), None) => return Err(format!("unexpected error `{}`: {e}", e.code())),
        (Ok(v), Some(code)) => return Err(format!("expected error `{code}`, but the step succeeded with {}", brief(v))),
        (Ok(v), None) => Some(v),
    };
    if let Some(want) = expect.get("findings") {
        let mut want: Vec<String> = strict(want, "expect.findings")?;
        let mut got: Vec<String> = match outcome {
            Err(e) => e.report().ok_or("`findings` needs a `validation_failed` error")?.errors.iter().map(|f| f.code.clone()).collect(),
            Ok(v) => {
                let errors = v.pointer("/findings/errors").and_then(Value::as_array).ok_or("the result has no `findings.errors`")?;
                errors.iter().map(|f| f.get("code").and_then(Value::as_str).unwrap_or("?").to_owned()).collect()
            }
        };
        want.sort();
        got.sort();
        if got != want {
            return Err(format!("findings are {got:?}, expected {want:?}"));
        }
    }
    let Some(v) = result else {
        return match expect.keys().find(|k| !["error", "findings", "active"].contains(&k.as_str())) {
            Some(k) => Err(format!("`{k}` cannot be checked together with `error`")),
            None => Ok(()),
        };
    };
    if let Some(want) = expect.get("status") {
        same("status", v.get("status"), want)?;
    }
    if let Some(want) = expect.get("allowed") {
        same("allowed", v.get("allowed"), want)?;
    }
    if let Some(want) = expect.get("count") {
        let n = v.as_array().or_else(|| v.get("items").and_then(Value::as_array)).map(Vec::len).ok_or("`count` needs a list result")?;
        same("count", Some(&json!(n)), want)?;
    }
    if let Some(want) = expect.get("items") {
        let want = want.as_array().ok_or("`items` must be an array")?;
        let got = v.get("items").and_then(Value::as_array).ok_or("the result has no `items`")?;
        if got.len() != want.len() {
            return Err(format!("the result has {} items, expected {}", got.len(), want.len()));
        }
        for (n, (w, g)) in want.iter().zip(got).enumerate() {
            for (k, wv) in object(w, "expected item")? {
                same(&format!("items.{n}.{k}"), g.get(k), wv)?;
            }
        }
    }
    if let Some(fields) = expect.get("fields") {
        for (path, want) in object(fields, "expect.fields")? {
            same(path, lookup(v, path), want)?;
        }
    }
    Ok(())
}

fn same(what: &str, got: Option<&Value>, want: &Value) -> R<()> {
    match got {
        None => Err(format!("`{what}` is missing from the result, expected {want}")),
        Some(g) if g != want => Err(format!("`{what}` is {}, expected {want}", brief(g))),
        Some(_) => Ok(()),
    }
}

/// A dotted path into a JSON value; numeric segments index arrays; `""` is the value itself.
fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(v);
    }
    path.split('.').try_fold(v, |v, seg| match v {
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        Value::Object(o) => o.get(seg),
        _ => None,
    })
}

fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 400 { format!("{}...", s.chars().take(400).collect::<String>()) } else { s }
}

/// The named arguments of one step, with the default project.
struct Args {
    map: Map<String, Value>,
    project: String,
}

impl Args {
    fn new(v: &Value, project: &str) -> R<Self> {
        let map = match v {
            Value::Null => Map::new(),
            Value::Object(m) => m.clone(),
            _ => return Err("`args` must be an object".into()),
        };
        Ok(Self { map, project: project.to_owned() })
    }

    fn allow(&self, keys: &[&str]) -> R<()> {
        only_keys(&self.map, keys, "args")
    }

    fn project(&self) -> R<String> {
        Ok(self.opt("project")?.unwrap_or_else(|| self.project.clone()))
    }

    fn str(&self, key: &str) -> R<String> {
        self.get(key)
    }

    fn get<T: DeserializeOwned + Serialize>(&self, key: &str) -> R<T> {
        strict(self.map.get(key).ok_or_else(|| format!("missing argument `{key}`"))?, key)
    }

    fn opt<T: DeserializeOwned + Serialize>(&self, key: &str) -> R<Option<T>> {
        self.map.get(key).filter(|v| !v.is_null()).map(|v| strict(v, key)).transpose()
    }

    fn get_or_default<T: DeserializeOwned + Serialize + Default>(&self, key: &str) -> R<T> {
        Ok(self.opt(key)?.unwrap_or_default())
    }
}

/// Deserializes `v` and refuses members the type does not know (serde would silently drop them).
fn strict<T: DeserializeOwned + Serialize>(v: &Value, what: &str) -> R<T> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| format!("`{what}`: {e}"))?;
    let back = serde_json::to_value(&t).map_err(|e| format!("`{what}`: {e}"))?;
    known_keys(v, &back, what)?;
    Ok(t)
}

fn known_keys(input: &Value, back: &Value, at: &str) -> R<()> {
    match (input, back) {
        (Value::Object(i), Value::Object(b)) => {
            for (k, v) in i {
                known_keys(v, b.get(k).ok_or_else(|| format!("unknown member `{at}.{k}`"))?, &format!("{at}.{k}"))?;
            }
        }
        (Value::Array(i), Value::Array(b)) => {
            for (n, (x, y)) in i.iter().zip(b).enumerate() {
                known_keys(x, y, &format!("{at}.{n}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn object<'a>(v: &'a Value, what: &str) -> R<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| format!("{what} must be an object"))
}

fn only_keys(m: &Map<String, Value>, allowed: &[&str], what: &str) -> R<()> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown key `{k}` in {what} (allowed: {})", allowed.join(", "))),
        None => Ok(()),
    }
}

fn string(m: &Map<String, Value>, key: &str) -> R<String> {
    m.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| format!("`{key}` must be a string"))
}

fn list<'a>(m: &'a Map<String, Value>, key: &str) -> R<&'a [Value]> {
    match m.get(key) {
        None => Ok(&[]),
        Some(v) => v.as_array().map(Vec::as_slice).ok_or_else(|| format!("`{key}` must be an array")),
    }
}
