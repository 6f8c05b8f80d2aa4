//! SWIM 4.2 and memberlist's push-pull anti-entropy: a 50/50 partition is
//! detected as failures on both sides (explained by the cut), and after the
//! heal the views converge within one scaled push-pull interval + 10 s.

mod common;

use lifebuoy_sim::{run, Scenario, SimConfig};

#[test]
fn views_reconverge_after_a_symmetric_partition_heals_swim_4_2() {
    let cfg = common::config(Scenario::Partition, 100, 1);
    let r = common::run_passing(&cfg);
    assert_eq!(r.false_positives, 0);
    assert!(
        r.counters["failed_events"] > 0,
        "each side must declare the other failed"
    );
    let c = r.converge_s.expect("views converge");
    assert!(c <= r.bounds["converge_s"]);
}

#[test]
fn the_convergence_checker_fails_when_its_bound_is_impossible() {
    let cfg = SimConfig {
        converge_bound_s: Some(0.001),
        ..common::config(Scenario::Partition, 50, 1)
    };
    let r = run(&cfg).expect("runs");
    assert!(!r.checks["views_converge"].pass, "{r}");
    assert!(!r.passed);
}
