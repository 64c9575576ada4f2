//! Every command family against the built binary: human output, `--json` and exit codes.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use common::*;

const ALICE: &str = "alice:admin";
const BOB: &str = "bob:admin";
const CAROL: &str = "carol:tenant_admin";
const DAVE: &str = "dave:developer";

/// A project `japm` with development and production, and a small catalog.
fn project() -> Dg {
    let dg = Dg::new();
    dg.run(&["project", "create", "japm", "--tenant", "acme", "--name", "JAPM", "--as", "alice", "--role", "admin"]).ok();
    dg.run_as(ALICE, &["env", "create", "development"]).ok();
    dg.run_as(ALICE, &["env", "create", "production", "--url", "https://prod", "--var", "LOG=info", "--secret", "API_KEY=s3cr3t"]).ok();
    for v in ["prompt_version/chatbot@1.0.0", "prompt_version/chatbot@1.1.0", "ai_model/gpt-x@2.0.0"] {
        dg.run_as(ALICE, &["version", "register", v, "--digest", "sha256:abc"]).ok();
    }
    dg
}

fn request(dg: &Dg, env: &str, item: &str) -> String {
    let out = dg.run_as(ALICE, &["deploy", "request", "--env", env, "--name", "rel", "--item", item, "--json"]).ok();
    out.json()["id"].as_str().unwrap().to_owned()
}

