//! Peer bytes into the wire decoder and a whole core: whatever arrives, no
//! panic, no unbounded allocation, and a refused message changes nothing.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use lifebuoy_core::wire::{self, Packet};
use lifebuoy_core::{Channel, Config, Core, MemberInfo};

fuzz_target!(|data: &[u8]| {
    // The decoders on their own, with both channels' limits.
    for limit in [1200, 64 * 1024] {
        if let Ok(p) = wire::decode::<u32>(data, limit) {
            // What decodes re-encodes, and decodes to the same packet.
            let again = wire::encode(&p).expect("a decoded packet encodes");
            let back: Packet<u32> = wire::decode(&again, usize::MAX).expect("round trip");
            assert_eq!(back, p);
        }
    }
    let _ = wire::decode_update::<u32>(data);
    let _ = wire::decode::<String>(data, 64 * 1024);
    let _ = wire::check_hello(data, "lifebuoy");

    // A core fed the same bytes on both channels.
    let now = Instant::now();
    let mut core = Core::new(Config::lan(), 0u32, MemberInfo::default(), 0, 1, now)
        .expect("the LAN profile is valid");
    let _ = core.check_hello(data);
    for channel in [Channel::Probe, Channel::Sync] {
        let before = core.member_count();
        if core.handle_message(now, 1, channel, data).is_err() {
            assert_eq!(core.member_count(), before, "a refused message changed the table");
        }
        while core.poll_transmit().is_some() {}
        while core.poll_event().is_some() {}
    }
});
