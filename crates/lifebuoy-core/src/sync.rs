//! Anti-entropy and joining: push-pull full-state exchange (memberlist's
//! push-pull), periodic with a random live member, periodic with a random
//! Dead member so that partitions heal by themselves, and on join.
//! Also the gossip-only tick that keeps dissemination moving between probes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_bytes::ByteBuf;

use crate::auth::Claim;
use crate::core::{Core, Origin};
use crate::event::Destination;
use crate::member::{Member, MemberInfo, MemberState, NodeId};
use crate::timer::Timer;
use crate::wire::{self, Channel, Kind, Packet, Update};

impl<I: NodeId> Core<I> {
    /// Our whole view as signed claims: our own Alive claim, then for each
    /// member the claim that set the state we hold.
    fn sync_state(&mut self) -> Vec<ByteBuf> {
        let mut out = Vec::with_capacity(self.table.len() + 1);
        out.push(ByteBuf::from(self.own_claim().raw.to_vec()));
        let signing = self.auth.is_signing();
        let mut unsigned = Vec::new();
        for m in self.table.iter() {
            match self.proofs.get(&m.id) {
                Some(p) => out.push(ByteBuf::from(p.to_vec())),
                // Without signatures any claim will do (a restored member).
                None if !signing => unsigned.push(claim_of(m, &self.local.id)),
                // A restored member without its signed claim: others learn it
                // from the member itself.
                None => {}
            }
        }
        for u in unsigned {
            if let Ok(b) = wire::encode_update(&u) {
                out.push(ByteBuf::from(b));
            }
        }
        out
    }

    pub(crate) fn send_sync(&mut self, to: Destination<I>, join: bool, reply: bool) {
        let kind = Kind::Sync {
            join,
            reply,
            members: self.sync_state(),
        };
        let packet = Packet {
            kind,
            gossip: Vec::new(),
        };
        match wire::encode(&packet) {
            Ok(bytes) if bytes.len() <= self.cfg.max_sync_bytes => {
                self.push_transmit(to, Channel::Sync, &packet.kind, bytes);
            }
            Ok(bytes) => tracing::warn!(
                size = bytes.len(),
                limit = self.cfg.max_sync_bytes,
                "full state exceeds max_sync_bytes; push-pull skipped"
            ),
            Err(e) => tracing::warn!(error = %e, "could not encode push-pull"),
        }
    }

    pub(crate) fn on_sync(
        &mut self,
        now: Instant,
        from: I,
        join: bool,
        reply: bool,
        members: Vec<ByteBuf>,
    ) {
        // Merge first, so that refutations of claims about us go into the reply.
        // A Dead entry is an accusation by its signer, as memberlist turns a
        // remote Dead into a local suspicion: nobody is declared dead on
        // another node's word alone. Suspicions of members we have never
        // heard of as alive are ignored.
        for raw in members {
            match Claim::decode(&raw) {
                Ok(c) => {
                    // A joiner's own Alive claim is passed on by gossip, as
                    // memberlist's seed does: in a join storm the seed is the
                    // one node that hears of every joiner first, and the
                    // joiner's own announcement alone reaches the early
                    // joiners only after several gossip rounds.
                    let origin = match &c.update {
                        Update::Alive { id, .. } if join && *id == from => Origin::Gossip,
                        _ => Origin::Sync,
                    };
                    self.apply_claim(now, c, origin)
                }
                Err(_) => self.stats.bad_updates += 1,
            }
        }
        if reply {
            let to = self.dest(&from);
            self.send_sync(to, false, false);
        } else if !self.joined {
            tracing::info!(peer = ?from, members = self.table.len(), "joined the cluster");
            self.joined = true;
            self.schedule_join_followups(now, from);
        }
    }

