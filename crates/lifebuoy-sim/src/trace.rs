//! Diagnostics for one traced node (`SimConfig::trace`): its events and
//! messages, decoded, on stderr. Never part of the report.

use lifebuoy_core::wire::{self, Kind};
use lifebuoy_core::{Event, Transmit};

use crate::clock::{to_secs_f64, Nanos};

pub(crate) fn event(now: Nanos, observer: u32, e: &Event<u32>) {
    let m = e.member();
    eprintln!(
        "{:>12.6} event  node {observer} sees {} {} (incarnation {})",
        to_secs_f64(now),
        m.id,
        e.name(),
        m.incarnation
    );
}

pub(crate) fn message(now: Nanos, from: u32, to: Option<u32>, t: &Transmit<u32>) {
    let to = to.map_or_else(|| "?".to_owned(), |t| t.to_string());
    let Ok(p) = wire::decode::<u32>(&t.payload, usize::MAX) else {
        eprintln!(
            "{:>12.6} msg    {from} -> {to}: undecodable",
            to_secs_f64(now)
        );
        return;
    };
    let kind = match &p.kind {
        Kind::Sync { members, .. } => format!("Sync({} members)", members.len()),
        k => format!("{k:?}"),
    };
    let gossip: Vec<String> = p
        .gossip
        .iter()
        .filter_map(|g| wire::decode_update::<u32>(g).ok())
        .map(|u| format!("{}:{}@{}", u.state().as_str(), u.id(), u.incarnation()))
        .collect();
    eprintln!(
        "{:>12.6} msg    {from} -> {to}: {kind} [{}]",
        to_secs_f64(now),
        gossip.join(" ")
    );
}
