//! The network model: per-link latency, random loss and partitions
//! (symmetric or one-way) between groups of nodes.
//!
//! Every link `a -> b` has a fixed base latency derived from the run's seed
//! and the pair (so no N x N table is stored), plus per-message exponential
//! jitter. Loss drops each message independently with probability `loss`, on
//! both channels (a lost push-pull stands for a failed stream).

use lifebuoy_core::{Config, DetRng};

use crate::clock::Nanos;

/// A deployment profile: the core's preset plus a latency model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// One datacenter: `Config::lan()`, links 0.2–1 ms, jitter 0.1 ms.
    Lan,
    /// Across regions: `Config::wan()`, links 10–150 ms, jitter 5 ms.
    Wan,
    /// One host (loopback): `Config::local()`, links 20–60 µs, jitter 10 µs.
    Local,
}

impl Profile {
    /// The profile named `lan`, `wan` or `local`.
    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "lan" => Some(Profile::Lan),
            "wan" => Some(Profile::Wan),
            "local" => Some(Profile::Local),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Lan => "lan",
            Profile::Wan => "wan",
            Profile::Local => "local",
        }
    }

    /// The core configuration preset of the same name.
    pub fn config(self) -> Config {
        match self {
            Profile::Lan => Config::lan(),
            Profile::Wan => Config::wan(),
            Profile::Local => Config::local(),
        }
    }

    /// (minimum base latency, base latency spread, mean jitter) in nanoseconds.
    fn latency(self) -> (Nanos, Nanos, f64) {
        match self {
            Profile::Lan => (200_000, 800_000, 100_000.0),
            Profile::Wan => (10_000_000, 140_000_000, 5_000_000.0),
            Profile::Local => (20_000, 40_000, 10_000.0),
        }
    }
}

/// Who can send to whom: nodes are in groups, and some ordered group pairs
/// are cut.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cuts {
    /// Ordered (from-group, to-group) pairs that cannot communicate.
    pub(crate) blocked: Vec<(u8, u8)>,
}

impl Cuts {
    pub(crate) fn blocks(&self, from: u8, to: u8) -> bool {
        from != to && self.blocked.contains(&(from, to))
    }
}

/// The network: latency, loss and the partition currently in force.
#[derive(Debug)]
pub(crate) struct Network {
    profile: Profile,
    link_salt: u64,
    rng: DetRng,
    loss: f64,
    /// Each node's group, for partitions.
    group: Vec<u8>,
    cuts: Cuts,
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Network {
    pub(crate) fn new(profile: Profile, nodes: usize, rng: &mut DetRng) -> Self {
        Network {
            profile,
            link_salt: rng.next_u64(),
            rng: rng.fork(),
            loss: 0.0,
            group: vec![0; nodes],
            cuts: Cuts::default(),
        }
    }

    pub(crate) fn set_loss(&mut self, p: f64) {
        self.loss = p;
    }

    pub(crate) fn set_groups(&mut self, group: Vec<u8>) {
        self.group = group;
    }

    pub(crate) fn set_cuts(&mut self, cuts: Cuts) {
        self.cuts = cuts;
    }

    /// Whether the partition in force cuts `from -> to`.
    pub(crate) fn cut(&self, from: u32, to: u32) -> bool {
        !self.cuts.blocked.is_empty()
            && self
                .cuts
                .blocks(self.group[from as usize], self.group[to as usize])
    }

    /// Decides the fate of one message: `None` if it is dropped, else its latency.
    pub(crate) fn send(&mut self, from: u32, to: u32) -> Option<Nanos> {
        if self.cut(from, to) {
            return None;
        }
        if self.loss > 0.0 && self.rng.chance(self.loss) {
            return None;
        }
        let (min, spread, jitter) = self.profile.latency();
        let pair = (u64::from(from) << 32) | u64::from(to);
        let base = min + mix(pair ^ self.link_salt) % spread.max(1);
        // Exponential jitter; 1 - unit() is in (0, 1].
        let j = -jitter * (1.0 - self.rng.unit()).ln();
        Some(base + j as Nanos)
    }
}
