//! Hostile input on every store: SQL metacharacters, NUL bytes, 1 MB strings, deeply nested
//! JSON, and JSON that is not UTF-8. Each input either gets a clear error (with nothing written:
//! the project's audit and outbox counts unchanged) or is stored and read back exactly; no input
//! changes the schema or reaches another project.
//!
//! NUL bytes, oversized text and metadata nested past what the stores can read back are refused
//! with `invalid_input` on every store. (Invalid UTF-8 cannot reach a Rust `&str`; the faces refuse it before the core. What Rust does
//! receive is JSON bytes, covered by `json_that_is_not_utf8_is_refused`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "test code fails loudly")]

mod robustness;

use deploygov::*;
use robustness::*;

const INJECTIONS: [&str; 6] =
    ["'; DROP TABLE deployments; --", "\"; DROP TABLE audit_log; --", "x' OR '1'='1", "%", "_", "a\\'b` $1 ?1 :name @p"];

const MB: usize = 1 << 20;

/// A project with environments `staging` (one approval) and `development` (none) and versions
/// `1.0.0`/`1.0.1` of `model/m0`.
fn fresh(store: &TestStore) -> (Engine, String) {
    let e = store.open();
    let project = unique("hostile");
    let envs = [("staging", admin_policy(1, 3600)), ("development", admin_policy(0, 3600))];
    setup_project(&e, &project, &envs, &["m0"], &["1.0.0", "1.0.1"]);
    (e, project)
}

/// (audit entries, outbox events) of a project.
fn written(e: &Engine, project: &str) -> (usize, usize) {
    (project_audit(e, project).len(), project_events(e, project).len())
}

/// Runs `f`, which must fail with `code`, and checks that it wrote nothing to the project.
fn refused<T: std::fmt::Debug>(e: &Engine, project: &str, code: ErrorCode, what: &str, f: impl FnOnce() -> Result<T>) -> Error {
    let before = written(e, project);
    let err = f().map(|v| format!("{v:?}").chars().take(200).collect::<String>()).expect_err(what);
    assert_eq!(err.code(), code, "{what}: {err}");
    assert!(!err.to_string().contains('\n'), "{what}: the message has a newline");
    assert_eq!(written(e, project), before, "{what}: a refused command wrote audit entries or events");
    err
}

/// The schema is intact and the engine still works: a full request → approve → execute cycle in
/// a new project, and the audit chain verifies.
fn still_works(store: &TestStore) {
    let (e, project) = fresh(store);
    let d = e.request_deployment(&project, &request("staging", "after", "m0", "1.0.1"), &admin("req")).unwrap();
    e.approve(&project, &d.id, &admin("ann"), &ApproveOptions::default()).unwrap();
    let d = e.execute(&project, &d.id, &admin("ops"), &NoopExecutor, &ExecuteOptions::default()).unwrap();
    assert_eq!(d.status, DeploymentStatus::Deployed);
    check_invariants(&e, &project, &["staging", "development"], &["m0"]);
    if let Some(path) = store.sqlite_path() {
        sqlite_integrity(path);
        let conn = rusqlite::Connection::open(path).unwrap();
        for table in ["deployments", "audit_log", "projects", "environments"] {
            let n: i64 =
                conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| r.get(0)).unwrap();
            assert_eq!(n, 1, "table `{table}` is gone");
        }
    }
}

