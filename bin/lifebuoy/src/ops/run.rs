//! `lifebuoy run`: start a node, serve the admin API, log every membership
//! change, and leave gracefully on SIGINT/SIGTERM or `POST /v1/leave`.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use futures::StreamExt;
use lifebuoy::libp2p::PeerId;
use lifebuoy::{Event, Member, MemberState, MembershipUpdate, Node};
use tokio::sync::watch;

use super::api::{self, AppState};
use super::clock::monotonic_ms;
use super::lines::{stdout_lines, Lines};
use super::settings::{self, RunArgs, Settings};
use super::{logging, OpsError};

/// Runs `lifebuoy run` to completion.
///
/// The main thread's stack pages stay resident at their deepest, and
/// everything the node does later runs below this frame, so it is kept
/// small: not inlined into `execute` (every subcommand's locals side by
/// side), and the node's future is built and boxed in [`prepare`], whose
/// frame (27 KB, with the future's temporary copy) is gone by the time the
/// node runs (docs/performance.md, "Memory").
#[inline(never)]
pub fn run(args: RunArgs) -> Result<(), OpsError> {
    let (rt, node) = prepare(args)?;
    rt.block_on(node)
}

type NodeFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), OpsError>>>>;

/// Settings, logging, the runtime, and the node's future, boxed.
#[inline(never)]
fn prepare(args: RunArgs) -> Result<(tokio::runtime::Runtime, NodeFuture), OpsError> {
    let settings = settings::resolve(args).map_err(OpsError::Usage)?;
    logging::init(settings.log_format);
    // One thread runs the node, the API and the event printer: a node's work
    // is a few small messages a second, and a multi-threaded runtime costs a
    // node more than it saves (worker stacks, a malloc arena per worker, and
    // cross-thread wake-ups; docs/performance.md, "Memory").
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| OpsError::Runtime(anyhow!("cannot start the runtime: {e}")))?;
    Ok((rt, Box::pin(run_node(settings))))
}

async fn run_node(s: Settings) -> Result<(), OpsError> {
    // Bind the API first: a busy port fails before the node joins anyone.
    let listener = tokio::net::TcpListener::bind(s.api)
        .await
        .map_err(|e| OpsError::Runtime(anyhow!("cannot listen for the API on {}: {e}", s.api)))?;

    let mut libp2p_metrics = prometheus_client::registry::Registry::default();
    let mut builder = Node::builder()
        .identity_file(&s.identity)
        .name(s.name.clone())
        .profile(s.protocol.clone())
        .nat_traversal(s.nat)
        .relay_server(s.relay)
        .libp2p_metrics(&mut libp2p_metrics);
    for a in &s.external {
        builder = builder.external_address(a.clone());
    }
    for (k, v) in &s.meta {
        builder = builder.metadata(k.clone(), v.clone());
    }
    for a in &s.listen {
        builder = builder.listen_on(a.clone());
    }
    for a in &s.bootstrap {
        builder = builder.bootstrap(a.clone());
    }
    if let Some(allowed) = &s.allow_peers {
        tracing::info!(
            peers = allowed.len(),
            "allowlist: only listed peers may join"
        );
        builder = builder.allowed_peers(allowed.iter().copied());
    }
    if let Some(psk) = s.psk {
        tracing::info!(fingerprint = %psk.fingerprint(), "private network: TCP only, pre-shared key required");
        builder = builder.pre_shared_key(psk);
    }
    let node = builder.start().await.map_err(|e| match e {
        lifebuoy::Error::Config(c) => OpsError::Usage(anyhow!("[protocol] {c}")),
        other => OpsError::Runtime(anyhow!("cannot start the node: {other}")),
    })?;
    let node = Arc::new(node);
    let peer_id = node.peer_id();

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = AppState::new(
        node.clone(),
        s.name.clone(),
        s.meta.clone(),
        shutdown_tx,
        libp2p_metrics,
    );
    let addrs = state.self_addrs();
    let api_addr = listener.local_addr().unwrap_or(s.api);
    tracing::info!(name = %s.name, %peer_id, api = %api_addr, "lifebuoy node started");
    announce(&s, &addrs, api_addr);

    let (out, writer) = if s.events_json {
        let (lines, writer) = stdout_lines().map_err(|e| {
            OpsError::Runtime(anyhow!("cannot start the --events-json writer: {e}"))
        })?;
        (Some(lines), Some(writer))
    } else {
        (None, None)
    };
    let mut printer = EventPrinter {
        out,
        known: HashMap::new(),
    };
    if s.events_json {
        printer.line("join", &s.name, &peer_id, MemberState::Alive);
    }
    let watcher = tokio::spawn(watch_membership(node.subscribe(), printer));

    let access = api::auth::Access {
        token: s.api_token.clone(),
        open: s.api_open.clone(),
    };
    let app = api::router(state.clone(), access);
    let mut server_stop = shutdown_rx.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = server_stop.wait_for(|s| *s).await;
            })
            .await
    });

    let mut api_stop = shutdown_rx.clone();
    tokio::select! {
        sig = signals() => {
            tracing::info!(signal = sig, "leaving the cluster");
            if !state.local().left {
                if let Err(e) = node.leave().await {
                    tracing::warn!(error = %e, "graceful leave failed");
                }
                state.mark_left();
            }
            let _ = state.shutdown.send(true);
        }
        _ = api_stop.wait_for(|s| *s) => {
            tracing::info!("left the cluster through the API; stopping");
        }
        res = wait_server(server) => {
            watcher.abort();
            return res;
        }
    }
    // Let in-flight responses (e.g. the POST /v1/leave reply) go out.
    tokio::time::sleep(Duration::from_millis(100)).await;
    watcher.abort();
    let _ = watcher.await;
    if let Some(w) = writer {
        w.drain(Duration::from_secs(1));
    }
    tracing::info!("stopped");
    Ok(())
}

