//! Our own new claims told first-hand: a refutation (SWIM 4.2) or a Left
//! claim is sent directly to distinct members, not only piggybacked on
//! random gossip under the retransmit limit. With `local`'s limit of 2 in a
//! cluster of 8, about one member in nine missed a given claim, and those
//! that missed a refutation let their stale suspicion run out, often during
//! the short pause that had made the member look dead (docs/performance.md).

use crate::core::Core;
use crate::member::{MemberState, NodeId};

/// How many distinct members our own new claim is sent to directly:
/// everyone in a cluster this small, and in a larger one enough first-hand
/// copies for gossip to reach the rest well before a suspicion runs out.
pub(crate) const ANNOUNCE_DIRECT: usize = 16;

impl<I: NodeId> Core<I> {
    /// Starts telling our current claim (Alive after a refutation, or Left)
    /// to members directly, `gossip_nodes` per gossip tick.
    pub(crate) fn start_announce(&mut self) {
        self.announced_to.clear();
        self.announcing = true;
    }

    /// Whether members remain to be told our current claim directly.
    pub(crate) fn announce_pending(&self) -> bool {
        self.announcing && self.announced_to.len() < ANNOUNCE_DIRECT.min(self.table.live())
    }

    /// One gossip tick of an announcement: our claim (plus whatever is
    /// queued) to up to `gossip_nodes` live members not told yet, connected
    /// ones first.
    pub(crate) fn announce_tick(&mut self) {
        if !self.announce_pending() {
            self.announcing = false;
            return;
        }
        let told = std::mem::take(&mut self.announced_to);
        let targets = self.pick_connected_first(self.cfg.gossip_nodes.max(1), |m| {
            matches!(m.state, MemberState::Alive | MemberState::Suspect) && !told.contains(&m.id)
        });
        self.announced_to = told;
        for t in targets {
            let to = self.dest(&t);
            self.send_own_claim(to);
            self.announced_to.insert(t);
        }
    }
}