#[test]
fn sql_metacharacters_are_stored_verbatim_and_inject_nothing() {
    for store in TestStore::all("sql_metacharacters_are_stored_verbatim_and_inject_nothing") {
        let (e, other) = fresh(&store);
        let d_other = e.request_deployment(&other, &request("development", "bystander", "m0", "1.0.1"), &admin("req")).unwrap();
        for (n, evil) in INJECTIONS.iter().enumerate() {
            let project = format!("{}{evil}", unique("p"));
            // Actor ids may not contain whitespace (so ` alice` cannot pass for `alice`).
            let actor = admin(&format!("{}{n}", evil.replace(char::is_whitespace, "_")));
            e.create_project(&project, evil, evil, &actor).unwrap();
            let policy = admin_policy(1, 3600);
            let env = EnvironmentSpec {
                name: (*evil).into(),
                url: Some((*evil).into()),
                variables: vec![Variable { key: (*evil).into(), value: (*evil).into(), secret: false }],
                policy: Some(policy),
                ..Default::default()
            };
            e.create_environment(&project, &env, &actor).unwrap();
            let spec = VersionSpec {
                entity_type: (*evil).into(),
                entity_id: (*evil).into(),
                version_tag: (*evil).into(),
                uri: Some((*evil).into()),
                metadata: serde_json::json!({ *evil: evil }),
                ..Default::default()
            };
            e.register_version(&project, &spec, &actor).unwrap();
            let req = DeploymentRequest {
                environment: (*evil).into(),
                name: (*evil).into(),
                description: Some((*evil).into()),
                items: vec![ItemSpec { entity_type: (*evil).into(), change_message: Some((*evil).into()), ..item(evil, evil) }],
                idempotency_key: Some((*evil).into()),
                ..Default::default()
            };
            let d = e.request_deployment(&project, &req, &actor).unwrap();
            let approver = admin(&format!("{}approver", evil.replace(char::is_whitespace, "_")));
            let opts = ApproveOptions { comment: Some((*evil).into()), ..Default::default() };
            e.approve(&project, &d.id, &approver, &opts).unwrap();
            let d = e.execute(&project, &d.id, &approver, &NoopExecutor, &ExecuteOptions::default()).unwrap();
            assert_eq!(d.status, DeploymentStatus::Deployed);

            // Read back exactly.
            let p = e.get_project(&project).unwrap();
            assert_eq!((p.id.as_str(), p.tenant.as_str(), p.name.as_str()), (project.as_str(), *evil, *evil));
            let env = e.get_environment(&project, evil).unwrap();
            assert_eq!((env.url.as_deref(), env.variables[0].key.as_str(), env.variables[0].value.as_str()), (Some(*evil), *evil, *evil));
            let v = &e.list_versions(&project, evil, evil).unwrap()[0];
            assert_eq!((v.spec.version_tag.as_str(), &v.spec.metadata), (*evil, &serde_json::json!({ *evil: evil })));
            let d = e.get_deployment(&project, &d.id).unwrap();
            assert_eq!(
                (d.name.as_str(), d.description.as_deref(), d.items[0].change_message.as_deref()),
                (*evil, Some(*evil), Some(*evil))
            );
            assert_eq!(d.approvals[0].comment.as_deref(), Some(*evil));
            let live = e.active_version(&project, evil, evil, evil).unwrap().unwrap();
            assert_eq!((live.version_tag.as_str(), live.deployment_id.as_str()), (*evil, d.id.as_str()));

            // Filters match exactly, never as patterns.
            let by = |f: DeploymentFilter| e.list_deployments(&project, &f).unwrap().items.len();
            assert_eq!(by(DeploymentFilter { requested_by: Some(actor.id.clone()), ..Default::default() }), 1);
            assert_eq!(by(DeploymentFilter { environment: Some((*evil).into()), ..Default::default() }), 1);
            assert_eq!(
                by(DeploymentFilter { entity_type: Some((*evil).into()), entity_id: Some((*evil).into()), ..Default::default() }),
                1
            );
            assert_eq!(by(DeploymentFilter { requested_by: Some("%".into()), ..Default::default() }), usize::from(actor.id == "%"));
            let actions: Vec<String> = e.audit_log(&project, Some(&d.id), 0, None).unwrap().into_iter().map(|a| a.action).collect();
            let expected = ["requested", "approval_granted", "approved", "started", "deployed"].map(|a| format!("deployment.{a}"));
            assert_eq!(actions, expected);
            // Nothing reached the other project.
            assert_eq!(all_deployments(&e, &other).len(), 1);
            assert!(e.get_deployment(&other, &d.id).is_err_and(|err| err.code() == ErrorCode::NotFound));
        }
        assert_eq!(e.get_deployment(&other, &d_other.id).unwrap(), d_other);
        still_works(&store);
    }
}

