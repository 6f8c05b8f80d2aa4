//! Applying claims about members: SWIM section 4.2 (suspicion and
//! refutation), Lifeguard 4.2 (dynamic suspicion), precedence as in
//! [`crate::precedence`].

use std::sync::Arc;
use std::time::Instant;

use crate::auth::Claim;
use crate::core::{Core, Origin};
use crate::event::Event;
use crate::member::{Member, MemberInfo, MemberState, NodeId};
use crate::precedence::supersedes;
use crate::timer::Timer;
use crate::wire::Update;

/// How far above our own incarnation an accusation about us may be before
/// it is taken for a forgery (a restarted node legitimately learns an
/// incarnation a little above the one it starts with).
const MAX_INCARNATION_JUMP: u64 = 1 << 32;

/// Members asked to ping a suspect for our final check (at least; more if
/// `indirect_checks` says so).
const FINAL_CHECK_HELPERS: usize = 3;

impl<I: NodeId> Core<I> {
    /// Applies a claim (ours, gossiped, or from a push-pull). Claims by
    /// others are verified ([`Core::authentic`]) once they would change
    /// something and before they do.
    pub(crate) fn apply_claim(&mut self, now: Instant, claim: Claim<I>, origin: Origin) {
        match &claim.update {
            Update::Alive {
                id,
                incarnation,
                name,
                addrs,
                meta,
            } => {
                let info = MemberInfo {
                    name: name.clone(),
                    addrs: addrs.clone(),
                    meta: meta.clone(),
                };
                let (id, inc) = (id.clone(), *incarnation);
                self.apply_alive(now, id, inc, info, claim, origin);
            }
            Update::Suspect { .. } | Update::Dead { .. } => {
                self.apply_accusation(now, claim, origin)
            }
            Update::Left { id, incarnation } => {
                let (id, inc) = (id.clone(), *incarnation);
                self.apply_left(now, id, inc, claim, origin);
            }
        }
    }

    /// A claim that we are suspect, dead or gone at `incarnation`: raise our
    /// incarnation above it and announce we are alive (SWIM 4.2). Returns
    /// whether it raised our incarnation.
    pub(crate) fn refute(&mut self, incarnation: u64) -> bool {
        if self.local.state == MemberState::Left || incarnation < self.local.incarnation {
            return false;
        }
        self.local.incarnation = incarnation.saturating_add(1);
        self.stats.self_refutes += 1;
        self.start_announce();
        tracing::debug!(
            incarnation = self.local.incarnation,
            "refuting a claim about ourselves"
        );
        self.announce_self();
        true
    }

    /// Answers an accusation about ourselves. A current one is refuted
    /// (incarnation raised); either way the accuser gets our Alive claim
    /// straight away: its suspicion timer is the first that could fire, and
    /// it may have missed an earlier refutation (the reverse of Lifeguard's
    /// buddy system). Reminders of a refutation the accuser missed are sent
    /// at most once per probe interval per accuser.
    pub(crate) fn refute_to(&mut self, now: Instant, incarnation: u64, accuser: I) {
        let stale = incarnation < self.local.incarnation;
        if incarnation > self.local.incarnation.saturating_add(MAX_INCARNATION_JUMP) {
            // Nobody saw us sign anything near that: a forged incarnation,
            // meant to exhaust ours.
            self.stats.implausible_claims += 1;
            return;
        }
        if accuser == self.local.id {
            if !stale {
                self.refute(incarnation);
            }
            return;
        }
        if !stale && self.refute(incarnation) {
            self.suspected_by(now, &accuser);
        }
        if self.local.state == MemberState::Left {
            return;
        }
        if stale {
            let recent = self
                .reminded
                .get(&accuser)
                .is_some_and(|t| now.saturating_duration_since(*t) < self.cfg.probe_interval);
            if recent {
                return;
            }
            if self.reminded.len() >= 4096 {
                self.reminded.clear();
            }
            self.reminded.insert(accuser.clone(), now);
        }
        let to = self.dest(&accuser);
        self.send_own_claim(to);
        if self.announcing {
            // Told first-hand: the announcement need not tell it again.
            self.announced_to.insert(accuser);
        }
    }

