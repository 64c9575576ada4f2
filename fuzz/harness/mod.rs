//! The code paths the fuzz targets drive. Shared, through `#[path]`, by the fuzz targets
//! (`fuzz/fuzz_targets/*.rs`) and by `core/tests/fuzz_regressions.rs`, which replays every
//! committed input through the same functions. Each function returns the first error the
//! engine reported (`Ok` when the input was accepted); a panic is a crash.
//!
//! Only `deploygov`, `serde_json` and `chrono` are used, so the core's tests can include it
//! without new dependencies.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use deploygov::{
    Actor, ApproveOptions, DeploymentFilter, DeploymentRequest, DeploymentStatus, Engine, EnvironmentSpec, ExecuteOptions, ItemSpec,
    ManualClock, NoopExecutor, Policy, RiskLevel, RollbackOptions, Variable, VersionSpec,
};

/// The project every fuzzed engine starts with.
pub const PROJECT: &str = "fuzz";

fn admin(id: &str) -> Actor {
    Actor::new(id, &["admin"])
}

fn json_err(what: &str, e: &serde_json::Error) -> deploygov::Error {
    deploygov::Error::InvalidInput(format!("bad {what} json: {e}"))
}

/// A fresh in-memory engine with a manual clock, project `fuzz`, environments `development`,
/// `staging`, `production` (default policies) and versions `1.0.0`..`1.0.3` of `model/m0..m2`.
pub fn engine() -> deploygov::Result<(Engine, ManualClock)> {
    let (e, clock) = bare_engine()?;
    let root = admin("root");
    for name in ["development", "staging", "production"] {
        e.create_environment(PROJECT, &EnvironmentSpec { name: name.into(), ..Default::default() }, &root)?;
    }
    for m in 0..3 {
        for v in 0..4 {
            let spec = VersionSpec {
                entity_type: "model".into(),
                entity_id: format!("m{m}"),
                version_tag: format!("1.0.{v}"),
                ..Default::default()
            };
            e.register_version(PROJECT, &spec, &root)?;
        }
    }
    Ok((e, clock))
}

/// A fresh in-memory engine with a manual clock and project `fuzz` only.
pub fn bare_engine() -> deploygov::Result<(Engine, ManualClock)> {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).single().unwrap_or_else(Utc::now));
    let store = deploygov::store::SqliteStore::open(":memory:")?;
    let e = Engine::with_store(Box::new(store), Arc::new(clock.clone()));
    let root = admin("root");
    e.create_project(PROJECT, "acme", "Fuzz", &root)?;
    Ok((e, clock))
}

/// Policy documents: serde, `check`, the derived rule sets and a serde round trip; an accepted
/// policy is also installed on an environment.
pub fn policy(data: &[u8]) -> deploygov::Result<()> {
    let p: Policy = serde_json::from_slice(data).map_err(|e| json_err("policy", &e))?;
    p.check()?;
    for risk in RiskLevel::ALL {
        let _ = p.effective_rules(*risk);
        let _ = p.rejecters(*risk);
        let _ = p.rules_for(deploygov::DeploymentKind::Rollback, *risk);
    }
    let text = serde_json::to_string(&p).map_err(|e| json_err("policy", &e))?;
    let back: Policy = serde_json::from_str(&text).map_err(|e| json_err("policy", &e))?;
    assert_eq!(back, p, "a checked policy must survive a serde round trip");
    let (e, _) = engine()?;
    e.set_policy(PROJECT, "staging", &p, &admin("root"))?;
    assert_eq!(e.get_environment(PROJECT, "staging")?.policy, p, "the stored policy is the one given");
    e.verify_audit().map(|_| ())
}

