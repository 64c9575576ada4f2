//! Model-based property test: random command sequences from random actors run against the engine
//! and a small reference model; invariants are checked after every step.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, reason = "a test fails loudly")]

mod common;

use std::cmp::Ordering as Cmp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use deploygov::DeploymentStatus::{Approved, Cancelled, Deployed, Deploying, Failed, Pending, Rejected, RolledBack};
use deploygov::policy::{ADMIN_ROLES, evaluate};
use deploygov::state::TRANSITIONS;
use deploygov::*;
use proptest::prelude::*;
use proptest::sample::Index;

const ENVS: [&str; 3] = ["development", "staging", "production"];
const ENTITIES: [(&str, &str); 3] = [("prompt_version", "chatbot"), ("prompt_asset_version", "templates"), ("ai_model", "router")];
/// The last tag is never registered: requests naming it must fail validation.
const VERSIONS: [&str; 4] = ["1.0.0", "1.1.0", "2.0.0", "9.9.9"];
/// The actor pool: actor `i` is `{role}{i}` (`admin0`, `admin1`, `admin2`, `tenant_admin3`, ...).
const ROLES: [&str; 7] = ["admin", "admin", "admin", "tenant_admin", "lead", "developer", "viewer"];
/// Approval TTL set on `staging`, so that advancing the clock matters.
const TTL_SECONDS: i64 = 3600;

fn actor(i: usize) -> Actor {
    Actor::new(format!("{}{i}", ROLES[i]), &[ROLES[i]])
}

/// Which earlier deployment a command targets: mostly one that fits the command (the k-th most
/// recent of those), sometimes any, so that refusals are exercised too.
#[derive(Debug, Clone, Copy)]
enum Pick {
    Fit(usize),
    Any(Index),
}

impl Pick {
    /// One of `ids`; `Fit` falls back to any deployment when none fits.
    fn resolve(self, ids: &[String], fits: impl Fn(&str) -> bool) -> Option<String> {
        let fitting: Vec<&String> = ids.iter().filter(|id| fits(id)).collect();
        let (c, k) = match self {
            Pick::Fit(k) if !fitting.is_empty() => (fitting, k),
            Pick::Fit(k) => (ids.iter().collect(), k),
            Pick::Any(i) => (ids.iter().collect(), ids.len().saturating_sub(1 + i.index(ids.len().max(1)))),
        };
        c.len().checked_sub(1).map(|last| c[last - k.min(last)].clone())
    }
}

/// How the executor misbehaves during one command (deterministic per case).
#[derive(Debug, Clone, Copy)]
struct Fail {
    /// Fail the forward activation of this entity.
    entity: Option<usize>,
    /// Fail every revert activation too.
    on_revert: bool,
    /// From inside the executor, try to execute another deployment of the same environment.
    probe: bool,
}

#[derive(Debug, Clone)]
enum Cmd {
    Request { actor: usize, env: usize, items: Vec<(usize, usize, RiskLevel)>, keep_dups: bool },
    Approve { actor: usize, dep: Pick },
    Reject { actor: usize, dep: Pick },
    Cancel { actor: usize, dep: Pick },
    Execute { actor: usize, dep: Pick, fail: Fail, break_glass: bool },
    Rollback { actor: usize, dep: Pick, target: Option<Pick>, fail: Fail },
    SetVariables { actor: usize, env: usize, value: u8, secret: bool },
    AdvanceClock { minutes: i64 },
}

