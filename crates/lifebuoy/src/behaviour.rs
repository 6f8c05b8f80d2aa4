//! [`Behaviour`]: drives a [`lifebuoy_core::Core`] from a libp2p [`Swarm`](libp2p::Swarm).
//!
//! It reads the clock, arms one timer from the core's `poll_timeout`, turns
//! the core's transmits into messages on connections (dialing members at
//! their gossiped addresses, and seeds by address), and feeds frames from
//! the connections back to the core. Lost messages, failed dials, resets and
//! peers without the protocol are not errors: the message is dropped and
//! the core's probe timers do the rest.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use libp2p::core::transport::PortUse;
use libp2p::core::Endpoint;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{
    CloseConnection, ConnectionDenied, ConnectionId, DialError, FromSwarm, NetworkBehaviour,
    NotifyHandler, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId};
use lifebuoy_core::{
    Addr, Channel, CommandError, ConfigError, Core, Destination, Member, MemberInfo, MemberState,
    Metadata, WireError,
};

use crate::ahead::{Ahead, Outcome};
use crate::auth::PeerAuth;
use crate::config::{random_seed, Config};
use crate::handler::{DropReason, FromBehaviour, Handler, ToBehaviour};
use crate::ratelimit::PeerLimiter;
use crate::stats::DriverStats;
use crate::wake::{TimerKind, Wake};

/// A membership change, as reported by the core.
pub type Event = lifebuoy_core::Event<PeerId>;

/// Most seed dials in flight at once.
const MAX_SEED_DIALS: usize = 64;
/// Most peers with messages waiting for a dial.
const MAX_DIALING_PEERS: usize = 256;
/// Least time between two warnings about messages from another cluster.
const WRONG_CLUSTER_LOG_EVERY: Duration = Duration::from_secs(10);

/// Why a connection was denied: the peer is not on the allowlist.
#[derive(Debug, thiserror::Error)]
#[error("peer {0} is not on the allowlist")]
pub struct NotAllowed(pub PeerId);

#[derive(Debug)]
struct Conn {
    peer: PeerId,
    last_used: Instant,
}

#[derive(Debug)]
struct Dialing {
    since: Instant,
    queue: VecDeque<(Channel, Vec<u8>)>,
}

/// The lifebuoy [`NetworkBehaviour`]: SWIM + Lifeguard membership over
/// `/lifebuoy/swim/1.0.0` and `/lifebuoy/sync/1.0.0`.
#[derive(Debug)]
pub struct Behaviour {
    core: Core<PeerId>,
    cfg: Config,
    local_peer_id: PeerId,
    timer: Option<Wake>,
    timer_kind: TimerKind,
    timer_at: Option<Instant>,
    connections: HashMap<ConnectionId, Conn>,
    dialing: HashMap<PeerId, Dialing>,
    seed_dials: HashMap<ConnectionId, Vec<(Channel, Vec<u8>)>>,
    listen_addrs: Vec<Multiaddr>,
    external_addrs: Vec<Multiaddr>,
    advertised: Vec<Multiaddr>,
    addrs_dirty: bool,
    actions: VecDeque<ToSwarm<Event, FromBehaviour>>,
    waker: Option<Waker>,
    stats: DriverStats,
    limiter: PeerLimiter,
    wrong_cluster_logged: Option<Instant>,
    /// Our hello, and the cluster name a peer's hello must carry (for
    /// every connection's handler).
    hello: Arc<[u8]>,
    cluster: Arc<str>,
    /// Dialing members ahead of need (`Config::connect_ahead`).
    ahead: Ahead,
}

impl Behaviour {
    /// A behaviour for the node whose identity is `keypair`, alone until
    /// [`Behaviour::join`]. Its claims about itself and its accusations are
    /// signed with `keypair`, and other members' claims are checked against
    /// the public keys their `PeerId`s embed (see `docs/security.md`).
    pub fn new(keypair: &Keypair, config: Config) -> Result<Self, ConfigError> {
        Self::with_incarnation(keypair, config, 0)
    }

