//! NAT traversal for [`crate::Node`]: the libp2p behaviours composed around
//! the membership [`Behaviour`], and the small state machine that drives them.
//!
//! - identify tells each side what the other observed and which protocols it
//!   serves; peers serving Circuit Relay v2 (`--relay` nodes) become relay
//!   candidates and AutoNAT servers.
//! - AutoNAT (v1) asks those relay nodes to dial back: if they cannot, this
//!   node is private.
//! - A private node reserves a slot on up to [`MAX_RELAYS`] relays by
//!   listening on `<relay>/p2p/<relay id>/p2p-circuit`. The swarm reports it
//!   as a listen address, so the membership behaviour gossips it in this
//!   node's Alive claim and others can dial (and probe) it through the relay.
//! - DCUtR then tries to replace each relayed connection with a direct one
//!   by hole punching; when that fails the relayed connection carries on.
//!
//! `lifebuoy::Behaviour` itself knows nothing of this: users embedding it in
//! their own swarm compose these behaviours themselves (or not).

use std::collections::HashMap;
use std::time::Duration;

use libp2p::core::transport::ListenerId;
use libp2p::core::ConnectedPoint;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{ConnectionId, NetworkBehaviour, SwarmEvent};
use libp2p::{autonat, dcutr, identify, relay, Multiaddr, PeerId, Swarm};

use crate::boxed::Boxed;
use crate::Behaviour;

/// Most relays a node behind NAT keeps a reservation on.
pub const MAX_RELAYS: usize = 2;
/// How often a private node retries reservations that were lost.
pub(crate) const RESERVE_RETRY: Duration = Duration::from_secs(10);
/// The identify protocol version lifebuoy nodes announce.
const IDENTIFY_VERSION: &str = "/lifebuoy/1.0.0";

/// How a [`crate::Node`] deals with NAT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NatOptions {
    /// identify + AutoNAT + relay client + DCUtR.
    pub(crate) traversal: bool,
    /// Serve Circuit Relay v2 (and answer AutoNAT as a known server).
    pub(crate) relay_server: bool,
}

/// The swarm behaviour of a [`crate::Node`]: membership plus NAT traversal.
#[derive(NetworkBehaviour)]
pub(crate) struct NodeBehaviour {
    // Boxed: a connection task holds a pointer to each handler, and each NAT
    // handler is allocated only when its behaviour is on (crate::boxed).
    pub(crate) membership: Boxed<Behaviour>,
    pub(crate) identify: Toggle<Boxed<identify::Behaviour>>,
    pub(crate) autonat: Toggle<Boxed<autonat::Behaviour>>,
    pub(crate) relay_client: Toggle<Boxed<relay::client::Behaviour>>,
    pub(crate) relay: Toggle<Boxed<relay::Behaviour>>,
    pub(crate) dcutr: Toggle<Boxed<dcutr::Behaviour>>,
}

impl NodeBehaviour {
    pub(crate) fn new(
        membership: Behaviour,
        kp: &Keypair,
        opts: &NatOptions,
        relay_client: Option<relay::client::Behaviour>,
    ) -> Self {
        let peer_id = kp.public().to_peer_id();
        let any = opts.traversal || opts.relay_server;
        let identify = any.then(|| {
            identify::Behaviour::new(
                identify::Config::new(IDENTIFY_VERSION.into(), kp.public())
                    .with_agent_version(format!("lifebuoy/{}", env!("CARGO_PKG_VERSION"))),
            )
        });
        let autonat = any.then(|| autonat::Behaviour::new(peer_id, autonat_config()));
        let relay = opts
            .relay_server
            .then(|| relay::Behaviour::new(peer_id, relay_config()));
        let dcutr = opts.traversal.then(|| dcutr::Behaviour::new(peer_id));
        NodeBehaviour {
            membership: Boxed(membership),
            identify: identify.map(Boxed).into(),
            autonat: autonat.map(Boxed).into(),
            relay_client: relay_client.map(Boxed).into(),
            relay: relay.map(Boxed).into(),
            dcutr: dcutr.map(Boxed).into(),
        }
    }
}

