//! The behaviour on its own, inside swarms built by `libp2p-swarm-test`.

use std::time::Duration;

use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::Swarm;
use libp2p_swarm_test::SwarmExt;
use lifebuoy::{Behaviour, Config, Event, MemberState};

fn fast() -> lifebuoy_core::Config {
    lifebuoy_core::Config {
        probe_interval: Duration::from_millis(200),
        probe_timeout: Duration::from_millis(100),
        gossip_interval: Duration::from_millis(50),
        join_retry_interval: Duration::from_millis(200),
        ..lifebuoy_core::Config::local()
    }
}

/// Swarms `a` and `b` on the memory transport, `b` joining through `a`.
async fn joining_pair() -> (Swarm<Behaviour>, Swarm<Behaviour>) {
    let mut a = swarm("a");
    let mut b = swarm("b");
    let (a_mem, _) = a.listen().with_memory_addr_external().await;
    b.listen().with_memory_addr_external().await;
    b.behaviour_mut().join([a_mem]);
    (a, b)
}

fn swarm(name: &str) -> Swarm<Behaviour> {
    Swarm::new_ephemeral_tokio(|kp| {
        Behaviour::new(&kp, Config::new(fast()).with_name(name)).expect("valid config")
    })
}

#[tokio::test]
async fn two_swarms_join_and_exchange_probes_over_the_memory_transport() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let started = std::time::Instant::now();
    let (mut a, mut b) = joining_pair().await;
    let a_id = *a.local_peer_id();
    let b_id = *b.local_peer_id();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let (mut a_saw_b, mut b_saw_a) = (false, false);
    while !(a_saw_b && b_saw_a && b.behaviour().core().stats().probe_acks >= 3) {
        let ev = tokio::time::timeout_at(deadline, async {
            tokio::select! {
                e = a.select_next_some() => Some((true, e)),
                e = b.select_next_some() => Some((false, e)),
                // Wake now and then to re-check the counters, which emit no event.
                _ = tokio::time::sleep(Duration::from_millis(50)) => None,
            }
        })
        .await
        .expect("both swarms see each other and probe within 30 s");
        match ev {
            None => {}
            Some((true, SwarmEvent::Behaviour(Event::MemberJoined(m)))) => {
                assert_eq!(m.id, b_id);
                a_saw_b = true;
            }
            Some((false, SwarmEvent::Behaviour(Event::MemberJoined(m)))) => {
                assert_eq!(m.id, a_id);
                b_saw_a = true;
            }
            Some((_, SwarmEvent::Behaviour(Event::MemberFailed(m)))) => {
                panic!("nobody should fail: {m:?}")
            }
            _ => {}
        }
    }
    eprintln!("joined and probed in {:?}", started.elapsed());
    assert!(a.behaviour().core().stats().probe_acks >= 1, "a acks too");
    let m = a
        .behaviour()
        .members()
        .find(|m| m.id == b_id)
        .expect("a knows b");
    assert_eq!(m.state, MemberState::Alive);
    assert_eq!(m.name(), "b");
    assert!(!m.info.addrs.is_empty(), "b gossiped its listen addresses");
    assert_eq!(a.behaviour().stats().decode_errors, 0);
}

#[tokio::test]
async fn the_core_is_told_which_members_have_an_open_connection() {
    let (mut a, mut b) = joining_pair().await;
    let a_id = *a.local_peer_id();
    let b_id = *b.local_peer_id();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !(a.behaviour().core().is_connected(&b_id) && b.behaviour().core().is_connected(&a_id)) {
        tokio::time::timeout_at(deadline, async {
            tokio::select! {
                _ = a.select_next_some() => {}
                _ = b.select_next_some() => {}
            }
        })
        .await
        .expect("a and b connect within 30 s");
    }
    // b goes away: once a's connection to it closes, a's core no longer
    // counts b as connected.
    drop(b);
    loop {
        let ev = tokio::time::timeout_at(deadline, a.select_next_some())
            .await
            .expect("a notices the closed connection within 30 s");
        if let SwarmEvent::ConnectionClosed {
            peer_id,
            num_established: 0,
            ..
        } = ev
        {
            assert_eq!(peer_id, b_id);
            break;
        }
    }
    assert!(!a.behaviour().core().is_connected(&b_id));
}

/// A swarm whose probes, push-pulls and join retries are far apart and which gossips
/// to one member (its only connected one, the seed, is picked first), so
/// that within a test only dialing ahead can connect two members that joined
/// through a third.
fn quiet_swarm(name: &str, connect_ahead: usize, retransmit_mult: u32) -> Swarm<Behaviour> {
    let name = name.to_owned();
    Swarm::new_ephemeral_tokio(move |kp| {
        let protocol = lifebuoy_core::Config {
            probe_interval: Duration::from_secs(60),
            push_pull_interval: Duration::from_secs(60),
            reconnect_interval: Duration::from_secs(60),
            gossip_nodes: 1,
            retransmit_mult,
            // A join retry goes to any member known by then.
            join_retry_interval: Duration::from_secs(10),
            ..fast()
        };
        let mut cfg = Config::new(protocol).with_name(name);
        cfg.connect_ahead = connect_ahead;
        Behaviour::new(&kp, cfg).expect("valid config")
    })
}

