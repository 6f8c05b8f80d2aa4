//! Signed claims (docs/security.md): Alive and Left claims are signed by
//! their subject, Suspect and Dead claims by their accuser, and a liar's
//! accusations never get an honest member declared failed. The failure
//! detection itself is SWIM 4.2 with Lifeguard 4.2's dynamic suspicion.

mod common;

use std::time::Duration;

use common::signing::signed_as;
use common::{quiet, Net};
use lifebuoy_core::wire::{self, Kind, Update};
use lifebuoy_core::{Channel, MemberState};

const CLUSTER: &str = "lifebuoy";

/// Delivers gossip entries to `to` as if `from` sent them.
fn inject(net: &mut Net, to: u32, from: u32, entries: Vec<Vec<u8>>) {
    let bytes = wire::encode_parts(&Kind::<u32>::Gossip, &entries).expect("encode");
    let now = net.now;
    net.core_mut(to)
        .handle_message(now, from, Channel::Probe, &bytes)
        .expect("a well-formed message");
    net.drain(to);
}

fn alive(id: u32, incarnation: u64) -> Update<u32> {
    Update::Alive {
        id,
        incarnation,
        name: format!("n{id}"),
        addrs: vec![common::addr(id)],
        meta: Default::default(),
    }
}

/// A Suspect claim about `id` at `incarnation`, made and signed by `from`.
fn suspect_by(from: u32, id: u32, incarnation: u64) -> Vec<u8> {
    signed_as(
        from,
        CLUSTER,
        &Update::Suspect {
            id,
            incarnation,
            from,
        },
    )
}

fn no_failures_except(net: &Net, crashed: &[u32]) {
    for (_, observer, e) in &net.events {
        assert!(
            e.name() != "failed" || crashed.contains(&e.member().id),
            "node {observer} declared honest member {:?} failed",
            e.member().id
        );
    }
}

#[test]
fn an_alive_claim_not_signed_by_its_subject_is_dropped_and_counted() {
    let mut net = Net::converged_signed(4, quiet());
    // Node 3 lies that node 1 is alive at incarnation 50 (incarnation inflation).
    let forged = signed_as(3, CLUSTER, &alive(1, 50));
    let unsigned = wire::encode_update(&alive(2, 50)).expect("encode");
    inject(&mut net, 0, 3, vec![forged, unsigned]);
    assert_eq!(net.incarnation_of(0, 1), Some(0));
    assert_eq!(net.incarnation_of(0, 2), Some(0));
    assert_eq!(net.core(0).stats().bad_signatures, 2);
}

#[test]
fn a_left_claim_forged_by_another_member_makes_nobody_leave() {
    let mut net = Net::converged_signed(4, quiet());
    let forged = signed_as(
        3,
        CLUSTER,
        &Update::Left {
            id: 1,
            incarnation: 1,
        },
    );
    inject(&mut net, 0, 3, vec![forged]);
    assert_eq!(net.state_of(0, 1), Some(MemberState::Alive));
    assert_eq!(net.core(0).stats().bad_signatures, 1);
}

#[test]
fn a_claim_signed_for_another_cluster_is_refused() {
    let mut net = Net::converged_signed(4, quiet());
    let elsewhere = signed_as(1, "other", &alive(1, 7));
    inject(&mut net, 0, 3, vec![elsewhere]);
    assert_eq!(net.incarnation_of(0, 1), Some(0));
    assert_eq!(net.core(0).stats().bad_signatures, 1);
}

#[test]
fn a_genuine_signed_claim_is_relayed_unchanged() {
    let mut net = Net::converged_signed(4, quiet());
    let genuine = signed_as(1, CLUSTER, &alive(1, 3));
    inject(&mut net, 0, 3, vec![genuine.clone()]);
    assert_eq!(net.incarnation_of(0, 1), Some(3));
    net.run_for(Duration::from_secs(2));
    assert!(
        net.incarnation_of(2, 1) >= Some(3),
        "node 2 learned it (or node 1's refutation of it, SWIM 4.2)"
    );
    let relayed = net
        .sent
        .iter()
        .filter(|f| f.from == 0)
        .flat_map(|f| f.packet().gossip)
        .any(|g| g.as_ref() == genuine.as_slice());
    assert!(relayed, "node 0 passed on the very bytes node 1 signed");
}

