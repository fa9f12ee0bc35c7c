//! Logging: `tracing` to standard output, filtered by `RUST_LOG` (default `info`), as JSON
//! lines or pretty text. Colour codes are written only to a terminal.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Crates whose debug output would copy page content (which may hold anything a script
/// shows, such as a recovered password) into the log; they are held at `warn` always.
const QUIET: [&str; 2] = ["html5ever=warn", "markup5ever=warn"];

/// `RUST_LOG` (or `default`), with the noisy content-copying crates held down.
pub fn filter(default: &str) -> EnvFilter {
    let base = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    QUIET.iter().fold(base, |filter, directive| filter.add_directive(directive.parse().expect("a valid directive")))
}

/// Starts logging in `format`, or without one pretty on a terminal and JSON elsewhere. Each
/// line of a request carries its span, and so its request id.
pub fn init(format: Option<LogFormat>) {
    let terminal = std::io::stdout().is_terminal();
    let format = format.unwrap_or(if terminal { LogFormat::Pretty } else { LogFormat::Json });
    let builder = tracing_subscriber::fmt().with_env_filter(filter("info"));
    // A second init (tests that start several apps) is harmless.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).with_span_list(true).try_init(),
        LogFormat::Pretty => builder.with_ansi(terminal).with_target(false).try_init(),
    };
}
