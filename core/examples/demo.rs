//! The governed JAPM workflow on an embedded SQLite file, printing what happens at each step.
//!
//! `cargo run -p deploygov --example demo [-- PATH]` (default `deploygov-demo.db`, recreated).

use deploygov::{
    Action, Activation, Actor, ApproveOptions, DeploymentRequest, Engine, EnvironmentSpec, ExecuteOptions, ItemSpec, NoopExecutor,
    RiskLevel, RollbackOptions, VersionSpec,
};

const P: &str = "japm";

fn item(entity_type: &str, entity_id: &str, tag: &str, risk: RiskLevel) -> ItemSpec {
    ItemSpec { entity_type: entity_type.into(), entity_id: entity_id.into(), version_tag: tag.into(), change_message: None, risk }
}

fn live(e: &Engine, env: &str) -> Result<String, deploygov::Error> {
    let state = e.active_state(P, env)?;
    if state.is_empty() {
        return Ok("(nothing live)".into());
    }
    Ok(state.iter().map(|a| format!("{}/{}={}", a.entity_type, a.entity_id, a.version_tag)).collect::<Vec<_>>().join(", "))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "deploygov-demo.db".into());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let e = Engine::open(&path)?;
    println!("== deploygov demo on SQLite file `{path}`\n");

    let (alice, bob, carol) = (Actor::new("alice", &["admin"]), Actor::new("bob", &["admin"]), Actor::new("carol", &["tenant_admin"]));
    let dave = Actor::new("dave", &["developer"]);
    e.create_project(P, "acme", "JAPM", &alice)?;
    println!("1. environments and their default policies");
    for name in ["development", "staging", "production"] {
        let env = e.create_environment(P, &EnvironmentSpec { name: name.into(), ..Default::default() }, &alice)?;
        let rules: Vec<String> = env
            .policy
            .approval_rules
            .iter()
            .map(|r| format!("{} approval(s) from {}", r.required_approvals, r.eligible_roles.join("/")))
            .collect();
        let rules = if rules.is_empty() { "no approval".to_owned() } else { rules.join(" + ") };
        let who = if env.policy.request_roles.is_empty() { "anyone".to_owned() } else { env.policy.request_roles.join("/") };
        println!("   {name:<12} {rules}; requested by {who}; 4-eyes {}", if env.policy.four_eyes { "on" } else { "off" });
    }

    println!("\n2. catalog: prompt `chatbot` 1.1.0 and 1.2.0, asset `templates` 2.0.0 and 2.1.0, model `gpt-x` 1.0.0");
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

    let approve_twice = |id: &str| -> Result<(), deploygov::Error> {
        e.approve(P, id, &bob, &ApproveOptions { comment: Some("looks good".into()), rule: None, ..Default::default() })?;
        e.approve(P, id, &carol, &ApproveOptions::default())?;
        Ok(())
    };
    let req = |name: &str, items: Vec<ItemSpec>| DeploymentRequest {
        environment: "production".into(),
        name: name.into(),
        items,
        ..Default::default()
    };
    let first = e.request_deployment(
        P,
        &req(
            "release-1",
            vec![
                item("prompt_version", "chatbot", "1.1.0", RiskLevel::Low),
                item("prompt_asset_version", "templates", "2.0.0", RiskLevel::Low),
            ],
        ),
        &alice,
    )?;
    approve_twice(&first.id)?;
    e.execute(P, &first.id, &bob, &NoopExecutor, &ExecuteOptions::default())?;
    println!("3. release-1 requested by alice, approved by bob and carol, executed: production = {}", live(&e, "production")?);

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
    println!("\n4. alice requests release-2 for production: `{}` is {} (risk {})", d.id, d.status, d.risk);
    match e.approve(P, &d.id, &alice, &ApproveOptions::default()) {
        Err(err) => println!("   alice approves her own deployment -> refused [{}]: {err}", err.code()),
        Ok(_) => return Err("self-approval was accepted".into()),
    }
    match e.approve(P, &d.id, &dave, &ApproveOptions::default()) {
        Err(err) => println!("   dave (developer) approves -> refused [{}]: {err}", err.code()),
        Ok(_) => return Err("a developer approval was accepted".into()),
    }
    let after_bob = e.approve(P, &d.id, &bob, &ApproveOptions { comment: Some("looks good".into()), rule: None, ..Default::default() })?;
    let dry = e.check(P, &d.id, &bob, Action::Execute)?;
    let rule = dry.approvals.rules.first().ok_or("no rule")?;
    println!(
        "   bob approves -> {} ({} of {} for rule `{}`); may bob execute now? {}",
        after_bob.status, rule.granted, rule.required, rule.rule, dry.allowed
    );
    for b in &dry.blockers {
        println!("     blocked [{}]: {}", b.code, b.message);
    }
    let approved = e.approve(P, &d.id, &carol, &ApproveOptions::default())?;
    println!("   carol approves -> {}", approved.status);
    let done = e.execute(P, &d.id, &carol, &NoopExecutor, &ExecuteOptions::default())?;
    println!("   carol executes -> {}; production = {}", done.status, live(&e, "production")?);
    println!("   release-1 is now {}", e.get_deployment(P, &first.id)?.status);

    println!("\n5. release-3 adds model gpt-x 1.0.0, but the host's executor fails on it");
    let bad = e.request_deployment(
        P,
        &req(
            "release-3",
            vec![item("prompt_version", "chatbot", "1.1.0", RiskLevel::Low), item("ai_model", "gpt-x", "1.0.0", RiskLevel::High)],
        ),
        &alice,
    )?;
    for w in &bad.warnings {
        println!("   warning [{}]: {}", w.code, w.message);
    }
    approve_twice(&bad.id)?;
    let failing = |a: &Activation<'_>| -> Result<(), String> {
        if a.entity_type == "ai_model" && !a.revert { Err("model endpoint returned 503".into()) } else { Ok(()) }
    };
    let failed = e.execute(P, &bad.id, &bob, &failing, &ExecuteOptions::default())?;
    println!("   executed -> {}", failed.status);
    for i in &failed.items {
        println!(
            "     {}/{} {} -> {}{}",
            i.entity_type,
            i.entity_id,
            i.version_tag.as_deref().unwrap_or("-"),
            i.status,
            i.error_message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
        );
    }
    println!("   production unchanged = {}", live(&e, "production")?);

    println!("\n6. answers got worse: alice rolls back release-2");
    let r = e.rollback(P, &d.id, &alice, &NoopExecutor, &RollbackOptions { target: None, reason: "answers got worse".into() })?;
    println!("   rollback `{}` ({}) -> {}; production = {}", r.id, r.kind, r.status, live(&e, "production")?);
    println!("   release-2 is now {}", e.get_deployment(P, &d.id)?.status);

    println!("\n7. audit trail of release-2");
    for a in e.audit_log(P, Some(&d.id), 0, Some(100))? {
        println!(
            "   #{:<3} {} {:<28} by {}{}",
            a.seq,
            a.at.format("%H:%M:%S"),
            a.action,
            a.actor_id,
            a.reason.map(|r| format!(" ({r})")).unwrap_or_default()
        );
    }
    let v = e.verify_audit()?;
    println!("   audit chain verified: {} entries, head {}", v.entries, v.head_hash.get(..16).unwrap_or_default());
    Ok(())
}