    /// A join storm (many nodes starting together) leaves early joiners with
    /// partial views, and gossip about late joiners dies out among the nodes
    /// that already learned them from the seed. Two follow-up push-pulls
    /// close the gap in seconds: one with the seed that answered (it has seen
    /// every joiner), one with a random member.
    fn schedule_join_followups(&mut self, now: Instant, seed: I) {
        self.join_peer = Some(seed);
        self.rearm_push_pull(now);
        let p = self.cfg.probe_interval;
        let first = p + p.mul_f64(self.rng.unit());
        let second = p * 3 + (p * 2).mul_f64(self.rng.unit());
        self.timers
            .set(now + first, Timer::JoinFollowup { step: 0 });
        self.timers
            .set(now + second, Timer::JoinFollowup { step: 1 });
    }

    pub(crate) fn join_followup(&mut self, step: u8) {
        if self.local.state == MemberState::Left {
            return;
        }
        let target = match step {
            0 => self.join_peer.clone().filter(|p| {
                self.table
                    .get(p)
                    .is_some_and(|m| m.state == MemberState::Alive)
            }),
            _ => None,
        };
        let target = target.or_else(|| {
            self.table
                .random(1, &mut self.rng, |m| m.state == MemberState::Alive)
                .first()
                .map(|m| m.id.clone())
        });
        if let Some(t) = target {
            let to = self.dest(&t);
            self.send_sync(to, false, true);
        }
    }

    pub(crate) fn send_join(&mut self, now: Instant) {
        for seed in self.seeds.clone() {
            self.send_sync(Destination::Addr(seed), true, true);
        }
        self.join_attempts += 1;
        let backoff = self.cfg.join_retry_interval * (1u32 << self.join_attempts.min(5));
        self.timers.set(now + backoff / 2, Timer::JoinRetry);
        if self.join_attempts == 1 {
            self.announce_self();
        }
    }

    pub(crate) fn join_retry(&mut self, now: Instant) {
        if self.joined || self.seeds.is_empty() || self.local.state == MemberState::Left {
            return;
        }
        tracing::debug!(
            attempt = self.join_attempts,
            "no seed answered yet, retrying join"
        );
        self.send_join(now);
    }

    /// Periodic push-pull with a random live member, digest first
    /// (`crate::digest`); the interval grows with the cluster as memberlist's does.
    pub(crate) fn push_pull_tick(&mut self, now: Instant) {
        let interval = self.cfg.push_pull_scaled(self.live_count());
        self.timers.set(
            now + interval,
            Timer::PushPull {
                generation: self.push_pull_generation,
            },
        );
        if self.local.state == MemberState::Left {
            return;
        }
        let target = self
            .table
            .random(1, &mut self.rng, |m| m.state == MemberState::Alive)
            .first()
            .map(|m| m.id.clone());
        if let Some(t) = target {
            let to = self.dest(&t);
            self.send_digest(to);
        }
    }

    /// Periodic push-pull with a random Dead member. If it was only cut off,
    /// both sides learn they were declared dead, refute, and the partition
    /// heals without an operator (memberlist never retries the dead; Serf's
    /// reconnect does this at its own layer).
    pub(crate) fn reconnect_tick(&mut self, now: Instant) {
        let jitter = self.cfg.reconnect_interval.mul_f64(0.5 + self.rng.unit());
        self.timers.set(now + jitter, Timer::Reconnect);
        if self.local.state == MemberState::Left {
            return;
        }
        let target = self
            .table
            .random(1, &mut self.rng, |m| m.state == MemberState::Dead)
            .first()
            .map(|m| m.id.clone());
        if let Some(t) = target {
            let to = self.dest(&t);
            self.send_sync(to, false, true);
        } else if self.table.live() == 0 && !self.seeds.is_empty() && self.joined {
            // Everyone we knew is gone: go back to the seeds.
            for seed in self.seeds.clone() {
                self.send_sync(Destination::Addr(seed), true, true);
            }
        }
    }

    pub(crate) fn gossip_tick(&mut self, now: Instant) {
        self.gossip_tick_inner(now);
        self.gossip_last = now;
        self.gossip_armed = !self.queue.is_empty() || self.announce_pending();
        if self.gossip_armed {
            self.timers
                .set(now + self.cfg.gossip_interval, Timer::Gossip);
        }
    }

