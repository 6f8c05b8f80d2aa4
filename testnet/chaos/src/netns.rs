//! The lab network: one network namespace per node, each with a veth into a
//! bridge (`lbc-br0`) that lives in a hub namespace of its own, so nothing
//! of the host's network (nor Docker's firewall rules) is touched.
//!
//! Names: `lbc<run>-hub` and `lbc<run>-<i>`, where `<run>` is the harness's
//! PID in hex; addresses 10.201.0.(10+i)/16. Deleting a namespace removes its
//! veth, its addresses and its nft tables, so dropping the [`Lab`] (also
//! while unwinding from a panic) leaves nothing behind.

use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use crate::ChaosError;

/// Most nodes a lab holds (one /24 of host numbers is plenty).
pub const MAX_NODES: usize = 200;
/// Namespaces of this harness start with this.
pub const PREFIX: &str = "lbc";

/// Runs `ip`/`nft`/... and turns a failure into an error naming the command.
pub fn sh(program: &str, args: &[&str]) -> Result<(), ChaosError> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ChaosError::Command {
            cmd: format!("{program} {}", args.join(" ")),
            reason: e.to_string(),
        })?;
    if out.status.success() {
        return Ok(());
    }
    Err(ChaosError::Command {
        cmd: format!("{program} {}", args.join(" ")),
        reason: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    })
}

/// Why this machine cannot run the harness, if it cannot: not root, or
/// `ip`/`nft` missing.
pub fn unsupported_reason() -> Option<String> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .unwrap_or_default();
    if uid != "0" {
        return Some("not running as root (network namespaces need it)".to_owned());
    }
    for tool in ["ip", "nft"] {
        let found = Command::new(tool)
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Some(format!(
                "`{tool}` is not installed (Debian: iproute2, nftables)"
            ));
        }
    }
    None
}

/// The namespaces and bridge of one run.
#[derive(Debug)]
pub struct Lab {
    run: String,
    created: Vec<String>,
}

impl Lab {
    /// Creates the hub with its bridge and `nodes` node namespaces.
    pub fn create(nodes: usize) -> Result<Lab, ChaosError> {
        if nodes > MAX_NODES {
            return Err(ChaosError::Usage(format!(
                "at most {MAX_NODES} nodes, not {nodes}"
            )));
        }
        remove_stale();
        let mut lab = Lab {
            run: format!("{:x}", std::process::id()),
            created: Vec::new(),
        };
        let hub = lab.hub();
        lab.add_ns(&hub)?;
        sh(
            "ip",
            &["-n", &hub, "link", "add", "lbc-br0", "type", "bridge"],
        )?;
        sh("ip", &["-n", &hub, "link", "set", "lbc-br0", "up"])?;
        for i in 0..nodes {
            lab.add_node(i)?;
        }
        Ok(lab)
    }

    fn hub(&self) -> String {
        format!("{PREFIX}{}-hub", self.run)
    }

    /// The namespace of node `i`.
    pub fn ns(&self, i: usize) -> String {
        format!("{PREFIX}{}-{i}", self.run)
    }

    /// The address of node `i`.
    pub fn addr(i: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, 201, 0, 10 + i as u8)
    }

    fn add_ns(&mut self, name: &str) -> Result<(), ChaosError> {
        sh("ip", &["netns", "add", name])?;
        self.created.push(name.to_owned());
        sh("ip", &["-n", name, "link", "set", "lo", "up"])
    }

    fn add_node(&mut self, i: usize) -> Result<(), ChaosError> {
        let ns = self.ns(i);
        let hub = self.hub();
        self.add_ns(&ns)?;
        let veth = format!("v{i}");
        sh(
            "ip",
            &[
                "-n", &hub, "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns",
                &ns,
            ],
        )?;
        sh(
            "ip",
            &["-n", &hub, "link", "set", &veth, "master", "lbc-br0", "up"],
        )?;
        let cidr = format!("{}/16", Lab::addr(i));
        sh("ip", &["-n", &ns, "addr", "add", &cidr, "dev", "eth0"])?;
        sh("ip", &["-n", &ns, "link", "set", "eth0", "up"])
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in self.created.drain(..).rev() {
            if let Err(e) = sh("ip", &["netns", "del", &ns]) {
                eprintln!("chaos: cleaning up: {e}");
            }
        }
    }
}

/// Deletes namespaces left by a harness run that no longer exists (killed
/// with SIGKILL, say), after killing the processes still inside them: only
/// that run can have started them.
fn remove_stale() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    let list = String::from_utf8_lossy(&out.stdout);
    for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if let Ok(pids) = Command::new("ip").args(["netns", "pids", name]).output() {
            for p in String::from_utf8_lossy(&pids.stdout).split_whitespace() {
                let _ = sh("kill", &["-KILL", p]);
            }
        }
        eprintln!("chaos: removing namespace {name} left by an earlier run (pid {pid})");
        let _ = sh("ip", &["netns", "del", name]);
    }
}
