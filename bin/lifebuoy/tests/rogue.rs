//! A rogue member against five honest `lifebuoy run` processes on loopback
//! (issue 6: "a real-process test runs a rogue node that sends forged
//! claims, and the honest nodes are unaffected").
//!
//! The rogue is `lifebuoy_chaos::rogue`: a real process with its own
//! libp2p identity and QUIC endpoint that joins as a member and attacks
//! with the simulator's forgeries (false Dead/Suspect claims signed by
//! itself, Dead claims forged in honest members' names, inflated
//! incarnations, replays, resurrections and forged acks for a crashed
//! member, floods above the per-peer frame rate).
//!
//! Locating binaries: the honest nodes are this package's `lifebuoy`
//! (`CARGO_BIN_EXE_lifebuoy`). A test cannot get another package's binary
//! that way, so this test has its own `main` (`harness = false`) and the
//! rogue is this same test executable started again as a child process
//! with the argument `rogue`: it then runs `lifebuoy_chaos::rogue::run` (a
//! dev-dependency) and nothing else. Both are built by `cargo test` with no
//! extra step. (`lifebuoy-chaos` also has a `lifebuoy-rogue` binary for
//! manual runs.)
//!
//! What it asserts, from each survivor's `--events-json` stream and
//! `/metrics`: no honest live member is ever reported failed or left; the
//! SIGKILLed member is reported failed by every survivor within the config's
//! normal detection bound (`suspicion_max(n) + 2 probe intervals`), attack
//! or not;
//! every survivor dropped claims with bad signatures, and rate limits and
//! the penalties of refuted accusers were applied.
//!
//! Runs in 45-90 s; every process is killed by a guard, even on panic.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use lifebuoy_chaos::rogue::{run, RogueSpec};
use serde_json::Value;

/// Honest nodes; the last one is SIGKILLed.
const HONEST: usize = 5;
/// How long the rogue attacks before the kill.
const ATTACK: Duration = Duration::from_secs(20);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("rogue") {
        rogue_child(&args[2]);
        return;
    }
    if args.iter().skip(1).any(|a| a == "--list") {
        println!("a_rogue_member_forging_claims_evicts_nobody_and_cannot_hide_a_crash: test");
        return;
    }
    a_rogue_member_forging_claims_evicts_nobody_and_cannot_hide_a_crash();
    println!("test a_rogue_member_forging_claims_evicts_nobody_and_cannot_hide_a_crash ... ok");
}

fn rogue_child(bootstrap: &str) {
    let spec = RogueSpec {
        cluster: "lifebuoy".into(),
        profile: "local".into(),
        listen: "/ip4/127.0.0.1/udp/0/quic-v1".parse().expect("listen"),
        bootstrap: bootstrap.parse().expect("bootstrap multiaddr"),
        period: Duration::from_millis(100),
        flood_every: Duration::from_secs(5),
        flood_frames: 600,
        duration: Duration::from_secs(120),
        seed: 7,
    };
    if let Err(e) = run(&spec) {
        eprintln!("rogue: {e}");
        std::process::exit(1);
    }
}

/// Kills the rogue when dropped.
struct RogueGuard(Child);

impl Drop for RogueGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn monotonic_ms() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1000
        + u64::try_from(ts.tv_nsec).unwrap_or(0) / 1_000_000
}

