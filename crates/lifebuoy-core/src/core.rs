//! The state machine: inputs (`handle_*` and commands, each taking `now`) and
//! outputs (`poll_transmit`, `poll_event`, `poll_timeout`).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::accusers::Accusers;
use crate::auth::{Claim, ClaimAuth, NoAuth};
use crate::broadcast::{cbor_bytes_cost, BroadcastQueue};
use crate::config::{Config, ConfigError};
use crate::event::{Destination, Event, Transmit};
use crate::health::Health;
use crate::member::{metadata_size, Addr, Member, MemberInfo, MemberState, Metadata, NodeId};
use crate::rng::DetRng;
use crate::stats::{KindCounts, Stats};
use crate::suspicion::Suspicion;
use crate::table::Table;
use crate::timer::{Timer, Timers};
use crate::wire::{self, Channel, Kind, Packet, Update, WireError};

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Metadata larger than [`Config::metadata_limit`].
    #[error("metadata is {size} bytes, above the limit of {limit} bytes")]
    MetadataTooLarge {
        /// Its size (sum of key and value bytes).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A name longer than 128 bytes.
    #[error("node name is {0} bytes, above the limit of 128 bytes")]
    NameTooLong(usize),
    /// The node has left; it takes no more commands.
    #[error("the node has left the cluster")]
    Left,
}

/// Largest number of undrained events kept; beyond it events are dropped and
/// counted in [`Stats::event_drops`].
const MAX_PENDING_EVENTS: usize = 1 << 20;

/// An ongoing probe of one member (SWIM 4.1 / Lifeguard 3).
#[derive(Debug, Clone)]
pub(crate) struct Probe<I> {
    pub(crate) seq: u32,
    pub(crate) target: I,
    pub(crate) nacks_expected: u32,
    pub(crate) nacks: u32,
    /// The nonce of our ping-reqs, once sent (signing clusters only).
    pub(crate) nonce: Option<u64>,
}

/// A final check or suspect check in flight: the suspect and the nonce of
/// the ping-reqs about it.
#[derive(Debug, Clone)]
pub(crate) struct Check<I> {
    pub(crate) id: I,
    pub(crate) nonce: Option<u64>,
}

/// An indirect probe this node runs on behalf of a requester.
#[derive(Debug, Clone)]
pub(crate) struct Relay<I> {
    pub(crate) requester: I,
    pub(crate) seq: u32,
    /// The member we probe; only its own ack is relayed.
    pub(crate) target: I,
}

/// One node's SWIM + Lifeguard protocol state, with no I/O, no clock and no
/// global randomness. See the crate docs for the driving loop.
#[derive(Debug)]
pub struct Core<I: NodeId> {
    pub(crate) cfg: Config,
    pub(crate) local: Member<I>,
    pub(crate) rng: DetRng,
    pub(crate) table: Table<I>,
    pub(crate) suspicions: HashMap<I, Suspicion<I>>,
    /// Final checks in flight: probe sequence number -> suspect.
    pub(crate) final_checks: HashMap<u32, Check<I>>,
    /// Checks of members others suspect, in flight: sequence number -> suspect.
    pub(crate) suspect_checks: HashMap<u32, Check<I>>,
    pub(crate) queue: BroadcastQueue<I>,
    pub(crate) timers: Timers<I>,
    /// Whether the Gossip timer is set. With nothing queued it is not
    /// re-armed, so an idle node does not wake every gossip interval; the
    /// next update re-arms it on the same grid ([`Core::arm_gossip`]).
    pub(crate) gossip_armed: bool,
    /// When the Gossip timer last fired (the grid it re-arms on).
    pub(crate) gossip_last: Instant,
    /// Members told our current claim directly ([`crate::announce`]).
    pub(crate) announced_to: HashSet<I>,
    /// Whether our current claim is still being told directly.
    pub(crate) announcing: bool,
    pub(crate) health: Health,
    pub(crate) probe: Option<Probe<I>>,
    /// Probes started, to pick every `successor_every`-th for the ring successor.
    pub(crate) probe_count: u32,
    pub(crate) relays: HashMap<u32, Relay<I>>,
    /// Ack proofs signed since the last probe tick (capped per period).
    pub(crate) ack_proofs_period: u32,
    /// When we last reminded an accuser of our current incarnation.
    pub(crate) reminded: HashMap<I, Instant>,
    pub(crate) next_seq: u32,
    pub(crate) seeds: Vec<Addr>,
    pub(crate) joined: bool,
    /// The seed that answered our join, for the follow-up push-pull.
    pub(crate) join_peer: Option<I>,
    pub(crate) join_attempts: u32,
    pub(crate) push_pull_generation: u32,
    pub(crate) transmits: VecDeque<Transmit<I>>,
    pub(crate) events: VecDeque<Event<I>>,
    pub(crate) stats: Stats,
    /// Signs our claims and checks others'.
    pub(crate) auth: Box<dyn ClaimAuth<I>>,
    /// Per member, the signed claim that set the state we hold (sent in push-pulls).
    pub(crate) proofs: HashMap<I, Arc<[u8]>>,
    /// Our own signed claim, keyed by the incarnation and state it is for.
    pub(crate) own_claim: Option<((u64, MemberState), Claim<I>)>,
    /// Accusation rate limits, down-weighting and Dead-claim votes.
    pub(crate) accusers: Accusers<I>,
    /// When set, only these members are admitted to the table.
    pub(crate) allowlist: Option<HashSet<I>>,
    /// Members the driver holds a connection to (`crate::reach`), ordered
    /// so that choices among them are deterministic for a seed.
    pub(crate) connected: BTreeSet<I>,
    /// Probe periods since the last probe of an unconnected member.
    pub(crate) since_first_contact: u32,
}

