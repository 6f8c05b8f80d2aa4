//! Scenarios: what a run starts from and which faults it injects when.

use lifebuoy_core::{Config, DetRng};

use crate::clock::{from_secs_f64, secs, Nanos, SEC};
use crate::faults::Action;
use crate::net::{Cuts, Profile};
use crate::SimError;

/// The fault pattern of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    /// A converged cluster where `kills` nodes crash at once.
    Crash,
    /// A converged cluster on links that drop a fraction of all messages.
    Loss,
    /// The cluster is split in two halves that cannot talk, then healed.
    Partition,
    /// Half the cluster cannot send to the other half (which still can send back), then healed.
    Oneway,
    /// One node stalls (GC pause, SIGSTOP) for a while every few seconds, on a lossy network.
    Pause,
    /// Nodes crash one after another and restart with the same identity.
    Churn,
    /// Every node starts at once and joins through node 0.
    Join,
    /// `kills` nodes crash while `liars` members forge and replay claims
    /// to get honest members declared failed and keep the crashed alive.
    Byzantine,
}

/// How many members lie in the `byzantine` scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Liars {
    /// A fraction of the cluster (0..1).
    Fraction(f64),
    /// A number of members.
    Count(u32),
}

impl Scenario {
    /// Every scenario, in a stable order.
    pub const ALL: [Scenario; 8] = [
        Scenario::Crash,
        Scenario::Loss,
        Scenario::Partition,
        Scenario::Oneway,
        Scenario::Pause,
        Scenario::Churn,
        Scenario::Join,
        Scenario::Byzantine,
    ];

    /// Its lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Crash => "crash",
            Scenario::Loss => "loss",
            Scenario::Partition => "partition",
            Scenario::Oneway => "oneway",
            Scenario::Pause => "pause",
            Scenario::Churn => "churn",
            Scenario::Join => "join",
            Scenario::Byzantine => "byzantine",
        }
    }

    /// The scenario of that name.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Everything that defines a run. Fields left `None` take the scenario's default.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Cluster size.
    pub nodes: u32,
    /// Fault pattern.
    pub scenario: Scenario,
    /// The one seed every random choice derives from.
    pub seed: u64,
    /// Virtual seconds to simulate. Default: long enough for the scenario's
    /// checks (crash: detection bound + margin; partition: heal + push-pull
    /// bound + margin; join: 30 s; others 120 s).
    pub duration_s: Option<f64>,
    /// Core preset and latency model.
    pub profile: Profile,
    /// Message loss probability. Default 0.10 for `loss`, 0.05 for `pause`, else 0.
    pub loss: Option<f64>,
    /// Nodes crashed by `crash`. Default max(1, nodes / 100).
    pub kills: Option<u32>,
    /// When the fault starts, in virtual seconds. Default 10.
    pub fault_at_s: f64,
    /// How long a partition (default 60 s) or a pause (default 2 s) lasts.
    pub fault_for_s: Option<f64>,
    /// `pause`: a new pause starts this often. Default 10 s.
    pub pause_every_s: f64,
    /// `churn`: a node crashes this often. Default 5 s.
    pub churn_every_s: f64,
    /// `churn`: a crashed node restarts after this long. Default 30 s.
    pub downtime_s: f64,
    /// Bound for the convergence check, in seconds. Default: one scaled
    /// push-pull interval + 10 s after a heal, 10 s for `join`.
    pub converge_bound_s: Option<f64>,
    /// The retransmit checker decodes the traffic of one sender in this many.
    /// Default: every sender up to 256 nodes, then about 256 senders.
    pub retransmit_sample: Option<u32>,
    /// Diagnostics: print to stderr every event about this node and every
    /// message to or from it, decoded.
    pub trace: Option<u32>,
    /// Sign and verify every claim with ed25519 (the libp2p driver always
    /// does). Default true; false measures the protocol without them.
    pub signed: bool,
    /// `byzantine`: the liars. Default 10% of the cluster.
    pub liars: Option<Liars>,
    /// `byzantine`: every liar attacks this often. Default 1 s.
    pub attack_every_s: f64,
}

