//! Real ed25519 signatures for test nodes (node `i`'s key is derived from
//! `i`), and a way to sign any claim as any node: what a liar holding its
//! own key, or replaying someone else's claim, can send.

use std::sync::Arc;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use lifebuoy_core::auth::signed_message;
use lifebuoy_core::wire::{self, Update};
use lifebuoy_core::ClaimAuth;

pub fn secret(i: u32) -> SigningKey {
    let mut s = [0u8; 32];
    s[..4].copy_from_slice(&i.to_be_bytes());
    s[31] = 0x5a;
    SigningKey::from_bytes(&s)
}

#[derive(Debug, Clone)]
pub struct TestAuth {
    key: SigningKey,
    public: Arc<Vec<VerifyingKey>>,
}

impl TestAuth {
    pub fn new(i: u32, public: Arc<Vec<VerifyingKey>>) -> Self {
        TestAuth {
            key: secret(i),
            public,
        }
    }
}

pub fn public_keys(n: u32) -> Arc<Vec<VerifyingKey>> {
    Arc::new((0..n).map(|i| secret(i).verifying_key()).collect())
}

impl ClaimAuth<u32> for TestAuth {
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).to_bytes().to_vec()
    }
    fn verify(&self, signer: &u32, message: &[u8], signature: &[u8]) -> bool {
        let Some(k) = self.public.get(*signer as usize) else {
            return false;
        };
        Signature::from_slice(signature).is_ok_and(|s| k.verify_strict(message, &s).is_ok())
    }
}

/// `update` signed with node `signer`'s key for `cluster`, as a gossip entry.
pub fn signed_as(signer: u32, cluster: &str, update: &Update<u32>) -> Vec<u8> {
    let body = wire::encode_body(update).expect("encode");
    let sig = secret(signer).sign(&signed_message(cluster, &body));
    wire::encode_signed(&body, &sig.to_bytes()).expect("encode")
}