impl<I: NodeId> Core<I> {
    /// A node `id` named `info.name`, reachable at `info.addrs`, alone in a
    /// new cluster until [`Core::join`] is called. `seed` drives every random
    /// choice. `incarnation` is where to start: 0 for a fresh identity; a
    /// restarted node learns the incarnation others recorded for it and
    /// raises its own above it as soon as it hears of it.
    pub fn new(
        config: Config,
        id: I,
        info: MemberInfo,
        incarnation: u64,
        seed: u64,
        now: Instant,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let size = metadata_size(&info.meta);
        if size > config.metadata_limit {
            return Err(ConfigError {
                field: "metadata",
                reason: format!(
                    "{size} bytes, above metadata_limit of {}",
                    config.metadata_limit
                ),
            });
        }
        if info.name.len() > 128 {
            return Err(ConfigError {
                field: "name",
                reason: "above 128 bytes".into(),
            });
        }
        let mut rng = DetRng::seed_from_u64(seed);
        let mut timers = Timers::new();
        // Stagger the periodic timers so nodes started together do not beat in step.
        let jitter = |rng: &mut DetRng, d: Duration| d.mul_f64(rng.unit());
        timers.set(
            now + jitter(&mut rng, config.probe_interval),
            Timer::ProbeTick,
        );
        timers.set(
            now + jitter(&mut rng, config.gossip_interval),
            Timer::Gossip,
        );
        if !config.push_pull_interval.is_zero() {
            timers.set(
                now + jitter(&mut rng, config.push_pull_interval),
                Timer::PushPull { generation: 0 },
            );
        }
        if !config.reconnect_interval.is_zero() {
            timers.set(
                now + jitter(&mut rng, config.reconnect_interval),
                Timer::Reconnect,
            );
        }
        let local = Member {
            id,
            info: Arc::new(info),
            incarnation,
            state: MemberState::Alive,
            since: now,
        };
        Ok(Core {
            health: Health::new(config.awareness_max_multiplier),
            queue: BroadcastQueue::new(config.max_queued_updates),
            cfg: config,
            local,
            rng,
            table: Table::new(),
            suspicions: HashMap::new(),
            final_checks: HashMap::new(),
            suspect_checks: HashMap::new(),
            timers,
            gossip_armed: true,
            gossip_last: now,
            announced_to: HashSet::new(),
            announcing: false,
            probe: None,
            probe_count: 0,
            relays: HashMap::new(),
            ack_proofs_period: 0,
            reminded: HashMap::new(),
            next_seq: 0,
            seeds: Vec::new(),
            joined: false,
            join_peer: None,
            join_attempts: 0,
            push_pull_generation: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            auth: Box::new(NoAuth),
            proofs: HashMap::new(),
            own_claim: None,
            accusers: Accusers::new(),
            allowlist: None,
            connected: BTreeSet::new(),
            since_first_contact: u32::MAX,
        })
    }

