//! The transports a [`crate::Node`] runs on.

use std::time::Duration;

use libp2p::core::muxing::StreamMuxerBox;
use libp2p::core::transport::{Boxed, MemoryTransport};
use libp2p::core::upgrade::Version;
use libp2p::identity::Keypair;
use libp2p::pnet::{PnetConfig, PreSharedKey};
use libp2p::{noise, yamux, PeerId, Transport as _};

use crate::error::Error;

/// Which transports a [`crate::Node`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportKind {
    /// QUIC and TCP + Noise + Yamux (as enabled by the crate features),
    /// behind DNS resolution for `/dns4`, `/dns6` and `/dns` addresses.
    #[default]
    Network,
    /// The in-process memory transport (`/memory/N` addresses) with Noise
    /// and Yamux: for tests and simulations inside one process.
    Memory,
}

const UPGRADE_TIMEOUT: Duration = Duration::from_secs(20);

type Output = (PeerId, StreamMuxerBox);

/// Builds the transport; `idle` is the swarm's idle connection timeout,
/// used to keep QUIC's own keep-alives from firing on connections that
/// are about to be closed anyway.
/// With `relay`, `/p2p-circuit` addresses are dialed and listened on
/// through Circuit Relay v2 (Noise + Yamux inside the circuit).
/// With a pre-shared key every connection first runs the libp2p
/// private-network handshake (pnet), and QUIC, which pnet cannot wrap, is
/// left out.
pub(crate) fn build(
    kp: &Keypair,
    kind: TransportKind,
    idle: Duration,
    relay: Option<libp2p::relay::client::Transport>,
    psk: Option<PreSharedKey>,
) -> Result<Boxed<Output>, Error> {
    let base = base(kp, kind, idle, psk)?;
    let Some(relay) = relay else {
        return Ok(base);
    };
    let relayed = relay
        .upgrade(Version::V1Lazy)
        .authenticate(noise::Config::new(kp).map_err(|e| Error::Transport(e.to_string()))?)
        .multiplex(yamux::Config::default())
        .timeout(UPGRADE_TIMEOUT)
        .boxed();
    Ok(relayed
        .or_transport(base)
        .map(|e, _| e.into_inner())
        .boxed())
}

fn base(
    kp: &Keypair,
    kind: TransportKind,
    idle: Duration,
    psk: Option<PreSharedKey>,
) -> Result<Boxed<Output>, Error> {
    let noise = || noise::Config::new(kp).map_err(|e| Error::Transport(e.to_string()));
    match (kind, psk) {
        (TransportKind::Memory, None) => Ok(MemoryTransport::default()
            .upgrade(Version::V1)
            .authenticate(noise()?)
            .multiplex(yamux::Config::default())
            .timeout(UPGRADE_TIMEOUT)
            .boxed()),
        (TransportKind::Memory, Some(psk)) => Ok(MemoryTransport::default()
            .and_then(move |socket, _| PnetConfig::new(psk).handshake(socket))
            .upgrade(Version::V1)
            .authenticate(noise()?)
            .multiplex(yamux::Config::default())
            .timeout(UPGRADE_TIMEOUT)
            .boxed()),
        (TransportKind::Network, psk) => network(kp, idle, psk),
    }
}

/// Whether `addr` needs QUIC, which a private network (pnet) cannot use.
pub(crate) fn is_quic(addr: &libp2p::Multiaddr) -> bool {
    addr.iter().any(|p| {
        matches!(
            p,
            libp2p::multiaddr::Protocol::QuicV1 | libp2p::multiaddr::Protocol::Quic
        )
    })
}

/// Streams the remote may have open at once on one QUIC connection.
#[cfg(feature = "quic")]
const MAX_STREAMS_PER_CONNECTION: u32 = 32;

#[allow(unused_variables, unused_mut, unused_assignments)]
fn network(
    kp: &Keypair,
    idle: Duration,
    psk: Option<PreSharedKey>,
) -> Result<Boxed<Output>, Error> {
    let mut transport: Option<Boxed<Output>> = None;
    #[cfg(feature = "quic")]
    if psk.is_none() {
        // Path MTU discovery sends padded probes of up to 1452 bytes on every
        // new connection (and again every 10 minutes); lifebuoy's probe
        // messages fit in QUIC's minimum 1200-byte datagram, so it only costs.
        let mut cfg = libp2p::quic::Config::new(kp).disable_path_mtu_discovery();
        // QUIC pings an idle connection every `keep_alive_interval`; the swarm
        // closes idle connections first, so the pings never dominate traffic.
        cfg.keep_alive_interval = idle + Duration::from_secs(1);
        cfg.max_idle_timeout =
            u32::try_from((idle * 2 + Duration::from_secs(5)).as_millis()).unwrap_or(u32::MAX);
        // quinn sets up the state of every stream the remote may open as soon
        // as the connection starts: at libp2p's default of 256 that was about
        // 40 KiB a connection (heaptrack, N = 32). A membership connection
        // carries one stream per channel each way plus identify, AutoNAT and
        // DCUtR; a remote that wants more waits for one to close.
        cfg.max_concurrent_stream_limit = MAX_STREAMS_PER_CONNECTION;
        let quic = libp2p::quic::tokio::Transport::new(cfg)
            .map(|(p, c), _| (p, StreamMuxerBox::new(c)))
            .boxed();
        transport = Some(quic);
    }
    #[cfg(feature = "tcp")]
    {
        let base = libp2p::tcp::tokio::Transport::new(libp2p::tcp::Config::default().nodelay(true));
        let noise = noise::Config::new(kp).map_err(|e| Error::Transport(e.to_string()))?;
        let tcp = match psk {
            None => base
                .upgrade(Version::V1Lazy)
                .authenticate(noise)
                .multiplex(yamux::Config::default())
                .timeout(UPGRADE_TIMEOUT)
                .boxed(),
            Some(psk) => base
                .and_then(move |socket, _| PnetConfig::new(psk).handshake(socket))
                .upgrade(Version::V1Lazy)
                .authenticate(noise)
                .multiplex(yamux::Config::default())
                .timeout(UPGRADE_TIMEOUT)
                .boxed(),
        };
        transport = Some(match transport {
            Some(t) => t.or_transport(tcp).map(|e, _| e.into_inner()).boxed(),
            None => tcp,
        });
    }
    let Some(inner) = transport else {
        return Err(Error::Transport(if psk.is_some() {
            "a pre-shared key needs the `tcp` feature (pnet cannot wrap QUIC)".into()
        } else {
            "no transport enabled: turn on the `quic` or `tcp` feature".into()
        }));
    };
    let dns = match libp2p::dns::tokio::Transport::system(inner) {
        Ok(t) => t.boxed(),
        Err(e) => {
            return Err(Error::Transport(format!("DNS resolver: {e}")));
        }
    };
    Ok(dns)
}
