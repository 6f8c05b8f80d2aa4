//! `--events-json` lines go to stdout from a thread of their own. A node runs
//! on one runtime thread (`run.rs`), so a blocking write to a pipe whose
//! reader is slow would stall the failure detector with it. Lines wait in a
//! bounded queue instead; if the reader falls that far behind, further lines
//! are dropped and counted in a warning. Each line carries the time of its
//! event (`t_ms`), so waiting in the queue does not change what it reports.
//!
//! The queue is tokio's bounded channel, which allocates its slots 32 at a
//! time as lines arrive and frees them as they are written. std's
//! `sync_channel` allocated and initialised all 8,192 slots up front: 256 KB
//! resident in every node whether or not a line ever waited
//! (docs/performance.md, "Memory").

use std::io::Write as _;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{channel, error::TrySendError, Receiver, Sender};

/// Lines that may wait for the reader.
const QUEUE: usize = 8192;

/// The sending side; cheap to clone.
#[derive(Clone)]
pub(super) struct Lines {
    tx: Sender<String>,
    dropped: u64,
}

/// The writer thread, to drain at shutdown.
pub(super) struct Writer(JoinHandle<()>);

/// Starts the writer thread.
pub(super) fn stdout_lines() -> std::io::Result<(Lines, Writer)> {
    let (tx, rx) = channel(QUEUE);
    let handle = std::thread::Builder::new()
        .name("events-json".to_owned())
        .spawn(move || write_all(rx, std::io::stdout()))?;
    Ok((Lines { tx, dropped: 0 }, Writer(handle)))
}

fn write_all(mut rx: Receiver<String>, out: impl std::io::Write) {
    let mut out = std::io::BufWriter::new(out);
    while let Some(line) = rx.blocking_recv() {
        if writeln!(out, "{line}").is_err() {
            return;
        }
        // Flush once the queue is empty, so a reader sees each line as soon
        // as nothing more is waiting behind it.
        while let Ok(l) = rx.try_recv() {
            if writeln!(out, "{l}").is_err() {
                return;
            }
        }
        if out.flush().is_err() {
            return;
        }
    }
}

impl Lines {
    /// Queues one line without blocking.
    pub(super) fn send(&mut self, line: String) {
        match self.tx.try_send(line) {
            Ok(()) | Err(TrySendError::Closed(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped += 1;
                if self.dropped.is_power_of_two() {
                    tracing::warn!(
                        dropped = self.dropped,
                        "stdout is not read fast enough; dropping --events-json lines"
                    );
                }
            }
        }
    }
}

impl Writer {
    /// Waits up to `limit` for the queued lines to be written, once every
    /// sender is gone.
    pub(super) fn drain(self, limit: Duration) {
        let until = Instant::now() + limit;
        while !self.0.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_written_in_order_and_a_full_queue_drops_instead_of_blocking() {
        let (tx, rx) = channel(2);
        let mut lines = Lines { tx, dropped: 0 };
        for i in 0..5 {
            lines.send(format!("{i}"));
        }
        assert_eq!(lines.dropped, 3, "no reader: the sender never blocks");
        drop(lines);
        let mut out = Vec::new();
        write_all(rx, &mut out);
        assert_eq!(String::from_utf8(out).expect("utf-8"), "0\n1\n");
    }
}
