//! The CI short suite of the fault-injection harness (testnet/chaos): real
//! `lifebuoy run` processes, each in its own network namespace, under kill,
//! loss + pause, partition + heal and restart. About two minutes in all;
//! skipped with a printed reason when not root or `ip`/`nft` are missing.
//!
//! The nodes run this package's own test build of the binary
//! (`CARGO_BIN_EXE_lifebuoy`), which `cargo test` builds anyway: the suite
//! costs no extra compilation.

use std::path::PathBuf;
use std::sync::Mutex;

use lifebuoy_chaos::{run, Scenario, Spec};

/// One scenario at a time: each starts 8 processes.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn spec(scenario: Scenario) -> Option<Spec> {
    if let Some(why) = lifebuoy_chaos::unsupported_reason() {
        eprintln!("skipped: {why}");
        return None;
    }
    Some(Spec::new(
        scenario,
        PathBuf::from(env!("CARGO_BIN_EXE_lifebuoy")),
    ))
}

fn run_and_check(spec: &Spec) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let outcome = match run(spec) {
        Ok(o) => o,
        Err(e) => panic!("the {} run broke: {e}", spec.scenario.name()),
    };
    eprintln!("{outcome}");
    assert!(outcome.report.passed, "{outcome}");
}

/// SWIM §4 and Lifeguard §4.2: a SIGKILLed node is declared failed by every
/// survivor within the maximum suspicion timeout + 2 probe periods.
#[test]
fn a_killed_node_is_detected_by_every_survivor_within_the_bound() {
    let Some(spec) = spec(Scenario::Kill) else {
        return;
    };
    run_and_check(&spec);
}

/// Lifeguard §3-4: a node that stalls for 2 s (SIGSTOP) on a network that
/// drops 5% of packets is not declared failed, nor is anyone else.
#[test]
fn loss_and_pauses_cause_no_false_failures() {
    let Some(mut spec) = spec(Scenario::Pause) else {
        return;
    };
    spec.duration_s = Some(24.0);
    spec.pause_every_s = 8.0;
    run_and_check(&spec);
}

/// SWIM §4.2 with memberlist's push-pull: after a partition long enough for
/// each half to declare the other failed, the views become whole again.
#[test]
fn views_become_whole_after_a_partition_heals() {
    let Some(mut spec) = spec(Scenario::Partition) else {
        return;
    };
    spec.fault_for_s = Some(15.0);
    run_and_check(&spec);
}

/// SWIM §4.2 (incarnation numbers): a node killed and started again with
/// the same data directory comes back with the same PeerId, refutes its
/// death and is alive in every view again.
#[test]
fn a_restarted_node_keeps_its_identity_and_is_alive_everywhere_again() {
    let Some(spec) = spec(Scenario::Restart) else {
        return;
    };
    run_and_check(&spec);
}

/// Nothing in lifebuoy may depend on clocks agreeing: with wall clocks hours
/// apart and wall and monotonic clocks running 10% slow to 10% fast
/// (libfaketime), a killed node is detected exactly as without skew, and
/// nobody else is declared failed.
#[test]
fn skewed_wall_and_monotonic_clocks_change_nothing_about_detection() {
    let Some(spec) = spec(Scenario::Clockskew) else {
        return;
    };
    if lifebuoy_chaos::faketime_lib().is_none() {
        eprintln!("skipped: libfaketime is not installed (Debian: faketime)");
        return;
    }
    run_and_check(&spec);
}
