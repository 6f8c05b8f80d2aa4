//! SWIM section 4.1 (infection-style dissemination) and push-pull anti-entropy.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::Net;
use lifebuoy_core::wire::Channel;
use lifebuoy_core::{Config, MemberState};

#[test]
fn every_probe_channel_message_stays_within_the_byte_budget_swim_4_1() {
    let cfg = Config::lan();
    let mut net = Net::empty(60, cfg.clone());
    for i in 1..60 {
        let now = net.now;
        net.core_mut(i).join(now, vec![common::addr(0)]);
        net.drain(i);
    }
    net.run_for(Duration::from_secs(20));
    let probe: Vec<_> = net
        .sent
        .iter()
        .filter(|f| f.channel == Channel::Probe)
        .collect();
    assert!(probe.len() > 1000);
    let max = probe.iter().map(|f| f.payload.len()).max().unwrap_or(0);
    assert!(
        max <= cfg.max_message_bytes,
        "largest probe-channel message: {max} bytes"
    );
    assert!(
        probe
            .iter()
            .any(|f| f.payload.len() > cfg.max_message_bytes / 2),
        "gossip fills messages during a join storm"
    );
}

#[test]
fn each_update_is_retransmitted_at_most_mult_times_log_n_swim_4_1() {
    let cfg = Config::lan();
    let n = 30;
    let mut net = Net::converged(n, cfg.clone());
    net.run_for(Duration::from_secs(1));
    let now = net.now;
    net.core_mut(3)
        .set_metadata(now, [("role".to_owned(), "db".to_owned())].into())
        .expect("small metadata");
    net.drain(3);
    net.run_for(Duration::from_secs(30));
    let limit = cfg.retransmit_limit(n as usize) as usize;
    let mut counts: HashMap<(u32, Vec<u8>), usize> = HashMap::new();
    for f in net.sent.iter().filter(|f| f.channel == Channel::Probe) {
        for g in f.packet().gossip {
            *counts.entry((f.from, g.into_vec())).or_default() += 1;
        }
    }
    assert!(!counts.is_empty());
    let worst = counts.values().copied().max().unwrap_or(0);
    assert!(
        worst <= limit,
        "an update was sent {worst} times by one node; limit {limit}"
    );
    // And the update reached everyone.
    for i in 0..n {
        let m = net.core(i).member(&3).expect("known");
        assert_eq!(
            m.info.meta.get("role").map(String::as_str),
            Some("db"),
            "node {i}"
        );
    }
    assert_eq!(net.events_about(3, "updated").len(), n as usize - 1);
}

#[test]
fn a_joiner_learns_the_whole_view_from_one_push_pull_with_a_seed() {
    let mut net = Net::converged(10, Config::lan());
    // Node 10 is new and knows only the seed's address.
    let mut late = Net::empty(11, Config::lan());
    for i in 0..10 {
        std::mem::swap(&mut late.cores[i], &mut net.cores[i]);
    }
    let mut net = late;
    let now = net.now;
    net.core_mut(10).join(now, vec![common::addr(0)]);
    net.drain(10);
    net.run_for(Duration::from_millis(10));
    assert!(net.core(10).is_joined());
    assert_eq!(
        net.core(10).member_count(),
        10,
        "learned every member from the seed"
    );
    net.run_for(Duration::from_secs(5));
    for i in 0..10 {
        assert_eq!(
            net.state_of(i, 10),
            Some(MemberState::Alive),
            "node {i} heard of the joiner"
        );
    }
}

#[test]
fn nodes_starting_together_from_one_seed_converge_within_seconds() {
    let n = 200;
    let mut net = Net::empty(n, Config::lan());
    for i in 1..n {
        let now = net.now;
        net.core_mut(i).join(now, vec![common::addr(0)]);
        net.drain(i);
    }
    net.run_for(Duration::from_secs(10));
    for i in 0..n {
        let c = net.core(i);
        assert_eq!(
            c.count(MemberState::Alive),
            n as usize - 1,
            "node {i} sees {} alive",
            c.count(MemberState::Alive)
        );
    }
}

#[test]
fn a_healed_partition_merges_by_itself_through_reconnect_push_pull() {
    let cfg = Config::lan();
    let n = 10;
    let mut net = Net::converged(n, cfg.clone());
    net.run_for(Duration::from_secs(1));
    for a in 0..5 {
        for b in 5..n {
            net.cut.insert((a, b));
        }
    }
    net.run_for(Duration::from_secs(90));
    assert_eq!(
        net.state_of(0, 9),
        Some(MemberState::Dead),
        "each side declared the other dead"
    );
    net.cut.clear();
    net.run_for(cfg.reconnect_interval * 3 / 2 + Duration::from_secs(15));
    for i in 0..n {
        assert_eq!(
            net.core(i).count(MemberState::Alive),
            n as usize - 1,
            "node {i} after the heal"
        );
    }
}

