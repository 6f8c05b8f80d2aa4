//! lifebuoy's detection policy on top of SWIM and Lifeguard: ring-successor
//! probes bound the time until a crash is noticed, members that hear of a
//! suspicion check the suspect themselves (Lifeguard 4.2 confirmations), and
//! a probe whose helpers all nacked (Lifeguard 4.1) fails at once.

mod common;

use std::time::Duration;

use common::{quiet, Net};
use lifebuoy_core::wire::{self, Kind, Packet, Update};
use lifebuoy_core::{Channel, MemberState};

#[test]
fn every_member_is_probed_by_its_ring_predecessor_every_successor_every_periods_swim_4_3() {
    let cfg = quiet();
    let n = 10;
    let mut net = Net::converged(n, cfg.clone());
    net.run_for(Duration::from_secs(30));
    let bound = cfg.probe_interval * cfg.successor_every + Duration::from_millis(5);
    for x in 0..n {
        let pred = (x + n - 1) % n;
        let times: Vec<_> = net
            .sent
            .iter()
            .filter(|f| f.from == pred && f.to == x)
            .filter(|f| matches!(f.packet().kind, Kind::Ping { .. }))
            .map(|f| f.at)
            .filter(|t| *t > net.start + cfg.probe_interval * 2)
            .collect();
        assert!(times.len() >= 10, "{pred} probed {x} {} times", times.len());
        for w in times.windows(2) {
            assert!(w[1] - w[0] <= bound, "{pred} -> {x}: gap {:?}", w[1] - w[0]);
        }
    }
}

#[test]
fn without_ring_probes_the_probe_order_is_the_shuffled_round_robin_swim_4_3() {
    let cfg = lifebuoy_core::Config {
        successor_every: 0,
        ..quiet()
    };
    let n = 10;
    let mut net = Net::converged(n, cfg.clone());
    net.run_for(Duration::from_secs(30));
    // Each member probes each other member about once per round of n - 1
    // periods: far fewer pings to its successor than with ring probes.
    let to_successor = net
        .sent
        .iter()
        .filter(|f| f.to == (f.from + 1) % n)
        .filter(|f| matches!(f.packet().kind, Kind::Ping { .. }))
        .count();
    let periods = (30.0 / cfg.probe_interval.as_secs_f64()) as usize;
    assert!(
        to_successor < n as usize * periods / 4,
        "{to_successor} pings to successors"
    );
}

#[test]
fn members_that_hear_of_a_crash_check_it_and_confirm_within_a_second_lifeguard_4_2() {
    let cfg = quiet();
    let mut net = Net::converged(32, cfg.clone());
    net.run_for(Duration::from_secs(3));
    net.crash(7);
    let crashed_at = net.now;
    net.run_for(Duration::from_secs(20));
    let first_suspected = net
        .events_about(7, "suspected")
        .into_iter()
        .map(|(t, _)| t)
        .min()
        .expect("suspected");
    let checks: u64 = (0..32)
        .filter(|&i| i != 7)
        .map(|i| net.core(i).stats().suspect_checks)
        .sum();
    let confirmed: u64 = (0..32)
        .filter(|&i| i != 7)
        .map(|i| net.core(i).stats().suspect_checks_failed)
        .sum();
    assert!(checks >= 2, "{checks} checks");
    assert_eq!(confirmed, checks, "a crashed member answers no check");
    // With the confirmations in, the first declaration comes at the minimum
    // timeout (plus the final check), not the 6x maximum.
    let first_failed = net
        .events_about(7, "failed")
        .into_iter()
        .map(|(t, _)| t)
        .min()
        .expect("detected");
    let timeout = first_failed - first_suspected;
    assert!(
        timeout <= cfg.suspicion_min(32) + cfg.probe_timeout + Duration::from_millis(50),
        "{timeout:?}"
    );
    let detection = first_failed - crashed_at;
    assert!(detection <= Duration::from_secs(5), "{detection:?}");
    for i in (0..32).filter(|&i| i != 7) {
        assert_eq!(net.state_of(i, 7), Some(MemberState::Dead), "observer {i}");
    }
}

#[test]
fn a_suspect_that_answers_the_checks_is_not_confirmed_lifeguard_4_2() {
    let cfg = quiet();
    let n = 10;
    let mut net = Net::converged(n, cfg.clone());
    net.run_for(Duration::from_secs(2));
    // Node 1 wrongly accuses node 4; everyone else hears it at once.
    let accusation = Update::Suspect {
        id: 4u32,
        incarnation: 0,
        from: 1u32,
    };
    let raw = wire::encode_update(&accusation).expect("encodes");
    let packet = Packet {
        kind: Kind::<u32>::Gossip,
        gossip: vec![raw.into()],
    };
    let bytes = wire::encode(&packet).expect("encodes");
    let now = net.now;
    for i in (0..n).filter(|&i| i != 1 && i != 4) {
        net.core_mut(i)
            .handle_message(now, 1, Channel::Probe, &bytes)
            .expect("valid");
        net.drain(i);
    }
    net.run_for(Duration::from_secs(20));
    let checks: u64 = (0..n).map(|i| net.core(i).stats().suspect_checks).sum();
    let confirmed: u64 = (0..n)
        .map(|i| net.core(i).stats().suspect_checks_failed)
        .sum();
    assert!(checks >= 2, "{checks} checks");
    assert_eq!(confirmed, 0, "the suspect answered every check");
    assert!(net.events_about(4, "failed").is_empty());
    for i in (0..n).filter(|&i| i != 4) {
        assert_eq!(net.state_of(i, 4), Some(MemberState::Alive), "observer {i}");
    }
}

#[test]
fn a_probe_fails_as_soon_as_every_helper_has_nacked_lifeguard_4_1() {
    let cfg = quiet();
    let mut net = Net::converged(16, cfg.clone());
    net.run_for(Duration::from_secs(3));
    net.crash(5);
    let crashed_at = net.now;
    net.run_for(Duration::from_secs(6));
    let (suspected_at, accuser) = net
        .events_about(5, "suspected")
        .into_iter()
        .min()
        .expect("suspected");
    let pinged_at = net
        .sent
        .iter()
        .filter(|f| f.from == accuser && f.to == 5 && f.at > crashed_at)
        .map(|f| f.at)
        .min()
        .expect("the accuser pinged the crashed member");
    // Direct timeout, then the helpers' nacks at 80% of their own timeout:
    // well before the end of the period.
    let took = suspected_at - pinged_at;
    assert!(
        took <= cfg.probe_timeout * 2 + Duration::from_millis(10),
        "{took:?}"
    );
    assert!(took < cfg.probe_interval, "{took:?}");
}
