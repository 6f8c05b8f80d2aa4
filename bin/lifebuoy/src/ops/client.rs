//! The commands that talk to a running node through its HTTP API:
//! `members`, `events`, `join`, `leave`, `meta` and `status`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::anyhow;

use super::model::{ErrorBody, EventView, MemberView, SelfView, SnapshotView};
use super::settings::{api_token_from_file, parse_kv, DEFAULT_API};
use super::OpsError;

/// Where the node's API listens.
#[derive(Debug, Clone, clap::Args)]
pub struct ApiArgs {
    /// Address of the node's HTTP admin API (host:port).
    #[arg(long, value_name = "ADDR", env = "LIFEBUOY_API", default_value = DEFAULT_API)]
    pub api: String,
    /// The node's API token, if it has one (sent as `Authorization: Bearer`).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "LIFEBUOY_API_TOKEN",
        hide_env_values = true
    )]
    pub api_token: Option<String>,
    /// The node's config file: its `api_token` is used when neither
    /// --api-token nor LIFEBUOY_API_TOKEN is set.
    #[arg(long, value_name = "FILE", env = "LIFEBUOY_CONFIG")]
    pub config: Option<PathBuf>,
}

impl ApiArgs {
    /// The token to send: the flag or environment variable, else the config
    /// file's `api_token`, else none.
    pub fn token(&self) -> Result<Option<String>, OpsError> {
        if let Some(t) = &self.api_token {
            return Ok(Some(t.trim().to_owned()));
        }
        match &self.config {
            Some(path) => api_token_from_file(path)
                .map(|t| t.map(|t| t.trim().to_owned()))
                .map_err(OpsError::Usage),
            None => Ok(None),
        }
    }
}

/// Member state filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StateFilter {
    /// Alive members.
    Alive,
    /// Suspected members.
    Suspect,
    /// Failed members (`failed` is accepted too).
    #[value(alias = "failed")]
    Dead,
    /// Members that left gracefully.
    Left,
}

impl StateFilter {
    fn as_str(self) -> &'static str {
        match self {
            StateFilter::Alive => "alive",
            StateFilter::Suspect => "suspect",
            StateFilter::Dead => "dead",
            StateFilter::Left => "left",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct MembersArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only members in this state.
    #[arg(long, value_enum, value_name = "STATE")]
    pub state: Option<StateFilter>,
}

#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print each event as one JSON line (`{"event":..,"member":{..},"t_ms":..}`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Multiaddrs of members to join through, e.g. /ip4/10.0.0.1/udp/7946/quic-v1.
    #[arg(required = true, value_name = "ADDR")]
    pub addrs: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print the raw JSON of GET /v1/self.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct MetaArgs {
    #[command(subcommand)]
    pub action: MetaAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum MetaAction {
    /// Set metadata entries (merged into the current ones; `k=` sets an empty value).
    Set {
        #[command(flatten)]
        api: ApiArgs,
        /// Entries as k=v.
        #[arg(required = true, value_name = "K=V", value_parser = parse_kv)]
        pairs: Vec<(String, String)>,
    },
    /// Print the node's metadata, one k=v per line.
    Get {
        #[command(flatten)]
        api: ApiArgs,
        /// Print a JSON object instead.
        #[arg(long)]
        json: bool,
    },
    /// Remove metadata keys.
    Delete {
        #[command(flatten)]
        api: ApiArgs,
        /// Keys to remove.
        #[arg(required = true, value_name = "KEY")]
        keys: Vec<String>,
    },
}

/// A small blocking client of one node's API.
struct Client {
    addr: String,
    base: String,
    agent: ureq::Agent,
    auth: Option<String>,
}

impl Client {
    fn new(api: &ApiArgs, timeout: Option<Duration>) -> Result<Self, OpsError> {
        let addr = api
            .api
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(timeout)
            .build();
        Ok(Client {
            base: format!("http://{addr}"),
            addr,
            agent: config.into(),
            auth: api.token()?.map(|t| format!("Bearer {t}")),
        })
    }

    fn get(&self, path: &str) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let req = self.agent.get(format!("{}{path}", self.base));
        match &self.auth {
            Some(a) => req.header("Authorization", a),
            None => req,
        }
    }

    fn unreachable(&self, e: ureq::Error) -> OpsError {
        match e {
            ureq::Error::Io(ref io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::NotFound
                ) =>
            {
                self.not_listening()
            }
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => self.not_listening(),
            other => OpsError::Runtime(anyhow!(
                "request to the node at {} failed: {other}",
                self.addr
            )),
        }
    }

    fn not_listening(&self) -> OpsError {
        OpsError::Runtime(anyhow!(
            "no lifebuoy node is listening on {} (start one with `lifebuoy run`)",
            self.addr
        ))
    }

    fn check(
        &self,
        mut resp: ureq::http::Response<ureq::Body>,
    ) -> Result<ureq::http::Response<ureq::Body>, OpsError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let msg = serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.error)
            .unwrap_or(text);
        Err(OpsError::Runtime(anyhow!(
            "the node at {} answered {status}: {msg}",
            self.addr
        )))
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, OpsError> {
        let resp = self.get(path).call().map_err(|e| self.unreachable(e))?;
        self.read(self.check(resp)?)
    }

    fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T, OpsError> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "PUT" => self.agent.put(url),
            _ => self.agent.post(url),
        };
        let req = match &self.auth {
            Some(a) => req.header("Authorization", a),
            None => req,
        };
        let resp = req.send_json(body).map_err(|e| self.unreachable(e))?;
        self.read(self.check(resp)?)
    }

    fn read<T: serde::de::DeserializeOwned>(
        &self,
        mut resp: ureq::http::Response<ureq::Body>,
    ) -> Result<T, OpsError> {
        resp.body_mut().read_json::<T>().map_err(|e| {
            OpsError::Runtime(anyhow!(
                "unexpected answer from the node at {}: {e}",
                self.addr
            ))
        })
    }
}

const TIMEOUT: Option<Duration> = Some(Duration::from_secs(15));

pub fn members(args: MembersArgs) -> Result<(), OpsError> {
    let client = Client::new(&args.api, TIMEOUT)?;
    let mut members: Vec<MemberView> = client.get_json("/v1/members")?;
    if let Some(s) = args.state {
        members.retain(|m| m.state == s.as_str());
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&members).map_err(|e| OpsError::Runtime(e.into()))?
        );
        return Ok(());
    }
    members.sort_by(|a, b| (!a.is_self, &a.name, &a.id).cmp(&(!b.is_self, &b.name, &b.id)));
    let name_w = members
        .iter()
        .map(|m| m.name.len() + usize::from(m.is_self) * 2)
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<name_w$}  {:<52}  {:<7}  {:>5}  {:<40}  META",
        "NAME", "PEER ID", "STATE", "INC", "ADDRESS"
    );
    for m in &members {
        let name = if m.is_self {
            format!("{} *", m.name)
        } else {
            m.name.clone()
        };
        let addr = m
            .addrs
            .first()
            .map(|a| a.split("/p2p/").next().unwrap_or(a))
            .unwrap_or("-");
        let meta = m
            .meta
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        println!(
            "{name:<name_w$}  {:<52}  {:<7}  {:>5}  {addr:<40}  {meta}",
            m.id, m.state, m.incarnation
        );
    }
    Ok(())
}

pub fn status(args: StatusArgs) -> Result<(), OpsError> {
    let client = Client::new(&args.api, TIMEOUT)?;
    let s: SelfView = client.get_json("/v1/self")?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).map_err(|e| OpsError::Runtime(e.into()))?
        );
        return Ok(());
    }
    println!("node:         {} ({})", s.member.name, s.member.id);
    println!("state:        {}", s.member.state);
    println!("incarnation:  {}", s.member.incarnation);
    match s.health_score {
        Some(h) => println!("health score: {h} (0 is healthy)"),
        None => println!("health score: unknown"),
    }
    println!(
        "members:      {} alive, {} suspect, {} failed, {} left",
        s.members.alive, s.members.suspect, s.members.dead, s.members.left
    );
    println!("connections:  {}", s.connections);
    if let Some(n) = &s.nat {
        println!(
            "nat:          {} ({} relays, {} relayed connections, {} hole punches, {} failed)",
            n.reachability,
            n.relays.len(),
            n.relayed_connections,
            n.hole_punches,
            n.hole_punch_failures
        );
    }
    println!("version:      {}", s.version);
    println!("uptime:       {} s", s.uptime_s);
    for a in &s.member.addrs {
        println!("address:      {a}");
    }
    Ok(())
}

