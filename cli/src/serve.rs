//! `deploygov serve`: a read-only dashboard over the database. One static page
//! (`dashboard.html`, vanilla JS, no build step) reads JSON endpoints under `/api/`, each a few
//! core reads. Only GET and HEAD are answered; nothing here changes the store.

use std::net::SocketAddr;

use deploygov::{Action, Actor, DeploymentFilter, DeploymentStatus, Engine, Error, ErrorCode};
use serde_json::{Value, json};
use tiny_http::{Header, Method, Request, Response, Server};

use crate::context::Ctx;
use crate::error::{CliError, CliResult};
use crate::output;

/// The page, served for `/` and `/deployments/{id}`.
const PAGE: &str = include_str!("dashboard.html");
/// The actor the dashboard's dry runs are asked for: no roles, reads only (not a `deploygov:` id:
/// those are reserved for the engine and refused from callers).
const VIEWER: &str = "dashboard-viewer";
/// Most deployments the timeline shows.
const TIMELINE_LIMIT: u32 = 500;
/// Most log lines the detail page shows.
const LOG_LIMIT: u32 = 5000;

/// Serves until the process is stopped.
pub fn run(ctx: &Ctx, bind: &str, port: u16) -> CliResult<()> {
    let project = ctx.project()?.to_owned();
    ctx.engine.get_project(&project)?;
    let server = Server::http((bind, port)).map_err(|e| {
        CliError::other(format!("cannot listen on `{bind}:{port}`: {e}"), "pick another --port (0 picks a free one) or --bind address")
    })?;
    let addr =
        server.server_addr().to_ip().ok_or_else(|| CliError::other("the server has no ip address", "use --bind with an ip address"))?;
    output::line(&format!("deploygov dashboard for project `{project}`: http://{addr}/"))?;
    if addr.ip().is_loopback() {
        output::line(&format!("read-only, no login; bound to {addr}, so only this machine can open it (Ctrl-C stops it)"))?;
    } else {
        output::line(&format!("WARNING: bound to {addr} without login: anyone who can reach this address can read the dashboard"))?;
    }
    let site = Site { engine: &ctx.engine, project, addr, viewer: Actor::new(VIEWER, &[]) };
    for request in server.incoming_requests() {
        let response = site.handle(&request);
        // A client that went away is not the server's failure.
        let _ignored = request.respond(response);
    }
    Ok(())
}

struct Site<'a> {
    engine: &'a Engine,
    project: String,
    addr: SocketAddr,
    viewer: Actor,
}

type Reply = Response<std::io::Cursor<Vec<u8>>>;

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    let mut r = Response::from_data(body).with_status_code(status);
    for h in [header("Content-Type", content_type), header("Cache-Control", "no-store"), header("X-Content-Type-Options", "nosniff")]
        .into_iter()
        .flatten()
    {
        r.add_header(h);
    }
    r
}

fn json_reply(status: u16, v: &Value) -> Reply {
    reply(status, "application/json; charset=utf-8", serde_json::to_vec_pretty(v).unwrap_or_default())
}

fn error_reply(e: &Error) -> Reply {
    let status = match e.code() {
        ErrorCode::NotFound => 404,
        ErrorCode::InvalidInput => 400,
        _ => 500,
    };
    json_reply(status, &json!({ "error": { "code": e.code(), "message": e.to_string() } }))
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Site<'_> {
    fn handle(&self, request: &Request) -> Reply {
        if !matches!(request.method(), Method::Get | Method::Head) {
            return json_reply(405, &json!({ "error": { "code": "method_not_allowed", "message": "the dashboard is read-only" } }));
        }
        let url = request.url();
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let result = match path {
            "/" | "/index.html" => return reply(200, "text/html; charset=utf-8", PAGE.as_bytes().to_vec()),
            p if p.starts_with("/deployments/") => return reply(200, "text/html; charset=utf-8", PAGE.as_bytes().to_vec()),
            "/api/overview" => self.overview(),
            "/api/timeline" => self.timeline(query),
            "/api/audit" => Ok(self.audit_status()),
            p => match p.strip_prefix("/api/deployments/") {
                Some(id) => self.deployment(&decode(id)),
                None => return json_reply(404, &json!({ "error": { "code": "not_found", "message": format!("no page `{path}`") } })),
            },
        };
        match result {
            Ok(v) => json_reply(200, &v),
            Err(e) => error_reply(&e),
        }
    }

    fn audit_status(&self) -> Value {
        match self.engine.verify_audit() {
            Ok(v) => json!({ "ok": true, "entries": v.entries, "head_hash": v.head_hash }),
            Err(e) => json!({ "ok": false, "code": e.code(), "message": e.to_string() }),
        }
    }

    fn overview(&self) -> Result<Value, Error> {
        let e = self.engine;
        let p = &self.project;
        let mut envs = Vec::new();
        for env in e.list_environments(p)? {
            let filter = DeploymentFilter {
                environment: Some(env.name.clone()),
                status: Some(DeploymentStatus::Pending),
                limit: Some(100),
                ..Default::default()
            };
            let mut pending = Vec::new();
            for d in e.list_deployments(p, &filter)?.items {
                let approvals = e.check(p, &d.id, &self.viewer, Action::Approve)?.approvals;
                pending.push(json!({ "deployment": d, "approvals": approvals }));
            }
            envs.push(json!({
                "name": env.name,
                "health": env.health,
                "url": env.url,
                "policy": output::policy_words(&env.policy),
                "live": to_value(&e.active_state(p, &env.name)?),
                "pending": pending,
            }));
        }
        Ok(json!({
            "project": to_value(&e.get_project(p)?),
            "served_on": self.addr.to_string(),
            "loopback": self.addr.ip().is_loopback(),
            "generated_at": chrono::Utc::now(),
            "audit": self.audit_status(),
            "environments": envs,
        }))
    }

    fn timeline(&self, query: &str) -> Result<Value, Error> {
        let limit = param(query, "limit").and_then(|l| l.parse::<u32>().ok()).unwrap_or(TIMELINE_LIMIT).clamp(1, TIMELINE_LIMIT);
        let filter = DeploymentFilter { environment: param(query, "environment"), limit: Some(limit), ..Default::default() };
        let page = self.engine.list_deployments(&self.project, &filter)?;
        Ok(to_value(&page.items))
    }

    fn deployment(&self, id: &str) -> Result<Value, Error> {
        let e = self.engine;
        let d = e.get_deployment(&self.project, id)?;
        let approvals = e.check(&self.project, id, &self.viewer, Action::Approve)?.approvals;
        let audit = e.audit_log(&self.project, Some(id), 0, Some(500))?;
        let logs = e.deployment_logs(&self.project, id, 0, Some(LOG_LIMIT))?;
        Ok(json!({ "deployment": d, "approvals": approvals, "audit": audit, "logs": logs }))
    }
}

/// One query parameter, percent-decoded.
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| decode(v)).filter(|v| !v.is_empty())
}

/// Percent-decoding (`+` is a space in queries); invalid escapes are kept as they are.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode() {
        assert_eq!(decode("a%20b+c%zz"), "a b c%zz");
        assert_eq!(param("limit=5&environment=prod%2D1", "environment").as_deref(), Some("prod-1"));
        assert_eq!(param("limit=", "limit"), None);
    }
}
