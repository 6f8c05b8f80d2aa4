//! The simulator's contract: one seed replays the same run exactly.

mod common;

use lifebuoy_sim::{run, Scenario, SimConfig};

fn without_wall(mut r: lifebuoy_sim::Report) -> String {
    r.wall_s = 0.0;
    if let Some(s) = r.signatures.as_mut() {
        s.sign_us = 0.0;
        s.verify_us = 0.0;
        s.cpu_us_per_member_s = 0.0;
    }
    serde_json::to_string(&r).expect("serializes")
}

#[test]
fn the_same_seed_prints_the_same_report_except_wall_time() {
    for scenario in [Scenario::Churn, Scenario::Oneway] {
        let cfg = SimConfig {
            duration_s: Some(90.0),
            loss: Some(0.05),
            ..common::config(scenario, 60, 42)
        };
        let a = without_wall(run(&cfg).expect("runs"));
        let b = without_wall(run(&cfg).expect("runs"));
        assert_eq!(
            a, b,
            "{scenario:?} differs between two runs of the same seed"
        );
    }
}

#[test]
fn a_different_seed_gives_a_different_run() {
    let a = without_wall(run(&common::config(Scenario::Loss, 50, 1)).expect("runs"));
    let b = without_wall(run(&common::config(Scenario::Loss, 50, 2)).expect("runs"));
    assert_ne!(a, b);
}