    /// Signs this node's claims with `auth` and accepts only claims signed
    /// by the member entitled to make them (see `docs/security.md`). Set it
    /// before the node sends or receives anything; without it the core
    /// signs nothing and trusts every claim ([`NoAuth`]).
    pub fn with_auth(mut self, auth: Box<dyn ClaimAuth<I>>) -> Self {
        self.auth = auth;
        self.own_claim = None;
        self
    }

    /// Admits only the members in `allowed` to the member table (`None`:
    /// anyone). Claims about others are dropped and counted in
    /// [`Stats::not_admitted`]; members already known are kept.
    pub fn set_allowlist(&mut self, allowed: Option<HashSet<I>>) {
        self.allowlist = allowed;
    }

    /// Whether a member not yet in the table may be added to it: the
    /// allowlist admits it, or there is none. Counts a refusal.
    pub(crate) fn admit(&mut self, id: &I) -> bool {
        if self.allowlist.as_ref().is_none_or(|a| a.contains(id)) {
            return true;
        }
        self.stats.not_admitted += 1;
        false
    }

    // ----- accessors -------------------------------------------------------

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// This node's own entry (state Alive, or Left after [`Core::leave`]).
    pub fn local(&self) -> &Member<I> {
        &self.local
    }

    /// Every other member this node knows, in no particular order.
    pub fn members(&self) -> impl Iterator<Item = &Member<I>> {
        self.table.iter()
    }

    /// One member (the local node included).
    pub fn member(&self, id: &I) -> Option<&Member<I>> {
        if *id == self.local.id {
            Some(&self.local)
        } else {
            self.table.get(id)
        }
    }

    /// Number of other members known, in any state.
    pub fn member_count(&self) -> usize {
        self.table.len()
    }

    /// Number of live (Alive or Suspect) members, the local node included:
    /// the `n` of the protocol's formulas.
    pub fn live_count(&self) -> usize {
        self.table.live() + usize::from(self.local.state.is_live())
    }

    /// Number of other members in `state`.
    pub fn count(&self, state: MemberState) -> usize {
        self.table.count(state)
    }

    /// Lifeguard's local health score (0 is healthy).
    pub fn health_score(&self) -> u32 {
        self.health.score()
    }

    /// Counters for metrics.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Updates waiting to be piggybacked.
    pub fn queued_updates(&self) -> usize {
        self.queue.len()
    }

    /// Whether a seed (or anyone) has answered since [`Core::join`].
    pub fn is_joined(&self) -> bool {
        self.joined
    }

    /// Pending timers (for diagnostics).
    pub fn timer_count(&self) -> usize {
        self.timers.len()
    }

    // ----- outputs -----------------------------------------------------------

