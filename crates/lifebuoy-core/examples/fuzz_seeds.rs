//! Writes one valid message of every kind (and every update on its own, and
//! a hello) to a directory, so that the fuzzer starts from real packets:
//! `cargo run -p lifebuoy-core --example fuzz_seeds -- fuzz/seeds`.

use lifebuoy_core::wire::{self, Kind, Packet, Update};
use lifebuoy_core::Addr;
use serde_bytes::ByteBuf;

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/seeds".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let updates: Vec<Update<u32>> = vec![
        Update::Alive {
            id: 2,
            incarnation: 3,
            name: "n2".into(),
            addrs: vec![Addr(vec![4, 127, 0, 0, 1])],
            meta: [("role".to_owned(), "web".to_owned())].into(),
        },
        Update::Suspect {
            id: 2,
            incarnation: 3,
            from: 1,
        },
        Update::Dead {
            id: 2,
            incarnation: 3,
            from: 1,
        },
        Update::Left {
            id: 2,
            incarnation: 4,
        },
    ];
    let gossip: Vec<ByteBuf> = updates
        .iter()
        .map(|u| ByteBuf::from(wire::encode_update(u).expect("encode")))
        .collect();
    let kinds: Vec<Kind<u32>> = vec![
        // An intermediary's ping with the requester's nonce, and the
        // target's ack with its proof (here a dummy signature).
        Kind::Ping {
            seq: 1,
            target: None,
            nonce: Some(0x0123_4567_89ab_cdef),
        },
        Kind::Ack {
            seq: 1,
            proof: ByteBuf::from(vec![7; 64]),
        },
        Kind::PingReq {
            seq: 2,
            target: 3,
            addrs: vec![Addr(vec![1, 2, 3])],
            nonce: Some(0x0123_4567_89ab_cdef),
        },
        Kind::Nack { seq: 2 },
        Kind::Gossip,
        Kind::Sync {
            join: true,
            reply: true,
            // Each push-pull entry is a (here unsigned) claim, like gossip.
            members: gossip.clone(),
        },
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let p = Packet {
            kind,
            gossip: gossip.clone(),
        };
        std::fs::write(
            dir.join(format!("msg-{i}")),
            wire::encode(&p).expect("encode"),
        )?;
    }
    for (i, g) in gossip.iter().enumerate() {
        std::fs::write(dir.join(format!("update-{i}")), g)?;
    }
    std::fs::write(
        dir.join("hello-0"),
        wire::encode_hello("lifebuoy").expect("encode"),
    )?;
    Ok(())
}
