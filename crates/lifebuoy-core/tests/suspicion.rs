//! SWIM section 4.2 (suspicion, refutation) and Lifeguard section 4.2
//! (dynamic suspicion timeout).

mod common;

use std::time::Duration;

use common::{quiet, Net};
use lifebuoy_core::{Config, MemberState};

/// memberlist's LAN timings, quiet: outages of a few seconds stay shorter
/// than the suspicion timeout, as these refutation tests need.
fn quiet_memberlist() -> Config {
    Config {
        push_pull_interval: Duration::ZERO,
        reconnect_interval: Duration::ZERO,
        ..Config::memberlist_lan()
    }
}

#[test]
fn a_crashed_member_is_declared_failed_by_everyone_swim_4_2() {
    let mut net = Net::converged(8, quiet());
    net.run_for(Duration::from_secs(2));
    net.crash(7);
    let crashed_at = net.now;
    net.run_for(Duration::from_secs(40));
    for i in 0..7 {
        assert_eq!(net.state_of(i, 7), Some(MemberState::Dead), "observer {i}");
    }
    let failed = net.events_about(7, "failed");
    assert_eq!(failed.len(), 7, "one failed event per survivor");
    let cfg = quiet();
    let bound = cfg.suspicion_max(8) + cfg.probe_interval * 2 + cfg.probe_interval * 8;
    for (t, _) in failed {
        assert!(t - crashed_at <= bound);
    }
    assert!(
        net.events
            .iter()
            .all(|(_, _, e)| e.name() != "failed" || e.member().id == 7),
        "no one else failed"
    );
}

#[test]
fn confirmations_from_other_members_shorten_the_suspicion_to_the_minimum_lifeguard_4_2() {
    // With 8 members, k = suspicion_mult - 2 = 2 confirmations are expected:
    // the max timeout is 6x the min, but every survivor probes the crashed
    // member and confirms, so detection lands near the minimum.
    let cfg = quiet();
    let mut net = Net::converged(8, cfg.clone());
    net.run_for(Duration::from_secs(2));
    net.crash(7);
    let crashed_at = net.now;
    net.run_for(Duration::from_secs(60));
    let first = net
        .events_about(7, "failed")
        .into_iter()
        .map(|(t, _)| t)
        .min()
        .expect("detected");
    let took = first - crashed_at;
    assert!(took >= cfg.suspicion_min(8), "{took:?}");
    assert!(
        took < cfg.suspicion_max(8) / 2,
        "confirmations shortened the timeout: {took:?}"
    );
}

#[test]
fn a_suspected_member_refutes_by_raising_its_incarnation_swim_4_2() {
    let mut net = Net::converged(5, quiet_memberlist());
    net.run_for(Duration::from_secs(1));
    // 4 is unreachable for 3 s: long enough to be suspected, far shorter than the timeout.
    net.isolated.insert(4);
    net.run_for(Duration::from_secs(3));
    net.isolated.clear();
    net.run_for(Duration::from_secs(20));
    assert!(!net.events_about(4, "suspected").is_empty());
    assert!(
        net.events_about(4, "failed").is_empty(),
        "refuted before the timeout"
    );
    assert!(net.core(4).local().incarnation >= 1);
    for i in 0..4 {
        assert_eq!(net.state_of(i, 4), Some(MemberState::Alive), "observer {i}");
        assert_eq!(
            net.incarnation_of(i, 4),
            Some(net.core(4).local().incarnation)
        );
    }
    assert!(
        !net.events_about(4, "alive").is_empty(),
        "observers report the refutation"
    );
}