fn cmd() -> impl Strategy<Value = Cmd> {
    // Mostly admins (they can do most things in production), every other role too.
    let who = prop_oneof![3 => 0..3usize, 1 => Just(3usize), 1 => Just(4usize), 1 => Just(5usize), 1 => Just(6usize)];
    let pick = prop_oneof![4 => (0..3usize).prop_map(Pick::Fit), 1 => any::<Index>().prop_map(Pick::Any)];
    let fail = (prop::option::weighted(0.3, 0..ENTITIES.len()), prop::bool::weighted(0.2), prop::bool::weighted(0.2))
        .prop_map(|(entity, on_revert, probe)| Fail { entity, on_revert, probe });
    let version = prop_oneof![12 => 0..3usize, 1 => Just(3usize)];
    let risk = prop_oneof![6 => Just(RiskLevel::Low), 2 => Just(RiskLevel::High), 1 => Just(RiskLevel::Critical)];
    let items = prop::collection::vec((0..ENTITIES.len(), version, risk), 1..=3);
    prop_oneof![
        4 => (who.clone(), prop_oneof![2 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)], items, prop::bool::weighted(0.1))
            .prop_map(|(actor, env, items, keep_dups)| Cmd::Request { actor, env, items, keep_dups }),
        5 => (who.clone(), pick.clone()).prop_map(|(actor, dep)| Cmd::Approve { actor, dep }),
        1 => (who.clone(), pick.clone()).prop_map(|(actor, dep)| Cmd::Reject { actor, dep }),
        1 => (who.clone(), pick.clone()).prop_map(|(actor, dep)| Cmd::Cancel { actor, dep }),
        6 => (who.clone(), pick.clone(), fail.clone(), prop::bool::weighted(0.3))
            .prop_map(|(actor, dep, fail, break_glass)| Cmd::Execute { actor, dep, fail, break_glass }),
        3 => (who.clone(), pick.clone(), prop::option::weighted(0.4, pick), fail)
            .prop_map(|(actor, dep, target, fail)| Cmd::Rollback { actor, dep, target, fail }),
        1 => (who, 0..ENVS.len(), 0..3u8, prop::bool::weighted(0.3))
            .prop_map(|(actor, env, value, secret)| Cmd::SetVariables { actor, env, value, secret }),
        1 => (1..=90i64).prop_map(|minutes| Cmd::AdvanceClock { minutes }),
    ]
}

/// The executor: fails as told, and checks from inside the execution that exactly this
/// deployment is `deploying` and that nothing else can start in its environment.
struct TestExecutor<'a> {
    e: &'a Engine,
    fail: Fail,
    probed: AtomicBool,
    problems: Mutex<Vec<String>>,
}

impl<'a> TestExecutor<'a> {
    fn new(e: &'a Engine, fail: Fail) -> Self {
        Self { e, fail, probed: AtomicBool::new(false), problems: Mutex::new(vec![]) }
    }

    fn assert_clean(&self) {
        let problems = self.problems.lock().unwrap();
        assert!(problems.is_empty(), "problems seen during execution: {problems:#?}");
    }

    /// Tries to break glass on another open deployment of the same environment: must be refused
    /// with `conflict` because the environment is busy.
    fn probe(&self, a: &Activation<'_>) {
        for status in [Pending, Approved] {
            let f = DeploymentFilter { environment: Some(a.environment.name.clone()), status: Some(status), ..Default::default() };
            let Some(other) = self.e.list_deployments(P, &f).unwrap().items.into_iter().next() else { continue };
            let opts = ExecuteOptions { break_glass_reason: Some("probe".into()), ..Default::default() };
            match self.e.execute(P, &other.id, &actor(0), &NoopExecutor, &opts) {
                Err(err) if err.code() == ErrorCode::Conflict => {}
                r => self
                    .problems
                    .lock()
                    .unwrap()
                    .push(format!("nested execute of `{}` while `{}` is deploying: {r:?}", other.id, a.deployment_id)),
            }
            return;
        }
    }
}

impl Executor for TestExecutor<'_> {
    fn activate(&self, a: &Activation<'_>) -> Result<(), String> {
        let f = DeploymentFilter { status: Some(Deploying), ..Default::default() };
        let deploying: Vec<String> = self.e.list_deployments(P, &f).unwrap().items.into_iter().map(|d| d.id).collect();
        if deploying != [a.deployment_id] {
            self.problems
                .lock()
                .unwrap()
                .push(format!("while executing `{}` the deploying deployments are {deploying:?}", a.deployment_id));
        }
        if self.fail.probe && !self.probed.swap(true, Ordering::SeqCst) {
            self.probe(a);
        }
        if a.revert {
            return if self.fail.on_revert { Err("injected revert failure".into()) } else { Ok(()) };
        }
        match self.fail.entity {
            Some(k) if (a.entity_type, a.entity_id) == ENTITIES[k] => Err(format!("injected failure on `{}`", a.entity_id)),
            _ => Ok(()),
        }
    }
}