    /// A current accusation of ourselves by `accuser`, just refuted. Being
    /// suspected suggests we are the slow one, so it counts toward local
    /// health (Lifeguard 4.1), but only within the accuser's allowance of
    /// accusations ([`crate::accusers`]): we know this accusation was wrong,
    /// so it counts as refuted against its accuser, and an accuser whose
    /// accusations keep being refuted stops counting. Otherwise one lying
    /// member could keep every node's health at its worst and so stretch
    /// everyone's probe interval and slow all detection.
    fn suspected_by(&mut self, now: Instant, accuser: &I) {
        let interval = self.cfg.probe_interval;
        if self.accusers.admit(accuser, now, interval) == crate::accusers::Admit::Yes {
            self.accusers.spend(accuser);
            self.health.apply(1);
        } else {
            self.stats.accusations_ignored += 1;
        }
        self.mark_refuted(now, accuser);
    }

    fn apply_alive(
        &mut self,
        now: Instant,
        id: I,
        incarnation: u64,
        info: MemberInfo,
        mut claim: Claim<I>,
        origin: Origin,
    ) {
        if id == self.local.id {
            // Someone holds a claim about us newer than ours (we restarted),
            // or the same incarnation with different content: out-bid it.
            if (incarnation > self.local.incarnation
                || (incarnation == self.local.incarnation && info != *self.local.info))
                && self.authentic(&mut claim)
            {
                self.refute(incarnation);
            }
            return;
        }
        let Some(cur) = self.table.get(&id) else {
            if !self.admit(&id) {
                return;
            }
            if self.table.len() >= self.cfg.max_members {
                self.stats.table_full_drops += 1;
                return;
            }
            if !self.authentic(&mut claim) {
                return;
            }
            let m = Member {
                id: id.clone(),
                info: Arc::new(info),
                incarnation,
                state: MemberState::Alive,
                since: now,
            };
            self.table.insert(m.clone(), &mut self.rng);
            self.proofs.insert(id.clone(), claim.raw.clone());
            if origin == Origin::Gossip {
                self.queue_update(id, claim.raw);
            }
            self.emit(Event::MemberJoined(m));
            return;
        };
        if !supersedes(incarnation, MemberState::Alive, cur.incarnation, cur.state) {
            return;
        }
        let prev = cur.state;
        let changed = *cur.info != info;
        let info = if changed {
            Arc::new(info)
        } else {
            cur.info.clone()
        };
        if !self.authentic(&mut claim) {
            return;
        }
        let m = self
            .table
            .update(&id, |m| {
                m.incarnation = incarnation;
                m.info = info;
                if m.state != MemberState::Alive {
                    m.state = MemberState::Alive;
                    m.since = now;
                }
            })
            .cloned();
        let Some(m) = m else { return };
        self.proofs.insert(id.clone(), claim.raw.clone());
        let suspicion = self.suspicions.remove(&id);
        if prev == MemberState::Suspect {
            self.accusations_refuted(now, &id, suspicion);
        }
        if origin == Origin::Gossip {
            self.queue_update(id, claim.raw);
        }
        match prev {
            MemberState::Suspect => {
                self.stats.suspicions_refuted += 1;
                self.emit(Event::MemberAlive(m));
            }
            MemberState::Dead | MemberState::Left => self.emit(Event::MemberJoined(m)),
            MemberState::Alive if changed => self.emit(Event::MemberUpdated(m)),
            MemberState::Alive => {}
        }
    }

    /// The suspicion of `id` at `incarnation` may have run out.
    pub(crate) fn suspicion_timeout(&mut self, now: Instant, id: I, incarnation: u64) {
        let Some(m) = self.table.get(&id) else { return };
        if m.state != MemberState::Suspect || m.incarnation != incarnation {
            return;
        }
        let Some(s) = self.suspicions.get(&id) else {
            return;
        };
        if s.deadline() > now || s.final_check.is_some() {
            return;
        }
        self.final_check(now, id, incarnation);
    }

    /// Probes a suspect one last time before declaring it failed.
    pub(crate) fn final_check(&mut self, now: Instant, id: I, incarnation: u64) {
        // Final check before declaring: a direct ping carrying the suspicion
        // and ping-reqs through k members, decided after one probe timeout.
        // Only the first nodes whose timers run out do this (the others take
        // their Dead claim), and it catches a member that refuted while we
        // missed every copy of the refutation.
        let seq = self.next_seq();
        if let Some(s) = self.suspicions.get_mut(&id) {
            s.final_check = Some(seq);
            s.acked = false;
        }
        let nonce = self.fresh_nonce();
        let check = crate::core::Check {
            id: id.clone(),
            nonce,
        };
        self.final_checks.insert(seq, check);
        let buddy = Update::Suspect {
            id: id.clone(),
            incarnation,
            from: self.local.id.clone(),
        };
        let priority = Some(self.sign_claim(buddy).raw);
        self.send_direct_ping(&id, seq, priority);
        // More helpers than a probe's: this check decides, and with
        // `local`'s single helper 5% loss failed one in fifty checks of a
        // live member (docs/performance.md).
        let helpers = self.cfg.indirect_checks.max(FINAL_CHECK_HELPERS);
        self.send_ping_reqs(seq, &id, nonce, helpers);
        self.timers.set(
            now + self.cfg.probe_timeout,
            Timer::FinalCheck {
                id,
                incarnation,
                seq,
            },
        );
    }

