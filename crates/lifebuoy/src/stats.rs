//! The driver's counters.

/// Counters kept by [`crate::Behaviour`], next to the core's
/// [`lifebuoy_core::Stats`]. Byte counts are frame payloads (envelopes);
/// transport overhead is not included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriverStats {
    /// Frames handed to connections.
    pub frames_out: u64,
    /// Payload bytes handed to connections.
    pub bytes_out: u64,
    /// Frames received.
    pub frames_in: u64,
    /// Payload bytes received.
    pub bytes_in: u64,
    /// Frames dropped: undialable peer, stream failure, queue overflow,
    /// protocol not supported.
    pub frames_dropped: u64,
    /// Received frames the core refused: malformed, oversized, unknown
    /// version, wrong channel (not another cluster: see `wrong_cluster`).
    pub decode_errors: u64,
    /// Of `decode_errors`: above the channel's size limit.
    pub oversized: u64,
    /// Of `decode_errors`: a protocol version this node does not speak.
    pub unsupported_version: u64,
    /// Inbound frames whose length prefix was broken or above the
    /// channel's limit; the stream they came on was closed.
    pub bad_frames: u64,
    /// Dials started.
    pub dials: u64,
    /// Dials that failed.
    pub dial_failures: u64,
    /// Connections established (both directions).
    pub connections_established: u64,
    /// Connections closed because the cap was reached.
    pub connections_evicted: u64,
    /// Connections refused because the peer is not on the allowlist.
    pub connections_denied: u64,
    /// Frames dropped because their peer sent above its rate.
    pub rate_limited: u64,
    /// Connections opened ahead of need (`Config::connect_ahead`).
    pub connections_ahead: u64,
    /// Times dialing ahead paused after a slow handshake or a failed dial.
    pub ahead_paused: u64,
    /// Frames from another cluster (also in the core's `wrong_cluster`).
    pub wrong_cluster: u64,
}