type Key = (String, String);

fn key(i: &DeploymentItem) -> Key {
    (i.entity_type.clone(), i.entity_id.clone())
}

/// The reference model.
#[derive(Default)]
struct Model {
    /// Every deployment created, in creation order, and its environment.
    ids: Vec<String>,
    env_of: HashMap<String, usize>,
    /// Per environment: entity → (live version, deployment that made it live).
    active: [BTreeMap<Key, (String, String)>; 3],
    /// Per environment: entity → deployment that changed it last (set or removed it).
    last: [BTreeMap<Key, String>; 3],
    /// Per deployment that went live: what each of its items replaced.
    prev: HashMap<String, BTreeMap<Key, Option<String>>>,
    /// Per deployment that went live with at least one item: its go-live order and the
    /// environment's state right after.
    after: HashMap<String, (usize, BTreeMap<Key, String>)>,
    /// Deployments executed with their approvals met, and by break-glass.
    approved_exec: HashSet<String>,
    break_glass: HashSet<String>,
}

impl Model {
    fn add(&mut self, id: &str, env: usize) {
        self.ids.push(id.to_owned());
        self.env_of.insert(id.to_owned(), env);
    }

    /// Replays a successful execution or rollback from the returned deployment's items.
    fn apply(&mut self, env: usize, d: &Deployment) {
        let state = &mut self.active[env];
        let mut prev = BTreeMap::new();
        for i in &d.items {
            self.last[env].insert(key(i), d.id.clone());
            prev.insert(key(i), state.get(&key(i)).map(|(v, _)| v.clone()));
            match &i.version_tag {
                Some(v) => state.insert(key(i), (v.clone(), d.id.clone())),
                None => state.remove(&key(i)),
            };
        }
        self.prev.insert(d.id.clone(), prev);
        if !d.items.is_empty() {
            let order = self.after.len();
            self.after.insert(d.id.clone(), (order, state.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect()));
        }
    }

    /// The engine must have recorded, at execution start, what the model had live.
    fn check_previous(&self, env: usize, d: &Deployment) {
        for i in &d.items {
            let live = self.active[env].get(&key(i));
            assert_eq!(i.previous_version.as_ref(), live.map(|(v, _)| v), "previous_version of {:?} in `{}`", key(i), d.id);
            assert_eq!(i.previous_deployment_id.as_ref(), live.map(|(_, id)| id), "previous_deployment_id of {:?} in `{}`", key(i), d.id);
        }
    }
}

/// Everything observable about the store.
#[derive(Debug, PartialEq)]
struct Snap {
    deps: BTreeMap<String, Deployment>,
    envs: Vec<Environment>,
    active: Vec<Vec<ActiveEntry>>,
    audit_entries: i64,
}

fn snap(e: &Engine) -> Snap {
    let page = e.list_deployments(P, &DeploymentFilter { limit: Some(500), ..Default::default() }).unwrap();
    assert!(page.next_cursor.is_none());
    let envs = e.list_environments(P).unwrap();
    assert_eq!(envs.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ENVS);
    Snap {
        deps: page.items.into_iter().map(|d| (d.id.clone(), d)).collect(),
        envs,
        active: ENVS.iter().map(|env| e.active_state(P, env).unwrap()).collect(),
        // (4) the audit chain verifies.
        audit_entries: e.verify_audit().unwrap().entries,
    }
}

/// What a step did, for the invariants.
#[derive(Default)]
struct Out {
    /// The command was refused (or changes nothing by nature): the store must be unchanged.
    unchanged: bool,
    /// Deployments that went through `deploying` during the step.
    executed: Vec<String>,
}

