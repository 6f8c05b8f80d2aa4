//! Micro-benchmarks: messages handled per second by one core, and wire
//! encode/decode per second. `cargo bench -p lifebuoy-core`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use lifebuoy_core::wire::{self, Kind, Packet, Update};
use lifebuoy_core::{Addr, Channel, Config, Core, MemberInfo};

fn info(i: u32) -> MemberInfo {
    MemberInfo {
        name: format!("node-{i}"),
        addrs: vec![Addr(
            format!("/ip4/10.0.{}.{}/udp/7946/quic-v1", i / 256, i % 256).into_bytes(),
        )],
        meta: [("role".to_owned(), "web".to_owned())].into(),
    }
}

fn cluster_core(n: u32, now: Instant) -> Core<u32> {
    let mut core = Core::new(Config::lan(), 0, info(0), 0, 1, now).expect("valid config");
    core.restore(now, (1..n).map(|i| (i, Arc::new(info(i)), 0)));
    core
}

/// A probe-channel packet filled to the byte budget with Alive updates.
fn full_gossip_packet() -> Packet<u32> {
    let mut gossip = Vec::new();
    let mut size = 0;
    for i in 0.. {
        let u = Update::Alive {
            id: i,
            incarnation: 3,
            name: format!("node-{i}"),
            addrs: info(i).addrs,
            meta: Default::default(),
        };
        let b = wire::encode_update(&u).expect("encode");
        size += b.len() + 2;
        if size > 1100 {
            break;
        }
        gossip.push(serde_bytes::ByteBuf::from(b));
    }
    Packet {
        kind: Kind::Ping {
            seq: 9,
            target: None,
            nonce: None,
        },
        gossip,
    }
}

fn sync_packet(n: u32) -> Packet<u32> {
    let members = (0..n)
        .map(|i| {
            let inf = info(i);
            let u = Update::Alive {
                id: i,
                incarnation: 1,
                name: inf.name,
                addrs: inf.addrs,
                meta: inf.meta,
            };
            serde_bytes::ByteBuf::from(wire::encode_update(&u).expect("encode"))
        })
        .collect();
    Packet {
        kind: Kind::Sync {
            join: false,
            reply: false,
            members,
        },
        gossip: vec![],
    }
}

fn codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("wire");
    let ping = Packet::<u32> {
        kind: Kind::Ping {
            seq: 1,
            target: None,
            nonce: None,
        },
        gossip: vec![],
    };
    let full = full_gossip_packet();
    let sync = sync_packet(1000);
    for (name, p) in [
        ("ping", &ping),
        ("ping_full_gossip", &full),
        ("sync_1000", &sync),
    ] {
        let bytes = wire::encode(p).expect("encode");
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| wire::encode(black_box(p)))
        });
        g.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| wire::decode::<u32>(black_box(&bytes), 16 << 20))
        });
    }
    g.finish();
}

fn handling(c: &mut Criterion) {
    let start = Instant::now();
    let mut g = c.benchmark_group("core");
    g.throughput(Throughput::Elements(1));
    let ping = wire::encode(&Packet::<u32> {
        kind: Kind::Ping {
            seq: 1,
            target: None,
            nonce: None,
        },
        gossip: vec![],
    })
    .expect("encode");
    let full = wire::encode(&full_gossip_packet()).expect("encode");
    for (name, bytes) in [("ping_to_ack", &ping), ("ping_full_gossip_to_ack", &full)] {
        let mut core = cluster_core(1000, start);
        let mut t = start;
        g.bench_function(format!("handle_message/{name}/n1000"), |b| {
            b.iter(|| {
                t += Duration::from_micros(1);
                let r = core.handle_message(t, 7, Channel::Probe, black_box(bytes));
                while let Some(tx) = core.poll_transmit() {
                    black_box(tx);
                }
                while core.poll_event().is_some() {}
                r
            })
        });
    }
    let sync = wire::encode(&sync_packet(1000)).expect("encode");
    g.bench_function("handle_message/sync_1000_into_n1000", |b| {
        b.iter_batched(
            || cluster_core(1000, start),
            |mut core| {
                let _ = core.handle_message(start, 7, Channel::Sync, &sync);
                core
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("protocol_period/n1000", |b| {
        let mut core = cluster_core(1000, start);
        let mut t = start;
        b.iter(|| {
            t += Duration::from_millis(100);
            core.handle_timeout(t);
            while let Some(tx) = core.poll_transmit() {
                black_box(tx);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, codec, handling);
criterion_main!(benches);
