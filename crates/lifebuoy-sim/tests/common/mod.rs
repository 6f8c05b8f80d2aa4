//! Shared helpers for the scenario tests.
#![allow(dead_code)]

use lifebuoy_sim::{run, Report, Scenario, SimConfig};

pub fn config(scenario: Scenario, nodes: u32, seed: u64) -> SimConfig {
    SimConfig {
        nodes,
        ..SimConfig::new(scenario, seed)
    }
}

/// Runs and asserts that every checker passed, printing the report if not.
pub fn run_passing(cfg: &SimConfig) -> Report {
    let report = run(cfg).expect("the simulation runs");
    assert!(report.passed, "a checker failed:\n{report}");
    report
}
