//! Configuration of the [`crate::Behaviour`].

use std::collections::HashSet;
use std::time::Duration;

use libp2p::PeerId;
use lifebuoy_core::Metadata;

/// How a [`crate::Behaviour`] runs: the protocol tunables (a
/// [`lifebuoy_core::Config`] preset) plus what this node claims about itself
/// and the driver's own bounds.
#[derive(Debug, Clone)]
pub struct Config {
    /// Protocol tunables. Start from [`lifebuoy_core::Config::lan`],
    /// [`lifebuoy_core::Config::wan`] or [`lifebuoy_core::Config::local`].
    pub protocol: lifebuoy_core::Config,
    /// This node's human-readable name (not required to be unique).
    pub name: String,
    /// Metadata published with this node's membership.
    pub metadata: Metadata,
    /// Most connections the behaviour keeps; above it the least recently
    /// used one is closed. SWIM's round-robin probes every member, so a cap
    /// below the cluster size makes a node close connections it will need
    /// again and pay a new handshake (a few KB and about 5 ms of CPU) each
    /// time: at 256 members a cap of 64 kept every node handshaking for good.
    /// Each member with a connection costs about 56 KB of heap at N = 32-64
    /// (docs/performance.md).
    /// Default 512.
    pub max_connections: usize,
    /// Connections this node opens to members before a probe needs them:
    /// after joining, while its Lifeguard health score is 0, no gossip is
    /// queued and handshakes take under 50 ms, it dials one live member
    /// with no connection at a time until this many connections are open
    /// (counting all of them, and never above `max_connections`). SWIM's
    /// round-robin reaches every member within `n` probe periods and
    /// connections stay open for the idle timeout, so the handshakes
    /// happen anyway; dialing ahead moves them to right after the join,
    /// when no probe waits for them. A cluster up to this size is meshed
    /// at once; in a larger one each joiner's burst of handshakes stays
    /// bounded (at 512, 256 processes started 1 s apart on 2 cores
    /// saturated the machine), and the rest of the connections come with
    /// the core's paced first contacts (`first_contact_members`). 0 turns
    /// it off. Default 64.
    pub connect_ahead: usize,
    /// Messages held per peer while it is being dialed. Default 16.
    pub max_pending_per_peer: usize,
    /// Most of this node's own addresses gossiped to others. Default 8.
    pub max_advertised_addrs: usize,
    /// Seed of the core's random choices; `None` picks one at random.
    pub rng_seed: Option<u64>,
    /// How long a dial may stay pending before messages for that peer
    /// trigger a new one. Default 10 s.
    pub dial_timeout: Duration,
    /// Frames accepted per second from one peer (a token bucket per peer);
    /// above it frames are dropped before decoding and counted in
    /// [`crate::DriverStats::rate_limited`]. 0 turns limiting off. Default
    /// 200, far above what SWIM sends one peer (a few per second).
    pub max_frames_per_peer_per_sec: u32,
    /// The bucket's size: frames one peer may send at once. Default 400.
    pub frame_burst: u32,
    /// When set, only these peers may connect or be admitted to the member
    /// table: other connections are denied (counted in
    /// [`crate::DriverStats::connections_denied`]) and claims about other
    /// members are dropped (the core's `not_admitted`). Default `None`: anyone.
    pub allowed_peers: Option<HashSet<PeerId>>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new(lifebuoy_core::Config::lan())
    }
}

impl Config {
    /// A configuration around the protocol preset `protocol`.
    pub fn new(protocol: lifebuoy_core::Config) -> Self {
        Config {
            protocol,
            name: String::new(),
            metadata: Metadata::new(),
            max_connections: 512,
            connect_ahead: 64,
            max_pending_per_peer: 16,
            max_advertised_addrs: 8,
            rng_seed: None,
            dial_timeout: Duration::from_secs(10),
            max_frames_per_peer_per_sec: 200,
            frame_burst: 400,
            allowed_peers: None,
        }
    }

    /// Sets the node name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets one metadata entry.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Admits only these peers (see [`Config::allowed_peers`]).
    pub fn with_allowed_peers(mut self, peers: impl IntoIterator<Item = PeerId>) -> Self {
        self.allowed_peers = Some(peers.into_iter().collect());
        self
    }

    /// Sets the connection cap.
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }
}

/// A random seed without a dependency on `rand`: std's hasher keys are random per process.
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}
