//! Protocol configuration, its presets and its validation.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A configuration value that cannot work, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid config field `{field}`: {reason}")]
pub struct ConfigError {
    /// The field's name as written in this struct (and in config files).
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

fn bad(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        field,
        reason: reason.into(),
    }
}

/// Every tunable of the protocol. Start from [`Config::lan`] (lifebuoy's LAN
/// timings), [`Config::memberlist_lan`], [`Config::wan`] or [`Config::local`]
/// (memberlist's `DefaultLANConfig`, `DefaultWANConfig` and
/// `DefaultLocalConfig`) and change what you need; [`Config::validate`]
/// names the first field that cannot work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Cluster name carried in every message; messages from another cluster
    /// are dropped and counted. Default `"lifebuoy"`.
    pub cluster: String,
    /// Time between two probes (SWIM's protocol period T'). LAN 800 ms (memberlist 1 s).
    #[serde(with = "duration_ms")]
    pub probe_interval: Duration,
    /// How long to wait for a direct ack before asking others (ping-req). LAN 200 ms (memberlist 500 ms).
    #[serde(with = "duration_ms")]
    pub probe_timeout: Duration,
    /// How many members are asked to probe indirectly (SWIM's k). LAN 3.
    pub indirect_checks: usize,
    /// Minimum suspicion timeout is `suspicion_mult * max(1, log10(n)) * probe_interval`,
    /// but never below `suspicion_floor`. LAN 1 (memberlist 4).
    pub suspicion_mult: u32,
    /// Maximum suspicion timeout is this times the minimum (Lifeguard). LAN 10 (memberlist 6).
    pub suspicion_max_timeout_mult: u32,
    /// The minimum suspicion timeout never goes below this, whatever the
    /// cluster size: a live member that stalls for less (GC pause, SIGSTOP,
    /// VM migration) must still be able to refute. LAN 2 s; memberlist has
    /// no floor (0).
    #[serde(with = "duration_ms")]
    pub suspicion_floor: Duration,
    /// Independent confirmations (Lifeguard's K) that bring a suspicion's
    /// timeout from the maximum down to the minimum. LAN 2; memberlist uses
    /// `suspicion_mult - 2`. Clusters too small to provide them use the
    /// minimum at once.
    pub suspicion_confirmations: u32,
    /// How many members, on average, check a fresh suspicion themselves:
    /// a member that hears of one probes the suspect (ping and ping-req at
    /// once) with probability `suspicion_checkers / (n - 1)`, and confirms
    /// the suspicion if nothing answers within `probe_timeout`. This brings
    /// the confirmations in within a second instead of waiting for other
    /// members' random probes. LAN 8; 0 disables it (memberlist).
    pub suspicion_checkers: u32,
    /// Every this many probe periods the probe goes to this member's
    /// successor on the ring of member ids instead of the next member of the
    /// shuffled round-robin, so every member is probed at least once every
    /// `successor_every * probe_interval` while its predecessor is healthy,
    /// instead of after an exponentially distributed wait. LAN 2; 0
    /// disables it (memberlist).
    pub successor_every: u32,
    /// While the driver reports its connections (`Core::set_connected`), at
    /// most one round-robin probe in `ceil(n / first_contact_members)`
    /// probe periods goes to a member it has no connection to; the others go
    /// to a connected member at random, and the skipped member comes up
    /// again next round (its ring predecessor still probes it). The whole
    /// cluster then opens at most about `first_contact_members` connections
    /// per probe period, whatever its size. On QUIC a first contact is a
    /// handshake, and 150 nodes meshing at the full probe rate saturated
    /// two cores (docs/performance.md, N = 256). LAN 16 (no pacing up to 16
    /// members); 0 disables it (memberlist, and any driver that reports
    /// nothing).
    pub first_contact_members: u32,
    /// Each update is piggybacked up to `retransmit_mult * ceil(log10(n+1))` times. LAN 4.
    pub retransmit_mult: u32,
    /// Time between gossip-only messages while updates are queued. LAN 200 ms.
    #[serde(with = "duration_ms")]
    pub gossip_interval: Duration,
    /// Members sent a gossip message per gossip interval. LAN 3.
    pub gossip_nodes: usize,
    /// Base push-pull (anti-entropy) interval, scaled up with cluster size as
    /// memberlist does above 32 members. LAN 30 s. Zero disables periodic push-pull.
    #[serde(with = "duration_ms")]
    pub push_pull_interval: Duration,
    /// Time between push-pulls with a random Dead member, so that partitions
    /// heal by themselves. LAN 30 s. Zero disables reconnects.
    #[serde(with = "duration_ms")]
    pub reconnect_interval: Duration,
    /// Lifeguard local health: probe interval and timeout are multiplied by up
    /// to this factor while the local node looks unhealthy. LAN 8.
    pub awareness_max_multiplier: u32,
    /// Byte budget of every probe-channel message, gossip included. Default
    /// 1200, safe for QUIC datagrams and small streams.
    pub max_message_bytes: usize,
    /// Largest push-pull (full state) message accepted or sent. Default 8 MiB.
    pub max_sync_bytes: usize,
    /// Largest metadata (sum of key and value bytes) a member may publish. Default 512.
    pub metadata_limit: usize,
    /// Dead members are forgotten this long after they were declared dead.
    /// Until then they are retried for reconnection. Default 24 h (Serf's reconnect_timeout).
    #[serde(with = "duration_ms")]
    pub dead_retention: Duration,
    /// Left members are forgotten this long after they left. Default 24 h
    /// (Serf's tombstone_timeout).
    #[serde(with = "duration_ms")]
    pub left_retention: Duration,
    /// Largest number of members a view holds; claims about further members are
    /// dropped and counted. Default 100 000.
    pub max_members: usize,
    /// Largest number of updates queued for piggybacking; the most-sent are
    /// dropped first. Default 16 384.
    pub max_queued_updates: usize,
    /// While no other member is known, join push-pulls to the seeds are retried
    /// this often (doubling up to 32x). Default 1 s.
    #[serde(with = "duration_ms")]
    pub join_retry_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config::lan()
    }
}

