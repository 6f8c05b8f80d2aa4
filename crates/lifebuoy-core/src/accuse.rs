//! Suspect and Dead claims by other members (SWIM 4.2, Lifeguard 4.2), under
//! the rules of [`crate::accusers`]: an accusation starts or confirms a
//! local suspicion and never declares anyone failed by itself.

use std::time::Instant;

use crate::accusers::{Admit, DEAD_QUORUM};
use crate::auth::Claim;
use crate::core::{Core, Origin};
use crate::event::Event;
use crate::member::{MemberState, NodeId};
use crate::suspicion::Suspicion;
use crate::timer::Timer;
use crate::wire::{Kind, Update};

/// How far above the incarnation we hold an accusation may name. Each
/// refutation raises a member's incarnation by one, so an honest accuser is
/// ahead of us only by the refutations we missed; beyond this the
/// accusation counts at the incarnation we hold.
pub(crate) const ACCUSATION_LEAD: u64 = 8;

impl<I: NodeId> Core<I> {
    pub(crate) fn apply_accusation(&mut self, now: Instant, mut claim: Claim<I>, origin: Origin) {
        let (id, incarnation, from, dead) = match &claim.update {
            Update::Suspect {
                id,
                incarnation,
                from,
            } => (id.clone(), *incarnation, from.clone(), false),
            Update::Dead {
                id,
                incarnation,
                from,
            } => (id.clone(), *incarnation, from.clone(), true),
            _ => return,
        };
        if id == self.local.id {
            if self.authentic(&mut claim) {
                self.refute_to(now, incarnation, from);
            }
            return;
        }
        let Some(cur) = self.table.get(&id) else {
            return;
        };
        let (cur_inc, cur_state) = (cur.incarnation, cur.state);
        if origin == Origin::Local && cur_state.is_live() {
            // Lifeguard's buddy system (4.3) at once rather than at our next
            // probe of it: a live suspect refutes on receipt, before the
            // others' timers run, and tells everyone first-hand
            // ([`crate::announce`]).
            let to = self.dest(&id);
            self.send_probe(to, Kind::Gossip, Some(claim.raw.clone()));
        }
        let incarnation = if incarnation > cur_inc.saturating_add(ACCUSATION_LEAD) {
            // Far above anything the member signed that reached us: made up,
            // or a liar provoked refutations faster than the member's Alive
            // claims reach us. Either way it accuses the member as we know
            // it, so it counts at our incarnation: a live member refutes
            // it, and a crashed one is still detected by the nodes its last
            // Alive claims missed.
            self.stats.implausible_claims += 1;
            cur_inc
        } else {
            incarnation
        };
        if incarnation < cur_inc {
            return;
        }
        match cur_state {
            MemberState::Alive => {
                if origin != Origin::Local && !self.admit_accuser(now, &from, &mut claim) {
                    return;
                }
                if dead {
                    self.accusers.vote(&id, incarnation, &from);
                }
                self.start_suspicion(now, id, incarnation, from, claim, origin);
            }
            MemberState::Suspect => {
                if incarnation > cur_inc
                    && !self.raise_suspicion(now, &id, incarnation, &from, &mut claim, origin)
                {
                    return;
                }
                self.confirm(now, id, incarnation, from, dead, claim, origin)
            }
            MemberState::Dead | MemberState::Left => {}
        }
    }

    /// An accusation at a higher incarnation than the one we suspect: the
    /// member refuted someone else and its Alive claim missed us, then was
    /// suspected again at the new incarnation. Suspect at an incarnation
    /// beats Alive at the same one (SWIM 4.2), so the suspicion moves up to
    /// it, keeping its start and confirmations: an Alive claim at that
    /// incarnation does not refute it. The deadline is held at least one
    /// minimum timeout from now ([`Suspicion::raise`]: the first time, and
    /// again only if the member answered us since), so that a stale
    /// suspicion does not run out during the short pause that got the
    /// member suspected anew. Returns whether it moved.
    fn raise_suspicion(
        &mut self,
        now: Instant,
        id: &I,
        incarnation: u64,
        from: &I,
        claim: &mut Claim<I>,
        origin: Origin,
    ) -> bool {
        if origin != Origin::Local {
            if !self.accusers.counts(from, now, self.cfg.probe_interval) {
                self.stats.accusations_ignored += 1;
                return false;
            }
            if !self.authentic(claim) {
                return false;
            }
        }
        self.table.update(id, |m| m.incarnation = incarnation);
        self.proofs.insert(id.clone(), claim.raw.clone());
        if origin != Origin::Sync {
            // Others may have missed the same Alive claim.
            self.queue_update(id.clone(), claim.raw.clone());
        }
        if let Some(s) = self.suspicions.get_mut(id) {
            // A final check in flight was for the old incarnation; run it
            // again at the new one when the deadline comes.
            s.final_check = None;
            s.acked = false;
            let at = s.raise(now);
            self.timers.set(
                at,
                Timer::Suspicion {
                    id: id.clone(),
                    incarnation,
                },
            );
        }
        true
    }

