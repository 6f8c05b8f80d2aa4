//! Lifeguard sections 4.1-4.3: on a lossy network, local health awareness,
//! nacks, dynamic suspicion and the buddy system keep healthy members from
//! being declared failed.

mod common;

use lifebuoy_sim::Scenario;

#[test]
fn ten_percent_message_loss_declares_no_live_node_failed_lifeguard_4() {
    let cfg = common::config(Scenario::Loss, 100, 1);
    let r = common::run_passing(&cfg);
    assert_eq!(r.loss, 0.10);
    assert_eq!(r.false_positives, 0);
    assert!(
        r.counters["suspected_events"] > 0,
        "loss must cause some suspicions to refute"
    );
}
