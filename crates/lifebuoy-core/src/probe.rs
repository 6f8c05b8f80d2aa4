//! Failure detection: SWIM section 4 (direct probe, ping-req through k
//! members, suspicion at the end of the period) with Lifeguard's nacks and
//! local health (section 4.1).

use std::sync::Arc;
use std::time::Instant;

use crate::core::{Core, Origin, Probe, Relay};
use crate::member::{Addr, MemberState, NodeId};
use crate::timer::Timer;
use crate::wire::{Kind, Update};
use serde_bytes::ByteBuf;

impl<I: NodeId> Core<I> {
    pub(crate) fn probe_tick(&mut self, now: Instant) {
        if self.local.state == MemberState::Left {
            return;
        }
        let interval = self.health.scale(self.cfg.probe_interval);
        self.ack_proofs_period = 0;
        // A probe still running (its end timer is due at this same instant)
        // is finished first.
        if let Some(p) = self.probe.as_ref().map(|p| p.seq) {
            self.probe_end(now, p);
        }
        let Some(target) = self.next_target() else {
            self.timers.set(now + interval, Timer::ProbeTick);
            return;
        };
        let seq = self.next_seq();
        self.stats.probes += 1;
        // Buddy system (Lifeguard 4.3): a suspect learns of its suspicion from
        // the prober itself, so it can refute at once.
        let priority = match self.table.get(&target) {
            Some(m) if m.state == MemberState::Suspect => {
                let u = Update::Suspect {
                    id: target.clone(),
                    incarnation: m.incarnation,
                    from: self.local.id.clone(),
                };
                Some(self.sign_claim(u).raw)
            }
            _ => None,
        };
        self.send_direct_ping(&target, seq, priority);
        self.probe = Some(Probe {
            seq,
            target,
            nacks_expected: 0,
            nacks: 0,
            nonce: None,
        });
        self.timers.set(
            now + self.health.scale(self.cfg.probe_timeout),
            Timer::ProbeTimeout { seq },
        );
        self.timers.set(now + interval, Timer::ProbeEnd { seq });
        self.timers.set(now + interval, Timer::ProbeTick);
    }

    /// A direct ping to `id` (SWIM 4.1) for probe, final check or suspicion
    /// check `seq`, with `priority` (a claim the target should see first,
    /// such as its own suspicion) ahead of any gossip.
    pub(crate) fn send_direct_ping(&mut self, id: &I, seq: u32, priority: Option<Arc<[u8]>>) {
        let to = self.dest(id);
        let ping = Kind::Ping {
            seq,
            target: None,
            nonce: None,
        };
        self.send_probe(to, ping, priority);
    }

    /// Every `successor_every`-th probe goes to our successor on the ring of
    /// member ids, the others to the next member of the shuffled round-robin
    /// (SWIM 4.3). Each member is then probed at least once every
    /// `successor_every` periods by its predecessor, which bounds the time
    /// until someone notices a crash; the random probes keep SWIM's
    /// guarantees when the predecessor itself is slow or gone. Round-robin
    /// probes of unconnected members are paced (`crate::reach`).
    fn next_target(&mut self) -> Option<I> {
        let every = self.cfg.successor_every;
        if every > 0 {
            self.probe_count = self.probe_count.wrapping_add(1);
            if self.probe_count.is_multiple_of(every) {
                if let Some(s) = self.table.ring_successor(&self.local.id) {
                    return Some(s);
                }
            }
        }
        let target = self.table.next_probe_target(&mut self.rng)?;
        Some(self.pace_first_contact(target))
    }

    /// No direct ack within the probe timeout: ask `k` random members to
    /// probe the target for us (SWIM 4.1 ping-req).
    pub(crate) fn probe_timeout(&mut self, _now: Instant, seq: u32) {
        let Some(probe) = self.probe.as_ref().filter(|p| p.seq == seq) else {
            return;
        };
        let target = probe.target.clone();
        let nonce = self.fresh_nonce();
        let asked = self.send_ping_reqs(seq, &target, nonce, self.cfg.indirect_checks);
        if let Some(p) = self.probe.as_mut() {
            p.nacks_expected = asked;
            p.nonce = nonce;
        }
    }

