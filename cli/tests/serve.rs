//! `deploygov serve` over HTTP (the page itself is tested in headless Chromium by
//! `cli/dashboard-test/`).

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "test helpers fail loudly")]

mod common;
use std::io::{BufRead, BufReader, Read, Write};

use common::*;

/// Kills the server when the test ends, passed or not.
struct Server(std::process::Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dg: &Dg) -> Server {
    let mut child = dg.command(&["serve", "--port", "0"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    reader.read_line(&mut first).unwrap();
    reader.read_line(&mut second).unwrap();
    assert!(second.contains("bound to 127.0.0.1"), "{second}");
    let addr = first.split("http://").nth(1).unwrap().trim().trim_end_matches('/').to_owned();
    Server(child, addr)
}

fn http(addr: &str, method: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn dashboard_endpoints() {
    let dg = Dg::demo();
    let server = start(&dg);
    let (code, page) = http(&server.1, "GET", "/");
    assert_eq!(code, 200);
    assert!(page.contains("<title>deploygov dashboard</title>") && page.contains("no login"));
    let (code, body) = http(&server.1, "GET", "/api/overview");
    assert_eq!(code, 200);
    let o: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(o["loopback"], true);
    assert!(o["served_on"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(o["audit"]["ok"], true);
    let envs = o["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 3);
    assert_eq!(envs[2]["live"].as_array().unwrap().len(), 2);
    let pending = &envs[1]["pending"][0];
    assert_eq!(
        (pending["approvals"]["rules"][0]["granted"].as_u64(), pending["approvals"]["rules"][0]["required"].as_u64()),
        (Some(0), Some(1))
    );

    let (_, body) = http(&server.1, "GET", "/api/timeline");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 6);
    let id = list[2]["id"].as_str().unwrap();
    let (code, body) = http(&server.1, "GET", &format!("/api/deployments/{id}"));
    assert_eq!(code, 200);
    let d: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(d["audit"].as_array().unwrap().iter().all(|a| a["object_id"] == id));
    assert_eq!(http(&server.1, "GET", &format!("/deployments/{id}")).0, 200);
    assert_eq!(http(&server.1, "GET", "/api/deployments/nope").0, 404);
    assert_eq!(http(&server.1, "POST", "/api/overview").0, 405);
    assert_eq!(http(&server.1, "GET", "/etc/passwd").0, 404);
}

#[test]
fn serve_needs_an_existing_project() {
    let dg = Dg::demo();
    dg.command(&["serve", "--port", "0"]).env("DEPLOYGOV_PROJECT", "nope").output().map(out).unwrap().fails(11);
}