    /// The final check of a suspect is over: declare it failed unless it answered.
    pub(crate) fn final_check_end(&mut self, now: Instant, id: I, incarnation: u64, seq: u32) {
        self.final_checks.remove(&seq);
        let Some(m) = self.table.get(&id) else { return };
        if m.state != MemberState::Suspect || m.incarnation != incarnation {
            return;
        }
        let Some(s) = self.suspicions.get_mut(&id) else {
            return;
        };
        if s.final_check != Some(seq) {
            return;
        }
        s.final_check = None;
        if s.acked {
            // It answered: it is alive and has our suspicion in hand. Give its
            // refutation time to arrive, then check again.
            s.acked = false;
            let again = now + self.cfg.probe_interval * 2;
            s.extend(again);
            self.timers.set(again, Timer::Suspicion { id, incarnation });
            return;
        }
        let name = m.info.name.clone();
        self.stats.failures_declared += 1;
        tracing::info!(member = ?id, name = %name, incarnation, "suspicion timed out, declaring failed");
        let dead = Update::Dead {
            id: id.clone(),
            incarnation,
            from: self.local.id.clone(),
        };
        let claim = self.sign_claim(dead);
        self.declare_dead(now, id, incarnation, claim);
        // Spread the verdict now rather than at the next gossip tick.
        self.gossip_tick_inner(now);
    }

    /// Our own final check failed: the member is dead (SWIM 4.2).
    fn declare_dead(&mut self, now: Instant, id: I, incarnation: u64, claim: Claim<I>) {
        let Some(cur) = self.table.get(&id) else {
            return;
        };
        if !supersedes(incarnation, MemberState::Dead, cur.incarnation, cur.state) {
            return;
        }
        self.set_departed(now, id.clone(), incarnation, MemberState::Dead);
        self.proofs.insert(id.clone(), claim.raw.clone());
        self.queue_update(id.clone(), claim.raw);
        if let Some(m) = self.table.get(&id).cloned() {
            self.emit(Event::MemberFailed(m));
        }
    }

    fn apply_left(
        &mut self,
        now: Instant,
        id: I,
        incarnation: u64,
        mut claim: Claim<I>,
        origin: Origin,
    ) {
        if id == self.local.id {
            // Only we can say we left; our own claim from a previous life was replayed.
            if self.authentic(&mut claim) {
                self.refute(incarnation);
            }
            return;
        }
        let Some(cur) = self.table.get(&id) else {
            return;
        };
        if !supersedes(incarnation, MemberState::Left, cur.incarnation, cur.state)
            || !self.authentic(&mut claim)
        {
            return;
        }
        self.set_departed(now, id.clone(), incarnation, MemberState::Left);
        self.proofs.insert(id.clone(), claim.raw.clone());
        if origin != Origin::Sync {
            self.queue_update(id.clone(), claim.raw);
        }
        if let Some(m) = self.table.get(&id).cloned() {
            self.emit(Event::MemberLeft(m));
        }
    }

    fn set_departed(&mut self, now: Instant, id: I, incarnation: u64, state: MemberState) {
        self.suspicions.remove(&id);
        self.accusers.clear(&id);
        self.table.update(&id, |m| {
            m.incarnation = incarnation;
            m.state = state;
            m.since = now;
        });
        if self.probe.as_ref().is_some_and(|p| p.target == id) {
            self.probe = None;
        }
        let retention = match state {
            MemberState::Left => self.cfg.left_retention,
            _ => self.cfg.dead_retention,
        };
        self.timers
            .set(now + retention, Timer::Reap { id, since: now });
    }

    /// Forgets a Dead or Left member whose retention ran out.
    pub(crate) fn reap(&mut self, id: I, since: Instant) {
        let Some(m) = self.table.get(&id) else { return };
        if m.state.is_live() || m.since != since {
            return;
        }
        if let Some(m) = self.table.remove(&id) {
            self.proofs.remove(&id);
            self.emit(Event::MemberForgotten(m));
        }
    }
}
