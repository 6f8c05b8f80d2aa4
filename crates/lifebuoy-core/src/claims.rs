//! Applying claims about members: SWIM section 4.2 (suspicion and
//! refutation), Lifeguard 4.2 (dynamic suspicion), precedence as in
//! [`crate::precedence`].

use std::sync::Arc;
use std::time::Instant;

use crate::core::{Core, Origin};
use crate::event::Event;
use crate::member::{Member, MemberInfo, MemberState, NodeId};
use crate::precedence::supersedes;
use crate::suspicion::Suspicion;
use crate::timer::Timer;
use crate::wire::Update;

impl<I: NodeId> Core<I> {
    pub(crate) fn apply_update(&mut self, now: Instant, update: Update<I>, origin: Origin) {
        match update {
            Update::Alive {
                id,
                incarnation,
                name,
                addrs,
                meta,
            } => {
                let info = MemberInfo { name, addrs, meta };
                self.apply_alive(now, id, incarnation, info, origin);
            }
            Update::Suspect {
                id,
                incarnation,
                from,
            } => self.apply_suspect(now, id, incarnation, from, origin),
            Update::Dead {
                id,
                incarnation,
                from,
            } => self.apply_dead(now, id, incarnation, from, origin),
            Update::Left { id, incarnation } => self.apply_left(now, id, incarnation, origin),
        }
    }

    /// A claim that we are suspect, dead or gone at `incarnation`: raise our
    /// incarnation above it and announce we are alive (SWIM 4.2). Counts
    /// toward local health (Lifeguard 4.1: being suspected suggests we are slow).
    pub(crate) fn refute(&mut self, incarnation: u64) {
        if self.local.state == MemberState::Left || incarnation < self.local.incarnation {
            return;
        }
        self.local.incarnation = incarnation + 1;
        self.stats.self_refutes += 1;
        self.health.apply(1);
        tracing::debug!(
            incarnation = self.local.incarnation,
            "refuting a claim about ourselves"
        );
        self.announce_self();
    }