async fn wait_server(server: tokio::task::JoinHandle<std::io::Result<()>>) -> Result<(), OpsError> {
    match server.await {
        Ok(Ok(())) => Err(OpsError::Runtime(anyhow!(
            "the API server stopped unexpectedly"
        ))),
        Ok(Err(e)) => Err(OpsError::Runtime(anyhow!("the API server failed: {e}"))),
        Err(e) => Err(OpsError::Runtime(anyhow!(
            "the API server task failed: {e}"
        ))),
    }
}

/// Waits for SIGINT or SIGTERM and names it.
async fn signals() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot install signal handlers; stop with SIGKILL or POST /v1/leave");
        return futures::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

/// Prints the addresses others can join with: on stdout, or stderr when
/// `--events-json` owns stdout.
fn announce(s: &Settings, addrs: &[String], api: std::net::SocketAddr) {
    let mut text = format!(
        "lifebuoy node {} is running; others can join with:\n",
        s.name
    );
    for a in addrs {
        text.push_str(&format!("    lifebuoy run --bootstrap {a}\n"));
    }
    text.push_str(&format!("admin API and dashboard: http://{api}/\n"));
    if s.events_json {
        eprint!("{text}");
    } else {
        print!("{text}");
        let _ = std::io::stdout().flush();
    }
}

/// Logs membership changes and, with `--events-json`, prints them as JSON
/// lines (through [`Lines`], so a slow reader never stalls the node).
struct EventPrinter {
    out: Option<Lines>,
    known: HashMap<PeerId, MemberState>,
}

impl EventPrinter {
    fn line(&mut self, ev: &str, name: &str, id: &PeerId, state: MemberState) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let line = serde_json::json!({
            "ev": ev,
            "node": name,
            "peer_id": id.to_string(),
            "state": state.as_str(),
            "t_ms": monotonic_ms(),
        });
        out.send(line.to_string());
    }

    fn on_event(&mut self, e: &Event) {
        let m = e.member();
        tracing::info!(
            event = e.name(),
            member = %m.id,
            name = m.name(),
            state = m.state.as_str(),
            incarnation = m.incarnation,
            "membership change"
        );
        let ev = match e {
            Event::MemberJoined(_) => Some("join"),
            Event::MemberUpdated(_) | Event::MemberAlive(_) => Some("update"),
            Event::MemberSuspected(_) => Some("suspect"),
            Event::MemberFailed(_) | Event::MemberLeft(_) => Some("leave"),
            Event::MemberForgotten(_) => None,
        };
        if let Event::MemberForgotten(_) = e {
            self.known.remove(&m.id);
        } else {
            self.known.insert(m.id, m.state);
        }
        if let Some(ev) = ev {
            self.line(ev, m.name(), &m.id, m.state);
        }
    }

    /// A snapshot after a lag: report what changed since the last known state.
    fn on_snapshot(&mut self, members: &[Member<PeerId>]) {
        for m in members {
            let before = self.known.insert(m.id, m.state);
            if before == Some(m.state) {
                continue;
            }
            let ev = match (before, m.state) {
                (None, _)
                | (
                    Some(MemberState::Dead | MemberState::Left),
                    MemberState::Alive | MemberState::Suspect,
                ) => "join",
                (_, MemberState::Suspect) => "suspect",
                (_, MemberState::Alive) => "update",
                (_, MemberState::Dead | MemberState::Left) => "leave",
            };
            tracing::info!(
                event = "snapshot",
                member = %m.id,
                name = m.name(),
                state = m.state.as_str(),
                incarnation = m.incarnation,
                "membership change"
            );
            self.line(ev, m.name(), &m.id, m.state);
        }
    }
}

async fn watch_membership(mut sub: lifebuoy::Subscription, mut printer: EventPrinter) {
    while let Some(update) = sub.next().await {
        match update {
            MembershipUpdate::Snapshot(ms) => printer.on_snapshot(&ms),
            MembershipUpdate::Event(e) => printer.on_event(&e),
            MembershipUpdate::Lagged { missed } => {
                tracing::warn!(missed, "membership log fell behind; resynchronising")
            }
        }
    }
}
