//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Crates whose debug output would copy page content (which may hold anything a script
/// shows, such as a recovered password) into the log; they are held at `warn` always.
const QUIET: [&str; 2] = ["html5ever=warn", "markup5ever=warn"];

/// `RUST_LOG` (or `default`), with the noisy content-copying crates held down.
pub fn filter(default: &str) -> EnvFilter {
    let base = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    QUIET.iter().fold(base, |filter, directive| filter.add_directive(directive.parse().expect("a valid directive")))
}

pub fn init() {
    // A second init (tests that start several apps) is harmless.
    let _ = tracing_subscriber::fmt().with_env_filter(filter("info")).with_target(false).try_init();
}
