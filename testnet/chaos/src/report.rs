//! The report of one run, in the simulator's shape ([`lifebuoy_sim::Report`])
//! so a real run and its simulated counterpart compare field by field, plus
//! what only a real run has: detection time per survivor and the timeline.

use std::collections::BTreeMap;
use std::fmt;

use lifebuoy_sim::{Check, Report};

use crate::cluster::Cluster;
use crate::observe::Detection;
use crate::run::Phase;
use crate::skew;
use crate::spec::{Scenario, Spec};

/// A report and the real run's extras.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The simulator's fields. `virtual_s` and `wall_s` are both real seconds
    /// here; traffic is not measured (`null`).
    pub report: Report,
    /// Seconds until the views were first whole after every node started.
    pub join_s: Option<f64>,
    /// Every (survivor, killed node) detection.
    pub detections: Vec<Detection>,
    /// What the harness did, when.
    pub timeline: Vec<String>,
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn check(name: &'static str, pass: bool, reason: String) -> (&'static str, Check) {
    (name, Check { name, pass, reason })
}

pub(crate) fn build(
    spec: &Spec,
    c: &Cluster,
    join_s: Option<f64>,
    phase: &Phase,
    clocks: Option<Vec<Option<f64>>>,
    wall_s: f64,
) -> Outcome {
    let o = &c.obs;
    let f = &c.faults;
    let detect_bound = spec.detect_bound().as_secs_f64();
    let converge_bound = spec.converge_bound().as_secs_f64();
    let mut d: Vec<f64> = o.detections.iter().map(|x| x.after_s).collect();
    d.sort_by(f64::total_cmp);
    let (due, missed) = o.missed(std::time::Instant::now(), std::time::Duration::ZERO);
    let missed = missed + phase.missed_before_restart.unwrap_or(0);
    let mut checks = BTreeMap::new();

    let join_bound = 30.0 + spec.nodes as f64;
    checks.extend([check(
        "views_whole_after_join",
        join_s.is_some(),
        match join_s {
            Some(s) => format!("every view whole {s:.3} s after the start"),
            None => format!("views not whole within {join_bound:.0} s of the start"),
        },
    )]);
    let fp = o.false_positives();
    let examples: Vec<String> = o
        .fp_examples
        .iter()
        .take(3)
        .map(|e| {
            format!(
                "n{} declared n{} failed at {:.3} s",
                e.observer, e.member, e.at_s
            )
        })
        .collect();
    checks.extend([check(
        "no_unexplained_failures",
        fp == 0,
        if fp == 0 {
            format!(
                "{} failure declarations, all explained by injected faults",
                o.failed_events
            )
        } else {
            format!(
                "{fp} (observer, member) pairs declared failed with no fault to explain it, e.g. {}",
                examples.join("; ")
            )
        },
    )]);
    if spec.scenario.kills() {
        checks.extend([check(
            "crashes_detected_by_every_survivor",
            missed == 0 && due > 0,
            format!("{due} kills checked, {missed} (survivor, killed) pairs never marked failed"),
        )]);
    }
    if matches!(
        spec.scenario,
        Scenario::Kill | Scenario::Clockskew | Scenario::Restart
    ) {
        let p99 = percentile(&d, 99.0);
        checks.extend([check(
            "detection_within_bound",
            p99.is_some_and(|p| p <= detect_bound),
            match p99 {
                Some(p) => format!("p99 detection {p:.3} s, bound {detect_bound:.3} s"),
                None => "no kill was detected at all".to_owned(),
            },
        )]);
    }
    if let Some(whole) = phase.whole_at_end {
        checks.extend([check(
            "views_correct_at_end",
            whole,
            format!(
                "{} view entries disagree with the truth at the end",
                o.wrong_entries()
            ),
        )]);
    }
    if matches!(
        spec.scenario,
        Scenario::Partition | Scenario::Oneway | Scenario::Restart | Scenario::Churn
    ) {
        checks.extend([check(
            "views_converge",
            phase.converge_s.is_some_and(|s| s <= converge_bound),
            match phase.converge_s {
                Some(s) => format!("converged {s:.3} s after the heal, bound {converge_bound:.3} s"),
                None => format!(
                    "never converged; {} view entries still wrong at the end (bound {converge_bound:.3} s)",
                    o.wrong_entries()
                ),
            },
        )]);
    }
    if matches!(spec.scenario, Scenario::Restart | Scenario::Churn) {
        checks.extend([check(
            "restarts_keep_their_identity",
            o.identity_changes.is_empty() && f.restarts > 0,
            format!(
                "{} restarts, {} came back with another PeerId",
                f.restarts,
                o.identity_changes.len()
            ),
        )]);
    }
    if let Some(clocks) = &clocks {
        let mut worst: f64 = 0.0;
        let mut unread = 0;
        for (i, got) in clocks.iter().enumerate() {
            match got {
                Some(h) => worst = worst.max((h - skew::of(i).0 as f64).abs()),
                None => unread += 1,
            }
        }
        checks.extend([check(
            "clocks_skewed",
            unread == 0 && worst < 0.1,
            format!(
                "wall clocks (from each node's first log line) within {:.3} h of the intended offsets; {unread} unreadable",
                worst
            ),
        )]);
    }
    let passed = checks.values().all(|c: &Check| c.pass);
    let counters = BTreeMap::from([
        ("crashes", f.kills),
        ("restarts", f.restarts),
        ("pauses", f.pauses),
        ("detections", d.len() as u64),
        ("failed_events", o.failed_events),
        ("suspected_events", o.suspected_events),
        ("refuted_events", o.refuted_events),
    ]);
    let cfg = spec.profile.config();
    let bounds = BTreeMap::from([
        ("detect_s", round6(detect_bound)),
        ("converge_s", round6(converge_bound)),
        (
            "suspicion_max_s",
            round6(cfg.suspicion_max(spec.nodes).as_secs_f64()),
        ),
        (
            "push_pull_s",
            round6(cfg.push_pull_scaled(spec.nodes).as_secs_f64()),
        ),
        (
            "retransmit_limit",
            f64::from(cfg.retransmit_limit(spec.nodes)),
        ),
    ]);
    let report = Report {
        scenario: spec.scenario.name(),
        nodes: spec.nodes as u32,
        seed: spec.seed,
        profile: spec.profile.name(),
        loss: f64::from(spec.loss()) / 100.0,
        virtual_s: round6(c.elapsed_s()),
        wall_s: (wall_s * 1000.0).round() / 1000.0,
        detect_first_s: d.first().copied().map(round6),
        detect_p50_s: percentile(&d, 50.0).map(round6),
        detect_p99_s: percentile(&d, 99.0).map(round6),
        detect_max_s: d.last().copied().map(round6),
        missed: spec.scenario.kills().then_some(missed),
        false_positives: fp,
        msgs_per_node_s: None,
        bytes_per_node_s: None,
        converge_s: phase.converge_s.map(round6),
        steady_window_s: [0.0, round6(c.elapsed_s())],
        bounds,
        counters,
        checks,
        passed,
        // Real processes: signature costs are in each node's /metrics.
        signatures: None,
    };
    Outcome {
        report,
        join_s: join_s.map(round6),
        detections: o.detections.clone(),
        timeline: c.timeline.clone(),
    }
}

impl Outcome {
    /// The simulator's JSON fields, plus `join_s`, `detections` (per
    /// survivor) and `timeline`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.report).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("join_s".to_owned(), serde_json::json!(self.join_s));
            let det: Vec<serde_json::Value> = self
                .detections
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "survivor": format!("n{}", d.observer),
                        "killed": format!("n{}", d.member),
                        "after_s": round6(d.after_s),
                    })
                })
                .collect();
            obj.insert("detections".to_owned(), det.into());
            obj.insert("timeline".to_owned(), serde_json::json!(self.timeline));
        }
        v
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "real processes: timeline")?;
        for t in &self.timeline {
            writeln!(f, "  {t}")?;
        }
        if !self.detections.is_empty() {
            writeln!(f, "detection time per survivor:")?;
            for d in &self.detections {
                writeln!(
                    f,
                    "  n{} saw n{} fail after {:.3} s",
                    d.observer, d.member, d.after_s
                )?;
            }
        }
        writeln!(
            f,
            "joined: {}",
            self.join_s
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.3} s"))
        )?;
        write!(f, "{}", self.report)
    }
}
