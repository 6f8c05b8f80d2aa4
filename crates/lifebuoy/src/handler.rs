//! The per-connection handler: one reused outbound stream per channel with
//! length-prefixed frames, and the inbound streams the remote opened. The
//! first frame on every stream is the sender's hello (protocol version and
//! cluster name, `lifebuoy_core::wire::Hello`); an inbound stream whose hello
//! is refused is closed before any of its packets reaches the core.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use libp2p::core::upgrade::ReadyUpgrade;
use libp2p::swarm::handler::{
    ConnectionEvent, DialUpgradeError, FullyNegotiatedInbound, FullyNegotiatedOutbound,
};
use libp2p::swarm::{
    ConnectionHandler, ConnectionHandlerEvent, StreamUpgradeError, SubstreamProtocol,
};
use libp2p::{Stream, StreamProtocol};
use lifebuoy_core::{wire, Channel, WireError};

use crate::protocol::{self, InboundProtocols, MAX_PROBE_FRAME};

/// Frames queued per channel while a stream opens or writes; beyond it the
/// oldest are dropped (the core treats a lost message as a lost packet).
const MAX_QUEUED_FRAMES: usize = 64;
/// Inbound streams read at once per connection; a well-behaved remote uses
/// one per channel.
const MAX_INBOUND_STREAMS: usize = 4;

/// What the behaviour tells a connection.
#[derive(Debug, Clone)]
pub enum FromBehaviour {
    /// Send one encoded message on `channel`.
    Send {
        /// The channel (stream protocol).
        channel: Channel,
        /// The encoded envelope.
        payload: Vec<u8>,
    },
}

/// What a connection tells the behaviour.
#[derive(Debug, Clone)]
pub enum ToBehaviour {
    /// A frame arrived on `channel`.
    Received {
        /// The channel it arrived on.
        channel: Channel,
        /// The frame's bytes.
        payload: Vec<u8>,
    },
    /// An inbound stream's hello was refused (another cluster or protocol
    /// version); the stream was closed.
    Refused {
        /// The channel.
        channel: Channel,
        /// Why.
        error: WireError,
    },
    /// Frames were dropped (stream failure, queue overflow or the remote
    /// not speaking the protocol). Informational: the core's timers handle
    /// lost messages.
    Dropped {
        /// The channel.
        channel: Channel,
        /// How many frames.
        frames: usize,
        /// Why.
        reason: DropReason,
    },
}

/// Why frames were dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The remote does not support the protocol.
    Unsupported,
    /// The stream failed or could not be opened.
    StreamError,
    /// Too many frames were queued.
    QueueFull,
    /// An inbound frame above the channel's limit or with a broken length
    /// prefix; the stream was closed.
    BadFrame,
}

type WriteFuture = BoxFuture<'static, (Stream, io::Result<()>)>;
/// An inbound read: the stream, its channel, whether the frame is the
/// stream's hello, and the frame.
type ReadFuture = BoxFuture<'static, (Stream, Channel, bool, io::Result<Option<Vec<u8>>>)>;

/// Outbound state of one channel on one connection.
struct Outbound {
    channel: Channel,
    stream: Option<Stream>,
    /// Whether our hello was written on `stream`.
    greeted: bool,
    writing: Option<WriteFuture>,
    opening: bool,
    unsupported: bool,
    queue: VecDeque<Vec<u8>>,
}

impl Outbound {
    fn new(channel: Channel) -> Self {
        Outbound {
            channel,
            stream: None,
            greeted: false,
            writing: None,
            opening: false,
            unsupported: false,
            queue: VecDeque::new(),
        }
    }

    fn busy(&self) -> bool {
        self.writing.is_some() || self.opening || !self.queue.is_empty()
    }
}

