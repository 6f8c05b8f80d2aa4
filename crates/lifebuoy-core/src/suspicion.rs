//! Lifeguard's dynamic suspicion timeout (section 4.2, LHA-Suspicion).
//!
//! A suspicion starts with the maximum timeout and shrinks toward the minimum
//! as independent confirmations arrive:
//! `timeout = max(min, max - (max - min) * ln(c + 1) / ln(k + 1))`
//! where `c` is the number of distinct confirmers seen and `k` the number
//! expected. With `k = 0` (tiny clusters) the minimum applies at once.

use std::collections::BTreeSet;
use std::sync::Arc;
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
    /// Confirmations shorten the timeout but never bring the deadline
    /// before this: set when the suspect answered a final check or the
    /// suspicion moved up to a higher incarnation.
    not_before: Instant,
    /// The final check in flight, if any (its probe sequence number).
    pub(crate) final_check: Option<u32>,
    /// The suspect answered the final check.
    pub(crate) acked: bool,
    /// The suspect answered one of our final checks since the last raise.
    answered: bool,
    /// The suspicion has moved up to a higher incarnation before.
    raised: bool,
    /// Our own signed Suspect claim for the reverse buddy system
    /// (`probe.rs`), by incarnation: signed once, however often the suspect
    /// pings us.
    pub(crate) ours: Option<(u64, Arc<[u8]>)>,
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
            not_before: now,
            final_check: None,
            acked: false,
            answered: false,
            raised: false,
            ours: None,
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
        self.deadline = (self.start + timeout(c, self.k, self.min, self.max)).max(self.not_before);
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

    /// The suspicion moves up to a higher incarnation: the member refuted
    /// someone, and its Alive claim missed us. Our suspicion may be long
    /// stale by then, its deadline passed or one confirmation away from
    /// passing, and the member suspected anew because of a short pause that
    /// has just begun. So the deadline moves to at least one minimum
    /// timeout from `now`, and confirmations cannot bring it back before
    /// that. It does so on the first raise, and on a later one only if the
    /// member answered one of our final checks since the previous raise:
    /// accusers naming ever higher incarnations delay a verdict on a
    /// crashed member by one minimum timeout, two if it answered us between
    /// a raise and its crash. Returns the deadline.
    pub(crate) fn raise(&mut self, now: Instant) -> Instant {
        if !self.raised || self.answered {
            self.raised = true;
            self.answered = false;
            self.hold_until(now + self.min);
        }
        self.deadline
    }

    /// Moves the deadline to at least `at`, where confirmations cannot
    /// bring it back from.
    fn hold_until(&mut self, at: Instant) {
        self.not_before = self.not_before.max(at);
        self.deadline = self.deadline.max(at);
    }

    /// Pushes the deadline to `at` (after the suspect answered us).
    pub(crate) fn extend(&mut self, at: Instant) {
        self.answered = true;
        self.hold_until(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(6);

    /// An arbitrary origin for these tests' virtual times, read once: the
    /// code under test only ever compares and adds to it.
    fn epoch() -> Instant {
        use std::sync::OnceLock;
        static EPOCH: OnceLock<Instant> = OnceLock::new();
        *EPOCH.get_or_init(Instant::now)
    }
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
    fn a_raise_holds_the_deadline_a_minimum_timeout_from_it_lifeguard_4_2() {
        let t0 = epoch();
        let mut s = Suspicion::new(t0, 1u32, 0, MIN, MAX);
        let late = t0 + MIN + Duration::from_secs(1);
        assert_eq!(s.raise(late), late + MIN);
    }

    #[test]
    fn a_later_raise_holds_the_deadline_only_if_the_suspect_answered_since() {
        let t0 = epoch();
        let mut s = Suspicion::new(t0, 1u32, 0, MIN, MAX);
        let first = t0 + Duration::from_secs(1);
        assert_eq!(s.raise(first), first + MIN);
        let second = first + Duration::from_secs(1);
        assert_eq!(s.raise(second), first + MIN, "no answer in between");
        let answered = second + Duration::from_secs(1);
        s.extend(answered);
        let third = answered + Duration::from_secs(1);
        assert_eq!(s.raise(third), third + MIN);
    }

    #[test]
    fn a_confirmation_after_a_raise_does_not_bring_the_deadline_before_it() {
        let t0 = epoch();
        let mut s = Suspicion::new(t0, 1u32, 2, MIN, MAX);
        let late = t0 + MAX + Duration::from_secs(2);
        assert_eq!(s.raise(late), late + MIN);
        assert_eq!(s.confirm(&2), Some(late + MIN));
    }

    #[test]
    fn a_raise_never_brings_a_deadline_forward() {
        let t0 = epoch();
        let mut s = Suspicion::new(t0, 1u32, 2, MIN, MAX);
        assert_eq!(s.raise(t0 + Duration::from_secs(1)), t0 + MAX);
    }

    #[test]
    fn with_no_expected_confirmations_the_minimum_applies_at_once() {
        assert_eq!(timeout(0, 0, MIN, MAX), MIN);
    }
}
