//! Real ed25519 signatures for simulated nodes: each node has a key derived
//! from the run's seed, and every node can look up every other node's public
//! key by its number (what a libp2p `PeerId` gives the real driver for free).

use std::sync::Arc;
use std::time::Instant;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use lifebuoy_core::{ClaimAuth, DetRng};

/// Every node's keys.
#[derive(Debug, Clone)]
pub(crate) struct Keyring {
    secrets: Arc<Vec<[u8; 32]>>,
    public: Arc<Vec<VerifyingKey>>,
}

impl Keyring {
    pub(crate) fn new(nodes: u32, seed: u64) -> Self {
        let mut rng = DetRng::seed_from_u64(seed ^ 0x6b65_7973);
        let secrets: Vec<[u8; 32]> = (0..nodes)
            .map(|_| {
                let mut s = [0u8; 32];
                for chunk in s.chunks_mut(8) {
                    chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
                }
                s
            })
            .collect();
        let public = secrets
            .iter()
            .map(|s| SigningKey::from_bytes(s).verifying_key())
            .collect();
        Keyring {
            secrets: Arc::new(secrets),
            public: Arc::new(public),
        }
    }

    /// Node `id`'s signer.
    pub(crate) fn auth(&self, id: u32) -> NodeAuth {
        NodeAuth {
            key: SigningKey::from_bytes(&self.secrets[id as usize]),
            public: self.public.clone(),
        }
    }

    /// Measures one signature and one verification, in microseconds (median
    /// of `rounds`), on this machine.
    pub(crate) fn cost_us(&self, rounds: usize) -> (f64, f64) {
        let a = self.auth(0);
        let msg = [7u8; 120];
        let mut sign = Vec::with_capacity(rounds);
        let mut verify = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            let sig = a.sign(&msg);
            sign.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            let ok = a.verify(&0, &msg, &sig);
            verify.push(t.elapsed().as_secs_f64() * 1e6);
            debug_assert!(ok);
        }
        (median(&mut sign), median(&mut verify))
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// One node's [`ClaimAuth`].
#[derive(Clone)]
pub(crate) struct NodeAuth {
    key: SigningKey,
    public: Arc<Vec<VerifyingKey>>,
}

impl std::fmt::Debug for NodeAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeAuth").finish_non_exhaustive()
    }
}

impl ClaimAuth<u32> for NodeAuth {
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).to_bytes().to_vec()
    }

    fn verify(&self, signer: &u32, message: &[u8], signature: &[u8]) -> bool {
        let Some(key) = self.public.get(*signer as usize) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        key.verify_strict(message, &sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_signer_and_message() {
        let ring = Keyring::new(3, 1);
        let (a, b) = (ring.auth(1), ring.auth(2));
        let sig = a.sign(b"claim");
        assert!(b.verify(&1, b"claim", &sig));
        assert!(!b.verify(&2, b"claim", &sig), "another signer");
        assert!(!b.verify(&1, b"claim!", &sig), "another message");
        assert!(!b.verify(&9, b"claim", &sig), "an unknown node");
        assert!(!b.verify(&1, b"claim", &sig[..10]), "a truncated signature");
    }
}