impl SimConfig {
    /// Defaults for `scenario` at 100 nodes on the LAN profile.
    pub fn new(scenario: Scenario, seed: u64) -> Self {
        SimConfig {
            nodes: 100,
            scenario,
            seed,
            duration_s: None,
            profile: Profile::Lan,
            loss: None,
            kills: None,
            fault_at_s: 10.0,
            fault_for_s: None,
            pause_every_s: 10.0,
            churn_every_s: 5.0,
            downtime_s: 30.0,
            converge_bound_s: None,
            retransmit_sample: None,
            trace: None,
            signed: true,
            liars: None,
            attack_every_s: 1.0,
        }
    }

    pub(crate) fn core_config(&self) -> Config {
        self.profile.config()
    }

    pub(crate) fn loss(&self) -> f64 {
        self.loss.unwrap_or(match self.scenario {
            Scenario::Loss => 0.10,
            Scenario::Pause => 0.05,
            _ => 0.0,
        })
    }

    /// Number of liars (0 outside `byzantine`).
    pub(crate) fn liar_count(&self) -> u32 {
        if self.scenario != Scenario::Byzantine {
            return 0;
        }
        match self.liars.unwrap_or(Liars::Fraction(0.10)) {
            Liars::Fraction(f) => (f64::from(self.nodes) * f).round() as u32,
            Liars::Count(c) => c,
        }
    }

    pub(crate) fn kills(&self) -> u32 {
        self.kills.unwrap_or((self.nodes / 100).max(1))
    }

    fn fault_for_s(&self) -> f64 {
        self.fault_for_s.unwrap_or(match self.scenario {
            Scenario::Pause => 2.0,
            _ => 60.0,
        })
    }

    /// The failure-detection bound: maximum suspicion timeout + 2 probe periods.
    pub(crate) fn detect_bound(&self) -> Nanos {
        let c = self.core_config();
        secs(c.suspicion_max(self.nodes as usize) + 2 * c.probe_interval)
    }

    /// The convergence bound, if the scenario has one.
    pub(crate) fn converge_bound(&self) -> Option<Nanos> {
        let c = self.core_config();
        let default = match self.scenario {
            Scenario::Partition | Scenario::Oneway => {
                secs(c.push_pull_scaled(self.nodes as usize)) + 10 * SEC
            }
            Scenario::Join => 10 * SEC,
            _ => return None,
        };
        Some(self.converge_bound_s.map_or(default, from_secs_f64))
    }

    pub(crate) fn duration(&self) -> Nanos {
        if let Some(d) = self.duration_s {
            return from_secs_f64(d);
        }
        let at = from_secs_f64(self.fault_at_s);
        match self.scenario {
            Scenario::Crash | Scenario::Byzantine => at + self.detect_bound() + 20 * SEC,
            Scenario::Partition | Scenario::Oneway => {
                at + from_secs_f64(self.fault_for_s())
                    + self.converge_bound().unwrap_or(0)
                    + 20 * SEC
            }
            Scenario::Join => 30 * SEC,
            Scenario::Loss | Scenario::Pause | Scenario::Churn => 120 * SEC,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let bad = |field, reason: &str| {
            Err(SimError::Config {
                field,
                reason: reason.into(),
            })
        };
        if self.nodes < 2 {
            return bad("nodes", "at least 2 nodes are needed");
        }
        if self.nodes > 1_000_000 {
            return bad("nodes", "at most 1000000 nodes");
        }
        if !(0.0..=1.0).contains(&self.loss()) {
            return bad("loss", "must be between 0 and 1");
        }
        if self.scenario == Scenario::Crash && self.kills() >= self.nodes {
            return bad("kills", "must be below the number of nodes");
        }
        if let Some(Liars::Fraction(f)) = self.liars {
            if !(0.0..1.0).contains(&f) {
                return bad("liars", "a fraction must be at least 0 and below 1 (100%)");
            }
        }
        if self.scenario == Scenario::Byzantine
            && u64::from(self.kills()) + u64::from(self.liar_count()) + 2 > u64::from(self.nodes)
        {
            return bad(
                "liars",
                "kills + liars must leave at least 2 honest live nodes",
            );
        }
        if !(self.attack_every_s.is_finite() && self.attack_every_s > 0.0) {
            return bad("attack_every", "must be a positive number of seconds");
        }
        if self.duration_s.is_some_and(|d| !(d > 0.0 && d.is_finite())) {
            return bad("duration", "must be a positive number of seconds");
        }
        let positive = [
            ("fault_at", self.fault_at_s, true),
            ("fault_for", self.fault_for_s(), false),
            ("pause_every", self.pause_every_s, false),
            ("churn_every", self.churn_every_s, false),
            ("downtime", self.downtime_s, false),
        ];
        for (field, v, zero_ok) in positive {
            if !v.is_finite() || v < 0.0 || (!zero_ok && v == 0.0) {
                return bad(field, "must be a positive number of seconds");
            }
        }
        if self.scenario == Scenario::Pause && self.fault_for_s() >= self.pause_every_s {
            return bad("fault_for", "a pause must be shorter than the pause period");
        }
        if self.retransmit_sample == Some(0) {
            return bad("retransmit_sample", "must be at least 1");
        }
        Ok(())
    }
}

/// How the nodes start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// A converged cluster through `Core::restore` (no join storm, no events).
    Restored,
    /// Every node starts at once and joins through node 0.
    Join,
}