/// The [`ConnectionHandler`] of [`crate::Behaviour`].
pub struct Handler {
    out: [Outbound; 2],
    /// Our hello, written first on every outbound stream.
    hello: Arc<[u8]>,
    /// Our cluster name, which every inbound stream's hello must carry.
    cluster: Arc<str>,
    inbound: FuturesUnordered<ReadFuture>,
    max_sync_frame: usize,
    events: VecDeque<ToBehaviour>,
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("inbound", &self.inbound.len())
            .finish_non_exhaustive()
    }
}

fn idx(channel: Channel) -> usize {
    match channel {
        Channel::Probe => 0,
        Channel::Sync => 1,
    }
}

impl Handler {
    pub(crate) fn new(max_sync_frame: usize, hello: Arc<[u8]>, cluster: Arc<str>) -> Self {
        Handler {
            out: [Outbound::new(Channel::Probe), Outbound::new(Channel::Sync)],
            hello,
            cluster,
            inbound: FuturesUnordered::new(),
            max_sync_frame,
            events: VecDeque::new(),
        }
    }

    fn max_frame(&self, channel: Channel) -> usize {
        match channel {
            Channel::Probe => MAX_PROBE_FRAME,
            Channel::Sync => self.max_sync_frame,
        }
    }

    fn read_next(&self, mut stream: Stream, channel: Channel, hello: bool) -> ReadFuture {
        let max = if hello {
            wire::MAX_HELLO_BYTES
        } else {
            self.max_frame(channel)
        };
        async move {
            let r = protocol::read_frame(&mut stream, max).await;
            (stream, channel, hello, r)
        }
        .boxed()
    }

    fn drop_queue(&mut self, channel: Channel, reason: DropReason) {
        let out = &mut self.out[idx(channel)];
        let frames = out.queue.len();
        out.queue.clear();
        if frames > 0 {
            self.events.push_back(ToBehaviour::Dropped {
                channel,
                frames,
                reason,
            });
        }
    }

    /// Drives the outbound side of one channel; returns a stream request if one is needed.
    fn poll_outbound(&mut self, i: usize, cx: &mut Context<'_>) -> Option<Channel> {
        loop {
            let out = &mut self.out[i];
            if let Some(fut) = out.writing.as_mut() {
                match fut.poll_unpin(cx) {
                    Poll::Pending => return None,
                    Poll::Ready((stream, Ok(()))) => {
                        out.writing = None;
                        out.stream = Some(stream);
                    }
                    Poll::Ready((_, Err(e))) => {
                        out.writing = None;
                        tracing::debug!(channel = ?out.channel, error = %e, "outbound stream failed");
                        // A fresh stream is opened for whatever is still queued.
                    }
                }
            }
            if out.queue.is_empty() {
                return None;
            }
            if out.unsupported {
                let ch = out.channel;
                self.drop_queue(ch, DropReason::Unsupported);
                return None;
            }
            match out.stream.take() {
                Some(mut stream) => {
                    let mut buf = Vec::new();
                    if !out.greeted {
                        protocol::encode_frame(&self.hello, &mut buf);
                        out.greeted = true;
                    }
                    while let Some(frame) = out.queue.pop_front() {
                        protocol::encode_frame(&frame, &mut buf);
                    }
                    out.writing = Some(
                        async move {
                            let r = protocol::write_frames(&mut stream, &buf).await;
                            (stream, r)
                        }
                        .boxed(),
                    );
                }
                None if out.opening => return None,
                None => {
                    out.opening = true;
                    return Some(out.channel);
                }
            }
        }
    }
}

impl ConnectionHandler for Handler {
    type FromBehaviour = FromBehaviour;
    type ToBehaviour = ToBehaviour;
    type InboundProtocol = InboundProtocols;
    type OutboundProtocol = ReadyUpgrade<StreamProtocol>;
    type InboundOpenInfo = ();
    type OutboundOpenInfo = Channel;

    fn listen_protocol(&self) -> SubstreamProtocol<Self::InboundProtocol, ()> {
        SubstreamProtocol::new(InboundProtocols, ())
    }

