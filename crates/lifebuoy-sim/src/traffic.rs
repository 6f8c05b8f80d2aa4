//! Traffic accounting (messages and bytes per live node per second, in
//! one-second buckets so the steady window can be chosen after the run) and
//! the retransmit checker: SWIM 4.1 piggybacks each update a bounded number
//! of times, so decoding what a sender emits must never show the same update
//! bytes more than `retransmit_limit(n)` times.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use lifebuoy_core::wire::{self, Kind, Update};
use lifebuoy_core::{Channel, Transmit};

use crate::clock::{Nanos, SEC};

#[derive(Debug, Default, Clone, Copy)]
struct Bucket {
    msgs: u64,
    bytes: u64,
    /// Live-node nanoseconds in this second.
    node_ns: u128,
}

/// The worst retransmit count seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Worst {
    pub(crate) sender: u32,
    pub(crate) sends: u32,
}

#[derive(Debug)]
pub(crate) struct Traffic {
    buckets: Vec<Bucket>,
    last: Nanos,
    live: u64,
    sample: u32,
    sends: HashMap<(u32, u64), u32>,
    limit: u32,
    /// The first updates seen sent more than `limit` times: (sender, update).
    pub(crate) over_limit: Vec<(u32, String)>,
    pub(crate) decoded_packets: u64,
    pub(crate) undecodable: u64,
    pub(crate) dropped: u64,
    /// Push-pull messages sent, and their bytes.
    pub(crate) sync_msgs: u64,
    pub(crate) sync_bytes: u64,
}