fn events(lines: &Arc<Mutex<Vec<String>>>) -> Vec<Value> {
    lines
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Sum of a counter's samples in a Prometheus exposition.
fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Every honest (name) a node's events ever reported dead or left.
fn honest_failures(evs: &[Value], honest: &[String]) -> Vec<String> {
    evs.iter()
        .filter(|e| e["state"] == "dead" || e["state"] == "left")
        .filter_map(|e| e["node"].as_str())
        .filter(|n| honest.iter().any(|h| h == n))
        .map(str::to_owned)
        .collect()
}

fn a_rogue_member_forging_claims_evicts_nobody_and_cannot_hide_a_crash() {
    let t0 = Instant::now();
    let mut cluster = Cluster::new("rogue");
    cluster.spawn("n0", None, true);
    let seed = format!("/ip4/127.0.0.1/udp/{}/quic-v1", cluster.agents[0].quic);
    for i in 1..HONEST {
        cluster.spawn(&format!("n{i}"), Some(seed.clone()), true);
    }
    wait_all(
        &cluster,
        "5 alive members everywhere",
        Duration::from_secs(40),
        |m| m.len() == HONEST && m.iter().all(|(_, s)| s == "alive"),
    );

    let mut cmd = Command::new(std::env::current_exe().expect("own executable"));
    cmd.args(["rogue", &seed])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let (child, rogue_lines) = spawn_collecting_stdout(&mut cmd);
    let _rogue = RogueGuard(child);
    let rogue_stat = |key: &str| {
        events(&rogue_lines)
            .last()
            .and_then(|v| v[key].as_u64())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while rogue_stat("peers") < HONEST as u64 || rogue_stat("attacks") == 0 {
        assert!(
            Instant::now() < deadline,
            "the rogue did not connect to every honest node: {:?}",
            events(&rogue_lines).last()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let attack_start = Instant::now();
    eprintln!("rogue attacking from {:?}", t0.elapsed());

    let names: Vec<String> = (0..HONEST).map(|i| format!("n{i}")).collect();
    while attack_start.elapsed() < ATTACK {
        for a in cluster.running() {
            let bad = honest_failures(&events(&a.stdout_lines), &names);
            assert!(bad.is_empty(), "{} reported honest {bad:?} failed", a.name);
        }
        std::thread::sleep(Duration::from_millis(500));
    }

    // SIGKILL the last honest node: the rogue now tries to keep it alive.
    let victim = HONEST - 1;
    let mut c = cluster.agents[victim].child.take().expect("victim running");
    c.kill().expect("SIGKILL");
    let killed_ms = monotonic_ms();
    let _ = c.wait();
    let cfg = lifebuoy::core::Config::local();
    let bound = cfg.suspicion_max(HONEST + 1) + 2 * cfg.probe_interval;
    let victim_name = names[victim].clone();
    let survivors: Vec<usize> = (0..victim).collect();
    let deadline = Instant::now() + bound + Duration::from_secs(5);
    let detected: Vec<u64> = loop {
        let seen: Vec<Option<u64>> = survivors
            .iter()
            .map(|&i| {
                events(&cluster.agents[i].stdout_lines)
                    .iter()
                    .find(|e| e["node"] == victim_name.as_str() && e["state"] == "dead")
                    .and_then(|e| e["t_ms"].as_u64())
            })
            .collect();
        if seen.iter().all(Option::is_some) {
            break seen.into_iter().flatten().collect();
        }
        assert!(
            Instant::now() < deadline,
            "the killed {victim_name} was not reported failed by every survivor: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let after: Vec<u64> = detected
        .iter()
        .map(|t| t.saturating_sub(killed_ms))
        .collect();
    eprintln!("{victim_name} reported failed after {after:?} ms (normal bound {bound:?})");
    for (i, ms) in after.iter().enumerate() {
        assert!(
            Duration::from_millis(*ms) <= bound,
            "n{i} reported the killed {victim_name} failed after {ms} ms, above the bound {bound:?}"
        );
    }

    // No honest live member was ever reported failed or left, and every
    // survivor saw the attack.
    let live = &names[..victim];
    let (mut bad_sigs, mut limited, mut refuted) = (0, 0, 0);
    for &i in &survivors {
        let a = &cluster.agents[i];
        let bad = honest_failures(&events(&a.stdout_lines), live);
        assert!(bad.is_empty(), "{} reported honest {bad:?} failed", a.name);
        let m = http_get(&a.api, "/metrics");
        let b = counter(&m, "lifebuoy_claims_bad_signature_total");
        let l = counter(&m, "lifebuoy_frames_rate_limited_total")
            + counter(&m, "lifebuoy_accusations_rate_limited_total");
        let r = counter(&m, "lifebuoy_accusers_down_weighted_total")
            + counter(&m, "lifebuoy_accusations_ignored_total");
        eprintln!(
            "{}: bad signatures {b}, rate-limited {l}, refuted-accuser penalties {r}",
            a.name
        );
        assert!(b > 0, "{} counted no bad signature", a.name);
        (bad_sigs, limited, refuted) = (bad_sigs + b, limited + l, refuted + r);
    }
    assert!(bad_sigs > 0 && limited > 0 && refuted > 0,
        "the attack left no trace: bad signatures {bad_sigs}, rate-limited {limited}, refuted {refuted}");
    eprintln!("rogue: {:?}", events(&rogue_lines).last());
    eprintln!("done in {:?}", t0.elapsed());
}