impl Config {
    /// lifebuoy's LAN preset, tuned to detect a crashed member in about
    /// 3 s at 32 members (half of memberlist's LAN time) while a member
    /// that stalls for 2 s is never declared failed (docs/protocol.md,
    /// "Detection policy"): probe 800 ms / 200 ms with every other probe to
    /// the ring successor, k = 3, suspicion mult 1 with a 2 s floor, max
    /// mult 10, 2 confirmations gathered by 8 checkers, gossip 200 ms to 3,
    /// push-pull 30 s.
    pub fn lan() -> Config {
        Config {
            probe_interval: Duration::from_millis(800),
            probe_timeout: Duration::from_millis(200),
            suspicion_mult: 1,
            suspicion_max_timeout_mult: 10,
            suspicion_floor: Duration::from_secs(2),
            suspicion_confirmations: 2,
            suspicion_checkers: 8,
            successor_every: 2,
            first_contact_members: 16,
            ..Config::memberlist_lan()
        }
    }

    /// memberlist's `DefaultLANConfig`: probe 1 s / 500 ms, k = 3, suspicion
    /// mult 4 (2 confirmations, no floor, no checkers), max mult 6,
    /// retransmit mult 4, gossip 200 ms to 3, push-pull 30 s. The timings
    /// HashiCorp Serf and Consul run with, for side-by-side comparisons.
    pub fn memberlist_lan() -> Config {
        Config {
            cluster: "lifebuoy".to_owned(),
            probe_interval: Duration::from_secs(1),
            probe_timeout: Duration::from_millis(500),
            indirect_checks: 3,
            suspicion_mult: 4,
            suspicion_max_timeout_mult: 6,
            suspicion_floor: Duration::ZERO,
            suspicion_confirmations: 2,
            suspicion_checkers: 0,
            successor_every: 0,
            first_contact_members: 0,
            retransmit_mult: 4,
            gossip_interval: Duration::from_millis(200),
            gossip_nodes: 3,
            push_pull_interval: Duration::from_secs(30),
            reconnect_interval: Duration::from_secs(30),
            awareness_max_multiplier: 8,
            max_message_bytes: 1200,
            max_sync_bytes: 8 * 1024 * 1024,
            metadata_limit: 512,
            dead_retention: Duration::from_secs(24 * 3600),
            left_retention: Duration::from_secs(24 * 3600),
            max_members: 100_000,
            max_queued_updates: 16_384,
            join_retry_interval: Duration::from_secs(1),
        }
    }

    /// memberlist's `DefaultWANConfig`: probe 5 s / 3 s, suspicion mult 6,
    /// gossip 500 ms to 4, push-pull 60 s.
    pub fn wan() -> Config {
        Config {
            probe_interval: Duration::from_secs(5),
            probe_timeout: Duration::from_secs(3),
            suspicion_mult: 6,
            suspicion_confirmations: 4,
            gossip_interval: Duration::from_millis(500),
            gossip_nodes: 4,
            push_pull_interval: Duration::from_secs(60),
            reconnect_interval: Duration::from_secs(60),
            ..Config::memberlist_lan()
        }
    }