/// Checks the item statuses and final status against the injected failure.
fn check_outcome(d: &Deployment, fail: Fail) {
    let at = fail.entity.and_then(|k| d.items.iter().position(|i| (i.entity_type.as_str(), i.entity_id.as_str()) == ENTITIES[k]));
    assert_eq!(d.status, if at.is_some() { Failed } else { Deployed }, "{d:#?}");
    for (j, i) in d.items.iter().enumerate() {
        let want = match at.map(|at| j.cmp(&at)) {
            None => (ItemStatus::Deployed, false),
            Some(Cmp::Less) => (ItemStatus::Reverted, fail.on_revert),
            Some(Cmp::Equal) => (ItemStatus::Failed, true),
            Some(Cmp::Greater) => (ItemStatus::Skipped, false),
        };
        assert_eq!((i.status, i.error_message.is_some()), want, "item {j} of {d:#?}");
    }
}

fn step(e: &Engine, clock: &ManualClock, m: &mut Model, before: &Snap, c: &Cmd) -> Out {
    let mut out = Out::default();
    let admins: Vec<String> = ADMIN_ROLES.iter().map(|r| (*r).to_owned()).collect();
    let status = |id: &str| before.deps[id].status;
    let open = |id: &str| matches!(status(id), Pending | Approved);
    let pick = |p: &Pick, fits: &dyn Fn(&str) -> bool| p.resolve(&m.ids, fits);
    match c {
        Cmd::Request { actor: who, env, items, keep_dups } => {
            let a = actor(*who);
            let mut seen = HashSet::new();
            let specs: Vec<ItemSpec> = items
                .iter()
                .filter(|(ent, _, _)| seen.insert(*ent) || *keep_dups)
                .map(|&(ent, ver, risk)| ItemSpec { risk, ..item(ENTITIES[ent].0, ENTITIES[ent].1, VERSIONS[ver]) })
                .collect();
            let distinct: HashSet<_> = specs.iter().map(|s| (&s.entity_type, &s.entity_id)).collect();
            let valid = distinct.len() == specs.len() && specs.iter().all(|s| s.version_tag != VERSIONS[3]);
            let policy = &before.envs[*env].policy;
            let res = e.request_deployment(P, &request(ENVS[*env], specs), &a);
            assert_eq!(res.is_ok(), valid && a.has_any_role(&policy.request_roles), "request by {a:?}: {res:?}");
            match res {
                Ok(d) => {
                    let automatic = policy.rules_for(d.kind, d.risk).is_empty();
                    assert_eq!(d.status, if automatic { Approved } else { Pending });
                    m.add(&d.id, *env);
                }
                Err(_) => out.unchanged = true,
            }
        }
        Cmd::Approve { actor: who, dep } => {
            let Some(id) = pick(dep, &|id| status(id) == Pending) else { return Out { unchanged: true, ..out } };
            let a = actor(*who);
            let prior = &before.deps[&id];
            match e.approve(P, &id, &a, &ApproveOptions::default()) {
                Ok(d) => {
                    assert_ne!(d.requested_by, a.id, "4-eyes is on everywhere");
                    let st = evaluate(&before.envs[m.env_of[&id]].policy, &d, &d.content_hash, clock.now());
                    assert!(!st.automatic && st.rules.iter().any(|r| r.approvers.contains(&a.id)), "{st:?}");
                    if prior.status == Pending {
                        assert_eq!(d.status == Approved, st.satisfied(), "{st:?}");
                    }
                }
                Err(_) => out.unchanged = true,
            }
        }
        Cmd::Reject { actor: who, dep } | Cmd::Cancel { actor: who, dep } => {
            let Some(id) = pick(dep, &open) else { return Out { unchanged: true, ..out } };
            let (res, want) = if let Cmd::Reject { .. } = c {
                (e.reject(P, &id, &actor(*who), "not now"), Rejected)
            } else {
                (e.cancel(P, &id, &actor(*who), None), Cancelled)
            };
            match res {
                Ok(d) => assert_eq!(d.status, want),
                Err(_) => out.unchanged = true,
            }
        }
        Cmd::Execute { actor: who, dep, fail, break_glass } => {
            let fits = |id: &str| status(id) == Approved || (*break_glass && status(id) == Pending);
            let Some(id) = pick(dep, &fits) else { return Out { unchanged: true, ..out } };
            let (a, env) = (actor(*who), m.env_of[&id]);
            let (prior, policy) = (&before.deps[&id], &before.envs[env].policy);
            let dry = e.check(P, &id, &a, Action::Execute).unwrap();
            // Met rules execute without break-glass, even from `pending` (policy loosened since).
            let approved = dry.approvals.satisfied();
            let roles = if prior.kind == DeploymentKind::Rollback { &policy.rollback.roles } else { &policy.execute_roles };
            // `outdated`: a deployment may not overwrite what a later-requested one made live.
            let outdated = prior.kind != DeploymentKind::Rollback
                && prior.items.iter().any(|i| {
                    m.active[env].get(&(i.entity_type.clone(), i.entity_id.clone())).is_some_and(|(_, by)| by.as_str() > id.as_str())
                });
            let may = matches!(prior.status, Pending | Approved) && a.has_any_role(roles) && !outdated;
            let expect = may && (approved || (*break_glass && a.has_any_role(&policy.break_glass_roles)));
            assert_eq!(dry.allowed, may && approved, "dry run {dry:?}");
            let x = TestExecutor::new(e, *fail);
            let opts = ExecuteOptions { break_glass_reason: break_glass.then(|| "hotfix".to_owned()), ..Default::default() };
            let res = e.execute(P, &id, &a, &x, &opts);
            x.assert_clean();
            assert_eq!(res.is_ok(), expect, "execute by {a:?} of {prior:#?}: {res:?}");
            let Ok(d) = res else { return Out { unchanged: true, ..out } };
            check_outcome(&d, *fail);
            m.check_previous(env, &d);
            if approved {
                assert!(d.break_glass.is_none(), "{d:#?}");
                m.approved_exec.insert(id.clone());
            } else {
                assert!(d.break_glass.is_some(), "{d:#?}");
                m.break_glass.insert(id.clone());
            }
            if d.status == Deployed {
                m.apply(env, &d);
            }
            out.executed.push(id);
        }
        Cmd::Rollback { actor: who, dep, target, fail } => {
            let restorable = |id: &str| m.prev.get(id).is_some_and(|p| p.values().any(Option::is_some));
            let fits = |id: &str| status(id) == Deployed && (target.is_some() || restorable(id));
            let Some(id) = pick(dep, &fits) else { return Out { unchanged: true, ..out } };
            let (a, env) = (actor(*who), m.env_of[&id]);
            let (prior, policy) = (&before.deps[&id], &before.envs[env].policy);
            // A valid target went live, with items, in the same environment before `id` did.
            let earlier =
                |tid: &str| m.env_of[tid] == env && matches!((m.after.get(tid), m.after.get(&id)), (Some(t), Some(own)) if t.0 < own.0);
            let target_id = target.and_then(|t| t.resolve(&m.ids, earlier));
            // What the rollback must restore, from the model alone: the entities whose last
            // change was made by `id`, to what they replaced or to what was live after the target.
            let affected = prior.items.iter().map(key).filter(|k| m.last[env].get(k) == Some(&id));
            let expected: BTreeMap<Key, Option<String>> = affected
                .map(|k| {
                    let v = match &target_id {
                        None => m.prev.get(&id).and_then(|p| p.get(&k).cloned()).flatten(),
                        Some(t) => m.after.get(t).and_then(|(_, s)| s.get(&k).cloned()),
                    };
                    (k, v)
                })
                .collect();
            // Nothing affected (later deployments changed every entity) is `not_found` with or
            // without a target.
            let target_ok = !expected.is_empty()
                && match &target_id {
                    Some(t) => earlier(t),
                    None => expected.values().any(Option::is_some),
                };
            let expect = prior.status == Deployed && a.has_any_role(&policy.rollback.roles) && target_ok;
            let x = TestExecutor::new(e, *fail);
            let opts = RollbackOptions { target: target_id.clone(), reason: "bad answers".into() };
            let res = e.rollback(P, &id, &a, &x, &opts);
            x.assert_clean();
            assert_eq!(res.is_ok(), expect, "rollback by {a:?} of {prior:#?} to {target_id:?}: {res:?}");
            let Ok(r) = res else { return Out { unchanged: true, ..out } };
            assert_eq!((r.kind, r.rollback_of.as_ref()), (DeploymentKind::Rollback, Some(&id)));
            let got: BTreeMap<Key, Option<String>> = r.items.iter().map(|it| (key(it), it.version_tag.clone())).collect();
            assert_eq!(got, expected, "rollback items of `{id}` to {target_id:?}");
            check_outcome(&r, *fail);
            m.check_previous(env, &r);
            assert!(r.break_glass.is_none());
            m.approved_exec.insert(r.id.clone());
            m.add(&r.id, env);
            if r.status == Deployed {
                m.apply(env, &r);
                assert_eq!(e.get_deployment(P, &id).unwrap().status, RolledBack);
            }
            out.executed.push(r.id);
        }
        Cmd::SetVariables { actor: who, env, value, secret } => {
            let a = actor(*who);
            let vars = [Variable { key: "MODE".into(), value: format!("m{value}"), secret: *secret }];
            let res = e.set_variables(P, ENVS[*env], &vars, &a);
            assert_eq!(res.is_ok(), a.has_any_role(&admins), "{res:?}");
            out.unchanged = res.is_err();
        }
        Cmd::AdvanceClock { minutes } => {
            clock.advance(chrono::Duration::minutes(*minutes));
            out.unchanged = true;
        }
    }
    out
}