#[test]
fn one_accusers_dead_claim_only_starts_a_suspicion_that_the_member_refutes_swim_4_2() {
    let mut net = Net::converged_signed(6, quiet());
    let dead = signed_as(
        5,
        CLUSTER,
        &Update::Dead {
            id: 1,
            incarnation: 0,
            from: 5,
        },
    );
    inject(&mut net, 0, 5, vec![dead]);
    assert_eq!(
        net.state_of(0, 1),
        Some(MemberState::Suspect),
        "suspected, not dead"
    );
    net.run_for(Duration::from_secs(60));
    for i in 0..6 {
        assert_eq!(net.state_of(i, 1), Some(MemberState::Alive), "observer {i}");
    }
    no_failures_except(&net, &[]);
}

/// A member that crashes right after refuting a suspicion before its Alive
/// claim reached everyone must still be detected by those it missed: an
/// accusation a few incarnations above the one we hold suspects the member
/// at the accusation's incarnation, and since Suspect beats Alive at the
/// same incarnation (SWIM 4.2), the member's Alive claim at it is no
/// refutation and its accuser is not marked wrong (issue 6, byzantine
/// scenario at N=1000). Only an Alive claim above it refutes.
#[test]
fn an_accusation_a_little_above_the_incarnation_we_hold_suspects_at_it_swim_4_2() {
    let mut net = Net::converged_signed(4, quiet());
    let ahead = suspect_by(3, 1, 2);
    inject(&mut net, 0, 3, vec![ahead]);
    assert_eq!(net.state_of(0, 1), Some(MemberState::Suspect));
    assert_eq!(net.incarnation_of(0, 1), Some(2), "at the accusation's");
    let same = signed_as(1, CLUSTER, &alive(1, 2));
    inject(&mut net, 0, 1, vec![same]);
    assert_eq!(
        net.state_of(0, 1),
        Some(MemberState::Suspect),
        "Alive@2 does not refute Suspect@2"
    );
    assert_eq!(net.core(0).stats().suspicions_refuted, 0);
    let above = signed_as(1, CLUSTER, &alive(1, 3));
    inject(&mut net, 0, 1, vec![above]);
    assert_eq!(net.state_of(0, 1), Some(MemberState::Alive), "Alive@3 does");
    assert_eq!(net.core(0).stats().implausible_claims, 0);
}

/// A suspicion moved up to a higher incarnation keeps its deadline: an
/// accuser cannot keep a crashed member alive by naming ever higher
/// incarnations (Lifeguard 4.2; issue 6).
#[test]
fn raising_a_suspicion_to_a_higher_incarnation_does_not_delay_the_verdict() {
    let mut net = Net::converged_signed(6, quiet());
    net.crash(1);
    let t0 = net.now;
    for inc in 1..=4u64 {
        let from = 2 + (inc as u32 % 3);
        let claim = suspect_by(from, 1, inc);
        inject(&mut net, 0, from, vec![claim]);
        net.run_for(Duration::from_secs(2));
    }
    net.run_for(Duration::from_secs(60));
    let failed = net.events_about(1, "failed");
    let at = failed
        .iter()
        .find(|(_, observer)| *observer == 0)
        .map(|(t, _)| *t)
        .expect("node 0 declared the crashed member failed");
    let bound = quiet().suspicion_max(6) + quiet().probe_interval * 4;
    assert!(
        at.duration_since(t0) <= bound,
        "declared after {:?}, bound {bound:?}",
        at.duration_since(t0)
    );
}