    /// Like [`Behaviour::new`], starting at `incarnation` (e.g. one saved
    /// before a restart; 0 is fine: the core raises it above whatever the
    /// cluster remembers).
    pub fn with_incarnation(
        keypair: &Keypair,
        config: Config,
        incarnation: u64,
    ) -> Result<Self, ConfigError> {
        let local_peer_id = keypair.public().to_peer_id();
        let info = MemberInfo {
            name: config.name.clone(),
            addrs: Vec::new(),
            meta: config.metadata.clone(),
        };
        let seed = config.rng_seed.unwrap_or_else(random_seed);
        let mut core = Core::new(
            config.protocol.clone(),
            local_peer_id,
            info,
            incarnation,
            seed,
            Instant::now(),
        )?
        .with_auth(Box::new(PeerAuth::new(keypair.clone())));
        core.set_allowlist(config.allowed_peers.clone());
        let hello = Arc::from(core.hello());
        let cluster = Arc::from(config.protocol.cluster.as_str());
        Ok(Behaviour {
            core,
            local_peer_id,
            timer: None,
            timer_kind: TimerKind::default(),
            timer_at: None,
            connections: HashMap::new(),
            dialing: HashMap::new(),
            seed_dials: HashMap::new(),
            listen_addrs: Vec::new(),
            external_addrs: Vec::new(),
            advertised: Vec::new(),
            addrs_dirty: false,
            actions: VecDeque::new(),
            waker: None,
            stats: DriverStats::default(),
            limiter: PeerLimiter::new(config.max_frames_per_peer_per_sec, config.frame_burst),
            wrong_cluster_logged: None,
            hello,
            cluster,
            ahead: Ahead::default(),
            cfg: config,
        })
    }

    // ----- commands -----------------------------------------------------------

    /// Joins the cluster through `seeds` (any dialable multiaddr, `/dns4/...`
    /// included, with or without a `/p2p/` suffix). Retried until one answers.
    pub fn join(&mut self, seeds: impl IntoIterator<Item = Multiaddr>) {
        let seeds: Vec<Addr> = seeds.into_iter().map(|m| Addr(m.to_vec())).collect();
        // The join carries our own claim: make sure it has our addresses, or
        // the cluster learns a member nobody can dial.
        if self.addrs_dirty {
            self.publish_addrs();
        }
        self.core.join(Instant::now(), seeds);
        self.wake();
    }

    /// Starts a graceful leave: a Left claim is gossiped. Keep polling the
    /// swarm until [`Behaviour::leave_broadcast_done`] (or a timeout).
    pub fn leave(&mut self) {
        self.core.leave(Instant::now());
        self.wake();
    }

    /// Whether the Left claim has been sent to enough members.
    pub fn leave_broadcast_done(&self) -> bool {
        self.core.leave_broadcast_done()
    }

    /// Publishes new metadata.
    pub fn set_metadata(&mut self, meta: Metadata) -> Result<(), CommandError> {
        let r = self.core.set_metadata(Instant::now(), meta);
        self.wake();
        r
    }

    /// Publishes a new name.
    pub fn set_name(&mut self, name: String) -> Result<(), CommandError> {
        let r = self.core.set_name(Instant::now(), name);
        self.wake();
        r
    }

    // ----- accessors ----------------------------------------------------------

    /// Every other member known, in any state.
    pub fn members(&self) -> impl Iterator<Item = &Member<PeerId>> {
        self.core.members()
    }

    /// This node's own entry.
    pub fn local_member(&self) -> &Member<PeerId> {
        self.core.local()
    }

    /// The protocol state machine, for its accessors and [`lifebuoy_core::Stats`].
    pub fn core(&self) -> &Core<PeerId> {
        &self.core
    }

    /// The driver's own counters (frames, bytes, dials, connections).
    pub fn stats(&self) -> &DriverStats {
        &self.stats
    }

    /// Connections currently open by this behaviour's count.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// The addresses this node currently gossips about itself.
    pub fn advertised_addrs(&self) -> &[Multiaddr] {
        &self.advertised
    }

    // ----- internals ----------------------------------------------------------

    fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    fn conn_to(&self, peer: &PeerId) -> Option<ConnectionId> {
        self.connections
            .iter()
            .filter(|(_, c)| c.peer == *peer)
            .max_by_key(|(_, c)| c.last_used)
            .map(|(id, _)| *id)
    }

    fn send_on(&mut self, conn: ConnectionId, peer: PeerId, channel: Channel, payload: Vec<u8>) {
        if let Some(c) = self.connections.get_mut(&conn) {
            c.last_used = Instant::now();
        }
        self.stats.frames_out += 1;
        self.stats.bytes_out += payload.len() as u64;
        self.actions.push_back(ToSwarm::NotifyHandler {
            peer_id: peer,
            handler: NotifyHandler::One(conn),
            event: FromBehaviour::Send { channel, payload },
        });
    }

    fn drain_core(&mut self) {
        while let Some(t) = self.core.poll_transmit() {
            self.route(t.to, t.channel, t.payload);
        }
        while let Some(e) = self.core.poll_event() {
            self.actions.push_back(ToSwarm::GenerateEvent(e));
        }
    }

    fn route(&mut self, to: Destination<PeerId>, channel: Channel, payload: Vec<u8>) {
        match to {
            Destination::Member { id, info } => {
                if id == self.local_peer_id {
                    return;
                }
                if let Some(conn) = self.conn_to(&id) {
                    self.send_on(conn, id, channel, payload);
                    return;
                }
                let now = Instant::now();
                let max_pending = self.cfg.max_pending_per_peer.max(1);
                let stale = self
                    .dialing
                    .get(&id)
                    .is_none_or(|d| now.saturating_duration_since(d.since) > self.cfg.dial_timeout);
                if stale {
                    if !self.dialing.contains_key(&id) && self.dialing.len() >= MAX_DIALING_PEERS {
                        self.stats.frames_dropped += 1;
                        return;
                    }
                    let mut addrs =
                        decode_addrs(info.as_deref().map(|i| i.addrs.as_slice()).unwrap_or(&[]));
                    if addrs.is_empty() {
                        if let Some(m) = self.core.member(&id) {
                            addrs = decode_addrs(&m.info.addrs);
                        }
                    }
                    let opts = DialOpts::peer_id(id)
                        .addresses(addrs)
                        .condition(PeerCondition::DisconnectedAndNotDialing)
                        .extend_addresses_through_behaviour()
                        .build();
                    self.stats.dials += 1;
                    self.actions.push_back(ToSwarm::Dial { opts });
                    let d = self.dialing.entry(id).or_insert_with(|| Dialing {
                        since: now,
                        queue: VecDeque::new(),
                    });
                    d.since = now;
                }
                if let Some(d) = self.dialing.get_mut(&id) {
                    if d.queue.len() >= max_pending {
                        d.queue.pop_front();
                        self.stats.frames_dropped += 1;
                    }
                    d.queue.push_back((channel, payload));
                }
            }
            Destination::Addr(addr) => {
                let Ok(ma) = Multiaddr::try_from(addr.0) else {
                    tracing::debug!("seed address is not a multiaddr; dropped");
                    self.stats.frames_dropped += 1;
                    return;
                };
                if let Some(peer) = peer_of(&ma) {
                    if let Some(conn) = self.conn_to(&peer) {
                        self.send_on(conn, peer, channel, payload);
                        return;
                    }
                }
                if self.seed_dials.len() >= MAX_SEED_DIALS {
                    self.stats.frames_dropped += 1;
                    return;
                }
                let opts = DialOpts::unknown_peer_id().address(ma).build();
                self.seed_dials
                    .insert(opts.connection_id(), vec![(channel, payload)]);
                self.stats.dials += 1;
                self.actions.push_back(ToSwarm::Dial { opts });
            }
        }
    }