/// Whether `from → to` is legal in one command (an executed deployment passes through `deploying`).
fn legal(from: DeploymentStatus, to: DeploymentStatus, via_deploying: bool) -> bool {
    let allowed = |f, t| TRANSITIONS.contains(&(f, t));
    from == to || allowed(from, to) || (via_deploying && allowed(from, Deploying) && allowed(Deploying, to))
}

fn check_invariants(e: &Engine, m: &Model, before: &Snap, after: &Snap, out: &Out) {
    // (1) nothing is left `deploying` in any environment once a command has returned.
    for env in ENVS {
        let f = DeploymentFilter { environment: Some(env.into()), status: Some(Deploying), ..Default::default() };
        assert!(e.list_deployments(P, &f).unwrap().items.is_empty(), "`deploying` left in `{env}`");
    }
    // (2) the active state equals the model's.
    for (i, entries) in after.active.iter().enumerate() {
        let got: BTreeMap<Key, (String, String)> = entries
            .iter()
            .map(|a| ((a.entity_type.clone(), a.entity_id.clone()), (a.version_tag.clone(), a.deployment_id.clone())))
            .collect();
        assert_eq!(got, m.active[i], "active state of `{}`", ENVS[i]);
    }
    // (3) everything executed had its approvals met at execution, or broke glass with a reason
    // and an audit entry.
    for d in after.deps.values() {
        let Some(started) = d.started_at else { continue };
        if let Some(bg) = &d.break_glass {
            assert!(bg.reason.as_deref().is_some_and(|r| !r.trim().is_empty()), "break-glass without reason: {d:#?}");
            assert!(m.break_glass.contains(&d.id), "unexpected break-glass on `{}`", d.id);
            let log = e.audit_log(P, Some(&d.id), 0, Some(500)).unwrap();
            assert!(log.iter().any(|a| a.action == "deployment.break_glass" && a.reason == bg.reason), "{log:#?}");
        } else {
            let st = evaluate(&after.envs[m.env_of[&d.id]].policy, d, &d.content_hash, started);
            assert!(st.automatic || st.satisfied(), "executed without approvals: {st:?} {d:#?}");
            assert!(m.approved_exec.contains(&d.id), "unexpected execution of `{}`", d.id);
        }
    }
    // (5) a refused command changed nothing at all (deployments with their revisions,
    // environments, active state, audit trail).
    if out.unchanged {
        assert_eq!(before, after, "a refused command changed the store");
    }
    // (6) statuses move only along the transition table; a change bumps the revision.
    assert!(before.deps.keys().all(|id| after.deps.contains_key(id)), "a deployment disappeared");
    for (id, d) in &after.deps {
        let via = out.executed.contains(id);
        match before.deps.get(id) {
            Some(p) => {
                assert!(legal(p.status, d.status, via), "`{id}` moved {} → {}", p.status, d.status);
                assert!(d.revision >= p.revision && (p.status == d.status || d.revision > p.revision), "`{id}` revision");
            }
            None => {
                // New: `pending`, auto-`approved`, or (a rollback) executed at once from `approved`.
                let ok = matches!(d.status, Pending | Approved)
                    || (via && TRANSITIONS.contains(&(Approved, Deploying)) && TRANSITIONS.contains(&(Deploying, d.status)));
                assert!(ok, "new `{id}` is {}", d.status);
            }
        }
    }
    // (7) only `deployed` deployments have something live; superseded and rolled-back ones have
    // nothing live; a deployed (non-rollback) deployment still has something live.
    let mut live: HashMap<&str, usize> = HashMap::new();
    for (_, by) in m.active.iter().flat_map(|s| s.values()) {
        *live.entry(by.as_str()).or_default() += 1;
    }
    for d in after.deps.values() {
        let n = live.get(d.id.as_str()).copied().unwrap_or(0);
        assert!(n == 0 || d.status == Deployed, "`{}` is {} with {n} live", d.id, d.status);
        assert!(!(d.status == Deployed && d.kind == DeploymentKind::Deploy && n == 0), "`{}` deployed with nothing live", d.id);
        // An approved deployment meets its rules with approvals of its current content (they may
        // have expired since: that does not move it back to `pending`).
        if d.status == Approved {
            let st = e.check(P, &d.id, &actor(0), Action::Execute).unwrap().approvals;
            let expired: Vec<&str> = st.void.iter().filter(|v| v.reason == "expired").map(|v| v.actor_id.as_str()).collect();
            for r in &st.rules {
                let late = d.approvals.iter().filter(|a| a.rule == r.rule && expired.contains(&a.actor_id.as_str())).count();
                assert!(r.granted as usize + late >= r.required as usize, "approved `{}` lacks approvals: {st:?}", d.id);
            }
        }
    }
}

