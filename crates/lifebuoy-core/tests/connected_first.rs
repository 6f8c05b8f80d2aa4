//! Gossip targets and ping-req helpers are picked among the members the
//! driver holds a connection to first (`reach.rs`): on QUIC a message to an
//! unconnected member costs a handshake.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::Net;
use lifebuoy_core::wire::Kind;

const N: u32 = 40;

fn targets_of(net: &Net, from: u32, pred: impl Fn(&Kind<u32>) -> bool) -> BTreeSet<u32> {
    net.sent
        .iter()
        .filter(|f| f.from == from && pred(&f.packet().kind))
        .map(|f| f.to)
        .collect()
}

/// `targets` is not empty (`what` happened) and holds only `connected` members.
fn assert_only_to(targets: &BTreeSet<u32>, connected: &[u32], what: &str) {
    assert!(!targets.is_empty(), "{what}: no messages");
    let allowed: BTreeSet<u32> = connected.iter().copied().collect();
    assert!(
        targets.is_subset(&allowed),
        "{what}: sent to {targets:?}, connected {allowed:?}"
    );
}

/// Node 0 changes its metadata; the members it gossips the update to in
/// the next 3 s.
fn gossip_targets_of_an_update(net: &mut Net) -> BTreeSet<u32> {
    net.run_for(Duration::from_secs(1));
    let now = net.now;
    net.core_mut(0)
        .set_metadata(now, [("role".to_owned(), "db".to_owned())].into())
        .expect("small metadata");
    net.drain(0);
    net.sent.clear();
    net.run_for(Duration::from_secs(3));
    targets_of(net, 0, |k| matches!(k, Kind::Gossip))
}

#[test]
fn gossip_goes_only_to_connected_members_when_enough_are_connected() {
    let mut net = Net::converged(N, common::quiet());
    let connected = [5u32, 11, 17, 23];
    for id in connected {
        net.core_mut(0).set_connected(id, true);
    }
    let gossiped = gossip_targets_of_an_update(&mut net);
    assert_only_to(&gossiped, &connected, "node 0 gossiped its update");
}

#[test]
fn gossip_fills_up_with_random_members_when_too_few_are_connected() {
    let mut net = Net::converged(N, common::quiet());
    net.core_mut(0).set_connected(5, true);
    let gossiped = gossip_targets_of_an_update(&mut net);
    assert!(gossiped.contains(&5), "the connected member gets gossip");
    assert!(
        gossiped.len() > 2,
        "others are picked at random too: {gossiped:?}"
    );
}

#[test]
fn a_member_reported_disconnected_is_no_longer_preferred() {
    let mut net = Net::converged(N, common::quiet());
    for id in [5u32, 11, 17, 23] {
        net.core_mut(0).set_connected(id, true);
    }
    net.core_mut(0).set_connected(23, false);
    assert!(net.core(0).is_connected(&5));
    assert!(!net.core(0).is_connected(&23));
    net.run_for(Duration::from_secs(1));
    let now = net.now;
    net.core_mut(0)
        .set_metadata(now, [("role".to_owned(), "db".to_owned())].into())
        .expect("small metadata");
    net.drain(0);
    net.sent.clear();
    net.run_for(Duration::from_secs(3));
    // Exactly gossip_nodes (3) connected members remain: no random fill.
    let gossiped = targets_of(&net, 0, |k| matches!(k, Kind::Gossip));
    assert_eq!(gossiped, BTreeSet::from([5, 11, 17]));
}

#[test]
fn ping_req_helpers_are_connected_members_when_enough_are_connected() {
    let mut net = Net::converged(N, common::quiet());
    let connected = [5u32, 11, 17, 23];
    for id in connected {
        net.core_mut(0).set_connected(id, true);
    }
    for i in 30..N {
        net.crash(i);
    }
    net.run_for(Duration::from_secs(30));
    let helpers = targets_of(&net, 0, |k| matches!(k, Kind::PingReq { .. }));
    assert_only_to(&helpers, &connected, "node 0 asked for indirect probes");
}

#[test]
fn round_robin_probes_of_unconnected_members_are_paced_while_connections_are_reported() {
    let cfg = lifebuoy_core::Config {
        first_contact_members: 8,
        ..common::quiet()
    };
    // 40 members, one first contact per ceil(40 / 8) = 5 periods.
    let every = 5;
    let mut net = Net::converged(N, cfg.clone());
    for id in [5u32, 11] {
        net.core_mut(0).set_connected(id, true);
    }
    let run = Duration::from_secs(40);
    net.run_for(run);
    let periods = (run.as_millis() / cfg.probe_interval.as_millis()) as usize;
    // Node 1 is node 0's ring successor, probed every `successor_every` periods.
    let first_contacts = net
        .sent
        .iter()
        .filter(|f| f.from == 0 && ![1, 5, 11].contains(&f.to))
        .filter(|f| matches!(f.packet().kind, Kind::Ping { .. }))
        .count();
    assert!(
        first_contacts <= periods / every + 1,
        "{first_contacts} pings to unconnected members in {periods} periods"
    );
    assert!(first_contacts >= 2, "first contacts still happen");
    assert!(net.core(0).stats().first_contacts_deferred > 0);
}

#[test]
fn up_to_first_contact_members_nobody_is_paced() {
    let cfg = lifebuoy_core::Config {
        first_contact_members: N,
        ..common::quiet()
    };
    let mut net = Net::converged(N, cfg);
    net.core_mut(0).set_connected(5, true);
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.core(0).stats().first_contacts_deferred, 0);
}
