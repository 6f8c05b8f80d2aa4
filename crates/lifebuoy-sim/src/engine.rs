//! The event loop: one global heap of timed events (node wakeups, message
//! deliveries, scripted faults) ordered by (time, insertion sequence), so a
//! run is a pure function of its seed. Wakeups are invalidated lazily with
//! per-node generation numbers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use lifebuoy_core::{
    Addr, Channel, Config, Core, Destination, DetRng, Event, MemberInfo, Stats, Transmit,
};

use crate::byzantine::Liars;
use crate::clock::{Clock, Nanos};
use crate::faults::{Action, FaultLog};
use crate::keys::Keyring;
use crate::net::Network;
use crate::observe::Observer;
use crate::report::{self, Report};
use crate::scenario::{plan, SimConfig, Start};
use crate::traffic::Traffic;
use crate::SimError;

#[derive(Debug)]
enum What {
    Wake { node: u32, gen: u32 },
    Deliver(Box<Delivery>),
    Act(Action),
}

#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) from: u32,
    pub(crate) to: u32,
    pub(crate) channel: Channel,
    pub(crate) payload: Vec<u8>,
}

#[derive(Debug)]
struct Timed {
    at: Nanos,
    seq: u64,
    what: What,
}

impl PartialEq for Timed {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Timed {}
impl PartialOrd for Timed {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Timed {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Up,
    Paused,
    Down,
}

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) core: Option<Core<u32>>,
    pub(crate) status: Status,
    gen: u32,
    armed: Option<Nanos>,
    lives: u32,
    backlog: Vec<Delivery>,
}

/// A fresh core for node `id` in its `life`-th life, seeded from the run's
/// seed, signing its claims with its key from `keys` (if the run signs).
fn make_core(
    cfg: &Config,
    seed: u64,
    id: u32,
    life: u32,
    info: &MemberInfo,
    keys: Option<&Keyring>,
    now: std::time::Instant,
) -> Result<Core<u32>, SimError> {
    let node_seed =
        DetRng::seed_from_u64(seed ^ (u64::from(id) << 20) ^ (u64::from(life) << 52)).next_u64();
    let core = Core::new(cfg.clone(), id, info.clone(), 0, node_seed, now)?;
    Ok(match keys {
        Some(k) => core.with_auth(Box::new(k.auth(id))),
        None => core,
    })
}

/// Node `i`'s address: its id in 4 big-endian bytes.
pub(crate) fn addr(i: u32) -> Addr {
    Addr(i.to_be_bytes().to_vec())
}

fn node_of(a: &Addr) -> Option<u32> {
    <[u8; 4]>::try_from(a.0.as_slice())
        .ok()
        .map(u32::from_be_bytes)
}

