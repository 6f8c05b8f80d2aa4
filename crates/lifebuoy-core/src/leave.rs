//! Graceful leave (SWIM 4.2's voluntary departure, memberlist's `Leave`):
//! the leaving node signs a Left claim at a new incarnation and tells it to
//! distinct members directly ([`crate::announce`]), so that nobody misses
//! it, suspects the stopped node and reports it failed.

use std::time::Instant;

use crate::core::Core;
use crate::member::{MemberState, NodeId};

impl<I: NodeId> Core<I> {
    /// Leaves gracefully: disseminates a Left claim and stops probing. Keep
    /// driving the core until [`Core::leave_broadcast_done`] (or a timeout),
    /// then stop it.
    pub fn leave(&mut self, now: Instant) {
        if self.local.state == MemberState::Left {
            return;
        }
        self.local.incarnation += 1;
        self.local.state = MemberState::Left;
        self.local.since = now;
        self.probe = None;
        self.announce_self();
        self.start_announce();
        tracing::info!(incarnation = self.local.incarnation, "leaving the cluster");
        // Send it out now rather than at the next gossip tick.
        self.gossip_tick_inner(now);
        self.arm_gossip(now);
    }

    /// Whether the Left claim has been sent directly to 16 distinct members,
    /// or every live one if fewer (or there is nobody to tell).
    pub fn leave_broadcast_done(&self) -> bool {
        self.local.state == MemberState::Left && !self.announce_pending()
    }
}
