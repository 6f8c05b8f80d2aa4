//! The core's timers. Each timer carries what it is for (a probe sequence
//! number, a suspected member and incarnation), so that one which has become
//! stale is recognised and ignored when it fires, as in foca.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

/// What a timer is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Timer<I> {
    /// Start the next probe.
    ProbeTick,
    /// No direct ack yet: ask others (ping-req).
    ProbeTimeout { seq: u32 },
    /// End of the probe period: suspect the target if nothing answered.
    ProbeEnd { seq: u32 },
    /// An indirect probe we run for someone else timed out: send a nack.
    RelayTimeout { seq: u32 },
    /// Send gossip-only messages.
    Gossip,
    /// Push-pull with a random live member. Only the timer of the current
    /// generation is live: re-arming bumps the generation.
    PushPull { generation: u32 },
    /// Push-pull with a random dead member.
    Reconnect,
    /// A suspicion may have run out.
    Suspicion { id: I, incarnation: u64 },
    /// The final check of a suspect whose suspicion ran out is over.
    FinalCheck { id: I, incarnation: u64, seq: u32 },
    /// Our own check of a member someone else suspects is over.
    SuspectCheck { id: I, incarnation: u64, seq: u32 },
    /// A Dead or Left member may be forgotten.
    Reap { id: I, since: Instant },
    /// No answer from any seed yet: retry the join.
    JoinRetry,
    /// Follow-up push-pull after a join (`0`: with the seed that answered,
    /// `1`: with a random member).
    JoinFollowup { step: u8 },
}

#[derive(Debug)]
struct Entry<I> {
    at: Instant,
    seq: u64,
    timer: Timer<I>,
}

impl<I> PartialEq for Entry<I> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}
impl<I> Eq for Entry<I> {}
impl<I> PartialOrd for Entry<I> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<I> Ord for Entry<I> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Min-heap on (at, seq): reversed for BinaryHeap.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Timers ordered by deadline, then by when they were set.
#[derive(Debug)]
pub(crate) struct Timers<I> {
    heap: BinaryHeap<Entry<I>>,
    next_seq: u64,
}

impl<I> Timers<I> {
    pub(crate) fn new() -> Self {
        Timers {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    pub(crate) fn set(&mut self, at: Instant, timer: Timer<I>) {
        self.next_seq += 1;
        self.heap.push(Entry {
            at,
            seq: self.next_seq,
            timer,
        });
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.at)
    }

    /// Removes and returns the earliest timer due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, Timer<I>)> {
        if self.heap.peek()?.at <= now {
            self.heap.pop().map(|e| (e.at, e.timer))
        } else {
            None
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}