/// A suspicion we held past its deadline because the member kept answering
/// our final checks while its refutation missed us, then moved up when the
/// member paused and was suspected again: the member was alive after our
/// suspicion began, so it gets a minimum timeout from the raise and is not
/// declared failed in the middle of a short pause (Lifeguard 4.2; the chaos
/// test's false failure of 2026-12-07, docs/performance.md).
#[test]
fn a_suspicion_raised_after_its_deadline_waits_a_minimum_timeout_before_the_verdict() {
    let config = quiet();
    // Longer than the two probe intervals an answered final check adds.
    let pause = config.suspicion_min(4) - config.probe_timeout / 2;
    assert!(pause > config.probe_interval * 2);
    let mut net = Net::converged_signed(4, config);
    // Every Alive claim of node 1 above incarnation 0 misses node 0.
    net.lost = Some(Box::new(|to, _, u| {
        to == 0 && matches!(u, Update::Alive { id: 1, incarnation, .. } if *incarnation > 0)
    }));
    inject(&mut net, 0, 3, vec![suspect_by(3, 1, 0)]);
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.state_of(0, 1), Some(MemberState::Suspect));
    assert_eq!(net.incarnation_of(0, 1), Some(0));
    let inc = net.incarnation_of(2, 1).expect("known");
    assert!(inc >= 1, "node 1 refuted, node 2 holds it at {inc}");
    // Node 1 pauses for nearly a minimum timeout and is suspected again.
    net.isolated.insert(1);
    inject(&mut net, 0, 2, vec![suspect_by(2, 1, inc)]);
    assert_eq!(
        net.incarnation_of(0, 1),
        Some(inc),
        "the suspicion moved up"
    );
    net.run_for(pause);
    net.isolated.remove(&1);
    net.lost = None;
    net.run_for(Duration::from_secs(30));
    no_failures_except(&net, &[]);
    for i in 0..4 {
        assert_eq!(net.state_of(i, 1), Some(MemberState::Alive), "observer {i}");
    }
}

/// An accusation naming an incarnation far above anything the member signed
/// that reached us (made up, or a liar provoked refutations faster than they
/// reach us) counts at the incarnation we hold: a live member refutes it,
/// and nobody is declared failed (issue 6, the rogue test).
#[test]
fn an_accusation_far_above_the_incarnation_we_hold_counts_at_ours_and_a_live_member_refutes_it() {
    let mut net = Net::converged_signed(4, quiet());
    let inflated = suspect_by(3, 1, 1_000);
    inject(&mut net, 0, 3, vec![inflated]);
    assert_eq!(net.state_of(0, 1), Some(MemberState::Suspect));
    assert_eq!(net.incarnation_of(0, 1), Some(0), "at ours, not 1,000");
    assert_eq!(net.core(0).stats().implausible_claims, 1);
    net.run_for(Duration::from_secs(60));
    for i in 0..4 {
        assert_eq!(net.state_of(i, 1), Some(MemberState::Alive), "observer {i}");
    }
    no_failures_except(&net, &[]);
}

#[test]
fn a_member_accusing_us_over_and_over_cannot_keep_our_health_at_its_worst_lifeguard_4_1() {
    let mut net = Net::converged_signed(4, quiet());
    let mut worst = 0;
    for _ in 0..40 {
        let inc = net.core(0).local().incarnation;
        let lie = suspect_by(3, 0, inc);
        inject(&mut net, 0, 3, vec![lie]);
        worst = worst.max(net.core(0).health_score());
        net.run_for(Duration::from_millis(250));
    }
    let c = net.core(0);
    assert!(c.stats().self_refutes >= 40, "every lie was refuted");
    assert!(
        worst <= 4,
        "health score reached {worst} (max {})",
        c.config().awareness_max_multiplier - 1
    );
    assert!(c.stats().accusers_down_weighted >= 1);
    assert!(
        c.health_score() <= 1,
        "score {} while the lies go on",
        c.health_score()
    );
}

#[test]
fn accusations_are_rate_limited_per_accuser() {
    let mut net = Net::converged_signed(12, quiet());
    let claims = (1..11).map(|id| suspect_by(11, id, 0)).collect();
    inject(&mut net, 0, 11, claims);
    let suspected = (1..11)
        .filter(|&i| net.state_of(0, i) == Some(MemberState::Suspect))
        .count();
    assert_eq!(suspected, 4, "a burst of 4, then one per probe interval");
    assert_eq!(net.core(0).stats().accusations_rate_limited, 6);
}

