//! Watches every node's membership events: keeps each view (who it believes
//! Alive) as a bitset so convergence is known incrementally, times crash
//! detection, and classifies failure declarations as explained or false.

use std::collections::BTreeSet;

use lifebuoy_core::{Event, MemberState};

use crate::clock::Nanos;
use crate::faults::FaultLog;

#[derive(Debug)]
struct CrashRec {
    at: Nanos,
    seen: Vec<u64>,
}

/// A false failure declaration, kept for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FalsePositive {
    pub(crate) at: Nanos,
    pub(crate) observer: u32,
    pub(crate) member: u32,
}

#[derive(Debug)]
pub(crate) struct Observer {
    n: usize,
    words: usize,
    /// Row `o`: bit `m` set when `o` believes `m` Alive.
    view: Vec<u64>,
    live: Vec<bool>,
    live_count: usize,
    /// Per observer: members whose bit disagrees with the truth.
    mismatch: Vec<u32>,
    /// Sum of `mismatch` over live observers: 0 means every view is right.
    total: u64,
    up_since: Vec<Nanos>,
    converge_from: Option<Nanos>,
    pub(crate) converged_at: Option<Nanos>,
    crashes: Vec<Option<CrashRec>>,
    pub(crate) detections: Vec<Nanos>,
    fp_pairs: BTreeSet<(u32, u32)>,
    pub(crate) fp_examples: Vec<FalsePositive>,
    pub(crate) failed_events: u64,
    pub(crate) suspected_events: u64,
    pub(crate) refuted_events: u64,
    /// Nodes whose views do not count (the `byzantine` scenario's liars).
    ignored: Vec<bool>,
}

fn bit(row: &[u64], m: usize) -> bool {
    row[m / 64] >> (m % 64) & 1 == 1
}

impl Observer {
    /// Every node live; views full (`restored`) or empty.
    pub(crate) fn new(n: usize, restored: bool) -> Self {
        let words = n.div_ceil(64);
        let mut view = vec![0u64; n * words];
        if restored {
            for o in 0..n {
                let row = &mut view[o * words..(o + 1) * words];
                row.fill(u64::MAX);
                if !n.is_multiple_of(64) {
                    row[words - 1] = (1u64 << (n % 64)) - 1;
                }
                row[o / 64] &= !(1u64 << (o % 64));
            }
        }
        let miss = if restored { 0 } else { n as u32 - 1 };
        Observer {
            n,
            words,
            view,
            live: vec![true; n],
            live_count: n,
            mismatch: vec![miss; n],
            total: u64::from(miss) * n as u64,
            up_since: vec![0; n],
            converge_from: None,
            converged_at: None,
            crashes: (0..n).map(|_| None).collect(),
            detections: Vec::new(),
            fp_pairs: BTreeSet::new(),
            fp_examples: Vec::new(),
            failed_events: 0,
            suspected_events: 0,
            refuted_events: 0,
            ignored: vec![false; n],
        }
    }

    /// Stops counting `nodes`' views: their events are not checked, and
    /// they are not survivors that must detect crashes.
    pub(crate) fn ignore(&mut self, nodes: &[u32]) {
        for &i in nodes {
            self.ignored[i as usize] = true;
        }
    }

    pub(crate) fn live_count(&self) -> usize {
        self.live_count
    }

    pub(crate) fn false_positives(&self) -> u64 {
        self.fp_pairs.len() as u64
    }

    /// Views that disagree with the truth, summed over live nodes.
    pub(crate) fn wrong_entries(&self) -> u64 {
        self.total
    }

    fn set_bit(&mut self, o: usize, m: usize, alive: bool) {
        let w = o * self.words + m / 64;
        let mask = 1u64 << (m % 64);
        if (self.view[w] & mask != 0) == alive {
            return;
        }
        self.view[w] ^= mask;
        let now_right = alive == self.live[m];
        if now_right {
            self.mismatch[o] -= 1;
        } else {
            self.mismatch[o] += 1;
        }
        if self.live[o] {
            if now_right {
                self.total -= 1;
            } else {
                self.total += 1;
            }
        }
    }

