//! Network faults as nftables rules in a node's own namespace: table
//! `inet lbc_fault`, rebuilt whole every time the node's faults change.

use std::io::Write as _;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use crate::ChaosError;

/// The network faults in force at one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetFaults {
    /// Percent of packets arriving on eth0 dropped at random.
    pub loss_pct: u8,
    /// Packets from these addresses are dropped (a partition).
    pub blocked_from: Vec<Ipv4Addr>,
    /// Every packet arriving on eth0 is dropped (a one-way partition).
    pub inbound_dropped: bool,
}

impl NetFaults {
    /// The nft script that replaces the table with these rules.
    pub fn script(&self) -> String {
        let mut rules = Vec::new();
        if self.inbound_dropped {
            rules.push("iifname \"eth0\" drop".to_owned());
        }
        if !self.blocked_from.is_empty() {
            let set: Vec<String> = self.blocked_from.iter().map(|a| a.to_string()).collect();
            rules.push(format!("ip saddr {{ {} }} drop", set.join(", ")));
        }
        if self.loss_pct > 0 {
            rules.push(format!(
                "iifname \"eth0\" numgen random mod 100 < {} drop",
                self.loss_pct
            ));
        }
        let mut s = String::from("table inet lbc_fault\ndelete table inet lbc_fault\n");
        s.push_str("table inet lbc_fault {\n  chain input {\n");
        s.push_str("    type filter hook input priority -10; policy accept;\n");
        for r in rules {
            s.push_str(&format!("    {r}\n"));
        }
        s.push_str("  }\n}\n");
        s
    }
}

/// Replaces the fault table in namespace `ns`.
pub fn apply(ns: &str, faults: &NetFaults) -> Result<(), ChaosError> {
    let script = faults.script();
    let err = |reason: String| ChaosError::Command {
        cmd: format!("ip netns exec {ns} nft -f - <<< {script:?}"),
        reason,
    };
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| err(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| err(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(err(String::from_utf8_lossy(&out.stderr).trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_faults_leave_an_empty_accepting_chain() {
        let s = NetFaults::default().script();
        assert!(s.contains("policy accept;\n  }"), "{s}");
        assert!(!s.contains("drop"), "{s}");
    }

    #[test]
    fn loss_drops_a_random_share_of_inbound_packets() {
        let s = NetFaults {
            loss_pct: 10,
            ..NetFaults::default()
        }
        .script();
        assert!(
            s.contains("iifname \"eth0\" numgen random mod 100 < 10 drop"),
            "{s}"
        );
    }

    #[test]
    fn a_partition_drops_packets_from_the_other_side() {
        let s = NetFaults {
            blocked_from: vec![Ipv4Addr::new(10, 201, 0, 11), Ipv4Addr::new(10, 201, 0, 12)],
            ..NetFaults::default()
        }
        .script();
        assert!(
            s.contains("ip saddr { 10.201.0.11, 10.201.0.12 } drop"),
            "{s}"
        );
    }
}
