//! Authenticated acks. An ack counts only if the probed member itself made
//! it: a direct ack must come from the target (the driver authenticates the
//! sender of every message), and an ack relayed by an intermediary for a
//! ping-req must carry the target's signature over the requester's fresh
//! nonce ([`crate::auth::ack_message`]). Without this a member could answer
//! every ping-req about a crashed member with a made-up ack and keep it
//! alive forever (SWIM 4.1 trusts the intermediary; a byzantine one breaks
//! the "crashed members are detected" guarantee). In clusters that do not
//! sign ([`crate::NoAuth`]) no nonce is sent and relayed acks count as they
//! come, as in SWIM.

use crate::auth::ack_message;
use crate::core::Core;
use crate::member::NodeId;

/// Ack proofs a node signs per probe period at most. An honest member is
/// asked for a handful (the intermediaries of a probe, a final check and a
/// few suspect checks); the cap bounds the signing cost a flood of pings
/// with nonces can cause. Beyond it the ack goes out without proof.
const MAX_ACK_PROOFS_PER_PERIOD: u32 = 64;

impl<I: NodeId> Core<I> {
    /// A fresh nonce for ping-reqs, or none in a cluster that does not sign.
    pub(crate) fn fresh_nonce(&mut self) -> Option<u64> {
        self.auth.is_signing().then(|| self.rng.next_u64())
    }

    /// The proof to put in our ack to a ping carrying `nonce`: our
    /// signature over it, if we sign and are under the per-period cap.
    pub(crate) fn ack_proof(&mut self, nonce: Option<u64>) -> Vec<u8> {
        let Some(nonce) = nonce else {
            return Vec::new();
        };
        if !self.auth.is_signing() {
            return Vec::new();
        }
        if self.ack_proofs_period >= MAX_ACK_PROOFS_PER_PERIOD {
            self.stats.ack_proofs_capped += 1;
            return Vec::new();
        }
        self.ack_proofs_period += 1;
        self.stats.ack_proofs_signed += 1;
        self.auth.sign(&ack_message(&self.cfg.cluster, nonce))
    }

    /// Whether an ack from `from` counts as an answer of `target` to the
    /// check whose ping-reqs carried `nonce`. Refusals are counted in
    /// `forged_acks` and traced.
    pub(crate) fn ack_counts(
        &mut self,
        from: &I,
        target: &I,
        nonce: Option<u64>,
        proof: &[u8],
    ) -> bool {
        if from == target || !self.auth.is_signing() {
            return true;
        }
        let ok = match nonce {
            Some(n) if !proof.is_empty() => {
                self.stats.ack_proofs_verified += 1;
                self.auth
                    .verify(target, &ack_message(&self.cfg.cluster, n), proof)
            }
            _ => false,
        };
        if !ok {
            self.stats.forged_acks += 1;
            tracing::debug!(
                peer = ?from,
                target = ?target,
                "dropped an ack without a valid proof from the probed member"
            );
        }
        ok
    }
}
