//! Counters a driver exports as metrics. Plain integers: the core never
//! allocates or locks to count.

/// Message counts by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCounts {
    /// Pings.
    pub ping: u64,
    /// Acks.
    pub ack: u64,
    /// Ping-reqs.
    pub ping_req: u64,
    /// Nacks.
    pub nack: u64,
    /// Gossip-only messages.
    pub gossip: u64,
    /// Push-pull messages.
    pub sync: u64,
}

impl KindCounts {
    /// The sum over kinds.
    pub fn total(&self) -> u64 {
        self.ping + self.ack + self.ping_req + self.nack + self.gossip + self.sync
    }
}

/// Everything the core counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages sent, by kind.
    pub msgs_out: KindCounts,
    /// Messages received and decoded, by kind.
    pub msgs_in: KindCounts,
    /// Bytes sent, by kind.
    pub bytes_out: KindCounts,
    /// Bytes received, by kind.
    pub bytes_in: KindCounts,
    /// Probes started.
    pub probes: u64,
    /// Probes answered (directly or indirectly).
    pub probe_acks: u64,
    /// Probes that ended without an ack.
    pub probe_failures: u64,
    /// Nacks that were expected but never came (Lifeguard).
    pub missed_nacks: u64,
    /// Suspicions this node raised from its own probes.
    pub suspicions_raised: u64,
    /// Suspicions of other members refuted (observed Suspect -> Alive).
    pub suspicions_refuted: u64,
    /// Times this node refuted a suspicion or death claim about itself.
    pub self_refutes: u64,
    /// Members this node declared failed when its own suspicion timeout ran out.
    pub failures_declared: u64,
    /// Members someone else suspected that this node probed itself.
    pub suspect_checks: u64,
    /// Of those, the ones that did not answer: this node confirmed the suspicion.
    pub suspect_checks_failed: u64,
    /// Round-robin probes of unconnected members deferred to pace first
    /// contacts (`Config::first_contact_members`).
    pub first_contacts_deferred: u64,
    /// Push-pull digests received that matched this node's view (no full
    /// exchange needed).
    pub digests_matched: u64,
    /// Bytes from peers that were refused: malformed, oversized, wrong version.
    pub decode_errors: u64,
    /// Messages from another cluster.
    pub wrong_cluster: u64,
    /// Messages whose kind did not belong on the channel they came on, or pings for someone else.
    pub misdirected: u64,
    /// Piggybacked updates that could not be decoded.
    pub bad_updates: u64,
    /// Claims dropped because the member table was full.
    pub table_full_drops: u64,
    /// Claims about members not on the allowlist ([`crate::Core::set_allowlist`]), dropped.
    pub not_admitted: u64,
    /// Queued updates dropped because the queue was full.
    pub queue_drops: u64,
    /// Events dropped because the driver did not drain them.
    pub event_drops: u64,
    /// Claims this node signed (its own Alive, Left, Suspect and Dead claims).
    pub claims_signed: u64,
    /// Signatures this node checked (only claims that would change its view).
    pub claims_verified: u64,
    /// Claims dropped for a missing or bad signature.
    pub bad_signatures: u64,
    /// Accusations naming an incarnation more than a few refutations above
    /// the one we hold (counted at ours), and claims about ourselves far
    /// above our incarnation (dropped).
    pub implausible_claims: u64,
    /// Accusations dropped because their accuser exceeded its rate.
    pub accusations_rate_limited: u64,
    /// Accusations ignored because their accuser is down-weighted.
    pub accusations_ignored: u64,
    /// Times an accuser was down-weighted for repeatedly refuted accusations.
    pub accusers_down_weighted: u64,
    /// Accusers down-weighted now (as of the last refutation seen).
    pub down_weighted_accusers: u64,
    /// Acks dropped because they did not come from the probed member and
    /// carried no valid proof from it (forged, or relayed without proof).
    pub forged_acks: u64,
    /// Ack proofs this node signed for intermediaries probing it.
    pub ack_proofs_signed: u64,
    /// Ack proofs this node checked (relayed acks in signing clusters).
    pub ack_proofs_verified: u64,
    /// Nonces left unsigned because the per-period cap was reached.
    pub ack_proofs_capped: u64,
}
