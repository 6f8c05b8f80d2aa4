//! Helpers shared by the CLI integration tests: processes, a guard that
//! kills them on drop (even on panic), and bounded polling.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_lifebuoy");

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("lifebuoy-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // LIFEBUOY_TEST_KEEP_LOGS=1 keeps the nodes' logs of a passing run.
        if !std::thread::panicking() && std::env::var_os("LIFEBUOY_TEST_KEEP_LOGS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            eprintln!("kept logs in {}", self.0.display());
        }
    }
}

/// One `lifebuoy run` process.
pub struct Agent {
    pub name: String,
    pub api: String,
    pub quic: u16,
    pub child: Option<Child>,
    pub stdout_lines: Arc<Mutex<Vec<String>>>,
    pub log: PathBuf,
}

/// Kills every process it holds when dropped.
pub struct Cluster {
    pub agents: Vec<Agent>,
    pub dir: TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for a in &mut self.agents {
            if let Some(mut c) = a.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        if std::thread::panicking() {
            for a in &self.agents {
                let log = std::fs::read_to_string(&a.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                eprintln!("--- {} (last lines of {}) ---", a.name, a.log.display());
                for l in tail.into_iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
    }
}

/// Starts `lifebuoy run` with a piped stdout and collects its lines (the
/// `--events-json` stream) on a thread.
pub fn spawn_collecting_stdout(cmd: &mut Command) -> (Child, Arc<Mutex<Vec<String>>>) {
    let mut child = cmd.spawn().expect("spawn lifebuoy run");
    let lines = Arc::new(Mutex::new(Vec::new()));
    if let Some(out) = child.stdout.take() {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                lines.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
    }
    (child, lines)
}

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free udp port")
}

pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free tcp port")
}

impl Cluster {
    pub fn new(tag: &str) -> Self {
        Cluster {
            agents: Vec::new(),
            dir: TempDir::new(tag),
        }
    }

    /// Starts `lifebuoy run`; `bootstrap` is a multiaddr or none.
    pub fn spawn(&mut self, name: &str, bootstrap: Option<String>, events_json: bool) -> usize {
        let quic = free_udp_port();
        let listen = format!("/ip4/127.0.0.1/udp/{quic}/quic-v1");
        let mut extra = vec![];
        if let Some(b) = &bootstrap {
            extra.extend(["--bootstrap".to_owned(), b.clone()]);
        }
        if events_json {
            extra.push("--events-json".to_owned());
        }
        self.spawn_with(name, &listen, quic, &extra)
    }

    /// Starts `lifebuoy run` listening on `listen` (whose port is `port`),
    /// with the local profile, a data directory and `extra` arguments.
    pub fn spawn_with(&mut self, name: &str, listen: &str, port: u16, extra: &[String]) -> usize {
        let quic = port;
        let api = format!("127.0.0.1:{}", free_tcp_port());
        let log = self.dir.0.join(format!("{name}.log"));
        let mut cmd = Command::new(BIN);
        cmd.arg("run")
            .args(["--name", name])
            .args(["--listen", listen])
            .args(["--api", &api])
            .args(["--profile", "local"])
            .arg("--data-dir")
            .arg(self.dir.0.join(name))
            .args(extra)
            .env_remove("LIFEBUOY_CONFIG")
            .env_remove("LIFEBUOY_API_TOKEN")
            .env(
                "RUST_LOG",
                std::env::var("LIFEBUOY_TEST_LOG").unwrap_or_else(|_| "info".to_owned()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        let (child, lines) = spawn_collecting_stdout(&mut cmd);
        self.agents.push(Agent {
            name: name.to_owned(),
            api,
            quic,
            child: Some(child),
            stdout_lines: lines,
            log,
        });
        self.agents.len() - 1
    }

    pub fn running(&self) -> impl Iterator<Item = &Agent> {
        self.agents.iter().filter(|a| a.child.is_some())
    }
}

/// Runs the CLI with `args`, bounded by a timeout.
pub fn cli(args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("LIFEBUOY_API")
        .env_remove("LIFEBUOY_API_TOKEN")
        .env_remove("LIFEBUOY_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lifebuoy");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`lifebuoy {}` did not finish in 30 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `lifebuoy members --json` on one agent: (name, state) pairs, or None if it failed.
pub fn members(api: &str) -> Option<Vec<(String, String)>> {
    let out = cli(&["members", "--json", "--api", api]);
    if !out.status.success() {
        return None;
    }
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(
        v.as_array()?
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap_or("").to_owned(),
                    m["state"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect(),
    )
}

/// Polls until `pred` holds for every running agent's member list, or panics at the deadline.
pub fn wait_all(
    cluster: &Cluster,
    what: &str,
    timeout: Duration,
    pred: impl Fn(&[(String, String)]) -> bool,
) {
    let deadline = Instant::now() + timeout;
    loop {
        let mut pending = Vec::new();
        for a in cluster.running() {
            match members(&a.api) {
                Some(m) if pred(&m) => {}
                other => pending.push(format!("{}: {:?}", a.name, other)),
            }
        }
        if pending.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}; not yet:\n{}",
            pending.join("\n")
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

pub fn http_get(api: &str, path: &str) -> String {
    let mut s = TcpStream::connect(api).expect("connect to the API");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {api}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

pub fn state_of<'a>(m: &'a [(String, String)], name: &str) -> Option<&'a str> {
    m.iter().find(|(n, _)| n == name).map(|(_, s)| s.as_str())
}

/// One HTTP/1.1 request; returns the status code and the body.
pub fn http(api: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    http_with(api, method, path, body, "")
}

/// Like [`http`], with extra header lines (each ending in `\r\n`).
pub fn http_with(api: &str, method: &str, path: &str, body: &str, headers: &str) -> (u16, String) {
    let mut s = TcpStream::connect(api).expect("connect to the API");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {api}\r\nConnection: close\r\n{headers}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}
