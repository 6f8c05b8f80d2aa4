//! The HTTP admin API (axum): members, self, events (SSE), join, leave,
//! metadata, health, Prometheus metrics and the live dashboard.

pub mod auth;
mod claim_metrics;
mod events;
mod metrics;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use lifebuoy::libp2p::{Multiaddr, PeerId};
use lifebuoy::{Member, MemberState, Metadata, Node};
use serde::Deserialize;
use tokio::sync::watch;

use super::model::{ErrorBody, MemberView, NatView, SelfView, StateCounts};

/// What the local node says about itself (the driver does not expose its local member yet).
#[derive(Debug, Clone)]
pub struct LocalInfo {
    pub name: String,
    pub meta: Metadata,
    pub left: bool,
}

/// Shared by every handler.
#[derive(Debug)]
pub struct AppState {
    pub node: Arc<Node>,
    local: Mutex<LocalInfo>,
    started: Instant,
    /// Set to true to stop the process (after `POST /v1/leave`).
    pub shutdown: watch::Sender<bool>,
    /// libp2p's own swarm metrics, recorded by the node.
    libp2p_metrics: prometheus_client::registry::Registry,
}

impl AppState {
    /// libp2p's swarm metrics registry.
    pub fn libp2p_metrics(&self) -> &prometheus_client::registry::Registry {
        &self.libp2p_metrics
    }

    pub fn new(
        node: Arc<Node>,
        name: String,
        meta: Metadata,
        shutdown: watch::Sender<bool>,
        libp2p_metrics: prometheus_client::registry::Registry,
    ) -> Arc<Self> {
        Arc::new(AppState {
            node,
            local: Mutex::new(LocalInfo {
                name,
                meta,
                left: false,
            }),
            started: Instant::now(),
            shutdown,
            libp2p_metrics,
        })
    }

    pub fn local(&self) -> MutexGuard<'_, LocalInfo> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that this node left (the API and dashboard then show `left`).
    pub fn mark_left(&self) {
        self.local().left = true;
    }

    /// This node's own addresses, with `/p2p/<id>`.
    pub fn self_addrs(&self) -> Vec<String> {
        let id = self.node.peer_id();
        self.node
            .listen_addrs()
            .into_iter()
            .map(|a| with_p2p(a, id).to_string())
            .collect()
    }

    /// The local node as a member view; `incarnation` from the node's stats.
    pub fn self_view(&self, incarnation: u64) -> MemberView {
        let local = self.local().clone();
        MemberView {
            id: self.node.peer_id().to_string(),
            name: local.name,
            state: if local.left { "left" } else { "alive" }.to_owned(),
            incarnation,
            addrs: self.self_addrs(),
            meta: local.meta,
            is_self: true,
        }
    }

    async fn incarnation(&self) -> u64 {
        self.node.stats().await.map(|s| s.incarnation).unwrap_or(0)
    }

    /// Every member, this node first.
    pub async fn all_members(&self) -> Vec<MemberView> {
        let mut v = vec![self.self_view(self.incarnation().await)];
        v.extend(self.node.members().iter().map(member_view));
        v
    }
}

/// Appends `/p2p/<id>` unless present.
pub fn with_p2p(addr: Multiaddr, id: PeerId) -> Multiaddr {
    if addr
        .iter()
        .any(|p| matches!(p, lifebuoy::libp2p::multiaddr::Protocol::P2p(_)))
    {
        addr
    } else {
        addr.with(lifebuoy::libp2p::multiaddr::Protocol::P2p(id))
    }
}

/// A member of the view as JSON.
pub fn member_view(m: &Member<PeerId>) -> MemberView {
    MemberView {
        id: m.id.to_string(),
        name: m.info.name.clone(),
        state: m.state.as_str().to_owned(),
        incarnation: m.incarnation,
        addrs: m
            .info
            .addrs
            .iter()
            .map(|a| match Multiaddr::try_from(a.0.clone()) {
                Ok(ma) => with_p2p(ma, m.id).to_string(),
                Err(_) => format!("{a:?}"),
            })
            .collect(),
        meta: m.info.meta.clone(),
        is_self: false,
    }
}

/// A 4xx/5xx with `{"error": ...}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl ApiError {
    fn bad_request(msg: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, msg.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

impl From<lifebuoy::Error> for ApiError {
    fn from(e: lifebuoy::Error) -> Self {
        match e {
            lifebuoy::Error::Command(c) => {
                ApiError(StatusCode::UNPROCESSABLE_ENTITY, c.to_string())
            }
            lifebuoy::Error::Stopped => ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                "the node has stopped".into(),
            ),
            other => ApiError(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// The router of the admin API; `access` says who may use it.
pub fn router(state: Arc<AppState>, access: auth::Access) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::handler))
        .route("/v1/members", get(members))
        .route("/v1/self", get(self_info))
        .route("/v1/events", get(events::handler))
        .route("/v1/join", post(join))
        .route("/v1/leave", post(leave))
        .route("/v1/meta", put(put_meta).get(get_meta))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(access),
            auth::require_token,
        ))
        .with_state(state)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {}", uri.path()),
    )
}