#[test]
fn projects_and_environments() {
    let dg = project();
    let p = dg.run(&["project", "show", "--json"]).ok().json();
    assert_eq!((p["id"].as_str(), p["tenant"].as_str()), (Some("japm"), Some("acme")));
    assert!(dg.run(&["project", "show"]).ok().stdout.contains("tenant:"));
    dg.run_as(ALICE, &["project", "create", "japm", "--tenant", "acme"]).fails(17);

    let list = dg.run(&["env", "list"]).ok().stdout;
    assert!(list.contains("development") && list.contains("2 approval(s) from admin/tenant_admin"), "{list}");
    let envs = dg.run(&["env", "list", "--json"]).ok().json();
    assert_eq!(envs.as_array().unwrap().len(), 2);
    let show = dg.run(&["env", "show", "production"]).ok().stdout;
    assert!(show.contains("https://prod") && show.contains("4-eyes on"), "{show}");

    // Secrets are masked in every read.
    let vars = dg.run(&["env", "vars", "show", "production"]).ok().stdout;
    assert!(vars.contains("API_KEY") && vars.contains("***") && !vars.contains("s3cr3t"), "{vars}");
    let set = dg.run_as(ALICE, &["env", "vars", "set", "production", "--var", "LOG=debug", "--secret", "TOKEN=xyz", "--json"]).ok().json();
    assert_eq!(set.as_array().unwrap().len(), 2);
    assert!(!dg.run(&["env", "show", "production", "--json"]).ok().stdout.contains("xyz"));

    let policy = dg.run(&["env", "policy", "get", "production"]).ok().json();
    assert_eq!(policy["approval_rules"][0]["required_approvals"], 2);
    let file = dg.dir.path().join("policy.json");
    std::fs::write(&file, r#"{"approval_rules":[{"name":"leads","required_approvals":1,"eligible_roles":["lead"]}],"four_eyes":true}"#)
        .unwrap();
    dg.run_as(ALICE, &["env", "policy", "set", "production", file.to_str().unwrap()]).ok();
    let policy = dg.run(&["env", "policy", "get", "production"]).ok().json();
    assert_eq!(policy["approval_rules"][0]["name"], "leads");
    dg.run_as(DAVE, &["env", "policy", "set", "production", file.to_str().unwrap()]).fails(13);

    let health = dg.run_as(ALICE, &["env", "health", "production", "degraded", "--json"]).ok().json();
    assert_eq!(health["health"], "degraded");
    assert!(dg.run(&["env", "compare", "development", "production"]).ok().stdout.contains("same live versions"));
}

#[test]
fn version_catalog() {
    let dg = project();
    let list = dg.run(&["version", "list", "prompt_version/chatbot"]).ok().stdout;
    assert!(list.contains("1.1.0") && list.contains("1.0.0"), "{list}");
    let json = dg.run(&["version", "list", "prompt_version/chatbot", "--json"]).ok().json();
    assert_eq!(json[0]["version_tag"], "1.1.0", "newest first");
    // Immutable: the same data again is a no-op, different data a conflict.
    dg.run_as(ALICE, &["version", "register", "prompt_version/chatbot@1.0.0", "--digest", "sha256:abc"]).ok();
    dg.run_as(ALICE, &["version", "register", "prompt_version/chatbot@1.0.0", "--digest", "sha256:other"]).fails(17);
    let spec = dg.dir.path().join("v.json");
    std::fs::write(&spec, r#"{"entity_type":"prompt_version","entity_id":"chatbot","version_tag":"2.0.0","metadata":{"owner":"ml"}}"#)
        .unwrap();
    dg.run_as(ALICE, &["version", "register", "--file", spec.to_str().unwrap()]).ok();
    let dep = dg
        .run_as(
            ALICE,
            &["version", "register", "app_build/web@3", "--dep", "prompt_version/chatbot=^1.0", "--metadata", "{\"ci\":1}", "--json"],
        )
        .ok()
        .json();
    assert_eq!(dep["dependencies"][0]["requirement"], "^1.0");

    let q = dg.run_as(ALICE, &["version", "quarantine", "ai_model/gpt-x@2.0.0", "--reason", "leaks", "--json"]).ok().json();
    assert_eq!(q["quarantine"]["reason"], "leaks");
    dg.run_as(ALICE, &["deploy", "request", "--env", "development", "--name", "q", "--item", "ai_model/gpt-x@2.0.0"]).fails(16);
    dg.run_as(ALICE, &["version", "release", "ai_model/gpt-x@2.0.0", "--reason", "fixed"]).ok();
    dg.run_as(DAVE, &["version", "quarantine", "ai_model/gpt-x@2.0.0", "--reason", "x"]).fails(13);
}

#[test]
fn governed_production_deployment() {
    let dg = project();
    let id = request(&dg, "production", "prompt_version/chatbot@1.0.0:medium");
    dg.run_as(DAVE, &["deploy", "request", "--env", "production", "--name", "x", "--item", "prompt_version/chatbot@1.0.0"]).fails(13);
    // 4-eyes, roles.
    dg.run_as(ALICE, &["deploy", "approve", &id]).fails(14);
    dg.run_as(DAVE, &["deploy", "approve", &id]).fails(13);
    let after_bob = dg.run_as(BOB, &["deploy", "approve", &id, "--comment", "ok", "--json"]).ok().json();
    assert_eq!((after_bob["status"].as_str(), after_bob["risk"].as_str()), (Some("pending"), Some("medium")));
    dg.run_as(BOB, &["deploy", "approve", &id]).fails(17);

    // The dry run in words, and as an exit code.
    let why = dg.run_as(BOB, &["why", &id]).ok().stdout;
    assert!(why.contains("[policy_violation]") && why.contains("1 more approval(s) for rule `admins`"), "{why}");
    assert!(why.contains("rule `admins`: 1 of 2"), "{why}");
    let why_json = dg.run_as(BOB, &["why", &id, "--json"]).ok().json();
    assert_eq!(why_json["dry_run"]["allowed"], false);
    assert_eq!(why_json["dry_run"]["approvals"]["rules"][0]["granted"], 1);
    let check = dg.run_as(BOB, &["deploy", "check", &id, "--action", "execute"]);
    assert_eq!(check.code, 15, "{check:?}");
    assert!(check.stdout.contains("refused"));
    let pending = dg.run(&["pending", "--for", CAROL]).ok().stdout;
    assert!(pending.contains(&id) && pending.contains("admins 1/2"), "{pending}");
    assert!(dg.run(&["pending", "--for", "bob:admin", "--json"]).ok().json().as_array().unwrap().is_empty());

    dg.run_as(CAROL, &["deploy", "approve", &id]).ok();
    assert_eq!(dg.run_as(BOB, &["deploy", "check", &id]).ok().stdout.trim(), "execute: allowed now");
    dg.run_as(DAVE, &["deploy", "execute", &id]).fails(13);
    let done = dg.run_as(BOB, &["deploy", "execute", &id, "--json"]).ok().json();
    assert_eq!(done["status"], "deployed");
    dg.run_as(BOB, &["deploy", "execute", &id]).fails(12);

    let status = dg.run(&["status"]).ok().stdout;
    assert!(status.contains("prompt_version/chatbot") && status.contains("1.0.0") && status.contains("(nothing live)"), "{status}");
    let status = dg.run(&["status", "--json"]).ok().json();
    assert_eq!(status[1]["live"][0]["version_tag"], "1.0.0");
    let show = dg.run(&["deploy", "show", &id]).ok().stdout;
    assert!(show.contains("executed by:") && show.contains("APPROVED BY") && show.contains("carol"), "{show}");
    let list = dg.run(&["deploy", "list", "--status", "deployed", "--env", "production", "--json"]).ok().json();
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert!(dg.run(&["deploy", "list", "--entity", "ai_model/gpt-x"]).ok().stdout.contains("no deployments match"));

    // A second release, then its rollback.
    let second = request(&dg, "production", "prompt_version/chatbot@1.1.0");
    dg.run_as(BOB, &["deploy", "approve", &second]).ok();
    dg.run_as(CAROL, &["deploy", "approve", &second]).ok();
    dg.run_as(CAROL, &["deploy", "execute", &second]).ok();
    assert_eq!(dg.run_as(ALICE, &["deploy", "rollback", &second]).code, 2, "--reason is required");
    let rb = dg.run_as(ALICE, &["deploy", "rollback", &second, "--reason", "worse answers", "--json"]).ok().json();
    assert_eq!((rb["kind"].as_str(), rb["status"].as_str()), (Some("rollback"), Some("deployed")));
    let history = dg.run(&["history", "prompt_version/chatbot"]).ok().stdout;
    assert_eq!(history.lines().filter(|l| l.contains("production")).count(), 3, "{history}");
    assert_eq!(dg.run(&["history", "prompt_version/chatbot", "--json"]).ok().json()[0]["version_tag"], "1.0.0");
}

#[test]
fn reject_cancel_promote_and_break_glass() {
    let dg = project();
    let a = request(&dg, "production", "prompt_version/chatbot@1.0.0");
    dg.run_as(BOB, &["deploy", "reject", &a]).fails(2);
    let r = dg.run_as(BOB, &["deploy", "reject", &a, "--reason", "not now", "--json"]).ok().json();
    assert_eq!(r["rejection"]["reason"], "not now");
    let b = request(&dg, "production", "prompt_version/chatbot@1.0.0");
    dg.run_as(DAVE, &["deploy", "cancel", &b]).fails(13);
    assert_eq!(dg.run_as(ALICE, &["deploy", "cancel", &b, "--json"]).ok().json()["status"], "cancelled");

    // development needs no approval: approved at once, executed by anyone.
    let d = request(&dg, "development", "prompt_version/chatbot@1.1.0");
    assert!(dg.run_as(DAVE, &["why", &d]).ok().stdout.contains("nothing blocks it"));
    dg.run_as(DAVE, &["deploy", "execute", &d]).ok();
    let p = dg.run_as(ALICE, &["deploy", "promote", &d, "--to", "production", "--json"]).ok().json();
    assert_eq!((p["kind"].as_str(), p["status"].as_str()), (Some("promotion"), Some("pending")));
    let pid = p["id"].as_str().unwrap();
    dg.run_as(BOB, &["deploy", "execute", pid]).fails(15);
    let bg = dg.run_as(BOB, &["deploy", "execute", pid, "--break-glass", "outage", "--json"]).ok().json();
    assert_eq!((bg["status"].as_str(), bg["break_glass"]["reason"].as_str()), (Some("deployed"), Some("outage")));
    assert!(dg.run(&["deploy", "show", pid]).ok().stdout.contains("break glass:"));
}

#[test]
fn request_from_file_and_schedules() {
    let dg = project();
    let file = dg.dir.path().join("req.json");
    let body = r#"{"environment":"development","name":"later","items":[{"entity_type":"prompt_version","entity_id":"chatbot","version_tag":"1.0.0"}],"scheduled_for":"2999-01-01T00:00:00Z"}"#;
    std::fs::write(&file, body).unwrap();
    let d = dg.run_as(ALICE, &["deploy", "request", "--file", file.to_str().unwrap(), "--json"]).ok().json();
    let id = d["id"].as_str().unwrap();
    assert!(dg.run(&["due"]).ok().stdout.contains("nothing is due"));
    let why = dg.run_as(ALICE, &["why", id]).ok().stdout;
    assert!(why.contains("[not_yet_due]") && why.contains("wait until the scheduled time"), "{why}");
    dg.run_as(ALICE, &["deploy", "execute", id]).fails(16);
    let now = request(&dg, "development", "prompt_version/chatbot@1.1.0");
    assert_eq!(dg.run(&["due", "--json"]).ok().json()[0]["id"], now.as_str());
    std::fs::write(&file, r#"{"environment":"development","name":"x","items":[],"enviroment":"typo"}"#).unwrap();
    dg.run_as(ALICE, &["deploy", "request", "--file", file.to_str().unwrap()]).fails(18);
}

#[test]
fn audit_events_and_housekeeping() {
    let dg = Dg::demo();
    let verified = dg.run(&["audit", "verify"]).ok().stdout;
    assert!(verified.starts_with("audit chain verified: "), "{verified}");
    assert!(dg.run(&["audit", "verify", "--json"]).ok().json()["entries"].as_i64().unwrap() > 30);
    let export = dg.run(&["audit", "export"]).ok().stdout;
    let seqs: Vec<i64> = export.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].as_i64().unwrap()).collect();
    assert!(seqs.len() > 30 && seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let list = dg.run(&["deploy", "list", "--json"]).ok().json();
    let some = list["items"][1]["id"].as_str().unwrap();
    let one = dg.run(&["audit", "export", "--object", some]).ok().stdout;
    assert!(one.lines().all(|l| l.contains(some)));
    assert!(dg.run(&["audit", "log", "--object", some]).ok().stdout.contains("deployment.requested"));

    let events = dg.run(&["events", "tail", "--json", "--limit", "5"]).ok().stdout;
    let kinds: Vec<String> =
        events.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].as_str().unwrap().to_owned()).collect();
    assert!(kinds.len() > 30 && kinds[0] == "project.created", "{kinds:?}");
    let after = dg.run(&["events", "tail", "--after", "1000000"]).ok();
    assert!(after.stdout.is_empty());
    // --follow keeps polling: it prints what exists, then waits.
    let mut child =
        dg.command(&["events", "tail", "--follow", "--interval-ms", "50"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
    // Keep reading in the background, so the pipe stays open.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "still following");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first.contains("project.created"), "{first}");

    assert!(dg.run(&["sweep"]).ok().stdout.contains("nothing to do"));
    assert!(dg.run(&["sweep", "--json"]).ok().json()["leases_expired"].as_array().unwrap().is_empty());
    dg.run_as(ALICE, &["lease", "release", some, "--reason", "stuck"]).fails(12);
    let now = chrono_now();
    let live = dg.run(&["live-at", "production", &now]).ok().stdout;
    assert!(live.contains("prompt_version/chatbot") && live.contains("1.1.0") && live.contains("alice"), "{live}");
    let live = dg.run(&["live-at", "production", &now, "--deployments", "--json"]).ok().json();
    assert_eq!(live[0]["kind"], "rollback");
    assert!(dg.run(&["live-at", "production", "2000-01-01T00:00:00Z"]).ok().stdout.contains("nothing was live"));
    dg.run(&["live-at", "production", "yesterday"]).fails(18);
}

fn chrono_now() -> String {
    // One minute ahead, so what the demo just did is included.
    (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339()
}