    fn on_established(&mut self, peer: PeerId, conn: ConnectionId) {
        let now = Instant::now();
        match self.ahead.established(conn, now) {
            Some(Outcome::Slow) => self.stats.ahead_paused += 1,
            Some(_) => self.stats.connections_ahead += 1,
            None => {}
        }
        self.core.set_connected(peer, true);
        self.connections.insert(
            conn,
            Conn {
                peer,
                last_used: now,
            },
        );
        self.stats.connections_established += 1;
        if let Some(queued) = self.seed_dials.remove(&conn) {
            for (channel, payload) in queued {
                self.send_on(conn, peer, channel, payload);
            }
        }
        if let Some(d) = self.dialing.remove(&peer) {
            for (channel, payload) in d.queue {
                self.send_on(conn, peer, channel, payload);
            }
        }
        if self.connections.len() > self.cfg.max_connections {
            let lru = self
                .connections
                .iter()
                .filter(|(id, _)| **id != conn)
                .min_by_key(|(_, c)| c.last_used)
                .map(|(id, c)| (*id, c.peer));
            if let Some((id, p)) = lru {
                self.connections.remove(&id);
                self.stats.connections_evicted += 1;
                self.actions.push_back(ToSwarm::CloseConnection {
                    peer_id: p,
                    connection: CloseConnection::One(id),
                });
            }
        }
    }

    fn on_dial_failure(&mut self, peer: Option<PeerId>, conn: ConnectionId, error: &DialError) {
        self.stats.dial_failures += 1;
        if matches!(error, DialError::DialPeerConditionFalse(_)) {
            self.ahead.forget(conn);
        } else if self.ahead.failed(conn, Instant::now()).is_some() {
            self.stats.ahead_paused += 1;
        }
        if let Some(q) = self.seed_dials.remove(&conn) {
            tracing::debug!(error = %error, "could not reach a seed");
            self.stats.frames_dropped += q.len() as u64;
        }
        if matches!(error, DialError::DialPeerConditionFalse(_)) {
            return; // another dial is under way; its connection flushes the queue
        }
        if let Some(p) = peer {
            if let Some(d) = self.dialing.remove(&p) {
                tracing::debug!(peer = %p, error = %error, "could not reach a member; messages dropped");
                self.stats.frames_dropped += d.queue.len() as u64;
            }
        }
    }

    /// Dials one live member with no connection ahead of need, when the
    /// node is joined, healthy and has no gossip queued, and the last such
    /// handshake was fast (see `ahead.rs`).
    fn dial_ahead(&mut self) {
        let now = Instant::now();
        self.ahead.expire(now, self.cfg.dial_timeout);
        let limit = self.cfg.connect_ahead;
        if limit == 0
            || self.connections.len() >= limit.min(self.cfg.max_connections)
            || !self.ahead.ready(now)
            || !self.core.is_joined()
            || self.core.health_score() > 0
            || self.core.queued_updates() > 0
        {
            return;
        }
        let (core, dialing) = (&self.core, &self.dialing);
        let candidates = core
            .members()
            .filter(|m| m.state == MemberState::Alive && !m.info.addrs.is_empty())
            .map(|m| m.id)
            .filter(|id| !core.is_connected(id) && !dialing.contains_key(id));
        let Some(peer) = self.ahead.pick(now, limit, candidates) else {
            return;
        };
        let addrs = self
            .core
            .member(&peer)
            .map(|m| decode_addrs(&m.info.addrs))
            .unwrap_or_default();
        let opts = DialOpts::peer_id(peer)
            .addresses(addrs)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        self.ahead.dialing(peer, opts.connection_id(), now);
        self.stats.dials += 1;
        self.actions.push_back(ToSwarm::Dial { opts });
    }

    fn publish_addrs(&mut self) {
        self.addrs_dirty = false;
        let mut addrs: Vec<Multiaddr> = Vec::new();
        // External addresses first, then relayed ones (`/p2p-circuit`: the
        // only way to reach a member behind NAT), then the rest, so the cap
        // never cuts the addresses that work from anywhere.
        let relayed = |a: &&Multiaddr| a.iter().any(|p| p == Protocol::P2pCircuit);
        let ordered = self
            .external_addrs
            .iter()
            .chain(self.listen_addrs.iter().filter(relayed))
            .chain(self.listen_addrs.iter().filter(|a| !relayed(a)));
        for a in ordered {
            if !addrs.contains(a) && addrs.len() < self.cfg.max_advertised_addrs {
                addrs.push(a.clone());
            }
        }
        if addrs == self.advertised {
            return;
        }
        self.advertised = addrs.clone();
        let bytes = addrs.iter().map(|a| Addr(a.to_vec())).collect();
        if let Err(e) = self.core.set_addrs(Instant::now(), bytes) {
            tracing::debug!(error = %e, "addresses not published");
        }
    }

