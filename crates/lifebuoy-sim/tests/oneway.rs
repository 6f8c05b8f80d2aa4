//! SWIM 4.2 with asymmetric reachability: when one half cannot send to the
//! other, failures declared on either side are explained by the cut, and the
//! views reconverge after the heal.

mod common;

use lifebuoy_sim::Scenario;

#[test]
fn views_reconverge_after_a_one_way_partition_heals_swim_4_2() {
    let cfg = common::config(Scenario::Oneway, 100, 1);
    let r = common::run_passing(&cfg);
    assert_eq!(r.false_positives, 0);
    assert!(
        r.counters["failed_events"] > 0,
        "the cut side must be declared failed"
    );
    assert!(r.converge_s.is_some_and(|c| c <= r.bounds["converge_s"]));
}
