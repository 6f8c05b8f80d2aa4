//! `lifebuoy run` settings: flags, `LIFEBUOY_*` environment variables and a
//! TOML file, resolved with the precedence flag > env > file > default.
//!
//! clap merges a flag with its environment variable, so the resolution
//! here only has to put the file below them.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use lifebuoy::libp2p::pnet::PreSharedKey;
use lifebuoy::libp2p::{Multiaddr, PeerId};
use lifebuoy::Metadata;
use serde::de::DeserializeOwned;

/// Default API address.
pub const DEFAULT_API: &str = "127.0.0.1:7373";
/// Default listen addresses.
pub const DEFAULT_LISTEN: [&str; 2] = ["/ip4/0.0.0.0/udp/7946/quic-v1", "/ip4/0.0.0.0/tcp/7946"];
/// File name of the identity inside the data directory.
pub const IDENTITY_FILE: &str = "node.key";

/// Protocol profile presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// lifebuoy's LAN timings: probe 800 ms / 200 ms, ring probes, 2 s suspicion floor.
    Lan,
    /// memberlist's WAN defaults: probe 5 s / 3 s, push-pull 60 s.
    Wan,
    /// memberlist's loopback defaults: probe 1 s / 200 ms, suspicion mult 3.
    Local,
}

impl Profile {
    fn parse(s: &str) -> Option<Profile> {
        match s {
            "lan" => Some(Profile::Lan),
            "wan" => Some(Profile::Wan),
            "local" => Some(Profile::Local),
            _ => None,
        }
    }

    /// The protocol configuration of this preset.
    pub fn config(self) -> lifebuoy::core::Config {
        match self {
            Profile::Lan => lifebuoy::core::Config::lan(),
            Profile::Wan => lifebuoy::core::Config::wan(),
            Profile::Local => lifebuoy::core::Config::local(),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Start a lifebuoy node and serve its HTTP admin API.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Precedence: flag > LIFEBUOY_* environment variable > config file > default. \
Exit codes: 0 success (including a graceful leave on SIGINT/SIGTERM), 1 runtime failure, 2 usage or configuration error."
)]
pub struct RunArgs {
    /// TOML configuration file: top-level keys mirror these flags (name, listen,
    /// bootstrap, identity, data_dir, api, api_token, api_open, profile, meta,
    /// log_format, events_json, cluster, psk_file, allow_peers, relay, nat,
    /// testnet, external),
    /// and a [protocol] table overrides individual protocol settings (durations in ms).
    #[arg(long, value_name = "FILE", env = "LIFEBUOY_CONFIG")]
    pub config: Option<PathBuf>,

    /// The node's name, shown to every member [default: the host name].
    #[arg(long, value_name = "NAME", env = "LIFEBUOY_NAME")]
    pub name: Option<String>,

    /// Address to listen on, as a multiaddr; repeat or separate with commas
    /// [default: /ip4/0.0.0.0/udp/7946/quic-v1 and /ip4/0.0.0.0/tcp/7946].
    #[arg(long, value_name = "MULTIADDR", env = "LIFEBUOY_LISTEN", value_delimiter = ',', num_args = 1..)]
    pub listen: Vec<Multiaddr>,

    /// Address of a member to join through, e.g. /ip4/10.0.0.1/udp/7946/quic-v1
    /// (the /p2p/<id> suffix is optional); repeat or separate with commas.
    /// Without any, the node starts a new cluster.
    #[arg(long, value_name = "MULTIADDR", env = "LIFEBUOY_BOOTSTRAP", value_delimiter = ',', num_args = 1..)]
    pub bootstrap: Vec<Multiaddr>,

    /// The node's key file, created (mode 0600) if missing [default: DATA_DIR/node.key].
    #[arg(long, value_name = "FILE", env = "LIFEBUOY_IDENTITY")]
    pub identity: Option<PathBuf>,

    /// Directory for the node's state [default: $XDG_DATA_HOME/lifebuoy or ~/.local/share/lifebuoy].
    #[arg(long, value_name = "DIR", env = "LIFEBUOY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Where the HTTP admin API, /metrics and the dashboard listen [default: 127.0.0.1:7373].
    /// An address other than loopback requires an API token.
    #[arg(long, value_name = "ADDR", env = "LIFEBUOY_API")]
    pub api: Option<SocketAddr>,

