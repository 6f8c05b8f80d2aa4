//! Joining, leaving, restarting, forgetting, metadata.

mod common;

use std::time::Duration;

use common::Net;
use lifebuoy_core::{CommandError, Config, MemberState};

#[test]
fn a_graceful_leave_is_seen_as_left_not_failed() {
    let mut net = Net::converged(6, Config::lan());
    net.run_for(Duration::from_secs(2));
    let now = net.now;
    net.core_mut(5).leave(now);
    net.drain(5);
    net.run_for(Duration::from_secs(3));
    assert!(net.core(5).leave_broadcast_done());
    net.crash(5);
    net.run_for(Duration::from_secs(60));
    for i in 0..5 {
        assert_eq!(net.state_of(i, 5), Some(MemberState::Left), "observer {i}");
    }
    assert!(net.events_about(5, "failed").is_empty());
    assert_eq!(net.events_about(5, "left").len(), 5);
}

/// A leaving node tells every member directly before its driver stops it,
/// not just the few that random gossip and the retransmit limit reach: with
/// `local`'s limit of 2 copies in a cluster of 8, two members used to get
/// the Left claim first-hand, and once two others missed the relayed copies,
/// suspected the stopped node and reported it failed (SWIM 4.2; the
/// quic_cluster test's false failure, docs/performance.md).
#[test]
fn a_leaving_node_tells_every_member_of_a_small_cluster_before_it_is_done() {
    let mut net = Net::converged(8, Config::local());
    net.run_for(Duration::from_secs(2));
    let now = net.now;
    net.core_mut(7).leave(now);
    net.drain(7);
    while !net.core(7).leave_broadcast_done() {
        assert!(net.now - now < Duration::from_secs(5), "leave never done");
        net.run_for(Duration::from_millis(10));
    }
    let told: std::collections::BTreeSet<u32> = net
        .sent
        .iter()
        .filter(|f| f.from == 7 && f.at > now)
        .filter(|f| {
            f.packet().gossip.iter().any(|g| {
                matches!(
                    lifebuoy_core::wire::decode_update::<u32>(g),
                    Ok(lifebuoy_core::wire::Update::Left { id: 7, .. })
                )
            })
        })
        .map(|f| f.to)
        .collect();
    assert_eq!(told, (0..7).collect(), "told directly");
    // The driver stops it now; nobody reports it failed.
    net.run_for(Duration::from_millis(5));
    net.crash(7);
    net.run_for(Duration::from_secs(60));
    for i in 0..7 {
        assert_eq!(net.state_of(i, 7), Some(MemberState::Left), "observer {i}");
    }
    assert!(net.events_about(7, "failed").is_empty());
}

#[test]
fn a_restarted_node_comes_back_above_any_incarnation_recorded_for_it() {
    let cfg = Config::lan();
    let mut net = Net::converged(6, cfg.clone());
    net.run_for(Duration::from_secs(1));
    // Raise 5's incarnation a few times, then crash it.
    for i in 0..3 {
        let now = net.now;
        net.core_mut(5)
            .set_name(now, format!("renamed-{i}"))
            .expect("name");
        net.drain(5);
    }
    net.run_for(Duration::from_secs(5));
    assert_eq!(net.incarnation_of(0, 5), Some(3));
    net.crash(5);
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.state_of(0, 5), Some(MemberState::Dead));
    net.restart(5, cfg, 0);
    net.run_for(Duration::from_secs(10));
    let inc = net.core(5).local().incarnation;
    assert!(inc > 3, "restarted at incarnation {inc}");
    for i in 0..5 {
        assert_eq!(net.state_of(i, 5), Some(MemberState::Alive), "observer {i}");
        assert_eq!(net.incarnation_of(i, 5), Some(inc));
    }
    assert!(
        !net.events_about(5, "joined").is_empty(),
        "observers report the return"
    );
}

