//! Who accuses whom. A member is declared failed only by the local node's
//! own suspicion timeout and final check; other members' accusations only
//! start or confirm a local suspicion (Lifeguard 4.2 confirmations), and
//! `DEAD_QUORUM` distinct Dead claims only bring the final check forward.
//! Each accuser may start few suspicions per probe interval, and an accuser
//! whose accusations are repeatedly refuted stops counting for a while.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// New suspicions one accuser may start in a burst.
pub(crate) const ACCUSATION_BURST: f64 = 4.0;
/// Refuted accusations (decaying) after which an accuser is down-weighted.
pub(crate) const REFUTED_LIMIT: f64 = 3.0;
/// Probe intervals for one refuted accusation to be forgiven.
pub(crate) const FORGIVE_INTERVALS: u32 = 30;
/// Distinct accusers whose Dead claims bring the local final check forward.
pub(crate) const DEAD_QUORUM: usize = 2;
/// Accusers remembered; beyond it the book forgets the well-behaved.
const MAX_ACCUSERS: usize = 1 << 16;

/// A point in time the book can measure from: the core's `Instant`s, or
/// plain offsets on a virtual clock (the unit tests below).
pub(crate) trait Moment: Copy {
    /// Time from `earlier` to `self`, zero if `earlier` is later.
    fn since(self, earlier: Self) -> Duration;
}

impl Moment for Instant {
    fn since(self, earlier: Self) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl Moment for Duration {
    fn since(self, earlier: Self) -> Duration {
        self.saturating_sub(earlier)
    }
}

#[derive(Debug, Clone)]
struct Record<T> {
    tokens: f64,
    refuted: f64,
    at: T,
}

/// What became of an accusation that would start a suspicion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    Yes,
    RateLimited,
    DownWeighted,
}

#[derive(Debug)]
pub(crate) struct Accusers<I, T = Instant> {
    book: HashMap<I, Record<T>>,
    /// Distinct Dead-claim makers per suspect, at the suspect's incarnation.
    votes: HashMap<I, (u64, BTreeSet<I>)>,
}

impl<I: Clone + Eq + std::hash::Hash + Ord, T: Moment> Accusers<I, T> {
    pub(crate) fn new() -> Self {
        Accusers {
            book: HashMap::new(),
            votes: HashMap::new(),
        }
    }

    /// Brings `who`'s record up to `now`: tokens refill at one per probe
    /// interval, refutations are forgiven one per `FORGIVE_INTERVALS`.
    fn record(&mut self, who: &I, now: T, interval: Duration) -> &mut Record<T> {
        if self.book.len() >= MAX_ACCUSERS && !self.book.contains_key(who) {
            self.book.retain(|_, r| r.refuted > 0.0);
        }
        let r = self.book.entry(who.clone()).or_insert(Record {
            tokens: ACCUSATION_BURST,
            refuted: 0.0,
            at: now,
        });
        let secs = now.since(r.at).as_secs_f64();
        let per = interval.as_secs_f64().max(1e-3);
        r.tokens = (r.tokens + secs / per).min(ACCUSATION_BURST);
        r.refuted = (r.refuted - secs / (per * f64::from(FORGIVE_INTERVALS))).max(0.0);
        r.at = now;
        r
    }

    /// Whether `who` may start a suspicion now. Call [`Accusers::spend`]
    /// once the accusation is verified (so forgeries in an honest accuser's
    /// name cannot use up its allowance).
    pub(crate) fn admit(&mut self, who: &I, now: T, interval: Duration) -> Admit {
        let r = self.record(who, now, interval);
        if r.refuted >= REFUTED_LIMIT {
            return Admit::DownWeighted;
        }
        if r.tokens < 1.0 {
            return Admit::RateLimited;
        }
        Admit::Yes
    }

    /// Spends one of `who`'s accusations.
    pub(crate) fn spend(&mut self, who: &I) {
        if let Some(r) = self.book.get_mut(who) {
            r.tokens = (r.tokens - 1.0).max(0.0);
        }
    }