    /// May `from` start a suspicion: not down-weighted, within its rate,
    /// and really its claim.
    fn admit_accuser(&mut self, now: Instant, from: &I, claim: &mut Claim<I>) -> bool {
        match self.accusers.admit(from, now, self.cfg.probe_interval) {
            Admit::Yes => {}
            Admit::RateLimited => {
                self.stats.accusations_rate_limited += 1;
                return false;
            }
            Admit::DownWeighted => {
                self.stats.accusations_ignored += 1;
                return false;
            }
        }
        if !self.authentic(claim) {
            return false;
        }
        self.accusers.spend(from);
        true
    }

    fn start_suspicion(
        &mut self,
        now: Instant,
        id: I,
        incarnation: u64,
        from: I,
        claim: Claim<I>,
        origin: Origin,
    ) {
        let n = self.live_count();
        let min = self.cfg.suspicion_min(n);
        let max = self.cfg.suspicion_max(n);
        // Expected independent confirmations, or none in a cluster too small
        // to provide them.
        let k = self.cfg.suspicion_confirmations;
        let k = if (n as u64).saturating_sub(2) < u64::from(k) {
            0
        } else {
            k
        };
        let suspicion = Suspicion::new(now, from, k, min, max);
        let deadline = suspicion.deadline();
        self.suspicions.insert(id.clone(), suspicion);
        let m = self
            .table
            .update(&id, |m| {
                m.incarnation = incarnation;
                m.state = MemberState::Suspect;
                m.since = now;
            })
            .cloned();
        let Some(m) = m else { return };
        self.proofs.insert(id.clone(), claim.raw.clone());
        self.timers.set(
            deadline,
            Timer::Suspicion {
                id: id.clone(),
                incarnation,
            },
        );
        if origin == Origin::Local {
            self.stats.suspicions_raised += 1;
        }
        self.queue_update(id.clone(), claim.raw);
        self.emit(Event::MemberSuspected(m));
        if origin != Origin::Local {
            self.maybe_check_suspect(now, &id, incarnation);
        }
    }

    /// Another accuser of a member we already suspect: an independent
    /// confirmation shortens the timeout (Lifeguard 4.2), and Dead claims
    /// from `DEAD_QUORUM` distinct accusers bring our final check forward.
    #[allow(clippy::too_many_arguments)]
    fn confirm(
        &mut self,
        now: Instant,
        id: I,
        incarnation: u64,
        from: I,
        dead: bool,
        mut claim: Claim<I>,
        origin: Origin,
    ) {
        let new_confirmer = self
            .suspicions
            .get(&id)
            .is_some_and(|s| s.is_new_confirmer(&from));
        let new_vote = dead && !self.accusers.voted(&id, incarnation, &from);
        if !new_confirmer && !new_vote {
            return;
        }
        if !self.accusers.counts(&from, now, self.cfg.probe_interval) {
            self.stats.accusations_ignored += 1;
            return;
        }
        if origin != Origin::Local && !self.authentic(&mut claim) {
            return;
        }
        if new_confirmer {
            if let Some(deadline) = self.suspicions.get_mut(&id).and_then(|s| s.confirm(&from)) {
                self.timers.set(
                    deadline,
                    Timer::Suspicion {
                        id: id.clone(),
                        incarnation,
                    },
                );
            }
        }
        let votes = if dead {
            self.accusers.vote(&id, incarnation, &from)
        } else {
            0
        };
        // Pass it on so others can count it too.
        if origin != Origin::Sync {
            self.queue_update(id.clone(), claim.raw);
        }
        let idle = self
            .suspicions
            .get(&id)
            .is_some_and(|s| s.final_check.is_none());
        if votes >= DEAD_QUORUM && idle {
            self.final_check(now, id, incarnation);
        }
    }

    /// A suspicion was refuted: its accuser and every maker of a Dead claim
    /// about it were wrong. Repeat offenders are down-weighted.
    pub(crate) fn accusations_refuted(
        &mut self,
        now: Instant,
        id: &I,
        suspicion: Option<Suspicion<I>>,
    ) {
        let mut wrong = self.accusers.clear(id);
        if let Some(s) = suspicion {
            wrong.push(s.accuser().clone());
        }
        wrong.sort();
        wrong.dedup();
        for w in wrong {
            if w != self.local.id {
                self.mark_refuted(now, &w);
            }
        }
    }

    /// One of `accuser`'s accusations was refuted; repeat offenders are
    /// down-weighted ([`crate::accusers`]).
    pub(crate) fn mark_refuted(&mut self, now: Instant, accuser: &I) {
        if self.accusers.refuted(accuser, now, self.cfg.probe_interval) {
            self.stats.accusers_down_weighted += 1;
            tracing::info!(accuser = ?accuser, "down-weighting an accuser whose accusations keep being refuted");
        }
        self.stats.down_weighted_accusers = self.accusers.down_weighted() as u64;
    }
}