    fn connection_keep_alive(&self) -> bool {
        // Long-lived streams do not keep the connection open (they are marked
        // `ignore_for_keep_alive`); pending work does. Otherwise the swarm's
        // idle timeout closes the connection.
        self.out.iter().any(Outbound::busy)
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ConnectionHandlerEvent<Self::OutboundProtocol, Channel, Self::ToBehaviour>> {
        if let Some(e) = self.events.pop_front() {
            return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(e));
        }
        for i in 0..2 {
            if let Some(channel) = self.poll_outbound(i, cx) {
                let proto = protocol::protocol_of(channel);
                return Poll::Ready(ConnectionHandlerEvent::OutboundSubstreamRequest {
                    protocol: SubstreamProtocol::new(ReadyUpgrade::new(proto), channel),
                });
            }
        }
        if let Some(e) = self.events.pop_front() {
            return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(e));
        }
        while let Poll::Ready(Some((stream, channel, hello, result))) =
            self.inbound.poll_next_unpin(cx)
        {
            match result {
                Ok(Some(payload)) if hello => match wire::check_hello(&payload, &self.cluster) {
                    Ok(()) => {
                        let next = self.read_next(stream, channel, false);
                        self.inbound.push(next);
                    }
                    Err(error) => {
                        return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(
                            ToBehaviour::Refused { channel, error },
                        ));
                    }
                },
                Ok(Some(payload)) => {
                    let next = self.read_next(stream, channel, false);
                    self.inbound.push(next);
                    return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(
                        ToBehaviour::Received { channel, payload },
                    ));
                }
                Ok(None) => {}
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    tracing::debug!(?channel, error = %e, "bad inbound frame; stream closed");
                    return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(
                        ToBehaviour::Dropped {
                            channel,
                            frames: 1,
                            reason: DropReason::BadFrame,
                        },
                    ));
                }
                Err(e) => tracing::debug!(?channel, error = %e, "inbound stream failed; dropped"),
            }
        }
        Poll::Pending
    }

    fn on_behaviour_event(&mut self, event: FromBehaviour) {
        match event {
            FromBehaviour::Send { channel, payload } => {
                let out = &mut self.out[idx(channel)];
                if out.queue.len() >= MAX_QUEUED_FRAMES {
                    out.queue.pop_front();
                    self.events.push_back(ToBehaviour::Dropped {
                        channel,
                        frames: 1,
                        reason: DropReason::QueueFull,
                    });
                }
                self.out[idx(channel)].queue.push_back(payload);
            }
        }
    }

    fn on_connection_event(
        &mut self,
        event: ConnectionEvent<'_, Self::InboundProtocol, Self::OutboundProtocol, (), Channel>,
    ) {
        match event {
            ConnectionEvent::FullyNegotiatedInbound(FullyNegotiatedInbound {
                protocol: (mut stream, proto),
                ..
            }) => {
                let Some(channel) = protocol::channel_of(&proto) else {
                    return;
                };
                if self.inbound.len() >= MAX_INBOUND_STREAMS {
                    tracing::debug!("too many inbound lifebuoy streams; dropping the new one");
                    return;
                }
                stream.ignore_for_keep_alive();
                let next = self.read_next(stream, channel, true);
                self.inbound.push(next);
            }
            ConnectionEvent::FullyNegotiatedOutbound(FullyNegotiatedOutbound {
                protocol: mut stream,
                info: channel,
            }) => {
                stream.ignore_for_keep_alive();
                let out = &mut self.out[idx(channel)];
                out.opening = false;
                out.stream = Some(stream);
                out.greeted = false;
            }
            ConnectionEvent::DialUpgradeError(DialUpgradeError {
                info: channel,
                error,
            }) => {
                self.out[idx(channel)].opening = false;
                let reason = match error {
                    StreamUpgradeError::NegotiationFailed => {
                        self.out[idx(channel)].unsupported = true;
                        DropReason::Unsupported
                    }
                    other => {
                        tracing::debug!(?channel, error = %other, "could not open an outbound stream");
                        DropReason::StreamError
                    }
                };
                self.drop_queue(channel, reason);
            }
            _ => {}
        }
    }
}
