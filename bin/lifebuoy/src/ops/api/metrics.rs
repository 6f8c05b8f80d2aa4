//! `GET /metrics`: Prometheus / OpenMetrics text built with prometheus-client
//! from the node's counters at scrape time.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::{state_counts, ApiError, AppState};

type Labels = Vec<(String, String)>;

fn counter(reg: &mut Registry, name: &str, help: &str, value: u64) {
    let c: Counter = Counter::default();
    c.inc_by(value);
    reg.register(name, help, c);
}

fn gauge(reg: &mut Registry, name: &str, help: &str, value: i64) {
    let g: Gauge = Gauge::default();
    g.set(value);
    reg.register(name, help, g);
}

fn by_kind(reg: &mut Registry, name: &str, help: &str, k: &lifebuoy::core::KindCounts) {
    let f: Family<Labels, Counter> = Family::default();
    for (kind, v) in [
        ("ping", k.ping),
        ("ack", k.ack),
        ("ping_req", k.ping_req),
        ("nack", k.nack),
        ("gossip", k.gossip),
        ("sync", k.sync),
    ] {
        f.get_or_create(&vec![("type".to_owned(), kind.to_owned())])
            .inc_by(v);
    }
    reg.register(name, help, f);
}

fn as_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Renders every metric.
pub(crate) async fn render(st: &AppState) -> Result<String, ApiError> {
    let stats = st.node.stats().await?;
    let c = &stats.core;
    let d = &stats.driver;
    let mut reg = Registry::with_prefix("lifebuoy");

    let members: Family<Labels, Gauge> = Family::default();
    let counts = state_counts(st);
    for (state, n) in [
        ("alive", counts.alive),
        ("suspect", counts.suspect),
        ("dead", counts.dead),
        ("left", counts.left),
    ] {
        members
            .get_or_create(&vec![("state".to_owned(), state.to_owned())])
            .set(as_i64(n));
    }
    reg.register(
        "members",
        "Members known to this node by state, this node included",
        members,
    );

    counter(&mut reg, "probes", "Probes started", c.probes);
    counter(
        &mut reg,
        "probe_acks",
        "Probes answered, directly or indirectly",
        c.probe_acks,
    );
    counter(
        &mut reg,
        "probe_failures",
        "Probes that ended without an ack",
        c.probe_failures,
    );
    counter(
        &mut reg,
        "missed_nacks",
        "Nacks expected from indirect probers that never came (Lifeguard)",
        c.missed_nacks,
    );
    counter(
        &mut reg,
        "suspicions_raised",
        "Suspicions this node raised from its own probes",
        c.suspicions_raised,
    );
    counter(
        &mut reg,
        "suspicions_refuted",
        "Suspicions of other members refuted (Suspect to Alive)",
        c.suspicions_refuted,
    );
    counter(
        &mut reg,
        "self_refutes",
        "Times this node refuted a suspicion or death claim about itself",
        c.self_refutes,
    );
    counter(
        &mut reg,
        "failures_declared",
        "Members this node declared failed when its suspicion timeout ran out",
        c.failures_declared,
    );
    counter(
        &mut reg,
        "decode_errors",
        "Messages refused: malformed, oversized or wrong version",
        c.decode_errors,
    );
    counter(
        &mut reg,
        "wrong_cluster",
        "Messages from another cluster",
        c.wrong_cluster,
    );
    counter(
        &mut reg,
        "queue_drops",
        "Gossip updates dropped because the queue was full",
        c.queue_drops,
    );
    counter(
        &mut reg,
        "table_full_drops",
        "Claims dropped because the member table was full",
        c.table_full_drops,
    );
    counter(
        &mut reg,
        "not_admitted",
        "Claims about members not on the allowlist, dropped",
        c.not_admitted,
    );

    super::claim_metrics::register(&mut reg, c);

    by_kind(
        &mut reg,
        "messages_sent",
        "Protocol messages sent, by type",
        &c.msgs_out,
    );
    by_kind(
        &mut reg,
        "messages_received",
        "Protocol messages received, by type",
        &c.msgs_in,
    );
    by_kind(
        &mut reg,
        "message_bytes_sent",
        "Protocol message bytes sent, by type",
        &c.bytes_out,
    );
    by_kind(
        &mut reg,
        "message_bytes_received",
        "Protocol message bytes received, by type",
        &c.bytes_in,
    );

    gauge(
        &mut reg,
        "connections",
        "Connections open now",
        as_i64(stats.connections as u64),
    );
    counter(
        &mut reg,
        "connections_established",
        "Connections established, both directions",
        d.connections_established,
    );
    counter(
        &mut reg,
        "connections_evicted",
        "Connections closed because the cap was reached",
        d.connections_evicted,
    );
    counter(
        &mut reg,
        "connections_ahead",
        "Connections opened to members before a probe needed them",
        d.connections_ahead,
    );
    counter(
        &mut reg,
        "connect_ahead_pauses",
        "Pauses of connecting ahead after a slow handshake or a failed dial",
        d.ahead_paused,
    );
    counter(&mut reg, "dials", "Dials started", d.dials);
    counter(
        &mut reg,
        "dial_failures",
        "Dials that failed",
        d.dial_failures,
    );
    counter(
        &mut reg,
        "frames_sent",
        "Frames handed to connections",
        d.frames_out,
    );
    counter(&mut reg, "frames_received", "Frames received", d.frames_in);
    counter(
        &mut reg,
        "frames_dropped",
        "Frames dropped: undialable peer, stream failure, queue overflow",
        d.frames_dropped,
    );
    counter(
        &mut reg,
        "frames_rate_limited",
        "Frames dropped because their peer sent above its rate",
        d.rate_limited,
    );
    counter(
        &mut reg,
        "frames_bad",
        "Inbound frames oversized or with a broken length prefix (stream closed)",
        d.bad_frames,
    );
    counter(
        &mut reg,
        "messages_oversized",
        "Messages refused for their size",
        d.oversized,
    );
    counter(
        &mut reg,
        "messages_unsupported_version",
        "Messages refused for their protocol version",
        d.unsupported_version,
    );
    counter(
        &mut reg,
        "connections_denied",
        "Connections refused because the peer is not on the allowlist",
        d.connections_denied,
    );
    counter(
        &mut reg,
        "frame_bytes_sent",
        "Frame payload bytes handed to connections",
        d.bytes_out,
    );
    counter(
        &mut reg,
        "frame_bytes_received",
        "Frame payload bytes received",
        d.bytes_in,
    );

    gauge(
        &mut reg,
        "incarnation",
        "This node's incarnation number",
        as_i64(stats.incarnation),
    );
    gauge(
        &mut reg,
        "uptime_seconds",
        "Seconds since the node started",
        as_i64(st.started.elapsed().as_secs()),
    );
    gauge(
        &mut reg,
        "health_score",
        "Lifeguard local health score (0 is healthy)",
        i64::from(stats.health_score),
    );
    gauge(
        &mut reg,
        "gossip_queue_depth",
        "Updates waiting to be piggybacked",
        as_i64(stats.queued_updates as u64),
    );

    let info: Family<Labels, Gauge> = Family::default();
    info.get_or_create(&vec![(
        "version".to_owned(),
        env!("CARGO_PKG_VERSION").to_owned(),
    )])
    .set(1);
    reg.register("build_info", "Version of the lifebuoy binary", info);

    let failed =
        |e: std::fmt::Error| ApiError(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    let mut out = String::new();
    encode(&mut out, &reg).map_err(failed)?;
    // One exposition: lifebuoy's metrics, then libp2p's (under `libp2p_`),
    // with a single `# EOF` at the end.
    let mut libp2p = String::new();
    encode(&mut libp2p, st.libp2p_metrics()).map_err(failed)?;
    if let Some(body) = out.strip_suffix("# EOF\n") {
        out.truncate(body.len());
    }
    out.push_str(&libp2p);
    Ok(out)
}

pub(super) async fn handler(
    State(st): State<Arc<AppState>>,
) -> Result<impl IntoResponse, ApiError> {
    let body = render(&st).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    ))
}