/// The JSON inputs of the core types, as the faces pass them: the first byte picks the type,
/// the rest is its JSON; an accepted value is passed to its engine command.
pub fn request(data: &[u8]) -> deploygov::Result<()> {
    let Some((kind, body)) = data.split_first() else { return Ok(()) };
    let (e, _) = engine()?;
    let alice = admin("alice");
    let before = e.verify_audit()?.entries;
    let out = match kind % 8 {
        0 => {
            let req: DeploymentRequest = serde_json::from_slice(body).map_err(|e| json_err("request", &e))?;
            e.request_deployment(PROJECT, &req, &alice).map(drop)
        }
        1 => {
            let spec: EnvironmentSpec = serde_json::from_slice(body).map_err(|e| json_err("environment", &e))?;
            e.create_environment(PROJECT, &spec, &alice).map(drop)
        }
        2 => {
            let spec: VersionSpec = serde_json::from_slice(body).map_err(|e| json_err("version", &e))?;
            e.register_version(PROJECT, &spec, &alice).map(drop)
        }
        3 => {
            let actor: Actor = serde_json::from_slice(body).map_err(|e| json_err("actor", &e))?;
            let req = DeploymentRequest {
                environment: "staging".into(),
                name: "fuzz".into(),
                items: vec![item("m0", "1.0.1")],
                ..Default::default()
            };
            let d = e.request_deployment(PROJECT, &req, &admin("requester"))?;
            e.approve(PROJECT, &d.id, &actor, &ApproveOptions::default()).map(drop)
        }
        4 => {
            let opts: ApproveOptions = serde_json::from_slice(body).map_err(|e| json_err("approve options", &e))?;
            let d = e.request_deployment(PROJECT, &staging_request("1.0.1"), &admin("requester"))?;
            e.approve(PROJECT, &d.id, &alice, &opts).map(drop)
        }
        5 => {
            let opts: ExecuteOptions = serde_json::from_slice(body).map_err(|e| json_err("execute options", &e))?;
            let d = e.request_deployment(PROJECT, &staging_request("1.0.1"), &admin("requester"))?;
            e.execute(PROJECT, &d.id, &alice, &NoopExecutor, &opts).map(drop)
        }
        6 => {
            let filter: DeploymentFilter = serde_json::from_slice(body).map_err(|e| json_err("filter", &e))?;
            e.list_deployments(PROJECT, &filter).map(drop)
        }
        _ => {
            let vars: Vec<Variable> = serde_json::from_slice(body).map_err(|e| json_err("variables", &e))?;
            e.set_variables(PROJECT, "staging", &vars, &alice).map(drop)
        }
    };
    // Whatever happened, the chain verifies; a refusal wrote nothing.
    let after = e.verify_audit()?.entries;
    if out.is_err() && kind % 8 < 3 {
        assert_eq!(after, before, "a refused command wrote audit entries");
    }
    out
}

fn item(entity: &str, tag: &str) -> ItemSpec {
    ItemSpec { entity_type: "model".into(), entity_id: entity.into(), version_tag: tag.into(), change_message: None, risk: RiskLevel::Low }
}

fn staging_request(tag: &str) -> DeploymentRequest {
    DeploymentRequest { environment: "staging".into(), name: "fuzz".into(), items: vec![item("m0", tag)], ..Default::default() }
}