    fn on_frame(&mut self, peer: PeerId, conn: ConnectionId, channel: Channel, payload: &[u8]) {
        let now = Instant::now();
        if let Some(c) = self.connections.get_mut(&conn) {
            c.last_used = now;
        }
        self.stats.frames_in += 1;
        self.stats.bytes_in += payload.len() as u64;
        if !self.limiter.allow(peer, now) {
            self.stats.rate_limited += 1;
            tracing::trace!(%peer, "frame above the peer's rate dropped");
            return;
        }
        if let Err(e) = self.core.handle_message(now, peer, channel, payload) {
            self.note_refused(peer, channel, e);
        }
        self.drain_core();
    }

    fn new_handler(&self) -> Handler {
        Handler::new(
            self.cfg.protocol.max_sync_bytes,
            self.hello.clone(),
            self.cluster.clone(),
        )
    }

    /// Counts and logs a refused frame or hello (the core counted it already).
    fn note_refused(&mut self, peer: PeerId, channel: Channel, e: WireError) {
        let now = Instant::now();
        match e {
            WireError::WrongCluster { theirs, ours } => {
                self.stats.wrong_cluster += 1;
                let quiet = self
                    .wrong_cluster_logged
                    .is_some_and(|t| now.saturating_duration_since(t) < WRONG_CLUSTER_LOG_EVERY);
                if !quiet {
                    self.wrong_cluster_logged = Some(now);
                    tracing::warn!(
                        %peer,
                        their_cluster = %theirs,
                        our_cluster = %ours,
                        "refused a message from cluster {theirs:?}: this node is in cluster {ours:?}"
                    );
                }
            }
            e => {
                self.stats.decode_errors += 1;
                match e {
                    WireError::TooLarge { .. } => self.stats.oversized += 1,
                    WireError::UnsupportedVersion(_) => self.stats.unsupported_version += 1,
                    _ => {}
                }
                tracing::debug!(%peer, ?channel, error = %e, "undecodable message dropped");
            }
        }
    }

    fn allowed(&self, peer: &PeerId) -> bool {
        self.cfg
            .allowed_peers
            .as_ref()
            .is_none_or(|a| a.contains(peer) || *peer == self.local_peer_id)
    }

    fn check_allowed(&mut self, peer: PeerId) -> Result<(), ConnectionDenied> {
        if self.allowed(&peer) {
            return Ok(());
        }
        self.stats.connections_denied += 1;
        tracing::debug!(%peer, "connection denied: not on the allowlist");
        Err(ConnectionDenied::new(NotAllowed(peer)))
    }

    /// Arms tokio's timer instead of futures-timer's thread: for a behaviour
    /// driven on a tokio runtime with timers enabled (as [`crate::Node`] does).
    pub(crate) fn use_tokio_timer(&mut self) {
        self.timer_kind = TimerKind::Tokio;
        self.timer = None;
        self.timer_at = None;
    }

    /// Fires due timers and re-arms the one timer at the core's next deadline.
    fn poll_timer(&mut self, cx: &mut Context<'_>) {
        loop {
            let Some(at) = self.core.poll_timeout() else {
                self.timer = None;
                self.timer_at = None;
                return;
            };
            if self.timer.is_none() || self.timer_at != Some(at) {
                let wait = at.saturating_duration_since(Instant::now());
                self.timer = Some(Wake::after(self.timer_kind, wait));
                self.timer_at = Some(at);
            }
            // A deadline already passed is due whatever the Delay says: its
            // timer thread may be late or, under a faked CLOCK_MONOTONIC
            // (libfaketime), asleep for good (docs/testnet.md, "Clock skew").
            // Whoever polls this behaviour after `at` runs the core.
            if Instant::now() < at {
                if let Some(t) = self.timer.as_mut() {
                    if t.poll_unpin(cx).is_pending() {
                        return;
                    }
                }
            }
            self.timer = None;
            self.timer_at = None;
            // The timer may fire a little early; never run the core before `at`.
            let now = Instant::now().max(at);
            self.core.handle_timeout(now);
            self.drain_core();
        }
    }
}

