//! What the command line says when it cannot go on: one line that names what failed and one
//! that says what to do, never a backtrace. Code that knows the advice for a failure returns a
//! [`Failure`]; any other error is reported on one line with a general hint.

use std::fmt;

/// A failure the operator can fix, with the advice for it.
#[derive(Debug)]
pub struct Failure {
    problem: String,
    advice: String,
}

impl Failure {
    pub fn new(problem: impl Into<String>, advice: impl Into<String>) -> Self {
        Self { problem: problem.into(), advice: advice.into() }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem)
    }
}

impl std::error::Error for Failure {}

/// The advice when an error carries none of its own.
const GENERAL_ADVICE: &str =
    "check the setting it names (a flag, a RUNNEL_* variable or runnel.toml; `runnel run --help` lists them)";

/// The two lines to print for `err`: the whole cause on one line, then the advice.
pub fn report(err: &anyhow::Error) -> String {
    let advice = err.chain().find_map(|cause| cause.downcast_ref::<Failure>()).map(|f| f.advice.as_str());
    format!("error: {}\n  hint: {}", one_line(&format!("{err:#}")), one_line(advice.unwrap_or(GENERAL_ADVICE)))
}

/// Two lines for a command line the parser refused (an unknown flag, a bad value): its first
/// line, and its own tip or else where the flags are listed.
pub fn usage_report(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim).filter(|line| !line.is_empty());
    let problem = lines.next().unwrap_or("error: the command line was not understood");
    let tip = lines.find_map(|line| line.strip_prefix("tip:")).map(str::trim);
    format!(
        "{problem}\n  hint: {}",
        tip.unwrap_or("`runnel --help` and `runnel run --help` list the commands and flags")
    )
}

/// A panic prints one line (to the log once logging is on), never a backtrace: a panic is a
/// bug, and its message and place are what a report needs.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        let place = info.location().map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        if tracing::dispatcher::has_been_set() {
            tracing::error!(panic = %one_line(&message), "internal error{place} (a bug: please report it)");
        } else {
            eprintln!("error: internal error{place}: {} (a bug: please report it)", one_line(&message));
        }
    }));
}

/// Collapses line breaks and runs of spaces (some parsers' messages span lines) into one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A URL with any password in it replaced by `***`, for messages and logs.
pub fn redacted_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}***{}", &url[..scheme_end + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_deep_in_the_chain_gives_its_advice_and_the_cause_stays_on_one_line() {
        let err = anyhow::Error::new(Failure::new("port 80 is taken\nby nginx", "pick another with --port"))
            .context("starting");
        assert_eq!(report(&err), "error: starting: port 80 is taken by nginx\n  hint: pick another with --port");
    }

    #[test]
    fn an_error_without_advice_gets_the_general_hint() {
        let text = report(&anyhow::anyhow!("frame_ancestors: \"*\" is not allowed"));
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with(GENERAL_ADVICE), "{text}");
    }

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(redacted_url("redis://:s3cret@cache:6379/0"), "redis://***@cache:6379/0");
        assert_eq!(redacted_url("redis://127.0.0.1/"), "redis://127.0.0.1/");
    }
}