/// Scenario-like command documents (a subset of `tests/scenarios/README.md`: `setup` with
/// `environments` and `versions` in project `fuzz`, `steps` with `op`, `actor`, `args`, `save_as`, `$name`
/// references); each step's arguments are deserialized into the core's types.
pub fn scenario(data: &[u8]) -> deploygov::Result<()> {
    let doc: serde_json::Value = serde_json::from_slice(data).map_err(|e| json_err("scenario", &e))?;
    let (e, clock) = bare_engine()?;
    let root = admin("setup");
    let setup = doc.get("setup").cloned().unwrap_or_default();
    for env in setup.get("environments").and_then(|v| v.as_array()).into_iter().flatten() {
        let spec: EnvironmentSpec = serde_json::from_value(env.clone()).map_err(|e| json_err("environment", &e))?;
        e.create_environment(PROJECT, &spec, &root)?;
    }
    for v in setup.get("versions").and_then(|v| v.as_array()).into_iter().flatten() {
        let spec: VersionSpec = serde_json::from_value(v.clone()).map_err(|e| json_err("version", &e))?;
        e.register_version(PROJECT, &spec, &root)?;
    }
    let mut saved: BTreeMap<String, String> = BTreeMap::new();
    let mut first_err = None;
    for step in doc.get("steps").and_then(|v| v.as_array()).into_iter().flatten().take(64) {
        let actor: Actor = match step.get("actor") {
            Some(a) => serde_json::from_value(a.clone()).map_err(|e| json_err("actor", &e))?,
            None => root.clone(),
        };
        let args = step.get("args").cloned().unwrap_or_default();
        let arg = |k: &str| -> String {
            let s = args.get(k).and_then(|v| v.as_str()).unwrap_or_default();
            s.strip_prefix('$').and_then(|n| saved.get(n).cloned()).unwrap_or_else(|| s.to_owned())
        };
        let op = step.get("op").and_then(|v| v.as_str()).unwrap_or_default();
        let out: deploygov::Result<Option<String>> = match op {
            "request_deployment" => serde_json::from_value::<DeploymentRequest>(args.clone())
                .map_err(|e| json_err("request", &e))
                .and_then(|r| e.request_deployment(PROJECT, &r, &actor))
                .map(|d| Some(d.id)),
            "approve" => {
                let opts: ApproveOptions = serde_json::from_value(args.get("options").cloned().unwrap_or(serde_json::json!({})))
                    .map_err(|e| json_err("options", &e))?;
                e.approve(PROJECT, &arg("deployment_id"), &actor, &opts).map(|d| Some(d.id))
            }
            "reject" => e.reject(PROJECT, &arg("deployment_id"), &actor, &arg("reason")).map(|d| Some(d.id)),
            "cancel" => e.cancel(PROJECT, &arg("deployment_id"), &actor, Some(&arg("reason"))).map(|d| Some(d.id)),
            "execute" => e.execute(PROJECT, &arg("deployment_id"), &actor, &NoopExecutor, &ExecuteOptions::default()).map(|d| Some(d.id)),
            "rollback" => {
                let opts =
                    RollbackOptions { target: args.get("target").and_then(|v| v.as_str()).map(str::to_owned), reason: arg("reason") };
                e.rollback(PROJECT, &arg("deployment_id"), &actor, &NoopExecutor, &opts).map(|d| Some(d.id))
            }
            "promote" => e.promote(PROJECT, &arg("deployment_id"), &arg("environment"), &actor).map(|d| Some(d.id)),
            "set_policy" => serde_json::from_value::<Policy>(args.get("policy").cloned().unwrap_or_default())
                .map_err(|e| json_err("policy", &e))
                .and_then(|p| e.set_policy(PROJECT, &arg("environment"), &p, &actor))
                .map(|_| None),
            "set_variables" => serde_json::from_value::<Vec<Variable>>(args.get("variables").cloned().unwrap_or_default())
                .map_err(|e| json_err("variables", &e))
                .and_then(|v| e.set_variables(PROJECT, &arg("environment"), &v, &actor))
                .map(|_| None),
            "advance_clock" => {
                let secs = args.get("seconds").and_then(serde_json::Value::as_i64).unwrap_or(0).clamp(-86_400 * 365, 86_400 * 365);
                clock.advance(Duration::seconds(secs));
                Ok(None)
            }
            "sweep" => e.sweep().map(|_| None),
            other => Err(deploygov::Error::InvalidInput(format!("unknown op `{other}`"))),
        };
        match out {
            Ok(Some(id)) => {
                if let Some(name) = step.get("save_as").and_then(|v| v.as_str()) {
                    saved.insert(name.to_owned(), id);
                }
            }
            Ok(None) => {}
            Err(err) => {
                first_err.get_or_insert(err);
            }
        }
    }
    invariants(&e)?;
    first_err.map_or(Ok(()), Err)
}

