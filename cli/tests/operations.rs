//! Health checks, deployment errors, artifacts and variable maintenance against the built binary.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use common::*;

const ALICE: &str = "alice:admin";

fn live_production(dg: &Dg) -> String {
    let list = dg.run(&["deploy", "list", "--env", "production", "--status", "deployed", "--json"]).ok().json();
    list["items"][0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn health_checks_of_a_live_deployment() {
    let dg = Dg::demo();
    let id = live_production(&dg);
    assert!(dg.run_as("monitor", &["deploy", "health", &id, "--ok", "--p95-ms", "120"]).ok().stdout.contains("is now healthy"));
    let out = dg.run_as("monitor", &["deploy", "health", &id, "--failing", "--error-rate", "0.01", "--json"]).ok().json();
    assert_eq!(out["health"], "degraded");
    assert_eq!(dg.run_as("monitor", &["deploy", "health", &id]).code, 2, "--ok or --failing");
    dg.run_as("monitor", &["deploy", "health", &id, "--ok", "--error-rate", "2"]).fails(18);
    let checks = dg.run(&["deploy", "health-checks", &id]).ok().stdout;
    assert_eq!(checks.lines().count(), 3, "{checks}");
    assert_eq!(dg.run(&["deploy", "health-checks", &id, "--json"]).ok().json().as_array().unwrap().len(), 2);
}

#[test]
fn deployment_errors() {
    let dg = Dg::demo();
    let id = live_production(&dg);
    let rec = dg
        .run_as(
            "ops",
            &[
                "incident",
                "record",
                "--deployment",
                &id,
                "--category",
                "network",
                "--severity",
                "high",
                "--code",
                "DNS_TIMEOUT",
                "--stage",
                "verify",
                "--message",
                "resolver timed out",
                "--json",
            ],
        )
        .ok()
        .json();
    let eid = rec[0]["id"].as_str().unwrap();
    dg.run_as(
        "ops",
        &[
            "incident",
            "record",
            "--deployment",
            &id,
            "--category",
            "weather",
            "--severity",
            "high",
            "--code",
            "X",
            "--stage",
            "s",
            "--message",
            "m",
        ],
    )
    .fails(18);
    assert!(dg.run(&["incident", "list", "--unresolved"]).ok().stdout.contains("DNS_TIMEOUT"));
    dg.run_as("ops", &["incident", "resolve", eid, "--notes", "resolver restarted"]).ok();
    assert!(dg.run(&["incident", "list", "--unresolved"]).ok().stdout.contains("no deployment errors"));
    assert_eq!(dg.run(&["incident", "list", "--severity", "high", "--json"]).ok().json()[0]["resolution"]["notes"], "resolver restarted");
}

#[test]
fn artifacts_and_variables() {
    let dg = Dg::demo();
    let a = dg
        .run_as(ALICE, &["artifact", "attach", "ai_model/gpt-x@1.0.0", "--name", "weights", "--uri", "s3://m/w", "--size", "42", "--json"])
        .ok()
        .json();
    assert_eq!(a[0]["size_bytes"], 42);
    assert!(dg.run(&["artifact", "list", "ai_model/gpt-x"]).ok().stdout.contains("s3://m/w"));
    assert_eq!(dg.run(&["artifact", "list", "ai_model/gpt-x@1.0.0", "--json"]).ok().json().as_array().unwrap().len(), 1);
    dg.run(&["artifact", "list", "ai_model/gpt-x@9.9.9"]).fails(11);
    assert!(dg.run(&["artifact", "prunable"]).ok().stdout.contains("no artifacts"));
    let id = a[0]["id"].as_str().unwrap();
    dg.run_as(ALICE, &["artifact", "prune", id, "--reason", "space"]).fails(15);

    dg.run_as(ALICE, &["env", "vars", "set", "staging", "--var", "LOG=info", "--secret", "KEY=a"]).ok();
    dg.run_as(ALICE, &["env", "vars", "set", "production", "--var", "LOG=warn", "--secret", "KEY=a"]).ok();
    let cmp = dg.run(&["env", "vars", "compare", "staging", "production"]).ok().stdout;
    assert!(cmp.contains("LOG") && cmp.contains("info") && cmp.contains("warn") && !cmp.contains(" a "), "{cmp}");
    let cmp = dg.run(&["env", "vars", "compare", "staging", "production", "--json"]).ok().json();
    assert_eq!(cmp[0]["key"], "KEY");
    assert_eq!(cmp[0]["equal"], true);
    let left = dg.run_as(ALICE, &["env", "vars", "unset", "production", "LOG", "--json"]).ok().json();
    assert_eq!(left.as_array().unwrap().len(), 1);
    dg.run_as(ALICE, &["env", "vars", "unset", "production", "NOPE"]).fails(11);
}

#[test]
fn live_version_and_signed_events() {
    let dg = Dg::demo();
    assert_eq!(dg.run(&["live", "production", "prompt_version/chatbot"]).ok().stdout, "1.1.0\n");
    assert_eq!(dg.run(&["live", "production", "prompt_version/chatbot", "--json"]).ok().json()["environment"], "production");
    dg.run(&["live", "staging", "prompt_version/chatbot"]).fails(11);
    let signed =
        dg.command(&["events", "tail", "--json", "--signing-key-env", "DG_KEY"]).env("DG_KEY", "k3y").output().map(out).unwrap().ok();
    let first: serde_json::Value = serde_json::from_str(signed.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["signature"].as_str().unwrap().len(), 64);
    dg.command(&["events", "tail", "--signing-key-env", "DG_UNSET"]).env_remove("DG_UNSET").output().map(out).unwrap().fails(18);
}
