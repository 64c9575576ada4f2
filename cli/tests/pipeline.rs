//! Out-of-process execution (begin, log, heartbeat, complete, logs --follow), reports and freeze
//! windows against the built binary.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::io::BufRead;

use common::*;

const ALICE: &str = "alice:admin";
const DAVE: &str = "dave:developer";

fn dev_deployment(dg: &Dg, tag: &str) -> String {
    let d = dg.run_as(
        DAVE,
        &["deploy", "request", "--env", "development", "--name", "ci", "--item", &format!("prompt_version/chatbot@{tag}"), "--json"],
    );
    d.ok().json()["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_pipeline_begins_logs_and_completes() {
    let dg = Dg::demo();
    let id = dev_deployment(&dg, "1.2.0");
    dg.run_as(DAVE, &["deploy", "log", &id, "--stage", "build", "too early"]).fails(12);
    assert_eq!(dg.run_as(DAVE, &["deploy", "begin", &id, "--json"]).ok().json()["status"], "deploying");
    dg.run_as(DAVE, &["deploy", "begin", &id]).fails(12);
    let seq = dg.run_as(DAVE, &["deploy", "log", &id, "--stage", "build", "compiling", "--json"]).ok().json()["seq"].as_i64().unwrap();
    assert!(seq > 0);

    // logs --follow prints what exists and keeps polling while the deployment runs.
    let mut child =
        dg.command(&["deploy", "logs", &id, "--follow", "--interval-ms", "50"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains("build") && line.contains("compiling"), "{line}");
    dg.run_as(DAVE, &["deploy", "log", &id, "--stage", "verify", "smoke ok"]).ok();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains("verify") && line.contains("smoke ok"), "{line}");
    dg.run_as(DAVE, &["deploy", "heartbeat", &id]).ok();
    dg.run_as("eve:developer", &["deploy", "heartbeat", &id]).fails(13);
    assert_eq!(dg.run_as(DAVE, &["deploy", "complete", &id, "--success", "--json"]).ok().json()["status"], "deployed");
    // The deployment ended: the follower drains and exits by itself.
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let logs = dg.run(&["deploy", "logs", &id, "--json"]).ok().stdout;
    assert_eq!(logs.lines().count(), 2);
    let after = dg.run(&["deploy", "logs", &id, "--after", &seq.to_string()]).ok().stdout;
    assert!(after.contains("smoke ok") && !after.contains("compiling"), "{after}");

    let failing = dev_deployment(&dg, "1.1.0");
    dg.run_as(DAVE, &["deploy", "begin", &failing]).ok();
    assert_eq!(dg.run_as(DAVE, &["deploy", "complete", &failing]).code, 2, "--success or --failure");
    let failed = dg.run_as(DAVE, &["deploy", "complete", &failing, "--failure", "upload timed out", "--json"]).ok().json();
    assert_eq!((failed["status"].as_str(), failed["items"][0]["error_message"].as_str()), (Some("failed"), Some("upload timed out")));
    dg.run_as(DAVE, &["deploy", "resume", &failing, "--decision", "retry"]).fails(12);
    dg.run_as(DAVE, &["deploy", "resume", &failing, "--decision", "later"]).fails(18);
}

#[test]
fn compliance_report_and_metrics() {
    let dg = Dg::demo();
    let report = dg.run(&["report", "compliance", "--since", "2000-01-01T00:00:00Z"]).ok().stdout;
    assert!(report.contains("for staging, production"), "{report}");
    assert!(report.contains("release-3") && report.contains("ai_model/gpt-x: model endpoint returned 503"), "{report}");
    assert!(report.contains("rolled back by alice") && report.contains("(automatic)"), "{report}");
    let json = dg.run(&["report", "compliance", "--since", "2000-01-01T00:00:00Z", "--env", "production", "--json"]).ok().json();
    assert_eq!(json["entries"].as_array().unwrap().len(), 4);
    let csv = dg.run(&["report", "compliance", "--since", "2000-01-01T00:00:00Z", "--csv"]).ok().stdout;
    assert!(csv.starts_with("deployment_id,environment,name"), "{csv}");
    assert!(
        dg.run(&["report", "compliance", "--since", "2999-01-01T00:00:00Z", "--until", "2999-02-01T00:00:00Z"])
            .ok()
            .stdout
            .contains("no deployments")
    );
    dg.run(&["report", "compliance", "--since", "2999-01-01T00:00:00Z"]).fails(18);
    assert_eq!(dg.run(&["report", "compliance"]).code, 2, "--since is required");

    let m = dg.run(&["report", "metrics", "production", "--since", "2000-01-01T00:00:00Z", "--json"]).ok().json();
    assert_eq!((m["succeeded"].as_u64(), m["failed"].as_u64(), m["rolled_back"].as_u64()), (Some(2), Some(1), Some(1)));
    assert!(dg.run(&["report", "metrics", "production", "--since", "2000-01-01T00:00:00Z"]).ok().stdout.contains("success rate:"));
}

#[test]
fn freeze_windows() {
    let dg = Dg::demo();
    let w = dg
        .run_as(
            ALICE,
            &[
                "freeze",
                "add",
                "--name",
                "quarter-end",
                "--env",
                "production",
                "--from",
                "2000-01-01T00:00:00Z",
                "--until",
                "2999-01-01T00:00:00Z",
                "--json",
            ],
        )
        .ok()
        .json();
    let wid = w[0]["id"].as_str().unwrap().to_owned();
    dg.run_as(
        ALICE,
        &[
            "freeze",
            "add",
            "--name",
            "weekend",
            "--env",
            "development",
            "--days",
            "sat,sun",
            "--at",
            "18:00",
            "--minutes",
            "600",
            "--tz",
            "Europe/Berlin",
        ],
    )
    .ok();
    dg.run_as(ALICE, &["freeze", "add", "--name", "bad", "--days", "someday", "--at", "18:00", "--minutes", "6", "--tz", "UTC"]).fails(18);
    dg.run_as(ALICE, &["freeze", "add", "--name", "nothing"]).fails(18);
    dg.run_as(DAVE, &["freeze", "add", "--name", "x", "--from", "2000-01-01T00:00:00Z", "--until", "2001-01-01T00:00:00Z"]).fails(13);
    let list = dg.run(&["freeze", "list"]).ok().stdout;
    assert!(list.contains("quarter-end") && list.contains("weekly sat,sun at 18:00"), "{list}");
    assert_eq!(dg.run(&["freeze", "list", "--env", "development", "--json"]).ok().json().as_array().unwrap().len(), 1);

    let id = dg
        .run_as(ALICE, &["deploy", "request", "--env", "production", "--name", "f", "--item", "prompt_version/chatbot@1.2.0", "--json"])
        .ok()
        .json();
    let id = id["id"].as_str().unwrap();
    dg.run_as("bob:admin", &["deploy", "approve", id]).fails(16);
    let why = dg.run_as("bob:admin", &["why", id, "--action", "approve"]).ok().stdout;
    assert!(why.contains("[environment_frozen]") && why.contains("--freeze-override"), "{why}");
    assert_eq!(dg.run_as(ALICE, &["freeze", "remove", &wid]).code, 2, "--reason is required");
    dg.run_as(ALICE, &["freeze", "remove", &wid, "--reason", "quarter closed"]).ok();
    dg.run_as("bob:admin", &["deploy", "approve", id]).ok();
}
