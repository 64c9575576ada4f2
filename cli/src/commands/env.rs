//! `env list|show|create|policy|vars|health|compare`.

use deploygov::{Environment, EnvironmentSpec, Health, Policy, Variable};

use crate::args::{EnvCmd, PolicyCmd, VarsCmd};
use crate::context::{Ctx, parse_enum, parse_kv, read_json};
use crate::error::CliResult;
use crate::output::{self, Table};

/// Runs an `env` command.
pub fn run(ctx: &Ctx, cmd: EnvCmd) -> CliResult<()> {
    let project = ctx.project()?;
    let e = &ctx.engine;
    match cmd {
        EnvCmd::List => {
            let envs = e.list_environments(project)?;
            if ctx.json() {
                return output::json(&envs);
            }
            let mut t = Table::new(&["name", "position", "health", "url", "policy"]);
            for env in &envs {
                t.row(vec![
                    env.name.clone(),
                    env.position.to_string(),
                    env.health.to_string(),
                    output::opt(env.url.as_deref()),
                    output::policy_words(&env.policy),
                ]);
            }
            t.print("no environments (create one with `deploygov env create NAME`)")
        }
        EnvCmd::Show { name } => show(ctx, &e.get_environment(project, &name)?),
        EnvCmd::Create { name, position, url, policy_file, vars, secrets } => {
            let policy = policy_file.map(|f| read_json::<Policy>("policy", &f)).transpose()?;
            let spec = EnvironmentSpec { name, position, url, variables: variables(&vars, &secrets)?, policy };
            show(ctx, &e.create_environment(project, &spec, &ctx.actor()?)?)
        }
        EnvCmd::Policy(PolicyCmd::Get { name }) => output::json(&e.get_environment(project, &name)?.policy),
        EnvCmd::Policy(PolicyCmd::Set { name, file }) => {
            let policy: Policy = read_json("policy", &file)?;
            show(ctx, &e.set_policy(project, &name, &policy, &ctx.actor()?)?)
        }
        EnvCmd::Vars(VarsCmd::Show { name }) => vars(ctx, &e.get_environment(project, &name)?),
        EnvCmd::Vars(VarsCmd::Set { name, vars: plain, secrets }) => {
            let env = e.set_variables(project, &name, &variables(&plain, &secrets)?, &ctx.actor()?)?;
            vars(ctx, &env)
        }
        EnvCmd::Vars(VarsCmd::Unset { name, keys }) => vars(ctx, &e.unset_variables(project, &name, &keys, &ctx.actor()?)?),
        EnvCmd::Vars(VarsCmd::Compare { left, right }) => {
            let diff = e.compare_variables(project, &left, &right)?;
            if ctx.json() {
                return output::json(&diff);
            }
            let mut t = Table::new(&["key", &left, &right, "secret", "equal"]);
            for d in &diff {
                let yes = |b: bool| if b { "yes".to_owned() } else { "no".to_owned() };
                t.row(vec![d.key.clone(), output::opt(d.left.as_deref()), output::opt(d.right.as_deref()), yes(d.secret), yes(d.equal)]);
            }
            t.print("neither environment has variables")
        }
        EnvCmd::Health { name, health } => {
            let health: Health = parse_enum(&health)?;
            show(ctx, &e.set_health(project, &name, health, &ctx.actor()?)?)
        }
        EnvCmd::Compare { left, right } => {
            let diff = e.compare_environments(project, &left, &right)?;
            if ctx.json() {
                return output::json(&diff);
            }
            let mut t = Table::new(&["entity", &left, &right]);
            for d in &diff {
                t.row(vec![format!("{}/{}", d.entity_type, d.entity_id), output::opt(d.left.as_deref()), output::opt(d.right.as_deref())]);
            }
            t.print(&format!("`{left}` and `{right}` have the same live versions"))
        }
    }
}

/// Builds the variable list of `--var` and `--secret` flags.
fn variables(plain: &[String], secrets: &[String]) -> CliResult<Vec<Variable>> {
    let mut out = Vec::new();
    for (list, secret) in [(plain, false), (secrets, true)] {
        for kv in list {
            let (key, value) = parse_kv(kv)?;
            out.push(Variable { key, value, secret });
        }
    }
    Ok(out)
}

fn show(ctx: &Ctx, env: &Environment) -> CliResult<()> {
    if ctx.json() {
        return output::json(env);
    }
    let p = &env.policy;
    output::fields(&[
        ("environment", env.name.clone()),
        ("project", env.project_id.clone()),
        ("position", env.position.to_string()),
        ("url", output::opt(env.url.as_deref())),
        ("health", env.health.to_string()),
        ("policy", output::policy_words(p)),
        ("cancel roles", output::roles(&p.cancel_roles)),
        (
            "rollback",
            format!(
                "by {}; approval {}",
                output::roles(&p.rollback.roles),
                if p.rollback.requires_approval { "required" } else { "automatic" }
            ),
        ),
        ("break glass", output::roles(&p.break_glass_roles)),
        ("approval ttl", p.approval_ttl_seconds.map(|s| format!("{s} s")).unwrap_or_else(|| "none".into())),
        ("requires success in", if p.requires_success_in.is_empty() { "-".into() } else { p.requires_success_in.join(", ") }),
        ("variables", env.variables.len().to_string()),
        ("revision", env.revision.to_string()),
    ])
}

fn vars(ctx: &Ctx, env: &Environment) -> CliResult<()> {
    if ctx.json() {
        return output::json(&env.variables);
    }
    let mut t = Table::new(&["key", "value", "secret"]);
    for v in &env.variables {
        // Secrets arrive redacted from the core already.
        t.row(vec![v.key.clone(), v.value.clone(), if v.secret { "yes".into() } else { "no".into() }]);
    }
    t.print(&format!("environment `{}` has no variables", env.name))
}
