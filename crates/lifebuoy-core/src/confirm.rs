//! Suspicion checks: members that hear of a fresh suspicion probe the
//! suspect themselves, so that the independent confirmations Lifeguard's
//! dynamic suspicion timeout waits for (section 4.2) arrive within one
//! probe timeout instead of whenever other members' random probes reach
//! the suspect.
//!
//! A member that hears of a new suspicion (not its own) checks the suspect
//! with probability `suspicion_checkers / (n - 1)`: a ping and ping-reqs
//! through `indirect_checks` members at once, decided after one (health
//! scaled) probe timeout. An answer ends the check; no answer makes this
//! member an accuser too, which shortens every holder's timeout as any
//! independent suspicion would. A live suspect is thus only confirmed when
//! it is unreachable from this member directly and through k others.

use std::time::Instant;

use crate::core::{Core, Origin};
use crate::member::{MemberState, NodeId};
use crate::timer::Timer;
use crate::wire::Update;

/// Checks in flight at most; beyond it fresh suspicions are not checked.
const MAX_CHECKS: usize = 256;

impl<I: NodeId> Core<I> {
    /// `id` has just become Suspect at `incarnation` on someone else's word.
    pub(crate) fn maybe_check_suspect(&mut self, now: Instant, id: &I, incarnation: u64) {
        let checkers = self.cfg.suspicion_checkers;
        if checkers == 0 || self.local.state == MemberState::Left {
            return;
        }
        if self.suspect_checks.len() >= MAX_CHECKS
            || self.probe.as_ref().is_some_and(|p| p.target == *id)
        {
            return;
        }
        let others = self.live_count().saturating_sub(1).max(1);
        let p = f64::from(checkers) / others as f64;
        if p < 1.0 && self.rng.unit() >= p {
            return;
        }
        let seq = self.next_seq();
        self.stats.suspect_checks += 1;
        let nonce = self.fresh_nonce();
        let check = crate::core::Check {
            id: id.clone(),
            nonce,
        };
        self.suspect_checks.insert(seq, check);
        self.send_direct_ping(id, seq, None);
        self.send_ping_reqs(seq, id, nonce, self.cfg.indirect_checks);
        self.timers.set(
            now + self.health.scale(self.cfg.probe_timeout),
            Timer::SuspectCheck {
                id: id.clone(),
                incarnation,
                seq,
            },
        );
    }

    /// Our check of a suspect is over: unless it answered, confirm the suspicion.
    pub(crate) fn suspect_check_end(&mut self, now: Instant, id: I, incarnation: u64, seq: u32) {
        if self.suspect_checks.remove(&seq).is_none() {
            return;
        }
        let still_suspect = self
            .table
            .get(&id)
            .is_some_and(|m| m.state == MemberState::Suspect && m.incarnation == incarnation);
        if !still_suspect {
            return;
        }
        self.stats.suspect_checks_failed += 1;
        tracing::debug!(member = ?id, incarnation, "suspect did not answer our check, confirming");
        let update = Update::Suspect {
            id,
            incarnation,
            from: self.local.id.clone(),
        };
        let claim = self.sign_claim(update);
        self.apply_claim(now, claim, Origin::Local);
    }
}