/// Random command sequences decoded from bytes (two bytes per command: which command, and a
/// selector for its deployment, actor, version and flags), on a fresh engine; after the sequence
/// the audit chain verifies and at most one deployment per environment is `deploying`.
pub fn commands(data: &[u8]) -> deploygov::Result<()> {
    let (e, clock) = engine()?;
    let envs = ["development", "staging", "production"];
    let people = [admin("ann"), admin("bob"), Actor::new("lee", &["lead"]), Actor::new("dev", &["developer"]), admin("ceo")];
    let mut ids: Vec<String> = Vec::new();
    let mut first_err = None;
    for pair in data.chunks(2).take(256) {
        let (op, sel) = (pair.first().copied().unwrap_or(0), pair.get(1).copied().unwrap_or(0) as usize);
        let who = &people[sel % people.len()];
        let target = (!ids.is_empty()).then(|| ids[(sel / 5) % ids.len()].clone());
        let out = match (op % 12, target) {
            (0 | 1, _) => {
                let req = DeploymentRequest {
                    environment: envs[sel % 3].into(),
                    name: format!("d{}", ids.len()),
                    items: vec![item(&format!("m{}", (sel / 3) % 3), &format!("1.0.{}", (sel / 9) % 4))],
                    idempotency_key: (op & 0x80 != 0).then(|| format!("k{}", sel % 4)),
                    ..Default::default()
                };
                e.request_deployment(PROJECT, &req, who).map(|d| ids.push(d.id))
            }
            (2 | 3, Some(id)) => e.approve(PROJECT, &id, who, &ApproveOptions::default()).map(drop),
            (4 | 5, Some(id)) => {
                let fails = op & 0x40 != 0;
                let ex = move |_: &deploygov::Activation<'_>| if fails { Err("boom".to_owned()) } else { Ok(()) };
                e.execute(PROJECT, &id, who, &ex, &ExecuteOptions::default()).map(drop)
            }
            (6, Some(id)) => e
                .rollback(PROJECT, &id, who, &NoopExecutor, &RollbackOptions { target: None, reason: "fuzz".into() })
                .map(|d| ids.push(d.id)),
            (7, Some(id)) => e.reject(PROJECT, &id, who, "no").map(drop),
            (8, Some(id)) => e.cancel(PROJECT, &id, who, None).map(drop),
            (9, Some(id)) => e.promote(PROJECT, &id, envs[sel % 3], who).map(|d| ids.push(d.id)),
            (10, _) => {
                let vars = vec![Variable { key: "K".into(), value: format!("{sel}"), secret: op & 0x20 != 0 }];
                e.set_variables(PROJECT, envs[sel % 3], &vars, who).map(drop)
            }
            (11, _) => {
                clock.advance(Duration::seconds(i64::from(op) * 600));
                e.sweep().map(drop)
            }
            _ => Ok(()),
        };
        if let Err(err) = out {
            first_err.get_or_insert(err);
        }
    }
    invariants(&e)?;
    first_err.map_or(Ok(()), Err)
}

/// What must hold after any sequence: the audit chain verifies, at most one deployment per
/// environment is `deploying`, and everything live belongs to a `deployed` deployment.
fn invariants(e: &Engine) -> deploygov::Result<()> {
    e.verify_audit()?;
    for env in e.list_environments(PROJECT)? {
        let filter = DeploymentFilter {
            environment: Some(env.name.clone()),
            status: Some(DeploymentStatus::Deploying),
            limit: Some(10),
            ..Default::default()
        };
        assert!(e.list_deployments(PROJECT, &filter)?.items.len() <= 1, "two deployments deploying in `{}`", env.name);
        for live in e.active_state(PROJECT, &env.name)? {
            let d = e.get_deployment(PROJECT, &live.deployment_id)?;
            assert_eq!(d.status, DeploymentStatus::Deployed, "live entry of a `{}` deployment", d.status);
        }
    }
    Ok(())
}