    /// Answers an accusation about ourselves. A current one is refuted
    /// (incarnation raised); either way the accuser gets our Alive claim
    /// straight away: its suspicion timer is the first that could fire, and
    /// it may have missed an earlier refutation (the reverse of Lifeguard's
    /// buddy system). Reminders of a refutation the accuser missed are sent
    /// at most once per probe interval per accuser.
    fn refute_to(&mut self, now: Instant, incarnation: u64, accuser: I) {
        let stale = incarnation < self.local.incarnation;
        if !stale {
            self.refute(incarnation);
        }
        if accuser == self.local.id || self.local.state == MemberState::Left {
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
        let alive = crate::wire::encode_update(&self.alive_update())
            .ok()
            .map(Into::into);
        let to = self.dest(&accuser);
        self.send_probe(to, crate::wire::Kind::Gossip, alive);
    }

    fn apply_alive(
        &mut self,
        now: Instant,
        id: I,
        incarnation: u64,
        info: MemberInfo,
        origin: Origin,
    ) {
        if id == self.local.id {
            // Someone holds a claim about us newer than ours (we restarted),
            // or the same incarnation with different content: out-bid it.
            if incarnation > self.local.incarnation
                || (incarnation == self.local.incarnation && info != *self.local.info)
            {
                self.refute(incarnation);
            }
            return;
        }
        let Some(cur) = self.table.get(&id) else {
            if self.table.len() >= self.cfg.max_members {
                self.stats.table_full_drops += 1;
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
            if origin == Origin::Gossip {
                self.queue_update(id, &alive_of(&m));
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
        self.suspicions.remove(&id);
        if origin == Origin::Gossip {
            self.queue_update(id, &alive_of(&m));
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

    fn apply_suspect(&mut self, now: Instant, id: I, incarnation: u64, from: I, origin: Origin) {
        if id == self.local.id {
            self.refute_to(now, incarnation, from);
            return;
        }
        let Some(cur) = self.table.get(&id) else {
            return;
        };
        let update = Update::Suspect {
            id: id.clone(),
            incarnation,
            from: from.clone(),
        };
        if cur.state == MemberState::Suspect && cur.incarnation == incarnation {
            // An independent confirmation shortens the timeout (Lifeguard 4.2);
            // pass it on so others can count it too.
            if let Some(s) = self.suspicions.get_mut(&id) {
                if let Some(deadline) = s.confirm(&from) {
                    self.timers.set(
                        deadline,
                        Timer::Suspicion {
                            id: id.clone(),
                            incarnation,
                        },
                    );
                    if origin != Origin::Sync {
                        self.queue_update(id, &update);
                    }
                }
            }
            return;
        }
        if !supersedes(
            incarnation,
            MemberState::Suspect,
            cur.incarnation,
            cur.state,
        ) {
            return;
        }
        let n = self.live_count();
        let min = self.cfg.suspicion_min(n);
        let max = self.cfg.suspicion_max(n);
        // Expected independent confirmations, as memberlist: mult - 2, or none
        // in a cluster too small to provide them.
        let k = self.cfg.suspicion_mult.saturating_sub(2);
        let k = if (n as u64).saturating_sub(2) < u64::from(k) {
            0
        } else {
            k
        };
        let suspicion = Suspicion::new(now, from.clone(), k, min, max);
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
        self.queue_update(id, &update);
        self.emit(Event::MemberSuspected(m));
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
        self.final_checks.insert(seq, id.clone());
        let buddy = Update::Suspect {
            id: id.clone(),
            incarnation,
            from: self.local.id.clone(),
        };
        let priority = crate::wire::encode_update(&buddy).ok().map(Into::into);
        let to = self.dest(&id);
        self.send_probe(
            to,
            crate::wire::Kind::Ping {
                seq,
                target: id.clone(),
            },
            priority,
        );
        self.send_ping_reqs(seq, &id);
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
        let from = self.local.id.clone();
        self.apply_dead(now, id, incarnation, from, Origin::Local);
    }

    fn apply_dead(&mut self, now: Instant, id: I, incarnation: u64, from: I, origin: Origin) {
        if id == self.local.id {
            self.refute_to(now, incarnation, from);
            return;
        }
        let Some(cur) = self.table.get(&id) else {
            return;
        };
        if !supersedes(incarnation, MemberState::Dead, cur.incarnation, cur.state) {
            return;
        }
        self.set_departed(now, id.clone(), incarnation, MemberState::Dead);
        if origin != Origin::Sync {
            self.queue_update(
                id.clone(),
                &Update::Dead {
                    id: id.clone(),
                    incarnation,
                    from,
                },
            );
        }
        if let Some(m) = self.table.get(&id).cloned() {
            self.emit(Event::MemberFailed(m));
        }
    }

    fn apply_left(&mut self, now: Instant, id: I, incarnation: u64, origin: Origin) {
        if id == self.local.id {
            // Only we can say we left; someone replayed or forged it.
            self.refute(incarnation);
            return;
        }
        let Some(cur) = self.table.get(&id) else {
            return;
        };
        if !supersedes(incarnation, MemberState::Left, cur.incarnation, cur.state) {
            return;
        }
        self.set_departed(now, id.clone(), incarnation, MemberState::Left);
        if origin != Origin::Sync {
            self.queue_update(
                id.clone(),
                &Update::Left {
                    id: id.clone(),
                    incarnation,
                },
            );
        }
        if let Some(m) = self.table.get(&id).cloned() {
            self.emit(Event::MemberLeft(m));
        }
    }

    fn set_departed(&mut self, now: Instant, id: I, incarnation: u64, state: MemberState) {
        self.suspicions.remove(&id);
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
            self.emit(Event::MemberForgotten(m));
        }
    }
}

fn alive_of<I: Clone>(m: &Member<I>) -> Update<I> {
    Update::Alive {
        id: m.id.clone(),
        incarnation: m.incarnation,
        name: m.info.name.clone(),
        addrs: m.info.addrs.clone(),
        meta: m.info.meta.clone(),
    }
}
