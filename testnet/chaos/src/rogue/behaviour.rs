//! The rogue's `NetworkBehaviour`: an honest [`lifebuoy::Behaviour`] (so
//! the rogue joins and stays a member, with its own valid identity) wrapped
//! so that it also overhears every probe-channel frame and sends forged
//! frames on the same connections, with the same handler and wire format.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::task::{Context, Poll};

use lifebuoy::core::wire::{self, Kind, Packet, Update};
use lifebuoy::core::{Channel, DetRng, MemberState};
use lifebuoy::handler::{FromBehaviour, ToBehaviour};
use lifebuoy::libp2p::core::transport::PortUse;
use lifebuoy::libp2p::core::Endpoint;
use lifebuoy::libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, NotifyHandler, THandler,
    THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use lifebuoy::libp2p::{Multiaddr, PeerId};
use lifebuoy::{Behaviour, PeerAuth};
use lifebuoy_sim::forge::{ack_proof, forged_ack, gossip_packet, Attack, FakeAlive};

/// Overheard claims kept for replay.
const STASH: usize = 256;
/// Most outgoing frames waiting for the swarm.
const MAX_OUT: usize = 4096;
/// Incarnation inflation step of a forged Alive claim about a live member.
const INFLATE: u64 = 1000;

/// What the rogue did, for its stdout report.
#[derive(Debug, Default, Clone, Copy)]
pub struct RogueStats {
    /// Attack rounds.
    pub attacks: u64,
    /// Claims sent that are false, forged or replayed.
    pub forged_claims: u64,
    /// Acks forged in answer to ping-reqs.
    pub forged_acks: u64,
    /// Flood frames sent.
    pub flood_frames: u64,
    /// Frames queued for sending (attacks, floods, acks).
    pub frames_sent: u64,
    /// Frames dropped because the rogue's own queue was full.
    pub frames_dropped: u64,
}

/// The rogue node's behaviour.
pub struct Rogue {
    inner: Behaviour,
    me: PeerId,
    auth: PeerAuth,
    cluster: String,
    rng: DetRng,
    conns: HashMap<PeerId, ConnectionId>,
    out: VecDeque<ToSwarm<lifebuoy::Event, FromBehaviour>>,
    /// Every member's first Alive claim overheard, to replay once it crashed.
    first_alive: HashMap<PeerId, Arc<[u8]>>,
    /// Per member, the last ack proof it made that the rogue overheard.
    proofs: HashMap<PeerId, Vec<u8>>,
    stash: Vec<Arc<[u8]>>,
    /// Counters.
    pub stats: RogueStats,
}

impl std::fmt::Debug for Rogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rogue")
            .field("me", &self.me)
            .finish_non_exhaustive()
    }
}

impl Rogue {
    /// Wraps `inner`, whose identity is `auth`'s key.
    pub fn new(inner: Behaviour, auth: PeerAuth, cluster: String, seed: u64) -> Self {
        let me = inner.local_member().id;
        Rogue {
            inner,
            me,
            auth,
            cluster,
            rng: DetRng::seed_from_u64(seed),
            conns: HashMap::new(),
            out: VecDeque::new(),
            first_alive: HashMap::new(),
            proofs: HashMap::new(),
            stash: Vec::new(),
            stats: RogueStats::default(),
        }
    }

    /// The honest behaviour inside.
    pub fn inner_mut(&mut self) -> &mut Behaviour {
        &mut self.inner
    }

    /// Members the rogue's own view holds, with what it knows of them.
    fn view(&self) -> Vec<(PeerId, u64, MemberState, String)> {
        self.inner
            .members()
            .filter(|m| m.id != self.me)
            .map(|m| (m.id, m.incarnation, m.state, m.name().to_owned()))
            .collect()
    }

    fn send(&mut self, peer: PeerId, payload: Vec<u8>) {
        let Some(&conn) = self.conns.get(&peer) else {
            return;
        };
        if self.out.len() >= MAX_OUT {
            self.stats.frames_dropped += 1;
            return;
        }
        self.stats.frames_sent += 1;
        self.out.push_back(ToSwarm::NotifyHandler {
            peer_id: peer,
            handler: NotifyHandler::One(conn),
            event: FromBehaviour::Send {
                channel: Channel::Probe,
                payload,
            },
        });
    }

