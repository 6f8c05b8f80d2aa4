//! Connecting ahead: opening connections to members before a probe needs
//! them, one at a time, while handshakes are fast.
//!
//! A probe to a member with no connection waits for a handshake (several
//! kilobytes and a few milliseconds of CPU on both sides), and the core
//! paces such first contacts (`Config::first_contact_members`) so that a
//! large cluster does not handshake all at once. On an idle machine that
//! pacing only spreads the handshakes over the first minutes after a join,
//! where they cost the same but overlap the steady state. So the driver also
//! dials members ahead of need, one dial in flight, as long as:
//! - the node has joined and its Lifeguard health score is 0 (it misses no
//!   acks, so it is not starved of CPU or network);
//! - it has no update queued for gossip: while members join (a join storm
//!   at start-up), the handshakes wait and the joins' gossip goes first;
//! - the last handshake took at most [`FAST_HANDSHAKE`]; a slower one (a
//!   loaded machine or network) stops dialing ahead for [`SLOW_PAUSE`];
//! - fewer than `Config::connect_ahead` connections are open.
//!
//! Between two dials it waits as long as the last handshake took, so dialing
//! ahead keeps at most half of a node's time in handshakes.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use libp2p::swarm::ConnectionId;
use libp2p::PeerId;

/// The slowest handshake after which dialing ahead goes on.
pub(crate) const FAST_HANDSHAKE: Duration = Duration::from_millis(50);
/// How long dialing ahead stops after a slow handshake or a failed dial.
pub(crate) const SLOW_PAUSE: Duration = Duration::from_secs(10);

/// The state of dialing ahead.
#[derive(Debug, Default)]
pub(crate) struct Ahead {
    /// The dial in flight: peer, connection, start.
    in_flight: Option<(PeerId, ConnectionId, Instant)>,
    /// No new dial before this.
    resume_at: Option<Instant>,
    /// Members dialed ahead already (each is tried once; the probes reach
    /// the rest). Cleared when it grows past `4 * limit`.
    tried: HashSet<PeerId>,
}

/// What one finished dial ahead did to the pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Handshake within [`FAST_HANDSHAKE`]: the next dial after as long again.
    Fast,
    /// Slower: dialing ahead pauses for [`SLOW_PAUSE`].
    Slow,
    /// The dial failed: pause too.
    Failed,
}

impl Ahead {
    /// Whether a dial may start now.
    pub(crate) fn ready(&self, now: Instant) -> bool {
        self.in_flight.is_none() && self.resume_at.is_none_or(|t| now >= t)
    }

    /// Picks the first of `candidates` not tried yet and marks it tried.
    /// `limit` bounds the set of tried members.
    pub(crate) fn pick(
        &mut self,
        now: Instant,
        limit: usize,
        candidates: impl IntoIterator<Item = PeerId>,
    ) -> Option<PeerId> {
        if !self.ready(now) {
            return None;
        }
        let peer = candidates.into_iter().find(|p| !self.tried.contains(p))?;
        if self.tried.len() >= limit.saturating_mul(4).max(16) {
            self.tried.clear();
        }
        self.tried.insert(peer);
        Some(peer)
    }

    /// The dial to `peer` on `conn` started.
    pub(crate) fn dialing(&mut self, peer: PeerId, conn: ConnectionId, now: Instant) {
        self.in_flight = Some((peer, conn, now));
    }

    /// A connection was established; `Some` when it was the dial ahead.
    pub(crate) fn established(&mut self, conn: ConnectionId, now: Instant) -> Option<Outcome> {
        let (_, c, since) = self.in_flight?;
        if c != conn {
            return None;
        }
        self.in_flight = None;
        let took = now.saturating_duration_since(since);
        if took <= FAST_HANDSHAKE {
            self.resume_at = Some(now + took);
            Some(Outcome::Fast)
        } else {
            self.resume_at = Some(now + SLOW_PAUSE);
            Some(Outcome::Slow)
        }
    }

