//! Signed claims. Alive and Left claims are signed by the member they are
//! about, Suspect and Dead claims by their accuser, so a relayed claim
//! cannot be forged by whoever relays it. The core is crypto-agnostic: the
//! driver passes a [`ClaimAuth`] that signs with the node's key and checks a
//! signature against a member id (the libp2p driver: ed25519 keys embedded
//! in `PeerId`s; the simulator: ed25519 keys indexed by node number).
//! `docs/protocol.md` specifies the signed bytes.

use std::fmt::Debug;
use std::sync::Arc;

use crate::core::Core;
use crate::member::NodeId;
use crate::wire::{self, Update};

/// Domain-separation prefix of every signed claim: a signature made for a
/// claim can never be mistaken for a signature over anything else.
pub const CLAIM_DOMAIN: &[u8] = b"lifebuoy/claim/v2\0";

/// Domain-separation prefix of an ack's proof (see [`ack_message`]).
pub const ACK_DOMAIN: &[u8] = b"lifebuoy/ack/v1\0";

/// Signs this node's claims and checks other members' signatures.
pub trait ClaimAuth<I>: Debug + Send + Sync {
    /// Signs `message` with the local node's key.
    fn sign(&self, message: &[u8]) -> Vec<u8>;
    /// Whether `signature` over `message` was made by member `signer`.
    fn verify(&self, signer: &I, message: &[u8], signature: &[u8]) -> bool;
    /// Whether claims are really signed. [`NoAuth`] says no, and then
    /// claims without a signature are accepted.
    fn is_signing(&self) -> bool {
        true
    }
}

/// No signatures: every claim is accepted as it comes (the behaviour of
/// memberlist and Serf). The default of [`Core::new`]; meant for tests and
/// trusted networks only.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl<I> ClaimAuth<I> for NoAuth {
    fn sign(&self, _message: &[u8]) -> Vec<u8> {
        Vec::new()
    }
    fn verify(&self, _signer: &I, _message: &[u8], _signature: &[u8]) -> bool {
        true
    }
    fn is_signing(&self) -> bool {
        false
    }
}

/// The bytes a claim's signature covers: the domain prefix, the cluster name
/// (length-prefixed, so a claim cannot be replayed into another cluster) and
/// the claim's CBOR encoding exactly as it travels.
pub fn signed_message(cluster: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(CLAIM_DOMAIN.len() + 2 + cluster.len() + body.len());
    m.extend_from_slice(CLAIM_DOMAIN);
    m.extend_from_slice(&(cluster.len().min(u16::MAX as usize) as u16).to_be_bytes());
    m.extend_from_slice(cluster.as_bytes());
    m.extend_from_slice(body);
    m
}

/// The bytes an ack's proof signs: the domain prefix, the cluster name
/// (length-prefixed) and the nonce of the ping-req the ack answers. Signed
/// by the probed member, it shows that the member itself answered this
/// very check: an intermediary cannot make it up, and an old proof does not
/// match a fresh nonce.
pub fn ack_message(cluster: &str, nonce: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(ACK_DOMAIN.len() + 2 + cluster.len() + 8);
    m.extend_from_slice(ACK_DOMAIN);
    m.extend_from_slice(&(cluster.len().min(u16::MAX as usize) as u16).to_be_bytes());
    m.extend_from_slice(cluster.as_bytes());
    m.extend_from_slice(&nonce.to_be_bytes());
    m
}

/// Who must have signed `update`: the subject of Alive and Left claims, the
/// accuser of Suspect and Dead claims.
pub fn signer_of<I>(update: &Update<I>) -> &I {
    match update {
        Update::Alive { id, .. } | Update::Left { id, .. } => id,
        Update::Suspect { from, .. } | Update::Dead { from, .. } => from,
    }
}

/// A decoded claim with the exact bytes it travelled in, so that it is
/// relayed unchanged (its signature stays valid) and verified at most once.
#[derive(Debug, Clone)]
pub(crate) struct Claim<I> {
    pub(crate) update: Update<I>,
    /// The encoded signed claim, as gossiped and kept as proof.
    pub(crate) raw: Arc<[u8]>,
    body: Arc<[u8]>,
    sig: Arc<[u8]>,
    /// Already known to be authentic (our own, or checked).
    checked: bool,
}

impl<I: NodeId> Claim<I> {
    /// Decodes a gossiped claim (not yet verified).
    pub(crate) fn decode(raw: &[u8]) -> Result<Self, wire::WireError> {
        let (body, sig) = wire::decode_signed(raw)?;
        let update = wire::decode_body(&body)?;
        Ok(Claim {
            update,
            raw: raw.into(),
            body: body.into(),
            sig: sig.into(),
            checked: false,
        })
    }
}

impl<I: NodeId> Core<I> {
    /// Signs one of our own claims.
    pub(crate) fn sign_claim(&mut self, update: Update<I>) -> Claim<I> {
        let body = match wire::encode_body(&update) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "could not encode a claim");
                Vec::new()
            }
        };
        let sig = self.auth.sign(&signed_message(&self.cfg.cluster, &body));
        if self.auth.is_signing() {
            self.stats.claims_signed += 1;
        }
        let raw = wire::encode_signed(&body, &sig).unwrap_or_default();
        Claim {
            update,
            raw: raw.into(),
            body: body.into(),
            sig: sig.into(),
            checked: true,
        }
    }

    /// Whether `claim` carries a valid signature by the member entitled to
    /// make it. Checked once per claim; failures are counted and traced.
    pub(crate) fn authentic(&mut self, claim: &mut Claim<I>) -> bool {
        if claim.checked {
            return true;
        }
        if !self.auth.is_signing() {
            claim.checked = true;
            return true;
        }
        self.stats.claims_verified += 1;
        let ok = !claim.sig.is_empty()
            && self.auth.verify(
                signer_of(&claim.update),
                &signed_message(&self.cfg.cluster, &claim.body),
                &claim.sig,
            );
        if ok {
            claim.checked = true;
        } else {
            self.stats.bad_signatures += 1;
            tracing::debug!(
                member = ?claim.update.id(),
                signer = ?signer_of(&claim.update),
                state = claim.update.state().as_str(),
                "dropped a claim with a missing or bad signature"
            );
        }
        ok
    }

    /// Our current Alive (or Left) claim, signed once per incarnation.
    pub(crate) fn own_claim(&mut self) -> Claim<I> {
        let key = (self.local.incarnation, self.local.state);
        if let Some((k, c)) = &self.own_claim {
            if *k == key {
                return c.clone();
            }
        }
        let update = if self.local.state == crate::member::MemberState::Left {
            Update::Left {
                id: self.local.id.clone(),
                incarnation: self.local.incarnation,
            }
        } else {
            self.alive_update()
        };
        let c = self.sign_claim(update);
        self.own_claim = Some((key, c.clone()));
        c
    }

    /// This node's current signed Alive claim, encoded: what a simulator
    /// hands to [`Core::restore_claims`] of other nodes to start a converged
    /// cluster whose views carry proofs.
    pub fn signed_self_claim(&mut self) -> Arc<[u8]> {
        self.own_claim().raw
    }
}