pub(crate) struct Sim {
    pub(crate) cfg: SimConfig,
    pub(crate) core_cfg: Config,
    clock: Clock,
    now: Nanos,
    end: Nanos,
    seq: u64,
    heap: BinaryHeap<Reverse<Timed>>,
    pub(crate) nodes: Vec<Node>,
    infos: Vec<Arc<MemberInfo>>,
    net: Network,
    pub(crate) fault_rng: DetRng,
    pub(crate) faults: FaultLog,
    pub(crate) obs: Observer,
    pub(crate) traffic: Traffic,
    pub(crate) events_processed: u64,
    tx: Vec<Transmit<u32>>,
    evs: Vec<Event<u32>>,
    start: Start,
    /// Every node's signing key, when the run signs claims.
    pub(crate) keys: Option<Keyring>,
    /// Counters of cores that crashed (their stats die with them).
    pub(crate) gone: Vec<Stats>,
    /// The `byzantine` scenario's liars (none in other scenarios).
    pub(crate) liars: Liars,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("now", &self.now)
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl Sim {
    pub(crate) fn new(cfg: &SimConfig) -> Result<Self, SimError> {
        cfg.validate()?;
        let core_cfg = cfg.core_config();
        core_cfg.validate()?;
        let n = cfg.nodes as usize;
        let mut master = DetRng::seed_from_u64(cfg.seed);
        let net = Network::new(cfg.profile, n, &mut master);
        let mut fault_rng = master.fork();
        let plan = plan(cfg, &mut fault_rng);
        let end = cfg.duration();
        let lookback = crate::clock::secs(
            core_cfg.suspicion_max(n)
                + core_cfg.probe_interval * (4 * core_cfg.awareness_max_multiplier),
        );
        let sample = cfg.retransmit_sample.unwrap_or((cfg.nodes / 256).max(1));
        let restored = plan.start == Start::Restored;
        let mut sim = Sim {
            traffic: Traffic::new(end, n, sample, core_cfg.retransmit_limit(n)),
            core_cfg,
            clock: Clock::new(),
            now: 0,
            end,
            seq: 0,
            heap: BinaryHeap::new(),
            nodes: Vec::with_capacity(n),
            infos: (0..cfg.nodes)
                .map(|i| {
                    Arc::new(MemberInfo {
                        name: format!("n{i}"),
                        addrs: Vec::new(),
                        meta: Default::default(),
                    })
                })
                .collect(),
            net,
            fault_rng,
            faults: FaultLog::new(n, lookback),
            obs: Observer::new(n, restored),
            events_processed: 0,
            tx: Vec::new(),
            evs: Vec::new(),
            start: plan.start,
            keys: cfg.signed.then(|| Keyring::new(cfg.nodes, cfg.seed)),
            gone: Vec::new(),
            liars: Liars::new(n, &plan.liars),
            cfg: cfg.clone(),
        };
        sim.net.set_groups(plan.groups.clone());
        sim.obs.ignore(&plan.liars);
        sim.faults.set_groups(&plan.groups);
        for (at, action) in plan.actions {
            sim.push(at, What::Act(action));
        }
        sim.start(plan.start)?;
        Ok(sim)
    }

    fn push(&mut self, at: Nanos, what: What) {
        self.seq += 1;
        self.heap.push(Reverse(Timed {
            at,
            seq: self.seq,
            what,
        }));
    }

    fn new_core(&mut self, id: u32) -> Result<Core<u32>, SimError> {
        let life = self.nodes.get(id as usize).map_or(0, |n| n.lives);
        let now = self.clock.instant(self.now);
        make_core(
            &self.core_cfg,
            self.cfg.seed,
            id,
            life,
            &self.infos[id as usize],
            self.keys.as_ref(),
            now,
        )
    }

    /// The stats of every core, live or crashed.
    pub(crate) fn all_stats(&self) -> impl Iterator<Item = &Stats> {
        self.nodes
            .iter()
            .filter_map(|n| n.core.as_ref().map(Core::stats))
            .chain(self.gone.iter())
    }

    fn start(&mut self, start: Start) -> Result<(), SimError> {
        let n = self.cfg.nodes;
        let t0 = self.clock.instant(0);
        let everyone: Vec<(u32, Arc<MemberInfo>, u64)> = (0..n)
            .map(|i| (i, self.infos[i as usize].clone(), 0))
            .collect();
        // Building and restoring 10k views of 10k members is the costly part
        // of the setup: spread it over the available cores. Each core only
        // depends on its own id and seed, so the result is the same.
        let threads = std::thread::available_parallelism()
            .map_or(1, |p| p.get())
            .clamp(1, 4);
        let chunk = (n as usize).div_ceil(threads).max(1);
        let (cfg, seed, infos) = (&self.core_cfg, self.cfg.seed, &self.infos);
        let keys = self.keys.as_ref();
        // With signatures, every view holds each member's signed Alive claim
        // (as it would after hearing it), so push-pulls can hand it on.
        let proofs: Vec<Option<Arc<[u8]>>> = match keys {
            Some(k) if start == Start::Restored => (0..n)
                .map(|i| {
                    make_core(cfg, seed, i, 0, &infos[i as usize], Some(k), t0)
                        .map(|mut c| Some(c.signed_self_claim()))
                })
                .collect::<Result<_, _>>()?,
            _ => vec![None; n as usize],
        };
        let ids: Vec<u32> = (0..n).collect();
        let built: Vec<Result<Vec<Core<u32>>, SimError>> = std::thread::scope(|s| {
            let handles: Vec<_> =
                ids.chunks(chunk)
                    .map(|part| {
                        let (everyone, proofs) = (&everyone, &proofs);
                        s.spawn(move || {
                            part.iter()
                                .map(|&id| {
                                    let mut core =
                                        make_core(cfg, seed, id, 0, &infos[id as usize], keys, t0)?;
                                    if start == Start::Restored {
                                        core.restore_claims(
                                            t0,
                                            everyone.iter().zip(proofs).map(|((i, m, n), p)| {
                                                (*i, m.clone(), *n, p.clone())
                                            }),
                                        );
                                    }
                                    Ok(core)
                                })
                                .collect()
                        })
                    })
                    .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        if self.liars.count() > 0 {
            self.liars.first_claims = proofs;
        }
        for part in built {
            for core in part? {
                self.nodes.push(Node {
                    core: Some(core),
                    status: Status::Up,
                    gen: 0,
                    armed: None,
                    lives: 1,
                    backlog: Vec::new(),
                });
            }
        }
        if start == Start::Join {
            self.obs.measure_convergence_from(0);
            for id in 0..n {
                let seeds = if id == 0 { Vec::new() } else { vec![addr(0)] };
                if let Some(core) = self.nodes[id as usize].core.as_mut() {
                    core.join(t0, seeds);
                }
            }
        }
        for id in 0..n {
            self.after_input(id);
        }
        Ok(())
    }

    pub(crate) fn run(mut self) -> Result<Report, SimError> {
        let wall = std::time::Instant::now();
        while let Some(Reverse(top)) = self.heap.pop() {
            if top.at > self.end {
                break;
            }
            self.now = top.at;
            self.events_processed += 1;
            match top.what {
                What::Wake { node, gen } => self.wake(node, gen),
                What::Deliver(d) => self.deliver(*d),
                What::Act(a) => self.act(a),
            }
        }
        self.now = self.end;
        self.traffic.set_live(self.end, self.obs.live_count());
        Ok(report::build(&self, wall.elapsed().as_secs_f64()))
    }

    pub(crate) fn start_mode(&self) -> Start {
        self.start
    }

    pub(crate) fn net_loss(&self) -> f64 {
        self.cfg.loss()
    }

    pub(crate) fn end(&self) -> Nanos {
        self.end
    }

    fn wake(&mut self, id: u32, gen: u32) {
        let now = self.clock.instant(self.now);
        let node = &mut self.nodes[id as usize];
        if node.gen != gen || node.status != Status::Up {
            return;
        }
        node.armed = None;
        if let Some(core) = node.core.as_mut() {
            core.handle_timeout(now);
        }
        self.after_input(id);
    }

    fn deliver(&mut self, d: Delivery) {
        let now = self.clock.instant(self.now);
        let node = &mut self.nodes[d.to as usize];
        match node.status {
            Status::Down => self.traffic.dropped += 1,
            Status::Paused => node.backlog.push(d),
            Status::Up => {
                if self.liars.is_liar[d.to as usize] {
                    self.overhear(&d);
                }
                let node = &mut self.nodes[d.to as usize];
                if let Some(core) = node.core.as_mut() {
                    // Refused input is counted by the core itself.
                    let _ = core.handle_message(now, d.from, d.channel, &d.payload);
                }
                self.after_input(d.to);
            }
        }
    }

    /// Drains a node's transmits and events and re-arms its wakeup.
    fn after_input(&mut self, id: u32) {
        let mut tx = std::mem::take(&mut self.tx);
        let mut evs = std::mem::take(&mut self.evs);
        let deadline = {
            let Some(core) = self.nodes[id as usize].core.as_mut() else {
                return;
            };
            while let Some(t) = core.poll_transmit() {
                tx.push(t);
            }
            while let Some(e) = core.poll_event() {
                evs.push(e);
            }
            core.poll_timeout()
        };
        for t in tx.drain(..) {
            self.route(id, t);
        }
        for e in evs.drain(..) {
            if self.cfg.trace == Some(e.member().id) {
                crate::trace::event(self.now, id, &e);
            }
            self.obs.event(self.now, id, &e, &self.faults);
        }
        self.obs.check_converged(self.now);
        self.tx = tx;
        self.evs = evs;
        if let Some(d) = deadline {
            let at = self.clock.nanos(d).max(self.now);
            let node = &mut self.nodes[id as usize];
            if node.armed.is_none_or(|a| at < a) {
                node.gen += 1;
                node.armed = Some(at);
                let gen = node.gen;
                self.push(at, What::Wake { node: id, gen });
            }
        }
    }

    fn route(&mut self, from: u32, t: Transmit<u32>) {
        let to = match &t.to {
            Destination::Member { id, .. } => Some(*id),
            Destination::Addr(a) => node_of(a),
        };
        self.traffic.sent(self.now, from, &t);
        if self.cfg.trace.is_some_and(|x| Some(x) == to || x == from) {
            crate::trace::message(self.now, from, to, &t);
        }
        let Some(to) = to.filter(|&to| (to as usize) < self.nodes.len()) else {
            self.traffic.dropped += 1;
            return;
        };
        match self.net.send(from, to) {
            Some(latency) => {
                let d = Delivery {
                    from,
                    to,
                    channel: t.channel,
                    payload: t.payload,
                };
                self.push(self.now + latency, What::Deliver(Box::new(d)));
            }
            None => self.traffic.dropped += 1,
        }
    }

    /// Delivers a message a liar made up, with the network's latency and
    /// loss but outside the traffic audit.
    pub(crate) fn inject(&mut self, from: u32, to: u32, payload: Vec<u8>) {
        if let Some(latency) = self.net.send(from, to) {
            let d = Delivery {
                from,
                to,
                channel: Channel::Probe,
                payload,
            };
            self.push(self.now + latency, What::Deliver(Box::new(d)));
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Attack { every } => {
                self.attack();
                self.push(self.now + every, What::Act(Action::Attack { every }));
            }
            Action::Crash(id) => self.crash(id),
            Action::Restart(id) => self.restart(id),
            Action::Pause(id) => {
                let node = &mut self.nodes[id as usize];
                if node.status == Status::Up {
                    node.status = Status::Paused;
                    self.faults.pauses += 1;
                }
            }
            Action::Resume(id) => self.resume(id),
            Action::SetLoss(p) => self.net.set_loss(p),
            Action::Partition(cuts) => {
                self.faults.partitioned(cuts.clone(), self.now);
                self.net.set_cuts(cuts);
            }
            Action::Heal => {
                self.faults.healed(self.now);
                self.net.set_cuts(Default::default());
                self.obs.measure_convergence_from(self.now);
            }
            Action::Churn { every, downtime } => {
                let up: Vec<u32> = (0..self.cfg.nodes)
                    .filter(|&i| self.nodes[i as usize].status == Status::Up)
                    .collect();
                if up.len() > 1 {
                    let victim = up[self.fault_rng.index(up.len())];
                    self.crash(victim);
                    self.push(self.now + downtime, What::Act(Action::Restart(victim)));
                }
                self.push(
                    self.now + every,
                    What::Act(Action::Churn { every, downtime }),
                );
            }
        }
    }

    fn crash(&mut self, id: u32) {
        let node = &mut self.nodes[id as usize];
        if node.status == Status::Down {
            return;
        }
        node.status = Status::Down;
        if let Some(core) = node.core.take() {
            self.gone.push(core.stats().clone());
        }
        node.gen += 1;
        node.armed = None;
        node.backlog.clear();
        self.faults.crashed(id, self.now);
        self.obs.crashed(id, self.now);
        self.traffic.set_live(self.now, self.obs.live_count());
    }

    fn restart(&mut self, id: u32) {
        if self.nodes[id as usize].status != Status::Down {
            return;
        }
        self.nodes[id as usize].lives += 1;
        let Ok(mut core) = self.new_core(id) else {
            return;
        };
        // Join through a random other live node.
        let up: Vec<u32> = (0..self.cfg.nodes)
            .filter(|&i| i != id && self.nodes[i as usize].status != Status::Down)
            .collect();
        let seeds: Vec<Addr> = if up.is_empty() {
            Vec::new()
        } else {
            vec![addr(up[self.fault_rng.index(up.len())])]
        };
        core.join(self.clock.instant(self.now), seeds);
        let node = &mut self.nodes[id as usize];
        node.core = Some(core);
        node.status = Status::Up;
        self.faults.restarted(id);
        self.obs.restarted(id, self.now);
        self.traffic.set_live(self.now, self.obs.live_count());
        self.after_input(id);
    }

    fn resume(&mut self, id: u32) {
        let now = self.clock.instant(self.now);
        if self.nodes[id as usize].status != Status::Paused {
            return;
        }
        self.nodes[id as usize].status = Status::Up;
        let backlog = std::mem::take(&mut self.nodes[id as usize].backlog);
        for d in backlog {
            if let Some(core) = self.nodes[id as usize].core.as_mut() {
                let _ = core.handle_message(now, d.from, d.channel, &d.payload);
            }
            self.after_input(id);
        }
        let node = &mut self.nodes[id as usize];
        node.armed = None;
        node.gen += 1;
        if let Some(core) = node.core.as_mut() {
            core.handle_timeout(now);
        }
        self.after_input(id);
    }
}
