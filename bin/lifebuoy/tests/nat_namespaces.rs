//! Members behind NAT join, converge and are failure-detected through relays,
//! on a small internet built from network namespaces (docs/testnet.md, "How
//! NAT traversal was tested"):
//!
//! ```text
//!   public segment 10.202.0.0/16 (a bridge in namespace <p>-sw)
//!     r1 10.202.0.11  r2 10.202.0.12      `lifebuoy run --relay`
//!     ra 10.202.0.21 ── NAT (nft masquerade) ── LAN A 10.203.0.0/24: a1 a2 a3
//!     rb 10.202.0.22 ── NAT (nft masquerade) ── LAN B 10.204.0.0/24: b1 b2 b3
//! ```
//!
//! Real `lifebuoy run` processes (local profile). Namespaces are named
//! `lbn<pid>-*`, nft tables `lbn_nat`; everything is removed and every
//! process this test started is killed on the way out, panics included.
//! Needs root, `ip` and `nft`; without them it prints why and passes.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{spawn_collecting_stdout, TempDir, BIN};
use serde_json::Value;

const PORT: u16 = 7946;
const API: &str = "127.0.0.1:7373";
const CONVERGE_TIMEOUT: Duration = Duration::from_secs(150);
const DETECT_TIMEOUT: Duration = Duration::from_secs(90);
const PUNCH_TIMEOUT: Duration = Duration::from_secs(60);

fn monotonic_ms() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1000
        + u64::try_from(ts.tv_nsec).unwrap_or(0) / 1_000_000
}

fn skip_reason() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or("");
    if euid != "0" {
        return Some("not running as root (network namespaces need it)".into());
    }
    for (tool, flag) in [("ip", "-V"), ("nft", "-v")] {
        let ok = Command::new(tool)
            .arg(flag)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Some(format!("`{tool}` is not installed"));
        }
    }
    None
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    run(Command::new("ip").args(args)).map(|_| ())
}

/// The namespaces and nft tables of one run; removed on drop.
struct Internet {
    prefix: String,
    namespaces: Vec<String>,
    routers: Vec<String>,
}