    /// Token every API request must carry (`Authorization: Bearer TOKEN`);
    /// others get 401. Required when --api is not a loopback address. Prefer
    /// the environment variable or the config file: flags show in `ps`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "LIFEBUOY_API_TOKEN",
        hide_env_values = true
    )]
    pub api_token: Option<String>,

    /// Endpoints served without the API token: metrics (/metrics), health (/healthz);
    /// repeat or separate with commas.
    #[arg(long, value_enum, value_name = "ENDPOINT", env = "LIFEBUOY_API_OPEN", value_delimiter = ',', num_args = 1..)]
    pub api_open: Vec<OpenEndpoint>,

    /// PeerId allowed to join; repeat or separate with commas. With any, only
    /// these peers may connect, and claims about other members are dropped.
    #[arg(long = "allow-peer", value_name = "PEER_ID", env = "LIFEBUOY_ALLOW_PEERS", value_delimiter = ',', num_args = 1..)]
    pub allow_peers: Vec<PeerId>,

    /// Protocol timing preset: lan (default), wan, or local (loopback and tests).
    #[arg(long, value_enum, env = "LIFEBUOY_PROFILE")]
    pub profile: Option<Profile>,

    /// Metadata published with this node, as k=v; repeat or separate with commas.
    /// Replaces the config file's [meta] entirely.
    #[arg(long, value_name = "K=V", env = "LIFEBUOY_META", value_delimiter = ',', num_args = 1.., value_parser = parse_kv)]
    pub meta: Vec<(String, String)>,

    /// Log format on stderr: text (default) or json. RUST_LOG filters (default info).
    #[arg(long, value_enum, env = "LIFEBUOY_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,

    /// Cluster name carried in every message; messages from another cluster are
    /// refused, logged and counted [default: lifebuoy]. Overrides [protocol] cluster.
    #[arg(long, value_name = "NAME", env = "LIFEBUOY_CLUSTER")]
    pub cluster: Option<String>,

    /// Pre-shared key file (`lifebuoy keygen --psk`): only nodes holding the same key
    /// can connect (libp2p private network). TCP only: QUIC is off, and QUIC
    /// listen or bootstrap addresses are refused.
    #[arg(long, value_name = "FILE", env = "LIFEBUOY_PSK_FILE")]
    pub psk_file: Option<PathBuf>,

    /// Print one JSON line per membership change on stdout:
    /// {"ev":"join"|"leave"|"update"|"suspect","node":NAME,"peer_id":ID,"state":STATE,"t_ms":CLOCK_MONOTONIC_MS}.
    #[arg(long, env = "LIFEBUOY_EVENTS_JSON")]
    pub events_json: bool,

    /// Run as a bootstrap and relay node: serve Circuit Relay v2 to members
    /// behind NAT and answer their AutoNAT probes. Needs a public address
    /// (see docs/testnet.md).
    #[arg(long, env = "LIFEBUOY_RELAY")]
    pub relay: bool,

    /// Turn NAT traversal off (no AutoNAT, relay reservations or hole punching).
    #[arg(long, env = "LIFEBUOY_NO_NAT")]
    pub no_nat: bool,

    /// Join the public testnet through the bootstrap nodes built into this
    /// binary (testnet/bootstrap.txt), in addition to any --bootstrap.
    #[arg(long, env = "LIFEBUOY_TESTNET")]
    pub testnet: bool,

    /// An address others reach this node at (e.g. a forwarded port), as a
    /// multiaddr; gossiped first. Repeat or separate with commas.
    #[arg(long, value_name = "MULTIADDR", env = "LIFEBUOY_EXTERNAL", value_delimiter = ',', num_args = 1..)]
    pub external: Vec<Multiaddr>,
}

/// API endpoints that can be served without the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OpenEndpoint {
    /// `GET /metrics` (Prometheus).
    Metrics,
    /// `GET /healthz`.
    Health,
}

impl OpenEndpoint {
    fn parse(s: &str) -> Option<OpenEndpoint> {
        match s {
            "metrics" => Some(OpenEndpoint::Metrics),
            "health" => Some(OpenEndpoint::Health),
            _ => None,
        }
    }
}

/// Parses `k=v` (clap value parser; the error reads `expected k=v`).
pub fn parse_kv(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err("expected k=v".to_owned()),
    }
}

/// Everything `lifebuoy run` needs, resolved and validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub name: String,
    pub listen: Vec<Multiaddr>,
    pub bootstrap: Vec<Multiaddr>,
    pub identity: PathBuf,
    pub api: SocketAddr,
    pub protocol: lifebuoy::core::Config,
    pub meta: Metadata,
    pub log_format: LogFormat,
    pub events_json: bool,
    /// Serve Circuit Relay v2.
    pub relay: bool,
    /// NAT traversal on.
    pub nat: bool,
    /// Addresses confirmed as external.
    pub external: Vec<Multiaddr>,
    pub psk: Option<PreSharedKey>,
    pub api_token: Option<String>,
    pub api_open: Vec<OpenEndpoint>,
    pub allow_peers: Option<HashSet<PeerId>>,
}

