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
    /// Received frames the core could not decode.
    pub decode_errors: u64,
    /// Dials started.
    pub dials: u64,
    /// Dials that failed.
    pub dial_failures: u64,
    /// Connections established (both directions).
    pub connections_established: u64,
    /// Connections closed because the cap was reached.
    pub connections_evicted: u64,
}