/// A fixed-key hash of update bytes (std's SipHash with zero keys).
fn digest(bytes: &[u8]) -> u64 {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// Point-to-point claims sent outside the piggyback queue, in the first
/// gossip slot, which the retransmit bound does not cover: Lifeguard's buddy
/// system (a ping to a suspect, or an ack to a suspect that pinged us,
/// carries our suspicion of it, and a new suspicion is sent to the suspect
/// at once), its reverse (a node accused of failing sends its Alive claim
/// straight to the accuser, `refute_to` in the core's claims.rs), and a
/// node's own new Alive or Left claim told first-hand to distinct members
/// (announce.rs), and a helper's latest claim about the target on its nack
/// to a ping-req (probe.rs, `vouch_for`).
fn direct(sender: u32, kind: &Kind<u32>, to: Option<u32>, raw: &[u8]) -> bool {
    let gossip = matches!(kind, Kind::Gossip);
    let nack = matches!(kind, Kind::Nack { .. });
    let buddy = gossip || matches!(kind, Kind::Ping { .. } | Kind::Ack { .. });
    match wire::decode_update::<u32>(raw) {
        Ok(Update::Suspect { id, from, .. }) => {
            (buddy && to == Some(id) && from == sender) || (nack && id != sender)
        }
        Ok(Update::Alive { id, .. }) => (gossip && id == sender) || (nack && id != sender),
        Ok(Update::Left { id, .. }) => gossip && id == sender,
        _ => false,
    }
}

impl Traffic {
    pub(crate) fn new(duration: Nanos, live: usize, sample: u32, limit: u32) -> Self {
        let secs = (duration / SEC + 1) as usize;
        Traffic {
            buckets: vec![Bucket::default(); secs],
            last: 0,
            live: live as u64,
            sample,
            sends: HashMap::new(),
            limit,
            over_limit: Vec::new(),
            decoded_packets: 0,
            undecodable: 0,
            dropped: 0,
            sync_msgs: 0,
            sync_bytes: 0,
        }
    }

    fn bucket(&mut self, t: Nanos) -> &mut Bucket {
        let i = ((t / SEC) as usize).min(self.buckets.len() - 1);
        &mut self.buckets[i]
    }

    /// Advances the live-node integral to `now`, then sets the live count.
    pub(crate) fn set_live(&mut self, now: Nanos, live: usize) {
        let mut t = self.last;
        while t < now {
            let next = ((t / SEC + 1) * SEC).min(now);
            let live_now = self.live;
            self.bucket(t).node_ns += u128::from(next - t) * u128::from(live_now);
            t = next;
        }
        self.last = now.max(self.last);
        self.live = live as u64;
    }

    /// One message handed to the network by `from`.
    pub(crate) fn sent(&mut self, now: Nanos, from: u32, t: &Transmit<u32>) {
        let b = self.bucket(now);
        b.msgs += 1;
        b.bytes += t.payload.len() as u64;
        if t.channel == Channel::Sync {
            self.sync_msgs += 1;
            self.sync_bytes += t.payload.len() as u64;
        } else if from.is_multiple_of(self.sample) {
            self.check_retransmits(from, t.to.id().copied(), &t.payload);
        }
    }

    fn check_retransmits(&mut self, from: u32, to: Option<u32>, payload: &[u8]) {
        let packet = match wire::decode::<u32>(payload, usize::MAX) {
            Ok(p) => p,
            Err(_) => {
                self.undecodable += 1;
                return;
            }
        };
        self.decoded_packets += 1;
        for (i, raw) in packet.gossip.iter().enumerate() {
            if i == 0 && direct(from, &packet.kind, to, raw) {
                continue;
            }
            let n = self.sends.entry((from, digest(raw))).or_insert(0);
            *n += 1;
            if *n == self.limit + 1 && self.over_limit.len() < 4 {
                let what = match wire::decode_update::<u32>(raw) {
                    Ok(u) => format!("{}:{}@{}", u.state().as_str(), u.id(), u.incarnation()),
                    Err(_) => "undecodable".to_owned(),
                };
                self.over_limit.push((from, what));
            }
        }
    }

    /// The most any sampled sender sent one update (ties: lowest sender).
    pub(crate) fn worst(&self) -> Option<Worst> {
        self.sends
            .iter()
            .map(|(&(sender, _), &sends)| Worst { sender, sends })
            .max_by_key(|w| (w.sends, std::cmp::Reverse(w.sender)))
    }

    /// (messages, bytes) per live node per second over `[from, to)`.
    pub(crate) fn rate(&self, from: Nanos, to: Nanos) -> Option<(f64, f64)> {
        let (a, b) = ((from / SEC) as usize, (to / SEC) as usize);
        let slice = self.buckets.get(a..b.min(self.buckets.len()))?;
        let (mut msgs, mut bytes, mut node_ns) = (0u64, 0u64, 0u128);
        for x in slice {
            msgs += x.msgs;
            bytes += x.bytes;
            node_ns += x.node_ns;
        }
        if node_ns == 0 {
            return None;
        }
        let node_s = node_ns as f64 / SEC as f64;
        Some((msgs as f64 / node_s, bytes as f64 / node_s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifebuoy_core::wire::Packet;
    use lifebuoy_core::Destination;
    use serde_bytes::ByteBuf;

    fn gossip(update: &Update<u32>) -> Transmit<u32> {
        let raw = wire::encode_update(update).expect("encodes");
        let p = Packet {
            kind: Kind::<u32>::Gossip,
            gossip: vec![ByteBuf::from(raw)],
        };
        Transmit {
            to: Destination::Member { id: 1, info: None },
            channel: Channel::Probe,
            payload: wire::encode(&p).expect("encodes"),
        }
    }

    #[test]
    fn an_update_sent_more_than_the_limit_is_caught_swim_4_1() {
        let mut t = Traffic::new(10 * SEC, 3, 1, 4);
        let u = Update::Dead {
            id: 2,
            incarnation: 0,
            from: 0,
        };
        for _ in 0..4 {
            t.sent(0, 0, &gossip(&u));
        }
        assert_eq!(
            t.worst(),
            Some(Worst {
                sender: 0,
                sends: 4
            })
        );
        assert!(t.over_limit.is_empty());
        t.sent(0, 0, &gossip(&u));
        assert_eq!(
            t.worst(),
            Some(Worst {
                sender: 0,
                sends: 5
            })
        );
        assert_eq!(t.over_limit, vec![(0, "dead:2@0".to_owned())]);
    }

    #[test]
    fn a_direct_refutation_to_the_accuser_is_outside_the_bound() {
        let mut t = Traffic::new(10 * SEC, 3, 1, 4);
        let own = Update::Alive {
            id: 0,
            incarnation: 3,
            name: String::new(),
            addrs: vec![],
            meta: Default::default(),
        };
        for _ in 0..10 {
            t.sent(0, 0, &gossip(&own));
        }
        assert_eq!(t.worst(), None);
    }
}
