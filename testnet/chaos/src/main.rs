//! `lifebuoy-chaos`: run one fault-injection scenario on real processes.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lifebuoy_chaos::{run, ChaosError, Profile, Scenario, Spec};

/// Inject faults into a cluster of real `lifebuoy run` processes, each in
/// its own network namespace, and report what the simulator reports.
/// Needs root, `ip` (iproute2) and `nft` (nftables); `clockskew` needs
/// libfaketime. Exit codes: 0 every check passed, 1 a check failed or the
/// run broke, 2 usage error or this machine cannot run it.
#[derive(Debug, Parser)]
#[command(name = "lifebuoy-chaos", version)]
struct Args {
    /// kill, loss, pause, partition, oneway, restart, churn or clockskew.
    #[arg(long, value_parser = parse_scenario)]
    scenario: Scenario,
    /// The lifebuoy binary (dynamically linked for clock skew).
    #[arg(long, default_value = "target/release/lifebuoy")]
    binary: PathBuf,
    /// Number of nodes.
    #[arg(long, default_value_t = 8)]
    nodes: usize,
    /// Seeds the choice of victims and groups.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Protocol profile of the nodes: local, lan or wan.
    #[arg(long, default_value = "local", value_parser = parse_profile)]
    profile: Profile,
    /// Inbound packet loss in percent [default: 10 for loss, 5 for pause, else 0].
    #[arg(long)]
    loss: Option<u8>,
    /// Nodes killed at once (kill, clockskew).
    #[arg(long, default_value_t = 1)]
    kills: usize,
    /// Seconds from whole views to the fault.
    #[arg(long, default_value_t = 2.0)]
    fault_at: f64,
    /// Seconds a partition, one-way cut or pause lasts
    /// [default: detection bound + 5 s; a pause 2 s].
    #[arg(long)]
    fault_for: Option<f64>,
    /// Seconds loss, pause and churn run [default: 60].
    #[arg(long)]
    duration: Option<f64>,
    /// pause: seconds between pauses.
    #[arg(long, default_value_t = 10.0)]
    pause_every: f64,
    /// churn: seconds between kills.
    #[arg(long, default_value_t = 10.0)]
    churn_every: f64,
    /// churn: seconds a killed node stays down.
    #[arg(long, default_value_t = 15.0)]
    downtime: f64,
    /// Skew every node's clocks with libfaketime (implied by clockskew).
    #[arg(long)]
    clockskew: bool,
    /// Print the report as JSON (the simulator's fields plus join_s,
    /// detections and timeline).
    #[arg(long)]
    json: bool,
    /// Keep the nodes' data directories and logs even when every check passes.
    #[arg(long)]
    keep: bool,
}

fn parse_scenario(s: &str) -> Result<Scenario, String> {
    Scenario::from_name(s).ok_or_else(|| {
        let all: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        format!("expected one of: {}", all.join(", "))
    })
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::from_name(s).ok_or_else(|| "expected local, lan or wan".to_owned())
}

fn main() -> ExitCode {
    let a = Args::parse();
    if let Some(why) = lifebuoy_chaos::unsupported_reason() {
        eprintln!("error: cannot run here: {why}");
        return ExitCode::from(2);
    }
    let mut spec = Spec::new(a.scenario, a.binary);
    spec.nodes = a.nodes;
    spec.seed = a.seed;
    spec.profile = a.profile;
    spec.loss_pct = a.loss;
    spec.kills = a.kills;
    spec.fault_at_s = a.fault_at;
    spec.fault_for_s = a.fault_for;
    spec.duration_s = a.duration;
    spec.pause_every_s = a.pause_every;
    spec.churn_every_s = a.churn_every;
    spec.downtime_s = a.downtime;
    spec.clockskew |= a.clockskew;
    spec.keep = a.keep;
    match run(&spec) {
        Ok(outcome) => {
            if a.json {
                println!("{}", outcome.to_json());
            } else {
                println!("{outcome}");
            }
            if outcome.report.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e @ ChaosError::Usage(_)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
