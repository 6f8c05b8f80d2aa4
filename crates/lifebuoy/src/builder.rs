//! [`NodeBuilder`]: a node in a few lines.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::pnet::PreSharedKey;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, Swarm};

use crate::error::Error;
use crate::identity::load_or_create_identity;
use crate::nat::{NatDriver, NatOptions, NodeBehaviour};
use crate::node::{Node, Shared};
use crate::subscription::new_view;
use crate::transport::{self, TransportKind};
use crate::{Behaviour, Config, DEFAULT_LEAVE_TIMEOUT};

/// How long a connection this node has not sent anything on stays open.
///
/// SWIM probes a different member every period, so at N = 32 a given pair
/// talks only every 16 s or so on average, and at N = 256 (0.8 s probes,
/// every other one to the ring successor) only every 200 s, some pairs
/// 400 s apart. Closing connections after a few seconds made almost every
/// probe pay a fresh QUIC handshake (several KB of certificates); keeping
/// them for 15 minutes makes a probe cost one small packet each way up to a
/// few hundred members. [`crate::Config::max_connections`] still caps how
/// many are open, least recently used first out.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(900);

/// Builds and starts a [`Node`].
///
/// ```no_run
/// # async fn run() -> Result<(), lifebuoy::Error> {
/// let node = lifebuoy::Node::builder()
///     .identity_file("/var/lib/myapp/node.key")
///     .name("web-1")
///     .metadata("role", "web")
///     .bootstrap("/dns4/seed.example.com/udp/7946/quic-v1".parse().expect("multiaddr"))
///     .start()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct NodeBuilder {
    keypair: Option<Keypair>,
    identity_file: Option<PathBuf>,
    listen: Vec<Multiaddr>,
    bootstrap: Vec<Multiaddr>,
    config: Config,
    transport: TransportKind,
    idle_timeout: Duration,
    subscriber_capacity: usize,
    leave_timeout: Duration,
    incarnation: u64,
    nat: Option<bool>,
    relay_server: bool,
    external: Vec<Multiaddr>,
    hook: Option<crate::node::EventHook>,
    psk: Option<PreSharedKey>,
}

impl Default for NodeBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeBuilder {
    /// Defaults: a fresh random identity, the LAN profile, QUIC and TCP on
    /// every interface at random ports, no bootstrap (a new cluster).
    pub fn new() -> Self {
        NodeBuilder {
            keypair: None,
            identity_file: None,
            listen: Vec::new(),
            bootstrap: Vec::new(),
            config: Config::default(),
            transport: TransportKind::Network,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            subscriber_capacity: 256,
            leave_timeout: DEFAULT_LEAVE_TIMEOUT,
            incarnation: 0,
            nat: None,
            relay_server: false,
            external: Vec::new(),
            hook: None,
            psk: None,
        }
    }

    /// Uses this keypair as the node identity.
    pub fn keypair(mut self, keypair: Keypair) -> Self {
        self.keypair = Some(keypair);
        self
    }

