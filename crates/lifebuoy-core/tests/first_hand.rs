//! Claims that decide whether a member lives are told to the members that
//! need them directly, not only through gossip under the retransmit limit:
//! Lifeguard's buddy system (section 4.3) in both directions, refutations
//! (SWIM 4.2) told first-hand, and a final check with several helpers.
//! Each closes a way a node once missed a refutation and declared a member
//! failed during its next short stall (docs/performance.md, "False failures
//! under stalls").

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::signing::signed_as;
use common::{Flight, Net};
use lifebuoy_core::wire::{self, Kind, Update};
use lifebuoy_core::{Channel, Config, MemberState};

/// Gossip entries of a message, decoded.
fn claims(f: &Flight) -> Vec<Update<u32>> {
    f.packet()
        .gossip
        .iter()
        .filter_map(|g| wire::decode_update(g).ok())
        .collect()
}

/// `n` signed `local` nodes without push-pull, so that only claims carry
/// node 1's refutations; node 0 holds node 1 suspected on node 3's word,
/// and loses the claims `lost` says.
fn node_0_suspects_node_1(n: u32, lost: common::Lost) -> Net {
    let config = Config {
        push_pull_interval: Duration::ZERO,
        reconnect_interval: Duration::ZERO,
        ..Config::local()
    };
    let mut net = Net::converged_signed(n, config);
    net.lost = Some(lost);
    let accusation = signed_as(
        3,
        "lifebuoy",
        &Update::Suspect {
            id: 1,
            incarnation: 0,
            from: 3,
        },
    );
    let bytes = wire::encode_parts(&Kind::<u32>::Gossip, &[accusation]).expect("encode");
    let now = net.now;
    net.core_mut(0)
        .handle_message(now, 3, Channel::Probe, &bytes)
        .expect("well-formed");
    net.drain(0);
    net
}

#[test]
fn a_node_that_starts_a_suspicion_sends_it_to_the_suspect_at_once_lifeguard_4_3() {
    let mut net = Net::converged(8, Config::local());
    net.run_for(Duration::from_secs(2));
    net.isolated.insert(5);
    let t0 = net.now;
    while net.state_of(0, 5) != Some(MemberState::Suspect) {
        assert!(net.now - t0 < Duration::from_secs(30), "never suspected");
        net.run_for(Duration::from_millis(10));
    }
    let suspected = net.now;
    // Which node's own probe failed first: it is the accuser.
    let accuser = net
        .sent
        .iter()
        .filter(|f| f.at > t0)
        .find_map(|f| {
            claims(f).into_iter().find_map(|u| match u {
                Update::Suspect { id: 5, from, .. } => Some(from),
                _ => None,
            })
        })
        .expect("someone accused node 5");
    let direct = net.sent.iter().any(|f| {
        f.from == accuser
            && f.to == 5
            && f.at <= suspected + Duration::from_millis(2)
            && matches!(f.packet().kind, Kind::Gossip)
            && claims(f)
                .iter()
                .any(|u| matches!(u, Update::Suspect { id: 5, from, .. } if *from == accuser))
    });
    assert!(
        direct,
        "node {accuser} did not send its suspicion to node 5"
    );
}

#[test]
fn a_refutation_is_told_first_hand_to_every_member_of_a_small_cluster_swim_4_2() {
    let mut net = Net::converged(8, Config::local());
    net.run_for(Duration::from_secs(2));
    let accusation = wire::encode_update(&Update::Suspect {
        id: 0u32,
        incarnation: 0,
        from: 3,
    })
    .expect("encode");
    let bytes = wire::encode_parts(&Kind::<u32>::Gossip, &[accusation]).expect("encode");
    let t0 = net.now;
    net.core_mut(0)
        .handle_message(t0, 3, Channel::Probe, &bytes)
        .expect("well-formed");
    net.drain(0);
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.core(0).local().incarnation, 1, "refuted");
    let told: BTreeSet<u32> = net
        .sent
        .iter()
        .filter(|f| f.from == 0 && f.at > t0)
        .filter(|f| {
            claims(f).iter().any(|u| {
                matches!(
                    u,
                    Update::Alive {
                        id: 0,
                        incarnation: 1,
                        ..
                    }
                )
            })
        })
        .map(|f| f.to)
        .collect();
    assert_eq!(told, (1..8).collect(), "told first-hand within a second");
}

#[test]
fn a_node_that_suspects_a_member_which_pings_it_puts_its_suspicion_on_the_ack_lifeguard_4_3() {
    // Node 0 misses every refutation of node 1's.
    let mut net = node_0_suspects_node_1(
        4,
        Box::new(|to, _, u| {
            to == 0 && matches!(u, Update::Alive { id: 1, incarnation, .. } if *incarnation > 0)
        }),
    );
    net.run_for(Duration::from_secs(8));
    assert_eq!(net.state_of(0, 1), Some(MemberState::Suspect));
    let buddy_acks = net
        .sent
        .iter()
        .filter(|f| f.from == 0 && f.to == 1 && matches!(f.packet().kind, Kind::Ack { .. }))
        .filter(|f| {
            claims(f)
                .first()
                .is_some_and(|u| matches!(u, Update::Suspect { id: 1, from: 0, .. }))
        })
        .count();
    assert!(
        buddy_acks >= 1,
        "node 1 pinged node 0 and got no suspicion back"
    );
    // The reminder it provokes is what node 0 then takes, once it gets through.
    net.lost = None;
    net.run_for(Duration::from_secs(8));
    assert_eq!(net.state_of(0, 1), Some(MemberState::Alive));
}

#[test]
fn a_final_check_asks_at_least_three_members_to_ping_the_suspect_swim_4_2() {
    let mut net = Net::converged(8, Config::local());
    assert_eq!(Config::local().indirect_checks, 1);
    net.run_for(Duration::from_secs(2));
    net.crash(5);
    net.run_for(Duration::from_secs(20));
    assert_eq!(net.state_of(0, 5), Some(MemberState::Dead));
    // A final check sends its ping-reqs in one instant; probes send one.
    let mut most = 0;
    for f in net.sent.iter().filter(|f| f.from == 0) {
        let n = net
            .sent
            .iter()
            .filter(|g| {
                g.from == 0
                    && g.at == f.at
                    && matches!(g.packet().kind, Kind::PingReq { target: 5, .. })
            })
            .count();
        most = most.max(n);
    }
    assert!(most >= 3, "at most {most} ping-reqs at once");
}

#[test]
fn members_asked_to_ping_a_stalled_suspect_answer_with_the_latest_claim_they_hold_swim_4_1() {
    // Node 0 misses node 1's refutations, except on answers to ping-reqs.
    let mut net = node_0_suspects_node_1(
        8,
        Box::new(|to, kind, u| {
            to == 0
                && !matches!(kind, Kind::Nack { .. })
                && matches!(u, Update::Alive { id: 1, incarnation, .. } if *incarnation > 0)
        }),
    );
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.state_of(0, 1), Some(MemberState::Suspect), "stale");
    // Node 1 stalls past node 0's next final check.
    net.isolated.insert(1);
    net.run_for(Duration::from_millis(2500));
    net.isolated.clear();
    net.run_for(Duration::from_secs(5));
    assert!(
        net.events_about(1, "failed").is_empty(),
        "a stalled member was declared failed"
    );
    net.lost = None;
    net.run_for(Duration::from_secs(10));
    assert_eq!(net.state_of(0, 1), Some(MemberState::Alive));
}
