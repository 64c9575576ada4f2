//! What every command needs: the database, the actor, the project, and the small argument
//! parsers (`TYPE/ID@TAG`, `KEY=VALUE`, times, JSON files). Parsing only; the core decides.

use chrono::{DateTime, Utc};
use deploygov::{Actor, Engine, ErrorCode};

use crate::args::Global;
use crate::error::{CliError, CliResult};

/// The environment variable holding the actor when `--as` is not given.
pub const ACTOR_ENV: &str = "DEPLOYGOV_ACTOR";

/// The parsed global options and the opened engine.
pub struct Ctx {
    /// Global options.
    pub global: Global,
    /// The engine over `--db`.
    pub engine: Engine,
}

impl Ctx {
    /// Opens the database named by `--db`/`DEPLOYGOV_DB`. Unless `create` is set, the file must
    /// already exist (a typo in a path should not silently create an empty database).
    pub fn open(global: Global, create: bool) -> CliResult<Self> {
        let path = db_path(&global)?;
        if !create && path != ":memory:" && !is_postgres(&path) && !std::path::Path::new(&path).exists() {
            return Err(CliError::kind(
                ErrorCode::NotFound,
                format!("database file `{path}` does not exist"),
                "check --db/DEPLOYGOV_DB; `deploygov project create` or `deploygov demo` creates a database",
            ));
        }
        let engine = Engine::open(&path).map_err(|e| {
            let err = CliError::from(e);
            if is_postgres(&path) && err.code == Some(ErrorCode::Storage) {
                err.with_hint("check that the PostgreSQL server in --db is running and the URL's user, password and database are right")
            } else {
                err
            }
        })?;
        Ok(Self { global, engine })
    }

    /// The acting actor: `--as ID --role ROLE...`, else `DEPLOYGOV_ACTOR`.
    pub fn actor(&self) -> CliResult<Actor> {
        actor_of(&self.global)
    }

    /// The project of `--project`/`DEPLOYGOV_PROJECT`.
    pub fn project(&self) -> CliResult<&str> {
        self.global.project.as_deref().filter(|p| !p.trim().is_empty()).ok_or_else(|| {
            CliError::input("no project given", "pass --project ID or set DEPLOYGOV_PROJECT (`deploygov project create` makes one)")
        })
    }

    /// Whether `--json` was given.
    pub fn json(&self) -> bool {
        self.global.json
    }
}

/// The database path, refusing URLs of stores the CLI does not support.
pub fn db_path(global: &Global) -> CliResult<String> {
    let path = global
        .db
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| CliError::input("no database given", "pass --db PATH or set DEPLOYGOV_DB to a SQLite file"))?;
    let lower = path.to_ascii_lowercase();
    if is_postgres(path) {
        // The core's `Engine::open` selects its PostgreSQL store by the URL (or says clearly that
        // this build has none).
        return Ok(path.to_owned());
    }
    if lower.contains("://") {
        return Err(CliError::input(format!("unsupported database url `{path}`"), "pass the path of a SQLite file with --db"));
    }
    Ok(path.to_owned())
}