#[test]
fn an_accuser_whose_accusations_keep_being_refuted_is_down_weighted() {
    let mut net = Net::converged_signed(8, quiet());
    let lie = |net: &Net, id: u32| {
        let inc = net.incarnation_of(0, id).expect("known");
        suspect_by(7, id, inc)
    };
    // Refutations are forgiven slowly (one per 30 probe intervals), so a few
    // more than 3 lies in quick succession are needed.
    let mut rounds = 0;
    while net.core(0).stats().accusers_down_weighted == 0 {
        rounds += 1;
        assert!(
            rounds <= 5,
            "still not down-weighted after {rounds} refuted lies"
        );
        let id = 1 + rounds % 6;
        let l = lie(&net, id);
        inject(&mut net, 0, 7, vec![l]);
        assert_eq!(net.state_of(0, id), Some(MemberState::Suspect));
        net.run_for(Duration::from_secs(5));
        assert_eq!(
            net.state_of(0, id),
            Some(MemberState::Alive),
            "member {id} refuted"
        );
    }
    assert_eq!(net.core(0).stats().down_weighted_accusers, 1);
    let l = lie(&net, 2);
    inject(&mut net, 0, 7, vec![l]);
    assert_eq!(net.state_of(0, 2), Some(MemberState::Alive), "ignored");
    assert_eq!(net.core(0).stats().accusations_ignored, 1);
    no_failures_except(&net, &[]);
}

#[test]
fn a_replayed_alive_claim_does_not_resurrect_a_crashed_member() {
    let mut net = Net::converged_signed(6, quiet());
    // Capture node 5's own signed Alive claim from its gossip.
    let old = net.core_mut(5).signed_self_claim().to_vec();
    net.run_for(Duration::from_secs(2));
    net.crash(5);
    net.run_for(Duration::from_secs(40));
    for i in 0..5 {
        assert_eq!(net.state_of(i, 5), Some(MemberState::Dead), "observer {i}");
    }
    for i in 0..5 {
        inject(&mut net, i, (i + 1) % 5, vec![old.clone()]);
    }
    net.run_for(Duration::from_secs(10));
    for i in 0..5 {
        assert_eq!(net.state_of(i, 5), Some(MemberState::Dead), "observer {i}");
    }
    assert!(net.events_about(5, "joined").is_empty());
    no_failures_except(&net, &[5]);
}

#[test]
fn replayed_old_accusations_are_harmless() {
    let mut net = Net::converged_signed(6, quiet());
    let old = signed_as(
        4,
        CLUSTER,
        &Update::Dead {
            id: 1,
            incarnation: 0,
            from: 4,
        },
    );
    inject(&mut net, 0, 4, vec![old.clone()]);
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.state_of(0, 1), Some(MemberState::Alive));
    let refuted_at = net.incarnation_of(0, 1).expect("known");
    assert!(refuted_at >= 1);
    for _ in 0..3 {
        inject(&mut net, 0, 4, vec![old.clone()]);
        inject(&mut net, 2, 3, vec![old.clone()]);
    }
    assert_eq!(net.state_of(0, 1), Some(MemberState::Alive));
    assert_eq!(net.state_of(2, 1), Some(MemberState::Alive));
    no_failures_except(&net, &[]);
}

#[test]
fn a_crashed_member_is_still_declared_failed_by_every_survivor_with_signatures_swim_4_2() {
    let mut net = Net::converged_signed(8, quiet());
    net.run_for(Duration::from_secs(2));
    net.crash(7);
    let crashed_at = net.now;
    net.run_for(Duration::from_secs(40));
    let cfg = quiet();
    let bound = cfg.suspicion_max(8) + cfg.probe_interval * 10;
    let failed = net.events_about(7, "failed");
    assert_eq!(failed.len(), 7, "one failed event per survivor");
    for (t, o) in failed {
        assert!(
            t - crashed_at <= bound,
            "observer {o} took {:?}",
            t - crashed_at
        );
    }
    no_failures_except(&net, &[7]);
    let signed: u64 = (0..7).map(|i| net.core(i).stats().claims_signed).sum();
    assert!(signed > 0);
    assert_eq!(
        (0..7)
            .map(|i| net.core(i).stats().bad_signatures)
            .sum::<u64>(),
        0
    );
}
