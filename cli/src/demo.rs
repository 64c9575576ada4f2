//! `deploygov demo`: the governed JAPM workflow on a fresh SQLite file, printing each step (the
//! same story as `core/examples/demo.rs`). The failing executor of step 5 exists only here: the
//! CLI's own `deploy execute` always uses the core's no-op executor.

use deploygov::{
    Action, Activation, Actor, ApproveOptions, Completion, DeploymentRequest, Engine, EnvironmentSpec, ErrorCode, ExecuteOptions, ItemSpec,
    NoopExecutor, RiskLevel, RollbackOptions, VersionSpec,
};

use crate::args::Global;
use crate::context::{db_path, is_postgres};
use crate::error::{CliError, CliResult};
use crate::output;

const P: &str = "japm";
/// The database the demo recreates when no `--db` is given.
const DEFAULT_DB: &str = "deploygov-demo.db";

/// Prints a step line unless `--json` asked for the summary only.
struct Say {
    quiet: bool,
}

impl Say {
    fn line(&self, text: &str) -> CliResult<()> {
        if self.quiet { Ok(()) } else { output::line(text) }
    }
}

fn item(entity_type: &str, entity_id: &str, tag: &str, risk: RiskLevel) -> ItemSpec {
    ItemSpec { entity_type: entity_type.into(), entity_id: entity_id.into(), version_tag: tag.into(), change_message: None, risk }
}

fn live(e: &Engine, env: &str) -> CliResult<String> {
    let state = e.active_state(P, env)?;
    if state.is_empty() {
        return Ok("(nothing live)".into());
    }
    Ok(state.iter().map(|a| format!("{}/{}={}", a.entity_type, a.entity_id, a.version_tag)).collect::<Vec<_>>().join(", "))
}

fn unexpected(what: &str) -> CliError {
    CliError::other(format!("demo: {what}"), "the core no longer behaves as the demo expects; report this as a bug")
}