    /// memberlist's `DefaultLocalConfig` (loopback): probe 1 s / 200 ms, k = 1,
    /// suspicion mult 3, retransmit mult 2, gossip 100 ms, push-pull 15 s.
    pub fn local() -> Config {
        Config {
            probe_timeout: Duration::from_millis(200),
            indirect_checks: 1,
            suspicion_mult: 3,
            suspicion_confirmations: 1,
            retransmit_mult: 2,
            gossip_interval: Duration::from_millis(100),
            push_pull_interval: Duration::from_secs(15),
            reconnect_interval: Duration::from_secs(15),
            ..Config::memberlist_lan()
        }
    }

    /// A preset by name: `lan`, `memberlist-lan`, `wan` or `local`.
    pub fn preset(name: &str) -> Option<Config> {
        match name {
            "lan" => Some(Config::lan()),
            "memberlist-lan" => Some(Config::memberlist_lan()),
            "wan" => Some(Config::wan()),
            "local" => Some(Config::local()),
            _ => None,
        }
    }

    /// Checks every field; the error names the first one that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.cluster.is_empty() || self.cluster.len() > 64 {
            return Err(bad("cluster", "must be 1 to 64 bytes"));
        }
        if self.probe_interval < Duration::from_millis(10) {
            return Err(bad("probe_interval", "must be at least 10 ms"));
        }
        if self.probe_timeout.is_zero() {
            return Err(bad("probe_timeout", "must be greater than zero"));
        }
        if self.probe_timeout >= self.probe_interval {
            return Err(bad(
                "probe_timeout",
                format!(
                    "must be shorter than probe_interval ({:?} >= {:?})",
                    self.probe_timeout, self.probe_interval
                ),
            ));
        }
        if self.indirect_checks > 16 {
            return Err(bad("indirect_checks", "must be at most 16"));
        }
        if self.suspicion_mult == 0 {
            return Err(bad("suspicion_mult", "must be at least 1"));
        }
        if self.suspicion_max_timeout_mult == 0 {
            return Err(bad("suspicion_max_timeout_mult", "must be at least 1"));
        }
        if self.suspicion_confirmations > 16 {
            return Err(bad("suspicion_confirmations", "must be at most 16"));
        }
        if self.suspicion_floor > Duration::from_secs(3600) {
            return Err(bad("suspicion_floor", "must be at most one hour"));
        }
        if self.retransmit_mult == 0 {
            return Err(bad("retransmit_mult", "must be at least 1"));
        }
        if self.gossip_interval.is_zero() {
            return Err(bad("gossip_interval", "must be greater than zero"));
        }
        if self.awareness_max_multiplier == 0 {
            return Err(bad("awareness_max_multiplier", "must be at least 1"));
        }
        if !(512..=65_535).contains(&self.max_message_bytes) {
            return Err(bad("max_message_bytes", "must be between 512 and 65535"));
        }
        if self.max_sync_bytes < 64 * 1024 {
            return Err(bad("max_sync_bytes", "must be at least 65536"));
        }
        if self.metadata_limit > self.max_message_bytes / 2 {
            return Err(bad(
                "metadata_limit",
                format!(
                    "must be at most half of max_message_bytes ({})",
                    self.max_message_bytes / 2
                ),
            ));
        }
        if self.max_members < 2 {
            return Err(bad("max_members", "must be at least 2"));
        }
        if self.max_queued_updates < 16 {
            return Err(bad("max_queued_updates", "must be at least 16"));
        }
        if self.join_retry_interval.is_zero() {
            return Err(bad("join_retry_interval", "must be greater than zero"));
        }
        Ok(())
    }

    /// Minimum suspicion timeout for a cluster of `n` live members (memberlist's
    /// `suspicionTimeout`): `suspicion_mult * max(1, log10(n)) * probe_interval`,
    /// raised to `suspicion_floor`.
    pub fn suspicion_min(&self, n: usize) -> Duration {
        let scale = (n.max(1) as f64).log10().max(1.0);
        // memberlist truncates the scale to milli-units.
        let milli = (scale * 1000.0).floor() as u64;
        let scaled = self.probe_interval * self.suspicion_mult * milli as u32 / 1000;
        scaled.max(self.suspicion_floor)
    }

    /// Maximum suspicion timeout (Lifeguard): `suspicion_max_timeout_mult` times the minimum.
    pub fn suspicion_max(&self, n: usize) -> Duration {
        self.suspicion_min(n) * self.suspicion_max_timeout_mult
    }

    /// How many times an update is piggybacked: `retransmit_mult * ceil(log10(n+1))`.
    pub fn retransmit_limit(&self, n: usize) -> u32 {
        let scale = ((n + 1) as f64).log10().ceil().max(1.0) as u32;
        self.retransmit_mult * scale
    }

    /// Push-pull interval for `n` members: memberlist's `pushPullScale`, which
    /// adds one base interval per doubling above 32 members.
    pub fn push_pull_scaled(&self, n: usize) -> Duration {
        const THRESHOLD: usize = 32;
        if n <= THRESHOLD {
            return self.push_pull_interval;
        }
        let mult = ((n as f64).log2() - (THRESHOLD as f64).log2()).ceil() as u32 + 1;
        self.push_pull_interval * mult
    }
}