    /// Loads the identity from `path`, creating it (mode 0600) if absent, so
    /// the `PeerId` is stable across restarts.
    pub fn identity_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.identity_file = Some(path.into());
        self
    }

    /// Listens on `addr` (repeatable). Default: `/ip4/0.0.0.0/udp/0/quic-v1`
    /// and `/ip4/0.0.0.0/tcp/0`, or `/memory/0` on the memory transport.
    pub fn listen_on(mut self, addr: Multiaddr) -> Self {
        self.listen.push(addr);
        self
    }

    /// Joins the cluster through `addr` (repeatable; `/dns4/...` works).
    pub fn bootstrap(mut self, addr: Multiaddr) -> Self {
        self.bootstrap.push(addr);
        self
    }

    /// The node's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.config.name = name.into();
        self
    }

    /// One metadata entry (repeatable).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.metadata.insert(key.into(), value.into());
        self
    }

    /// Protocol profile: [`lifebuoy_core::Config::lan`] (default), `wan()`, `local()` or a custom one.
    pub fn profile(mut self, protocol: lifebuoy_core::Config) -> Self {
        self.config.protocol = protocol;
        self
    }

    /// The whole behaviour configuration (replaces name, metadata and profile).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Admits only these peers: other connections are denied and claims
    /// about other members are dropped (see [`Config::allowed_peers`]).
    pub fn allowed_peers(mut self, peers: impl IntoIterator<Item = libp2p::PeerId>) -> Self {
        self.config.allowed_peers = Some(peers.into_iter().collect());
        self
    }

    /// Most connections kept open (default 64).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n.max(1);
        self
    }

    /// Connections this node has not sent on for this long are closed
    /// (default [`DEFAULT_IDLE_TIMEOUT`], 15 minutes).
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = d;
        self
    }

    /// Changes a subscriber may fall behind before it gets a `Lagged`
    /// marker and a fresh snapshot (default 256). The node keeps this many
    /// recent changes in memory whether or not anyone subscribes.
    pub fn subscriber_capacity(mut self, n: usize) -> Self {
        self.subscriber_capacity = n.max(1);
        self
    }

    /// Longest [`Node::leave`] waits for the Left claim to spread (default 5 s).
    pub fn leave_timeout(mut self, d: Duration) -> Self {
        self.leave_timeout = d;
        self
    }

    /// The incarnation to start at (e.g. saved from a previous run).
    pub fn incarnation(mut self, incarnation: u64) -> Self {
        self.incarnation = incarnation;
        self
    }

    /// NAT traversal (default on for the network transport, off for the
    /// memory one): identify, AutoNAT against relay nodes, a relay slot on
    /// up to [`crate::MAX_RELAYS`] relays when this node turns out to be
    /// private (its `/p2p-circuit` address is then gossiped with its other
    /// addresses), and DCUtR hole punching to turn relayed connections into
    /// direct ones. See `docs/testnet.md`.
    pub fn nat_traversal(mut self, on: bool) -> Self {
        self.nat = Some(on);
        self
    }

    /// Serves Circuit Relay v2 for NATed members (and answers their AutoNAT
    /// probes). A relay node must be publicly reachable: its listen
    /// addresses (other than loopback and unspecified ones) are taken as its
    /// external addresses, along with any given to
    /// [`NodeBuilder::external_address`].
    pub fn relay_server(mut self, on: bool) -> Self {
        self.relay_server = on;
        self
    }

    /// An address others reach this node at (e.g. a port forwarded by a
    /// router or a container runtime); confirmed as external and gossiped
    /// first. Repeatable.
    pub fn external_address(mut self, addr: Multiaddr) -> Self {
        self.external.push(addr);
        self
    }

    /// Records libp2p's own swarm metrics (connections, dials, errors,
    /// bandwidth per protocol...) into `registry`, under the `libp2p` prefix.
    #[cfg(feature = "metrics")]
    pub fn libp2p_metrics(mut self, registry: &mut prometheus_client::registry::Registry) -> Self {
        use libp2p::metrics::Recorder;
        let metrics = libp2p::metrics::Metrics::new(registry);
        self.hook = Some(crate::node::EventHook(Box::new(move |event| {
            metrics.record(event)
        })));
        self
    }

    /// Puts the node on a libp2p private network (pnet): every connection
    /// starts with a handshake that only peers holding the same key complete,
    /// before Noise. pnet wraps TCP (and the memory transport) only, so QUIC
    /// is off: [`NodeBuilder::start`] refuses QUIC listen or bootstrap
    /// addresses, and the default listen address is TCP only.
    pub fn pre_shared_key(mut self, psk: PreSharedKey) -> Self {
        self.psk = Some(psk);
        self
    }

    /// Uses the in-process memory transport (tests, simulations).
    pub fn memory_transport(mut self) -> Self {
        self.transport = TransportKind::Memory;
        self
    }

    /// Starts the node: listens, waits until every listener has an address
    /// (so [`Node::listen_addrs`] is filled), joins the bootstrap nodes and
    /// runs on a tokio task. Must be called inside a tokio runtime.
    pub async fn start(self) -> Result<Node, Error> {
        let keypair = match (self.keypair, &self.identity_file) {
            (Some(kp), _) => kp,
            (None, Some(path)) => load_or_create_identity(path)?,
            (None, None) => Keypair::generate_ed25519(),
        };
        let peer_id = keypair.public().to_peer_id();
        if self.psk.is_some() {
            check_no_quic(&self.listen, "listen")?;
            check_no_quic(&self.bootstrap, "bootstrap")?;
        }
        let opts = NatOptions {
            traversal: self.nat.unwrap_or(self.transport == TransportKind::Network),
            relay_server: self.relay_server,
        };
        let (relay_transport, relay_client) = if opts.traversal {
            let (t, b) = libp2p::relay::client::new(peer_id);
            (Some(t), Some(b))
        } else {
            (None, None)
        };
        let transport = transport::build(
            &keypair,
            self.transport,
            self.idle_timeout,
            relay_transport,
            self.psk,
        )?;
        let mut membership = Behaviour::with_incarnation(&keypair, self.config, self.incarnation)?;
        // A node runs on tokio (its loop uses tokio's timers too).
        membership.use_tokio_timer();
        let behaviour = NodeBehaviour::new(membership, &keypair, &opts, relay_client);
        let swarm_cfg = libp2p::swarm::Config::with_tokio_executor()
            .with_idle_connection_timeout(self.idle_timeout);
        let mut swarm = Swarm::new(transport, behaviour, peer_id, swarm_cfg);
        let mut nat = NatDriver::new(opts);
        for a in self.external {
            swarm.add_external_address(a);
        }

        let listen = if self.listen.is_empty() {
            default_listen(self.transport, self.psk.is_some())
        } else {
            self.listen
        };
        let mut waiting = Vec::new();
        for addr in listen {
            let id = swarm.listen_on(addr.clone()).map_err(|e| Error::Listen {
                addr: addr.clone(),
                reason: e.to_string(),
            })?;
            waiting.push((id, addr));
        }
        let shared = Arc::new(Mutex::new(Shared::default()));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !waiting.is_empty() {
            let Ok(event) = tokio::time::timeout_at(deadline, swarm.select_next_some()).await
            else {
                break;
            };
            nat.on_event(&mut swarm, &event);
            match event {
                SwarmEvent::NewListenAddr {
                    listener_id,
                    address,
                } => {
                    waiting.retain(|(id, _)| *id != listener_id);
                    if let Ok(mut s) = shared.lock() {
                        s.listen_addrs.push(address);
                    }
                }
                SwarmEvent::ListenerClosed {
                    listener_id,
                    reason,
                    ..
                } => {
                    if let Some((_, addr)) = waiting.iter().find(|(id, _)| *id == listener_id) {
                        let reason = reason
                            .err()
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| "closed".into());
                        return Err(Error::Listen {
                            addr: addr.clone(),
                            reason,
                        });
                    }
                }
                _ => {}
            }
        }
        if !self.bootstrap.is_empty() {
            swarm.behaviour_mut().membership.join(self.bootstrap);
        }
        let view = new_view(self.subscriber_capacity);
        tracing::info!(%peer_id, "lifebuoy node started");
        Ok(Node::spawn(
            swarm,
            view,
            shared,
            self.leave_timeout,
            self.hook,
            nat,
        ))
    }
}

/// A private network (pnet) cannot use QUIC: name the first QUIC address.
fn check_no_quic(addrs: &[Multiaddr], field: &'static str) -> Result<(), Error> {
    match addrs.iter().find(|a| transport::is_quic(a)) {
        Some(a) => Err(Error::Config(lifebuoy_core::ConfigError {
            field,
            reason: format!(
                "{a} is a QUIC address, but a pre-shared key (private network) works on TCP only"
            ),
        })),
        None => Ok(()),
    }
}

#[allow(unused_variables)]
fn default_listen(kind: TransportKind, private: bool) -> Vec<Multiaddr> {
    let parse = |s: &str| s.parse::<Multiaddr>().ok();
    match kind {
        TransportKind::Memory => parse("/memory/0").into_iter().collect(),
        TransportKind::Network => {
            let mut v = Vec::new();
            #[cfg(feature = "quic")]
            if !private {
                v.extend(parse("/ip4/0.0.0.0/udp/0/quic-v1"));
            }
            #[cfg(feature = "tcp")]
            v.extend(parse("/ip4/0.0.0.0/tcp/0"));
            v
        }
    }
}