/// AutoNAT tuned for a membership cluster: only relay nodes (which are
/// public by definition) are asked, because a LAN neighbour would dial back
/// successfully and wrongly call a NATed node public; probes start early and
/// retry quickly while the answer is unknown.
fn autonat_config() -> autonat::Config {
    autonat::Config {
        timeout: Duration::from_secs(15),
        boot_delay: Duration::from_secs(2),
        retry_interval: Duration::from_secs(10),
        refresh_interval: Duration::from_secs(300),
        throttle_server_period: Duration::from_secs(5),
        use_connected: false,
        confidence_max: 3,
        // Private address ranges are fine: AutoNAT answers whether *this*
        // peer can dial back, and the test internet (like many data
        // centres) uses 10/8 for its public segment.
        only_global_ips: false,
        ..autonat::Config::default()
    }
}

/// Circuits carry membership traffic for as long as two NATed members know
/// each other, so they get long lifetimes and generous byte limits (a probe
/// round trip is well under 1 KB).
fn relay_config() -> relay::Config {
    relay::Config {
        max_circuit_duration: Duration::from_secs(3600),
        max_circuit_bytes: 64 << 20,
        max_circuits: 1024,
        max_circuits_per_peer: 64,
        ..relay::Config::default()
    }
}

/// What this node knows of its own reachability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reachability {
    /// NAT traversal is off.
    #[default]
    Off,
    /// Not determined yet.
    Unknown,
    /// A relay node dialed this node back.
    Public,
    /// Relay nodes could not dial back: reachable through relays only.
    Private,
}

impl Reachability {
    /// `off`, `unknown`, `public` or `private`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reachability::Off => "off",
            Reachability::Unknown => "unknown",
            Reachability::Public => "public",
            Reachability::Private => "private",
        }
    }
}

/// NAT traversal counters and state of a [`crate::Node`].
#[derive(Debug, Clone, Default)]
pub struct NatStats {
    /// What AutoNAT concluded.
    pub reachability: Reachability,
    /// Relays holding a reservation for this node now.
    pub relays: Vec<PeerId>,
    /// Connections established through a relay.
    pub relayed_connections: u64,
    /// Relayed connections upgraded to direct ones by hole punching.
    pub hole_punches: u64,
    /// Hole punches that failed (the relayed connection stays).
    pub hole_punch_failures: u64,
}

/// Drives reservations from identify and AutoNAT events.
#[derive(Debug)]
pub(crate) struct NatDriver {
    opts: NatOptions,
    /// The address each outbound direct connection was dialed at.
    dialed: HashMap<ConnectionId, Multiaddr>,
    /// Relay nodes seen, with an address to reach them.
    relays: Vec<(PeerId, Multiaddr)>,
    /// Relay listeners: listener id -> relay.
    listeners: HashMap<ListenerId, PeerId>,
    stats: NatStats,
}

fn is_relayed(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| p == Protocol::P2pCircuit)
}

fn is_loopback_or_unspecified(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_loopback() || ip.is_unspecified(),
        Protocol::Ip6(ip) => ip.is_loopback() || ip.is_unspecified(),
        _ => false,
    })
}

fn without_p2p(addr: &Multiaddr) -> Multiaddr {
    addr.iter()
        .filter(|p| !matches!(p, Protocol::P2p(_)))
        .collect()
}

impl NatDriver {
    pub(crate) fn new(opts: NatOptions) -> Self {
        let reachability = if opts.traversal {
            Reachability::Unknown
        } else {
            Reachability::Off
        };
        NatDriver {
            opts,
            dialed: HashMap::new(),
            relays: Vec::new(),
            listeners: HashMap::new(),
            stats: NatStats {
                reachability,
                ..NatStats::default()
            },
        }
    }

    pub(crate) fn stats(&self) -> NatStats {
        let mut s = self.stats.clone();
        s.relays = self.listeners.values().copied().collect();
        s.relays.sort();
        s
    }

