//! tracing setup: human-readable (default) or JSON lines on stderr.

use std::io::IsTerminal as _;

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{fmt, EnvFilter};

use super::settings::LogFormat;

/// Installs the global subscriber. `RUST_LOG` filters (default `info`).
///
/// Without `RUST_LOG` a plain level filter does what `EnvFilter::new("info")`
/// would, without running the directive parser or per-span matching
/// (docs/performance.md, "Memory").
pub fn init(format: LogFormat) {
    let env = std::env::var_os("RUST_LOG")
        .map(|_| EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")));
    let level = env.is_none().then_some(LevelFilter::INFO);
    let ansi = std::io::stderr().is_terminal();
    // Built twice rather than shared: the text and JSON layers sit at
    // different places in the stack, so each has its own subscriber type.
    let (text, json) = match format {
        LogFormat::Text => (
            Some(fmt::layer().with_writer(std::io::stderr).with_ansi(ansi)),
            None,
        ),
        LogFormat::Json => (
            None,
            Some(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(ansi)
                    .json()
                    .flatten_event(true)
                    .with_current_span(false),
            ),
        ),
    };
    let _ = tracing_subscriber::registry()
        .with(level)
        .with(env)
        .with(text)
        .with(json)
        .try_init();
}
