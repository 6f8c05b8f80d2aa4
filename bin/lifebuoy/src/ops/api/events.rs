//! `GET /v1/events`: Server-Sent Events. A `snapshot` event first (every
//! member, this node included), then one `member` event per change; after
//! `lagged`, a fresh `snapshot`. The stream ends when the node stops.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use lifebuoy::MembershipUpdate;

use super::{member_view, AppState};
use crate::ops::clock::monotonic_ms;
use crate::ops::model::{EventView, SnapshotView};

pub(super) async fn handler(
    State(st): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut shutdown = st.shutdown.subscribe();
    let stopped = async move {
        let _ = shutdown.wait_for(|s| *s).await;
    };
    let sub = st.node.subscribe();
    let stream = sub
        .then(move |update| {
            let st = st.clone();
            async move {
                let ev = match update {
                    MembershipUpdate::Snapshot(ms) => {
                        let incarnation = st.node.stats().await.map(|s| s.incarnation).unwrap_or(0);
                        let mut members = vec![st.self_view(incarnation)];
                        members.extend(ms.iter().map(member_view));
                        Event::default()
                            .event("snapshot")
                            .json_data(SnapshotView { members })
                    }
                    MembershipUpdate::Event(e) => {
                        Event::default().event("member").json_data(EventView {
                            event: e.name().to_owned(),
                            member: member_view(e.member()),
                            t_ms: monotonic_ms(),
                        })
                    }
                    MembershipUpdate::Lagged { missed } => Ok(Event::default()
                        .event("lagged")
                        .data(format!("{{\"missed\":{missed}}}"))),
                };
                Ok(ev.unwrap_or_else(|e| Event::default().event("error").data(e.to_string())))
            }
        })
        .take_until(Box::pin(stopped));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