    /// Sees every swarm event (after the membership view did).
    pub(crate) fn on_event(
        &mut self,
        swarm: &mut Swarm<NodeBehaviour>,
        event: &SwarmEvent<NodeBehaviourEvent>,
    ) {
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => {
                if endpoint.is_relayed() {
                    self.stats.relayed_connections += 1;
                    tracing::info!(peer = %peer_id, "relayed connection established");
                } else if let ConnectedPoint::Dialer { address, .. } = endpoint {
                    self.dialed.insert(*connection_id, without_p2p(address));
                }
            }
            SwarmEvent::ConnectionClosed { connection_id, .. } => {
                self.dialed.remove(connection_id);
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                if is_relayed(address) {
                    tracing::info!(%address, "reachable through a relay");
                } else if self.opts.relay_server && !is_loopback_or_unspecified(address) {
                    // A relay node must be public: its own addresses are its
                    // external ones (the relay protocol is only offered once
                    // the node has a confirmed external address).
                    swarm.add_external_address(address.clone());
                }
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                reason,
                ..
            } => {
                if let Some(relay) = self.listeners.remove(listener_id) {
                    tracing::info!(%relay, ?reason, "relay reservation ended");
                }
            }
            SwarmEvent::Behaviour(NodeBehaviourEvent::Identify(identify::Event::Received {
                connection_id,
                peer_id,
                info,
                ..
            })) => self.on_identify(swarm, *connection_id, *peer_id, info),
            SwarmEvent::Behaviour(NodeBehaviourEvent::Autonat(autonat::Event::StatusChanged {
                old,
                new,
            })) => {
                tracing::info!(?old, ?new, "reachability changed (AutoNAT)");
                self.stats.reachability = match new {
                    autonat::NatStatus::Public(_) => Reachability::Public,
                    autonat::NatStatus::Private => Reachability::Private,
                    autonat::NatStatus::Unknown => Reachability::Unknown,
                };
                match new {
                    autonat::NatStatus::Private => self.reserve(swarm),
                    autonat::NatStatus::Public(_) => self.release(swarm),
                    autonat::NatStatus::Unknown => {}
                }
            }
            SwarmEvent::Behaviour(NodeBehaviourEvent::RelayClient(
                relay::client::Event::ReservationReqAccepted {
                    relay_peer_id,
                    renewal: false,
                    ..
                },
            )) => {
                tracing::info!(relay = %relay_peer_id, "relay slot reserved");
            }
            SwarmEvent::Behaviour(NodeBehaviourEvent::Dcutr(dcutr::Event {
                remote_peer_id,
                result,
            })) => match result {
                Ok(_) => {
                    self.stats.hole_punches += 1;
                    tracing::info!(peer = %remote_peer_id, "hole punch succeeded: direct connection");
                }
                Err(e) => {
                    self.stats.hole_punch_failures += 1;
                    tracing::info!(peer = %remote_peer_id, error = %e, "hole punch failed: staying relayed");
                }
            },
            _ => {}
        }
    }

    fn on_identify(
        &mut self,
        swarm: &mut Swarm<NodeBehaviour>,
        conn: ConnectionId,
        peer: PeerId,
        info: &identify::Info,
    ) {
        if !self.opts.traversal || !info.protocols.contains(&relay::HOP_PROTOCOL_NAME) {
            return;
        }
        // Prefer the address we reached the relay at; else one it listens on.
        let addr = self.dialed.get(&conn).cloned().or_else(|| {
            info.listen_addrs
                .iter()
                .find(|a| !is_relayed(a) && !is_loopback_or_unspecified(a))
                .map(without_p2p)
        });
        let Some(addr) = addr else { return };
        if let Some(known) = self.relays.iter_mut().find(|(p, _)| *p == peer) {
            known.1 = addr;
            return;
        }
        tracing::info!(relay = %peer, %addr, "found a relay node");
        if let Some(a) = swarm.behaviour_mut().autonat.as_mut() {
            a.add_server(peer, Some(addr.clone()));
        }
        self.relays.push((peer, addr));
        if self.stats.reachability == Reachability::Private {
            self.reserve(swarm);
        }
    }

    /// Listens through relays until [`MAX_RELAYS`] hold a reservation.
    pub(crate) fn reserve(&mut self, swarm: &mut Swarm<NodeBehaviour>) {
        if self.opts.relay_server || self.stats.reachability != Reachability::Private {
            return;
        }
        for (peer, addr) in self.relays.clone() {
            if self.listeners.len() >= MAX_RELAYS {
                break;
            }
            if self.listeners.values().any(|p| *p == peer) {
                continue;
            }
            let circuit = addr.with(Protocol::P2p(peer)).with(Protocol::P2pCircuit);
            match swarm.listen_on(circuit.clone()) {
                Ok(id) => {
                    tracing::info!(relay = %peer, addr = %circuit, "reserving a relay slot");
                    self.listeners.insert(id, peer);
                }
                Err(e) => {
                    tracing::warn!(addr = %circuit, error = %e, "cannot listen through relay")
                }
            }
        }
    }

    fn release(&mut self, swarm: &mut Swarm<NodeBehaviour>) {
        for (id, relay) in self.listeners.drain() {
            tracing::info!(%relay, "publicly reachable: dropping relay reservation");
            swarm.remove_listener(id);
        }
    }
}