/// Durations travel through config files as integer milliseconds.
mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_match_memberlist() {
        for c in [
            Config::lan(),
            Config::memberlist_lan(),
            Config::wan(),
            Config::local(),
        ] {
            c.validate().expect("preset must validate");
        }
        let lan = Config::memberlist_lan();
        assert_eq!(lan.probe_interval, Duration::from_secs(1));
        assert_eq!(lan.probe_timeout, Duration::from_millis(500));
        assert_eq!(lan.indirect_checks, 3);
        assert_eq!(lan.suspicion_mult, 4);
        assert_eq!(lan.suspicion_max_timeout_mult, 6);
        assert_eq!(lan.retransmit_mult, 4);
        assert_eq!(lan.push_pull_interval, Duration::from_secs(30));
    }

    #[test]
    fn validation_names_the_bad_field() {
        let c = Config {
            probe_timeout: Duration::from_secs(2),
            ..Config::lan()
        };
        assert_eq!(c.validate().unwrap_err().field, "probe_timeout");
        let c = Config {
            metadata_limit: 10_000,
            ..Config::lan()
        };
        assert_eq!(c.validate().unwrap_err().field, "metadata_limit");
        let c = Config {
            retransmit_mult: 0,
            ..Config::lan()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("retransmit_mult"));
    }

    #[test]
    fn the_lan_minimum_suspicion_timeout_never_goes_below_its_floor() {
        let c = Config::lan();
        assert_eq!(c.suspicion_min(2), Duration::from_secs(2));
        assert_eq!(c.suspicion_min(32), Duration::from_secs(2));
        // 1 * log10(1000) * 0.8 s is above the floor.
        assert_eq!(c.suspicion_min(1000), Duration::from_millis(2400));
        assert_eq!(c.suspicion_max(32), Duration::from_secs(20));
    }

    #[test]
    fn suspicion_timeout_scales_with_log10_of_cluster_size_lifeguard_4() {
        let c = Config::memberlist_lan();
        assert_eq!(c.suspicion_min(1), Duration::from_secs(4));
        assert_eq!(c.suspicion_min(10), Duration::from_secs(4));
        assert_eq!(c.suspicion_min(1000), Duration::from_secs(12));
        assert_eq!(c.suspicion_max(1000), Duration::from_secs(72));
        // memberlist: 4 * 1.505 s = 6.02 s at n = 32
        assert_eq!(c.suspicion_min(32), Duration::from_millis(6020));
    }

    #[test]
    fn retransmit_limit_is_mult_times_ceil_log10_n_plus_1() {
        let c = Config::memberlist_lan();
        assert_eq!(c.retransmit_limit(1), 4);
        assert_eq!(c.retransmit_limit(9), 4);
        assert_eq!(c.retransmit_limit(10), 8);
        assert_eq!(c.retransmit_limit(1000), 16);
    }

    #[test]
    fn push_pull_interval_scales_like_memberlist() {
        let c = Config::lan();
        assert_eq!(c.push_pull_scaled(32), Duration::from_secs(30));
        assert_eq!(c.push_pull_scaled(33), Duration::from_secs(60));
        assert_eq!(c.push_pull_scaled(64), Duration::from_secs(60));
        assert_eq!(c.push_pull_scaled(65), Duration::from_secs(90));
    }

    #[test]
    fn config_round_trips_through_json_with_durations_in_ms() {
        let c = Config::wan();
        let s = serde_json_like(&c);
        assert!(s.contains("probe_interval"));
    }

    fn serde_json_like(c: &Config) -> String {
        // cbor round trip keeps the test free of a JSON dependency.
        let bytes = cbor4ii::serde::to_vec(Vec::new(), c).expect("encode");
        let back: Config = cbor4ii::serde::from_slice(&bytes).expect("decode");
        assert_eq!(&back, c);
        format!("{c:?}")
    }
}