    /// Whether `who`'s confirmations count.
    pub(crate) fn counts(&mut self, who: &I, now: T, interval: Duration) -> bool {
        self.record(who, now, interval).refuted < REFUTED_LIMIT
    }

    /// One of `who`'s accusations was refuted. Returns whether that made it
    /// down-weighted.
    pub(crate) fn refuted(&mut self, who: &I, now: T, interval: Duration) -> bool {
        let r = self.record(who, now, interval);
        let before = r.refuted >= REFUTED_LIMIT;
        r.refuted += 1.0;
        !before && r.refuted >= REFUTED_LIMIT
    }

    /// Accusers down-weighted as of their last record update.
    pub(crate) fn down_weighted(&self) -> usize {
        self.book
            .values()
            .filter(|r| r.refuted >= REFUTED_LIMIT)
            .count()
    }

    /// Records `who`'s Dead claim about `member` at `incarnation`; returns
    /// the number of distinct makers of Dead claims at that incarnation.
    pub(crate) fn vote(&mut self, member: &I, incarnation: u64, who: &I) -> usize {
        let e = self
            .votes
            .entry(member.clone())
            .or_insert_with(|| (incarnation, BTreeSet::new()));
        if e.0 != incarnation {
            *e = (incarnation, BTreeSet::new());
        }
        e.1.insert(who.clone());
        e.1.len()
    }

    /// Whether `who` already made a Dead claim about `member` at `incarnation`.
    pub(crate) fn voted(&self, member: &I, incarnation: u64, who: &I) -> bool {
        self.votes
            .get(member)
            .is_some_and(|(i, v)| *i == incarnation && v.contains(who))
    }

    /// Forgets the votes about `member` (refuted, or declared).
    pub(crate) fn clear(&mut self, member: &I) -> Vec<I> {
        self.votes
            .remove(member)
            .map(|(_, v)| v.into_iter().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Duration = Duration::from_secs(1);

    #[test]
    fn an_accuser_starts_at_most_a_burst_of_suspicions_then_one_per_probe_interval() {
        let t = Duration::ZERO;
        let mut a: Accusers<u32, Duration> = Accusers::new();
        for _ in 0..4 {
            assert_eq!(a.admit(&1, t, P), Admit::Yes);
            a.spend(&1);
        }
        assert_eq!(a.admit(&1, t, P), Admit::RateLimited);
        assert_eq!(a.admit(&2, t, P), Admit::Yes, "others are not limited");
        assert_eq!(a.admit(&1, t + P, P), Admit::Yes);
        a.spend(&1);
        assert_eq!(a.admit(&1, t + P, P), Admit::RateLimited);
    }

    #[test]
    fn an_accuser_refuted_three_times_is_down_weighted_then_forgiven() {
        let t = Duration::ZERO;
        let mut a: Accusers<u32, Duration> = Accusers::new();
        assert!(!a.refuted(&1, t, P));
        assert!(!a.refuted(&1, t, P));
        assert!(a.refuted(&1, t, P), "the third refutation down-weights");
        assert_eq!(a.down_weighted(), 1);
        assert!(!a.counts(&1, t, P));
        assert_eq!(a.admit(&1, t, P), Admit::DownWeighted);
        assert!(a.counts(&1, t + P * FORGIVE_INTERVALS, P));
    }

    #[test]
    fn dead_votes_count_distinct_accusers_at_one_incarnation() {
        let mut a: Accusers<u32, Duration> = Accusers::new();
        assert_eq!(a.vote(&9, 1, &1), 1);
        assert_eq!(a.vote(&9, 1, &1), 1, "the same accuser counts once");
        assert_eq!(a.vote(&9, 1, &2), 2);
        assert_eq!(a.vote(&9, 2, &3), 1, "a new incarnation starts over");
        assert!(a.voted(&9, 2, &3) && !a.voted(&9, 1, &1));
    }
}
