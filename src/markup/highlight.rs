//! `code(…)`: syntax highlighting on the server with syntect's bundled grammars. Tokens become
//! spans with `rn-hl-…` classes (the scope's atoms, e.g. `rn-hl-keyword rn-hl-control`), which
//! `runnel.css` colours for the light and the dark theme; no inline styles, no script.

use std::sync::OnceLock;

use syntect::html::{ClassStyle, line_tokens_to_classed_spans};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};

const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "rn-hl-" };

/// A highlighted code block: one `<span class="rn-code-line">` per line, so line numbers and
/// wrapped lines need only CSS.
#[derive(Debug, Clone, PartialEq)]
pub struct Highlighted {
    pub html: String,
    /// The grammar's name (`Rust`, `Python`, …), or `None` when the language is unknown and
    /// the code is shown as plain text.
    pub grammar: Option<String>,
}

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Highlights `code` as `language` (a name such as `rust` or a file extension such as `py`);
/// an empty or unknown language gives plain, escaped text.
pub fn highlight(code: &str, language: &str) -> Highlighted {
    let set = syntaxes();
    let syntax = Some(language.trim()).filter(|l| !l.is_empty()).and_then(|l| set.find_syntax_by_token(l));
    let html = lines(code, syntax.unwrap_or_else(|| set.find_syntax_plain_text()), set);
    Highlighted { html, grammar: syntax.map(|s| s.name.clone()) }
}

fn lines(code: &str, syntax: &SyntaxReference, set: &SyntaxSet) -> String {
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut html = String::with_capacity(code.len() * 2);
    for (i, line) in code.split_inclusive('\n').enumerate() {
        if i > 0 {
            html.push('\n');
        }
        html.push_str("<span class=\"rn-code-line\">");
        let open = stack.as_slice().to_vec();
        open.iter().for_each(|scope| push_open(&mut html, *scope));
        let ops = state.parse_line(line, set).unwrap_or_default();
        // A line the grammar cannot take is shown as it is (escaped), without colours.
        let (mut body, still_open) = match line_tokens_to_classed_spans(line, &ops, STYLE, &mut stack) {
            Ok((body, _)) => (body, stack.len()),
            Err(_) => (escape(line), open.len()),
        };
        if let Some(newline) = body.rfind('\n') {
            body.remove(newline);
        }
        html.push_str(&body);
        html.push_str(&"</span>".repeat(still_open));
        html.push_str("</span>");
    }
    html
}

/// Reopens a scope still open from the line before (each line is closed on its own).
fn push_open(html: &mut String, scope: Scope) {
    let classes: Vec<String> = scope.build_string().split('.').map(|atom| format!("rn-hl-{atom}")).collect();
    html.push_str("<span class=\"");
    html.push_str(&escape(&classes.join(" ")));
    html.push_str("\">");
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
