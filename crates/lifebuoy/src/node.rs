//! [`Node`]: a batteries-included lifebuoy node running its own swarm on a tokio task.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm};
use lifebuoy_core::{CommandError, Member, Metadata};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::nat::{NatDriver, NatStats, NodeBehaviour, NodeBehaviourEvent, RESERVE_RETRY};
use crate::subscription::{lock, SharedView, Subscription};
use crate::DriverStats;

/// Capacity of the command channel from [`Node`] handles to the task.
const COMMAND_CAPACITY: usize = 64;

pub(crate) enum Command {
    Join(Vec<Multiaddr>),
    SetMetadata(Metadata, oneshot::Sender<Result<(), CommandError>>),
    Leave(oneshot::Sender<()>),
    Stats(oneshot::Sender<NodeStats>),
}

/// A snapshot of a node's counters.
#[derive(Debug, Clone)]
pub struct NodeStats {
    /// The protocol's counters.
    pub core: lifebuoy_core::Stats,
    /// The driver's counters.
    pub driver: DriverStats,
    /// Connections open now.
    pub connections: usize,
    /// This node's incarnation.
    pub incarnation: u64,
    /// Lifeguard's local health score (0 is healthy; it stretches probe
    /// intervals while the node looks slow).
    pub health_score: u32,
    /// Updates waiting to be piggybacked (the gossip queue depth).
    pub queued_updates: usize,
    /// This node's own entry: state (Alive, or Left after a leave), name,
    /// advertised addresses and metadata.
    pub local: Member<PeerId>,
    /// NAT traversal: reachability, relays in use, hole punches.
    pub nat: NatStats,
}

/// State the task shares with handles besides the view.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) listen_addrs: Vec<Multiaddr>,
}

/// A running lifebuoy node. Build one with [`crate::NodeBuilder`]. Dropping
/// it stops the node abruptly (others will see it fail); call
/// [`Node::leave`] first to leave gracefully.
#[derive(Debug)]
pub struct Node {
    peer_id: PeerId,
    commands: mpsc::Sender<Command>,
    view: SharedView,
    shared: Arc<Mutex<Shared>>,
    task: Option<JoinHandle<()>>,
}

impl Node {
    /// Starts a [`crate::NodeBuilder`].
    pub fn builder() -> crate::NodeBuilder {
        crate::NodeBuilder::new()
    }

    pub(crate) fn spawn(
        swarm: Swarm<NodeBehaviour>,
        view: SharedView,
        shared: Arc<Mutex<Shared>>,
        leave_timeout: Duration,
        hook: Option<EventHook>,
        nat: NatDriver,
    ) -> Node {
        let peer_id = *swarm.local_peer_id();
        let (tx, rx) = mpsc::channel(COMMAND_CAPACITY);
        // Boxed here: the loop's future is about 16 KB, just under the size
        // tokio boxes by itself, so unboxed it was copied down tokio's spawn
        // path frame by frame, and those stack pages (120 KB) stayed resident
        // for the node's life (docs/performance.md, "Memory").
        let task = tokio::spawn(Box::pin(run(
            swarm,
            rx,
            view.clone(),
            shared.clone(),
            leave_timeout,
            hook,
            nat,
        )));
        Node {
            peer_id,
            commands: tx,
            view,
            shared,
            task: Some(task),
        }
    }

    /// This node's identity.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Addresses the node listens on.
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.shared
            .lock()
            .map(|s| s.listen_addrs.clone())
            .unwrap_or_default()
    }

    /// Every other member known, in any state (Alive, Suspect, Dead, Left)
    /// until it is forgotten.
    pub fn members(&self) -> Vec<Member<PeerId>> {
        lock(&self.view).snapshot()
    }

    /// One member, if known.
    pub fn member(&self, id: &PeerId) -> Option<Member<PeerId>> {
        lock(&self.view).get(id)
    }

    /// The current view, then every change in order. See [`Subscription`].
    pub fn subscribe(&self) -> Subscription {
        Subscription::new(self.view.clone())
    }

    /// Joins (more) seeds.
    pub async fn join(&self, seeds: impl IntoIterator<Item = Multiaddr>) -> Result<(), Error> {
        let seeds = seeds.into_iter().collect();
        self.commands
            .send(Command::Join(seeds))
            .await
            .map_err(|_| Error::Stopped)
    }

    /// Publishes new metadata.
    pub async fn set_metadata(&self, meta: Metadata) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::SetMetadata(meta, tx))
            .await
            .map_err(|_| Error::Stopped)?;
        Ok(rx.await.map_err(|_| Error::Stopped)??)
    }

    /// Counters of the protocol and the driver.
    pub async fn stats(&self) -> Result<NodeStats, Error> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Stats(tx))
            .await
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Leaves gracefully: others see this node Left, not Failed. Returns once
    /// the Left claim has been sent to enough members, or after the leave
    /// timeout. The node keeps running (answering nothing new) until
    /// [`Node::shutdown`].
    pub async fn leave(&self) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Leave(tx))
            .await
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Stops the node and waits for its task to end. Subscriptions end.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        lock(&self.view).close();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        lock(&self.view).close();
    }
}

