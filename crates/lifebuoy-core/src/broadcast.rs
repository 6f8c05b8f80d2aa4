//! The piggyback queue (SWIM section 4.1, "infection-style dissemination";
//! memberlist's TransmitLimitedQueue).
//!
//! Each update is encoded once and piggybacked on outgoing messages, least
//! sent first (newest first among equals), until it has been sent
//! `retransmit_limit` times. A newer update about a member replaces the older
//! one. The queue is bounded: when full, the most-sent update is dropped.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Arc;

type Key = (u32, Reverse<u64>);

#[derive(Debug)]
struct Queued<I> {
    about: I,
    bytes: Arc<[u8]>,
}

#[derive(Debug)]
pub(crate) struct BroadcastQueue<I> {
    order: BTreeMap<Key, Queued<I>>,
    by_member: HashMap<I, Key>,
    next_id: u64,
    max: usize,
}

/// Bytes a byte-string of `len` bytes takes in CBOR, header included.
pub(crate) fn cbor_bytes_cost(len: usize) -> usize {
    len + match len {
        0..=23 => 1,
        24..=255 => 2,
        256..=65_535 => 3,
        _ => 5,
    }
}

impl<I: Clone + Eq + Hash> BroadcastQueue<I> {
    pub(crate) fn new(max: usize) -> Self {
        BroadcastQueue {
            order: BTreeMap::new(),
            by_member: HashMap::new(),
            next_id: 0,
            max,
        }
    }

    /// Queues `bytes` about `about`, replacing any older update about the same
    /// member. Returns `true` if an entry had to be dropped to make room.
    pub(crate) fn push(&mut self, about: I, bytes: impl Into<Arc<[u8]>>) -> bool {
        if let Some(old) = self.by_member.remove(&about) {
            self.order.remove(&old);
        }
        self.next_id += 1;
        let key = (0, Reverse(self.next_id));
        self.order.insert(
            key,
            Queued {
                about: about.clone(),
                bytes: bytes.into(),
            },
        );
        self.by_member.insert(about, key);
        let mut dropped = false;
        while self.order.len() > self.max {
            if let Some((_, q)) = self.order.pop_last() {
                self.by_member.remove(&q.about);
                dropped = true;
            }
        }
        dropped
    }

    /// Takes updates totalling at most `budget` bytes (CBOR byte-string
    /// headers included), skipping `skip`, and counts one transmission for
    /// each. Updates sent `limit` times are removed.
    pub(crate) fn take(
        &mut self,
        mut budget: usize,
        limit: u32,
        skip: Option<&I>,
    ) -> Vec<Arc<[u8]>> {
        let mut out = Vec::new();
        let mut taken: Vec<Key> = Vec::new();
        // Updates are similar in size: after a run of misses the rest will
        // not fit either, so stop instead of scanning a long queue.
        let mut misses = 0;
        for (key, q) in self.order.iter() {
            if budget < 8 || misses >= 8 {
                break;
            }
            if skip == Some(&q.about) {
                continue;
            }
            let cost = cbor_bytes_cost(q.bytes.len());
            if cost > budget {
                misses += 1;
                continue;
            }
            budget -= cost;
            out.push(q.bytes.clone());
            taken.push(*key);
        }
        for key in taken {
            if let Some(q) = self.order.remove(&key) {
                let sent = key.0 + 1;
                if sent >= limit {
                    self.by_member.remove(&q.about);
                } else {
                    let nk = (sent, key.1);
                    self.by_member.insert(q.about.clone(), nk);
                    self.order.insert(nk, q);
                }
            }
        }
        out
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_update_about_a_member_replaces_the_older_swim_4_1() {
        let mut q = BroadcastQueue::new(100);
        q.push(1u32, vec![1; 10]);
        q.push(1u32, vec![2; 10]);
        assert_eq!(q.len(), 1);
        assert_eq!(&*q.take(1000, 4, None)[0], &[2u8; 10][..]);
    }

    #[test]
    fn updates_are_sent_least_sent_first_and_dropped_at_the_limit() {
        let mut q = BroadcastQueue::new(100);
        q.push(1u32, vec![1; 10]);
        let first = q.take(12, 2, None);
        assert_eq!(first.len(), 1);
        q.push(2u32, vec![2; 10]);
        // 2 has been sent 0 times, 1 once: 2 goes first.
        let second = q.take(12, 2, None);
        assert_eq!(&*second[0], &[2u8; 10][..]);
        let third = q.take(100, 2, None);
        assert_eq!(third.len(), 2);
        assert!(q.is_empty(), "both reached the limit of 2");
    }

    #[test]
    fn the_byte_budget_is_never_exceeded() {
        let mut q = BroadcastQueue::new(100);
        for i in 0..50u32 {
            q.push(i, vec![0; 30]);
        }
        let got = q.take(200, 10, None);
        let used: usize = got.iter().map(|b| cbor_bytes_cost(b.len())).sum();
        assert!(used <= 200);
        assert_eq!(got.len(), 200 / 32);
    }

    #[test]
    fn the_queue_is_bounded_dropping_the_most_sent() {
        let mut q = BroadcastQueue::new(2);
        q.push(1u32, vec![1]);
        q.take(100, 10, None);
        q.push(2u32, vec![2]);
        assert!(q.push(3u32, vec![3]));
        assert_eq!(q.len(), 2);
        assert!(
            !q.by_member.contains_key(&1),
            "the most-sent entry went first"
        );
    }
}