/// What a config file may hold.
#[derive(Debug, Default)]
struct FileConfig {
    name: Option<String>,
    listen: Option<Vec<Multiaddr>>,
    bootstrap: Option<Vec<Multiaddr>>,
    identity: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    api: Option<SocketAddr>,
    profile: Option<Profile>,
    meta: Option<Metadata>,
    log_format: Option<LogFormat>,
    events_json: Option<bool>,
    relay: Option<bool>,
    nat: Option<bool>,
    testnet: Option<bool>,
    external: Option<Vec<Multiaddr>>,
    cluster: Option<String>,
    psk_file: Option<PathBuf>,
    api_token: Option<String>,
    api_open: Option<Vec<OpenEndpoint>>,
    allow_peers: Option<Vec<PeerId>>,
    protocol: toml::Table,
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "name",
    "listen",
    "bootstrap",
    "identity",
    "data_dir",
    "api",
    "profile",
    "meta",
    "log_format",
    "events_json",
    "relay",
    "nat",
    "testnet",
    "external",
    "cluster",
    "psk_file",
    "api_token",
    "api_open",
    "allow_peers",
    "protocol",
];

fn typed<T: DeserializeOwned>(key: &str, value: toml::Value) -> anyhow::Result<T> {
    value
        .try_into::<T>()
        .map_err(|e| anyhow!("invalid value for `{key}`: {}", e.message().trim()))
}

fn parse_list<T: std::str::FromStr>(key: &str, value: toml::Value) -> anyhow::Result<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    let raw: Vec<String> = typed(key, value)?;
    raw.iter()
        .map(|s| {
            s.parse::<T>()
                .map_err(|e| anyhow!("invalid value for `{key}`: `{s}`: {e}"))
        })
        .collect()
}

fn parse_one<T: std::str::FromStr>(key: &str, value: toml::Value) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    let raw: String = typed(key, value)?;
    raw.parse::<T>()
        .map_err(|e| anyhow!("invalid value for `{key}`: `{raw}`: {e}"))
}

fn parse_file_text(text: &str) -> anyhow::Result<FileConfig> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| anyhow!("{}", e.to_string().trim()))?;
    let mut f = FileConfig::default();
    for (key, value) in table {
        match key.as_str() {
            "name" => f.name = Some(typed(&key, value)?),
            "listen" => f.listen = Some(parse_list(&key, value)?),
            "bootstrap" => f.bootstrap = Some(parse_list(&key, value)?),
            "identity" => f.identity = Some(typed(&key, value)?),
            "data_dir" => f.data_dir = Some(typed(&key, value)?),
            "api" => f.api = Some(parse_one(&key, value)?),
            "profile" => {
                let s: String = typed(&key, value)?;
                f.profile = Some(Profile::parse(&s).ok_or_else(|| {
                    anyhow!("invalid value for `profile`: `{s}`: expected lan, wan or local")
                })?);
            }
            "meta" => f.meta = Some(typed::<BTreeMap<String, String>>(&key, value)?),
            "log_format" => {
                let s: String = typed(&key, value)?;
                f.log_format = Some(match s.as_str() {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    _ => bail!("invalid value for `log_format`: `{s}`: expected text or json"),
                });
            }
            "events_json" => f.events_json = Some(typed(&key, value)?),
            "relay" => f.relay = Some(typed(&key, value)?),
            "nat" => f.nat = Some(typed(&key, value)?),
            "testnet" => f.testnet = Some(typed(&key, value)?),
            "external" => f.external = Some(parse_list(&key, value)?),
            "cluster" => f.cluster = Some(typed(&key, value)?),
            "psk_file" => f.psk_file = Some(typed(&key, value)?),
            "api_token" => f.api_token = Some(typed(&key, value)?),
            "api_open" => {
                let raw: Vec<String> = typed(&key, value)?;
                let mut v = Vec::new();
                for e in raw {
                    v.push(OpenEndpoint::parse(&e).ok_or_else(|| {
                        anyhow!("invalid value for `api_open`: `{e}`: expected metrics or health")
                    })?);
                }
                f.api_open = Some(v);
            }
            "allow_peers" => f.allow_peers = Some(parse_list(&key, value)?),
            "protocol" => {
                let toml::Value::Table(t) = value else {
                    bail!("invalid value for `protocol`: expected a table ([protocol])");
                };
                let known = protocol_table(&lifebuoy::core::Config::lan())?;
                if let Some(unknown) = t.keys().find(|k| !known.contains_key(*k)) {
                    bail!("unknown key `{unknown}` in [protocol]");
                }
                f.protocol = t;
            }
            other => bail!(
                "unknown key `{other}` (expected one of: {})",
                TOP_LEVEL_KEYS.join(", ")
            ),
        }
    }
    Ok(f)
}