/// `b` joins through `a`, then `c` does (so `a`'s answer to `c`'s join
/// names `b`); polls all three until `done` or `limit`.
async fn trio_until(
    connect_ahead: usize,
    retransmit_mult: u32,
    limit: Duration,
    done: impl Fn(&[Swarm<Behaviour>; 3]) -> bool,
) -> [Swarm<Behaviour>; 3] {
    let mut s = [
        quiet_swarm("a", connect_ahead, retransmit_mult),
        quiet_swarm("b", connect_ahead, retransmit_mult),
        quiet_swarm("c", connect_ahead, retransmit_mult),
    ];
    let (a_mem, _) = s[0].listen().with_memory_addr_external().await;
    s[1].listen().with_memory_addr_external().await;
    s[2].listen().with_memory_addr_external().await;
    s[1].behaviour_mut().join([a_mem.clone()]);
    let deadline = tokio::time::Instant::now() + limit;
    poll_until(&mut s, deadline, |s| knows(s, 0, 1)).await;
    s[2].behaviour_mut().join([a_mem]);
    poll_until(&mut s, deadline, done).await;
    s
}

async fn poll_until(
    s: &mut [Swarm<Behaviour>; 3],
    deadline: tokio::time::Instant,
    done: impl Fn(&[Swarm<Behaviour>; 3]) -> bool,
) {
    while !done(s) && tokio::time::Instant::now() < deadline {
        let [a, b, c] = s;
        tokio::select! {
            _ = a.select_next_some() => {}
            _ = b.select_next_some() => {}
            _ = c.select_next_some() => {}
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
}

/// The trio until `c` knows `b` (from `a`'s answer to its join), then 2 s
/// more: time enough for dialing ahead, where it may, to act.
async fn c_learns_of_b_then_runs_2_s(
    connect_ahead: usize,
    retransmit_mult: u32,
) -> [Swarm<Behaviour>; 3] {
    let mut s = trio_until(
        connect_ahead,
        retransmit_mult,
        Duration::from_secs(30),
        |s| knows(s, 2, 1),
    )
    .await;
    assert!(knows(&s, 2, 1), "c learns of b from a's answer to its join");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    poll_until(&mut s, deadline, |_| false).await;
    s
}

fn connected(s: &[Swarm<Behaviour>; 3], x: usize, y: usize) -> bool {
    s[x].behaviour().core().is_connected(s[y].local_peer_id())
}

fn knows(s: &[Swarm<Behaviour>; 3], x: usize, y: usize) -> bool {
    s[x].behaviour()
        .members()
        .any(|m| m.id == *s[y].local_peer_id() && m.state == MemberState::Alive)
}

#[tokio::test]
async fn a_healthy_node_connects_ahead_to_members_it_learns_of_before_probing_them() {
    let s = trio_until(32, 2, Duration::from_secs(30), |s| {
        connected(s, 2, 1) && connected(s, 1, 2)
    })
    .await;
    assert!(
        connected(&s, 2, 1) && connected(&s, 1, 2),
        "c connects to b within 30 s although neither probes the other"
    );
    // Both learn of the other without a probe (c from a's answer, b from the
    // gossip of c's join), so either may dial first; on a loaded machine b
    // sometimes does, and then c has nothing left to dial.
    let ahead =
        s[1].behaviour().stats().connections_ahead + s[2].behaviour().stats().connections_ahead;
    assert!(ahead >= 1, "b or c opened the connection ahead of need");
    for x in &s {
        assert_eq!(
            x.behaviour().core().stats().probes,
            0,
            "no probe in the test"
        );
    }
}

#[tokio::test]
async fn with_connect_ahead_at_zero_a_node_opens_no_connection_ahead() {
    let s = c_learns_of_b_then_runs_2_s(0, 2).await;
    for x in &s {
        assert_eq!(x.behaviour().stats().connections_ahead, 0);
    }
}

#[tokio::test]
async fn a_node_with_gossip_queued_waits_before_connecting_ahead() {
    // Each update is piggybacked 400 times, one member per 50 ms: c's queue
    // stays full for the whole test, as during a join storm.
    let s = c_learns_of_b_then_runs_2_s(512, 400).await;
    assert!(s[2].behaviour().core().queued_updates() > 0);
    assert_eq!(s[2].behaviour().stats().connections_ahead, 0);
}
