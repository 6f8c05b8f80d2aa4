//! `lifebuoy sim`: runs the deterministic simulator and prints its report.

use anyhow::anyhow;
use clap::{Args, ValueEnum};
use lifebuoy_sim::{Liars, Profile, Scenario, SimConfig, SimError};

use crate::Failure;

const SCENARIOS_HELP: &str = "\
SCENARIOS (all start from a converged cluster, except join):
  crash      --kills K nodes (default 1% of the cluster) crash at --fault-at.
             Measures how long survivors take to declare them failed
             (detect_*), whether anyone missed it, and that no live node was
             wrongly declared. Use it to size failover timeouts: detection
             stays below suspicion_max(n) + 2 probe periods.
  loss       Every link drops --loss of all messages (default 10%) for the
             whole run. Lifeguard should keep false positives at zero; use it
             to see what a flaky network costs in traffic and suspicions.
  partition  The cluster splits into two halves that cannot talk for
             --fault-for seconds (default 60), then heals. Each side declares
             the other failed; converge_s is how long after the heal until
             every node sees every node alive again.
  oneway     Like partition, but only one direction is cut: half the cluster
             cannot send to the other half, which can still send back
             (asymmetric firewall or routing failure).
  pause      One node stalls (GC pause, SIGSTOP, overloaded VM) for
             --fault-for seconds (default 2) every --pause-every seconds
             (default 10), on links with --loss (default 5%), then processes
             its backlog. It must never be declared failed.
  churn      Every --churn-every seconds (default 5) a random node crashes
             and restarts --downtime seconds later (default 30) with the same
             identity, like a rolling deploy or a crash-looping service.
  join       All nodes start at the same moment and join through node 0.
             converge_s is how long until every node sees every node:
             the cold-start time of a whole fleet.
  byzantine  --liars members (default 10%) lie from --fault-at/2 on, every
             --attack-every seconds: they collude to accuse one honest member
             (Dead claims signed with their own keys) and each accuse
             another, forge claims in honest members' names, replay old
             claims, and try to keep the --kills crashed members (default 1%)
             alive with replayed and forged Alive claims and forged acks.
             Must cause no false positive among honest nodes, and crashes
             must still be detected within the crash bound. --unsigned runs
             the same attack against a cluster that does not sign claims.

REPORT
  detect_*_s         seconds from a crash to survivors marking it failed
  missed             (survivor, crashed node) pairs never marked failed
  false_positives    (observer, member) pairs wrongly declared failed
  msgs/bytes_per_node_s  traffic each live node sends per second, measured
                     over the steady window (join storms excluded)
  converge_s         seconds from the heal (or join start) to correct views
  signatures         claims signed and verified, and their CPU cost per
                     member per second (ed25519 timed on this machine)
  checks             protocol properties; any failure exits with status 1
                     and prints the command that replays the run exactly.

Runs are deterministic: the same arguments and seed give the same report,
apart from wall_s.";

/// The fault pattern to simulate (see SCENARIOS below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScenarioArg {
    /// K nodes crash at once; measures failure detection time.
    Crash,
    /// Every link drops a fraction of messages; must cause no false positives.
    Loss,
    /// Two halves cannot talk for a while, then heal; measures reconvergence.
    Partition,
    /// Half the cluster cannot send to the other half, then heal.
    Oneway,
    /// One node stalls periodically on a lossy network; must never be declared failed.
    Pause,
    /// Nodes keep crashing and restarting with the same identity.
    Churn,
    /// Every node starts at once and joins through node 0; measures cold start.
    Join,
    /// Liars forge and replay claims while nodes crash; must cause no false positive.
    Byzantine,
}

impl From<ScenarioArg> for Scenario {
    fn from(s: ScenarioArg) -> Self {
        match s {
            ScenarioArg::Crash => Scenario::Crash,
            ScenarioArg::Loss => Scenario::Loss,
            ScenarioArg::Partition => Scenario::Partition,
            ScenarioArg::Oneway => Scenario::Oneway,
            ScenarioArg::Pause => Scenario::Pause,
            ScenarioArg::Churn => Scenario::Churn,
            ScenarioArg::Join => Scenario::Join,
            ScenarioArg::Byzantine => Scenario::Byzantine,
        }
    }
}

