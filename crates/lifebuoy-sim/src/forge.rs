//! Building a liar's attack messages: shared by the simulator's byzantine
//! scenario (`byzantine.rs`) and the real-process rogue node of
//! `lifebuoy-chaos`, so that both send the same forgeries.
//!
//! An [`Attack`] lists what one liar says in one attack; [`Attack::entries`]
//! turns it into signed claims (each signed with the liar's own key, which
//! makes accusations valid and every claim in someone else's name a
//! forgery), ready to go in a packet's gossip array with
//! [`gossip_packet`]. [`forged_ack`] answers a ping-req as if its target had
//! answered, with a proof chosen by [`ack_proof`]: none, junk, or the
//! target's proof replayed from an earlier check (all refused by honest
//! members of a signing cluster, see `lifebuoy_core`'s `ack.rs`).

use std::sync::Arc;

use lifebuoy_core::auth::signed_message;
use lifebuoy_core::wire::{self, ByteBuf, Kind, Update};
use lifebuoy_core::{ClaimAuth, Metadata};
use serde::Serialize;

/// A forged refutation: an Alive claim for `id` at `incarnation`, signed
/// with the liar's key instead of the member's.
#[derive(Debug, Clone)]
pub struct FakeAlive<I> {
    /// The member the claim is about.
    pub id: I,
    /// The incarnation claimed (above the one the member announced).
    pub incarnation: u64,
    /// The name put in the claim.
    pub name: String,
}

/// What one liar says in one attack.
#[derive(Debug, Clone)]
pub struct Attack<I> {
    /// Dead claims about these (member, incarnation) pairs, signed by the
    /// liar as accuser: valid signatures, false accusations.
    pub dead: Vec<(I, u64)>,
    /// Suspect claims about these (member, incarnation) pairs, likewise.
    pub suspect: Vec<(I, u64)>,
    /// Dead claims naming someone else as accuser: (named accuser, member,
    /// incarnation), signed with the liar's key, so forged.
    pub framed: Vec<(I, I, u64)>,
    /// Forged Alive claims: resurrections of crashed members and
    /// incarnation inflation of live ones.
    pub fake_alive: Vec<FakeAlive<I>>,
    /// Genuine claims to replay as they were overheard (old Alive claims of
    /// crashed members, stale accusations).
    pub replay: Vec<Arc<[u8]>>,
}

impl<I> Default for Attack<I> {
    fn default() -> Self {
        Attack {
            dead: Vec::new(),
            suspect: Vec::new(),
            framed: Vec::new(),
            fake_alive: Vec::new(),
            replay: Vec::new(),
        }
    }
}

/// Encodes `update` and signs it with `auth` (whoever it names as signer).
pub fn sign_with<I: Serialize>(
    auth: &dyn ClaimAuth<I>,
    cluster: &str,
    update: &Update<I>,
) -> Vec<u8> {
    let Ok(body) = wire::encode_body(update) else {
        return Vec::new();
    };
    let sig = auth.sign(&signed_message(cluster, &body));
    wire::encode_signed(&body, &sig).unwrap_or_default()
}

impl<I: Clone + Serialize> Attack<I> {
    /// The attack's claims, signed by `liar` with `auth` (the liar's key), in
    /// the order: accusations, framed accusations, replays of resurrection
    /// targets... exactly as listed in the fields.
    pub fn entries(&self, liar: &I, auth: &dyn ClaimAuth<I>, cluster: &str) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (id, incarnation) in &self.dead {
            let u = Update::Dead {
                id: id.clone(),
                incarnation: *incarnation,
                from: liar.clone(),
            };
            out.push(sign_with(auth, cluster, &u));
        }
        for (id, incarnation) in &self.suspect {
            let u = Update::Suspect {
                id: id.clone(),
                incarnation: *incarnation,
                from: liar.clone(),
            };
            out.push(sign_with(auth, cluster, &u));
        }
        for (from, id, incarnation) in &self.framed {
            let u = Update::Dead {
                id: id.clone(),
                incarnation: *incarnation,
                from: from.clone(),
            };
            out.push(sign_with(auth, cluster, &u));
        }
        for r in &self.replay {
            out.push(r.to_vec());
        }
        for f in &self.fake_alive {
            let u = Update::Alive {
                id: f.id.clone(),
                incarnation: f.incarnation,
                name: f.name.clone(),
                addrs: Vec::new(),
                meta: Metadata::default(),
            };
            out.push(sign_with(auth, cluster, &u));
        }
        out
    }
}

/// A gossip-only packet carrying `entries`.
pub fn gossip_packet<I: Serialize>(entries: &[Vec<u8>]) -> Option<Vec<u8>> {
    wire::encode_parts(&Kind::<I>::Gossip, entries).ok()
}

/// An ack for ping-req `seq`, as if its target had answered, carrying `proof`.
pub fn forged_ack<I: Serialize>(seq: u32, proof: &[u8]) -> Option<Vec<u8>> {
    let none: [Vec<u8>; 0] = [];
    let kind = Kind::<I>::Ack {
        seq,
        proof: ByteBuf::from(proof.to_vec()),
    };
    wire::encode_parts(&kind, &none).ok()
}

/// The proof a liar puts in its `turn`-th forged ack, in rotation: none,
/// 64 junk bytes (the size of an ed25519 signature), and `overheard` (a
/// proof the target made for an earlier check) when there is one.
pub fn ack_proof(turn: u64, overheard: Option<&[u8]>) -> Vec<u8> {
    match (turn % 3, overheard) {
        (0, _) => Vec::new(),
        (2, Some(old)) => old.to_vec(),
        _ => vec![0xA5; 64],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifebuoy_core::NoAuth;

    #[test]
    fn an_attack_lists_its_claims_with_the_liar_as_accuser() {
        let attack = Attack::<u32> {
            dead: vec![(1, 0)],
            suspect: vec![(2, 3)],
            framed: vec![(4, 5, 0)],
            fake_alive: vec![FakeAlive {
                id: 6,
                incarnation: 9,
                name: "n6".into(),
            }],
            replay: vec![Arc::from(&b"old"[..])],
        };
        let e = attack.entries(&7, &NoAuth, "c");
        assert_eq!(e.len(), 5);
        let decode = |raw: &[u8]| {
            let (body, _) = wire::decode_signed(raw).expect("signed");
            wire::decode_body::<u32>(&body).expect("body")
        };
        assert!(matches!(decode(&e[0]), Update::Dead { id: 1, from: 7, .. }));
        assert!(matches!(
            decode(&e[1]),
            Update::Suspect {
                id: 2,
                incarnation: 3,
                from: 7
            }
        ));
        assert!(matches!(decode(&e[2]), Update::Dead { id: 5, from: 4, .. }));
        assert_eq!(&e[3][..], b"old");
        assert!(matches!(
            decode(&e[4]),
            Update::Alive {
                id: 6,
                incarnation: 9,
                ..
            }
        ));
        assert!(gossip_packet::<u32>(&e).is_some());
        assert!(forged_ack::<u32>(1, &[]).is_some());
        assert!(ack_proof(0, Some(b"old")).is_empty());
        assert_eq!(ack_proof(1, Some(b"old")).len(), 64);
        assert_eq!(ack_proof(2, Some(b"old")), b"old");
        assert_eq!(ack_proof(2, None).len(), 64);
    }
}
