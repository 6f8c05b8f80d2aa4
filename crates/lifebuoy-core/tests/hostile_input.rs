//! Peer input never panics: it is counted and dropped, and nothing changes.

mod common;

use std::time::Duration;

use common::Net;
use lifebuoy_core::wire::{self, Kind, Packet, Update};
use lifebuoy_core::{Channel, Config, WireError};

#[test]
fn garbage_and_oversized_input_is_counted_and_dropped() {
    let mut net = Net::converged(3, Config::lan());
    let now = net.now;
    let c = net.core_mut(0);
    let mut rng = lifebuoy_core::DetRng::seed_from_u64(5);
    for len in 0..2000usize {
        let bytes: Vec<u8> = (0..len % 300).map(|_| rng.next_u64() as u8).collect();
        let _ = c.handle_message(now, 1, Channel::Probe, &bytes);
        let _ = c.handle_message(now, 1, Channel::Sync, &bytes);
    }
    let big = vec![0u8; 70_000];
    assert!(matches!(
        c.handle_message(now, 1, Channel::Probe, &big),
        Err(WireError::TooLarge { .. })
    ));
    assert!(c.stats().decode_errors >= 3000);
    assert_eq!(c.member_count(), 2);
    net.run_for(Duration::from_secs(5));
    assert!(net.events.iter().all(|(_, _, e)| e.name() != "suspected"));
}

#[test]
fn a_hello_from_another_cluster_is_refused_naming_both() {
    let mut net = Net::converged(2, Config::lan());
    let theirs = wire::encode_hello("other").expect("encode");
    let err = net.core_mut(0).check_hello(&theirs).unwrap_err();
    assert!(
        err.to_string().contains("other") && err.to_string().contains("lifebuoy"),
        "{err}"
    );
    assert_eq!(net.core(0).stats().wrong_cluster, 1);
    let ours = net.core(1).hello();
    assert_eq!(net.core_mut(0).check_hello(&ours), Ok(()));
    assert_eq!(net.core(0).stats().wrong_cluster, 1);
    assert!(
        net.core_mut(0).poll_transmit().is_none(),
        "a hello is answered by nothing"
    );
}

#[test]
fn a_ping_naming_another_target_is_not_acked() {
    let mut net = Net::converged(2, Config::lan());
    let p = Packet {
        kind: Kind::Ping {
            seq: 1,
            target: Some(7u32),
            nonce: None,
        },
        gossip: vec![],
    };
    let bytes = wire::encode(&p).expect("encode");
    let now = net.now;
    let c = net.core_mut(0);
    c.handle_message(now, 1, Channel::Probe, &bytes)
        .expect("decodes");
    assert_eq!(c.stats().misdirected, 1);
    assert!(
        std::iter::from_fn(|| c.poll_transmit()).all(|t| !matches!(
            wire::decode::<u32>(&t.payload, 1 << 20).map(|p| p.kind),
            Ok(Kind::Ack { .. })
        )),
        "acked a ping meant for someone else"
    );
}

#[test]
fn a_push_pull_on_the_probe_channel_is_refused() {
    let mut net = Net::converged(2, Config::lan());
    let p = Packet {
        kind: Kind::<u32>::Sync {
            join: true,
            reply: true,
            members: vec![],
        },
        gossip: vec![],
    };
    let bytes = wire::encode(&p).expect("encode");
    let now = net.now;
    let err = net
        .core_mut(0)
        .handle_message(now, 1, Channel::Probe, &bytes)
        .unwrap_err();
    assert!(matches!(err, WireError::WrongChannel(_)));
}

#[test]
fn a_bad_piggybacked_update_is_dropped_alone() {
    let mut net = Net::converged(3, Config::lan());
    let good = wire::encode_update(&Update::Alive {
        id: 9u32,
        incarnation: 0,
        name: "n9".into(),
        addrs: vec![],
        meta: Default::default(),
    })
    .expect("encode");
    let p = Packet {
        kind: Kind::<u32>::Gossip,
        gossip: vec![
            serde_bytes::ByteBuf::from(vec![0xff, 0x00]),
            serde_bytes::ByteBuf::from(good),
        ],
    };
    let bytes = wire::encode(&p).expect("encode");
    let now = net.now;
    net.core_mut(0)
        .handle_message(now, 1, Channel::Probe, &bytes)
        .expect("the envelope is fine");
    assert_eq!(net.core(0).stats().bad_updates, 1);
    assert!(
        net.core(0).member(&9).is_some(),
        "the good update was applied"
    );
}

