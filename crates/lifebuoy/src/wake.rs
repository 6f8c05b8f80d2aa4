//! The behaviour's one protocol timer.
//!
//! Standalone, a [`Behaviour`](crate::Behaviour) may run on any executor,
//! so it uses futures-timer, whose global thread wakes the task: two
//! context switches per deadline. A [`Node`](crate::Node) always runs on
//! tokio with timers enabled, so it switches the behaviour to tokio's timer,
//! which the runtime's own thread serves (docs/performance.md, "CPU").

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;

/// Which timer implementation a behaviour arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum TimerKind {
    /// futures-timer's global thread: works on any executor.
    #[default]
    Thread,
    /// tokio's timer: needs a tokio runtime with timers enabled.
    Tokio,
}

/// A one-shot timer of either kind.
#[derive(Debug)]
pub(crate) enum Wake {
    Thread(futures_timer::Delay),
    Tokio(Pin<Box<tokio::time::Sleep>>),
}

impl Wake {
    pub(crate) fn after(kind: TimerKind, d: Duration) -> Wake {
        match kind {
            TimerKind::Thread => Wake::Thread(futures_timer::Delay::new(d)),
            TimerKind::Tokio => Wake::Tokio(Box::pin(tokio::time::sleep(d))),
        }
    }

    pub(crate) fn poll_unpin(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self {
            Wake::Thread(d) => d.poll_unpin(cx),
            Wake::Tokio(s) => s.as_mut().poll(cx),
        }
    }
}
