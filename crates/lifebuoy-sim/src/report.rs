//! The report of one run: the headline figures, the checks, and how to print them.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::checks::{run_checks, Check, Measured};
use crate::clock::{to_secs_f64, Nanos, SEC};
use crate::engine::Sim;
use crate::scenario::Start;

/// Everything a run measured. Apart from `wall_s` and the measured times in
/// `signatures`, a pure function of the [`crate::SimConfig`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: &'static str,
    /// Cluster size.
    pub nodes: u32,
    /// The seed.
    pub seed: u64,
    /// Profile name.
    pub profile: &'static str,
    /// Loss probability in force.
    pub loss: f64,
    /// Virtual seconds simulated.
    pub virtual_s: f64,
    /// Wall-clock seconds the run took (the only non-deterministic field).
    pub wall_s: f64,
    /// Fastest crash detection by a survivor.
    pub detect_first_s: Option<f64>,
    /// Median crash detection.
    pub detect_p50_s: Option<f64>,
    /// 99th percentile crash detection.
    pub detect_p99_s: Option<f64>,
    /// Slowest crash detection.
    pub detect_max_s: Option<f64>,
    /// (survivor, crashed member) pairs not marked failed by the end.
    pub missed: Option<u64>,
    /// (observer, member) pairs declared failed without a fault to explain it.
    pub false_positives: u64,
    /// Messages sent per live node per virtual second, in the steady window.
    pub msgs_per_node_s: Option<f64>,
    /// Bytes sent per live node per virtual second, in the steady window.
    pub bytes_per_node_s: Option<f64>,
    /// From the join start or the heal until every live view is complete and correct.
    pub converge_s: Option<f64>,
    /// The window (virtual seconds) the traffic rates are measured over.
    pub steady_window_s: [f64; 2],
    /// Bounds the checks used.
    pub bounds: BTreeMap<&'static str, f64>,
    /// Counters.
    pub counters: BTreeMap<&'static str, u64>,
    /// Checker results by name.
    pub checks: BTreeMap<&'static str, Check>,
    /// Whether every check passed.
    pub passed: bool,
    /// Signed claims: what was signed and verified, and what it cost
    /// (`None` where the run could not observe it, e.g. real processes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatures: Option<Signatures>,
}

/// The cost of signed claims in a run. The counts are deterministic; the
/// per-operation times are measured on the machine running the simulator
/// (median of 200), so they and `cpu_us_per_member_s` vary like `wall_s`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signatures {
    /// Whether the run signed claims.
    pub enabled: bool,
    /// Claims signed, all nodes together.
    pub signed: u64,
    /// Signatures verified, all nodes together.
    pub verified: u64,
    /// Claims dropped for a missing or bad signature.
    pub bad: u64,
    /// Accusations at an incarnation never announced, and the like.
    pub implausible: u64,
    /// Accusations dropped by the per-accuser rate limit.
    pub rate_limited: u64,
    /// Accusations ignored because their accuser was down-weighted.
    pub ignored: u64,
    /// Times a node down-weighted an accuser.
    pub down_weightings: u64,
    /// Ack proofs signed (by probed members, for intermediaries).
    pub ack_proofs_signed: u64,
    /// Ack proofs verified (relayed acks).
    pub ack_proofs_verified: u64,
    /// Acks refused: not from the probed member and without its valid proof.
    pub forged_acks: u64,
    /// Microseconds per ed25519 signature on this machine.
    pub sign_us: f64,
    /// Microseconds per ed25519 verification on this machine.
    pub verify_us: f64,
    /// CPU microseconds spent on signatures per member per virtual second.
    pub cpu_us_per_member_s: f64,
}

fn signatures(sim: &Sim, virtual_s: f64) -> Signatures {
    let mut s = Signatures {
        enabled: sim.keys.is_some(),
        signed: 0,
        verified: 0,
        bad: 0,
        implausible: 0,
        rate_limited: 0,
        ignored: 0,
        down_weightings: 0,
        ack_proofs_signed: 0,
        ack_proofs_verified: 0,
        forged_acks: 0,
        sign_us: 0.0,
        verify_us: 0.0,
        cpu_us_per_member_s: 0.0,
    };
    for st in sim.all_stats() {
        s.signed += st.claims_signed;
        s.verified += st.claims_verified;
        s.bad += st.bad_signatures;
        s.implausible += st.implausible_claims;
        s.rate_limited += st.accusations_rate_limited;
        s.ignored += st.accusations_ignored;
        s.down_weightings += st.accusers_down_weighted;
        s.ack_proofs_signed += st.ack_proofs_signed;
        s.ack_proofs_verified += st.ack_proofs_verified;
        s.forged_acks += st.forged_acks;
    }
    if let Some(k) = &sim.keys {
        let (sign, verify) = k.cost_us(200);
        s.sign_us = round6(sign);
        s.verify_us = round6(verify);
        let signs = s.signed + s.ack_proofs_signed;
        let verifies = s.verified + s.ack_proofs_verified;
        let total = signs as f64 * sign + verifies as f64 * verify;
        s.cpu_us_per_member_s = round6(total / f64::from(sim.cfg.nodes) / virtual_s.max(1e-9));
    }
    s
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn secs(n: Nanos) -> f64 {
    round6(to_secs_f64(n))
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Nanos], p: f64) -> Option<Nanos> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