/// Every id the engine takes, with a NUL byte, another control character, 1 MB, empty or blank.
#[test]
fn ids_with_nul_bytes_control_characters_or_over_256_bytes_are_refused_and_write_nothing() {
    for store in TestStore::all("ids_are_refused") {
        let (e, project) = fresh(&store);
        let d = e.request_deployment(&project, &request("staging", "d", "m0", "1.0.1"), &admin("req")).unwrap();
        let big = "x".repeat(MB);
        for bad in ["a\0b", "\0", "tab\there", "line\nbreak", "\u{7f}", big.as_str(), "", "   "] {
            let what = |w: &str| format!("{w} `{}`", bad.escape_debug().to_string().chars().take(40).collect::<String>());
            let inv = ErrorCode::InvalidInput;
            refused(&e, &project, inv, &what("project id"), || e.create_project(bad, "acme", "n", &admin("root")));
            refused(&e, &project, inv, &what("tenant"), || e.create_project(&unique("t"), bad, "n", &admin("root")));
            let env = EnvironmentSpec { name: bad.into(), ..Default::default() };
            refused(&e, &project, inv, &what("environment"), || e.create_environment(&project, &env, &admin("root")));
            let var = vec![Variable { key: bad.into(), value: "v".into(), secret: false }];
            refused(&e, &project, inv, &what("variable key"), || e.set_variables(&project, "staging", &var, &admin("root")));
            let spec = VersionSpec { entity_type: "model".into(), entity_id: bad.into(), version_tag: "1".into(), ..Default::default() };
            refused(&e, &project, inv, &what("entity id"), || e.register_version(&project, &spec, &admin("root")));
            let spec = VersionSpec { entity_type: "model".into(), entity_id: "m0".into(), version_tag: bad.into(), ..Default::default() };
            refused(&e, &project, inv, &what("version tag"), || e.register_version(&project, &spec, &admin("root")));
            let req = DeploymentRequest { name: bad.into(), ..request("staging", "x", "m0", "1.0.1") };
            refused(&e, &project, inv, &what("deployment name"), || e.request_deployment(&project, &req, &admin("req")));
            let req = DeploymentRequest { idempotency_key: Some(bad.into()), ..request("staging", "x", "m0", "1.0.1") };
            refused(&e, &project, inv, &what("idempotency key"), || e.request_deployment(&project, &req, &admin("req")));
            let req = request("staging", "x", "m0", bad);
            refused(&e, &project, inv, &what("item tag"), || e.request_deployment(&project, &req, &admin("req")));
            refused(&e, &project, inv, &what("actor id"), || e.approve(&project, &d.id, &admin(bad), &ApproveOptions::default()));
        }
        // Lookups by a hostile id are plain misses (PostgreSQL cannot take a NUL byte in a
        // parameter at all: `invalid_input` there is as clear).
        for bad in ["a\0b", big.as_str(), "'; DROP TABLE deployments; --"] {
            for err in [e.get_deployment(&project, bad).unwrap_err(), e.get_project(bad).map(drop).unwrap_err()] {
                let nul_on_pg = store.kind == Kind::Postgres && bad.contains('\0');
                let ok = err.code() == ErrorCode::NotFound || (nul_on_pg && err.code() == ErrorCode::InvalidInput);
                assert!(ok, "{}: lookup of `{}`: {err}", store.name(), bad.escape_debug().to_string().chars().take(40).collect::<String>());
            }
        }
        still_works(&store);
    }
}

/// Runs a command that stores `what` and reads it back (`Ok(true)`: read back exactly). Returns
/// whether the engine accepted it; a refusal must be `invalid_input` and write nothing.
fn accepted_exactly(e: &Engine, project: &str, what: &str, f: impl FnOnce() -> Result<bool>) -> bool {
    let before = written(e, project);
    match f() {
        Ok(true) => true,
        Ok(false) => panic!("{what}: accepted but read back differently"),
        Err(err) => {
            assert_eq!(err.code(), ErrorCode::InvalidInput, "{what}: {}", err.to_string().chars().take(300).collect::<String>());
            assert_eq!(written(e, project), before, "{what}: a refused command wrote audit entries or events");
            false
        }
    }
}

