//! Many nodes in one process on the memory transport.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{eventually, init_tracing, record, test_profile};
use lifebuoy::{Event, MemberState, MembershipUpdate, Node};

async fn memory_node(name: String, seed: Option<libp2p::Multiaddr>) -> Node {
    let mut b = Node::builder()
        .memory_transport()
        .name(name)
        .profile(test_profile());
    if let Some(s) = seed {
        b = b.bootstrap(s);
    }
    b.start().await.expect("node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_nodes_converge_and_only_the_crashed_one_is_reported_failed() {
    init_tracing();
    const N: usize = 50;
    let started = Instant::now();
    let first = memory_node("n0".into(), None).await;
    let seed = first.listen_addrs().first().cloned().expect("listening");
    let mut nodes = vec![first];
    for i in 1..N {
        nodes.push(memory_node(format!("n{i}"), Some(seed.clone())).await);
    }
    let logs: Vec<_> = nodes.iter().map(record).collect();

    eventually(
        Duration::from_secs(120),
        "every node sees the other 49 alive",
        || {
            let done = nodes.iter().all(|n| {
                n.members()
                    .iter()
                    .filter(|m| m.state == MemberState::Alive)
                    .count()
                    == N - 1
            });
            async move { done }
        },
    )
    .await;
    let converged = started.elapsed();

    let victim = nodes.pop().expect("a node");
    let victim_id = victim.peer_id();
    drop(victim); // crash: no leave
    let crashed = Instant::now();

    eventually(
        Duration::from_secs(120),
        "every survivor reports the crashed node failed",
        || {
            let done = nodes.iter().all(|n| {
                n.member(&victim_id)
                    .is_some_and(|m| m.state == MemberState::Dead)
            });
            async move { done }
        },
    )
    .await;
    let detected = crashed.elapsed();

    // Let suspicions of anyone else (there should be none) run out.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (n, log) in nodes.iter().zip(&logs) {
        let failed: HashSet<_> = log
            .lock()
            .expect("log")
            .iter()
            .filter_map(|(_, u)| match u {
                MembershipUpdate::Event(Event::MemberFailed(m)) => Some(m.id),
                _ => None,
            })
            .collect();
        assert_eq!(
            failed,
            HashSet::from([victim_id]),
            "node {} reported other failures",
            n.peer_id()
        );
        let alive = n
            .members()
            .iter()
            .filter(|m| m.state == MemberState::Alive)
            .count();
        assert_eq!(
            alive,
            N - 2,
            "node {} still sees every survivor alive",
            n.peer_id()
        );
    }
    let mut conns = 0;
    for n in &nodes {
        conns += n.stats().await.expect("stats").connections;
    }
    eprintln!(
        "converged in {converged:?}, failure detected everywhere in {detected:?}, mean open connections per node {:.1}",
        conns as f64 / nodes.len() as f64
    );
    for n in nodes {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_subscriber_gets_a_resync_marker_then_a_correct_snapshot() {
    init_tracing();
    let a = Node::builder()
        .memory_transport()
        .name("a")
        .profile(test_profile())
        .subscriber_capacity(2)
        .start()
        .await
        .expect("a starts");
    let seed = a.listen_addrs().first().cloned().expect("listening");
    // Subscribed now, but not read until much later.
    let mut slow = a.subscribe();
    let b = memory_node("b".into(), Some(seed.clone())).await;
    let c = memory_node("c".into(), Some(seed)).await;
    let (b_id, c_id) = (b.peer_id(), c.peer_id());
    eventually(Duration::from_secs(60), "a sees b and c alive", || {
        let ok = [b_id, c_id]
            .iter()
            .all(|id| a.member(id).is_some_and(|m| m.state == MemberState::Alive));
        async move { ok }
    })
    .await;
    // Four more changes, each observed by a: more than the channel holds.
    for i in 0..4 {
        let meta = [("v".to_string(), i.to_string())].into_iter().collect();
        b.set_metadata(meta).await.expect("metadata");
        let want = i.to_string();
        eventually(Duration::from_secs(60), "a sees b's new metadata", || {
            let ok = a
                .member(&b_id)
                .is_some_and(|m| m.info.meta.get("v") == Some(&want));
            async move { ok }
        })
        .await;
    }

    assert!(
        matches!(next(&mut slow).await, MembershipUpdate::Snapshot(_)),
        "starts with the view"
    );
    let mut saw_lag = false;
    let snapshot = loop {
        match next(&mut slow).await {
            MembershipUpdate::Lagged { missed } => {
                assert!(missed > 0);
                saw_lag = true;
            }
            MembershipUpdate::Snapshot(s) => break s,
            MembershipUpdate::Event(_) => assert!(!saw_lag, "after Lagged comes a snapshot"),
        }
    };
    assert!(saw_lag, "the marker precedes the resync snapshot");
    let b_entry = snapshot
        .iter()
        .find(|m| m.id == b_id)
        .expect("b in snapshot");
    assert_eq!(b_entry.info.meta.get("v").map(String::as_str), Some("3"));
    assert!(snapshot
        .iter()
        .any(|m| m.id == c_id && m.state == MemberState::Alive));

    // After the resync, changes flow again in order.
    let meta = [("v".to_string(), "4".to_string())].into_iter().collect();
    b.set_metadata(meta).await.expect("metadata");
    loop {
        if let MembershipUpdate::Event(Event::MemberUpdated(m)) = next(&mut slow).await {
            if m.id == b_id && m.info.meta.get("v").map(String::as_str) == Some("4") {
                break;
            }
        }
    }
    for n in [a, b, c] {
        n.shutdown().await;
    }
}

async fn next(s: &mut lifebuoy::Subscription) -> MembershipUpdate {
    use futures::StreamExt;
    tokio::time::timeout(Duration::from_secs(30), s.next())
        .await
        .expect("an update within 30 s")
        .expect("stream open")
}
