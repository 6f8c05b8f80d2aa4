//! A rogue member: a real process that joins a cluster of `lifebuoy run`
//! nodes over real libp2p (QUIC) with a valid identity of its own, and then
//! attacks with the simulator's byzantine forgeries
//! (`lifebuoy_sim::forge`): false accusations signed by itself, Dead claims
//! forged in other members' names, inflated incarnations, resurrections of
//! crashed members (replayed old Alive claims, forged refutations, forged
//! acks to every ping-req) and floods above the per-peer frame rate.
//!
//! It prints one JSON line on stdout when it starts (`{"peer_id": ...}`)
//! and one per second with its counters, so a test can check that it
//! really attacked. Never part of the shipped CLI: `lifebuoy-rogue` is this
//! package's binary, and [`run`] is what tests start as a child process.

mod behaviour;

use std::time::{Duration, Instant};

use futures::StreamExt;
use lifebuoy::libp2p::{identity::Keypair, Multiaddr, SwarmBuilder};
use lifebuoy::PeerAuth;

pub use behaviour::{Rogue, RogueStats};

/// What the rogue does, and for how long.
#[derive(Debug, Clone)]
pub struct RogueSpec {
    /// The cluster's name (every stream's hello carries it, and claims are signed over it).
    pub cluster: String,
    /// Protocol preset of the honest nodes: `local`, `lan`, `wan`...
    pub profile: String,
    /// Where to listen (a QUIC multiaddr on loopback, port 0 for any).
    pub listen: Multiaddr,
    /// A member to join through.
    pub bootstrap: Multiaddr,
    /// Time between two attacks.
    pub period: Duration,
    /// Time between two floods (none if zero).
    pub flood_every: Duration,
    /// Frames per flood, to one member.
    pub flood_frames: usize,
    /// When to stop (it is also killed by whoever started it).
    pub duration: Duration,
    /// Seed of its choices.
    pub seed: u64,
}

/// Runs the rogue until `spec.duration` has passed.
pub fn run(spec: &RogueSpec) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    rt.block_on(run_async(spec))
}

async fn run_async(spec: &RogueSpec) -> Result<(), String> {
    let kp = Keypair::generate_ed25519();
    let protocol = lifebuoy::core::Config::preset(&spec.profile)
        .ok_or_else(|| format!("unknown profile {:?}", spec.profile))?;
    let protocol = lifebuoy::core::Config {
        cluster: spec.cluster.clone(),
        ..protocol
    };
    let cfg = lifebuoy::Config::new(protocol).with_name("rogue");
    let inner = lifebuoy::Behaviour::new(&kp, cfg).map_err(|e| format!("config: {e}"))?;
    let rogue = Rogue::new(
        inner,
        PeerAuth::new(kp.clone()),
        spec.cluster.clone(),
        spec.seed,
    );
    let mut swarm = SwarmBuilder::with_existing_identity(kp.clone())
        .with_tokio()
        .with_quic()
        .with_behaviour(|_| rogue)
        .map_err(|e| format!("swarm: {e}"))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(30)))
        .build();
    swarm
        .listen_on(spec.listen.clone())
        .map_err(|e| format!("listen on {}: {e}", spec.listen))?;
    swarm
        .behaviour_mut()
        .inner_mut()
        .join([spec.bootstrap.clone()]);
    println!(
        "{}",
        serde_json::json!({ "peer_id": kp.public().to_peer_id().to_string() })
    );

    let start = Instant::now();
    let mut attack = tokio::time::interval(spec.period);
    let mut report = tokio::time::interval(Duration::from_secs(1));
    let mut last_flood = Instant::now();
    while start.elapsed() < spec.duration {
        tokio::select! {
            _ = swarm.select_next_some() => {}
            _ = attack.tick() => {
                let r = swarm.behaviour_mut();
                r.attack();
                if !spec.flood_every.is_zero() && last_flood.elapsed() >= spec.flood_every {
                    last_flood = Instant::now();
                    r.flood(spec.flood_frames);
                }
            }
            _ = report.tick() => {
                let s = swarm.behaviour().stats;
                println!(
                    "{}",
                    serde_json::json!({
                        "t_ms": start.elapsed().as_millis() as u64,
                        "peers": swarm.connected_peers().count(),
                        "attacks": s.attacks,
                        "forged_claims": s.forged_claims,
                        "forged_acks": s.forged_acks,
                        "flood_frames": s.flood_frames,
                        "frames_sent": s.frames_sent,
                        "frames_dropped": s.frames_dropped,
                    })
                );
            }
        }
    }
    Ok(())
}