struct Leaving {
    reply: oneshot::Sender<()>,
    deadline: Instant,
    grace_until: Option<Instant>,
}

/// Sees every swarm event before the node does (e.g. libp2p's metrics recorder).
pub(crate) struct EventHook(pub(crate) Box<dyn FnMut(&NodeSwarmEvent) + Send>);

type NodeSwarmEvent = SwarmEvent<NodeBehaviourEvent>;

impl std::fmt::Debug for EventHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventHook")
    }
}

/// Least time between two wake-ups of the node's loop for a protocol deadline.
const WAKE_GAP: Duration = Duration::from_millis(5);

async fn run(
    mut swarm: Swarm<NodeBehaviour>,
    mut commands: mpsc::Receiver<Command>,
    view: SharedView,
    shared: Arc<Mutex<Shared>>,
    leave_timeout: Duration,
    mut hook: Option<EventHook>,
    mut nat: NatDriver,
) {
    let grace = swarm.behaviour().membership.core().config().gossip_interval * 2;
    let mut nat_tick = tokio::time::interval(RESERVE_RETRY);
    nat_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut leaving: Option<Leaving> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(25));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut woke: Option<tokio::time::Instant> = None;
    loop {
        // The membership timer is a tokio timer too (`use_tokio_timer`);
        // this sleep to the same deadline wakes the loop, which polls the
        // swarm and so fires the core, whichever timer the behaviour has (a
        // faked monotonic clock parks futures-timer's thread for ever:
        // docs/testnet.md, "Clock skew"). Both fire on one wake-up. At most
        // one wake per WAKE_GAP, so a deadline the swarm cannot serve yet
        // (a connection handler applying backpressure) is no busy loop.
        let due = swarm.behaviour().membership.core().poll_timeout().map(|d| {
            let d = tokio::time::Instant::from_std(d);
            woke.map_or(d, |w| d.max(w + WAKE_GAP))
        });
        let wake = tokio::time::sleep_until(due.unwrap_or_else(tokio::time::Instant::now));
        tokio::select! {
            event = swarm.select_next_some() => {
                if let Some(h) = hook.as_mut() {
                    (h.0)(&event);
                }
                nat.on_event(&mut swarm, &event);
                on_swarm_event(event, &view, &shared)
            }
            _ = nat_tick.tick() => nat.reserve(&mut swarm),
            cmd = commands.recv() => match cmd {
                None => break,
                Some(Command::Join(seeds)) => swarm.behaviour_mut().membership.join(seeds),
                Some(Command::SetMetadata(meta, reply)) => {
                    let _ = reply.send(swarm.behaviour_mut().membership.set_metadata(meta));
                }
                Some(Command::Stats(reply)) => {
                    let b = &swarm.behaviour().membership;
                    let _ = reply.send(NodeStats {
                        core: b.core().stats().clone(),
                        driver: *b.stats(),
                        connections: swarm.network_info().num_peers(),
                        incarnation: b.local_member().incarnation,
                        health_score: b.core().health_score(),
                        queued_updates: b.core().queued_updates(),
                        local: b.local_member().clone(),
                        nat: nat.stats(),
                    });
                }
                Some(Command::Leave(reply)) => {
                    swarm.behaviour_mut().membership.leave();
                    leaving = Some(Leaving { reply, deadline: Instant::now() + leave_timeout, grace_until: None });
                }
            },
            _ = tick.tick(), if leaving.is_some() => {}
            _ = wake, if due.is_some() => woke = Some(tokio::time::Instant::now()),
        }
        if let Some(l) = leaving.as_mut() {
            let now = Instant::now();
            if l.grace_until.is_none() && swarm.behaviour().membership.leave_broadcast_done() {
                // Give the connections a moment to flush the frames just queued.
                l.grace_until = Some(now + grace);
            }
            if l.grace_until.is_some_and(|g| now >= g) || now >= l.deadline {
                if let Some(l) = leaving.take() {
                    let _ = l.reply.send(());
                }
            }
        }
    }
    lock(&view).close();
}

fn on_swarm_event(event: NodeSwarmEvent, view: &SharedView, shared: &Arc<Mutex<Shared>>) {
    match event {
        SwarmEvent::Behaviour(NodeBehaviourEvent::Membership(e)) => {
            tracing::debug!(event = e.name(), member = %e.member().id, "membership change");
            lock(view).apply(&e);
        }
        SwarmEvent::NewListenAddr { address, .. } => {
            if let Ok(mut s) = shared.lock() {
                if !s.listen_addrs.contains(&address) {
                    s.listen_addrs.push(address);
                }
            }
        }
        SwarmEvent::ExpiredListenAddr { address, .. } => {
            if let Ok(mut s) = shared.lock() {
                s.listen_addrs.retain(|a| *a != address);
            }
        }
        _ => {}
    }
}
