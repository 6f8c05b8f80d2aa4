//! Signed claims under attack (docs/security.md): 10% of the members forge
//! and replay claims, collude against one victim at a time and answer
//! ping-reqs for crashed members, yet no honest member is declared failed
//! and crashed members are still detected within the bound of SWIM 4 /
//! Lifeguard 4.2.

mod common;

use lifebuoy_sim::{Liars, Scenario, SimConfig};

#[test]
fn liars_forging_and_replaying_claims_get_no_honest_member_declared_failed() {
    let cfg = SimConfig {
        kills: Some(2),
        liars: Some(Liars::Fraction(0.10)),
        ..common::config(Scenario::Byzantine, 80, 3)
    };
    let r = common::run_passing(&cfg);
    assert_eq!(r.false_positives, 0);
    assert_eq!(r.missed, Some(0), "crashed members were still detected");
    assert_eq!(r.counters["liars"], 8);
    let s = r
        .signatures
        .as_ref()
        .expect("the simulator reports signatures");
    assert!(s.enabled);
    assert!(s.bad > 0, "forged claims were dropped: {s:?}");
    assert!(
        s.down_weightings > 0,
        "persistent accusers were down-weighted: {s:?}"
    );
    assert!(
        r.counters["liar_forged_acks"] > 0,
        "liars vouched for the crashed"
    );
    assert!(
        s.forged_acks > 0 && s.ack_proofs_verified > 0,
        "forged acks were refused, honest relayed acks checked: {s:?}"
    );
}

#[test]
fn liars_can_be_given_as_a_count() {
    let cfg = SimConfig {
        kills: Some(1),
        liars: Some(Liars::Count(5)),
        duration_s: Some(30.0),
        ..common::config(Scenario::Byzantine, 40, 4)
    };
    let r = lifebuoy_sim::run(&cfg).expect("runs");
    assert_eq!(r.counters["liars"], 5);
    assert_eq!(r.false_positives, 0);
}