#[test]
fn a_forged_left_or_dead_claim_about_ourselves_is_refuted() {
    let mut net = Net::converged(3, Config::lan());
    for u in [
        Update::Left {
            id: 0u32,
            incarnation: 0,
        },
        Update::Dead {
            id: 0,
            incarnation: 1,
            from: 1,
        },
    ] {
        let p = Packet {
            kind: Kind::<u32>::Gossip,
            gossip: vec![serde_bytes::ByteBuf::from(
                wire::encode_update(&u).expect("e"),
            )],
        };
        let bytes = wire::encode(&p).expect("encode");
        let now = net.now;
        net.core_mut(0)
            .handle_message(now, 1, Channel::Probe, &bytes)
            .expect("ok");
    }
    assert_eq!(net.core(0).local().incarnation, 2);
    assert_eq!(net.core(0).local().state, lifebuoy_core::MemberState::Alive);
}

fn gossip_of(updates: &[Update<u32>]) -> Vec<u8> {
    let p = Packet {
        kind: Kind::<u32>::Gossip,
        gossip: updates
            .iter()
            .map(|u| serde_bytes::ByteBuf::from(wire::encode_update(u).expect("e")))
            .collect(),
    };
    wire::encode(&p).expect("encode")
}

fn fake_alive(id: u32) -> Update<u32> {
    Update::Alive {
        id,
        incarnation: 0,
        name: format!("fake-{id}"),
        addrs: vec![],
        meta: Default::default(),
    }
}

#[test]
fn a_flood_of_fake_joins_fills_the_table_only_to_max_members_and_the_queue_to_its_cap() {
    let config = Config {
        max_members: 50,
        max_queued_updates: 64,
        ..Config::lan()
    };
    let mut net = Net::converged(3, config);
    let now = net.now;
    let c = net.core_mut(0);
    // 20 000 made-up members, 10 per message, as gossip and as push-pulls.
    for batch in 0..2000u32 {
        let ups: Vec<_> = (0..10).map(|i| fake_alive(1000 + batch * 10 + i)).collect();
        c.handle_message(now, 1, Channel::Probe, &gossip_of(&ups))
            .expect("well-formed");
        assert!(c.member_count() <= 50);
        assert!(c.queued_updates() <= 64);
        while c.poll_transmit().is_some() {}
        while c.poll_event().is_some() {}
    }
    assert_eq!(c.member_count(), 50);
    assert!(c.stats().table_full_drops >= 19_000);
    // The honest members are still there and still served.
    net.run_for(Duration::from_secs(5));
    assert_eq!(net.state_of(0, 1), Some(lifebuoy_core::MemberState::Alive));
}

#[test]
fn claims_about_members_not_on_the_allowlist_never_enter_the_table() {
    let mut net = Net::converged(3, Config::lan());
    net.core_mut(0)
        .set_allowlist(Some([0u32, 1, 2, 7].into_iter().collect()));
    let now = net.now;
    let bytes = gossip_of(&[fake_alive(7), fake_alive(8), fake_alive(9)]);
    net.core_mut(0)
        .handle_message(now, 1, Channel::Probe, &bytes)
        .expect("well-formed");
    let c = net.core(0);
    assert!(c.member(&7).is_some(), "an allowed member was refused");
    assert!(c.member(&8).is_none() && c.member(&9).is_none());
    assert_eq!(c.stats().not_admitted, 2);
}

#[test]
fn a_hello_of_an_unknown_protocol_version_is_refused_and_counted_and_the_node_keeps_answering() {
    #[derive(serde::Serialize)]
    struct Future<'a> {
        v: u8,
        c: &'a str,
        p: u32,
    }
    let mut net = Net::converged(2, Config::lan());
    let bytes = cbor4ii::serde::to_vec(
        Vec::new(),
        &Future {
            v: 99,
            c: "lifebuoy",
            p: 7,
        },
    )
    .expect("encode");
    let now = net.now;
    let c = net.core_mut(0);
    assert_eq!(
        c.check_hello(&bytes),
        Err(WireError::UnsupportedVersion(99))
    );
    assert_eq!(c.stats().decode_errors, 1);
    let ping = wire::encode(&Packet {
        kind: Kind::Ping {
            seq: 9,
            target: Some(0u32),
            nonce: None,
        },
        gossip: vec![],
    })
    .expect("encode");
    c.handle_message(now, 1, Channel::Probe, &ping)
        .expect("a ping");
    let ack = std::iter::from_fn(|| c.poll_transmit()).find_map(|t| {
        match wire::decode::<u32>(&t.payload, 1 << 20) {
            Ok(Packet {
                kind: Kind::Ack { seq: 9, .. },
                ..
            }) => Some(()),
            _ => None,
        }
    });
    assert!(ack.is_some(), "no ack after the unknown version");
}
