//! Membership subscriptions: the current view, then every change in order;
//! a subscriber that falls behind gets an explicit [`MembershipUpdate::Lagged`]
//! marker and a fresh snapshot, never a silent gap, and never slows the node.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use libp2p::PeerId;
use lifebuoy_core::Member;
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::Event;

/// What a [`Subscription`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipUpdate {
    /// Every member this node knows (the local node excluded), in any state.
    /// Always the first item, and the item right after [`MembershipUpdate::Lagged`].
    Snapshot(Vec<Member<PeerId>>),
    /// One change, in the order the node observed it.
    Event(Event),
    /// The subscriber fell behind and `missed` changes were skipped; a
    /// fresh [`MembershipUpdate::Snapshot`] follows, then changes resume.
    Lagged {
        /// How many changes were skipped.
        missed: u64,
    },
}

/// The view shared between a node's task and its subscribers. The task
/// applies each change and broadcasts it under the same lock a subscriber
/// takes to snapshot and subscribe, so no change falls between the two.
#[derive(Debug)]
pub(crate) struct View {
    members: BTreeMap<PeerId, Member<PeerId>>,
    // Arc: the channel allocates all its slots up front; with events inline
    // the default 256 slots measured 38.9 KB (docs/performance.md, "Memory").
    tx: Option<broadcast::Sender<Arc<Event>>>,
}

pub(crate) type SharedView = Arc<Mutex<View>>;

pub(crate) fn new_view(capacity: usize) -> SharedView {
    let (tx, _) = broadcast::channel(capacity.max(1));
    Arc::new(Mutex::new(View {
        members: BTreeMap::new(),
        tx: Some(tx),
    }))
}

pub(crate) fn lock(view: &SharedView) -> MutexGuard<'_, View> {
    view.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl View {
    /// Applies a change and publishes it. Never blocks: a full channel
    /// overwrites the oldest change and the slow receiver sees `Lagged`.
    pub(crate) fn apply(&mut self, event: &Event) {
        match event {
            Event::MemberForgotten(m) => {
                self.members.remove(&m.id);
            }
            other => {
                let m = other.member();
                self.members.insert(m.id, m.clone());
            }
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(Arc::new(event.clone()));
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<Member<PeerId>> {
        self.members.values().cloned().collect()
    }

    pub(crate) fn get(&self, id: &PeerId) -> Option<Member<PeerId>> {
        self.members.get(id).cloned()
    }

    /// Ends every subscription (the node stopped).
    pub(crate) fn close(&mut self) {
        self.tx = None;
    }

    fn subscribe(&self) -> (Vec<Member<PeerId>>, Option<BroadcastStream<Arc<Event>>>) {
        (
            self.snapshot(),
            self.tx
                .as_ref()
                .map(|tx| BroadcastStream::new(tx.subscribe())),
        )
    }
}

/// A stream of [`MembershipUpdate`]s from [`crate::Node::subscribe`]. It ends
/// when the node stops.
pub struct Subscription {
    view: SharedView,
    rx: Option<BroadcastStream<Arc<Event>>>,
    pending: VecDeque<MembershipUpdate>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Subscription {
    pub(crate) fn new(view: SharedView) -> Self {
        let (snapshot, rx) = lock(&view).subscribe();
        let mut pending = VecDeque::new();
        pending.push_back(MembershipUpdate::Snapshot(snapshot));
        Subscription { view, rx, pending }
    }
}

impl Stream for Subscription {
    type Item = MembershipUpdate;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MembershipUpdate>> {
        let this = &mut *self;
        if let Some(u) = this.pending.pop_front() {
            return Poll::Ready(Some(u));
        }
        let Some(rx) = this.rx.as_mut() else {
            return Poll::Ready(None);
        };
        match rx.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                this.rx = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(e))) => {
                Poll::Ready(Some(MembershipUpdate::Event(Arc::unwrap_or_clone(e))))
            }
            Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(missed)))) => {
                // Resubscribe and snapshot atomically: the snapshot includes
                // everything before the new receiver's first change.
                let (snapshot, rx) = lock(&this.view).subscribe();
                this.rx = rx;
                this.pending.push_back(MembershipUpdate::Snapshot(snapshot));
                Poll::Ready(Some(MembershipUpdate::Lagged { missed }))
            }
        }
    }
}
