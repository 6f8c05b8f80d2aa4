//! Faults: the scripted actions a scenario schedules, and the log of what was
//! injected, which decides whether a failure declaration was explained.
//!
//! A node declared failed is explained when it was crashed (now or within the
//! look-back window), or when a partition in force within the window cut it
//! off from the observer, or cut it off from a group whose claims can reach
//! the observer (in a one-way partition A -/-> B, B's verdicts about A still
//! reach A). Pauses and loss never explain a failure: Lifeguard is meant to
//! ride them out.

use crate::clock::Nanos;
use crate::net::Cuts;

/// Something a scenario does at a point in virtual time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// Stop the node for good (its state is dropped); messages to it are lost.
    Crash(u32),
    /// Start a new core with the same id at incarnation 0 and join through a live node.
    Restart(u32),
    /// The node processes nothing until `Resume`; messages queue up.
    Pause(u32),
    /// Deliver the backlog, then run due timers.
    Resume(u32),
    /// Set the loss probability on every link.
    SetLoss(f64),
    /// Cut the given ordered group pairs.
    Partition(Cuts),
    /// Remove every cut; convergence is measured from here.
    Heal,
    /// Crash a random live node, restart it after `downtime`, and come back
    /// after `every` to do it again.
    Churn { every: Nanos, downtime: Nanos },
    /// Every liar attacks (see `byzantine.rs`), and again after `every`.
    Attack { every: Nanos },
}

#[derive(Debug, Clone)]
struct Epoch {
    start: Nanos,
    end: Option<Nanos>,
    cuts: Cuts,
}

/// What was injected, and when.
#[derive(Debug)]
pub(crate) struct FaultLog {
    lookback: Nanos,
    /// Per node: when it last crashed.
    last_crash: Vec<Option<Nanos>>,
    down: Vec<bool>,
    epochs: Vec<Epoch>,
    group: Vec<u8>,
    pub(crate) crashes: u64,
    pub(crate) restarts: u64,
    pub(crate) pauses: u64,
}

impl FaultLog {
    pub(crate) fn new(nodes: usize, lookback: Nanos) -> Self {
        FaultLog {
            lookback,
            last_crash: vec![None; nodes],
            down: vec![false; nodes],
            epochs: Vec::new(),
            group: vec![0; nodes],
            crashes: 0,
            restarts: 0,
            pauses: 0,
        }
    }

    pub(crate) fn set_groups(&mut self, group: &[u8]) {
        self.group = group.to_vec();
    }

    pub(crate) fn crashed(&mut self, node: u32, now: Nanos) {
        self.last_crash[node as usize] = Some(now);
        self.down[node as usize] = true;
        self.crashes += 1;
    }

    pub(crate) fn restarted(&mut self, node: u32) {
        self.down[node as usize] = false;
        self.restarts += 1;
    }

    pub(crate) fn partitioned(&mut self, cuts: Cuts, now: Nanos) {
        self.healed(now);
        self.epochs.push(Epoch {
            start: now,
            end: None,
            cuts,
        });
    }

    pub(crate) fn healed(&mut self, now: Nanos) {
        if let Some(e) = self.epochs.last_mut().filter(|e| e.end.is_none()) {
            e.end = Some(now);
        }
    }

    /// Whether `observer` declaring `member` failed at `now` is explained by an injected fault.
    pub(crate) fn explains(&self, observer: u32, member: u32, now: Nanos) -> bool {
        let m = member as usize;
        if self.down[m] {
            return true;
        }
        if self.last_crash[m].is_some_and(|t| now.saturating_sub(t) <= self.lookback) {
            return true;
        }
        let (go, gm) = (self.group[observer as usize], self.group[m]);
        self.epochs.iter().any(|e| {
            if e.start > now
                || e.end
                    .is_some_and(|end| now.saturating_sub(end) > self.lookback)
            {
                return false;
            }
            let c = &e.cuts;
            if c.blocks(go, gm) || c.blocks(gm, go) {
                return true;
            }
            // The member is cut off from some group whose word reaches the observer.
            c.blocked.iter().any(|&(a, b)| {
                let other = if a == gm {
                    b
                } else if b == gm {
                    a
                } else {
                    return false;
                };
                !c.blocks(other, go)
            })
        })
    }
}