    /// `m`'s truth changed: every other view's agreement about it flips.
    fn flip_truth(&mut self, m: usize, live: bool) {
        self.live[m] = live;
        for o in 0..self.n {
            if o == m {
                continue;
            }
            let right = bit(&self.view[o * self.words..(o + 1) * self.words], m) == live;
            if right {
                self.mismatch[o] -= 1;
            } else {
                self.mismatch[o] += 1;
            }
            if self.live[o] {
                if right {
                    self.total -= 1;
                } else {
                    self.total += 1;
                }
            }
        }
    }

    pub(crate) fn crashed(&mut self, node: u32, now: Nanos) {
        let m = node as usize;
        if !self.live[m] {
            return;
        }
        self.total -= u64::from(self.mismatch[m]);
        self.live_count -= 1;
        self.flip_truth(m, false);
        self.crashes[m] = Some(CrashRec {
            at: now,
            seen: vec![0; self.words],
        });
    }

    pub(crate) fn restarted(&mut self, node: u32, now: Nanos) {
        let m = node as usize;
        if self.live[m] {
            return;
        }
        self.crashes[m] = None;
        self.live_count += 1;
        self.flip_truth(m, true);
        self.view[m * self.words..(m + 1) * self.words].fill(0);
        self.mismatch[m] = self.live_count as u32 - 1;
        self.total += u64::from(self.mismatch[m]);
        self.up_since[m] = now;
    }

    /// Convergence is measured from `now` (a heal, or the start of a join).
    pub(crate) fn measure_convergence_from(&mut self, now: Nanos) {
        self.converge_from = Some(now);
        self.converged_at = None;
        self.check_converged(now);
    }

    pub(crate) fn converge_from(&self) -> Option<Nanos> {
        self.converge_from
    }

    pub(crate) fn check_converged(&mut self, now: Nanos) {
        if self.converge_from.is_some() && self.converged_at.is_none() && self.total == 0 {
            self.converged_at = Some(now);
        }
    }

    /// One event drained from `observer`.
    pub(crate) fn event(&mut self, now: Nanos, observer: u32, ev: &Event<u32>, faults: &FaultLog) {
        let m = ev.member();
        let member = m.id;
        if member as usize >= self.n || member == observer || self.ignored[observer as usize] {
            return;
        }
        self.set_bit(
            observer as usize,
            member as usize,
            m.state == MemberState::Alive,
        );
        match ev {
            Event::MemberSuspected(_) => self.suspected_events += 1,
            Event::MemberAlive(_) => self.refuted_events += 1,
            Event::MemberFailed(_) => self.failed(now, observer, member, faults),
            _ => {}
        }
    }

    fn failed(&mut self, now: Nanos, observer: u32, member: u32, faults: &FaultLog) {
        self.failed_events += 1;
        if !faults.explains(observer, member, now) {
            if self.fp_pairs.insert((observer, member)) && self.fp_examples.len() < 8 {
                self.fp_examples.push(FalsePositive {
                    at: now,
                    observer,
                    member,
                });
            }
            return;
        }
        let o = observer as usize;
        let since = self.up_since[o];
        if let Some(rec) = self.crashes[member as usize].as_mut() {
            let mask = 1u64 << (o % 64);
            if since <= rec.at && rec.seen[o / 64] & mask == 0 {
                rec.seen[o / 64] |= mask;
                self.detections.push(now - rec.at);
            }
        }
    }

    /// At the end of the run: (crashes old enough to be checked, survivor pairs
    /// that never marked such a crash failed).
    pub(crate) fn missed(&self, end: Nanos, due_after: Nanos) -> (u64, u64) {
        let mut due = 0;
        let mut missed = 0;
        for rec in self.crashes.iter().flatten() {
            if end.saturating_sub(rec.at) < due_after {
                continue;
            }
            due += 1;
            for o in 0..self.n {
                if self.live[o]
                    && !self.ignored[o]
                    && self.up_since[o] <= rec.at
                    && !bit(&rec.seen, o)
                {
                    missed += 1;
                }
            }
        }
        (due, missed)
    }
}