impl Drop for Internet {
    fn drop(&mut self) {
        for r in &self.routers {
            let _ = run(Command::new("ip").args([
                "netns", "exec", r, "nft", "delete", "table", "ip", "lbn_nat",
            ]));
        }
        for ns in self.namespaces.iter().rev() {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

impl Internet {
    fn ns(&self, host: &str) -> String {
        format!("{}-{host}", self.prefix)
    }

    /// Packets counted by the named nft counter in `router`'s table.
    fn counter(&self, router: &str, name: &str) -> u64 {
        let out = run(Command::new("ip").args([
            "netns",
            "exec",
            &self.ns(router),
            "nft",
            "list",
            "counter",
            "ip",
            "lbn_nat",
            name,
        ]))
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
        out.split("packets ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    fn add_ns(&mut self, host: &str) -> Result<String, String> {
        let ns = self.ns(host);
        let _ = ip(&["netns", "del", &ns]); // a leftover of a crashed run with our pid
        ip(&["netns", "add", &ns])?;
        self.namespaces.push(ns.clone());
        ip(&["-n", &ns, "link", "set", "dev", "lo", "up"])?;
        Ok(ns)
    }

    /// A veth pair: `inner` (named eth0) in `host`, its peer `port` attached
    /// to `bridge` in `switch`; `addr` (CIDR) on eth0.
    fn wire(
        &self,
        host: &str,
        switch: &str,
        bridge: &str,
        port: &str,
        addr: &str,
    ) -> Result<(), String> {
        ip(&[
            "link", "add", "eth0", "netns", host, "type", "veth", "peer", "name", port, "netns",
            switch,
        ])?;
        ip(&[
            "-n", switch, "link", "set", "dev", port, "master", bridge, "up",
        ])?;
        ip(&["-n", host, "addr", "add", addr, "dev", "eth0"])?;
        ip(&["-n", host, "link", "set", "dev", "eth0", "up"])
    }

    fn bridge(ns: &str, name: &str, addr: Option<&str>) -> Result<(), String> {
        ip(&["-n", ns, "link", "add", name, "type", "bridge"])?;
        if let Some(a) = addr {
            ip(&["-n", ns, "addr", "add", a, "dev", name])?;
        }
        ip(&["-n", ns, "link", "set", "dev", name, "up"])
    }

    fn build() -> Result<Internet, String> {
        let mut net = Internet {
            prefix: format!("lbn{}", std::process::id()),
            namespaces: Vec::new(),
            routers: Vec::new(),
        };
        let sw = net.add_ns("sw")?;
        Self::bridge(&sw, "br0", None)?;
        for (host, addr) in [("r1", "10.202.0.11/16"), ("r2", "10.202.0.12/16")] {
            let ns = net.add_ns(host)?;
            net.wire(&ns, &sw, "br0", &format!("v{host}"), addr)?;
        }
        for (router, wan, lan_net) in [
            ("ra", "10.202.0.21/16", "10.203.0"),
            ("rb", "10.202.0.22/16", "10.204.0"),
        ] {
            let rns = net.add_ns(router)?;
            // The router's uplink is named eth0 like every host's; rename it "wan".
            net.wire(&rns, &sw, "br0", &format!("v{router}"), wan)?;
            ip(&["-n", &rns, "link", "set", "dev", "eth0", "down"])?;
            ip(&["-n", &rns, "link", "set", "dev", "eth0", "name", "wan"])?;
            ip(&["-n", &rns, "link", "set", "dev", "wan", "up"])?;
            Self::bridge(&rns, "lan", Some(&format!("{lan_net}.1/24")))?;
            run(Command::new("ip").args([
                "netns",
                "exec",
                &rns,
                "sysctl",
                "-qw",
                "net.ipv4.ip_forward=1",
            ]))?;
            // Masquerade out of the uplink; from outside, only replies get in,
            // to the LAN and to the router itself. Dropping unsolicited
            // input matters for hole punching: accepted, a punch packet that
            // arrives before this side's own has left leaves a conntrack
            // entry that makes the masquerade pick another port for the
            // outgoing punch, so neither side's packets match.
            // `from_nat` counts packets let into the LAN from the other NAT
            // router: direct (hole-punched) traffic, never relayed.
            let rules = "table ip lbn_nat {\n\
                 counter from_nat {}\n\
                 chain postrouting { type nat hook postrouting priority srcnat; oifname \"wan\" masquerade; }\n\
                 chain forward_filter { type filter hook forward priority filter; policy accept;\n\
                   iifname \"wan\" ip saddr { 10.202.0.21, 10.202.0.22 } ct state established counter name from_nat;\n\
                   iifname \"wan\" ct state established,related accept; iifname \"wan\" drop; }\n\
                 chain input_filter { type filter hook input priority filter; policy accept;\n\
                   iifname \"wan\" ct state established,related accept; iifname \"wan\" drop; }\n\
                 }\n";
            let path = std::env::temp_dir().join(format!("{}-{router}.nft", net.prefix));
            std::fs::write(&path, rules).map_err(|e| e.to_string())?;
            let loaded = run(Command::new("ip")
                .args(["netns", "exec", &rns, "nft", "-f"])
                .arg(&path));
            let _ = std::fs::remove_file(&path);
            loaded?;
            net.routers.push(rns.clone());
            let lan = if router == "ra" { "a" } else { "b" };
            for i in 1..=3 {
                let host = format!("{lan}{i}");
                let ns = net.add_ns(&host)?;
                net.wire(
                    &ns,
                    &rns,
                    "lan",
                    &format!("v{host}"),
                    &format!("{lan_net}.1{i}/24"),
                )?;
                ip(&[
                    "-n",
                    &ns,
                    "route",
                    "add",
                    "default",
                    "via",
                    &format!("{lan_net}.1"),
                ])?;
            }
        }
        Ok(net)
    }
}

/// One `lifebuoy run` in a namespace.
struct Proc {
    name: String,
    ns: String,
    child: Option<Child>,
    lines: Arc<Mutex<Vec<String>>>,
    log: PathBuf,
}

/// Kills the processes it holds on drop (they must go before their namespaces).
struct Procs(Vec<Proc>);

impl Drop for Procs {
    fn drop(&mut self) {
        for p in &mut self.0 {
            if let Some(mut c) = p.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        if std::thread::panicking() {
            for p in &self.0 {
                let log = std::fs::read_to_string(&p.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(25).collect();
                eprintln!("--- {} ({}) ---", p.name, p.log.display());
                for l in tail.into_iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
    }
}

fn quic(addr: &str) -> String {
    quic_port(addr, PORT)
}

fn quic_port(addr: &str, port: u16) -> String {
    format!("/ip4/{addr}/udp/{port}/quic-v1")
}

impl Procs {
    fn spawn(&mut self, dir: &TempDir, net: &Internet, name: &str, listen: &str, extra: &[String]) {
        let ns = net.ns(name);
        let log = dir.0.join(format!("{name}.log"));
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &ns, BIN, "run", "--name", name])
            .args([
                "--listen",
                listen,
                "--api",
                API,
                "--profile",
                "local",
                "--events-json",
            ])
            .arg("--data-dir")
            .arg(dir.0.join(name))
            .args(extra)
            .env_remove("LIFEBUOY_CONFIG")
            .env(
                "RUST_LOG",
                std::env::var("LIFEBUOY_NAT_TEST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        let (child, lines) = spawn_collecting_stdout(&mut cmd);
        self.0.push(Proc {
            name: name.to_owned(),
            ns,
            child: Some(child),
            lines,
            log,
        });
    }

    fn get(&self, name: &str) -> &Proc {
        self.0.iter().find(|p| p.name == name).expect("known node")
    }
}

impl Proc {
    /// Every other member's last state and the `t_ms` it was reported at.
    fn view(&self) -> HashMap<String, (String, u64)> {
        let mut v = HashMap::new();
        for line in self.lines.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let Ok(j) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let node = j["node"].as_str().unwrap_or("").to_owned();
            if node == self.name {
                continue;
            }
            let state = j["state"].as_str().unwrap_or("").to_owned();
            v.insert(node, (state, j["t_ms"].as_u64().unwrap_or(0)));
        }
        v
    }

    /// This node's PeerId, from its start-up log line.
    fn peer_id(&self) -> Option<String> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .find(|l| l.contains("lifebuoy node started"))
            .and_then(|l| l.split("peer_id=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
    }

    /// Whether this node logged a successful hole punch with `peer`.
    fn punched_with(&self, peer: &str) -> bool {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let needle = format!("peer={peer}");
        log.lines()
            .any(|l| l.contains("hole punch succeeded") && l.contains(&needle))
    }

    fn alive(&self) -> bool {
        self.child.is_some()
    }

    /// `lifebuoy <args> --api 127.0.0.1:7373` inside this node's namespace.
    fn cli(&self, args: &[&str]) -> Value {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns, BIN])
            .args(args)
            .args(["--api", API])
            .stdin(Stdio::null())
            .output()
            .expect("run lifebuoy");
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }
}

#[test]
fn members_behind_two_nats_converge_through_relays_and_detect_a_killed_natted_member() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipped: {reason}");
        return;
    }
    let started = Instant::now();
    let net = Internet::build().expect("build the namespace internet");
    let dir = TempDir::new("nat");
    let mut procs = Procs(Vec::new());

    let r1 = quic("10.202.0.11");
    let r2 = quic("10.202.0.12");
    procs.spawn(&dir, &net, "r1", &r1, &["--relay".into()]);
    procs.spawn(
        &dir,
        &net,
        "r2",
        &r2,
        &["--relay".into(), "--bootstrap".into(), r1.clone()],
    );
    // Each LAN node listens on its own port, as hosts behind one home
    // router usually do: the masquerade then keeps every node's port, so the
    // address the relays observe is the one a hole punch must aim at.
    for (lan, net_prefix, base) in [("a", "10.203.0", 7100), ("b", "10.204.0", 7200)] {
        for i in 1..=3 {
            let boot = ["--bootstrap".to_owned(), format!("{r1},{r2}")];
            procs.spawn(
                &dir,
                &net,
                &format!("{lan}{i}"),
                &quic_port(&format!("{net_prefix}.1{i}"), base + i),
                &boot,
            );
        }
    }
    let names: Vec<String> = procs.0.iter().map(|p| p.name.clone()).collect();
    let t0 = Instant::now();

    // 1. All 8 converge: everyone sees the 7 others alive.
    let converged = |procs: &Procs| {
        procs.0.iter().all(|p| {
            let v = p.view();
            names
                .iter()
                .filter(|n| **n != p.name)
                .all(|n| v.get(n).is_some_and(|(s, _)| s == "alive"))
        })
    };
    // ... and every NATed node holds a relay reservation (so the "alive"
    // above is not just the relays' word from the join).
    let relayed_everywhere = |procs: &Procs| {
        procs
            .0
            .iter()
            .filter(|p| !p.name.starts_with('r'))
            .all(|p| {
                let s = p.cli(&["status", "--json"]);
                s["nat"]["relays"].as_array().is_some_and(|r| !r.is_empty())
            })
    };
    while !(converged(&procs) && relayed_everywhere(&procs) && converged(&procs)) {
        if t0.elapsed() > CONVERGE_TIMEOUT {
            let views: Vec<String> = procs
                .0
                .iter()
                .map(|p| {
                    format!(
                        "{}: {:?} {}",
                        p.name,
                        p.view(),
                        p.cli(&["status", "--json"])["nat"]
                    )
                })
                .collect();
            panic!(
                "no convergence within {CONVERGE_TIMEOUT:?}:\n{}",
                views.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let convergence = t0.elapsed();

    // 2. Across the two NATs: a1 and b1 see each other alive, and b1 knows
    //    a1 by a relayed address.
    let a1 = procs.get("a1");
    let b1 = procs.get("b1");
    assert_eq!(a1.view().get("b1").map(|(s, _)| s.as_str()), Some("alive"));
    assert_eq!(b1.view().get("a1").map(|(s, _)| s.as_str()), Some("alive"));
    // a1 announces its relayed address in a new Alive claim once its
    // reservation is made, which reaches b1 by gossip a little later.
    let a1_addrs_at_b1 = || -> Vec<String> {
        b1.cli(&["members", "--json"])
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["name"] == "a1"))
            .and_then(|m| m["addrs"].as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let t_addr = Instant::now();
    let mut a1_addrs = a1_addrs_at_b1();
    while !a1_addrs.iter().any(|a| a.contains("/p2p-circuit")) {
        assert!(
            t_addr.elapsed() < Duration::from_secs(30),
            "b1 should know a1 by a relayed address, got {a1_addrs:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
        a1_addrs = a1_addrs_at_b1();
    }

    // 3. DCUtR upgrades a1 <-> b1 to a direct connection: one of them logs a
    //    successful hole punch with the other, and packets from the other
    //    NAT router (not a relay) reach LAN A.
    let (a1_id, b1_id) = (
        a1.peer_id().expect("a1 logged its PeerId"),
        b1.peer_id().expect("b1 logged its PeerId"),
    );
    let t_punch = Instant::now();
    while !(a1.punched_with(&b1_id) || b1.punched_with(&a1_id)) {
        assert!(
            t_punch.elapsed() < PUNCH_TIMEOUT,
            "a1 and b1 did not hole-punch a direct connection within {PUNCH_TIMEOUT:?} \
             (a1: {}, b1: {})",
            a1.cli(&["status", "--json"])["nat"],
            b1.cli(&["status", "--json"])["nat"]
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let punch_wait = t_punch.elapsed();
    let direct_packets = net.counter("ra", "from_nat");
    assert!(
        direct_packets > 0,
        "a hole punch was logged but no packet came into LAN A from LAN B's router"
    );

    // What each NATed node found out, and how its connections run.
    let mut report = Vec::new();
    let (mut punched, mut punch_failed, mut relayed) = (0, 0, 0);
    for p in procs.0.iter().filter(|p| !p.name.starts_with('r')) {
        let s = p.cli(&["status", "--json"]);
        let nat = &s["nat"];
        assert_eq!(
            nat["reachability"], "private",
            "{}: AutoNAT verdict {nat}",
            p.name
        );
        punched += nat["hole_punches"].as_u64().unwrap_or(0);
        punch_failed += nat["hole_punch_failures"].as_u64().unwrap_or(0);
        relayed += nat["relayed_connections"].as_u64().unwrap_or(0);
        report.push(format!(
            "{}: {} via {} relays, {} relayed connections, {} hole punches ok, {} failed",
            p.name,
            nat["reachability"].as_str().unwrap_or("?"),
            nat["relays"].as_array().map_or(0, Vec::len),
            nat["relayed_connections"],
            nat["hole_punches"],
            nat["hole_punch_failures"]
        ));
    }

    // 4. Kill a NATed node: every other member detects it.
    let victim = "a2";
    let kill_ms = monotonic_ms();
    let t_kill = Instant::now();
    if let Some(p) = procs.0.iter_mut().find(|p| p.name == victim) {
        if let Some(mut c) = p.child.take() {
            c.kill().expect("kill a2");
            let _ = c.wait();
        }
    }
    let detected = |procs: &Procs| -> Vec<(String, Option<u64>)> {
        procs
            .0
            .iter()
            .filter(|p| p.alive())
            .map(|p| {
                let t = p
                    .view()
                    .get(victim)
                    .filter(|(s, _)| s == "dead")
                    .map(|(_, t)| t.saturating_sub(kill_ms));
                (p.name.clone(), t)
            })
            .collect()
    };
    loop {
        let d = detected(&procs);
        if d.iter().all(|(_, t)| t.is_some()) {
            break;
        }
        assert!(
            t_kill.elapsed() < DETECT_TIMEOUT,
            "{victim} not detected as failed by all within {DETECT_TIMEOUT:?}: {d:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut times: Vec<u64> = detected(&procs).iter().filter_map(|(_, t)| *t).collect();
    times.sort_unstable();

    let mode = if punched > 0 && relayed > punched {
        "direct (hole punched) for some pairs, relayed for the rest"
    } else if punched > 0 {
        "direct (hole punched)"
    } else {
        "relayed only (no hole punch succeeded)"
    };
    eprintln!("nat-testnet: 2 relays + 2 NATed LANs x 3 nodes");
    for r in &report {
        eprintln!("nat-testnet:   {r}");
    }
    eprintln!(
        "nat-testnet: converged (8/8 alive everywhere) in {:.1} s",
        convergence.as_secs_f64()
    );
    eprintln!(
        "nat-testnet: {victim} (NATed) killed; detected by all 7 in min {} ms, median {} ms, max {} ms",
        times.first().copied().unwrap_or(0),
        times.get(times.len() / 2).copied().unwrap_or(0),
        times.last().copied().unwrap_or(0)
    );
    eprintln!("nat-testnet: connections across NATs: {mode}: {relayed} relayed, {punched} hole punches ok, {punch_failed} failed");
    eprintln!(
        "nat-testnet: a1 <-> b1 hole-punched {:.1} s after convergence; {direct_packets} packets from LAN B's router let into LAN A by then",
        punch_wait.as_secs_f64()
    );
    eprintln!(
        "nat-testnet: test took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(procs);
    drop(net);
    if std::env::var_os("LIFEBUOY_NAT_TEST_LOG").is_some() {
        eprintln!("nat-testnet: logs kept in {}", dir.0.display());
        std::mem::forget(dir);
    }
}
