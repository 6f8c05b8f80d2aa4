//! Every node's view, rebuilt from its `--events-json` lines: who it
//! believes alive, when it detected a kill, and which failure declarations
//! no injected fault explains.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::faults::FaultLog;
use crate::node::Line;

/// A failure declaration with no fault to explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct FalsePositive {
    /// Seconds after the start of the run.
    pub at_s: f64,
    /// Who declared it.
    pub observer: usize,
    /// Whom.
    pub member: usize,
}

/// One kill and which survivors have detected it.
#[derive(Debug, Clone)]
struct Kill {
    member: usize,
    at: Instant,
    /// Survivors alive since before the kill and not yet seen declaring it.
    waiting: BTreeSet<usize>,
}

/// One survivor's detection of one kill.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The survivor.
    pub observer: usize,
    /// The killed node.
    pub member: usize,
    /// Seconds from the kill to the survivor's `dead` line.
    pub after_s: f64,
}

/// The views of every node.
#[derive(Debug)]
pub struct Observer {
    start: Instant,
    /// `view[o][m]`: the last state `o` printed for `m`.
    view: Vec<Vec<Option<String>>>,
    /// Which start of each node is current.
    generation: Vec<u32>,
    /// Whether each node is running (paused counts as running).
    pub live: Vec<bool>,
    /// Each node's PeerId, from its own first line.
    pub peer_ids: Vec<Option<String>>,
    kills: Vec<Kill>,
    /// Every detection so far.
    pub detections: Vec<Detection>,
    fp_pairs: BTreeSet<(usize, usize)>,
    /// The first few false positives.
    pub fp_examples: Vec<FalsePositive>,
    /// `dead` lines seen.
    pub failed_events: u64,
    /// `suspect` lines seen.
    pub suspected_events: u64,
    /// Lines where a suspected member turned alive again.
    pub refuted_events: u64,
    /// A node printed a PeerId different from the one it started with.
    pub identity_changes: Vec<usize>,
}

/// Index of a node named `n<i>`.
fn index_of(name: &str, n: usize) -> Option<usize> {
    name.strip_prefix('n')
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&i| i < n)
}

impl Observer {
    /// `n` nodes, all running, all views empty.
    pub fn new(n: usize, start: Instant) -> Self {
        Observer {
            start,
            view: vec![vec![None; n]; n],
            generation: vec![0; n],
            live: vec![true; n],
            peer_ids: vec![None; n],
            kills: Vec::new(),
            detections: Vec::new(),
            fp_pairs: BTreeSet::new(),
            fp_examples: Vec::new(),
            failed_events: 0,
            suspected_events: 0,
            refuted_events: 0,
            identity_changes: Vec::new(),
        }
    }