/// Whether `--db` names a PostgreSQL server rather than a SQLite file.
pub fn is_postgres(db: &str) -> bool {
    let lower = db.to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// The acting actor from the global options.
pub fn actor_of(global: &Global) -> CliResult<Actor> {
    if let Some(id) = &global.as_actor {
        return Ok(Actor { id: id.clone(), roles: global.roles.clone() });
    }
    match std::env::var(ACTOR_ENV) {
        Ok(v) if !v.trim().is_empty() => parse_actor(&v),
        _ => Err(CliError::input(
            "no actor given: this command is performed by someone",
            format!("pass --as ID --role ROLE (repeatable) or set {ACTOR_ENV}=ID:ROLE1,ROLE2"),
        )),
    }
}

/// Parses `ID:ROLE1,ROLE2` (or `ID` alone, with no roles).
pub fn parse_actor(text: &str) -> CliResult<Actor> {
    let (id, roles) = match text.split_once(':') {
        Some((id, roles)) => (id.trim(), roles.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect()),
        None => (text.trim(), Vec::new()),
    };
    if id.is_empty() {
        return Err(CliError::input(format!("actor `{text}` has no id"), "write the actor as ID:ROLE1,ROLE2, e.g. alice:admin,lead"));
    }
    Ok(Actor { id: id.to_owned(), roles })
}

/// Parses `TYPE/ID` (the id may itself contain `/`).
pub fn parse_entity(text: &str) -> CliResult<(String, String)> {
    match text.split_once('/') {
        Some((t, id)) if !t.trim().is_empty() && !id.trim().is_empty() => Ok((t.to_owned(), id.to_owned())),
        _ => Err(CliError::input(format!("`{text}` is not an entity"), "write entities as TYPE/ID, e.g. prompt_version/chatbot")),
    }
}

/// Parses `TYPE/ID@TAG` (the tag is after the last `@`).
pub fn parse_version(text: &str) -> CliResult<(String, String, String)> {
    let bad = || CliError::input(format!("`{text}` is not a version"), "write versions as TYPE/ID@TAG, e.g. prompt_version/chatbot@1.2.0");
    let (entity, tag) = text.rsplit_once('@').ok_or_else(bad)?;
    if tag.trim().is_empty() {
        return Err(bad());
    }
    let (t, id) = parse_entity(entity).map_err(|_| bad())?;
    Ok((t, id, tag.to_owned()))
}

/// Parses `KEY=VALUE`.
pub fn parse_kv(text: &str) -> CliResult<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(CliError::input(format!("`{text}` is not KEY=VALUE"), "write variables as KEY=VALUE, e.g. --var LOG_LEVEL=info")),
    }
}

/// Parses an RFC 3339 instant.
pub fn parse_time(what: &str, text: &str) -> CliResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| CliError::input(format!("{what} `{text}` is not an RFC 3339 time: {e}"), "write times like 2026-03-01T00:00:00Z"))
}

/// Parses an optional RFC 3339 instant.
pub fn parse_opt_time(what: &str, text: Option<&str>) -> CliResult<Option<DateTime<Utc>>> {
    text.map(|t| parse_time(what, t)).transpose()
}

/// Parses a core enum string (`FromStr` in the core: unknown strings are `invalid_input`).
pub fn parse_enum<T: std::str::FromStr<Err = deploygov::Error>>(text: &str) -> CliResult<T> {
    text.parse::<T>().map_err(|e| CliError::from(e).with_hint("use one of the values the message lists"))
}

/// Reads a JSON file (`-` for stdin) into a core input type.
pub fn read_json<T: serde::de::DeserializeOwned>(what: &str, file: &str) -> CliResult<T> {
    let text = if file == "-" { std::io::read_to_string(std::io::stdin()) } else { std::fs::read_to_string(file) }
        .map_err(|e| CliError::input(format!("cannot read {what} file `{file}`: {e}"), "check the path (or pass `-` for stdin)"))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::input(
            format!("{what} file `{file}` is not valid: {}", e.to_string().to_lowercase()),
            format!("the {what} JSON format is in docs/cli.md; `deploygov env policy get ENV` prints an example"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_and_versions_parse() {
        let a = parse_actor("alice:admin, lead").unwrap();
        assert_eq!((a.id.as_str(), a.roles.len()), ("alice", 2));
        assert!(parse_actor("bob").unwrap().roles.is_empty());
        assert!(parse_actor(":admin").is_err());
        assert_eq!(parse_version("a/b/c@1.0").unwrap(), ("a".into(), "b/c".into(), "1.0".into()));
        assert!(parse_version("a/b").is_err());
        assert!(parse_entity("ab").is_err());
    }
}
