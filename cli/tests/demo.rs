//! `deploygov demo`: the JAPM workflow end to end on a fresh SQLite file.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use common::*;

#[test]
fn demo_prints_every_step() {
    let dg = Dg::new();
    let out = dg.run(&["demo"]).ok().stdout;
    for step in [
        "1. environments and their default policies",
        "production   2 approval(s) from admin/tenant_admin",
        "alice approves her own deployment -> refused [self_approval]",
        "dave (developer) approves -> refused [forbidden]",
        "bob approves -> pending (1 of 2 for rule `admins`); may bob execute now? no",
        "carol approves -> approved",
        "carol executes -> deployed; production = prompt_asset_version/templates=2.1.0, prompt_version/chatbot=1.2.0",
        "executed -> failed",
        "ai_model/gpt-x 1.0.0 -> failed (model endpoint returned 503)",
        "prompt_version/chatbot 1.1.0 -> reverted",
        "release-2 is now rolled_back",
        "deployment.rolled_back",
        "audit chain verified: ",
    ] {
        assert!(out.contains(step), "missing `{step}` in:\n{out}");
    }
    // The database is left for exploring; a second run refuses to overwrite it without --force.
    assert!(dg.run(&["status"]).ok().stdout.contains("1.1.0"));
    let again = dg.run(&["demo"]).fails(17);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    dg.run(&["demo", "--force"]).ok();
}

#[test]
fn demo_json_summary() {
    let dg = Dg::new();
    let v = dg.run(&["demo", "--json"]).ok().json();
    assert_eq!(v["statuses"]["release_2"], "rolled_back");
    assert_eq!(v["statuses"]["release_3"], "failed");
    assert_eq!(v["live"]["production"].as_array().unwrap().len(), 2);
    assert!(v["audit"]["entries"].as_i64().unwrap() > 30);
    let id = v["deployments"]["release_3"].as_str().unwrap();
    let shown = dg.run(&["deploy", "show", id, "--json"]).ok().json();
    assert_eq!(shown["items"][1]["status"], "failed");
}

#[test]
fn demo_default_file_is_recreated() {
    let dg = Dg::new();
    let run = || out(dg.command(&["demo"]).env_remove("DEPLOYGOV_DB").output().unwrap()).ok();
    run();
    run();
    assert!(dg.dir.path().join("deploygov-demo.db").exists());
}

#[test]
fn demo_fail_item_chooses_what_the_executor_fails() {
    let dg = Dg::new();
    let out = dg.run(&["demo", "--fail-item", "0"]).ok().stdout;
    assert!(out.contains("prompt_version/chatbot 1.1.0 -> failed (prompt store returned 503)"), "{out}");
    assert!(out.contains("ai_model/gpt-x 1.0.0 -> skipped"), "{out}");
    dg.run(&["demo", "--force", "--fail-item", "2"]).fails(18);
    assert_eq!(dg.run(&["demo", "--fail-item", "x"]).code, 2);
}