/// Deployment profile: protocol timing preset plus network latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProfileArg {
    /// One datacenter: lifebuoy's LAN timings (probe every 0.8 s), links 0.2-1 ms.
    Lan,
    /// Across regions: probe every 5 s, links 10-150 ms.
    Wan,
    /// One host: probe every 1 s with a 200 ms timeout, links 20-60 us.
    Local,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Self {
        match p {
            ProfileArg::Lan => Profile::Lan,
            ProfileArg::Wan => Profile::Wan,
            ProfileArg::Local => Profile::Local,
        }
    }
}

/// Simulate a cluster of lifebuoy nodes on virtual time, deterministically.
///
/// Thousands of protocol state machines run on one virtual clock, connected
/// by a modelled network, while faults are injected. The report tells you how
/// fast failures are detected, how much traffic each node generates, how
/// long views take to converge, and whether the protocol's guarantees held.
#[derive(Debug, Clone, Args)]
#[command(after_long_help = SCENARIOS_HELP)]
pub(crate) struct SimArgs {
    /// Number of nodes in the cluster.
    #[arg(long, default_value_t = 100)]
    nodes: u32,
    /// Fault pattern to simulate.
    #[arg(long, value_enum)]
    scenario: ScenarioArg,
    /// Seed for every random choice; the same seed replays the same run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Virtual seconds to simulate [default: long enough for the scenario's checks].
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Timing preset and network latency model.
    #[arg(long, value_enum, default_value_t = ProfileArg::Lan)]
    profile: ProfileArg,
    /// Fraction of messages lost on every link, 0..1 [default: 0.10 for loss, 0.05 for pause, else 0].
    #[arg(long, value_name = "P")]
    loss: Option<f64>,
    /// Nodes crashed by the crash scenario [default: 1% of nodes, at least 1].
    #[arg(long, value_name = "K")]
    kills: Option<u32>,
    /// When the fault starts, in virtual seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    fault_at: f64,
    /// How long a partition (default 60 s) or a pause (default 2 s) lasts.
    #[arg(long, value_name = "SECS")]
    fault_for: Option<f64>,
    /// pause: a new pause starts this often.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pause_every: f64,
    /// churn: a node crashes this often.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    churn_every: f64,
    /// churn: a crashed node restarts after this long.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    downtime: f64,
    /// Bound for the convergence check [default: scaled push-pull interval + 10 s after a heal; 10 s for join].
    #[arg(long, value_name = "SECS")]
    converge_bound: Option<f64>,
    /// Decode the gossip of one sender in this many for the retransmit check [default: about 256 senders].
    #[arg(long, value_name = "K")]
    retransmit_sample: Option<u32>,
    /// Diagnostics: print every event about node ID and every message to or from it on stderr.
    #[arg(long, value_name = "ID")]
    trace: Option<u32>,
    /// byzantine: liars, as a fraction ("10%", "0.1") or a count ("100") [default: 10%].
    #[arg(long, value_name = "F", value_parser = parse_liars)]
    liars: Option<Liars>,
    /// byzantine: every liar attacks this often.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    attack_every: f64,
    /// Run without signed claims (to compare their cost, or the byzantine scenario without them).
    #[arg(long)]
    unsigned: bool,
    /// Print exactly one JSON object instead of the readable summary.
    #[arg(long)]
    json: bool,
}

/// "10%" and "0.1" are fractions of the cluster, "100" a count.
fn parse_liars(s: &str) -> Result<Liars, String> {
    let bad = || format!("`{s}` is neither a percentage (10%), a fraction (0.1) nor a count (100)");
    if let Some(p) = s.strip_suffix('%') {
        let p: f64 = p.trim().parse().map_err(|_| bad())?;
        if !(0.0..100.0).contains(&p) {
            return Err(format!(
                "{s}: a percentage must be at least 0 and below 100"
            ));
        }
        return Ok(Liars::Fraction(p / 100.0));
    }
    if let Ok(c) = s.parse::<u32>() {
        return Ok(Liars::Count(c));
    }
    let f: f64 = s.parse().map_err(|_| bad())?;
    if !(0.0..1.0).contains(&f) {
        return Err(format!("{s}: a fraction must be at least 0 and below 1"));
    }
    Ok(Liars::Fraction(f))
}

