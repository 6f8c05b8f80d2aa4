//! Lifeguard 4.2-4.3: a node that stalls for 2 s every 10 s (GC pause,
//! SIGSTOP) on a 5% lossy network refutes its suspicion when it resumes and
//! is never declared failed.

mod common;

use lifebuoy_sim::Scenario;

#[test]
fn a_node_paused_two_seconds_in_ten_is_never_declared_failed_lifeguard_4_3() {
    let cfg = common::config(Scenario::Pause, 100, 1);
    let r = common::run_passing(&cfg);
    assert!(r.counters["pauses"] >= 10);
    assert_eq!(r.loss, 0.05);
    assert_eq!(r.false_positives, 0);
    assert_eq!(r.counters["failed_events"], 0);
}

#[test]
fn among_32_nodes_a_two_second_stall_is_never_declared_failed_lifeguard_4_3() {
    // The LAN preset's 2 s suspicion floor is what makes this hold with
    // 2 s detection timeouts (docs/protocol.md, "Detection policy").
    let cfg = lifebuoy_sim::SimConfig {
        duration_s: Some(300.0),
        ..common::config(Scenario::Pause, 32, 2)
    };
    let r = common::run_passing(&cfg);
    assert!(r.counters["pauses"] >= 25);
    assert!(r.counters["suspected_events"] > 0, "the stalls are noticed");
    assert_eq!(r.false_positives, 0);
    assert_eq!(r.counters["failed_events"], 0);
}