    fn secs(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.start).as_secs_f64()
    }

    /// Node `m` was killed now.
    pub fn killed(&mut self, m: usize, at: Instant) {
        self.live[m] = false;
        // A killed node is no survivor of earlier kills.
        for k in &mut self.kills {
            k.waiting.remove(&m);
        }
        let waiting = (0..self.live.len())
            .filter(|&o| o != m && self.live[o])
            .collect();
        self.kills.push(Kill {
            member: m,
            at,
            waiting,
        });
    }

    /// Node `m` is starting again (a new generation with an empty view).
    pub fn restarted(&mut self, m: usize) -> u32 {
        self.live[m] = true;
        self.generation[m] += 1;
        self.view[m].fill(None);
        // A survivor that has not detected the kill by now never will: the
        // member is back. The kill is no longer waited for.
        for k in self.kills.iter_mut().filter(|k| k.member == m) {
            k.waiting.clear();
        }
        // ... and a restarted node is no survivor of kills before its restart.
        for k in &mut self.kills {
            k.waiting.remove(&m);
        }
        self.generation[m]
    }

    /// One line from a node.
    pub fn line(&mut self, l: &Line, faults: &FaultLog) {
        let n = self.view.len();
        let o = l.observer;
        if o >= n || l.generation != self.generation[o] {
            return;
        }
        let Some(m) = index_of(&l.member, n) else {
            return;
        };
        if m == o {
            match &self.peer_ids[o] {
                None => self.peer_ids[o] = Some(l.peer_id.clone()),
                Some(p) if *p != l.peer_id => self.identity_changes.push(o),
                Some(_) => {}
            }
            return;
        }
        let before = self.view[o][m].replace(l.state.clone());
        match l.state.as_str() {
            "suspect" => self.suspected_events += 1,
            "alive" if before.as_deref() == Some("suspect") => self.refuted_events += 1,
            "dead" => self.failed(l.at, o, m, faults),
            _ => {}
        }
    }

    fn failed(&mut self, at: Instant, o: usize, m: usize, faults: &FaultLog) {
        self.failed_events += 1;
        if !faults.explains(o, m, at) {
            if self.fp_pairs.insert((o, m)) && self.fp_examples.len() < 8 {
                self.fp_examples.push(FalsePositive {
                    at_s: self.secs(at),
                    observer: o,
                    member: m,
                });
            }
            return;
        }
        let mut found = Vec::new();
        for k in &mut self.kills {
            if k.member == m && at >= k.at && k.waiting.remove(&o) {
                found.push(Detection {
                    observer: o,
                    member: m,
                    after_s: at.duration_since(k.at).as_secs_f64(),
                });
            }
        }
        self.detections.extend(found);
    }

    /// Kills some survivor has still not declared failed.
    pub fn undetected(&self) -> usize {
        self.kills.iter().map(|k| k.waiting.len()).sum()
    }

    /// (kills, survivor pairs still waiting for) among kills older than `due`.
    pub fn missed(&self, now: Instant, due: Duration) -> (u64, u64) {
        let old: Vec<&Kill> = self
            .kills
            .iter()
            .filter(|k| now.saturating_duration_since(k.at) >= due)
            .collect();
        (
            old.len() as u64,
            old.iter().map(|k| k.waiting.len() as u64).sum(),
        )
    }

    /// View entries that disagree with the truth: a running node must see
    /// every other running node alive, and no stopped one alive.
    pub fn wrong_entries(&self) -> u64 {
        let n = self.view.len();
        let mut wrong = 0;
        for o in (0..n).filter(|&o| self.live[o]) {
            for m in (0..n).filter(|&m| m != o) {
                let alive = self.view[o][m].as_deref() == Some("alive");
                if alive != self.live[m] {
                    wrong += 1;
                }
            }
        }
        wrong
    }

    /// False positive (observer, member) pairs.
    pub fn false_positives(&self) -> u64 {
        self.fp_pairs.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(at: Instant, observer: usize, member: usize, state: &str) -> Line {
        Line {
            at,
            observer,
            generation: 0,
            ev: "update".to_owned(),
            member: format!("n{member}"),
            peer_id: format!("id{member}"),
            state: state.to_owned(),
        }
    }

    #[test]
    fn views_are_whole_once_every_node_has_printed_every_other_alive() {
        let t = Instant::now();
        let faults = FaultLog::new(2, Duration::from_secs(5));
        let mut obs = Observer::new(2, t);
        assert_eq!(obs.wrong_entries(), 2);
        obs.line(&line(t, 0, 1, "alive"), &faults);
        obs.line(&line(t, 1, 0, "alive"), &faults);
        assert_eq!(obs.wrong_entries(), 0);
    }

    #[test]
    fn a_survivor_declaring_a_killed_node_dead_is_a_timed_detection() {
        let t = Instant::now();
        let mut faults = FaultLog::new(3, Duration::from_secs(5));
        let mut obs = Observer::new(3, t);
        faults.killed(2, t);
        obs.killed(2, t);
        obs.line(&line(t + Duration::from_secs(3), 0, 2, "dead"), &faults);
        assert_eq!(obs.detections.len(), 1);
        assert!((obs.detections[0].after_s - 3.0).abs() < 1e-9);
        assert_eq!(obs.undetected(), 1);
        assert_eq!(obs.false_positives(), 0);
    }

    #[test]
    fn nodes_killed_together_are_not_waited_for_as_survivors_of_each_other() {
        let t = Instant::now();
        let mut faults = FaultLog::new(3, Duration::from_secs(5));
        let mut obs = Observer::new(3, t);
        faults.killed(1, t);
        obs.killed(1, t);
        faults.killed(2, t);
        obs.killed(2, t);
        assert_eq!(obs.undetected(), 2);
        obs.line(&line(t, 0, 1, "dead"), &faults);
        obs.line(&line(t, 0, 2, "dead"), &faults);
        assert_eq!(obs.undetected(), 0);
    }

    #[test]
    fn declaring_a_running_unfaulted_node_dead_is_a_false_positive() {
        let t = Instant::now();
        let faults = FaultLog::new(2, Duration::from_secs(5));
        let mut obs = Observer::new(2, t);
        obs.line(&line(t, 0, 1, "dead"), &faults);
        assert_eq!(obs.false_positives(), 1);
    }

    #[test]
    fn lines_from_before_a_restart_are_ignored() {
        let t = Instant::now();
        let faults = FaultLog::new(2, Duration::from_secs(5));
        let mut obs = Observer::new(2, t);
        obs.restarted(0);
        obs.line(&line(t, 0, 1, "alive"), &faults);
        assert_eq!(obs.wrong_entries(), 2);
    }
}