fn protocol_table(config: &lifebuoy::core::Config) -> anyhow::Result<toml::Table> {
    toml::Table::try_from(config).context("cannot represent the protocol configuration")
}

/// Applies `[protocol]` overrides on top of `base`, naming the key of any bad value.
fn overlay_protocol(
    base: &lifebuoy::core::Config,
    overrides: &toml::Table,
) -> anyhow::Result<lifebuoy::core::Config> {
    let mut merged = protocol_table(base)?;
    for (key, value) in overrides {
        merged.insert(key.clone(), value.clone());
        if let Err(e) = lifebuoy::core::Config::deserialize_from(&merged) {
            bail!("invalid value for `{key}` in [protocol]: {e}");
        }
    }
    let config = lifebuoy::core::Config::deserialize_from(&merged)
        .map_err(|e| anyhow!("[protocol]: {e}"))?;
    Ok(config)
}

trait FromTable: Sized {
    fn deserialize_from(t: &toml::Table) -> Result<Self, String>;
}

impl FromTable for lifebuoy::core::Config {
    fn deserialize_from(t: &toml::Table) -> Result<Self, String> {
        toml::Value::Table(t.clone())
            .try_into::<lifebuoy::core::Config>()
            .map_err(|e| e.message().trim().to_owned())
    }
}

/// The default data directory: `$XDG_DATA_HOME/lifebuoy` or `~/.local/share/lifebuoy`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("lifebuoy");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/lifebuoy");
    }
    PathBuf::from(".lifebuoy")
}

/// The identity file for `--identity` / `--data-dir` (both optional).
pub fn identity_path(identity: Option<PathBuf>, data_dir: Option<PathBuf>) -> PathBuf {
    identity.unwrap_or_else(|| {
        data_dir
            .unwrap_or_else(default_data_dir)
            .join(IDENTITY_FILE)
    })
}

fn host_name() -> String {
    let uname = rustix::system::uname();
    let name = uname.nodename().to_string_lossy().into_owned();
    if name.is_empty() {
        "lifebuoy".to_owned()
    } else {
        name
    }
}

/// The `api_token` of a config file, for the client commands.
pub fn api_token_from_file(path: &Path) -> anyhow::Result<Option<String>> {
    Ok(read_file(path)?.api_token)
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("config file {}: {e}", path.display()))?;
    parse_file_text(&text).map_err(|e| anyhow!("config file {}: {e}", path.display()))
}

