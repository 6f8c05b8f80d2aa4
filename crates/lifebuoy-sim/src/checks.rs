//! Checkers run after every run. Each names a protocol property, says
//! whether it held, and why not.

use serde::Serialize;

use crate::clock::{to_secs_f64, Nanos};
use crate::engine::Sim;
use crate::scenario::Scenario;

/// One checked property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The property's name, e.g. `no_unexplained_failures` (the key in the report).
    #[serde(skip)]
    pub name: &'static str,
    /// Whether it held.
    pub pass: bool,
    /// What was measured, or what went wrong.
    pub reason: String,
}

fn check(name: &'static str, pass: bool, reason: String) -> Check {
    Check { name, pass, reason }
}

/// What the checks need from the metrics.
#[derive(Debug)]
pub(crate) struct Measured {
    pub(crate) detect_p99: Option<Nanos>,
    pub(crate) crashes_due: u64,
    pub(crate) missed: u64,
    pub(crate) converge: Option<Nanos>,
}

pub(crate) fn run_checks(sim: &Sim, m: &Measured) -> Vec<Check> {
    let scenario = sim.cfg.scenario;
    let mut out = Vec::new();

    // SWIM 4.2 + Lifeguard: no live, reachable node is declared failed.
    let fp = sim.obs.false_positives();
    let reason = if fp == 0 {
        format!(
            "{} failure declarations, all explained by injected faults",
            sim.obs.failed_events
        )
    } else {
        let ex: Vec<String> = sim
            .obs
            .fp_examples
            .iter()
            .take(3)
            .map(|e| {
                format!(
                    "node {} declared node {} failed at {:.3} s",
                    e.observer,
                    e.member,
                    to_secs_f64(e.at)
                )
            })
            .collect();
        format!(
            "{fp} (observer, member) pairs declared failed with no fault to explain it, e.g. {}",
            ex.join("; ")
        )
    };
    out.push(check("no_unexplained_failures", fp == 0, reason));

    // SWIM 4: every crash is eventually detected by every survivor.
    if matches!(
        scenario,
        Scenario::Crash | Scenario::Churn | Scenario::Byzantine
    ) {
        let pass = m.missed == 0 && (m.crashes_due > 0 || scenario == Scenario::Churn);
        let reason = if m.crashes_due == 0 {
            "no crash was old enough to be checked: run longer".to_owned()
        } else {
            format!(
                "{} crashes checked, {} (survivor, crashed) pairs never marked failed",
                m.crashes_due, m.missed
            )
        };
        out.push(check("crashes_detected_by_every_survivor", pass, reason));
    }

    // Lifeguard 4.2: detection within the maximum suspicion timeout + 2 periods.
    if matches!(scenario, Scenario::Crash | Scenario::Byzantine) {
        let bound = sim.cfg.detect_bound();
        let (pass, reason) = match m.detect_p99 {
            Some(p) => (
                p <= bound,
                format!(
                    "p99 detection {:.3} s, bound {:.3} s",
                    to_secs_f64(p),
                    to_secs_f64(bound)
                ),
            ),
            None => (false, "no crash was detected at all".to_owned()),
        };
        out.push(check("detection_within_bound", pass, reason));
        if sim.net_loss() == 0.0 && scenario == Scenario::Crash {
            let wrong = sim.obs.wrong_entries();
            out.push(check(
                "views_correct_at_end",
                wrong == 0,
                format!("{wrong} view entries disagree with the truth at the end"),
            ));
        }
    }

    // Push-pull anti-entropy (memberlist) and dissemination (SWIM 4.1): views converge.
    if let Some(bound) = sim.cfg.converge_bound() {
        let (pass, reason) = match m.converge {
            Some(c) => (
                c <= bound,
                format!(
                    "converged {:.3} s after the start, bound {:.3} s",
                    to_secs_f64(c),
                    to_secs_f64(bound)
                ),
            ),
            None if sim.obs.converge_from().is_none() => {
                (false, "the heal never happened: run longer".to_owned())
            }
            None => (
                false,
                format!(
                    "never converged; {} view entries still wrong at the end (bound {:.3} s)",
                    sim.obs.wrong_entries(),
                    to_secs_f64(bound)
                ),
            ),
        };
        out.push(check("views_converge", pass, reason));
    }

    // SWIM 4.1: each update is piggybacked at most retransmit_limit(n) times.
    let limit = sim.core_cfg.retransmit_limit(sim.cfg.nodes as usize);
    let (pass, reason) = match sim.traffic.worst() {
        Some(w) => (
            w.sends <= limit,
            format!(
                "most sends of one update by one node: {} (node {}), limit {limit}; {} packets decoded",
                w.sends, w.sender, sim.traffic.decoded_packets
            ),
        ),
        None => (true, format!("no update was piggybacked; {} packets decoded", sim.traffic.decoded_packets)),
    };
    let pass = pass && sim.traffic.undecodable == 0;
    let mut reason = reason;
    if sim.traffic.undecodable > 0 {
        reason.push_str(&format!(
            "; {} packets could not be decoded",
            sim.traffic.undecodable
        ));
    }
    for (sender, what) in &sim.traffic.over_limit {
        reason.push_str(&format!(
            "; node {sender} sent {what} more than {limit} times"
        ));
    }
    out.push(check("retransmit_bound", pass, reason));
    out
}
