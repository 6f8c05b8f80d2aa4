//! SWIM 4.1 dissemination and memberlist's join push-pull: nodes that all
//! start at once through one seed see the whole cluster within 10 s.

mod common;

use lifebuoy_sim::Scenario;

#[test]
fn a_cold_started_cluster_converges_through_one_seed_swim_4_1() {
    let cfg = common::config(Scenario::Join, 200, 1);
    let r = common::run_passing(&cfg);
    let c = r.converge_s.expect("the cluster converges");
    assert!(c <= 10.0, "converged in {c} s");
    assert!(
        r.steady_window_s[0] >= c,
        "the join storm is excluded from traffic rates"
    );
}