    /// The next message to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit<I>> {
        self.transmits.pop_front()
    }

    /// The next membership event, if any.
    pub fn poll_event(&mut self) -> Option<Event<I>> {
        self.events.pop_front()
    }

    /// When [`Core::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    // ----- inputs ------------------------------------------------------------

    /// Runs every timer due at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, timer)) = self.timers.pop_due(now) {
            self.fire(now, at, timer);
        }
        self.arm_gossip(now);
    }

    fn fire(&mut self, now: Instant, _at: Instant, timer: Timer<I>) {
        match timer {
            Timer::ProbeTick => self.probe_tick(now),
            Timer::ProbeTimeout { seq } => self.probe_timeout(now, seq),
            Timer::ProbeEnd { seq } => self.probe_end(now, seq),
            Timer::RelayTimeout { seq } => self.relay_timeout(seq),
            Timer::Gossip => self.gossip_tick(now),
            Timer::PushPull { generation } => {
                if generation == self.push_pull_generation {
                    self.push_pull_tick(now);
                }
            }
            Timer::Reconnect => self.reconnect_tick(now),
            Timer::Suspicion { id, incarnation } => self.suspicion_timeout(now, id, incarnation),
            Timer::Reap { id, since } => self.reap(id, since),
            Timer::JoinRetry => self.join_retry(now),
            Timer::FinalCheck {
                id,
                incarnation,
                seq,
            } => self.final_check_end(now, id, incarnation, seq),
            Timer::SuspectCheck {
                id,
                incarnation,
                seq,
            } => self.suspect_check_end(now, id, incarnation, seq),
            Timer::JoinFollowup { step } => self.join_followup(step),
        }
    }

    /// The [`wire::Hello`] (protocol version and cluster name) a driver
    /// sends before its first packet on each stream or ordered channel.
    pub fn hello(&self) -> Vec<u8> {
        wire::encode_hello(&self.cfg.cluster).unwrap_or_default()
    }

    /// Checks a peer's [`wire::Hello`]; a driver accepts packets from a
    /// stream only after its hello passed. A refusal is counted
    /// (`wrong_cluster` or `decode_errors`) and returned, naming both
    /// clusters for a cluster mismatch.
    pub fn check_hello(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let r = wire::check_hello(bytes, &self.cfg.cluster);
        if let Err(e) = &r {
            self.count_refused(e);
        }
        r
    }

    /// Counts a hello the driver refused itself (with [`wire::check_hello`],
    /// where the core is out of reach), as [`Core::check_hello`] would.
    pub fn count_refused(&mut self, e: &WireError) {
        match e {
            WireError::WrongCluster { .. } => self.stats.wrong_cluster += 1,
            _ => self.stats.decode_errors += 1,
        }
    }

    /// Handles one packet `from` a peer on `channel` (after that stream's
    /// hello was accepted). Bad input is counted and returned as an error;
    /// it never panics and never changes state.
    pub fn handle_message(
        &mut self,
        now: Instant,
        from: I,
        channel: Channel,
        bytes: &[u8],
    ) -> Result<(), WireError> {
        let limit = match channel {
            Channel::Probe => self.cfg.max_message_bytes.max(64 * 1024),
            Channel::Sync => self.cfg.max_sync_bytes,
        };
        let packet: Packet<I> = match wire::decode(bytes, limit) {
            Ok(p) => p,
            Err(e) => {
                self.stats.decode_errors += 1;
                tracing::debug!(peer = ?from, error = %e, "dropped message");
                return Err(e);
            }
        };
        let is_sync = matches!(packet.kind, Kind::Sync { .. } | Kind::Digest { .. });
        if is_sync != (channel == Channel::Sync) {
            self.stats.misdirected += 1;
            return Err(WireError::WrongChannel(if is_sync {
                "push-pull"
            } else {
                "probe"
            }));
        }
        count_kind(&mut self.stats.msgs_in, &packet.kind, 1);
        count_kind(&mut self.stats.bytes_in, &packet.kind, bytes.len() as u64);
        for raw in &packet.gossip {
            match Claim::decode(raw) {
                Ok(c) => self.apply_claim(now, c, Origin::Gossip),
                Err(_) => self.stats.bad_updates += 1,
            }
        }
        match packet.kind {
            Kind::Ping { seq, target, nonce } => self.on_ping(now, from, seq, target, nonce),
            Kind::Ack { seq, proof } => self.on_ack(now, from, seq, &proof),
            Kind::PingReq {
                seq,
                target,
                addrs,
                nonce,
            } => self.on_ping_req(now, from, seq, target, addrs, nonce),
            Kind::Nack { seq } => self.on_nack(now, seq),
            Kind::Gossip => {}
            Kind::Sync {
                join,
                reply,
                members,
            } => self.on_sync(now, from, join, reply, members),
            Kind::Digest { digest } => self.on_digest(from, digest),
        }
        self.arm_gossip(now);
        Ok(())
    }

    // ----- commands ----------------------------------------------------------

    /// Joins a cluster through `seeds` with a push-pull to each; retried until
    /// one answers. With no seeds the node starts a new cluster.
    ///
    /// Publish this node's reachable addresses (in `Core::new` or with
    /// [`Core::set_addrs`]) before joining: the join carries our claim, and a
    /// member first learned without addresses cannot be dialed by anyone who
    /// misses the later update.
    pub fn join(&mut self, now: Instant, seeds: impl IntoIterator<Item = Addr>) {
        self.seeds = seeds.into_iter().collect();
        if self.seeds.is_empty() {
            return;
        }
        self.joined = false;
        self.join_attempts = 0;
        self.send_join(now);
        self.arm_gossip(now);
    }

    /// Adds `members` as known Alive members without announcing them: how a
    /// node restores a saved view (Serf's snapshot) or a simulator starts a
    /// converged cluster. Unknown members only; no events are emitted.
    pub fn restore(
        &mut self,
        now: Instant,
        members: impl IntoIterator<Item = (I, Arc<MemberInfo>, u64)>,
    ) {
        self.restore_claims(now, members.into_iter().map(|(i, m, n)| (i, m, n, None)));
    }

    /// [`Core::restore`] with each member's signed Alive claim (from its
    /// [`Core::signed_self_claim`] or a saved view), which this node then
    /// hands on in push-pulls. Trusted input: not verified.
    pub fn restore_claims(
        &mut self,
        now: Instant,
        members: impl IntoIterator<Item = (I, Arc<MemberInfo>, u64, Option<Arc<[u8]>>)>,
    ) {
        let before = self.table.len();
        let members = members.into_iter();
        let room = self.cfg.max_members.saturating_sub(self.table.len());
        self.table.reserve(members.size_hint().0.min(room));
        for (id, info, incarnation, proof) in members {
            if id == self.local.id || self.table.contains(&id) || !self.admit(&id) {
                continue;
            }
            if self.table.len() >= self.cfg.max_members {
                self.stats.table_full_drops += 1;
                continue;
            }
            let m = Member {
                id,
                info,
                incarnation,
                state: MemberState::Alive,
                since: now,
            };
            if let Some(p) = proof {
                self.proofs.insert(m.id.clone(), p);
            }
            self.table.insert(m, &mut self.rng);
            self.joined = true;
        }
        if self.table.len() > before {
            self.rearm_push_pull(now);
        }
    }

    /// Publishes new metadata (a new incarnation with the new claim).
    pub fn set_metadata(&mut self, now: Instant, meta: Metadata) -> Result<(), CommandError> {
        let size = metadata_size(&meta);
        if size > self.cfg.metadata_limit {
            return Err(CommandError::MetadataTooLarge {
                size,
                limit: self.cfg.metadata_limit,
            });
        }
        let info = MemberInfo {
            meta,
            ..(*self.local.info).clone()
        };
        self.republish(now, info)
    }

    /// Publishes new addresses (e.g. after learning an external or relayed address).
    pub fn set_addrs(&mut self, now: Instant, addrs: Vec<Addr>) -> Result<(), CommandError> {
        let info = MemberInfo {
            addrs,
            ..(*self.local.info).clone()
        };
        self.republish(now, info)
    }

    /// Publishes a new name.
    pub fn set_name(&mut self, now: Instant, name: String) -> Result<(), CommandError> {
        if name.len() > 128 {
            return Err(CommandError::NameTooLong(name.len()));
        }
        let info = MemberInfo {
            name,
            ..(*self.local.info).clone()
        };
        self.republish(now, info)
    }

    fn republish(&mut self, now: Instant, info: MemberInfo) -> Result<(), CommandError> {
        if self.local.state == MemberState::Left {
            return Err(CommandError::Left);
        }
        if info == *self.local.info {
            // Nothing new to claim: keep the incarnation (and the gossip) as is.
            return Ok(());
        }
        self.local.info = Arc::new(info);
        self.local.incarnation += 1;
        self.local.since = now;
        self.announce_self();
        self.arm_gossip(now);
        Ok(())
    }

    // ----- helpers shared by the protocol modules ------------------------------

    pub(crate) fn next_seq(&mut self) -> u32 {
        self.next_seq = self.next_seq.wrapping_add(1);
        self.next_seq
    }

    pub(crate) fn alive_update(&self) -> Update<I> {
        Update::Alive {
            id: self.local.id.clone(),
            incarnation: self.local.incarnation,
            name: self.local.info.name.clone(),
            addrs: self.local.info.addrs.clone(),
            meta: self.local.info.meta.clone(),
        }
    }

    /// Queues our own current Alive claim for dissemination.
    pub(crate) fn announce_self(&mut self) {
        let c = self.own_claim().raw;
        self.queue_update(self.local.id.clone(), c);
    }

    /// Queues an encoded signed claim about `about` for piggybacking.
    pub(crate) fn queue_update(&mut self, about: I, claim: Arc<[u8]>) {
        if self.queue.push(about, claim) {
            self.stats.queue_drops += 1;
        }
    }

    pub(crate) fn emit(&mut self, event: Event<I>) {
        let m = event.member();
        tracing::debug!(
            event = event.name(),
            member = ?m.id,
            name = %m.info.name,
            incarnation = m.incarnation,
            state = m.state.as_str(),
            "membership change"
        );
        if self.events.len() >= MAX_PENDING_EVENTS {
            self.stats.event_drops += 1;
            return;
        }
        self.events.push_back(event);
    }

    pub(crate) fn dest(&self, id: &I) -> Destination<I> {
        Destination::Member {
            id: id.clone(),
            info: self.table.get(id).map(|m| m.info.clone()),
        }
    }

    /// Encodes a probe-channel packet, filling the rest of the byte budget with
    /// queued updates (`priority`, a claim about the destination, first), and
    /// queues it for `to`.
    pub(crate) fn send_probe(
        &mut self,
        to: Destination<I>,
        kind: Kind<I>,
        priority: Option<Arc<[u8]>>,
    ) {
        let about = to.id().cloned();
        self.send_probe_about(to, kind, priority.map(|p| (about, p)));
    }

    /// [`Core::send_probe`] with our own current claim first.
    pub(crate) fn send_own_claim(&mut self, to: Destination<I>) {
        let claim = self.own_claim().raw;
        let about = Some(self.local.id.clone());
        self.send_probe_about(to, Kind::Gossip, Some((about, claim)));
    }

    /// [`Core::send_probe`] with `priority` as (its subject, the claim).
    pub(crate) fn send_probe_about(
        &mut self,
        to: Destination<I>,
        kind: Kind<I>,
        priority: Option<(Option<I>, Arc<[u8]>)>,
    ) {
        let no_gossip: [Arc<[u8]>; 0] = [];
        let base = match wire::encode_parts(&kind, &no_gossip) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "could not encode a message");
                return;
            }
        };
        // The gossip field adds its key (2 bytes) and an array header (up to 3).
        let mut budget = self.cfg.max_message_bytes.saturating_sub(base.len() + 5);
        let mut gossip: Vec<Arc<[u8]>> = Vec::new();
        let mut skip = None;
        if let Some((about, p)) = priority {
            let cost = cbor_bytes_cost(p.len());
            if cost <= budget {
                budget -= cost;
                gossip.push(p);
                // Do not add a second, queued update about the same member.
                skip = about;
            }
        }
        let limit = self.cfg.retransmit_limit(self.live_count());
        gossip.extend(self.queue.take(budget, limit, skip.as_ref()));
        let payload = if gossip.is_empty() {
            base
        } else {
            wire::encode_parts(&kind, &gossip).unwrap_or(base)
        };
        self.push_transmit(to, Channel::Probe, &kind, payload);
    }

    pub(crate) fn push_transmit(
        &mut self,
        to: Destination<I>,
        channel: Channel,
        kind: &Kind<I>,
        payload: Vec<u8>,
    ) {
        count_kind(&mut self.stats.msgs_out, kind, 1);
        count_kind(&mut self.stats.bytes_out, kind, payload.len() as u64);
        self.transmits.push_back(Transmit {
            to,
            channel,
            payload,
        });
    }
}

/// Where a claim came from; decides whether it is passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Our own probe or timer.
    Local,
    /// Piggybacked gossip: accepted claims are re-gossiped (infection style).
    Gossip,
    /// A push-pull: the partner already has it; only new suspicions are gossiped.
    Sync,
}

fn count_kind<I>(c: &mut KindCounts, kind: &Kind<I>, by: u64) {
    let slot = match kind {
        Kind::Ping { .. } => &mut c.ping,
        Kind::Ack { .. } => &mut c.ack,
        Kind::PingReq { .. } => &mut c.ping_req,
        Kind::Nack { .. } => &mut c.nack,
        Kind::Gossip => &mut c.gossip,
        Kind::Sync { .. } | Kind::Digest { .. } => &mut c.sync,
    };
    *slot += by;
}