    /// Re-arms the Gossip timer if updates are queued and it is not set, at
    /// the first tick of its grid after `now`: the tick an always-running
    /// timer would have fired at (ticks with nothing queued send nothing).
    /// Called at the end of every input that can queue an update.
    pub(crate) fn arm_gossip(&mut self, now: Instant) {
        if self.gossip_armed || (self.queue.is_empty() && !self.announce_pending()) {
            return;
        }
        let every = self.cfg.gossip_interval;
        let since = now.saturating_duration_since(self.gossip_last);
        let ticks = if every.is_zero() {
            0
        } else {
            since.as_nanos() / every.as_nanos() + 1
        };
        let at = u32::try_from(ticks)
            .ok()
            .and_then(|t| every.checked_mul(t))
            .and_then(|d| self.gossip_last.checked_add(d))
            .unwrap_or(now + every);
        self.timers.set(at.max(now), Timer::Gossip);
        self.gossip_armed = true;
    }

    /// Sends gossip-only messages to `gossip_nodes` random members while
    /// updates are queued, connected ones first (`crate::reach`). Members declared dead recently are included, so
    /// a wrongly declared member hears it and refutes (memberlist's
    /// gossip-to-the-dead).
    pub(crate) fn gossip_tick_inner(&mut self, now: Instant) {
        self.announce_tick();
        if self.queue.is_empty() {
            return;
        }
        let dead_window = self.cfg.suspicion_min(self.live_count()) * 2;
        let targets: Vec<I> = self.pick_connected_first(self.cfg.gossip_nodes, |m| match m.state {
            MemberState::Alive | MemberState::Suspect => true,
            MemberState::Dead => now.saturating_duration_since(m.since) < dead_window,
            MemberState::Left => false,
        });
        for t in targets {
            if self.queue.is_empty() {
                break;
            }
            let to = self.dest(&t);
            self.send_probe(to, Kind::Gossip, None);
        }
    }

    /// After the view jumped in size (restore, join), spread this node's
    /// periodic push-pull uniformly over the interval for the new size, so
    /// that a large cluster does not push-pull all at once.
    pub(crate) fn rearm_push_pull(&mut self, now: Instant) {
        if self.cfg.push_pull_interval.is_zero() {
            return;
        }
        self.push_pull_generation = self.push_pull_generation.wrapping_add(1);
        let interval = self.cfg.push_pull_scaled(self.live_count());
        let at = now + interval.mul_f64(self.rng.unit());
        self.timers.set(
            at,
            Timer::PushPull {
                generation: self.push_pull_generation,
            },
        );
    }

    /// Members as claimed info, for tests and drivers that persist a snapshot.
    pub fn snapshot(&self) -> Vec<(I, Arc<MemberInfo>, u64)> {
        self.table
            .iter()
            .filter(|m| m.state.is_live())
            .map(|m| (m.id.clone(), m.info.clone(), m.incarnation))
            .collect()
    }

    /// How long until the next periodic push-pull at the current size.
    pub fn push_pull_interval(&self) -> Duration {
        self.cfg.push_pull_scaled(self.live_count())
    }
}

/// An unsigned claim for a member's state as we hold it (clusters without
/// signatures only), with ourselves as the accuser of a suspect or dead one.
fn claim_of<I: Clone>(m: &Member<I>, me: &I) -> Update<I> {
    let (id, incarnation) = (m.id.clone(), m.incarnation);
    match m.state {
        MemberState::Alive => Update::Alive {
            id,
            incarnation,
            name: m.info.name.clone(),
            addrs: m.info.addrs.clone(),
            meta: m.info.meta.clone(),
        },
        MemberState::Suspect => Update::Suspect {
            id,
            incarnation,
            from: me.clone(),
        },
        MemberState::Dead => Update::Dead {
            id,
            incarnation,
            from: me.clone(),
        },
        MemberState::Left => Update::Left { id, incarnation },
    }
}