    /// Asks `indirect_checks` random Alive members (connected ones first,
    /// `crate::reach`) to probe `target` for us under `seq` (SWIM 4.1 ping-req), with `nonce` for the target to sign
    /// (`crate::ack`). Returns how many were asked.
    pub(crate) fn send_ping_reqs(
        &mut self,
        seq: u32,
        target: &I,
        nonce: Option<u64>,
        helpers: usize,
    ) -> u32 {
        let addrs: Vec<Addr> = self
            .table
            .get(target)
            .map(|m| m.info.addrs.clone())
            .unwrap_or_default();
        let helpers: Vec<I> = self.pick_connected_first(helpers, |m| {
            m.state == MemberState::Alive && m.id != *target
        });
        for h in &helpers {
            let to = self.dest(h);
            let kind = Kind::PingReq {
                seq,
                target: target.clone(),
                addrs: addrs.clone(),
                nonce,
            };
            self.send_probe(to, kind, None);
        }
        helpers.len() as u32
    }

    /// End of the probe period with no ack: adjust local health by the missed
    /// nacks (Lifeguard 4.1) and suspect the target.
    pub(crate) fn probe_end(&mut self, now: Instant, seq: u32) {
        let Some(probe) = self.probe.take_if(|p| p.seq == seq) else {
            return;
        };
        self.stats.probe_failures += 1;
        let delta = if probe.nacks_expected > 0 {
            let missed = probe.nacks_expected.saturating_sub(probe.nacks);
            self.stats.missed_nacks += u64::from(missed);
            i64::from(missed)
        } else {
            1
        };
        self.health.apply(delta);
        let Some(m) = self.table.get(&probe.target) else {
            return;
        };
        if !m.state.is_live() {
            return;
        }
        let incarnation = m.incarnation;
        tracing::debug!(target = ?probe.target, incarnation, "probe failed, suspecting");
        let update = Update::Suspect {
            id: probe.target,
            incarnation,
            from: self.local.id.clone(),
        };
        let claim = self.sign_claim(update);
        self.apply_claim(now, claim, Origin::Local);
    }

    pub(crate) fn on_ping(
        &mut self,
        _now: Instant,
        from: I,
        seq: u32,
        target: Option<I>,
        nonce: Option<u64>,
    ) {
        if target.is_some_and(|t| t != self.local.id) {
            // Meant for someone else (a stale address): do not ack for them.
            self.stats.misdirected += 1;
            return;
        }
        // An intermediary probing for a ping-req passes the requester's
        // nonce: sign it, so the relayed ack is believed.
        let proof = ByteBuf::from(self.ack_proof(nonce));
        let to = self.dest(&from);
        let buddy = self.suspicion_of_sender(&from);
        self.send_probe(to, Kind::Ack { seq, proof }, buddy);
    }

    /// Lifeguard's buddy system (4.3) in reverse: a member we suspect is
    /// pinging us, so it is running and may have refuted a suspicion whose
    /// refutation missed us. Our own Suspect claim on the ack makes it send
    /// us its Alive claim at once (`refute_to`), instead of our suspicion
    /// running out during its next stall.
    fn suspicion_of_sender(&mut self, from: &I) -> Option<std::sync::Arc<[u8]>> {
        let m = self.table.get(from)?;
        if m.state != MemberState::Suspect {
            return None;
        }
        let incarnation = m.incarnation;
        let s = self.suspicions.get(from)?;
        if let Some((inc, raw)) = &s.ours {
            if *inc == incarnation {
                return Some(raw.clone());
            }
        }
        let update = Update::Suspect {
            id: from.clone(),
            incarnation,
            from: self.local.id.clone(),
        };
        let raw = self.sign_claim(update).raw;
        if let Some(s) = self.suspicions.get_mut(from) {
            s.ours = Some((incarnation, raw.clone()));
        }
        Some(raw)
    }

