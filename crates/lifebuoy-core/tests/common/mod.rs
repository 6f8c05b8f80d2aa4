//! A tiny lossless network of cores on virtual time for behaviour tests.
//! The full simulator (faults, latency distributions, checkers) is
//! `lifebuoy-sim`; this is just enough to exercise one rule at a time.
#![allow(dead_code)]

pub mod signing;

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lifebuoy_core::wire::{self, Kind, Packet, Update};
use lifebuoy_core::{Addr, Channel, Config, Core, Destination, Event, MemberInfo, MemberState};

pub const LATENCY: Duration = Duration::from_millis(1);

pub fn addr(i: u32) -> Addr {
    Addr(i.to_be_bytes().to_vec())
}

/// LAN timings without periodic push-pull or reconnects, so a test sees
/// only the rule it exercises.
pub fn quiet() -> Config {
    Config {
        push_pull_interval: Duration::ZERO,
        reconnect_interval: Duration::ZERO,
        ..Config::lan()
    }
}

pub fn info(i: u32) -> MemberInfo {
    MemberInfo {
        name: format!("n{i}"),
        addrs: vec![addr(i)],
        meta: Default::default(),
    }
}

/// A message in flight.
#[derive(Debug, Clone)]
pub struct Flight {
    pub at: Instant,
    pub from: u32,
    pub to: u32,
    pub channel: Channel,
    pub payload: Vec<u8>,
}

impl Flight {
    pub fn packet(&self) -> Packet<u32> {
        wire::decode(&self.payload, 1 << 24).expect("own messages decode")
    }
}

/// Which piggybacked claims a message to a node loses: `(to, message
/// kind, claim)`.
pub type Lost = Box<dyn Fn(u32, &Kind<u32>, &Update<u32>) -> bool>;

pub struct Net {
    pub start: Instant,
    pub now: Instant,
    pub cores: Vec<Option<Core<u32>>>,
    pub flights: VecDeque<Flight>,
    /// Every message ever sent, for inspection.
    pub sent: Vec<Flight>,
    pub events: Vec<(Instant, u32, Event<u32>)>,
    /// Nodes whose traffic (in and out) is dropped.
    pub isolated: BTreeSet<u32>,
    /// Pairs (a, b) whose traffic is dropped in both directions.
    pub cut: BTreeSet<(u32, u32)>,
    /// Every node's public key, when the nodes sign their claims.
    pub keys: Option<Arc<Vec<ed25519_dalek::VerifyingKey>>>,
    /// Piggybacked claims lost on the way: `lost(to, update)` strips the
    /// claim from a message to `to`, the rest of the message arrives.
    pub lost: Option<Lost>,
}

impl Net {
    /// `n` nodes with `config`, each already knowing all others (restored).
    pub fn converged(n: u32, config: Config) -> Net {
        let mut net = Net::empty(n, config);
        let all: Vec<(u32, Arc<MemberInfo>, u64)> =
            (0..n).map(|i| (i, Arc::new(info(i)), 0)).collect();
        for c in net.cores.iter_mut().flatten() {
            let now = net.now;
            c.restore(now, all.iter().cloned());
        }
        net
    }

    /// `n` nodes signing their claims with ed25519, each already knowing
    /// all others with their signed Alive claims.
    pub fn converged_signed(n: u32, config: Config) -> Net {
        Net::converged_signed_with(n, |_| config.clone())
    }

    /// Like [`Net::converged_signed`], node `i` running `config_of(i)`.
    pub fn converged_signed_with(n: u32, config_of: impl Fn(u32) -> Config) -> Net {
        let mut net = Net::empty_with(n, config_of);
        let keys = signing::public_keys(n);
        for (i, c) in net.cores.iter_mut().enumerate() {
            let core = c.take().expect("running");
            *c = Some(core.with_auth(Box::new(signing::TestAuth::new(i as u32, keys.clone()))));
        }
        net.keys = Some(keys);
        let mut all = Vec::new();
        for i in 0..n {
            let claim = net.core_mut(i).signed_self_claim();
            all.push((i, Arc::new(info(i)), 0, Some(claim)));
        }
        for c in net.cores.iter_mut().flatten() {
            let now = net.now;
            c.restore_claims(now, all.iter().cloned());
        }
        net
    }

    /// `n` nodes that know nobody.
    pub fn empty(n: u32, config: Config) -> Net {
        Net::empty_with(n, |_| config.clone())
    }

    /// `n` nodes that know nobody, node `i` running `config_of(i)`.
    pub fn empty_with(n: u32, config_of: impl Fn(u32) -> Config) -> Net {
        let start = epoch();
        let cores = (0..n)
            .map(|i| {
                Some(
                    Core::new(config_of(i), i, info(i), 0, 1000 + u64::from(i), start)
                        .expect("valid"),
                )
            })
            .collect();
        Net {
            start,
            now: start,
            cores,
            flights: VecDeque::new(),
            sent: Vec::new(),
            events: Vec::new(),
            isolated: BTreeSet::new(),
            cut: BTreeSet::new(),
            keys: None,
            lost: None,
        }
    }