/// Sets every free-text field the commands take to `text`. Returns the fields the engine
/// accepted (and read back exactly); the others were refused with `invalid_input`, writing
/// nothing.
fn free_text(e: &Engine, project: &str, text: &str) -> Vec<&'static str> {
    let req = admin("req");
    let base = || request("staging", "d", "m0", "1.0.1");
    let mut out = Vec::new();
    let mut case = |what: &'static str, f: &mut dyn FnMut() -> Result<bool>| {
        if accepted_exactly(e, project, what, f) {
            out.push(what);
        }
    };
    case("project name", &mut || Ok(e.get_project(&e.create_project(&unique("p"), "acme", text, &admin("root"))?.id)?.name == text));
    case("deployment description", &mut || {
        let d = e.request_deployment(project, &DeploymentRequest { description: Some(text.into()), ..base() }, &req)?;
        Ok(e.get_deployment(project, &d.id)?.description.as_deref() == Some(text))
    });
    case("item change message", &mut || {
        let items = vec![ItemSpec { change_message: Some(text.into()), ..item("m0", "1.0.1") }];
        let d = e.request_deployment(project, &DeploymentRequest { items, ..base() }, &req)?;
        Ok(e.get_deployment(project, &d.id)?.items[0].change_message.as_deref() == Some(text))
    });
    let pending = e.request_deployment(project, &base(), &req).unwrap();
    case("approval comment", &mut || {
        let d = e.approve(project, &pending.id, &admin("ann"), &ApproveOptions { comment: Some(text.into()), ..Default::default() })?;
        Ok(e.get_deployment(project, &d.id)?.approvals[0].comment.as_deref() == Some(text))
    });
    let pending = e.request_deployment(project, &base(), &req).unwrap();
    case("rejection reason", &mut || {
        let d = e.reject(project, &pending.id, &admin("ann"), text)?;
        Ok(e.get_deployment(project, &d.id)?.rejection.and_then(|r| r.reason).as_deref() == Some(text.trim()))
    });
    case("variable value", &mut || {
        e.set_variables(project, "development", &[Variable { key: "K".into(), value: text.into(), secret: false }], &admin("root"))?;
        Ok(e.get_environment(project, "development")?.variables[0].value == text)
    });
    case("environment url", &mut || {
        let spec = EnvironmentSpec { name: unique("env"), url: Some(text.into()), ..Default::default() };
        let env = e.create_environment(project, &spec, &admin("root"))?;
        Ok(e.get_environment(project, &env.name)?.url.as_deref() == Some(text))
    });
    case("version metadata", &mut || {
        let tag = format!("9.{}.{}", text.len() % 1000, out_len(text));
        let meta = serde_json::json!({ "note": text });
        let spec = VersionSpec {
            entity_type: "model".into(),
            entity_id: "m0".into(),
            version_tag: tag,
            metadata: meta.clone(),
            ..Default::default()
        };
        e.register_version(project, &spec, &admin("root"))?;
        Ok(e.list_versions(project, "model", "m0")?.iter().any(|v| v.spec.metadata == meta))
    });
    out
}

/// A distinguishing number for version tags of different texts.
fn out_len(text: &str) -> usize {
    text.bytes().map(usize::from).sum::<usize>() % 1000
}

/// NUL bytes in free text are refused with `invalid_input` on every store (PostgreSQL
/// cannot store them in `text`/`jsonb`, so accepting them on SQLite makes the stores disagree).
#[test]
fn free_text_with_nul_bytes_is_refused() {
    for store in TestStore::all("free_text_with_nul_bytes_is_refused") {
        let (e, project) = fresh(&store);
        assert_eq!(free_text(&e, &project, "before\0after"), Vec::<&str>::new());
    }
}

/// Free text is bounded (each 1 MB field refused with `invalid_input`), so one request
/// cannot put megabytes into every audit entry, event and snapshot that copies it.
#[test]
fn megabyte_free_text_is_refused() {
    for store in TestStore::all("megabyte_free_text_is_refused") {
        let (e, project) = fresh(&store);
        assert_eq!(free_text(&e, &project, &"é".repeat(MB / 2)), Vec::<&str>::new());
    }
}

