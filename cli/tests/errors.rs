//! Bad arguments and the exit-code table: clap usage errors exit 2, core error kinds exit
//! 10 + their code, each with one line on stderr that says what to do.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use common::*;

#[test]
fn usage_errors_exit_2() {
    let dg = Dg::demo();
    let unknown = dg.run(&["frobnicate"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("unrecognized subcommand"), "{}", unknown.stderr);
    assert_eq!(dg.run(&["deploy"]).code, 2, "a family without a command");
    assert_eq!(dg.run(&["deploy", "approve"]).code, 2, "missing id");
    assert_eq!(dg.run(&["--role", "admin", "status"]).code, 2, "--role needs --as");
    assert_eq!(dg.run(&["serve", "--port", "99999"]).code, 2, "port out of range");
    let help = dg.run(&["--help"]).ok();
    assert!(help.stdout.contains("DEPLOYGOV_ACTOR") && help.stdout.contains("alice:admin,lead"), "{}", help.stdout);
    assert!(dg.run(&["--version"]).ok().stdout.starts_with("deploygov "));
}

#[test]
fn bad_values_are_invalid_input() {
    let dg = Dg::demo();
    let e = dg.run(&["deploy", "list", "--status", "done"]).fails(18);
    assert!(e.stderr.contains("unknown DeploymentStatus `done`") && e.stderr.contains("rolled_back"), "{}", e.stderr);
    dg.run_as("bob:admin", &["why", "x", "--action", "launch"]).fails(18);
    dg.run_as("bob:admin", &["env", "health", "production", "on_fire"]).fails(18);
    dg.run_as("bob:admin", &["deploy", "request", "--env", "production", "--name", "n", "--item", "chatbot@1"]).fails(18);
    dg.run_as("bob:admin", &["deploy", "request", "--env", "production", "--name", "n", "--item", "prompt_version/chatbot@1.1.0:huge"])
        .fails(18);
    dg.run_as("bob:admin", &["deploy", "request", "--env", "production", "--name", "n"]).fails(18);
    dg.run(&["history", "chatbot"]).fails(18);
    dg.run(&["deploy", "list", "--after", "last week"]).fails(18);
    dg.run(&["events", "tail", "--limit", "5000"]).fails(18);
}

#[test]
fn missing_actor_project_and_database() {
    let dg = Dg::demo();
    let e = dg.run(&["deploy", "approve", "x"]).fails(18);
    assert!(e.stderr.contains("no actor given") && e.stderr.contains("DEPLOYGOV_ACTOR=ID:ROLE1,ROLE2"), "{}", e.stderr);
    dg.run_as(":admin", &["deploy", "approve", "x"]).fails(18);
    let e = dg.command(&["status"]).env_remove("DEPLOYGOV_PROJECT").output().unwrap();
    let e = out(e).fails(18);
    assert!(e.stderr.contains("--project"), "{}", e.stderr);
    dg.command(&["status"]).env("DEPLOYGOV_PROJECT", "nope").output().map(out).unwrap().fails(11);

    let e = dg.command(&["status"]).env_remove("DEPLOYGOV_DB").output().map(out).unwrap().fails(18);
    assert!(e.stderr.contains("--db"), "{}", e.stderr);
    // A PostgreSQL URL goes to the core's PostgreSQL store; nothing listens on port 1.
    let e = dg.command(&["status"]).env("DEPLOYGOV_DB", "postgres://u@127.0.0.1:1/gov").output().map(out).unwrap().fails(19);
    assert!(e.stderr.contains("PostgreSQL server in --db is running"), "{}", e.stderr);
    let e = dg.command(&["demo"]).env("DEPLOYGOV_DB", "postgresql://u@127.0.0.1:1/gov").output().map(out).unwrap().fails(18);
    assert!(e.stderr.contains("fresh SQLite file"), "{}", e.stderr);
    dg.command(&["status"]).env("DEPLOYGOV_DB", "mysql://u@127.0.0.1/gov").output().map(out).unwrap().fails(18);
    let e = dg.command(&["status"]).env("DEPLOYGOV_DB", "missing.db").output().map(out).unwrap().fails(11);
    assert!(e.stderr.contains("does not exist"), "{}", e.stderr);
    assert!(!dg.dir.path().join("missing.db").exists(), "a typo does not create a database");
    std::fs::write(dg.dir.path().join("junk.db"), "this is not sqlite, not at all, not even close to a header").unwrap();
    dg.command(&["status"]).env("DEPLOYGOV_DB", "junk.db").output().map(out).unwrap().fails(19);
}

#[test]
fn not_found_ids_and_bad_policy_files() {
    let dg = Dg::demo();
    for args in [
        vec!["deploy", "show", "01234567-0000-7000-8000-000000000000"],
        vec!["deploy", "approve", "nope"],
        vec!["deploy", "execute", "nope"],
        vec!["deploy", "rollback", "nope", "--reason", "r"],
        vec!["why", "nope"],
        vec!["env", "show", "qa"],
        vec!["version", "quarantine", "prompt_version/none@1", "--reason", "r"],
    ] {
        dg.run_as("bob:admin", &args).fails(11);
    }
    let bad = dg.dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let e = dg.run_as("alice:admin", &["env", "policy", "set", "production", bad.to_str().unwrap()]).fails(18);
    assert!(e.stderr.contains("policy file") && e.stderr.contains("is not valid"), "{}", e.stderr);
    std::fs::write(&bad, r#"{"four_eye": false}"#).unwrap();
    let e = dg.run_as("alice:admin", &["env", "policy", "set", "production", bad.to_str().unwrap()]).fails(18);
    assert!(e.stderr.contains("unknown field `four_eye`"), "{}", e.stderr);
    std::fs::write(&bad, r#"{"approval_rules":[{"name":"x","required_approvals":1,"eligible_roles":[]}]}"#).unwrap();
    dg.run_as("alice:admin", &["env", "policy", "set", "production", bad.to_str().unwrap()]).fails(18);
    dg.run_as("alice:admin", &["env", "policy", "set", "production", "no-such-file.json"]).fails(18);
}

#[test]
fn json_errors_on_stderr() {
    let dg = Dg::demo();
    let e = dg.run_as("bob:admin", &["deploy", "approve", "nope", "--json"]);
    assert_eq!(e.code, 11);
    let v: serde_json::Value = serde_json::from_str(&e.stderr).unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    assert_eq!(v["error"]["numeric_code"], 1);
    assert_eq!(v["error"]["exit_code"], 11);
    assert!(v["error"]["hint"].as_str().unwrap().contains("deploygov deploy list"));
}

#[test]
fn a_tampered_audit_trail_exits_20() {
    let dg = Dg::demo();
    let conn = rusqlite::Connection::open(&dg.db).unwrap();
    conn.execute("UPDATE audit_log SET actor_id = 'mallory' WHERE seq = 5", []).unwrap();
    drop(conn);
    let e = dg.run(&["audit", "verify"]).fails(20);
    assert!(e.stderr.contains("audit chain broken at entry 5"), "{}", e.stderr);
}

#[test]
fn closed_stdout_is_not_a_crash() {
    let dg = Dg::demo();
    let mut child = dg.command(&["audit", "export"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(status.code() == Some(0), "{status:?}");
}
