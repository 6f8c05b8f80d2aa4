//! What was injected and when, and whether it explains a failure
//! declaration. The rule is the simulator's (crates/lifebuoy-sim/src/faults.rs):
//! a member declared failed is explained when it was killed (now or within
//! the look-back window), or when a partition in force within the window cut
//! it off from the observer, or from a group whose word reaches the
//! observer. Pauses and loss never explain a failure: Lifeguard is meant to
//! ride them out.
//!
//! One addition for real runs: once a partition has healed, the word of
//! every group reaches every observer, so a member that a group declared
//! dead while cut off from it may be declared failed by anyone within the
//! window (its own side included) until it refutes: the other side's Dead
//! claim arrives by push-pull or gossip after the heal, at an incarnation
//! the member has not refuted yet.

use std::time::{Duration, Instant};

/// One partition: ordered (from-group, to-group) pairs that cannot talk.
#[derive(Debug, Clone)]
struct Epoch {
    start: Instant,
    end: Option<Instant>,
    group: Vec<u8>,
    blocked: Vec<(u8, u8)>,
}

impl Epoch {
    fn blocks(&self, from: u8, to: u8) -> bool {
        from != to && self.blocked.contains(&(from, to))
    }
}

/// The log of injected faults.
#[derive(Debug)]
pub struct FaultLog {
    lookback: Duration,
    last_kill: Vec<Option<Instant>>,
    down: Vec<bool>,
    epochs: Vec<Epoch>,
    /// Kills (SIGKILL) so far.
    pub kills: u64,
    /// Restarts so far.
    pub restarts: u64,
    /// Pauses (SIGSTOP) so far.
    pub pauses: u64,
}

impl FaultLog {
    /// A log for `nodes` nodes.
    pub fn new(nodes: usize, lookback: Duration) -> Self {
        FaultLog {
            lookback,
            last_kill: vec![None; nodes],
            down: vec![false; nodes],
            epochs: Vec::new(),
            kills: 0,
            restarts: 0,
            pauses: 0,
        }
    }

    /// Node `i` was killed at `at`.
    pub fn killed(&mut self, i: usize, at: Instant) {
        self.last_kill[i] = Some(at);
        self.down[i] = true;
        self.kills += 1;
    }

    /// Node `i` was started again.
    pub fn restarted(&mut self, i: usize) {
        self.down[i] = false;
        self.restarts += 1;
    }

    /// A partition between groups (`group[i]` per node) begins at `at`.
    pub fn partitioned(&mut self, group: Vec<u8>, blocked: Vec<(u8, u8)>, at: Instant) {
        self.healed(at);
        self.epochs.push(Epoch {
            start: at,
            end: None,
            group,
            blocked,
        });
    }

    /// The partition in force ends at `at`.
    pub fn healed(&mut self, at: Instant) {
        if let Some(e) = self.epochs.last_mut().filter(|e| e.end.is_none()) {
            e.end = Some(at);
        }
    }

    /// Whether `observer` declaring `member` failed at `now` is explained.
    pub fn explains(&self, observer: usize, member: usize, now: Instant) -> bool {
        if self.down[member] {
            return true;
        }
        let recent = |t: Instant| now.saturating_duration_since(t) <= self.lookback;
        if self.last_kill[member].is_some_and(recent) {
            return true;
        }
        self.epochs.iter().any(|e| {
            if e.start > now || e.end.is_some_and(|end| !recent(end)) {
                return false;
            }
            let (go, gm) = (e.group[observer], e.group[member]);
            if e.blocks(go, gm) || e.blocks(gm, go) {
                return true;
            }
            let healed = e.end.is_some_and(|end| end <= now);
            e.blocked.iter().any(|&(a, b)| {
                let other = if a == gm {
                    b
                } else if b == gm {
                    a
                } else {
                    return false;
                };
                healed || !e.blocks(other, go)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_with_no_fault_behind_it_is_unexplained() {
        let log = FaultLog::new(3, Duration::from_secs(10));
        assert!(!log.explains(0, 1, Instant::now()));
    }

    #[test]
    fn a_killed_member_stays_explained_for_the_look_back_window_after_its_restart() {
        let t0 = Instant::now();
        let mut log = FaultLog::new(3, Duration::from_secs(10));
        log.killed(1, t0);
        log.restarted(1);
        assert!(log.explains(0, 1, t0 + Duration::from_secs(9)));
        assert!(!log.explains(0, 1, t0 + Duration::from_secs(11)));
    }

    #[test]
    fn a_one_way_cut_explains_verdicts_on_both_sides() {
        let t0 = Instant::now();
        let mut log = FaultLog::new(3, Duration::from_secs(10));
        // Node 2 hears nobody: groups {0,1} -> {2} blocked.
        log.partitioned(vec![0, 0, 1], vec![(0, 1)], t0);
        assert!(log.explains(0, 2, t0 + Duration::from_secs(1)));
        assert!(log.explains(2, 0, t0 + Duration::from_secs(1)));
        log.healed(t0 + Duration::from_secs(2));
        assert!(!log.explains(2, 0, t0 + Duration::from_secs(13)));
    }

    #[test]
    fn after_a_heal_the_other_sides_verdict_explains_a_failure_on_the_members_own_side() {
        let t0 = Instant::now();
        let mut log = FaultLog::new(4, Duration::from_secs(10));
        log.partitioned(vec![0, 0, 1, 1], vec![(0, 1), (1, 0)], t0);
        // During the partition, node 0 has no reason to fail node 1.
        assert!(!log.explains(0, 1, t0 + Duration::from_secs(1)));
        log.healed(t0 + Duration::from_secs(2));
        // After the heal, group 1's Dead claim about node 1 reaches node 0.
        assert!(log.explains(0, 1, t0 + Duration::from_secs(3)));
        assert!(!log.explains(0, 1, t0 + Duration::from_secs(13)));
    }
}
