//! The CLI on the core's PostgreSQL store, when a server is given in DEPLOYGOV_TEST_POSTGRES_URL
//! (`scripts/postgres.sh` starts a throwaway one); skipped otherwise. Each run uses its own project.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use common::*;

#[test]
fn a_governed_deployment_on_postgres() {
    let Ok(url) = std::env::var("DEPLOYGOV_TEST_POSTGRES_URL") else {
        eprintln!("skipped: DEPLOYGOV_TEST_POSTGRES_URL is not set");
        return;
    };
    let dg = Dg::new();
    let project = format!("cli-{}-{}", std::process::id(), chrono::Utc::now().timestamp_micros());
    let run = |actor: &str, args: &[&str]| {
        out(dg.command(args).env("DEPLOYGOV_DB", &url).env("DEPLOYGOV_PROJECT", &project).env("DEPLOYGOV_ACTOR", actor).output().unwrap())
    };
    run("alice:admin", &["project", "create", &project, "--tenant", "acme"]).ok();
    run("alice:admin", &["env", "create", "production"]).ok();
    run("alice:admin", &["version", "register", "prompt_version/chatbot@1.0.0"]).ok();
    let d = run(
        "alice:admin",
        &["deploy", "request", "--env", "production", "--name", "r", "--item", "prompt_version/chatbot@1.0.0", "--json"],
    )
    .ok()
    .json();
    let id = d["id"].as_str().unwrap();
    run("alice:admin", &["deploy", "approve", id]).fails(14);
    run("bob:admin", &["deploy", "approve", id]).ok();
    run("carol:admin", &["deploy", "approve", id]).ok();
    run("bob:admin", &["deploy", "execute", id]).ok();
    assert_eq!(run("bob:admin", &["live", "production", "prompt_version/chatbot"]).ok().stdout, "1.0.0\n");
    assert!(run("bob:admin", &["audit", "log", "--object", id]).ok().stdout.contains("deployment.deployed"));
}