    /// An ack. It ends our probe, final check or suspect check only if the
    /// probed member made it (`crate::ack`); an intermediary relays only the
    /// target's own ack, proof included.
    pub(crate) fn on_ack(&mut self, _now: Instant, from: I, seq: u32, proof: &[u8]) {
        if let Some((target, nonce)) = self
            .probe
            .as_ref()
            .filter(|p| p.seq == seq)
            .map(|p| (p.target.clone(), p.nonce))
        {
            if self.ack_counts(&from, &target, nonce, proof) {
                self.probe = None;
                self.stats.probe_acks += 1;
                self.health.apply(-1);
            }
            return;
        }
        if let Some(c) = self.final_checks.get(&seq).cloned() {
            if self.ack_counts(&from, &c.id, c.nonce, proof) {
                self.final_checks.remove(&seq);
                if let Some(s) = self.suspicions.get_mut(&c.id) {
                    s.acked = true;
                }
            }
            return;
        }
        if let Some(c) = self.suspect_checks.get(&seq).cloned() {
            if self.ack_counts(&from, &c.id, c.nonce, proof) {
                // The suspect answered our check: it is not confirmed by us.
                self.suspect_checks.remove(&seq);
            }
            return;
        }
        let Some(relay) = self.relays.get(&seq) else {
            return;
        };
        if relay.target != from {
            self.stats.forged_acks += 1;
            tracing::debug!(peer = ?from, "dropped an ack for a relayed probe from someone else");
            return;
        }
        let Some(relay) = self.relays.remove(&seq) else {
            return;
        };
        let to = self.dest(&relay.requester);
        let kind = Kind::Ack {
            seq: relay.seq,
            proof: ByteBuf::from(proof.to_vec()),
        };
        self.send_probe(to, kind, None);
    }

    /// The claim we hold about the target (its Alive claim, or a Suspect
    /// claim at its latest incarnation), for a nack: a requester that
    /// missed the target's refutation, and may be running its final check
    /// while the target stalls, learns from the members it asked that the
    /// target was alive after its suspicion began (a higher incarnation
    /// refutes the suspicion or holds its deadline, `crate::suspicion`).
    /// A Dead claim that started our suspicion is not sent: it would count
    /// as a vote and travel on outside the retransmit limit.
    fn vouch_for(&self, target: &I) -> Option<(Option<I>, std::sync::Arc<[u8]>)> {
        let m = self.table.get(target)?;
        if !matches!(m.state, MemberState::Alive | MemberState::Suspect) {
            return None;
        }
        let claim = self.proofs.get(target)?.clone();
        match crate::wire::decode_update::<I>(&claim) {
            Ok(Update::Alive { .. } | Update::Suspect { .. }) => {
                Some((Some(target.clone()), claim))
            }
            _ => None,
        }
    }

    pub(crate) fn on_ping_req(
        &mut self,
        now: Instant,
        from: I,
        seq: u32,
        target: I,
        addrs: Vec<Addr>,
        nonce: Option<u64>,
    ) {
        if target == self.local.id {
            // Someone could not reach us directly: answer the requester
            // (a direct ack from us, which needs no proof).
            let to = self.dest(&from);
            let kind = Kind::Ack {
                seq,
                proof: ByteBuf::new(),
            };
            self.send_probe(to, kind, None);
            return;
        }
        let our_seq = self.next_seq();
        let to = match self.table.get(&target) {
            Some(_) => self.dest(&target),
            None => crate::event::Destination::Member {
                id: target.clone(),
                info: Some(std::sync::Arc::new(crate::member::MemberInfo {
                    addrs,
                    ..Default::default()
                })),
            },
        };
        self.send_probe(
            to,
            Kind::Ping {
                seq: our_seq,
                target: None,
                nonce,
            },
            None,
        );
        if self.relays.len() >= 4096 {
            // Bounded: a flood of ping-reqs cannot grow this map.
            return;
        }
        self.relays.insert(
            our_seq,
            Relay {
                requester: from,
                seq,
                target,
            },
        );
        // Lifeguard 4.1: the nack goes out at 80% of the probe timeout, so it
        // reaches the requester before its probe period ends.
        let nack_after = self.cfg.probe_timeout.mul_f64(0.8);
        self.timers
            .set(now + nack_after, Timer::RelayTimeout { seq: our_seq });
    }

    /// Our indirect probe for someone else timed out: tell them with a nack,
    /// so they know we are fine and the target is not answering (Lifeguard 4.1).
    pub(crate) fn relay_timeout(&mut self, seq: u32) {
        if let Some(relay) = self.relays.remove(&seq) {
            let to = self.dest(&relay.requester);
            let vouch = self.vouch_for(&relay.target);
            self.send_probe_about(to, Kind::Nack { seq: relay.seq }, vouch);
        }
    }

    /// A nack for our probe. Once every member we asked has answered that
    /// the target did not answer them either, waiting for the end of the
    /// period can only delay the suspicion: the probe fails now.
    pub(crate) fn on_nack(&mut self, now: Instant, seq: u32) {
        let Some(p) = self.probe.as_mut().filter(|p| p.seq == seq) else {
            return;
        };
        p.nacks += 1;
        if p.nacks_expected > 0 && p.nacks >= p.nacks_expected {
            self.probe_end(now, seq);
        }
    }
}
