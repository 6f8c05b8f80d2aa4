//! Stream protocols and framing.
//!
//! lifebuoy speaks two stream protocols, one per [`Channel`]:
//! [`SWIM_PROTOCOL`] carries probes, acks, ping-reqs, nacks and piggybacked
//! gossip; [`SYNC_PROTOCOL`] carries push-pull (full state) exchanges. Each
//! side opens at most one outbound stream per protocol per connection and
//! keeps writing frames on it, so a message costs one frame header, not a
//! new stream and a multistream-select negotiation.
//!
//! A frame is an unsigned LEB128 (varint) length followed by that many
//! bytes: one encoded `lifebuoy_core` envelope.

use std::{future::Ready, io, iter};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::core::upgrade::{InboundUpgrade, UpgradeInfo};
use libp2p::{Stream, StreamProtocol};
use lifebuoy_core::Channel;

/// Probes, acks, ping-req, nacks and piggybacked gossip ([`Channel::Probe`]).
pub const SWIM_PROTOCOL: StreamProtocol = StreamProtocol::new("/lifebuoy/swim/1.0.0");
/// Push-pull anti-entropy and joins ([`Channel::Sync`]).
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/lifebuoy/sync/1.0.0");

/// Largest frame accepted on the probe channel (the core's own limit).
pub const MAX_PROBE_FRAME: usize = 64 * 1024;

/// The stream protocol of a channel.
pub fn protocol_of(channel: Channel) -> StreamProtocol {
    match channel {
        Channel::Probe => SWIM_PROTOCOL,
        Channel::Sync => SYNC_PROTOCOL,
    }
}

/// The channel of a stream protocol.
pub fn channel_of(protocol: &StreamProtocol) -> Option<Channel> {
    if *protocol == SWIM_PROTOCOL {
        Some(Channel::Probe)
    } else if *protocol == SYNC_PROTOCOL {
        Some(Channel::Sync)
    } else {
        None
    }
}

/// Inbound upgrade accepting either protocol and reporting which one.
#[derive(Debug, Clone, Copy, Default)]
pub struct InboundProtocols;

impl UpgradeInfo for InboundProtocols {
    type Info = StreamProtocol;
    type InfoIter = iter::Chain<iter::Once<StreamProtocol>, iter::Once<StreamProtocol>>;

    fn protocol_info(&self) -> Self::InfoIter {
        iter::once(SWIM_PROTOCOL).chain(iter::once(SYNC_PROTOCOL))
    }
}

impl InboundUpgrade<Stream> for InboundProtocols {
    type Output = (Stream, StreamProtocol);
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self::Output, Self::Error>>;

    fn upgrade_inbound(self, stream: Stream, info: StreamProtocol) -> Self::Future {
        std::future::ready(Ok((stream, info)))
    }
}

/// Appends one frame (varint length, then `payload`) to `out`.
pub fn encode_frame(payload: &[u8], out: &mut Vec<u8>) {
    let mut n = payload.len() as u64;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(payload);
}

/// Writes `bytes` (one or more encoded frames) and flushes.
pub async fn write_frames<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// Memory set aside up front for a frame; larger ones grow as bytes arrive.
const READ_CHUNK: usize = 16 * 1024;

/// Reads one frame of at most `max` bytes. `Ok(None)` is a clean end of
/// stream between frames; a frame above `max` is an `InvalidData` error
/// (the stream is then dropped: its framing can no longer be trusted).
pub async fn read_frame<S: AsyncRead + Unpin>(
    stream: &mut S,
    max: usize,
) -> io::Result<Option<Vec<u8>>> {
    let mut len: u64 = 0;
    let mut shift = 0u32;
    let mut first = true;
    loop {
        let mut b = [0u8; 1];
        let n = stream.read(&mut b).await?;
        if n == 0 {
            if first {
                return Ok(None);
            }
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        first = false;
        len |= u64::from(b[0] & 0x7f) << shift;
        if b[0] & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "frame length varint too long",
            ));
        }
    }
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes above the limit of {max}"),
        ));
    }
    // Grow with the bytes that actually arrive: a peer announcing a large
    // frame and sending nothing costs at most one read buffer, not `len`.
    let mut buf = Vec::with_capacity(len.min(READ_CHUNK));
    let got = (&mut *stream)
        .take(len as u64)
        .read_to_end(&mut buf)
        .await?;
    if got < len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(Some(buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::Cursor;

    #[test]
    fn frames_round_trip_and_end_cleanly_between_frames() {
        let mut wire = Vec::new();
        encode_frame(b"hello", &mut wire);
        encode_frame(&[7u8; 300], &mut wire);
        encode_frame(b"", &mut wire);
        let mut r = Cursor::new(wire);
        futures::executor::block_on(async {
            assert_eq!(
                read_frame(&mut r, 1024).await.expect("frame"),
                Some(b"hello".to_vec())
            );
            assert_eq!(
                read_frame(&mut r, 1024).await.expect("frame"),
                Some(vec![7u8; 300])
            );
            assert_eq!(read_frame(&mut r, 1024).await.expect("frame"), Some(vec![]));
            assert_eq!(read_frame(&mut r, 1024).await.expect("end"), None);
        });
    }

    #[test]
    fn oversized_and_truncated_frames_are_errors_not_panics() {
        let mut wire = Vec::new();
        encode_frame(&[1u8; 100], &mut wire);
        let mut r = Cursor::new(wire.clone());
        let e = futures::executor::block_on(read_frame(&mut r, 10)).expect_err("too big");
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let mut r = Cursor::new(wire[..50].to_vec());
        let e = futures::executor::block_on(read_frame(&mut r, 1000)).expect_err("truncated");
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let mut r = Cursor::new(vec![0xffu8; 12]);
        assert!(futures::executor::block_on(read_frame(&mut r, 1000)).is_err());
    }
}