#[test]
fn a_member_wrongly_declared_dead_comes_back_at_a_higher_incarnation_swim_4_2() {
    let mut net = Net::converged(5, quiet());
    net.run_for(Duration::from_secs(1));
    net.isolated.insert(4);
    net.run_for(Duration::from_secs(60));
    assert_eq!(net.state_of(0, 4), Some(MemberState::Dead));
    net.isolated.clear();
    // With reconnects disabled, the dead member hears gossip-to-the-dead or
    // probes nobody; enable healing through a push-pull from the member itself.
    let now = net.now;
    net.core_mut(4).join(now, vec![common::addr(0)]);
    net.drain(4);
    net.run_for(Duration::from_secs(20));
    for i in 0..4 {
        assert_eq!(net.state_of(i, 4), Some(MemberState::Alive), "observer {i}");
    }
}

#[test]
fn a_refutation_goes_straight_back_to_the_accuser_lifeguard_4_3() {
    let mut net = Net::converged(6, quiet_memberlist());
    net.run_for(Duration::from_secs(1));
    net.isolated.insert(5);
    net.run_for(Duration::from_secs(6));
    let accusers: Vec<u32> = net
        .events_about(5, "suspected")
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    assert!(!accusers.is_empty());
    net.isolated.clear();
    let healed_at = net.now;
    net.run_for(Duration::from_secs(5));
    use lifebuoy_core::wire::{decode_update, Kind, Update};
    // The first accusation that reached 5 after the heal, and who made it.
    let (arrived, accuser) = net
        .sent
        .iter()
        .filter(|f| f.to == 5 && f.at > healed_at)
        .find_map(|f| {
            f.packet()
                .gossip
                .iter()
                .find_map(|g| match decode_update::<u32>(g) {
                    Ok(Update::Suspect { id: 5, from, .. }) => Some((f.at, from)),
                    _ => None,
                })
        })
        .expect("the suspicion reached 5");
    let direct = net.sent.iter().any(|f| {
        f.from == 5
            && f.to == accuser
            && f.at == arrived + common::LATENCY
            && matches!(f.packet().kind, Kind::Gossip)
            && f.packet()
                .gossip
                .iter()
                .any(|g| matches!(decode_update::<u32>(g), Ok(Update::Alive { id: 5, .. })))
    });
    assert!(direct, "the suspect sent its refutation directly");
    assert!(net.events_about(5, "failed").is_empty());
}

#[test]
fn an_accuser_that_missed_the_refutation_is_reminded_before_its_timeout_swim_4_2() {
    // Found by the simulator (loss, seed 1): the refutation gossip to one
    // accuser was lost, and the suspect ignored that accuser's stale buddy
    // ping, so the accuser declared a live member dead.
    // A long suspicion minimum (20 s), so the accuser is back well before
    // its deadline and only a reminder from the suspect can save it.
    let cfg = Config {
        suspicion_mult: 20,
        ..quiet()
    };
    let mut net = Net::converged(6, cfg);
    net.run_for(Duration::from_secs(1));
    net.isolated.insert(5);
    net.run_for(Duration::from_secs(6));
    let accusers: Vec<u32> = net
        .events_about(5, "suspected")
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    let victim_of_loss = accusers[0];
    // The accuser hears nothing while 5 comes back and refutes to
    // everyone else, and the refutation's gossip budget is spent.
    net.isolated.clear();
    net.isolated.insert(victim_of_loss);
    for _ in 0..10 {
        net.run_for(Duration::from_secs(1));
        if net.core(5).local().incarnation >= 1 {
            break;
        }
    }
    assert!(net.core(5).local().incarnation >= 1, "5 refuted");
    net.run_for(Duration::from_secs(3));
    assert_eq!(net.state_of(victim_of_loss, 5), Some(MemberState::Suspect));
    let other = if victim_of_loss == 1 { 2 } else { 1 };
    assert_eq!(net.state_of(other, 5), Some(MemberState::Alive));
    // Now the accuser is back: its next probe of 5 carries the stale
    // suspicion, and 5 answers with its current claim.
    net.isolated.clear();
    net.run_for(Duration::from_secs(60));
    assert_eq!(net.state_of(victim_of_loss, 5), Some(MemberState::Alive));
    assert!(
        net.events_about(5, "failed").is_empty(),
        "nobody declared 5 failed"
    );
}
