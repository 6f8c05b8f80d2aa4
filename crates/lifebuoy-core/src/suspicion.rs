//! Lifeguard's dynamic suspicion timeout (section 4.2, LHA-Suspicion).
//!
//! A suspicion starts with the maximum timeout and shrinks toward the minimum
//! as independent confirmations arrive:
//! `timeout = max(min, max - (max - min) * ln(c + 1) / ln(k + 1))`
//! where `c` is the number of distinct confirmers seen and `k` the number
//! expected. With `k = 0` (tiny clusters) the minimum applies at once.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub(crate) struct Suspicion<I> {
    start: Instant,
    min: Duration,
    max: Duration,
    k: u32,
    accuser: I,
    confirmers: BTreeSet<I>,
    deadline: Instant,
    /// The final check in flight, if any (its probe sequence number).
    pub(crate) final_check: Option<u32>,
    /// The suspect answered the final check.
    pub(crate) acked: bool,
}

/// The timeout after `c` confirmations out of `k` expected.
pub(crate) fn timeout(c: u32, k: u32, min: Duration, max: Duration) -> Duration {
    if k == 0 || max <= min {
        return min;
    }
    let frac = (f64::from(c) + 1.0).ln() / (f64::from(k) + 1.0).ln();
    let raw = max.as_secs_f64() - frac * (max.as_secs_f64() - min.as_secs_f64());
    // memberlist floors to whole milliseconds.
    let ms = (raw * 1000.0).floor().max(0.0) as u64;
    Duration::from_millis(ms).max(min)
}

impl<I: Ord + Clone> Suspicion<I> {
    pub(crate) fn new(now: Instant, accuser: I, k: u32, min: Duration, max: Duration) -> Self {
        let deadline = now + timeout(0, k, min, max);
        Suspicion {
            start: now,
            min,
            max,
            k,
            accuser,
            confirmers: BTreeSet::new(),
            deadline,
            final_check: None,
            acked: false,
        }
    }

    /// Records a confirmation from `from`. Returns the new, earlier deadline
    /// if it was a new independent confirmer, or `None`.
    pub(crate) fn confirm(&mut self, from: &I) -> Option<Instant> {
        if *from == self.accuser || self.confirmers.len() as u32 >= self.k {
            return None;
        }
        if !self.confirmers.insert(from.clone()) {
            return None;
        }
        let c = self.confirmers.len() as u32;
        self.deadline = self.start + timeout(c, self.k, self.min, self.max);
        Some(self.deadline)
    }

    /// Whether a confirmation from `from` would count as a new one.
    pub(crate) fn is_new_confirmer(&self, from: &I) -> bool {
        *from != self.accuser
            && (self.confirmers.len() as u32) < self.k
            && !self.confirmers.contains(from)
    }

    /// Who started the suspicion.
    pub(crate) fn accuser(&self) -> &I {
        &self.accuser
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Pushes the deadline to `at` (after the suspect answered us).
    pub(crate) fn extend(&mut self, at: Instant) {
        self.deadline = self.deadline.max(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(6);
    const MAX: Duration = Duration::from_secs(36);

    #[test]
    fn a_fresh_suspicion_waits_the_maximum_timeout_lifeguard_4_2() {
        assert_eq!(timeout(0, 2, MIN, MAX), MAX);
    }

    #[test]
    fn confirmations_shrink_the_timeout_to_the_minimum_lifeguard_4_2() {
        let one = timeout(1, 2, MIN, MAX);
        assert!(one < MAX && one > MIN, "{one:?}");
        assert_eq!(timeout(2, 2, MIN, MAX), MIN);
    }

    #[test]
    fn with_no_expected_confirmations_the_minimum_applies_at_once() {
        assert_eq!(timeout(0, 0, MIN, MAX), MIN);
    }
}