#[test]
fn dead_and_left_members_are_forgotten_after_their_retention() {
    let cfg = Config {
        dead_retention: Duration::from_secs(60),
        left_retention: Duration::from_secs(30),
        ..Config::lan()
    };
    let mut net = Net::converged(6, cfg);
    net.run_for(Duration::from_secs(1));
    let now = net.now;
    net.core_mut(4).leave(now);
    net.drain(4);
    net.run_for(Duration::from_secs(2));
    net.crash(4);
    net.crash(5);
    net.run_for(Duration::from_secs(20));
    assert_eq!(net.state_of(0, 4), Some(MemberState::Left));
    net.run_for(Duration::from_secs(20));
    assert_eq!(net.state_of(0, 4), None, "left member forgotten after 30 s");
    assert_eq!(net.state_of(0, 5), Some(MemberState::Dead));
    net.run_for(Duration::from_secs(60));
    assert_eq!(net.state_of(0, 5), None, "dead member forgotten after 60 s");
    assert_eq!(net.events_about(5, "forgotten").len(), 4);
}

#[test]
fn metadata_above_the_limit_is_refused_and_nothing_changes() {
    let mut net = Net::converged(2, Config::lan());
    let big: lifebuoy_core::Metadata = [("k".to_owned(), "v".repeat(600))].into();
    let now = net.now;
    let err = net.core_mut(0).set_metadata(now, big).unwrap_err();
    assert_eq!(
        err,
        CommandError::MetadataTooLarge {
            size: 601,
            limit: 512
        }
    );
    assert_eq!(net.core(0).local().incarnation, 0);
    assert!(err.to_string().contains("512"));
}

#[test]
fn a_node_alone_with_unreachable_seeds_keeps_retrying_with_backoff() {
    let mut net = Net::empty(2, Config::lan());
    net.isolated.insert(1);
    let now = net.now;
    net.core_mut(0).join(now, vec![common::addr(1)]);
    net.drain(0);
    net.run_for(Duration::from_secs(60));
    let tries = net.kinds_sent(0, |k| {
        matches!(k, lifebuoy_core::wire::Kind::Sync { join: true, .. })
    });
    assert!((4..=12).contains(&tries), "join attempts in 60 s: {tries}");
    net.isolated.clear();
    net.run_for(Duration::from_secs(40));
    assert!(net.core(0).is_joined());
    assert_eq!(net.state_of(1, 0), Some(MemberState::Alive));
}

#[test]
fn republishing_an_unchanged_claim_keeps_the_incarnation() {
    let mut net = Net::converged(2, Config::lan());
    let now = net.now;
    let addrs = net.core(0).local().info.addrs.clone();
    net.core_mut(0).set_addrs(now, addrs).expect("ok");
    assert_eq!(net.core(0).local().incarnation, 0);
    net.core_mut(0)
        .set_addrs(now, vec![common::addr(99)])
        .expect("ok");
    assert_eq!(net.core(0).local().incarnation, 1);
}

#[test]
fn the_seed_passes_a_joiners_alive_claim_on_by_gossip() {
    let mut net = Net::empty(3, common::quiet());
    let now = net.now;
    net.core_mut(2).join(now, vec![common::addr(0)]);
    net.drain(2);
    net.run_for(Duration::from_secs(10));
    assert_eq!(net.state_of(0, 2), Some(MemberState::Alive));
    let joined_at = net.now;
    net.core_mut(1).join(joined_at, vec![common::addr(0)]);
    net.drain(1);
    net.run_for(Duration::from_millis(700));
    let seed_told_2 = net.sent.iter().any(|f| {
        f.from == 0
            && f.to == 2
            && f.at >= joined_at
            && f.channel == lifebuoy_core::Channel::Probe
            && f.packet().gossip.iter().any(|g| {
                matches!(
                    lifebuoy_core::wire::decode_update::<u32>(g),
                    Ok(lifebuoy_core::wire::Update::Alive { id: 1, .. })
                )
            })
    });
    assert!(seed_told_2, "the seed kept the joiner to itself");
}