pub fn join(args: JoinArgs) -> Result<(), OpsError> {
    for a in &args.addrs {
        if let Err(e) = a.parse::<lifebuoy::libp2p::Multiaddr>() {
            return Err(OpsError::Usage(anyhow!(
                "invalid value for ADDR: `{a}` is not a multiaddr: {e}"
            )));
        }
    }
    let client = Client::new(&args.api, TIMEOUT)?;
    let _: serde_json::Value = client.send_json(
        "POST",
        "/v1/join",
        serde_json::json!({ "addrs": args.addrs }),
    )?;
    println!("joining through {}", args.addrs.join(", "));
    Ok(())
}

pub fn leave(args: ApiArgs) -> Result<(), OpsError> {
    // Leaving waits for the Left claim to spread (up to the leave timeout).
    let client = Client::new(&args, Some(Duration::from_secs(30)))?;
    let _: serde_json::Value = client.send_json("POST", "/v1/leave", serde_json::json!({}))?;
    println!("the node left the cluster and is stopping");
    Ok(())
}

pub fn meta(args: MetaArgs) -> Result<(), OpsError> {
    match args.action {
        MetaAction::Set { api, pairs } => {
            let body: BTreeMap<String, Option<String>> =
                pairs.into_iter().map(|(k, v)| (k, Some(v))).collect();
            let meta: BTreeMap<String, String> = Client::new(&api, TIMEOUT)?.send_json(
                "PUT",
                "/v1/meta",
                serde_json::json!(body),
            )?;
            print_meta(&meta, false)
        }
        MetaAction::Delete { api, keys } => {
            let body: BTreeMap<String, Option<String>> =
                keys.into_iter().map(|k| (k, None)).collect();
            let meta: BTreeMap<String, String> = Client::new(&api, TIMEOUT)?.send_json(
                "PUT",
                "/v1/meta",
                serde_json::json!(body),
            )?;
            print_meta(&meta, false)
        }
        MetaAction::Get { api, json } => {
            let meta: BTreeMap<String, String> =
                Client::new(&api, TIMEOUT)?.get_json("/v1/meta")?;
            print_meta(&meta, json)
        }
    }
}

fn print_meta(meta: &BTreeMap<String, String>, json: bool) -> Result<(), OpsError> {
    if json {
        println!(
            "{}",
            serde_json::to_string(meta).map_err(|e| OpsError::Runtime(e.into()))?
        );
    } else {
        for (k, v) in meta {
            println!("{k}={v}");
        }
    }
    Ok(())
}

/// Streams `/v1/events` until the node stops or the user interrupts.
pub fn events(args: EventsArgs) -> Result<(), OpsError> {
    let client = Client::new(&args.api, None)?;
    let resp = client
        .get("/v1/events")
        .header("Accept", "text/event-stream")
        .call()
        .map_err(|e| client.unreachable(e))?;
    let resp = client.check(resp)?;
    let reader = BufReader::new(resp.into_body().into_reader());
    let mut event = String::new();
    let mut data = String::new();
    let stdout = std::io::stdout();
    for line in reader.lines() {
        let line = line.map_err(|e| {
            OpsError::Runtime(anyhow!("the event stream from {} broke: {e}", client.addr))
        })?;
        if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        } else if line.is_empty() {
            if !data.is_empty() {
                let mut out = stdout.lock();
                print_event(&mut out, &event, &data, args.json);
                let _ = out.flush();
            }
            event.clear();
            data.clear();
        }
    }
    eprintln!("the node at {} closed the event stream", client.addr);
    Ok(())
}

fn print_event(out: &mut impl std::io::Write, event: &str, data: &str, json: bool) {
    if json {
        let v: serde_json::Value =
            serde_json::from_str(data).unwrap_or(serde_json::Value::String(data.to_owned()));
        let _ = writeln!(out, "{}", serde_json::json!({ "type": event, "data": v }));
        return;
    }
    match event {
        "snapshot" => {
            if let Ok(s) = serde_json::from_str::<SnapshotView>(data) {
                let _ = writeln!(out, "snapshot: {} members", s.members.len());
                for m in s.members {
                    let _ = writeln!(
                        out,
                        "  {:<9} {} ({}) {} inc={}",
                        "member", m.name, m.id, m.state, m.incarnation
                    );
                }
            }
        }
        "member" => {
            if let Ok(e) = serde_json::from_str::<EventView>(data) {
                let m = e.member;
                let _ = writeln!(
                    out,
                    "{:<9} {} ({}) {} inc={}",
                    e.event, m.name, m.id, m.state, m.incarnation
                );
            }
        }
        "lagged" => {
            let _ = writeln!(out, "lagged: {data} (a fresh snapshot follows)");
        }
        other => {
            let _ = writeln!(out, "{other}: {data}");
        }
    }
}
