//! `lifebuoy-rogue`: a member that lies (see `lifebuoy_chaos::rogue`). For
//! security tests on loopback or a testnet; never part of the shipped CLI.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use lifebuoy_chaos::rogue::{run, RogueSpec};

/// Join a lifebuoy cluster and attack it with forged, false and replayed
/// claims, forged acks and floods. Prints JSON lines: its PeerId, then its
/// counters every second.
#[derive(Debug, Parser)]
#[command(name = "lifebuoy-rogue", version)]
struct Args {
    /// A member's multiaddr to join through.
    #[arg(long)]
    bootstrap: String,
    /// Where to listen.
    #[arg(long, default_value = "/ip4/127.0.0.1/udp/0/quic-v1")]
    listen: String,
    /// The cluster's name.
    #[arg(long, default_value = "lifebuoy")]
    cluster: String,
    /// The honest nodes' protocol preset.
    #[arg(long, default_value = "local")]
    profile: String,
    /// Milliseconds between attacks.
    #[arg(long, default_value_t = 100)]
    period_ms: u64,
    /// Seconds between floods (0: no flood).
    #[arg(long, default_value_t = 5)]
    flood_every_s: u64,
    /// Frames per flood.
    #[arg(long, default_value_t = 600)]
    flood_frames: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 60)]
    duration_s: u64,
    /// Seed of its choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let parse = |s: &str| s.parse().map_err(|e| format!("bad multiaddr {s}: {e}"));
    let spec = match (parse(&a.listen), parse(&a.bootstrap)) {
        (Ok(listen), Ok(bootstrap)) => RogueSpec {
            cluster: a.cluster,
            profile: a.profile,
            listen,
            bootstrap,
            period: Duration::from_millis(a.period_ms.max(1)),
            flood_every: Duration::from_secs(a.flood_every_s),
            flood_frames: a.flood_frames,
            duration: Duration::from_secs(a.duration_s),
            seed: a.seed,
        },
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&spec) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