/// Resolves flags (with their env variables), the config file and defaults.
/// Every error is a usage/configuration error (exit code 2).
pub fn resolve(args: RunArgs) -> anyhow::Result<Settings> {
    let file = match &args.config {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    let location = args
        .config
        .as_ref()
        .map(|p| format!("config file {}: ", p.display()))
        .unwrap_or_default();

    let profile = args.profile.or(file.profile).unwrap_or(Profile::Lan);
    let mut protocol = overlay_protocol(&profile.config(), &file.protocol)
        .map_err(|e| anyhow!("{location}{e}"))?;
    if let Some(cluster) = args.cluster.or(file.cluster) {
        protocol.cluster = cluster;
    }
    protocol
        .validate()
        .map_err(|e| anyhow!("{location}[protocol] {e}"))?;

    let pick_list = |flag: Vec<Multiaddr>, file: Option<Vec<Multiaddr>>| {
        if flag.is_empty() {
            file.unwrap_or_default()
        } else {
            flag
        }
    };
    let mut listen = pick_list(args.listen, file.listen);
    let listen_given = !listen.is_empty();
    if listen.is_empty() {
        listen = DEFAULT_LISTEN
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
    }
    let mut bootstrap = pick_list(args.bootstrap, file.bootstrap);
    if args.testnet || file.testnet.unwrap_or(false) {
        bootstrap.extend(super::testnet::bootstrap_nodes()?);
    }
    let external = pick_list(args.external, file.external);
    let psk = match args.psk_file.or(file.psk_file) {
        Some(path) => Some(read_psk(&path)?),
        None => None,
    };
    if psk.is_some() {
        if !listen_given {
            listen.retain(|a| !is_quic(a));
        }
        for (what, addrs) in [("--listen", &listen), ("--bootstrap", &bootstrap)] {
            if let Some(a) = addrs.iter().find(|a| is_quic(a)) {
                bail!(
                    "invalid value for {what}: {a} is a QUIC address, but a pre-shared key \
                     (--psk-file) works on TCP only; use /ip4/.../tcp/PORT addresses"
                );
            }
        }
    }

    let meta: Metadata = if args.meta.is_empty() {
        file.meta.unwrap_or_default()
    } else {
        args.meta.into_iter().collect()
    };
    let meta_size = lifebuoy::core::metadata_size(&meta);
    if meta_size > protocol.metadata_limit {
        bail!(
            "invalid value for --meta: {meta_size} bytes of metadata exceed the limit of {} (protocol.metadata_limit)",
            protocol.metadata_limit
        );
    }

    let name = args.name.or(file.name).unwrap_or_else(host_name);
    if name.is_empty() {
        bail!("invalid value for --name: must not be empty");
    }
    let api = match args.api.or(file.api) {
        Some(a) => a,
        None => DEFAULT_API.parse().context("default API address")?,
    };
    let api_token = args.api_token.or(file.api_token);
    if api_token.as_deref().is_some_and(|t| t.trim().len() < 16) {
        bail!("invalid value for --api-token: use at least 16 characters (e.g. `openssl rand -hex 16`)");
    }
    if !api.ip().is_loopback() && api_token.is_none() {
        bail!(
            "--api {api} is not a loopback address: set an API token (--api-token, \
             LIFEBUOY_API_TOKEN or api_token in the config file) so that only holders \
             of the token can use the API, or bind it to 127.0.0.1"
        );
    }
    let api_open = if args.api_open.is_empty() {
        file.api_open.unwrap_or_default()
    } else {
        args.api_open
    };
    let allow_peers = if args.allow_peers.is_empty() {
        file.allow_peers.filter(|v| !v.is_empty())
    } else {
        Some(args.allow_peers)
    }
    .map(|v| v.into_iter().collect::<HashSet<_>>());
    Ok(Settings {
        name,
        listen,
        bootstrap,
        identity: identity_path(
            args.identity.or(file.identity),
            args.data_dir.or(file.data_dir),
        ),
        api,
        protocol,
        meta,
        log_format: args.log_format.or(file.log_format).unwrap_or_default(),
        events_json: args.events_json || file.events_json.unwrap_or(false),
        relay: args.relay || file.relay.unwrap_or(false),
        nat: !args.no_nat && file.nat.unwrap_or(true),
        external,
        psk,
        api_token,
        api_open,
        allow_peers,
    })
}

/// Whether `addr` is a QUIC address (a private network cannot use QUIC).
fn is_quic(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| {
        matches!(
            p,
            lifebuoy::libp2p::multiaddr::Protocol::QuicV1
                | lifebuoy::libp2p::multiaddr::Protocol::Quic
        )
    })
}

/// Reads a pre-shared key in the `/key/swarm/psk/1.0.0/` format.
pub fn read_psk(path: &Path) -> anyhow::Result<PreSharedKey> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("pre-shared key file {}: {e}", path.display()))?;
    text.trim_end().parse::<PreSharedKey>().map_err(|e| {
        anyhow!(
            "pre-shared key file {} is not a /key/swarm/psk/1.0.0/ key ({e}); create one with `lifebuoy keygen --psk --out FILE`",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_protocol_keys_are_named_with_their_table() {
        let err = parse_file_text("[protocol]\nprobe_intervall = 5\n")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unknown key `probe_intervall` in [protocol]")
        );
    }

    #[test]
    fn protocol_overrides_apply_on_top_of_the_chosen_profile() {
        let f = parse_file_text("profile = \"local\"\n[protocol]\nprobe_interval = 2000\n")
            .expect("parse");
        let c =
            overlay_protocol(&f.profile.expect("profile").config(), &f.protocol).expect("overlay");
        assert_eq!(c.probe_interval, std::time::Duration::from_secs(2));
        assert_eq!(
            c.probe_timeout,
            lifebuoy::core::Config::local().probe_timeout
        );
    }

    #[test]
    fn a_badly_typed_protocol_value_names_its_key() {
        let f = parse_file_text("[protocol]\nprobe_interval = \"1s\"\n").expect("parse");
        let err = overlay_protocol(&lifebuoy::core::Config::lan(), &f.protocol)
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("invalid value for `probe_interval` in [protocol]")),
            "{err:?}"
        );
    }

    #[test]
    fn meta_flags_must_be_key_value_pairs() {
        assert_eq!(parse_kv("role=web"), Ok(("role".into(), "web".into())));
        assert_eq!(parse_kv("role"), Err("expected k=v".into()));
        assert_eq!(parse_kv("=x"), Err("expected k=v".into()));
    }
}
