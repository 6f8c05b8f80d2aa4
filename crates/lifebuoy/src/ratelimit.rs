//! Per-peer token buckets: a peer that floods this node has its frames
//! dropped before they are decoded, while every other peer keeps its own
//! full allowance.

use std::collections::HashMap;
use std::time::Instant;

use libp2p::PeerId;

/// Most peers with a bucket; beyond it the buckets that have refilled (their
/// peers are quiet) are forgotten, then, if that is not enough, all of them.
const MAX_BUCKETS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets keyed by peer: `rate` frames per second, up to `burst` at once.
#[derive(Debug)]
pub(crate) struct PeerLimiter {
    rate: f64,
    burst: f64,
    buckets: HashMap<PeerId, Bucket>,
}

impl PeerLimiter {
    /// `rate` frames per second per peer with bursts of `burst`; a rate of 0
    /// turns limiting off.
    pub(crate) fn new(rate: u32, burst: u32) -> Self {
        PeerLimiter {
            rate: f64::from(rate),
            burst: f64::from(burst.max(1)),
            buckets: HashMap::new(),
        }
    }

    /// Takes one token from `peer`'s bucket; `false` means drop the frame.
    pub(crate) fn allow(&mut self, peer: PeerId, now: Instant) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        if !self.buckets.contains_key(&peer) && self.buckets.len() >= MAX_BUCKETS {
            self.prune(now);
        }
        let (rate, burst) = (self.rate, self.burst);
        let b = self.buckets.entry(peer).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn prune(&mut self, now: Instant) {
        let (rate, burst) = (self.rate, self.burst);
        self.buckets.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
        });
        if self.buckets.len() >= MAX_BUCKETS {
            self.buckets.clear();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_flooding_peer_is_cut_to_its_rate_while_another_keeps_its_allowance() {
        let mut l = PeerLimiter::new(100, 200);
        let (flooder, honest) = (PeerId::random(), PeerId::random());
        let t0 = Instant::now();
        // One second of a 10 000 frames/s flood, 1 frame every 100 µs.
        let mut passed = 0;
        let mut honest_passed = 0;
        for i in 0..10_000u64 {
            let now = t0 + Duration::from_micros(100 * i);
            passed += usize::from(l.allow(flooder, now));
            if i % 100 == 0 {
                honest_passed += usize::from(l.allow(honest, now));
            }
        }
        // The burst plus one second at the rate, give or take a frame.
        assert!((299..=301).contains(&passed), "{passed} frames passed");
        assert_eq!(honest_passed, 100, "the honest peer lost frames");
    }

    #[test]
    fn a_rate_of_zero_turns_limiting_off() {
        let mut l = PeerLimiter::new(0, 1);
        let p = PeerId::random();
        let now = Instant::now();
        assert!((0..10_000).all(|_| l.allow(p, now)));
    }

    #[test]
    fn buckets_are_bounded_however_many_peers_send() {
        let mut l = PeerLimiter::new(10, 10);
        let now = Instant::now();
        for _ in 0..3 * MAX_BUCKETS {
            l.allow(PeerId::random(), now);
        }
        assert!(l.len() <= MAX_BUCKETS);
    }
}
