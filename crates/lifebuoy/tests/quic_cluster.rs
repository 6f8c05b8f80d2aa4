//! Real QUIC on 127.0.0.1: failure, graceful leave, restart with the same identity.

mod common;

use std::time::Duration;

use common::{eventually, init_tracing, record, test_profile, timeline};
use libp2p::identity::Keypair;
use libp2p::Multiaddr;
use lifebuoy::{Event, MemberState, MembershipUpdate, Node};

async fn quic_node(name: &str, keypair: Keypair, seed: Option<Multiaddr>) -> Node {
    let mut b = Node::builder()
        .keypair(keypair)
        .name(name)
        .profile(test_profile())
        .listen_on("/ip4/127.0.0.1/udp/0/quic-v1".parse().expect("multiaddr"));
    if let Some(s) = seed {
        b = b.bootstrap(s);
    }
    b.start().await.expect("node starts")
}

fn state_everywhere(nodes: &[Node], id: &libp2p::PeerId, state: MemberState) -> bool {
    nodes
        .iter()
        .filter(|n| n.peer_id() != *id)
        .all(|n| n.member(id).is_some_and(|m| m.state == state))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_quic_nodes_detect_a_crash_see_a_leave_and_welcome_a_restart() {
    init_tracing();
    const N: usize = 8;
    let keys: Vec<Keypair> = (0..N).map(|_| Keypair::generate_ed25519()).collect();
    let t0 = std::time::Instant::now();
    let first = quic_node("q0", keys[0].clone(), None).await;
    let seed = first.listen_addrs().first().cloned().expect("listening");
    assert!(seed.to_string().contains("/quic-v1"), "{seed}");
    let mut nodes = vec![first];
    for (i, k) in keys.iter().enumerate().skip(1) {
        nodes.push(quic_node(&format!("q{i}"), k.clone(), Some(seed.clone())).await);
    }
    let logs: Vec<_> = nodes.iter().map(record).collect();
    let names: Vec<String> = (0..N).map(|i| format!("q{i}")).collect();
    let mut steps = Vec::new();
    eventually(
        Duration::from_secs(90),
        "all 8 nodes see each other alive",
        || {
            let ok = nodes.iter().all(|n| {
                n.members()
                    .iter()
                    .filter(|m| m.state == MemberState::Alive)
                    .count()
                    == N - 1
            });
            async move { ok }
        },
    )
    .await;
    // Members gossip reachable QUIC addresses.
    let m = nodes[1].member(&nodes[5].peer_id()).expect("known");
    assert!(m
        .info
        .addrs
        .iter()
        .any(|a| Multiaddr::try_from(a.0.clone()).is_ok_and(|a| a.to_string().contains("quic"))));

    // Idle traffic: frame payload bytes (envelopes, no transport overhead).
    let before = sum_bytes(&nodes).await;
    let window = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = sum_bytes(&nodes).await;
    let secs = window.elapsed().as_secs_f64();
    eprintln!(
        "idle payload per node: {:.0} B/s out, {:.1} open connections per node (probe interval {:?})",
        (after.0 - before.0) as f64 / secs / N as f64,
        after.1 as f64 / N as f64,
        test_profile().probe_interval
    );

    // Crash node 7.
    let crashed = nodes.pop().expect("node");
    let crashed_id = crashed.peer_id();
    let old_incarnation = nodes[0]
        .member(&crashed_id)
        .map(|m| m.incarnation)
        .expect("known");
    drop(crashed);
    steps.push(format!("{:.3} s: q7 crashed", t0.elapsed().as_secs_f64()));
    eventually(
        Duration::from_secs(90),
        "survivors report the crashed node failed",
        || {
            let ok = state_everywhere(&nodes, &crashed_id, MemberState::Dead);
            async move { ok }
        },
    )
    .await;

    // Node 6 leaves gracefully.
    let leaver = nodes.pop().expect("node");
    let leaver_id = leaver.peer_id();
    steps.push(format!("{:.3} s: q6 leaves", t0.elapsed().as_secs_f64()));
    leaver.leave().await.expect("leave");
    leaver.shutdown().await;
    steps.push(format!("{:.3} s: q6 shut down", t0.elapsed().as_secs_f64()));
    eventually(
        Duration::from_secs(60),
        "the others see the leaver Left",
        || {
            let ok = state_everywhere(&nodes, &leaver_id, MemberState::Left);
            async move { ok }
        },
    )
    .await;

    // Node 7 restarts with the same identity.
    steps.push(format!("{:.3} s: q7 restarts", t0.elapsed().as_secs_f64()));
    let restarted = quic_node("q7", keys[7].clone(), Some(seed.clone())).await;
    assert_eq!(restarted.peer_id(), crashed_id);
    nodes.push(restarted);
    eventually(
        Duration::from_secs(90),
        "the restarted node is alive again at a higher incarnation",
        || {
            let ok = nodes.iter().filter(|n| n.peer_id() != crashed_id).all(|n| {
                n.member(&crashed_id).is_some_and(|m| {
                    m.state == MemberState::Alive && m.incarnation > old_incarnation
                })
            });
            async move { ok }
        },
    )
    .await;

    // Nobody but the crashed node was ever reported failed; the leaver was never failed.
    let wrongly_failed: Vec<String> = logs[..6]
        .iter()
        .zip(&names)
        .flat_map(|(log, name)| {
            log.lock()
                .expect("log")
                .iter()
                .filter_map(|(_, u)| match u {
                    MembershipUpdate::Event(Event::MemberFailed(m)) if m.id != crashed_id => {
                        Some(format!("{name} reported {} failed", m.info.name))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        wrongly_failed.is_empty(),
        "only the crashed node fails, but {wrongly_failed:?}\n{}\n{}",
        steps.join("\n"),
        timeline(t0, &names, &logs)
    );
    for n in nodes {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns4_bootstrap_address_is_resolved_and_joined() {
    init_tracing();
    let a = quic_node("a", Keypair::generate_ed25519(), None).await;
    let port = a
        .listen_addrs()
        .iter()
        .find_map(|m| {
            m.iter().find_map(|p| match p {
                libp2p::multiaddr::Protocol::Udp(port) => Some(port),
                _ => None,
            })
        })
        .expect("udp port");
    let dns: Multiaddr = format!("/dns4/localhost/udp/{port}/quic-v1")
        .parse()
        .expect("multiaddr");
    let b = quic_node("b", Keypair::generate_ed25519(), Some(dns)).await;
    let (a_id, b_id) = (a.peer_id(), b.peer_id());
    eventually(
        Duration::from_secs(60),
        "a and b see each other through a /dns4 seed",
        || {
            let ok = a
                .member(&b_id)
                .is_some_and(|m| m.state == MemberState::Alive)
                && b.member(&a_id)
                    .is_some_and(|m| m.state == MemberState::Alive);
            async move { ok }
        },
    )
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

async fn sum_bytes(nodes: &[Node]) -> (u64, usize) {
    let mut bytes = 0;
    let mut conns = 0;
    for n in nodes {
        let s = n.stats().await.expect("stats");
        bytes += s.driver.bytes_out;
        conns += s.connections;
    }
    (bytes, conns)
}