    /// One attack, sent to every connected member: a Dead and a Suspect
    /// claim signed by the rogue about live members, a Dead claim forged in
    /// another member's name, an inflated incarnation forged for a live
    /// member, resurrections (replayed first Alive claim and a forged
    /// higher one) of every member not alive in the rogue's view, and a
    /// replay of an overheard claim.
    pub fn attack(&mut self) {
        let view = self.view();
        let live: Vec<_> = view
            .iter()
            .filter(|m| m.2 == MemberState::Alive)
            .cloned()
            .collect();
        let mut attack = Attack::default();
        if !live.is_empty() {
            let pick = |rng: &mut DetRng| live[rng.index(live.len())].clone();
            let victim = pick(&mut self.rng);
            attack.dead.push((victim.0, victim.1));
            let suspect = pick(&mut self.rng);
            attack.suspect.push((suspect.0, suspect.1));
            let (framed, other) = (pick(&mut self.rng), pick(&mut self.rng));
            if framed.0 != other.0 {
                attack.framed.push((framed.0, other.0, other.1));
            }
            let inflated = pick(&mut self.rng);
            attack.fake_alive.push(FakeAlive {
                id: inflated.0,
                incarnation: inflated.1 + INFLATE,
                name: inflated.3.clone(),
            });
        }
        for (id, inc, state, name) in &view {
            if matches!(state, MemberState::Suspect | MemberState::Dead) {
                if let Some(old) = self.first_alive.get(id) {
                    attack.replay.push(old.clone());
                }
                attack.fake_alive.push(FakeAlive {
                    id: *id,
                    incarnation: inc + 1,
                    name: name.clone(),
                });
            }
        }
        if !self.stash.is_empty() {
            let i = self.rng.index(self.stash.len());
            attack.replay.push(self.stash[i].clone());
        }
        let entries = attack.entries(&self.me, &self.auth, &self.cluster);
        if entries.is_empty() {
            return;
        }
        let Some(payload) = gossip_packet::<PeerId>(&entries) else {
            return;
        };
        self.stats.attacks += 1;
        let peers: Vec<PeerId> = self.conns.keys().copied().collect();
        for p in peers {
            self.stats.forged_claims += entries.len() as u64;
            self.send(p, payload.clone());
        }
    }

    /// `frames` copies of a packet of replayed claims to one connected
    /// member, above its per-peer frame rate.
    pub fn flood(&mut self, frames: usize) {
        let peers: Vec<PeerId> = self.conns.keys().copied().collect();
        if peers.is_empty() || self.stash.is_empty() {
            return;
        }
        let to = peers[self.rng.index(peers.len())];
        let n = self.stash.len().min(8);
        let entries: Vec<Vec<u8>> = self.stash[..n].iter().map(|c| c.to_vec()).collect();
        let Some(payload) = gossip_packet::<PeerId>(&entries) else {
            return;
        };
        for _ in 0..frames {
            self.stats.flood_frames += 1;
            self.send(to, payload.clone());
        }
    }

    /// A probe-channel frame from `peer`: its claims are stashed for
    /// replay (and each member's first Alive claim kept), and a ping-req is
    /// answered at once with a forged ack, whatever its target (no proof, a
    /// junk one, or the target's overheard proof of an earlier check).
    fn overhear(&mut self, peer: PeerId, payload: &[u8]) {
        let Ok(p): Result<Packet<PeerId>, _> = wire::decode(payload, 1 << 16) else {
            return;
        };
        for g in p.gossip {
            let raw: Arc<[u8]> = Arc::from(g.into_vec());
            if let Ok((body, _)) = wire::decode_signed(&raw) {
                if let Ok(Update::Alive { id, .. }) = wire::decode_body::<PeerId>(&body) {
                    if id != self.me && self.first_alive.len() < STASH {
                        self.first_alive.entry(id).or_insert_with(|| raw.clone());
                    }
                }
            }
            if self.stash.len() < STASH {
                self.stash.push(raw);
            } else {
                let i = self.rng.index(STASH);
                self.stash[i] = raw;
            }
        }
        if let Kind::Ack { proof, .. } = &p.kind {
            if !proof.is_empty() && self.proofs.len() < STASH {
                self.proofs.insert(peer, proof.to_vec());
            }
        }
        if let Kind::PingReq { seq, target, .. } = p.kind {
            let overheard = self.proofs.get(&target).map(Vec::as_slice);
            let proof = ack_proof(self.stats.forged_acks, overheard);
            if let Some(ack) = forged_ack::<PeerId>(seq, &proof) {
                self.stats.forged_acks += 1;
                self.send(peer, ack);
            }
        }
    }
}

impl NetworkBehaviour for Rogue {
    type ConnectionHandler = <Behaviour as NetworkBehaviour>::ConnectionHandler;
    type ToSwarm = lifebuoy::Event;

    fn handle_pending_inbound_connection(
        &mut self,
        id: ConnectionId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.inner
            .handle_pending_inbound_connection(id, local, remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.inner
            .handle_established_inbound_connection(id, peer, local, remote)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: Option<PeerId>,
        addrs: &[Multiaddr],
        role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        self.inner
            .handle_pending_outbound_connection(id, peer, addrs, role)
    }

    fn handle_established_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        role: Endpoint,
        port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.inner
            .handle_established_outbound_connection(id, peer, addr, role, port_use)
    }

    fn on_swarm_event(&mut self, event: FromSwarm<'_>) {
        match &event {
            FromSwarm::ConnectionEstablished(e) => {
                self.conns.insert(e.peer_id, e.connection_id);
            }
            FromSwarm::ConnectionClosed(e)
                if self.conns.get(&e.peer_id) == Some(&e.connection_id) =>
            {
                self.conns.remove(&e.peer_id);
            }
            _ => {}
        }
        self.inner.on_swarm_event(event);
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        conn: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        if let ToBehaviour::Received {
            channel: Channel::Probe,
            payload,
        } = &event
        {
            self.overhear(peer, payload);
        }
        self.inner.on_connection_handler_event(peer, conn, event);
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        if let Some(a) = self.out.pop_front() {
            return Poll::Ready(a);
        }
        self.inner.poll(cx)
    }
}