#[test]
fn a_restored_large_view_spreads_push_pulls_over_the_scaled_interval() {
    // memberlist scales the push-pull interval with cluster size; a node that
    // restores a 1000-member view must not push-pull on the 30 s base period
    // (at 10,000 nodes that was 10x the intended full-state traffic).
    // Nobody answers here, so members are soon declared dead: leave out the
    // reconnect push-pulls to them.
    let cfg = Config {
        reconnect_interval: Duration::ZERO,
        ..Config::lan()
    };
    let start = common::epoch();
    let infos: Vec<_> = (0..1000u32)
        .map(|i| (i, std::sync::Arc::new(common::info(i)), 0))
        .collect();
    let mut syncs = 0;
    for node in 0..30u32 {
        let mut core = lifebuoy_core::Core::new(
            cfg.clone(),
            node,
            common::info(node),
            0,
            u64::from(node),
            start,
        )
        .expect("valid");
        core.restore(start, infos.iter().cloned());
        let mut t = start;
        while t < start + Duration::from_secs(30) {
            t += Duration::from_millis(100);
            core.handle_timeout(t);
            while let Some(tx) = core.poll_transmit() {
                if tx.channel == Channel::Sync {
                    syncs += 1;
                }
            }
        }
    }
    // 30 nodes, interval 180 s at n = 1000: about 5 push-pulls in 30 s.
    let scaled = cfg.push_pull_scaled(1000);
    assert_eq!(scaled, Duration::from_secs(180));
    assert!(syncs <= 12, "{syncs} push-pulls from 30 nodes in 30 s");
}

#[test]
fn an_idle_core_wakes_for_its_probe_tick_but_not_every_gossip_interval() {
    let cfg = common::quiet();
    let mut net = Net::converged(3, cfg.clone());
    net.run_for(Duration::from_secs(5));
    // From here nothing is queued: count the deadlines node 0 asks to be woken at.
    let core = net.core_mut(0);
    assert_eq!(core.queued_updates(), 0);
    let start = net.now;
    let end = start + Duration::from_secs(10);
    let mut now = start;
    let mut wakes = 0u32;
    while let Some(at) = net.core(0).poll_timeout() {
        if at > end {
            break;
        }
        now = now.max(at);
        net.core_mut(0).handle_timeout(now);
        while net.core_mut(0).poll_transmit().is_some() {}
        while net.core_mut(0).poll_event().is_some() {}
        wakes += 1;
    }
    // Probe tick, probe timeout and probe end (every probe fails here: the
    // others are not driven) plus suspicion timers, but not 50 gossip ticks.
    let periods = (10.0 / cfg.probe_interval.as_secs_f64()).ceil() as u32;
    let gossip_ticks = (10.0 / cfg.gossip_interval.as_secs_f64()) as u32;
    assert!(
        wakes < gossip_ticks,
        "{wakes} wake-ups in 10 s ({periods} probe periods, {gossip_ticks} gossip intervals)"
    );
}

#[test]
fn an_update_queued_on_an_idle_core_is_gossiped_at_the_next_tick_of_the_gossip_grid() {
    let cfg = common::quiet();
    let mut net = Net::converged(5, cfg.clone());
    net.run_for(Duration::from_secs(7) + Duration::from_millis(37));
    let before = net.sent.len();
    let now = net.now;
    net.core_mut(2)
        .set_metadata(now, [("role".to_owned(), "db".to_owned())].into())
        .expect("small metadata");
    net.drain(2);
    net.run_for(cfg.gossip_interval * 3);
    let first_gossip = net.sent[before..]
        .iter()
        .find(|f| f.from == 2 && matches!(f.packet().kind, lifebuoy_core::wire::Kind::Gossip))
        .map(|f| f.at - common::LATENCY)
        .expect("the update is gossiped");
    assert!(first_gossip > now, "gossiped at the next tick, not at once");
    assert!(
        first_gossip <= now + cfg.gossip_interval,
        "gossiped {:?} after it was queued (interval {:?})",
        first_gossip - now,
        cfg.gossip_interval
    );
    assert!(
        net.core(4)
            .member(&2)
            .is_some_and(|m| m.info.meta.contains_key("role")),
        "the others learn it"
    );
}