    pub fn core(&self, i: u32) -> &Core<u32> {
        self.cores[i as usize].as_ref().expect("node is running")
    }

    pub fn core_mut(&mut self, i: u32) -> &mut Core<u32> {
        self.cores[i as usize].as_mut().expect("node is running")
    }

    pub fn state_of(&self, observer: u32, member: u32) -> Option<MemberState> {
        self.core(observer).member(&member).map(|m| m.state)
    }

    pub fn incarnation_of(&self, observer: u32, member: u32) -> Option<u64> {
        self.core(observer).member(&member).map(|m| m.incarnation)
    }

    /// Crash a node: it stops, and messages to it vanish.
    pub fn crash(&mut self, i: u32) {
        self.cores[i as usize] = None;
    }

    /// Replace node `i` with a fresh core (same id, incarnation 0).
    pub fn restart(&mut self, i: u32, config: Config, seed_node: u32) {
        let mut c = Core::new(config, i, info(i), 0, 77 + u64::from(i), self.now).expect("valid");
        if let Some(k) = &self.keys {
            c = c.with_auth(Box::new(signing::TestAuth::new(i, k.clone())));
        }
        c.join(self.now, vec![addr(seed_node)]);
        self.cores[i as usize] = Some(c);
        self.drain(i);
    }

    fn blocked(&self, from: u32, to: u32) -> bool {
        self.isolated.contains(&from)
            || self.isolated.contains(&to)
            || self.cut.contains(&(from, to))
            || self.cut.contains(&(to, from))
    }

    /// Collect a node's output.
    pub fn drain(&mut self, i: u32) {
        let now = self.now;
        let Some(core) = self.cores[i as usize].as_mut() else {
            return;
        };
        while let Some(t) = core.poll_transmit() {
            let to = match &t.to {
                Destination::Member { id, .. } => *id,
                Destination::Addr(a) => {
                    u32::from_be_bytes(a.0.as_slice().try_into().expect("4-byte addr"))
                }
            };
            let f = Flight {
                at: now + LATENCY,
                from: i,
                to,
                channel: t.channel,
                payload: t.payload,
            };
            self.sent.push(f.clone());
            self.flights.push_back(f);
        }
        while let Some(e) = core.poll_event() {
            self.events.push((now, i, e));
        }
    }

    /// Runs until `until`, delivering messages and firing timers in time order.
    pub fn run_until(&mut self, until: Instant) {
        loop {
            let next_flight = self.flights.iter().map(|f| f.at).min();
            let next_timer = self
                .cores
                .iter()
                .flatten()
                .filter_map(|c| c.poll_timeout())
                .min();
            let next = match (next_flight, next_timer) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            if next > until {
                break;
            }
            self.now = next.max(self.now);
            // Deliver due messages in send order.
            let due: Vec<Flight> = {
                let (due, rest): (Vec<_>, Vec<_>) =
                    self.flights.drain(..).partition(|f| f.at <= self.now);
                self.flights = rest.into();
                due
            };
            for mut f in due {
                if self.blocked(f.from, f.to) {
                    continue;
                }
                self.strip_lost(&mut f);
                let now = self.now;
                // Messages to ids outside the net (made-up members) are lost.
                if let Some(c) = self.cores.get_mut(f.to as usize).and_then(Option::as_mut) {
                    let _ = c.handle_message(now, f.from, f.channel, &f.payload);
                    self.drain(f.to);
                }
            }
            for i in 0..self.cores.len() as u32 {
                let now = self.now;
                if let Some(c) = self.cores[i as usize].as_mut() {
                    if c.poll_timeout().is_some_and(|t| t <= now) {
                        c.handle_timeout(now);
                        self.drain(i);
                    }
                }
            }
        }
        self.now = until.max(self.now);
    }

    /// Removes the piggybacked claims `self.lost` says are lost.
    fn strip_lost(&self, f: &mut Flight) {
        let Some(lost) = &self.lost else { return };
        let Ok(mut packet) = wire::decode::<u32>(&f.payload, 1 << 24) else {
            return;
        };
        let before = packet.gossip.len();
        let kind = packet.kind.clone();
        packet
            .gossip
            .retain(|g| !wire::decode_update(g).is_ok_and(|u| lost(f.to, &kind, &u)));
        if packet.gossip.len() != before {
            f.payload = wire::encode(&packet).expect("re-encode");
        }
    }

    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Events of a kind about `member` seen by anyone.
    pub fn events_about(&self, member: u32, name: &str) -> Vec<(Instant, u32)> {
        self.events
            .iter()
            .filter(|(_, _, e)| e.member().id == member && e.name() == name)
            .map(|(t, o, _)| (*t, *o))
            .collect()
    }

    pub fn kinds_sent(&self, from: u32, pred: impl Fn(&Kind<u32>) -> bool) -> usize {
        self.sent
            .iter()
            .filter(|f| f.from == from && pred(&f.packet().kind))
            .count()
    }
}

/// The one clock reading in the core's tests: an arbitrary origin for
/// virtual time. Tests never read the clock again.
pub fn epoch() -> Instant {
    Instant::now()
}