fn run(cmds: &[Cmd], baseline: bool) {
    let (e, clock) = engine();
    let root = admin("root");
    let staging = Policy { approval_ttl_seconds: Some(TTL_SECONDS), ..Policy::staging() };
    e.set_policy(P, "staging", &staging, &root).unwrap();
    for (et, id) in ENTITIES {
        for tag in &VERSIONS[..3] {
            register(&e, et, id, tag);
        }
    }
    let mut m = Model::default();
    if baseline {
        // Every entity at its first version everywhere, so later deployments have something to
        // roll back to.
        for (env, name) in ENVS.iter().enumerate() {
            let items = ENTITIES.iter().map(|(et, id)| item(et, id, VERSIONS[0])).collect();
            let d = e.request_deployment(P, &request(name, items), &actor(0)).unwrap();
            for who in [1, 2].into_iter().filter(|_| d.status == Pending) {
                e.approve(P, &d.id, &actor(who), &ApproveOptions::default()).unwrap();
            }
            let d = e.execute(P, &d.id, &actor(0), &NoopExecutor, &ExecuteOptions::default()).unwrap();
            m.add(&d.id, env);
            m.approved_exec.insert(d.id.clone());
            m.apply(env, &d);
        }
    }
    let mut before = snap(&e);
    for c in cmds {
        let out = step(&e, &clock, &mut m, &before, c);
        let after = snap(&e);
        check_invariants(&e, &m, &before, &after, &out);
        before = after;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_commands_keep_invariants(baseline in prop::bool::weighted(0.7), cmds in prop::collection::vec(cmd(), 10..=40)) {
        run(&cmds, baseline);
    }
}
