//! Signed claims with the node's libp2p identity key. A member's `PeerId`
//! embeds its Ed25519 public key (an identity multihash of the protobuf
//! encoding), so verifying a claim by any member needs no key exchange.

use std::collections::HashMap;
use std::sync::Mutex;

use libp2p::identity::{Keypair, PublicKey};
use libp2p::PeerId;
use lifebuoy_core::ClaimAuth;

/// Multihash code of the identity hash: the digest is the key itself.
const IDENTITY_CODE: u64 = 0x00;
/// Decoded public keys kept; beyond it the cache starts over.
const MAX_CACHED_KEYS: usize = 4096;

/// Signs with the local keypair; verifies with the key inside each `PeerId`.
/// [`crate::Behaviour`] uses it for every claim; it is public for tools
/// that speak the protocol without a `Behaviour` of their own choosing
/// (the rogue node of `lifebuoy-chaos` signs its accusations with it).
pub struct PeerAuth {
    keypair: Keypair,
    keys: Mutex<HashMap<PeerId, PublicKey>>,
}

impl std::fmt::Debug for PeerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerAuth")
            .field("peer", &self.keypair.public().to_peer_id())
            .finish_non_exhaustive()
    }
}

impl PeerAuth {
    /// Signs with `keypair`.
    pub fn new(keypair: Keypair) -> Self {
        PeerAuth {
            keypair,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// The public key a `PeerId` embeds, if it embeds one (Ed25519 ids do;
    /// ids hashed with SHA-256, from large RSA keys, do not and cannot sign claims).
    fn key_of(&self, peer: &PeerId) -> Option<PublicKey> {
        if let Ok(keys) = self.keys.lock() {
            if let Some(k) = keys.get(peer) {
                return Some(k.clone());
            }
        }
        let mh = peer.as_ref();
        if mh.code() != IDENTITY_CODE {
            return None;
        }
        let key = PublicKey::try_decode_protobuf(mh.digest()).ok()?;
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= MAX_CACHED_KEYS {
                keys.clear();
            }
            keys.insert(*peer, key.clone());
        }
        Some(key)
    }
}

impl ClaimAuth<PeerId> for PeerAuth {
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self.keypair.sign(message) {
            Ok(sig) => sig,
            Err(e) => {
                tracing::warn!(error = %e, "could not sign a claim; peers will drop it");
                Vec::new()
            }
        }
    }

    fn verify(&self, signer: &PeerId, message: &[u8], signature: &[u8]) -> bool {
        self.key_of(signer)
            .is_some_and(|k| k.verify(message, signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_signed_by_a_peer_verifies_against_its_peer_id_alone() {
        let a = Keypair::generate_ed25519();
        let b = Keypair::generate_ed25519();
        let (pa, pb) = (a.public().to_peer_id(), b.public().to_peer_id());
        let signer = PeerAuth::new(a);
        let checker = PeerAuth::new(b);
        let sig = signer.sign(b"claim");
        assert!(checker.verify(&pa, b"claim", &sig));
        assert!(!checker.verify(&pb, b"claim", &sig), "not b's signature");
        assert!(!checker.verify(&pa, b"other", &sig), "another message");
        assert!(
            !checker.verify(&PeerId::random(), b"claim", &sig),
            "an id without a key"
        );
    }
}
