//! Text from scripts to safe HTML: markdown with Streamlit's extras (dedent, emoji shortcodes,
//! colours, badges, math), inline markdown for labels and help, `html(…)`, and highlighted code.
//! Every HTML string that leaves this module has been through [`sanitize`].

mod dedent;
mod directives;
mod highlight;
mod math;
mod memo;
mod sanitize;

use pulldown_cmark::{Options, Parser, TextMergeStream};

pub use dedent::dedent;
pub use highlight::{Highlighted, highlight};

/// A markdown body (`markdown`, `write`, `caption`, alerts) as sanitized HTML. The source is
/// dedented first, as Streamlit does, so an indented multi-line string is text, not code.
pub fn markdown(source: &str) -> String {
    memo::remembered(memo::Kind::Block, source, |source| sanitize::block(&to_html(&dedent(source))))
}

/// A label or a help text: inline markdown only (bold, italics, code, links, colours, emoji,
/// math); block elements such as headings and lists keep their text and lose their tags.
pub fn inline(source: &str) -> String {
    memo::remembered(memo::Kind::Inline, source, |source| sanitize::inline(&to_html(source.trim())).trim().to_owned())
}

/// `latex(…)`: one formula in LaTeX, shown as display math (the body of `$$…$$` in markdown,
/// without the markdown around it, so a `$` in the formula is the formula's own).
pub fn latex(tex: &str) -> String {
    memo::remembered(memo::Kind::Latex, tex, |tex| {
        sanitize::block(&math::mathml(tex.trim(), pulldown_latex::config::DisplayMode::Block))
    })
}

/// `html(…)`: raw HTML from the script, through the same sanitizer as markdown.
pub fn html(source: &str) -> String {
    sanitize::block(source)
}

fn to_html(source: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_MATH;
    let events = TextMergeStream::new(Parser::new_ext(source, options)).map(math::to_mathml);
    let mut html = String::with_capacity(source.len() + 16);
    pulldown_cmark::html::push_html(&mut html, directives::apply(events).into_iter());
    html
}

#[cfg(test)]
mod tests;
