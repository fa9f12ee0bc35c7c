//! Turns Rhai's parse and runtime errors into [`ScriptError`]s: the innermost position, the
//! offending source line with a caret, and a plain message that names any limit that was hit.

use rhai::{EvalAltResult, ParseError, Position};

use super::engine::{LOAD_TIMEOUT, TIMEOUT};
use crate::config::ScriptLimits;
use crate::page::ScriptError;

pub fn from_parse_error(script: &str, source: &str, err: &ParseError) -> ScriptError {
    let message = strip_position(&err.err_type().to_string());
    located(script, source, err.position(), message)
}

pub fn from_eval_error(script: &str, source: &str, err: &EvalAltResult, limits: &ScriptLimits) -> ScriptError {
    let inner = err.unwrap_inner();
    let message = match inner {
        EvalAltResult::ErrorTooManyOperations(_) => {
            format!("the script was stopped after {} operations (limit `max_operations`)", limits.max_operations)
        }
        EvalAltResult::ErrorTerminated(reason, _) if reason.to_string() == TIMEOUT => format!(
            "the script was stopped after running for {} ms (limit `max_run_ms`)",
            limits.max_run_time.as_millis()
        ),
        EvalAltResult::ErrorTerminated(reason, _) if reason.to_string() == LOAD_TIMEOUT => format!(
            "the cache loader was stopped after running for {} ms (limit `max_load_ms`)",
            limits.max_load_time.as_millis()
        ),
        EvalAltResult::ErrorTerminated(reason, _) if reason.to_string() == crate::widgets::live::LEFT => {
            "the run was stopped: its viewer left the page".to_owned()
        }
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "the script was stopped: functions called {} levels deep (limit on call depth)",
            limits.max_call_levels
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            format!("the script was stopped: {what} grew past its limit (limits on string, array and map sizes)")
        }
        EvalAltResult::ErrorTooManyModules(_) | EvalAltResult::ErrorModuleNotFound(..) => {
            "`import` is not available in dashboards".to_owned()
        }
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        other => strip_position(&other.to_string()),
    };
    located(script, source, inner.position(), message)
}

/// The sandbox limit that stopped a run, if a limit did.
pub fn limit_of(err: &EvalAltResult) -> Option<&'static str> {
    match err.unwrap_inner() {
        EvalAltResult::ErrorTooManyOperations(_) => Some("max_operations"),
        EvalAltResult::ErrorTerminated(reason, _) if reason.to_string() == TIMEOUT => Some("max_run_ms"),
        EvalAltResult::ErrorTerminated(reason, _) if reason.to_string() == LOAD_TIMEOUT => Some("max_load_ms"),
        EvalAltResult::ErrorStackOverflow(_) => Some("call_depth"),
        EvalAltResult::ErrorDataTooLarge(..) => Some("data_size"),
        _ => None,
    }
}

/// An error with no position in the source (e.g. too many reruns).
/// An error at a line of the script (the page header block), shown like a compile error.
pub fn at_line(script: &str, source: &str, line: usize, message: String) -> ScriptError {
    let line = u16::try_from(line).unwrap_or(u16::MAX);
    located(script, source, Position::new(line, 1), message)
}

pub fn plain(script: &str, message: String) -> ScriptError {
    ScriptError { script: script.to_owned(), line: None, column: None, message, source_line: None, caret: None }
}

fn located(script: &str, source: &str, pos: Position, message: String) -> ScriptError {
    let (line, column) = (pos.line(), pos.position());
    let source_line = line.and_then(|l| source.lines().nth(l.saturating_sub(1))).map(str::to_owned);
    let caret = match (&source_line, column) {
        (Some(text), Some(col)) => {
            // Keep tabs so the caret lines up under the same column in a monospace block.
            let pad: String =
                text.chars().take(col.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            Some(format!("{pad}^"))
        }
        _ => None,
    };
    ScriptError { script: script.to_owned(), line, column, message, source_line, caret }
}

/// Rhai appends ` (line L, position C)` to its messages; the page shows that separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" (line ") {
        Some(at) if message.ends_with(')') => message[..at].to_owned(),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_error_points_at_its_line_and_column() {
        let source = "let a = 1;\nlet b = ;\n";
        let err = rhai::Engine::new().compile(source).unwrap_err();
        let diag = from_parse_error("demo", source, &err);
        assert_eq!(diag.line, Some(2));
        assert_eq!(diag.source_line.as_deref(), Some("let b = ;"));
        assert!(diag.caret.as_deref().unwrap().ends_with('^'));
        assert!(!diag.message.contains("(line"));
        assert!(diag.to_string().starts_with("demo.rhai:2:"));
    }
}
