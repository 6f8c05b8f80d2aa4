//! What a run does: the scenario and its parameters.

use std::path::PathBuf;
use std::time::Duration;

use lifebuoy_sim::Profile;

use crate::ChaosError;

/// The fault a run injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// SIGKILL `kills` nodes at once; every survivor must detect them.
    Kill,
    /// Every node drops a share of the packets it receives.
    Loss,
    /// One node is SIGSTOPped for a while every few seconds, on a lossy network.
    Pause,
    /// Two halves cannot talk; then the partition heals.
    Partition,
    /// One node receives nothing (it still sends); then the cut heals.
    Oneway,
    /// A node is killed, detected, and started again with the same identity.
    Restart,
    /// Nodes are killed one after another and restarted after a downtime.
    Churn,
    /// `kill`, with every node's wall clock hours off and its monotonic
    /// clock running up to 10% fast or slow (libfaketime).
    Clockskew,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 8] = [
        Scenario::Kill,
        Scenario::Loss,
        Scenario::Pause,
        Scenario::Partition,
        Scenario::Oneway,
        Scenario::Restart,
        Scenario::Churn,
        Scenario::Clockskew,
    ];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Kill => "kill",
            Scenario::Loss => "loss",
            Scenario::Pause => "pause",
            Scenario::Partition => "partition",
            Scenario::Oneway => "oneway",
            Scenario::Restart => "restart",
            Scenario::Churn => "churn",
            Scenario::Clockskew => "clockskew",
        }
    }

    /// The scenario of that name.
    pub fn from_name(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|x| x.name() == s)
    }

    /// Whether the scenario kills nodes (and so measures detection).
    pub fn kills(self) -> bool {
        matches!(
            self,
            Scenario::Kill | Scenario::Restart | Scenario::Churn | Scenario::Clockskew
        )
    }
}

/// One run. Fields left `None` take the scenario's default.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The fault.
    pub scenario: Scenario,
    /// Cluster size.
    pub nodes: usize,
    /// Seeds the choice of victims and groups.
    pub seed: u64,
    /// Protocol profile the nodes run (`--profile`).
    pub profile: Profile,
    /// The `lifebuoy` binary (dynamically linked for `clockskew`).
    pub binary: PathBuf,
    /// Loss in percent. Default 10 for `loss`, 5 for `pause`, else 0.
    pub loss_pct: Option<u8>,
    /// Nodes killed at once by `kill` and `clockskew`.
    pub kills: usize,
    /// Seconds between the views becoming whole and the fault.
    pub fault_at_s: f64,
    /// How long a partition, cut or pause lasts. Default: the detection
    /// bound + 5 s for partitions and cuts (so both sides declare failures
    /// before the heal), 2 s for a pause.
    pub fault_for_s: Option<f64>,
    /// How long `loss`, `pause` and `churn` run. Default 60 s.
    pub duration_s: Option<f64>,
    /// `pause`: a pause starts this often.
    pub pause_every_s: f64,
    /// `churn`: a node is killed this often.
    pub churn_every_s: f64,
    /// `churn`: a killed node restarts after this long.
    pub downtime_s: f64,
    /// Skew every node's clocks (any scenario; `clockskew` implies it).
    pub clockskew: bool,
    /// Keep the data directories and logs even if the run passes.
    pub keep: bool,
}

impl Spec {
    /// The defaults for `scenario`: 8 nodes on the `local` profile.
    pub fn new(scenario: Scenario, binary: PathBuf) -> Spec {
        Spec {
            scenario,
            nodes: 8,
            seed: 1,
            profile: Profile::Local,
            binary,
            loss_pct: None,
            kills: 1,
            fault_at_s: 2.0,
            fault_for_s: None,
            duration_s: None,
            pause_every_s: 10.0,
            churn_every_s: 10.0,
            downtime_s: 15.0,
            clockskew: scenario == Scenario::Clockskew,
            keep: false,
        }
    }

    /// Loss in percent.
    pub fn loss(&self) -> u8 {
        self.loss_pct.unwrap_or(match self.scenario {
            Scenario::Loss => 10,
            Scenario::Pause => 5,
            _ => 0,
        })
    }

    /// How long a partition, cut or pause lasts.
    pub fn fault_for(&self) -> Duration {
        let s = self.fault_for_s.unwrap_or(match self.scenario {
            Scenario::Pause => 2.0,
            _ => self.detect_bound().as_secs_f64() + 5.0,
        });
        Duration::from_secs_f64(s)
    }

    /// How long `loss`, `pause` and `churn` run.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.duration_s.unwrap_or(60.0))
    }

    /// The simulator's detection bound: maximum suspicion timeout + 2 probe periods.
    pub fn detect_bound(&self) -> Duration {
        let c = self.profile.config();
        c.suspicion_max(self.nodes) + 2 * c.probe_interval
    }

    /// The simulator's convergence bound: one scaled push-pull interval + 10 s.
    pub fn converge_bound(&self) -> Duration {
        self.profile.config().push_pull_scaled(self.nodes) + Duration::from_secs(10)
    }

    /// How long a failure declaration stays explained after a kill or heal
    /// (the simulator's look-back window).
    pub fn lookback(&self) -> Duration {
        let c = self.profile.config();
        c.suspicion_max(self.nodes) + c.probe_interval * (4 * c.awareness_max_multiplier)
    }

    /// Refuses parameters that cannot work, naming the parameter.
    pub fn validate(&self) -> Result<(), ChaosError> {
        let bad = |what: &str| Err(ChaosError::Usage(what.to_owned()));
        if self.nodes < 3 {
            return bad("--nodes: at least 3 nodes are needed");
        }
        if self.nodes > crate::netns::MAX_NODES {
            return bad("--nodes: at most 200 nodes");
        }
        if self.loss() > 100 {
            return bad("--loss: a percentage from 0 to 100");
        }
        if self.scenario.kills() && self.kills >= self.nodes {
            return bad("--kills: must be below the number of nodes");
        }
        for (name, v) in [
            ("--fault-at", self.fault_at_s),
            ("--fault-for", self.fault_for_s.unwrap_or(1.0)),
            ("--duration", self.duration_s.unwrap_or(1.0)),
            ("--pause-every", self.pause_every_s),
            ("--churn-every", self.churn_every_s),
            ("--downtime", self.downtime_s),
        ] {
            if !(0.0..=86_400.0).contains(&v) {
                return bad(&format!("{name}: seconds, from 0 to 86400"));
            }
        }
        if self.scenario == Scenario::Pause && self.fault_for().as_secs_f64() >= self.pause_every_s
        {
            return bad("--fault-for: a pause must be shorter than --pause-every");
        }
        if !self.binary.is_file() {
            return Err(ChaosError::Usage(format!(
                "--binary: no lifebuoy binary at {} (build it with `cargo build --release -p lifebuoy-cli`)",
                self.binary.display()
            )));
        }
        Ok(())
    }
}