async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method not allowed on {}", uri.path()),
    )
}

async fn dashboard() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(include_str!("../dashboard.html")),
    )
}

async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    if st.local().left {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "left"})),
        )
            .into_response()
    } else {
        Json(serde_json::json!({"status": "ok"})).into_response()
    }
}

#[derive(Debug, Deserialize)]
struct MembersQuery {
    state: Option<String>,
}

fn parse_state(s: &str) -> Option<MemberState> {
    match s {
        "alive" => Some(MemberState::Alive),
        "suspect" => Some(MemberState::Suspect),
        "dead" | "failed" => Some(MemberState::Dead),
        "left" => Some(MemberState::Left),
        _ => None,
    }
}

async fn members(
    State(st): State<Arc<AppState>>,
    q: Result<Query<MembersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let filter = match q.state.as_deref() {
        None => None,
        Some(s) => Some(parse_state(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "invalid state `{s}`: expected alive, suspect, dead or left"
            ))
        })?),
    };
    let mut all = st.all_members().await;
    if let Some(f) = filter {
        all.retain(|m| m.state == f.as_str());
    }
    Ok(Json(all))
}

/// Members by state, this node included.
pub fn state_counts(st: &AppState) -> StateCounts {
    let mut c = StateCounts::default();
    if st.local().left {
        c.left += 1;
    } else {
        c.alive += 1;
    }
    for m in st.node.members() {
        match m.state {
            MemberState::Alive => c.alive += 1,
            MemberState::Suspect => c.suspect += 1,
            MemberState::Dead => c.dead += 1,
            MemberState::Left => c.left += 1,
        }
    }
    c
}

async fn self_info(State(st): State<Arc<AppState>>) -> Result<Json<SelfView>, ApiError> {
    let stats = st.node.stats().await?;
    Ok(Json(SelfView {
        member: st.self_view(stats.incarnation),
        health_score: Some(u64::from(stats.health_score)),
        members: state_counts(&st),
        connections: stats.connections as u64,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_s: st.started.elapsed().as_secs(),
        nat: Some(NatView {
            reachability: stats.nat.reachability.as_str().to_owned(),
            relays: stats.nat.relays.iter().map(|p| p.to_string()).collect(),
            relayed_connections: stats.nat.relayed_connections,
            hole_punches: stats.nat.hole_punches,
            hole_punch_failures: stats.nat.hole_punch_failures,
        }),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinRequest {
    addrs: Vec<String>,
}

async fn join(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, ApiError> {
    let req: JoinRequest = json_body(&body)?;
    if req.addrs.is_empty() {
        return Err(ApiError::bad_request(
            "`addrs` must list at least one multiaddr",
        ));
    }
    let addrs = req
        .addrs
        .iter()
        .map(|s| {
            s.parse::<Multiaddr>()
                .map_err(|e| ApiError::bad_request(format!("invalid multiaddr `{s}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if st.local().left {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "this node has left the cluster".into(),
        ));
    }
    let n = addrs.len();
    st.node.join(addrs).await?;
    tracing::info!(seeds = n, "joining through the API");
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"joining": req.addrs})),
    )
        .into_response())
}

async fn leave(State(st): State<Arc<AppState>>) -> Result<Json<serde_json::Value>, ApiError> {
    if !st.local().left {
        tracing::info!("leaving the cluster (API request)");
        st.node.leave().await?;
        st.mark_left();
    }
    let _ = st.shutdown.send(true);
    Ok(Json(serde_json::json!({"left": true})))
}

async fn get_meta(State(st): State<Arc<AppState>>) -> Json<Metadata> {
    Json(st.local().meta.clone())
}

async fn put_meta(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Json<Metadata>, ApiError> {
    let changes: BTreeMap<String, Option<String>> = json_body(&body).map_err(|_| {
        ApiError::bad_request("body must be a JSON object of string values, e.g. {\"role\":\"web\"} (null deletes a key)")
    })?;
    if changes.keys().any(|k| k.is_empty()) {
        return Err(ApiError::bad_request("metadata keys must not be empty"));
    }
    let mut meta = st.local().meta.clone();
    for (k, v) in changes {
        match v {
            Some(v) => meta.insert(k, v),
            None => meta.remove(&k),
        };
    }
    st.node.set_metadata(meta.clone()).await?;
    st.local().meta = meta.clone();
    tracing::info!(meta = ?meta, "metadata updated");
    Ok(Json(meta))
}