fn decode_addrs(addrs: &[Addr]) -> Vec<Multiaddr> {
    addrs
        .iter()
        .filter_map(|a| Multiaddr::try_from(a.0.clone()).ok())
        .collect()
}

fn peer_of(ma: &Multiaddr) -> Option<PeerId> {
    ma.iter().find_map(|p| match p {
        Protocol::P2p(id) => Some(id),
        _ => None,
    })
}

impl NetworkBehaviour for Behaviour {
    type ConnectionHandler = Handler;
    type ToSwarm = Event;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check_allowed(peer)?;
        Ok(self.new_handler())
    }

    fn handle_pending_outbound_connection(
        &mut self,
        _: ConnectionId,
        maybe_peer: Option<PeerId>,
        _: &[Multiaddr],
        _: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        if let Some(p) = maybe_peer {
            self.check_allowed(p)?;
        }
        Ok(maybe_peer
            .and_then(|p| self.core.member(&p).map(|m| decode_addrs(&m.info.addrs)))
            .unwrap_or_default())
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check_allowed(peer)?;
        Ok(self.new_handler())
    }

    fn on_swarm_event(&mut self, event: FromSwarm<'_>) {
        match event {
            FromSwarm::ConnectionEstablished(e) => self.on_established(e.peer_id, e.connection_id),
            FromSwarm::ConnectionClosed(e) => {
                self.connections.remove(&e.connection_id);
                if e.remaining_established == 0 {
                    self.core.set_connected(e.peer_id, false);
                }
            }
            FromSwarm::DialFailure(e) => self.on_dial_failure(e.peer_id, e.connection_id, e.error),
            FromSwarm::NewListenAddr(e) if !self.listen_addrs.contains(e.addr) => {
                self.listen_addrs.push(e.addr.clone());
                self.addrs_dirty = true;
            }
            FromSwarm::ExpiredListenAddr(e) => {
                self.listen_addrs.retain(|a| a != e.addr);
                self.addrs_dirty = true;
            }
            FromSwarm::ExternalAddrConfirmed(e) if !self.external_addrs.contains(e.addr) => {
                self.external_addrs.push(e.addr.clone());
                self.addrs_dirty = true;
            }
            FromSwarm::ExternalAddrExpired(e) => {
                self.external_addrs.retain(|a| a != e.addr);
                self.addrs_dirty = true;
            }
            _ => {}
        }
        if self.addrs_dirty {
            self.wake();
        }
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        conn: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {
            ToBehaviour::Received { channel, payload } => {
                self.on_frame(peer, conn, channel, &payload)
            }
            ToBehaviour::Refused { channel, error } => {
                self.core.count_refused(&error);
                self.note_refused(peer, channel, error);
            }
            ToBehaviour::Dropped {
                channel,
                frames,
                reason: DropReason::BadFrame,
            } => {
                tracing::debug!(%peer, ?channel, "oversized or malformed frame; stream closed");
                self.stats.bad_frames += frames as u64;
            }
            ToBehaviour::Dropped {
                channel,
                frames,
                reason,
            } => {
                tracing::debug!(%peer, ?channel, frames, ?reason, "frames dropped");
                self.stats.frames_dropped += frames as u64;
            }
        }
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        if let Some(a) = self.actions.pop_front() {
            return Poll::Ready(a);
        }
        if self.addrs_dirty {
            self.publish_addrs();
        }
        self.drain_core();
        self.poll_timer(cx);
        self.dial_ahead();
        if let Some(a) = self.actions.pop_front() {
            return Poll::Ready(a);
        }
        self.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// How long a node waits by default for its Left claim to spread.
pub const DEFAULT_LEAVE_TIMEOUT: Duration = Duration::from_secs(5);
