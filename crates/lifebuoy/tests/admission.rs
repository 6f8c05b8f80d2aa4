//! Admission and isolation on the memory transport: cluster names, the
//! pre-shared key (libp2p private network) and the PeerId allowlist.

mod common;

use std::time::Duration;

use common::{eventually, init_tracing, test_profile};
use libp2p::identity::Keypair;
use libp2p::pnet::PreSharedKey;
use libp2p::PeerId;
use lifebuoy::{MemberState, Node, NodeBuilder};

fn builder(name: &str) -> NodeBuilder {
    Node::builder()
        .memory_transport()
        .name(name)
        .profile(test_profile())
}

fn alive(n: &Node) -> Vec<PeerId> {
    n.members()
        .iter()
        .filter(|m| m.state == MemberState::Alive)
        .map(|m| m.id)
        .collect()
}

fn seed_of(n: &Node) -> libp2p::Multiaddr {
    n.listen_addrs().first().cloned().expect("listening")
}

/// Lets a few protocol periods (500 ms each) and join retries go by.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(4)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_of_another_cluster_is_refused_and_counted() {
    init_tracing();
    let green = builder("green")
        .profile(lifebuoy_core::Config {
            cluster: "green".into(),
            ..test_profile()
        })
        .start()
        .await
        .expect("start");
    let blue = builder("blue")
        .profile(lifebuoy_core::Config {
            cluster: "blue".into(),
            ..test_profile()
        })
        .bootstrap(seed_of(&green))
        .start()
        .await
        .expect("start");
    eventually(Duration::from_secs(30), "green refuses blue's join", || {
        let n = &green;
        async move {
            n.stats()
                .await
                .is_ok_and(|s| s.core.wrong_cluster > 0 && s.driver.wrong_cluster > 0)
        }
    })
    .await;
    settle().await;
    assert!(
        green.members().is_empty(),
        "green admitted {:?}",
        green.members()
    );
    assert!(
        blue.members().is_empty(),
        "blue admitted {:?}",
        blue.members()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_with_the_same_pre_shared_key_converge_and_others_cannot_connect() {
    init_tracing();
    let key = PreSharedKey::new([7; 32]);
    let other = PreSharedKey::new([8; 32]);
    let a = builder("a").pre_shared_key(key).start().await.expect("a");
    let b = builder("b")
        .pre_shared_key(key)
        .bootstrap(seed_of(&a))
        .start()
        .await
        .expect("b");
    let wrong = builder("wrong-key")
        .pre_shared_key(other)
        .bootstrap(seed_of(&a))
        .start()
        .await
        .expect("wrong");
    let none = builder("no-key")
        .bootstrap(seed_of(&a))
        .start()
        .await
        .expect("none");
    eventually(Duration::from_secs(30), "a and b see each other", || {
        let ok = alive(&a) == vec![b.peer_id()] && alive(&b) == vec![a.peer_id()];
        async move { ok }
    })
    .await;
    settle().await;
    assert_eq!(alive(&a), vec![b.peer_id()], "a admitted an outsider");
    for outsider in [&wrong, &none] {
        // A wrong key only shows once the upgrade after the pnet handshake
        // fails or times out, so wait for the outsider's failed dial.
        eventually(Duration::from_secs(60), "the outsider's dial fails", || {
            let n = outsider;
            async move { n.stats().await.is_ok_and(|s| s.driver.dial_failures > 0) }
        })
        .await;
        assert!(outsider.members().is_empty());
        let s = outsider.stats().await.expect("stats");
        assert_eq!(s.connections, 0);
        assert_eq!(s.driver.frames_in, 0, "an outsider received a frame");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pre_shared_key_refuses_quic_addresses_with_a_clear_error() {
    let err = Node::builder()
        .pre_shared_key(PreSharedKey::new([1; 32]))
        .listen_on("/ip4/127.0.0.1/udp/0/quic-v1".parse().expect("addr"))
        .start()
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("quic-v1") && err.contains("TCP only"),
        "unexpected error: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_allowlist_denies_other_peers_and_their_members_never_enter_the_table() {
    init_tracing();
    let (ka, kb, kc) = (
        Keypair::generate_ed25519(),
        Keypair::generate_ed25519(),
        Keypair::generate_ed25519(),
    );
    let (ida, idb, idc) = (
        ka.public().to_peer_id(),
        kb.public().to_peer_id(),
        kc.public().to_peer_id(),
    );
    // a admits only a and b; b admits anyone, so it learns c and gossips
    // c's Alive claim to a.
    let a = builder("a")
        .keypair(ka)
        .allowed_peers([ida, idb])
        .start()
        .await
        .expect("a");
    let b = builder("b")
        .keypair(kb)
        .bootstrap(seed_of(&a))
        .start()
        .await
        .expect("b");
    let c = builder("c")
        .keypair(kc)
        .bootstrap(seed_of(&b))
        .start()
        .await
        .expect("c");
    eventually(Duration::from_secs(30), "b sees a and c", || {
        let mut v = alive(&b);
        v.sort();
        let mut want = vec![ida, idc];
        want.sort();
        async move { v == want }
    })
    .await;
    eventually(
        Duration::from_secs(30),
        "a drops claims about c and denies c's connections",
        || {
            let n = &a;
            async move {
                n.stats()
                    .await
                    .is_ok_and(|s| s.core.not_admitted > 0 && s.driver.connections_denied > 0)
            }
        },
    )
    .await;
    settle().await;
    assert_eq!(alive(&a), vec![idb], "a's table: {:?}", a.members());
    drop(c);
}
