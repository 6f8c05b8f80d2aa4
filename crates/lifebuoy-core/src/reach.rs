//! Connected-first choice of gossip targets and ping-req helpers.
//!
//! On a transport with connections (QUIC, TCP + Noise), the first message
//! to a member costs a handshake: several kilobytes and milliseconds of CPU
//! on both sides, where a message on an open connection costs one small
//! packet. Gossip targets and ping-req helpers only need to be random
//! members (SWIM 4.1 picks them at random so that dissemination reaches
//! everyone in O(log n) rounds); which random members does not matter. So
//! when the driver reports the members it holds a connection to, they are
//! picked first, at random among them, and the rest of the `k` are random
//! members as before. Probe targets are not affected: the randomized
//! round-robin still visits every member, which is what bounds detection.
//!
//! Round-robin probe targets are paced instead
//! ([`crate::Config::first_contact_members`]): at most one probe in
//! `ceil(n / first_contact_members)` periods goes to a member with no
//! connection, the others to a connected member at random. Every member is still probed by its ring predecessor,
//! and the skipped one comes up again next round.
//!
//! A driver that reports nothing (the simulator, UDP) gets SWIM's uniform
//! random choice and round-robin unchanged.

use crate::core::Core;
use crate::member::{Member, NodeId};

impl<I: NodeId> Core<I> {
    /// Tells the core whether this node holds an open connection to `id`
    /// (its driver's view; the core never checks). Connected members are
    /// preferred as gossip targets and ping-req helpers. The driver bounds
    /// the set: it reports only connections it keeps.
    pub fn set_connected(&mut self, id: I, connected: bool) {
        if connected {
            self.connected.insert(id);
        } else {
            self.connected.remove(&id);
        }
    }

    /// Whether the driver reported a connection to `id`.
    pub fn is_connected(&self, id: &I) -> bool {
        self.connected.contains(id)
    }

    /// The member to probe instead of the round-robin's `target`: `target`
    /// itself if it is connected or a first contact is due, else a random
    /// connected live member (if there is one).
    pub(crate) fn pace_first_contact(&mut self, target: I) -> I {
        let per = self.cfg.first_contact_members;
        self.since_first_contact = self.since_first_contact.saturating_add(1);
        if per == 0 || self.connected.is_empty() || self.connected.contains(&target) {
            return target;
        }
        let every = (self.live_count() as u64).div_ceil(u64::from(per)).max(1);
        if u64::from(self.since_first_contact) >= every {
            self.since_first_contact = 0;
            return target;
        }
        let live: Vec<&I> = self
            .connected
            .iter()
            .filter(|id| self.table.get(id).is_some_and(|m| m.state.is_live()))
            .collect();
        if live.is_empty() {
            return target;
        }
        let i = self.rng.index(live.len());
        self.stats.first_contacts_deferred += 1;
        live[i].clone()
    }

    /// Up to `k` distinct members matching `keep`: connected ones first (at
    /// random among them), then random others.
    pub(crate) fn pick_connected_first(
        &mut self,
        k: usize,
        keep: impl Fn(&Member<I>) -> bool,
    ) -> Vec<I> {
        if k == 0 {
            return Vec::new();
        }
        let mut picked: Vec<I> = self
            .connected
            .iter()
            .filter(|id| self.table.get(id).is_some_and(&keep))
            .cloned()
            .collect();
        if picked.len() > k {
            self.rng.shuffle(&mut picked);
            picked.truncate(k);
            return picked;
        }
        if picked.len() == k {
            return picked;
        }
        // Fewer connected than wanted: fill with random unconnected members.
        let connected = &self.connected;
        picked.extend(
            self.table
                .random(k - picked.len(), &mut self.rng, |m| {
                    keep(m) && !connected.contains(&m.id)
                })
                .into_iter()
                .map(|m| m.id.clone()),
        );
        picked
    }
}