fn nested(depth: usize) -> serde_json::Value {
    (0..depth).fold(serde_json::json!("leaf"), |v, _| serde_json::json!([v]))
}

/// Version metadata nested 60 deep (the engine allows 64, well under serde_json's parse limit of
/// 128) round-trips.
#[test]
fn nested_metadata_within_the_parse_limit_round_trips() {
    for store in TestStore::all("nested_metadata_within_the_parse_limit_round_trips") {
        let (e, project) = fresh(&store);
        let spec = VersionSpec {
            entity_type: "model".into(),
            entity_id: "m0".into(),
            version_tag: "2.0.0".into(),
            metadata: nested(60),
            ..Default::default()
        };
        e.register_version(&project, &spec, &admin("root")).unwrap();
        assert_eq!(e.list_versions(&project, "model", "m0").unwrap()[0].spec.metadata, nested(60));
        still_works(&store);
    }
}

/// Metadata nested deeper than the store could read back is refused when registered (built as a
/// `serde_json::Value`, as a host or binding does), so every later read still works.
#[test]
fn metadata_nested_beyond_the_parse_limit_is_refused() {
    for store in TestStore::all("metadata_nested_beyond_the_parse_limit_is_refused") {
        let (e, project) = fresh(&store);
        let spec = VersionSpec {
            entity_type: "model".into(),
            entity_id: "m0".into(),
            version_tag: "3.0.0".into(),
            metadata: nested(200),
            ..Default::default()
        };
        let today = e.register_version(&project, &spec, &admin("root"));
        let read = e.list_versions(&project, "model", "m0");
        let audit = e.verify_audit().map(|v| v.entries);
        let log = e.audit_log(&project, None, 0, Some(500)).map(|v| v.len());
        println!(
            "{}: register {:?}; read back {read:?}; verify_audit {audit:?}; audit_log {log:?}",
            store.name(),
            today.as_ref().map(|_| "ok")
        );
        assert_eq!(today.map(drop).unwrap_err().code(), ErrorCode::InvalidInput);
        read.unwrap();
        audit.unwrap();
        log.unwrap();
    }
}

/// JSON documents nested 100,000 deep (policy, request, version spec, filter) are refused by
/// serde with an error; nothing overflows the stack.
#[test]
fn deeply_nested_json_documents_are_refused_by_serde() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let in_field = |field: &str| format!("{{\"{field}\": {deep}}}");
    assert!(serde_json::from_str::<Policy>(&deep).is_err());
    assert!(serde_json::from_str::<Policy>(&in_field("approval_rules")).is_err());
    assert!(serde_json::from_str::<DeploymentRequest>(&in_field("items")).is_err());
    assert!(serde_json::from_str::<VersionSpec>(&in_field("metadata")).is_err());
    assert!(serde_json::from_str::<EnvironmentSpec>(&in_field("variables")).is_err());
    assert!(serde_json::from_str::<DeploymentFilter>(&in_field("status")).is_err());
    assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
}

/// JSON bytes that are not UTF-8, or escape a lone surrogate, are refused by serde.
#[test]
fn json_that_is_not_utf8_is_refused() {
    let cases: [&[u8]; 4] = [
        b"{\"name\": \"\xff\xfe\", \"environment\": \"e\", \"items\": []}",
        b"{\"name\": \"\xc3\", \"environment\": \"e\", \"items\": []}",
        b"{\"name\": \"\\ud800\", \"environment\": \"e\", \"items\": []}",
        b"{\"name\": \"\xed\xa0\x80\", \"environment\": \"e\", \"items\": []}",
    ];
    for bytes in cases {
        assert!(serde_json::from_slice::<DeploymentRequest>(bytes).is_err(), "{bytes:?}");
        assert!(std::str::from_utf8(bytes).is_err() || bytes.windows(6).any(|w| w == b"\\ud800"));
    }
}