pub(crate) fn build(sim: &Sim, wall_s: f64) -> Report {
    let end = sim.end();
    let mut d = sim.obs.detections.clone();
    d.sort_unstable();
    let (crashes_due, missed) = sim.obs.missed(end, sim.cfg.detect_bound());
    let converge = match (sim.obs.converge_from(), sim.obs.converged_at) {
        (Some(from), Some(at)) => Some(at - from),
        _ => None,
    };
    let from = if sim.start_mode() == Start::Join {
        converge
            .map_or(end / 2, |c| (c / SEC + 1) * SEC)
            .min(end / 2 / SEC * SEC)
    } else {
        0
    };
    let to = end.div_ceil(SEC) * SEC;
    let rate = sim.traffic.rate(from, to);
    let m = Measured {
        detect_p99: percentile(&d, 99.0),
        crashes_due,
        missed,
        converge,
    };
    let checks: BTreeMap<&'static str, Check> = run_checks(sim, &m)
        .into_iter()
        .map(|c| (c.name, c))
        .collect();
    let passed = checks.values().all(|c| c.pass);
    let f = &sim.faults;
    let o = &sim.obs;
    let counters = BTreeMap::from([
        ("crashes", f.crashes),
        ("restarts", f.restarts),
        ("pauses", f.pauses),
        ("detections", d.len() as u64),
        ("failed_events", o.failed_events),
        ("suspected_events", o.suspected_events),
        ("refuted_events", o.refuted_events),
        ("messages_dropped", sim.traffic.dropped),
        ("sim_events", sim.events_processed),
        ("sync_messages", sim.traffic.sync_msgs),
        ("sync_bytes", sim.traffic.sync_bytes),
    ]);
    let mut counters = counters;
    if sim.liars.count() > 0 {
        counters.insert("liars", sim.liars.count() as u64);
        counters.insert("liar_attacks", sim.liars.attacks);
        counters.insert("liar_forged_claims", sim.liars.forged_claims);
        counters.insert("liar_forged_acks", sim.liars.forged_acks);
    }
    let c = &sim.core_cfg;
    let n = sim.cfg.nodes as usize;
    let mut bounds = BTreeMap::from([
        ("detect_s", secs(sim.cfg.detect_bound())),
        ("suspicion_max_s", round6(c.suspicion_max(n).as_secs_f64())),
        ("push_pull_s", round6(c.push_pull_scaled(n).as_secs_f64())),
        ("retransmit_limit", f64::from(c.retransmit_limit(n))),
    ]);
    if let Some(b) = sim.cfg.converge_bound() {
        bounds.insert("converge_s", secs(b));
    }
    Report {
        scenario: sim.cfg.scenario.name(),
        nodes: sim.cfg.nodes,
        seed: sim.cfg.seed,
        profile: sim.cfg.profile.name(),
        loss: sim.net_loss(),
        virtual_s: secs(end),
        wall_s: (wall_s * 1000.0).round() / 1000.0,
        detect_first_s: d.first().map(|&x| secs(x)),
        detect_p50_s: percentile(&d, 50.0).map(secs),
        detect_p99_s: m.detect_p99.map(secs),
        detect_max_s: d.last().map(|&x| secs(x)),
        missed: (f.crashes > 0).then_some(missed),
        false_positives: o.false_positives(),
        msgs_per_node_s: rate.map(|r| round6(r.0)),
        bytes_per_node_s: rate.map(|r| round6(r.1)),
        converge_s: converge.map(secs),
        steady_window_s: [secs(from), secs(to.min(end))],
        bounds,
        counters,
        checks,
        passed,
        signatures: Some(signatures(sim, to_secs_f64(end))),
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "scenario {} | {} nodes | profile {} | seed {} | loss {:.1}%",
            self.scenario,
            self.nodes,
            self.profile,
            self.seed,
            self.loss * 100.0
        )?;
        writeln!(
            f,
            "simulated {:.1} s in {:.2} s wall time",
            self.virtual_s, self.wall_s
        )?;
        writeln!(
            f,
            "detection (s): first {}  p50 {}  p99 {}  max {}   missed {}",
            opt(self.detect_first_s),
            opt(self.detect_p50_s),
            opt(self.detect_p99_s),
            opt(self.detect_max_s),
            self.missed
                .map_or_else(|| "-".to_owned(), |m| m.to_string())
        )?;
        writeln!(f, "false positives: {}", self.false_positives)?;
        writeln!(f, "convergence: {} s", opt(self.converge_s))?;
        writeln!(
            f,
            "traffic per live node: {} msgs/s, {} bytes/s (window {:.0}-{:.0} s)",
            opt(self.msgs_per_node_s),
            opt(self.bytes_per_node_s),
            self.steady_window_s[0],
            self.steady_window_s[1]
        )?;
        let counters: Vec<String> = self
            .counters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(f, "counters: {}", counters.join(" "))?;
        if let Some(s) = self.signatures.as_ref().filter(|s| s.enabled) {
            writeln!(
                f,
                "signatures: {} signed, {} verified, {} bad; {:.1} us/sign, {:.1} us/verify: {:.1} CPU us per member per s",
                s.signed, s.verified, s.bad, s.sign_us, s.verify_us, s.cpu_us_per_member_s
            )?;
            writeln!(
                f,
                "accusations: {} implausible, {} rate-limited, {} ignored, {} down-weightings",
                s.implausible, s.rate_limited, s.ignored, s.down_weightings
            )?;
            writeln!(
                f,
                "acks: {} proofs signed, {} verified, {} forged acks refused",
                s.ack_proofs_signed, s.ack_proofs_verified, s.forged_acks
            )?;
        } else if self.signatures.is_some() {
            writeln!(f, "signatures: off")?;
        }
        writeln!(f, "checks:")?;
        for c in self.checks.values() {
            writeln!(
                f,
                "  [{}] {}: {}",
                if c.pass { "PASS" } else { "FAIL" },
                c.name,
                c.reason
            )?;
        }
        write!(f, "result: {}", if self.passed { "PASS" } else { "FAIL" })
    }
}