/// A scenario made concrete for one seed.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) start: Start,
    pub(crate) groups: Vec<u8>,
    pub(crate) actions: Vec<(Nanos, Action)>,
    /// `byzantine`: the liars.
    pub(crate) liars: Vec<u32>,
}

/// Distinct random nodes.
fn pick(rng: &mut DetRng, nodes: u32, k: u32) -> Vec<u32> {
    let mut all: Vec<u32> = (0..nodes).collect();
    rng.shuffle(&mut all);
    all.truncate(k as usize);
    all
}

pub(crate) fn plan(cfg: &SimConfig, rng: &mut DetRng) -> Plan {
    let n = cfg.nodes;
    let at = from_secs_f64(cfg.fault_at_s);
    let span = from_secs_f64(cfg.fault_for_s());
    let end = cfg.duration();
    let mut actions = Vec::new();
    let mut groups = vec![0u8; n as usize];
    let mut liars = Vec::new();
    if cfg.loss() > 0.0 {
        actions.push((0, Action::SetLoss(cfg.loss())));
    }
    let start = if cfg.scenario == Scenario::Join {
        Start::Join
    } else {
        Start::Restored
    };
    match cfg.scenario {
        Scenario::Crash => {
            for v in pick(rng, n, cfg.kills()) {
                actions.push((at, Action::Crash(v)));
            }
        }
        Scenario::Partition | Scenario::Oneway => {
            for v in pick(rng, n, n / 2) {
                groups[v as usize] = 1;
            }
            let blocked = if cfg.scenario == Scenario::Partition {
                vec![(0, 1), (1, 0)]
            } else {
                vec![(0, 1)]
            };
            actions.push((at, Action::Partition(Cuts { blocked })));
            actions.push((at + span, Action::Heal));
        }
        Scenario::Pause => {
            let victim = pick(rng, n, 1)[0];
            let every = from_secs_f64(cfg.pause_every_s);
            let mut t = at;
            while t < end {
                actions.push((t, Action::Pause(victim)));
                actions.push((t + span, Action::Resume(victim)));
                t += every;
            }
        }
        Scenario::Churn => {
            let every = from_secs_f64(cfg.churn_every_s);
            let downtime = from_secs_f64(cfg.downtime_s);
            actions.push((at, Action::Churn { every, downtime }));
        }
        Scenario::Byzantine => {
            let kills = cfg.kills() as usize;
            let order = pick(rng, n, cfg.kills() + cfg.liar_count());
            for &v in &order[..kills] {
                actions.push((at, Action::Crash(v)));
            }
            liars = order[kills..].to_vec();
            // The liars start before the crash, so they are at it throughout.
            let every = from_secs_f64(cfg.attack_every_s);
            actions.push((at / 2, Action::Attack { every }));
        }
        Scenario::Loss | Scenario::Join => {}
    }
    Plan {
        start,
        groups,
        actions,
        liars,
    }
}