/// Removes a SQLite file with its WAL and shared-memory companions.
fn remove_db(path: &str) -> CliResult<()> {
    for suffix in ["", "-wal", "-shm"] {
        match std::fs::remove_file(format!("{path}{suffix}")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CliError::other(format!("cannot remove `{path}{suffix}`: {e}"), "check the file's permissions"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Runs the demo; returns the exit code.
pub fn run(global: &Global, force: bool, fail_item: usize) -> CliResult<i32> {
    let release_3 = vec![item("prompt_version", "chatbot", "1.1.0", RiskLevel::Low), item("ai_model", "gpt-x", "1.0.0", RiskLevel::High)];
    let Some(doomed) = release_3.get(fail_item).map(|i| (i.entity_type.clone(), i.entity_id.clone())) else {
        return Err(CliError::input(
            format!("--fail-item `{fail_item}` is out of range"),
            "release-3 has items 0 (the prompt) and 1 (the model)",
        ));
    };
    let path = match &global.db {
        Some(_) => db_path(global)?,
        None => DEFAULT_DB.to_owned(),
    };
    if is_postgres(&path) {
        return Err(CliError::input(
            "the demo runs on a fresh SQLite file, not on a PostgreSQL database",
            "pass --db with a file path, e.g. --db deploygov-demo.db",
        ));
    }
    if std::path::Path::new(&path).exists() {
        if global.db.is_some() && !force {
            return Err(CliError::kind(
                ErrorCode::Conflict,
                format!("database file `{path}` already exists and the demo needs a fresh one"),
                "pass another --db path, or --force to delete this file first",
            ));
        }
        remove_db(&path)?;
    }
    let e = Engine::open(&path)?;
    let say = Say { quiet: global.json };
    say.line(&format!("== deploygov demo on SQLite file `{path}` (project `{P}`)\n"))?;

    let (alice, bob, carol) = (Actor::new("alice", &["admin"]), Actor::new("bob", &["admin"]), Actor::new("carol", &["tenant_admin"]));
    let dave = Actor::new("dave", &["developer"]);
    e.create_project(P, "acme", "JAPM", &alice)?;
    say.line("1. environments and their default policies")?;
    for name in ["development", "staging", "production"] {
        let env = e.create_environment(P, &EnvironmentSpec { name: name.into(), ..Default::default() }, &alice)?;
        say.line(&format!("   {name:<12} {}", output::policy_words(&env.policy)))?;
    }

    say.line("\n2. catalog: prompt `chatbot` 1.1.0 and 1.2.0, asset `templates` 2.0.0 and 2.1.0, model `gpt-x` 1.0.0")?;
    for (et, id, tag) in [
        ("prompt_version", "chatbot", "1.1.0"),
        ("prompt_version", "chatbot", "1.2.0"),
        ("prompt_asset_version", "templates", "2.0.0"),
        ("prompt_asset_version", "templates", "2.1.0"),
        ("ai_model", "gpt-x", "1.0.0"),
    ] {
        let spec = VersionSpec { entity_type: et.into(), entity_id: id.into(), version_tag: tag.into(), ..Default::default() };
        e.register_version(P, &spec, &alice)?;
    }

    let approve_twice = |id: &str| -> CliResult<()> {
        e.approve(P, id, &bob, &ApproveOptions { comment: Some("looks good".into()), ..Default::default() })?;
        e.approve(P, id, &carol, &ApproveOptions::default())?;
        Ok(())
    };
    let req = |name: &str, items: Vec<ItemSpec>| DeploymentRequest {
        environment: "production".into(),
        name: name.into(),
        items,
        ..Default::default()
    };
    let first_items = vec![
        item("prompt_version", "chatbot", "1.1.0", RiskLevel::Low),
        item("prompt_asset_version", "templates", "2.0.0", RiskLevel::Low),
    ];
    let dev =
        e.request_deployment(P, &DeploymentRequest { environment: "development".into(), ..req("dev-1", first_items.clone()) }, &dave)?;
    let dev = e.execute(P, &dev.id, &dave, &NoopExecutor, &ExecuteOptions::default())?;
    say.line(&format!(
        "\n3. dave (developer) deploys dev-1 to development: {} without approval; development = {}",
        dev.status,
        live(&e, "development")?
    ))?;
    let first = e.request_deployment(P, &req("release-1", first_items), &alice)?;
    approve_twice(&first.id)?;
    e.execute(P, &first.id, &bob, &NoopExecutor, &ExecuteOptions::default())?;
    say.line(&format!("   release-1 requested by alice, approved by bob and carol, executed: production = {}", live(&e, "production")?))?;

    let d = e.request_deployment(
        P,
        &req(
            "release-2",
            vec![
                item("prompt_version", "chatbot", "1.2.0", RiskLevel::Medium),
                item("prompt_asset_version", "templates", "2.1.0", RiskLevel::Low),
            ],
        ),
        &alice,
    )?;
    say.line(&format!("\n4. alice requests release-2 for production: `{}` is {} (risk {})", d.id, d.status, d.risk))?;
    match e.approve(P, &d.id, &alice, &ApproveOptions::default()) {
        Err(err) => say.line(&format!("   alice approves her own deployment -> refused [{}]: {err}", err.code()))?,
        Ok(_) => return Err(unexpected("self-approval was accepted")),
    }
    match e.approve(P, &d.id, &dave, &ApproveOptions::default()) {
        Err(err) => say.line(&format!("   dave (developer) approves -> refused [{}]: {err}", err.code()))?,
        Ok(_) => return Err(unexpected("a developer approval was accepted")),
    }
    let after_bob = e.approve(P, &d.id, &bob, &ApproveOptions { comment: Some("looks good".into()), ..Default::default() })?;
    let dry = e.check(P, &d.id, &bob, Action::Execute)?;
    let rule = dry.approvals.rules.first().ok_or_else(|| unexpected("production has no approval rule"))?;
    say.line(&format!(
        "   bob approves -> {} ({} of {} for rule `{}`); may bob execute now? {}",
        after_bob.status,
        rule.granted,
        rule.required,
        rule.rule,
        if dry.allowed { "yes" } else { "no" }
    ))?;
    for b in &dry.blockers {
        say.line(&format!("     blocked [{}]: {}", b.code, b.message))?;
    }
    let approved = e.approve(P, &d.id, &carol, &ApproveOptions::default())?;
    say.line(&format!("   carol approves -> {}", approved.status))?;
    // The out-of-process way a CI pipeline executes: begin, stage logs, complete.
    e.begin(P, &d.id, &carol, &ExecuteOptions::default())?;
    for (stage, text) in [
        ("deploy", "switching prompt chatbot to 1.2.0"),
        ("deploy", "publishing templates 2.1.0"),
        ("verify", "smoke test: 20 of 20 answers ok"),
    ] {
        e.log(P, &d.id, stage, text)?;
    }
    let done = e.complete(P, &d.id, &carol, &Completion::Success)?;
    say.line("   carol's pipeline begins the execution, logs 3 stage lines (`deploygov deploy logs ID`) and completes it")?;
    say.line(&format!("   carol executes -> {}; production = {}", done.status, live(&e, "production")?))?;
    say.line(&format!("   release-1 is now {}", e.get_deployment(P, &first.id)?.status))?;

    say.line(&format!("\n5. release-3 adds model gpt-x 1.0.0, but the host's executor fails on `{}/{}`", doomed.0, doomed.1))?;
    let bad = e.request_deployment(P, &req("release-3", release_3), &alice)?;
    for w in &bad.warnings {
        say.line(&format!("   warning [{}]: {}", w.code, w.message))?;
    }
    approve_twice(&bad.id)?;
    let failing = |a: &Activation<'_>| -> Result<(), String> {
        if !a.revert && (a.entity_type, a.entity_id) == (doomed.0.as_str(), doomed.1.as_str()) {
            Err(if a.entity_type == "ai_model" { "model endpoint returned 503" } else { "prompt store returned 503" }.into())
        } else {
            Ok(())
        }
    };
    let failed = e.execute(P, &bad.id, &bob, &failing, &ExecuteOptions::default())?;
    say.line(&format!("   executed -> {}", failed.status))?;
    for i in &failed.items {
        say.line(&format!(
            "     {}/{} {} -> {}{}",
            i.entity_type,
            i.entity_id,
            i.version_tag.as_deref().unwrap_or("-"),
            i.status,
            i.error_message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
        ))?;
    }
    say.line(&format!("   production unchanged = {}", live(&e, "production")?))?;

    say.line("\n6. answers got worse: alice rolls back release-2")?;
    let r = e.rollback(P, &d.id, &alice, &NoopExecutor, &RollbackOptions { target: None, reason: "answers got worse".into() })?;
    say.line(&format!("   rollback `{}` ({}) -> {}; production = {}", r.id, r.kind, r.status, live(&e, "production")?))?;
    say.line(&format!("   release-2 is now {}", e.get_deployment(P, &d.id)?.status))?;

    say.line("\n7. audit trail of release-2")?;
    for a in e.audit_log(P, Some(&d.id), 0, Some(100))? {
        say.line(&format!(
            "   #{:<3} {} {:<28} by {}{}",
            a.seq,
            a.at.format("%H:%M:%S"),
            a.action,
            a.actor_id,
            a.reason.map(|r| format!(" ({r})")).unwrap_or_default()
        ))?;
    }
    let promoted = e.promote(P, &dev.id, "staging", &alice)?;
    let waiting = e.check(P, &promoted.id, &bob, Action::Approve)?;
    let rules: Vec<String> = waiting.approvals.rules.iter().map(|r| format!("rule `{}` {} of {}", r.rule, r.granted, r.required)).collect();
    say.line(&format!(
        "\n8. alice promotes dev-1 to staging: `{}` is {} ({}), waiting for a lead",
        promoted.id,
        promoted.status,
        rules.join(", ")
    ))?;

    let v = e.verify_audit()?;
    say.line(&format!("\n9. audit chain verified: {} entries, head {}", v.entries, v.head_hash.get(..16).unwrap_or_default()))?;
    say.line(&format!("\nexplore it: deploygov --db {path} --project {P} status   |   deploygov --db {path} --project {P} serve"))?;
    if global.json {
        let mut live_now = serde_json::Map::new();
        for env in ["development", "staging", "production"] {
            live_now.insert(env.into(), serde_json::to_value(e.active_state(P, env)?).unwrap_or_default());
        }
        output::json(&serde_json::json!({
            "db": path,
            "project": P,
            "deployments": { "release_1": first.id, "release_2": d.id, "release_3": bad.id, "rollback": r.id, "promotion": promoted.id },
            "statuses": { "release_2": e.get_deployment(P, &d.id)?.status, "release_3": failed.status, "rollback": r.status },
            "live": live_now,
            "audit": v,
        }))?;
    }
    Ok(0)
}