fn liars_arg(l: Liars) -> String {
    match l {
        Liars::Fraction(f) => format!("{}%", f * 100.0),
        Liars::Count(c) => c.to_string(),
    }
}

impl SimArgs {
    fn config(&self) -> SimConfig {
        SimConfig {
            nodes: self.nodes,
            duration_s: self.duration,
            profile: self.profile.into(),
            loss: self.loss,
            kills: self.kills,
            fault_at_s: self.fault_at,
            fault_for_s: self.fault_for,
            pause_every_s: self.pause_every,
            churn_every_s: self.churn_every,
            downtime_s: self.downtime,
            converge_bound_s: self.converge_bound,
            retransmit_sample: self.retransmit_sample,
            trace: self.trace,
            liars: self.liars,
            attack_every_s: self.attack_every,
            signed: !self.unsigned,
            ..SimConfig::new(self.scenario.into(), self.seed)
        }
    }

    /// The command line that replays this run exactly.
    fn replay_command(&self) -> String {
        let name = |v: &dyn Fn() -> Option<clap::builder::PossibleValue>| {
            v().map(|p| p.get_name().to_owned()).unwrap_or_default()
        };
        let mut cmd = format!(
            "lifebuoy sim --nodes {} --scenario {} --seed {} --profile {}",
            self.nodes,
            name(&|| self.scenario.to_possible_value()),
            self.seed,
            name(&|| self.profile.to_possible_value()),
        );
        let mut opt = |flag: &str, v: Option<String>| {
            if let Some(v) = v {
                cmd.push_str(&format!(" --{flag} {v}"));
            }
        };
        opt("duration", self.duration.map(|v| v.to_string()));
        opt("loss", self.loss.map(|v| v.to_string()));
        opt("kills", self.kills.map(|v| v.to_string()));
        opt(
            "fault-at",
            (self.fault_at != 10.0).then(|| self.fault_at.to_string()),
        );
        opt("fault-for", self.fault_for.map(|v| v.to_string()));
        opt(
            "pause-every",
            (self.pause_every != 10.0).then(|| self.pause_every.to_string()),
        );
        opt(
            "churn-every",
            (self.churn_every != 5.0).then(|| self.churn_every.to_string()),
        );
        opt(
            "downtime",
            (self.downtime != 30.0).then(|| self.downtime.to_string()),
        );
        opt("converge-bound", self.converge_bound.map(|v| v.to_string()));
        opt(
            "retransmit-sample",
            self.retransmit_sample.map(|v| v.to_string()),
        );
        opt("liars", self.liars.map(liars_arg));
        opt(
            "attack-every",
            (self.attack_every != 1.0).then(|| self.attack_every.to_string()),
        );
        if self.unsigned {
            cmd.push_str(" --unsigned");
        }
        cmd
    }
}

/// Peak resident set size of this process, from /proc (Linux only).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub(crate) fn run(args: SimArgs) -> Result<(), Failure> {
    let cfg = args.config();
    let report = lifebuoy_sim::run(&cfg).map_err(|e| match e {
        SimError::Config { .. } | SimError::Core(_) => Failure::Usage(e.into()),
    })?;
    if args.json {
        let json = serde_json::to_string(&report).map_err(|e| Failure::Runtime(e.into()))?;
        println!("{json}");
    } else {
        println!("{report}");
    }
    if let Some(rss) = peak_rss_mib() {
        eprintln!("peak RSS: {rss:.0} MiB");
    }
    if report.passed {
        return Ok(());
    }
    let failed: Vec<&str> = report
        .checks
        .values()
        .filter(|c| !c.pass)
        .map(|c| c.name)
        .collect();
    eprintln!(
        "check failed with seed {}: {}",
        args.seed,
        failed.join(", ")
    );
    eprintln!("replay with: {}", args.replay_command());
    Err(Failure::Runtime(anyhow!(
        "{} check(s) failed",
        failed.len()
    )))
}