    /// A dial failed; `Some` when it was the dial ahead.
    pub(crate) fn failed(&mut self, conn: ConnectionId, now: Instant) -> Option<Outcome> {
        let (_, c, _) = self.in_flight?;
        if c != conn {
            return None;
        }
        self.in_flight = None;
        self.resume_at = Some(now + SLOW_PAUSE);
        Some(Outcome::Failed)
    }

    /// Forgets the dial on `conn` without pausing (the swarm declined it
    /// because a connection or dial to the peer exists already).
    pub(crate) fn forget(&mut self, conn: ConnectionId) {
        if self.in_flight.is_some_and(|(_, c, _)| c == conn) {
            self.in_flight = None;
        }
    }

    /// Gives up a dial that neither connected nor failed within `timeout`
    /// (e.g. the swarm refused it as a duplicate of a dial under way).
    pub(crate) fn expire(&mut self, now: Instant, timeout: Duration) {
        if let Some((_, _, since)) = self.in_flight {
            if now.saturating_duration_since(since) > timeout {
                self.in_flight = None;
                self.resume_at = Some(now + SLOW_PAUSE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(n: usize) -> Vec<PeerId> {
        (0..n).map(|_| PeerId::random()).collect()
    }

    #[test]
    fn a_fast_handshake_lets_the_next_dial_start_after_as_long_again() {
        let t0 = Instant::now();
        let p = peers(2);
        let mut a = Ahead::default();
        let c = ConnectionId::new_unchecked(1);
        assert_eq!(a.pick(t0, 32, p.clone()), Some(p[0]));
        a.dialing(p[0], c, t0);
        assert!(!a.ready(t0), "one dial in flight at a time");
        let done = t0 + Duration::from_millis(5);
        assert_eq!(a.established(c, done), Some(Outcome::Fast));
        assert!(!a.ready(done + Duration::from_millis(4)));
        assert!(a.ready(done + Duration::from_millis(5)));
        let c2 = ConnectionId::new_unchecked(2);
        let next = a.pick(done + Duration::from_millis(5), 32, p.clone());
        assert_eq!(next, Some(p[1]), "a member is dialed ahead once");
        a.dialing(p[1], c2, done);
        assert!(!a.ready(done + Duration::from_secs(1)));
    }

    #[test]
    fn a_slow_handshake_or_a_failed_dial_pauses_dialing_ahead() {
        let t0 = Instant::now();
        let p = peers(3);
        let mut a = Ahead::default();
        let c = ConnectionId::new_unchecked(1);
        a.pick(t0, 32, p.clone());
        a.dialing(p[0], c, t0);
        let done = t0 + FAST_HANDSHAKE + Duration::from_millis(1);
        assert_eq!(a.established(c, done), Some(Outcome::Slow));
        assert!(!a.ready(done + SLOW_PAUSE - Duration::from_millis(1)));
        let t1 = done + SLOW_PAUSE;
        let c2 = ConnectionId::new_unchecked(2);
        assert_eq!(a.pick(t1, 32, p.clone()), Some(p[1]));
        a.dialing(p[1], c2, t1);
        assert_eq!(a.established(ConnectionId::new_unchecked(9), t1), None);
        assert_eq!(a.failed(c2, t1), Some(Outcome::Failed));
        assert!(!a.ready(t1 + SLOW_PAUSE - Duration::from_millis(1)));
    }

    #[test]
    fn a_dial_that_never_resolves_is_given_up() {
        let t0 = Instant::now();
        let mut a = Ahead::default();
        let p = peers(1);
        a.pick(t0, 32, p.clone());
        a.dialing(p[0], ConnectionId::new_unchecked(1), t0);
        a.expire(t0 + Duration::from_secs(1), Duration::from_secs(10));
        assert!(!a.ready(t0 + Duration::from_secs(1)));
        a.expire(t0 + Duration::from_secs(11), Duration::from_secs(10));
        assert!(
            !a.ready(t0 + Duration::from_secs(11)),
            "and dialing ahead pauses"
        );
        assert!(a.ready(t0 + Duration::from_secs(11) + SLOW_PAUSE));
    }
}
