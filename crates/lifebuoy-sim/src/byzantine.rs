//! The `byzantine` scenario's liars: members that run an honest core (so
//! they stay members) and on top of it, every attack period, collude to
//!
//! - accuse one common honest victim (Dead claims signed with their own
//!   keys, so every one of them counts as a distinct accuser), and each
//!   accuse another honest member of its choice (Suspect claims);
//! - forge Dead claims in an honest member's name (signed with the wrong key);
//! - keep crashed members alive: replay their old signed Alive claims,
//!   forge a refutation (a higher Alive, signed with the liar's key), and
//!   answer every ping-req about a crashed member with a forged ack (no
//!   proof, a junk proof, or a proof the member made for an earlier check,
//!   overheard while relaying for it);
//! - replay old claims they overheard.
//!
//! Their packets are delivered like any other (same latency and loss) but
//! are not counted by the traffic checker, which audits honest senders.

use std::collections::HashMap;
use std::sync::Arc;

use lifebuoy_core::wire::{self, Kind, Packet};
use lifebuoy_core::{Channel, NoAuth};

use crate::engine::{Delivery, Sim, Status};
use crate::forge::{ack_proof, forged_ack, gossip_packet, Attack, FakeAlive};

/// Overheard claims kept for replay.
const STASH: usize = 256;
/// Honest members each liar sends its forgeries to, per attack.
const FANOUT: usize = 3;
/// Crashed members whose claims each liar replays, per attack.
const RESURRECT: usize = 3;

/// What the liars share.
#[derive(Debug, Default)]
pub(crate) struct Liars {
    pub(crate) is_liar: Vec<bool>,
    /// Every member's first signed Alive claim (incarnation 0), to replay.
    pub(crate) first_claims: Vec<Option<Arc<[u8]>>>,
    stash: Vec<Arc<[u8]>>,
    /// Per member, the last ack proof it made that a liar overheard.
    proofs: HashMap<u32, Vec<u8>>,
    pub(crate) attacks: u64,
    pub(crate) forged_acks: u64,
    pub(crate) forged_claims: u64,
}

impl Liars {
    pub(crate) fn new(n: usize, liars: &[u32]) -> Self {
        let mut is_liar = vec![false; n];
        for &l in liars {
            is_liar[l as usize] = true;
        }
        Liars {
            is_liar,
            first_claims: vec![None; n],
            ..Liars::default()
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.is_liar.iter().filter(|&&l| l).count()
    }
}

impl Sim {
    fn incarnation_seen(&self, liar: u32, member: u32) -> Option<u64> {
        self.nodes[liar as usize]
            .core
            .as_ref()?
            .member(&member)
            .map(|m| m.incarnation)
    }

    /// One attack by every live liar.
    pub(crate) fn attack(&mut self) {
        let n = self.cfg.nodes;
        let honest: Vec<u32> = (0..n)
            .filter(|&i| {
                !self.liars.is_liar[i as usize] && self.nodes[i as usize].status == Status::Up
            })
            .collect();
        let crashed: Vec<u32> = (0..n)
            .filter(|&i| self.nodes[i as usize].status == Status::Down)
            .collect();
        if honest.len() < 2 {
            return;
        }
        let victim = honest[self.fault_rng.index(honest.len())];
        let liars: Vec<u32> = (0..n)
            .filter(|&i| {
                self.liars.is_liar[i as usize] && self.nodes[i as usize].status == Status::Up
            })
            .collect();
        for liar in liars {
            let mut attack = Attack::default();
            if let Some(inc) = self.incarnation_seen(liar, victim) {
                attack.dead.push((victim, inc));
            }
            let own = honest[self.fault_rng.index(honest.len())];
            if let Some(inc) = self.incarnation_seen(liar, own) {
                attack.suspect.push((own, inc));
            }
            let framed = honest[self.fault_rng.index(honest.len())];
            let other = honest[self.fault_rng.index(honest.len())];
            if let (Some(inc), true) = (self.incarnation_seen(liar, other), framed != other) {
                attack.framed.push((framed, other, inc));
            }
            for _ in 0..RESURRECT.min(crashed.len()) {
                let c = crashed[self.fault_rng.index(crashed.len())];
                if let Some(old) = &self.liars.first_claims[c as usize] {
                    attack.replay.push(old.clone());
                }
                let inc = self.incarnation_seen(liar, c).unwrap_or(0);
                attack.fake_alive.push(FakeAlive {
                    id: c,
                    incarnation: inc + 1,
                    name: format!("n{c}"),
                });
            }
            if !self.liars.stash.is_empty() {
                let i = self.fault_rng.index(self.liars.stash.len());
                attack.replay.push(self.liars.stash[i].clone());
            }
            let entries = match &self.keys {
                Some(k) => attack.entries(&liar, &k.auth(liar), &self.core_cfg.cluster),
                None => attack.entries(&liar, &NoAuth, &self.core_cfg.cluster),
            };
            self.liars.forged_claims += entries.len() as u64;
            let Some(payload) = gossip_packet::<u32>(&entries) else {
                continue;
            };
            for _ in 0..FANOUT {
                let to = honest[self.fault_rng.index(honest.len())];
                self.inject(liar, to, payload.clone());
            }
        }
        self.liars.attacks += 1;
    }

    /// A message reaching a live liar: overheard claims are stashed for
    /// replay, and a ping-req about a crashed member is answered with a
    /// forged ack, as if the liar had reached it; the proofs in acks
    /// reaching a liar are kept to replay.
    pub(crate) fn overhear(&mut self, d: &Delivery) {
        if d.channel != Channel::Probe {
            return;
        }
        let Ok(p): Result<Packet<u32>, _> = wire::decode(&d.payload, 1 << 16) else {
            return;
        };
        for g in p.gossip {
            if self.liars.stash.len() < STASH {
                self.liars.stash.push(Arc::from(g.into_vec()));
            } else {
                let i = self.fault_rng.index(STASH);
                self.liars.stash[i] = Arc::from(g.into_vec());
            }
        }
        if let Kind::Ack { proof, .. } = &p.kind {
            if !proof.is_empty() && self.liars.proofs.len() < (1 << 16) {
                self.liars.proofs.insert(d.from, proof.to_vec());
            }
        }
        if let Kind::PingReq { seq, target, .. } = p.kind {
            let down = self
                .nodes
                .get(target as usize)
                .is_some_and(|t| t.status == Status::Down);
            if down {
                let overheard = self.liars.proofs.get(&target).map(Vec::as_slice);
                let proof = ack_proof(self.liars.forged_acks, overheard);
                if let Some(ack) = forged_ack::<u32>(seq, &proof) {
                    self.liars.forged_acks += 1;
                    self.inject(d.to, d.from, ack);
                }
            }
        }
    }
}
