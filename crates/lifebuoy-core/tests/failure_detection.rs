//! SWIM section 4.1 (failure detector) and Lifeguard section 4.1 (local health).

mod common;

use std::time::Duration;

use common::{quiet, Net};
use lifebuoy_core::wire::Kind;
use lifebuoy_core::MemberState;

#[test]
fn healthy_members_ack_direct_probes_and_nobody_is_suspected_swim_4_1() {
    let mut net = Net::converged(5, quiet());
    net.run_for(Duration::from_secs(30));
    for i in 0..5 {
        let s = net.core(i).stats();
        assert!(s.probes >= 25, "node {i} probed {} times in 30 s", s.probes);
        assert!(
            s.probe_acks + 1 >= s.probes,
            "acks {} of {} probes",
            s.probe_acks,
            s.probes
        );
        assert_eq!(s.probe_failures, 0);
        assert_eq!(net.core(i).health_score(), 0);
    }
    assert!(net
        .events
        .iter()
        .all(|(_, _, e)| e.name() != "suspected" && e.name() != "failed"));
    assert_eq!(
        net.kinds_sent(0, |k| matches!(k, Kind::PingReq { .. })),
        0,
        "no ping-req when acks arrive"
    );
}

#[test]
fn every_member_is_probed_once_per_round_in_a_shuffled_order_swim_4_3() {
    let n = 9;
    // Without the LAN preset's ring probes: pure SWIM round-robin.
    let cfg = lifebuoy_core::Config {
        successor_every: 0,
        ..quiet()
    };
    let mut net = Net::converged(n, cfg);
    net.run_for(Duration::from_millis(24_500));
    let targets: Vec<u32> = net
        .sent
        .iter()
        .filter(|f| f.from == 0)
        .filter_map(|f| match f.packet().kind {
            Kind::Ping { .. } => Some(f.to),
            _ => None,
        })
        .collect();
    let rounds: Vec<Vec<u32>> = targets.chunks(8).take(3).map(|c| c.to_vec()).collect();
    assert_eq!(rounds.len(), 3);
    for r in &rounds {
        let mut sorted = r.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (1..n).collect::<Vec<_>>(),
            "each round probes every member once"
        );
    }
    assert!(
        rounds[0] != rounds[1] || rounds[1] != rounds[2],
        "rounds are reshuffled"
    );
}

#[test]
fn a_silent_member_is_probed_indirectly_through_k_members_then_suspected_swim_4_1() {
    let mut net = Net::converged(6, quiet());
    net.run_for(Duration::from_secs(2));
    net.crash(5);
    net.run_for(Duration::from_secs(8));
    let reqs = net
        .sent
        .iter()
        .filter(|f| matches!(f.packet().kind, Kind::PingReq { target: 5, .. }))
        .count();
    assert!(reqs >= 3, "ping-reqs about the silent member: {reqs}");
    // Each ping-req round asks k = 3 helpers.
    let first_prober = net
        .sent
        .iter()
        .find(|f| matches!(f.packet().kind, Kind::PingReq { target: 5, .. }))
        .expect("a ping-req")
        .from;
    let by_first = net
        .sent
        .iter()
        .filter(|f| {
            f.from == first_prober && matches!(f.packet().kind, Kind::PingReq { target: 5, .. })
        })
        .count();
    assert_eq!(by_first % 3, 0, "ping-reqs go out k = 3 at a time");
    assert!(!net.events_about(5, "suspected").is_empty());
    for i in 0..5 {
        assert!(matches!(
            net.state_of(i, 5),
            Some(MemberState::Suspect | MemberState::Dead)
        ));
    }
}

#[test]
fn helpers_answer_a_failed_indirect_probe_with_a_nack_lifeguard_4_1() {
    let mut net = Net::converged(6, quiet());
    net.run_for(Duration::from_secs(1));
    net.crash(5);
    net.run_for(Duration::from_secs(6));
    let nacks = net
        .sent
        .iter()
        .filter(|f| matches!(f.packet().kind, Kind::Nack { .. }))
        .count();
    assert!(nacks >= 3, "nacks sent: {nacks}");
    // The probers got all their nacks, so their own health stays good.
    for i in 0..5 {
        assert_eq!(net.core(i).stats().missed_nacks, 0);
        assert_eq!(net.core(i).health_score(), 0, "node {i}");
    }
}

#[test]
fn a_node_cut_off_from_everyone_raises_its_own_health_score_and_slows_down_lifeguard_4_1() {
    let mut net = Net::converged(6, quiet());
    net.run_for(Duration::from_secs(1));
    net.isolated.insert(0);
    net.run_for(Duration::from_secs(5));
    let c = net.core(0);
    assert!(
        c.stats().missed_nacks > 0,
        "the isolated node misses its nacks"
    );
    assert!(c.health_score() >= 2, "score {}", c.health_score());
    let probes_while_unhealthy = c.stats().probes;
    net.run_for(Duration::from_secs(10));
    let slowed = net.core(0).stats().probes - probes_while_unhealthy;
    assert!(
        slowed < 7,
        "an unhealthy node probes less often than once a second: {slowed} in 10 s"
    );
    // Once reconnected, successful probes bring the score back down.
    net.isolated.clear();
    net.run_for(Duration::from_secs(60));
    assert_eq!(net.core(0).health_score(), 0);
}

#[test]
fn a_probe_to_a_suspect_carries_the_suspicion_to_it_buddy_system_lifeguard_4_3() {
    // memberlist's timings: a 4 s outage is shorter than the suspicion timeout.
    let cfg = lifebuoy_core::Config {
        push_pull_interval: Duration::ZERO,
        reconnect_interval: Duration::ZERO,
        ..lifebuoy_core::Config::memberlist_lan()
    };
    let mut net = Net::converged(4, cfg);
    net.run_for(Duration::from_secs(1));
    // 3 is unreachable long enough to be suspected, then comes back.
    net.isolated.insert(3);
    net.run_for(Duration::from_secs(4));
    net.isolated.clear();
    net.run_for(Duration::from_secs(6));
    // Someone suspected 3 ...
    assert!(!net.events_about(3, "suspected").is_empty());
    // ... and 3 refuted, because probes of a suspect carry the suspicion.
    assert!(net.core(3).stats().self_refutes > 0);
    let buddy = net.sent.iter().any(|f| {
        f.to == 3
            && matches!(f.packet().kind, Kind::Ping { .. })
            && f.packet().gossip.iter().any(|g| {
                matches!(
                    lifebuoy_core::wire::decode_update::<u32>(g),
                    Ok(lifebuoy_core::wire::Update::Suspect { id: 3, .. })
                )
            })
    });
    assert!(buddy, "a ping to the suspect carried its suspicion");
}
